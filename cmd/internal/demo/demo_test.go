package demo

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/ingest/shopify"
)

type delivered struct {
	shop, topic string
	body        map[string]any
}

// TestGenerateDeliversAsShopify: the opening scenario's webhooks, as ingest gets them
// from shops without a simulated Shopify of their own (--demo on a configured shop):
// signed with each shop's secret, orders in the shop's currency with their financial
// status, a refund (refunds/create with a restocked line, then orders/updated with
// the order partially refunded and its current totals down) and a cancellation (an
// authorized order voided).
func TestGenerateDeliversAsShopify(t *testing.T) {
	cfg, err := Config(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{}
	for _, s := range cfg.Shops {
		secrets[s.Domain] = s.WebhookSecret
	}
	const want = 15 // 10 orders, 2 refunds of 2 webhooks each, 1 cancellation
	var mu sync.Mutex
	var got []delivered
	full := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		shop := r.Header.Get("X-Shopify-Shop-Domain")
		if !shopify.Verify(secrets[shop], b, r.Header.Get("X-Shopify-Hmac-Sha256")) {
			t.Errorf("%s %s: bad signature", shop, r.Header.Get("X-Shopify-Topic"))
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("body: %v", err)
		}
		mu.Lock()
		got = append(got, delivered{shop, r.Header.Get("X-Shopify-Topic"), m})
		if len(got) == want {
			close(full)
		}
		mu.Unlock()
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Generate(ctx, Options{IngestURL: srv.URL, Shops: cfg.Shops, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Start: time.Millisecond, Step: time.Millisecond, Every: time.Hour})
	}()
	select {
	case <-full:
	case <-time.After(time.Minute):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%d webhooks, want %d", len(got), want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	us, eu := cfg.Shops[0].Domain, cfg.Shops[1].Domain
	topics := map[string]int{}
	created := map[string]map[string]any{} // shop and order id → the orders/create body
	for _, d := range got {
		topics[d.shop+" "+d.topic]++
		id := d.shop + "/" + jsonString(d.body["id"])
		switch d.topic {
		case "orders/create":
			created[id] = d.body
			cur := map[string]string{us: "USD", eu: "EUR"}[d.shop]
			if d.body["currency"] != cur {
				t.Errorf("%s order %s in %v, want %s", d.shop, d.body["name"], d.body["currency"], cur)
			}
			switch d.body["financial_status"] {
			case "paid", "pending", "authorized":
			default:
				t.Errorf("order %s: financial status %v", d.body["name"], d.body["financial_status"])
			}
			if _, ok := d.body["transactions"]; ok {
				t.Errorf("order %s: a webhook body carries no transactions", d.body["name"])
			}
		case "refunds/create":
			id = d.shop + "/" + jsonString(d.body["order_id"])
			if created[id] == nil {
				t.Errorf("refund of an order never created: %s", id)
			}
			rlis, _ := d.body["refund_line_items"].([]any)
			txs, _ := d.body["transactions"].([]any)
			if len(rlis) != 1 || rlis[0].(map[string]any)["restock_type"] != "cancel" || len(txs) != 1 || txs[0].(map[string]any)["kind"] != "refund" {
				t.Errorf("refund %v", d.body)
			}
		case "orders/updated":
			before := created[id]
			if before == nil {
				t.Fatalf("orders/updated of an order never created: %v", id)
			}
			refunds, _ := d.body["refunds"].([]any)
			was, now := decimal.RequireFromString(before["current_total_price"].(string)), decimal.RequireFromString(d.body["current_total_price"].(string))
			if d.body["financial_status"] != "partially_refunded" || len(refunds) != 1 || !now.LessThan(was) || d.body["updated_at"] == before["updated_at"] {
				t.Errorf("refunded order: status %v, %d refunds, current total %s (was %s), updated %v (was %v)",
					d.body["financial_status"], len(refunds), now, was, d.body["updated_at"], before["updated_at"])
			}
		case "orders/cancelled":
			before := created[id]
			if before == nil || before["financial_status"] != "authorized" {
				t.Errorf("cancelled order was %v", before)
			}
			if d.body["cancelled_at"] == nil || d.body["cancel_reason"] != "customer" || d.body["financial_status"] != "voided" {
				t.Errorf("cancelled order: cancelled_at %v, reason %v, status %v", d.body["cancelled_at"], d.body["cancel_reason"], d.body["financial_status"])
			}
		default:
			t.Errorf("unexpected topic %s", d.topic)
		}
	}
	wantTopics := map[string]int{us + " orders/create": 6, eu + " orders/create": 4, us + " refunds/create": 1, us + " orders/updated": 1,
		eu + " refunds/create": 1, eu + " orders/updated": 1, us + " orders/cancelled": 1}
	for k, n := range wantTopics {
		if topics[k] != n {
			t.Errorf("%d %s, want %d (all: %v)", topics[k], k, n, topics)
		}
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
