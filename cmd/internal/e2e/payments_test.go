package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/synco-dev/synco/query/orders"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopifysim"
)

// TestWebhookPaidOrderIsPaidInOdoo: an order webhook carries no transactions, yet the
// order's payment is registered in Odoo — the sink reads the transactions from
// Shopify — once, however often the webhook comes; the table says what Odoo holds.
func TestWebhookPaidOrderIsPaidInOdoo(t *testing.T) {
	h := newHarness(t, `
create: sale_order_confirmed_invoice
`)
	sim := h.withShopify()
	h.start(allStages...)

	o := sim.AddSampleOrders(1, time.Now().Add(-time.Hour))[0]
	for range 2 { // Shopify delivers at least once
		if d := sim.DeliverTo(context.Background(), h.publicURL+"/webhooks/shopify", "orders/paid", "", sim.RESTOrderJSON(o)); d.Status != http.StatusOK {
			t.Fatalf("delivery %+v", d)
		}
	}
	row := h.waitOrder(o.ID, "synced and paid in Odoo", func(r orders.Order) bool {
		return r.Status == schemas.StatusSynced && r.PaymentState != "" && r.PaymentState != "not_paid"
	})
	if row.InvoiceState != "posted" {
		t.Errorf("invoice state %q, want posted", row.InvoiceState)
	}
	// A later snapshot of the paid order (Shopify updates it: a tag) is applied again:
	// the sale it carries is already registered and is not paid twice.
	sim.EditOrder(o.ID, func(o *shopifysim.Order) { o.Tags = append(o.Tags, "vip") })
	later, _ := sim.Order(o.ID)
	if d := sim.DeliverTo(context.Background(), h.publicURL+"/webhooks/shopify", "orders/updated", "", sim.RESTOrderJSON(later)); d.Status != http.StatusOK {
		t.Fatalf("delivery %+v", d)
	}
	h.waitOdoo("the later snapshot applied by the sink", func() bool {
		for _, e := range h.orderDetail(o.ID).History {
			if e.Stage == schemas.StageSinkOdoo && e.Status == schemas.StatusSynced && e.Version == uint64(later.UpdatedAt.UnixMilli()) {
				return true
			}
		}
		return false
	})
	so := saleOrderOf(h, o.ID)
	if so == nil {
		t.Fatal("no sale order")
	}
	invs := h.recordsWhere("account.move", "move_type", "out_invoice")
	if len(invs) != 1 {
		t.Fatalf("%d invoices, want 1", len(invs))
	}
	if got := invs[0]["payment_state"]; got != "paid" && got != "in_payment" {
		t.Errorf("invoice payment_state %v, want paid", got)
	}
	pays := h.recordsWhere("account.payment", "payment_type", "inbound")
	if len(pays) != 1 {
		t.Fatalf("%d payments for one Shopify sale, want 1", len(pays))
	}
	if got, want := money(pays[0]["amount"], 2), o.TotalPrice.Shop.StringFixed(2); got != want {
		t.Errorf("payment of %s, want the sale's %s", got, want)
	}
	if n := sim.Counters().ByOperation["OrderTransactions"]; n < 1 {
		t.Errorf("the transactions were never read from Shopify (%d calls)", n)
	}
}

// TestInvoiceWhenPaid: with invoice_for paid, a pending order is a confirmed sale
// order without invoice; when Shopify says it is paid, the invoice is made, posted and
// paid by the order's sale — one of each, however often the webhooks come.
func TestInvoiceWhenPaid(t *testing.T) {
	h := newHarness(t, `
create: sale_order_confirmed_invoice
invoice_for: paid
`)
	sim := h.withShopify()
	h.start(allStages...)

	o := sim.AddSampleOrders(1, time.Now().Add(-time.Hour))[0]
	sale := o.Transactions
	sim.EditOrder(o.ID, func(o *shopifysim.Order) { o.FinancialStatus, o.Transactions = "PENDING", nil })
	deliver := func(topic string) {
		cur, _ := sim.Order(o.ID)
		if d := sim.DeliverTo(context.Background(), h.publicURL+"/webhooks/shopify", topic, "", sim.RESTOrderJSON(cur)); d.Status != http.StatusOK {
			t.Fatalf("%s delivery %+v", topic, d)
		}
	}
	deliver("orders/create")
	row := h.waitOrder(o.ID, "synced as a sale order", status(schemas.StatusSynced))
	if row.InvoiceID != nil || row.InvoiceState != "" {
		t.Errorf("a pending order got an invoice: %+v", row)
	}
	if so := saleOrderOf(h, o.ID); so == nil || so["state"] != "sale" {
		t.Fatalf("sale order %v, want it confirmed", so)
	}
	if n := len(h.recordsWhere("account.move", "move_type", "out_invoice")); n != 0 {
		t.Fatalf("%d invoices for a pending order", n)
	}

	sim.EditOrder(o.ID, func(o *shopifysim.Order) { o.FinancialStatus, o.Transactions = "PAID", sale })
	deliver("orders/paid")
	deliver("orders/updated")
	h.waitOrder(o.ID, "invoiced and paid", func(r orders.Order) bool {
		return r.Status == schemas.StatusSynced && r.InvoiceState == "posted" && r.PaymentState == "paid"
	})
	if n := len(h.recordsWhere("sale.order", "origin", stableKey(o.ID))); n != 1 {
		t.Errorf("%d sale orders", n)
	}
	if n := len(h.recordsWhere("account.move", "move_type", "out_invoice")); n != 1 {
		t.Errorf("%d invoices, want 1", n)
	}
	if n := len(h.recordsWhere("account.payment", "payment_type", "inbound")); n != 1 {
		t.Errorf("%d payments, want 1", n)
	}
}
