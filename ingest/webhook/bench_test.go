package webhook_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/synco-dev/synco/ingest/shopify"
	"github.com/synco-dev/synco/ingest/webhook"
	"github.com/synco-dev/synco/platform/deadletter"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/order"
)

// countingPublisher acknowledges at once and keeps only a count, so the benchmark
// measures the handler (verify, parse, build the event), not Kafka.
type countingPublisher struct{ orders, dead atomic.Int64 }

func (p *countingPublisher) PublishOrder(ctx context.Context, ev *schemas.OrderEvent) error {
	p.orders.Add(1)
	return nil
}

func (p *countingPublisher) PublishDeadLetter(ctx context.Context, dl deadletter.Letter) error {
	p.dead.Add(1)
	return nil
}

// BenchmarkWebhook serves one orders/create delivery (Shopify's 12 KB sample body)
// per op: read the body, check the HMAC, parse the order, build the OrderEvent and
// hand it to the publisher. Each op has a new webhook id, so none is a duplicate.
// The handler logs one line per delivery, as in production (here to io.Discard).
func BenchmarkWebhook(b *testing.B) {
	body, err := os.ReadFile("../../shopify/order/testdata/orders_create.json")
	if err != nil {
		b.Fatal(err)
	}
	sig := shopify.Sign(secret, body)
	secrets := func(s string) (string, bool) { return secret, s == shop }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	triggered := time.Now().UTC().Format(time.RFC3339Nano)

	run := func(b *testing.B, sig string, want int) *countingPublisher {
		pub := &countingPublisher{}
		h := webhook.New(secrets, pub, log, webhook.Options{})
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", bytes.NewReader(body))
			req.Header.Set("X-Shopify-Topic", "orders/create")
			req.Header.Set("X-Shopify-Shop-Domain", shop)
			req.Header.Set("X-Shopify-Hmac-Sha256", sig)
			req.Header.Set("X-Shopify-Webhook-Id", "bench-"+strconv.Itoa(i))
			req.Header.Set("X-Shopify-Triggered-At", triggered)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != want {
				b.Fatalf("answer %d %q, want %d", w.Code, w.Body.String(), want)
			}
		}
		return pub
	}
	b.Run("accepted", func(b *testing.B) {
		if pub := run(b, sig, http.StatusOK); pub.orders.Load() == 0 || pub.dead.Load() != 0 {
			b.Fatalf("published %d orders, %d dead letters", pub.orders.Load(), pub.dead.Load())
		}
	})
	// A forged signature is refused before any parsing: the cost of a bad caller.
	b.Run("bad_hmac", func(b *testing.B) {
		run(b, shopify.Sign("not-the-secret", body), http.StatusUnauthorized)
	})
}

// BenchmarkVerify is the HMAC check alone on the same body.
func BenchmarkVerify(b *testing.B) {
	body, err := os.ReadFile("../../shopify/order/testdata/orders_create.json")
	if err != nil {
		b.Fatal(err)
	}
	sig := shopify.Sign(secret, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if !shopify.Verify(secret, body, sig) {
			b.Fatal("signature refused")
		}
	}
}

// BenchmarkParseOrder is the payload parse alone.
func BenchmarkParseOrder(b *testing.B) {
	body, err := os.ReadFile("../../shopify/order/testdata/orders_create.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := order.FromWebhook(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanOrder is what ingest now reads of the body before the
// acknowledgement: the key and version, checking the body is JSON (ParseOrder above
// moved to the processor).
func BenchmarkScanOrder(b *testing.B) {
	body, err := os.ReadFile("../../shopify/order/testdata/orders_create.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := order.ScanOrder(body); err != nil {
			b.Fatal(err)
		}
	}
}
