package webhook

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"
)

// ServeFastHTTP serves POST /webhooks/shopify on fasthttp, the server ingest runs
// (bench/RESULTS.md, BenchmarkServe). The server streams bodies over MaxBody
// (StreamRequestBody) so that they are answered 413 here.
func (h *Handler) ServeFastHTTP(c *fasthttp.RequestCtx) {
	hd := &c.Request.Header
	topic := string(hd.Peek("X-Shopify-Topic"))
	if !c.IsPost() {
		c.Response.Header.Set("Allow", http.MethodPost)
		h.WriteFast(c, topic, Answer{http.StatusMethodNotAllowed, "method", "POST only"})
		return
	}
	var body []byte
	if !c.Request.IsBodyStream() {
		body = c.PostBody()
	} else {
		// Over the server's limit (or chunked): read at most MaxBody+1 here, never
		// the whole stream.
		stream := c.RequestBodyStream()
		b, err := io.ReadAll(io.LimitReader(stream, MaxBody+1))
		if err != nil {
			c.SetConnectionClose()
			h.WriteFast(c, topic, Answer{http.StatusBadRequest, "read_error", "could not read body"})
			return
		}
		if len(b) > MaxBody {
			// Read a little more before closing, as net/http does, so the client
			// reads the 413 instead of a reset connection.
			io.CopyN(io.Discard, stream, 256<<10)
			c.SetConnectionClose()
			h.WriteFast(c, topic, TooLarge)
			return
		}
		body = b
	}
	a := h.Handle(context.Background(), &Delivery{Topic: topic, Shop: string(hd.Peek("X-Shopify-Shop-Domain")),
		HMAC: string(hd.Peek("X-Shopify-Hmac-Sha256")), WebhookID: string(hd.Peek("X-Shopify-Webhook-Id")),
		EventID: string(hd.Peek("X-Shopify-Event-Id")), TriggeredAt: string(hd.Peek("X-Shopify-Triggered-At")),
		Body: body, ShopifyHeaders: func() []kgo.RecordHeader { return fastShopifyHeaders(hd) }})
	h.WriteFast(c, topic, a)
}

// WriteFast writes an answer on fasthttp and counts it.
func (h *Handler) WriteFast(c *fasthttp.RequestCtx, topic string, a Answer) {
	h.Count(topic, a.Result, c.Time())
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
