package api_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/schemas"
)

// What Odoo said of an order (warnings, invoice and payment state, refunds, the
// cancellation) and its payment gateways are in the order JSON, lists never null.
func TestOrderOdooFields(t *testing.T) {
	e := newEnv(t)
	a := order(1)
	a.Status, a.OdooModel, a.OdooID = "synced", "sale.order", 42
	a.Warnings = []string{"line 2 rounded by 0.01"}
	a.InvoiceState, a.PaymentState, a.RefundedAmount, a.Cancelled = "posted", "partial", "12.5", true
	a.PaymentGateways = []string{"shopify_payments", "gift_card"}
	b := order(2)
	b.Currency, b.RefundedAmount = "JPY", "1500"
	c := order(3) // nothing known
	e.insertOrders(a, b, c)

	p := e.list("sort=order&dir=asc")
	if len(p.Orders) != 3 {
		t.Fatalf("%d orders", len(p.Orders))
	}
	ra, rb, rc := p.Orders[0], p.Orders[1], p.Orders[2]
	if w, ok := ra["warnings"].([]any); !ok || len(w) != 1 || w[0] != "line 2 rounded by 0.01" {
		t.Errorf("warnings = %#v", ra["warnings"])
	}
	for k, want := range map[string]any{"invoice_state": "posted", "payment_state": "partial", "refunded_amount": "12.50", "cancelled": true} {
		if ra[k] != want {
			t.Errorf("%s = %#v, want %#v", k, ra[k], want)
		}
	}
	if g, ok := ra["payment_gateways"].([]any); !ok || len(g) != 2 || g[0] != "shopify_payments" {
		t.Errorf("payment_gateways = %#v", ra["payment_gateways"])
	}
	if rb["refunded_amount"] != "1500" {
		t.Errorf("refunded_amount in JPY = %#v, want the string \"1500\"", rb["refunded_amount"])
	}
	for k, want := range map[string]any{"invoice_state": "", "payment_state": "", "refunded_amount": "0.00", "cancelled": false} {
		if rc[k] != want {
			t.Errorf("unknown %s = %#v, want %#v", k, rc[k], want)
		}
	}
	for _, k := range []string{"warnings", "payment_gateways"} {
		if l, ok := rc[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %#v, want []", k, rc[k])
		}
	}
	// The detail shows them too, and so does each outcome of its history.
	at := baseTime.Add(time.Hour)
	if err := chstore.InsertEventRows(context.Background(), e.ch, []chstore.EventRow{{OutcomeID: "s", Shop: shopA, OrderID: 1, Stage: schemas.StageSinkOdoo, At: at,
		AtMs: uint64(at.UnixMilli()),
		OrderState: chstore.OrderState{Total: decimalOf("10"), Currency: "EUR",
			IneligibleReasons: []string{}, Status: "synced"},
		OrderFacts: chstore.OrderFacts{Warnings: []string{"w"}, InvoiceState: "posted", PaymentState: "paid",
			RefundedAmount: decimalOf("2.5"), Cancelled: 1, PaymentGateways: []string{"manual"}}}}); err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	e.call("GET", "/api/shops/"+shopA+"/orders/1", nil, 200, &d)
	if d["invoice_state"] != "posted" || d["cancelled"] != true {
		t.Errorf("detail %v", d)
	}
	h := d["history"].([]any)[0].(map[string]any)
	if h["invoice_state"] != "posted" || h["payment_state"] != "paid" || h["refunded_amount"] != "2.50" || h["cancelled"] != true ||
		len(h["warnings"].([]any)) != 1 {
		t.Errorf("history %v", h)
	}
}

// The settings screen lists the payment gateways the shop's orders have used.
func TestGateways(t *testing.T) {
	e := newEnv(t)
	path := "/api/shops/" + shopA + "/gateways"
	var got struct {
		Gateways []string `json:"gateways"`
	}
	b := e.call("GET", path, nil, 200, &got)
	if string(b) != `{"gateways":[]}` {
		t.Errorf("no orders: %s", b)
	}

	a, b2, c, other := order(1), order(2), order(3), order(4)
	a.PaymentGateways = []string{"shopify_payments"}
	b2.PaymentGateways = []string{"manual", "gift_card", "manual"}
	other.Shop, other.PaymentGateways = shopB, []string{"paypal"}
	e.insertOrders(a, b2, c, other)
	// An order whose gateways changed: only its current ones count.
	a.PaymentGateways, a.Version = []string{"bogus"}, 2
	e.insertOrders(a)
	a.PaymentGateways, a.Version = []string{"shopify_payments", "cash"}, 3
	e.insertOrders(a)

	e.call("GET", path, nil, 200, &got)
	if want := []string{"cash", "gift_card", "manual", "shopify_payments"}; !slices.Equal(got.Gateways, want) {
		t.Errorf("gateways %v, want %v", got.Gateways, want)
	}
	// Another shop's gateways are its own, and a token sees only its shops.
	e.call("GET", "/api/shops/"+shopB+"/gateways", nil, 200, &got)
	if !slices.Equal(got.Gateways, []string{"paypal"}) {
		t.Errorf("beta's gateways %v", got.Gateways)
	}
	if code, body := e.do("GET", "/api/shops/"+shopB+"/gateways", alphaToken, nil); code != 404 || !json.Valid(body) {
		t.Errorf("alpha token on beta's gateways: %d %s", code, body)
	}
	if code, _ := e.do("GET", path, "", nil); code != 401 {
		t.Errorf("no token: %d", code)
	}
}
