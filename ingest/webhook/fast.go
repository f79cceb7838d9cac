package webhook

import (
	"bytes"
	"context"
	"net/http"
	"sort"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"
)

// ServeFastHTTP serves POST /webhooks/shopify on fasthttp, the server ingest runs
// (bench/RESULTS.md: it spends less than half of net/http's CPU per request, which at
// 20,000 webhooks/s on two cores is the difference). The body over MaxBody is
// refused by the server before this is called (server.Serve answers TooLarge).
func (h *Handler) ServeFastHTTP(c *fasthttp.RequestCtx) {
	hd := &c.Request.Header
	topic := string(hd.Peek("X-Shopify-Topic"))
	if !c.IsPost() {
		c.Response.Header.Set("Allow", http.MethodPost)
		h.WriteFast(c, topic, Answer{http.StatusMethodNotAllowed, "method", "POST only"})
		return
	}
	a := h.Handle(context.Background(), &Delivery{Topic: topic, Shop: string(hd.Peek("X-Shopify-Shop-Domain")),
		HMAC: string(hd.Peek("X-Shopify-Hmac-Sha256")), WebhookID: string(hd.Peek("X-Shopify-Webhook-Id")),
		EventID: string(hd.Peek("X-Shopify-Event-Id")), TriggeredAt: string(hd.Peek("X-Shopify-Triggered-At")),
		Body: c.PostBody(), ShopifyHeaders: func() []kgo.RecordHeader { return fastShopifyHeaders(hd) }})
	h.WriteFast(c, topic, a)
}

// WriteFast writes an answer on fasthttp and counts it.
func (h *Handler) WriteFast(c *fasthttp.RequestCtx, topic string, a Answer) {
	h.Count(topic, a.Result)
	c.SetStatusCode(a.Code)
	c.SetContentType("text/plain; charset=utf-8")
	c.SetBodyString(a.Msg + "\n")
}

var shopifyPrefix = []byte("X-Shopify-")

func fastShopifyHeaders(hd *fasthttp.RequestHeader) []kgo.RecordHeader {
	var out []kgo.RecordHeader
	for k, v := range hd.All() {
		if bytes.HasPrefix(k, shopifyPrefix) {
			out = append(out, kgo.RecordHeader{Key: string(k), Value: bytes.Clone(v)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
