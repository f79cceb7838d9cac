package shopifysim_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopify/order"
	"github.com/synco-dev/synco/shopifysim"
)

// bothWays reads one simulated order as its webhook body and through GraphQL (the
// client's Order, with every page), normalized.
func bothWays(t *testing.T, sim *shopifysim.Sim, c *admin.Client, o *shopifysim.Order) (webhook, graphql schemas.Order) {
	t.Helper()
	sim.AddOrder(o)
	w, err := order.FromWebhook(sim.RESTOrderJSON(o))
	if err != nil {
		t.Fatal(err)
	}
	full, err := c.Order(context.Background(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	g, err := order.FromGraphQL(full)
	if err != nil {
		t.Fatal(err)
	}
	return w, g
}

// TestGraphQLAndWebhookAgree is the normalizer's proof: the same order read as its
// webhook body and through the Admin GraphQL API becomes the same schemas.Order, field
// by field. The only difference allowed is what a webhook body does not carry: the
// order's transactions.
func TestGraphQLAndWebhookAgree(t *testing.T) {
	sim, c, _ := start(t, shopifysim.Options{})
	// 60 lines: the line items come in two pages.
	w, g := bothWays(t, sim, c, richOrder(sim, 60, "EUR", "1"))
	if len(g.Transactions) != 2 || len(w.Transactions) != 0 {
		t.Fatalf("transactions: graphql %d, webhook %d", len(g.Transactions), len(w.Transactions))
	}
	w.Transactions = g.Transactions
	var diffs []string
	diff(reflect.ValueOf(w), reflect.ValueOf(g), "Order", &diffs)
	if len(diffs) > 0 {
		t.Fatalf("webhook and GraphQL disagree on %d fields:\n%s", len(diffs), strings.Join(diffs, "\n"))
	}
	if n := fieldCount(reflect.ValueOf(g)); n < 1000 {
		t.Fatalf("compared only %d fields", n)
	}
	// Spot checks that the comparison is not of two empty orders.
	if len(g.LineItems) != 60 || len(g.Refunds) != 2 || len(g.ShippingLines) != 2 || !g.ShippingLines[1].IsRemoved {
		t.Fatalf("order read back incomplete: %d lines, %d refunds, %d shipping lines", len(g.LineItems), len(g.Refunds), len(g.ShippingLines))
	}
	if g.FulfillmentStatus != "partial" || g.FinancialStatus != "partially_refunded" || g.CancelReason != "customer" {
		t.Errorf("statuses %q %q %q", g.FulfillmentStatus, g.FinancialStatus, g.CancelReason)
	}
	if !g.TaxLines[1].ChannelLiable || g.TotalDuties.String() != "12.34" || g.TotalTipReceived.String() != "2.5" || g.LineItems[0].TotalDiscount.String() != "1.33" {
		t.Errorf("details: %+v duties %s tips %s discount %s", g.TaxLines, g.TotalDuties, g.TotalTipReceived, g.LineItems[0].TotalDiscount)
	}
	r := g.Refunds[0]
	if !r.Restock || len(r.OrderAdjustments) != 1 || r.OrderAdjustments[0].Reason != "refund_discrepancy" || r.RefundShippingLines[0].Amount.String() != "8.32" {
		t.Errorf("refund %+v", r)
	}
	if g.Refunds[1].Restock {
		t.Error("a no_restock refund says restock")
	}
}

// TestGraphQLAndWebhookAgreeInTwoCurrencies: a buyer paying in another currency. REST
// gives a transaction's amount in that currency only, so a refund transaction's shop
// amount is known through GraphQL alone; everything else agrees.
func TestGraphQLAndWebhookAgreeInTwoCurrencies(t *testing.T) {
	sim, c, _ := start(t, shopifysim.Options{})
	w, g := bothWays(t, sim, c, richOrder(sim, 3, "USD", "1.1642"))
	w.Transactions = g.Transactions
	for i := range w.Refunds {
		for j := range w.Refunds[i].Transactions {
			wt, gt := &w.Refunds[i].Transactions[j], g.Refunds[i].Transactions[j]
			if !wt.Amount.IsZero() || !wt.AmountPresentment.Equal(gt.AmountPresentment) || wt.Currency != "USD" {
				t.Fatalf("webhook refund transaction %+v, graphql %+v", wt, gt)
			}
			wt.Amount = gt.Amount
		}
	}
	var diffs []string
	diff(reflect.ValueOf(w), reflect.ValueOf(g), "Order", &diffs)
	if len(diffs) > 0 {
		t.Fatalf("webhook and GraphQL disagree on %d fields:\n%s", len(diffs), strings.Join(diffs, "\n"))
	}
	if g.TotalPrice.Equal(g.TotalPricePresentment) || g.PresentmentCurrency != "USD" {
		t.Fatalf("not a two-currency order: %s / %s %s", g.TotalPrice, g.TotalPricePresentment, g.PresentmentCurrency)
	}
}

// TestRefundWebhookIsTheOrdersRefund: a refunds/create body normalizes into the same
// record as the refund inside the order read through GraphQL.
func TestRefundWebhookIsTheOrdersRefund(t *testing.T) {
	sim, c, _ := start(t, shopifysim.Options{})
	o := richOrder(sim, 3, "EUR", "1")
	_, g := bothWays(t, sim, c, o)
	for i, rf := range o.Refunds {
		body, err := sim.RefundJSON(o.ID, rf.ID)
		if err != nil {
			t.Fatal(err)
		}
		r, orderID, err := order.RefundFromWebhook(body)
		if err != nil {
			t.Fatal(err)
		}
		if orderID != o.ID {
			t.Fatalf("order id %d", orderID)
		}
		var diffs []string
		diff(reflect.ValueOf(r), reflect.ValueOf(g.Refunds[i]), "Refund", &diffs)
		if len(diffs) > 0 {
			t.Fatalf("refund %d: %s", rf.ID, strings.Join(diffs, "\n"))
		}
	}
}

// TestStatusesBothWays maps every displayFulfillmentStatus and displayFinancialStatus,
// and what the webhook says for the same order.
func TestStatusesBothWays(t *testing.T) {
	sim, c, _ := start(t, shopifysim.Options{BucketSize: 1e6, RestoreRate: 1e6})
	fulfillment := map[string][2]string{ // display → {graphql, webhook}
		"UNFULFILLED": {"", ""}, "FULFILLED": {"fulfilled", "fulfilled"}, "PARTIALLY_FULFILLED": {"partial", "partial"},
		"RESTOCKED": {"restocked", "restocked"}, "IN_PROGRESS": {"in_progress", ""}, "ON_HOLD": {"on_hold", ""}, "OPEN": {"open", ""},
		"PENDING_FULFILLMENT": {"pending_fulfillment", ""}, "REQUEST_DECLINED": {"request_declined", ""}, "SCHEDULED": {"scheduled", ""},
	}
	financial := []string{"AUTHORIZED", "EXPIRED", "PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "PENDING", "REFUNDED", "VOIDED"}
	i := 0
	for display, want := range fulfillment {
		o := richOrder(sim, 1, "EUR", "1")
		o.FulfillmentStatus = display
		o.FinancialStatus = financial[i%len(financial)]
		i++
		w, g := bothWays(t, sim, c, o)
		if g.FulfillmentStatus != want[0] || w.FulfillmentStatus != want[1] {
			t.Errorf("%s: graphql %q webhook %q, want %q %q", display, g.FulfillmentStatus, w.FulfillmentStatus, want[0], want[1])
		}
		if fs := strings.ToLower(o.FinancialStatus); g.FinancialStatus != fs || w.FinancialStatus != fs {
			t.Errorf("%s: graphql %q webhook %q", o.FinancialStatus, g.FinancialStatus, w.FinancialStatus)
		}
	}
	for _, f := range financial {
		if got := order.FinancialStatus(f); got != strings.ToLower(f) {
			t.Errorf("%s → %q", f, got)
		}
	}
}

func TestEventFromTheAdminAPI(t *testing.T) {
	sim, c, _ := start(t, shopifysim.Options{})
	o := sim.AddOrder(richOrder(sim, 2, "EUR", "1"))
	full, err := c.Order(context.Background(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	now := o.UpdatedAt.Add(time.Minute)
	ev, err := order.Event(sim.Shop(), schemas.OriginBackfill, full, now)
	if err != nil {
		t.Fatal(err)
	}
	if ev.OrderID != o.ID || ev.Origin != "backfill" || ev.Topic != "orders/backfill" || ev.Order.ID != o.ID || len(ev.Raw) == 0 {
		t.Fatalf("%+v", ev)
	}
	again, _ := order.Event(sim.Shop(), schemas.OriginBackfill, full, now.Add(time.Hour))
	if again.EventID != ev.EventID {
		t.Errorf("the same version read twice: %s, %s", ev.EventID, again.EventID)
	}
	other, _ := order.Event(sim.Shop(), schemas.OriginReconcile, full, now)
	if other.EventID == ev.EventID {
		t.Error("two origins share an event id")
	}
	if _, err := order.Event(sim.Shop(), schemas.OriginWebhook, full, now); err == nil {
		t.Error("webhook origin accepted for an Admin API read")
	}
}
