package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"sort"
	"sync"

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
	// The server streams request bodies (server.Serve) so that one over MaxBody is
	// answered 413 here after a bounded read, not reset unread: read it into a
	// pooled buffer (the body is needed only during Handle).
	n := c.Request.Header.ContentLength()
	if n > MaxBody {
		// Read it (bounded, as net/http's MaxBytesReader and lingering close do) so the
		// client reads the 413 instead of a reset connection.
		io.CopyN(io.Discard, c.RequestBodyStream(), MaxBody+256<<10)
		c.SetConnectionClose()
		h.WriteFast(c, topic, TooLarge)
		return
	}
	bp := bodyPool.Get().(*[]byte)
	body, err := readBody((*bp)[:0], c.RequestBodyStream(), n)
	defer func() {
		if cap(body) <= 1<<20 { // a rare big one is left to the GC
			*bp = body[:0]
			bodyPool.Put(bp)
		}
	}()
	if err != nil {
		c.SetConnectionClose()
		if errors.Is(err, errTooLarge) {
			h.WriteFast(c, topic, TooLarge)
		} else {
			h.WriteFast(c, topic, Answer{http.StatusBadRequest, "read_error", "could not read body"})
		}
		return
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
	hd.VisitAll(func(k, v []byte) {
		if bytes.HasPrefix(k, shopifyPrefix) {
			out = append(out, kgo.RecordHeader{Key: string(k), Value: bytes.Clone(v)})
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

var errTooLarge = errors.New("body over MaxBody")

// readBody reads a body of n bytes (n < 0: unknown, chunked) into buf, at most MaxBody.
func readBody(buf []byte, r io.Reader, n int) ([]byte, error) {
	if n >= 0 {
		buf = slices.Grow(buf, n)[:n]
		_, err := io.ReadFull(r, buf)
		return buf, err
	}
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 16<<10)
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if len(buf) > MaxBody {
			return buf, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
