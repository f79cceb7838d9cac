//go:build conformance

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/query/orders"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopifysim"
	"github.com/synco-dev/synco/sink/odoo"
	"github.com/synco-dev/synco/sink/odoo/conformance"
)

// TestRealOdooWholePipeline runs the whole pipeline against the real Odoo ODOO_URL
// names (`make conformance` starts Odoo 16, 17, 18 and 19 and runs it on each):
// Shopify (the simulator: its Admin API and its deliveries) → ingest → processor → the
// Odoo sink → real Odoo → ClickHouse → the API. A paid order, delivered twice, ends as
// one confirmed sale order with one posted invoice paid once; a refund of one item
// (refunds/create, then orders/updated, each delivered twice) ends as one credit note
// of that item paid out once; a second order cancelled with all of it refunded
// (orders/cancelled) ends with its sale order cancelled and its invoice credited once
// in full, the money paid out once; the table says what Odoo holds. Every order id is
// new per run (the Odoo database keeps what earlier runs made).
func TestRealOdooWholePipeline(t *testing.T) {
	cfg, tg := conformance.RealFromEnv(t)
	h := newHarnessWith(t, `
create: sale_order_confirmed_invoice
sync_refunds: true
cancel_sale_order: true
`, cfg.Password)
	h.odooURL, h.odooDB, h.odooUser = cfg.URL, cfg.DB, cfg.Username
	run := time.Now().UnixMilli() % 1_000_000_000
	sim := h.withShopify(func(o *shopifysim.Options) { o.FirstID = 1<<53 + run*1000 })
	h.start(allStages...)
	ctx := context.Background()
	c := tg.Client
	deliver := func(topic string, body []byte) {
		t.Helper()
		for range 2 { // Shopify delivers at least once
			if d := sim.DeliverTo(ctx, h.publicURL+"/webhooks/shopify", topic, "", body); d.Status != http.StatusOK {
				t.Fatalf("%s delivery: %+v", topic, d)
			}
		}
	}
	read := func(model string, domain []any, fields ...string) []odoo.Record {
		t.Helper()
		got, err := odoo.SearchRead(ctx, c, model, domain, fields, map[string]any{"order": "id"})
		if err != nil {
			t.Fatalf("read %s in Odoo: %v", model, err)
		}
		return got
	}

	o := sim.AddSampleOrders(1, time.Now().Add(-time.Hour))[0]
	deliver("orders/paid", sim.RESTOrderJSON(o))
	row := h.waitOrder(o.ID, "synced and paid in Odoo", func(r orders.Order) bool {
		return r.Status == schemas.StatusSynced && (r.PaymentState == "paid" || r.PaymentState == "in_payment")
	})
	sos := read("sale.order", []any{[]any{"origin", "=", stableKey(o.ID)}}, "id", "state", "amount_total", "invoice_ids")
	if len(sos) != 1 || sos[0].String("state") != "sale" {
		t.Fatalf("sale orders of order %d in Odoo: %v, want one confirmed", o.ID, sos)
	}
	if row.OdooID == nil || int64(*row.OdooID) != sos[0].ID() {
		t.Errorf("the table's odoo_id %v, Odoo's sale order %d", row.OdooID, sos[0].ID())
	}
	if got, want := money(sos[0]["amount_total"], 2), o.TotalPrice.Shop.StringFixed(2); got != want {
		t.Errorf("sale order total %s in Odoo, Shopify's %s", got, want)
	}
	var soInvs []any
	for _, id := range sos[0].IDs("invoice_ids") {
		soInvs = append(soInvs, id)
	}
	invs := read("account.move", []any{[]any{"move_type", "=", "out_invoice"}, []any{"id", "in", soInvs}}, "id", "state", "payment_state")
	if len(invs) != 1 || invs[0].String("state") != "posted" {
		t.Fatalf("invoices of the sale order: %v, want one posted", invs)
	}
	memo := "ref"
	if tg.Version >= 18 {
		memo = "memo"
	}
	// A payment's memo names its Shopify transaction (the order's name is not unique
	// across runs, the transaction's id is).
	var saleIDs []any
	for _, tx := range o.Transactions {
		if (tx.Kind == "SALE" || tx.Kind == "CAPTURE") && tx.Status == "SUCCESS" {
			saleIDs = append(saleIDs, fmt.Sprintf("%s Shopify transaction %d", o.Name, tx.ID))
		}
	}
	payments := func(kind string, memos []any) []odoo.Record {
		return read("account.payment", []any{[]any{memo, "in", memos}, []any{"payment_type", "=", kind}, []any{"state", "!=", "cancel"}}, "id", "amount")
	}
	if len(saleIDs) == 0 {
		t.Fatalf("the sample order has no successful sale: %+v", o.Transactions)
	}
	if in := payments("inbound", saleIDs); len(in) != len(saleIDs) {
		t.Fatalf("payments of the order's %d sales in Odoo: %v, want one each", len(saleIDs), in)
	}

	// A refund of one of the first line, money back on the card.
	refundID, rliID, txID := sim.NewID(), sim.NewID(), sim.NewID()
	now := time.Now().UTC().Truncate(time.Second)
	var refunded decimal.Decimal
	o, err := sim.EditOrder(o.ID, func(o *shopifysim.Order) {
		li := &o.LineItems[0]
		var parent int64
		for _, tx := range o.Transactions {
			if tx.Kind == "SALE" || tx.Kind == "CAPTURE" {
				parent = tx.ID
			}
		}
		// One unit's share of the line, after its discount, as Shopify's refund line
		// item says it: subtotal (tax included when prices include it) and tax.
		q := decimal.NewFromInt(int64(li.Quantity))
		disc := li.TotalDiscount.Shop
		for _, a := range li.DiscountAllocations {
			disc = decimal.Max(disc, a.Shop)
		}
		unit := li.Price.Shop.Sub(disc.Div(q)).Round(2)
		tax := decimal.Zero
		for _, tl := range li.TaxLines {
			tax = tax.Add(tl.Price.Shop.Div(q).Round(2))
		}
		refunded = unit
		if !o.TaxesIncluded {
			refunded = unit.Add(tax)
		}
		tx := shopifysim.Transaction{ID: txID, ParentID: parent, Kind: "REFUND", Status: "SUCCESS", Gateway: "shopify_payments",
			Amount: shopifysim.Money{Shop: refunded, Presentment: refunded}, ProcessedAt: &now}
		o.Refunds = append(o.Refunds, shopifysim.Refund{ID: refundID, CreatedAt: now, Note: "conformance",
			RefundLineItems: []shopifysim.RefundLineItem{{ID: rliID, LineItemID: li.ID, Quantity: 1, RestockType: "CANCEL",
				Subtotal: shopifysim.Money{Shop: unit, Presentment: unit}, TotalTax: shopifysim.Money{Shop: tax, Presentment: tax}}},
			Transactions: []shopifysim.Transaction{tx}})
		o.Transactions = append(o.Transactions, tx)
		li.CurrentQuantity--
		o.CurrentTotalPrice = shopifysim.Money{Shop: o.CurrentTotalPrice.Shop.Sub(refunded), Presentment: o.CurrentTotalPrice.Presentment.Sub(refunded)}
		o.FinancialStatus = "PARTIALLY_REFUNDED"
	})
	if err != nil {
		t.Fatal(err)
	}
	body, err := sim.RefundJSON(o.ID, refundID)
	if err != nil {
		t.Fatal(err)
	}
	deliver("refunds/create", body)
	deliver("orders/updated", sim.RESTOrderJSON(o))
	row = h.waitOrder(o.ID, "the refund credited in Odoo", func(r orders.Order) bool {
		d, err := decimal.NewFromString(r.RefundedAmount)
		return err == nil && d.Equal(refunded)
	})
	cns := read("account.move", []any{[]any{"move_type", "=", "out_refund"}, []any{"reversed_entry_id", "=", invs[0].ID()}}, "id", "state", "amount_total", "payment_state")
	if len(cns) != 1 || cns[0].String("state") != "posted" ||
		money(cns[0]["amount_total"], 2) != refunded.StringFixed(2) {
		t.Fatalf("credit notes of the invoice in Odoo: %v, want one posted of %s", cns, refunded.StringFixed(2))
	}
	if out := payments("outbound", []any{fmt.Sprintf("%s Shopify transaction %d", o.Name, txID)}); len(out) != 1 || money(out[0]["amount"], 2) != refunded.StringFixed(2) {
		t.Errorf("refund payouts in Odoo: %v, want one of %s", out, refunded.StringFixed(2))
	}
	if in := payments("inbound", saleIDs); len(in) != len(saleIDs) {
		t.Errorf("payments of the order in Odoo after the refund: %v, want still one a sale", in)
	}
	if row.Status != schemas.StatusSynced {
		t.Errorf("the table says %s after the refund, want synced", row.Status)
	}
	t.Logf("order %d: sale order %d, invoice %d, credit note %d in real Odoo", o.ID, sos[0].ID(), invs[0].ID(), cns[0].ID())

	// Cancelled with all of it refunded, as Shopify's "cancel order" with "refund" does.
	p := sim.AddSampleOrders(1, time.Now().Add(-time.Hour))[0]
	deliver("orders/paid", sim.RESTOrderJSON(p))
	h.waitOrder(p.ID, "the second order synced and paid", func(r orders.Order) bool {
		return r.Status == schemas.StatusSynced && (r.PaymentState == "paid" || r.PaymentState == "in_payment")
	})
	cancelRefund, cancelTx := sim.NewID(), sim.NewID()
	var rliIDs []int64
	for range p.LineItems {
		rliIDs = append(rliIDs, sim.NewID())
	}
	shipID := sim.NewID()
	p, err = sim.EditOrder(p.ID, func(o *shopifysim.Order) {
		var parent int64
		for _, tx := range o.Transactions {
			if tx.Kind == "SALE" || tx.Kind == "CAPTURE" {
				parent = tx.ID
			}
		}
		rf := shopifysim.Refund{ID: cancelRefund, CreatedAt: now, Note: "cancelled"}
		for i := range o.LineItems {
			li := &o.LineItems[i]
			sub := li.Price.Shop.Mul(decimal.NewFromInt(int64(li.Quantity))).Sub(li.TotalDiscount.Shop)
			tax := decimal.Zero
			for _, tl := range li.TaxLines {
				tax = tax.Add(tl.Price.Shop)
			}
			rf.RefundLineItems = append(rf.RefundLineItems, shopifysim.RefundLineItem{ID: rliIDs[i], LineItemID: li.ID, Quantity: li.Quantity,
				RestockType: "CANCEL", Subtotal: shopifysim.Money{Shop: sub, Presentment: sub}, TotalTax: shopifysim.Money{Shop: tax, Presentment: tax}})
			li.CurrentQuantity = 0
		}
		for _, sl := range o.ShippingLines {
			tax := decimal.Zero
			for _, tl := range sl.TaxLines {
				tax = tax.Add(tl.Price.Shop)
			}
			rf.RefundShippingLines = append(rf.RefundShippingLines, shopifysim.RefundShippingLine{ID: shipID, ShippingLineID: sl.ID,
				Subtotal: sl.DiscountedPrice, Tax: shopifysim.Money{Shop: tax, Presentment: tax}})
		}
		tx := shopifysim.Transaction{ID: cancelTx, ParentID: parent, Kind: "REFUND", Status: "SUCCESS", Gateway: "shopify_payments",
			Amount: o.TotalPrice, ProcessedAt: &now}
		rf.Transactions = []shopifysim.Transaction{tx}
		o.Refunds = append(o.Refunds, rf)
		o.Transactions = append(o.Transactions, tx)
		o.CurrentTotalPrice = shopifysim.Money{}
		o.FinancialStatus, o.CancelledAt, o.CancelReason, o.ClosedAt = "REFUNDED", &now, "CUSTOMER", &now
	})
	if err != nil {
		t.Fatal(err)
	}
	deliver("orders/cancelled", sim.RESTOrderJSON(p))
	h.waitOrder(p.ID, "cancelled in Odoo", func(r orders.Order) bool { return r.Status == schemas.StatusSynced && r.Cancelled })
	psos := read("sale.order", []any{[]any{"origin", "=", stableKey(p.ID)}}, "id", "state", "invoice_ids")
	if len(psos) != 1 || psos[0].String("state") != "cancel" {
		t.Fatalf("sale orders of the cancelled order in Odoo: %v, want one cancelled", psos)
	}
	var pInvIDs []any
	for _, id := range psos[0].IDs("invoice_ids") {
		pInvIDs = append(pInvIDs, id)
	}
	pinvs := read("account.move", []any{[]any{"move_type", "=", "out_invoice"}, []any{"id", "in", pInvIDs}}, "id", "state", "amount_total")
	if len(pinvs) != 1 || pinvs[0].String("state") != "posted" {
		t.Fatalf("invoices of the cancelled order: %v, want one posted (credited, not changed)", pinvs)
	}
	pcns := read("account.move", []any{[]any{"move_type", "=", "out_refund"}, []any{"reversed_entry_id", "=", pinvs[0].ID()}, []any{"state", "!=", "cancel"}},
		"id", "state", "amount_total", "payment_state")
	if len(pcns) != 1 || pcns[0]["amount_total"] != pinvs[0]["amount_total"] || pcns[0].String("state") != "posted" {
		t.Errorf("credit notes of the cancelled order's invoice: %v, want one posted of the invoice's %v", pcns, pinvs[0]["amount_total"])
	}
	if out := payments("outbound", []any{fmt.Sprintf("%s Shopify transaction %d", p.Name, cancelTx)}); len(out) != 1 ||
		money(out[0]["amount"], 2) != p.TotalPrice.Shop.StringFixed(2) {
		t.Errorf("refund payouts of the cancelled order: %v, want one of %s", out, p.TotalPrice.Shop.StringFixed(2))
	}
}
