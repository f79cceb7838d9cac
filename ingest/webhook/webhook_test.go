package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/synco-dev/synco/ingest/shopify"
	"github.com/synco-dev/synco/ingest/webhook"
	"github.com/synco-dev/synco/platform/deadletter"
	"github.com/synco-dev/synco/schemas"
)

// recorder stands in for Kafka at this unit's edge; the end-to-end test uses kfake.
type recorder struct {
	mu     sync.Mutex
	orders []*schemas.OrderEvent
	dead   []deadletter.Letter
	fail   error
	block  bool
}

func (r *recorder) PublishOrder(ctx context.Context, ev *schemas.OrderEvent) error {
	if r.block {
		<-ctx.Done()
		return ctx.Err()
	}
	if r.fail != nil {
		return r.fail
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.orders = append(r.orders, ev)
	return nil
}

func (r *recorder) PublishDeadLetter(ctx context.Context, dl deadletter.Letter) error {
	if r.fail != nil {
		return r.fail
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dead = append(r.dead, dl)
	return nil
}

const shop = "demo.myshopify.com"
const secret = "hush"

func newHandler(pub webhook.Publisher) *webhook.Handler {
	secrets := func(s string) (string, bool) { return secret, s == shop }
	return webhook.New(secrets, pub, slog.New(slog.NewTextHandler(io.Discard, nil)), webhook.Options{AckTimeout: 200 * time.Millisecond})
}

func post(h http.Handler, topic, shopDomain string, body []byte, sig string, id string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", bytes.NewReader(body))
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Shop-Domain", shopDomain)
	if sig != "" {
		req.Header.Set("X-Shopify-Hmac-Sha256", sig)
	}
	req.Header.Set("X-Shopify-Webhook-Id", id)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func orderBody(t *testing.T) []byte {
	b, err := os.ReadFile("../../shopify/order/testdata/orders_create.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignedOrderIsPublished(t *testing.T) {
	rec := &recorder{}
	h := newHandler(rec)
	body := orderBody(t)
	w := post(h, "orders/create", shop, body, shopify.Sign(secret, body), "w1")
	if w.Code != 200 {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
	if len(rec.orders) != 1 {
		t.Fatalf("published %d events", len(rec.orders))
	}
	ev := rec.orders[0]
	if ev.Shop != shop || ev.OrderID != 820982911946154508 || ev.Topic != "orders/create" || ev.EventID != "w1" || !bytes.Equal(ev.Raw, body) {
		t.Errorf("event %+v", ev)
	}
}

func TestHMAC(t *testing.T) {
	body := orderBody(t)
	for name, c := range map[string]struct {
		shop, sig string
		want      int
	}{
		"good":         {shop, shopify.Sign(secret, body), 200},
		"wrong":        {shop, shopify.Sign("nope", body), 401},
		"missing":      {shop, "", 401},
		"garbage":      {shop, "not-base64!", 401},
		"unknown shop": {"other.myshopify.com", shopify.Sign(secret, body), 401},
	} {
		rec := &recorder{}
		w := post(newHandler(rec), "orders/create", c.shop, body, c.sig, "w-"+name)
		if w.Code != c.want {
			t.Errorf("%s: status %d, want %d", name, w.Code, c.want)
		}
		if c.want != 200 && len(rec.orders) != 0 {
			t.Errorf("%s: published despite rejection", name)
		}
	}
}

func TestDuplicateDeliveryPublishedOnce(t *testing.T) {
	rec := &recorder{}
	h := newHandler(rec)
	body := orderBody(t)
	for i := 0; i < 3; i++ {
		if w := post(h, "orders/create", shop, body, shopify.Sign(secret, body), "same"); w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
	}
	if len(rec.orders) != 1 {
		t.Fatalf("published %d events for one delivery", len(rec.orders))
	}
}

func TestUnreadableSignedBodyGoesToDeadLetter(t *testing.T) {
	rec := &recorder{}
	h := newHandler(rec)
	body := []byte(`{"id": "not-a-number", "line_items": [}`)
	w := post(h, "orders/create", shop, body, shopify.Sign(secret, body), "bad1")
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	if len(rec.orders) != 0 || len(rec.dead) != 1 {
		t.Fatalf("orders %d dead %d", len(rec.orders), len(rec.dead))
	}
	dl := rec.dead[0]
	if !bytes.Equal(dl.Value, body) || dl.Reason == "" || dl.OriginTopic != "webhook orders/create" || dl.Stage != "ingest" || dl.Topic != schemas.TopicOrdersDLQ {
		t.Errorf("dead letter %+v", dl)
	}
	rec2 := dl.Record()
	if deadletter.Header(rec2, deadletter.HeaderReason) != dl.Reason || deadletter.Header(rec2, "X-Shopify-Webhook-Id") != "bad1" {
		t.Errorf("dead letter headers %+v", rec2.Headers)
	}
}

func TestKafkaNotAcknowledgingIs503(t *testing.T) {
	body := orderBody(t)
	for name, rec := range map[string]*recorder{"error": {fail: errors.New("broker gone")}, "timeout": {block: true}} {
		h := newHandler(rec)
		if w := post(h, "orders/create", shop, body, shopify.Sign(secret, body), "k-"+name); w.Code != 503 {
			t.Errorf("%s: status %d, want 503", name, w.Code)
		}
		rec.fail, rec.block = nil, false
		// Shopify's retry of the same delivery must go through: a failed attempt is not remembered as seen.
		if w := post(h, "orders/create", shop, body, shopify.Sign(secret, body), "k-"+name); w.Code != 200 || len(rec.orders) != 1 {
			t.Errorf("%s: retry status %d, published %d", name, w.Code, len(rec.orders))
		}
	}
}

func TestBodyTooLarge(t *testing.T) {
	rec := &recorder{}
	body := []byte(`{"id":1,"note":"` + strings.Repeat("x", webhook.MaxBody) + `"}`)
	if w := post(newHandler(rec), "orders/create", shop, body, shopify.Sign(secret, body), "big"); w.Code != 413 {
		t.Fatalf("status %d, want 413", w.Code)
	}
}

func TestOtherTopics(t *testing.T) {
	rec := &recorder{}
	h := newHandler(rec)
	refund, _ := os.ReadFile("../../shopify/order/testdata/refunds_create.json")
	if w := post(h, "refunds/create", shop, refund, shopify.Sign(secret, refund), "r1"); w.Code != 200 {
		t.Fatalf("refund status %d", w.Code)
	}
	if len(rec.orders) != 1 || rec.orders[0].OrderID != 820982911946154508 {
		t.Fatalf("refund event %+v", rec.orders)
	}
	for _, topic := range []string{"app/uninstalled", "shop/redact", "products/create"} {
		b := []byte(`{}`)
		if w := post(h, topic, shop, b, shopify.Sign(secret, b), "x-"+topic); w.Code != 200 {
			t.Errorf("%s: status %d", topic, w.Code)
		}
	}
	if len(rec.orders) != 1 {
		t.Errorf("non-order topics published events: %d", len(rec.orders))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/webhooks/shopify", nil))
	if w.Code != 405 {
		t.Errorf("GET status %d", w.Code)
	}
}
