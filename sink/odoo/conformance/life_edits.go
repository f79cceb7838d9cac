package conformance

// The order's life after its first sync: edits (lines added, removed, changed; shipping,
// address, note and tags) reach its sale order, draft invoice or direct invoice; a
// posted invoice stays as it is (a warning) or is credited and made again; cancellations
// take the path Odoo needs, credit a posted invoice first and are refused when the
// goods left; an order cancelled before its first sync is not made at all. Each step
// is applied twice: the second apply must change nothing.

import (
	"slices"
	"strings"
	"time"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
)

// lifeOrder: Jane's 2 × Widget at 45.00 and 1 × Gadget at 20.00 (15 % sales tax),
// Standard shipping 5.00: untaxed 115, tax 16.50, total 131.50.
func lifeOrder(e *Env) schemas.Order {
	return finish(order(e, 0, []schemas.LineItem{
		item("CONF-WIDGET", "Widget", 2, "45.00", tax("Sales Tax", "0.15", "13.50")),
		item("CONF-GADGET", "Gadget", 1, "20.00", tax("Sales Tax", "0.15", "3.00")),
	}, shipping("5.00")))
}

var lifeLines = []Line{
	{Code: "CONF-WIDGET", Qty: "2", Price: "45", Subtotal: "90", Taxes: []Tax{{Percent: "15"}}},
	{Code: "CONF-GADGET", Qty: "1", Price: "20", Subtotal: "20", Taxes: []Tax{{Percent: "15"}}},
	{Code: odoo.ShippingCode, Name: "Standard", Qty: "1", Price: "5", Subtotal: "5"},
}

// edit is the order after an edit in Shopify: a copy (the base order's slices are
// not touched), a later updated_at, totals computed again.
func edit(o schemas.Order, f func(o *schemas.Order)) schemas.Order {
	o.LineItems = slices.Clone(o.LineItems)
	o.ShippingLines = slices.Clone(o.ShippingLines)
	o.UpdatedAt = o.UpdatedAt.Add(time.Hour)
	f(&o)
	return finish(o)
}

func current(li *schemas.LineItem, n int32) {
	li.CurrentQuantity = &n
	if n > li.Quantity {
		li.Quantity = n
	}
}

// bigEdit: Widget 3 × 40.00, Gadget removed, a new Gizmo 1 × 12.00, Express shipping
// 7.50, shipped to John in Cupertino, a note and a tag: untaxed 139.50, tax 19.80,
// total 159.30.
func bigEdit(o schemas.Order) schemas.Order {
	return edit(o, func(o *schemas.Order) {
		w := &o.LineItems[0]
		current(w, 3)
		w.Price, w.TaxLines = dec("40.00"), []schemas.TaxLine{tax("Sales Tax", "0.15", "18.00")}
		current(&o.LineItems[1], 0)
		o.LineItems = append(o.LineItems, item("CONF-GIZMO", "Gizmo", 1, "12.00", tax("Sales Tax", "0.15", "1.80")))
		o.ShippingLines[0].Title, o.ShippingLines[0].Code = "Express", "EXP"
		o.ShippingLines[0].Price, o.ShippingLines[0].DiscountedPrice = dec("7.50"), dec("7.50")
		ship := caShipping
		o.ShippingAddress = &ship
		o.Note, o.Tags = "Leave at the door", "vip"
	})
}

var (
	bigEditWidget = Line{Code: "CONF-WIDGET", Qty: "3", Price: "40", Subtotal: "120", Taxes: []Tax{{Percent: "15"}}}
	bigEditShip   = Line{Code: odoo.ShippingCode, Name: "Express", Qty: "1", Price: "7.5", Subtotal: "7.5"}
	bigEditGizmo  = Line{Code: "CONF-GIZMO", Qty: "1", Price: "12", Subtotal: "12", Taxes: []Tax{{Percent: "15"}}}
	johnDelivery  = &Partner{Type: "delivery", Name: "John Receiver", Street: "1 Infinite Loop", City: "Cupertino", Zip: "95014", Country: "US", State: "CA"}
)

func withTags(s *schemas.ShopSettings) { s.Include.Tags = true }

// smallEdit: Widget 3 × 45.00 and a new Gizmo 1 × 12.00, nothing removed: untaxed
// 172, tax 25.05, total 197.05.
func smallEdit(o schemas.Order) schemas.Order {
	return edit(o, func(o *schemas.Order) {
		current(&o.LineItems[0], 3)
		o.LineItems[0].TaxLines = []schemas.TaxLine{tax("Sales Tax", "0.15", "20.25")}
		o.LineItems = append(o.LineItems, item("CONF-GIZMO", "Gizmo", 1, "12.00", tax("Sales Tax", "0.15", "1.80")))
	})
}

var smallEditLines = []Line{
	{Code: "CONF-WIDGET", Qty: "3", Price: "45", Subtotal: "135", Taxes: []Tax{{Percent: "15"}}},
	{Code: "CONF-GADGET", Qty: "1", Price: "20", Subtotal: "20", Taxes: []Tax{{Percent: "15"}}},
	{Code: odoo.ShippingCode, Qty: "1", Price: "5", Subtotal: "5"},
	bigEditGizmo,
}

func cancelled(o schemas.Order) schemas.Order {
	return edit(o, func(o *schemas.Order) {
		at := o.UpdatedAt
		o.CancelledAt, o.CancelReason = &at, "customer"
	})
}

func lifeEdits() []Scenario {
	return []Scenario{
		{"edit: a draft sale order follows the order (lines added, removed, changed; shipping, address, note)", func(e *Env) Case {
			o := lifeOrder(e)
			x2 := withJane(e, Expect{Model: "sale.order", Currency: "USD", Untaxed: "139.5", Tax: "19.8", Total: "159.3",
				Lines: []Line{bigEditWidget, bigEditShip, bigEditGizmo}, Shipping: johnDelivery,
				Check: func(e *Env, res odoo.Result) { e.noteHas(res, "Leave at the door", "Tags: vip") }}, "draft")
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{Settings: withTags, SO: schemas.SaleOrderDraft, Expect: withJane(e, Expect{Model: "sale.order", Currency: "USD", Untaxed: "115", Tax: "16.5", Total: "131.5", Lines: lifeLines}, "draft")},
				{Settings: withTags, SO: schemas.SaleOrderDraft, Order: bigEdit, Expect: x2},
			}}
		}},
		{"edit: a confirmed sale order keeps a removed line at quantity 0", func(e *Env) Case {
			o := lifeOrder(e)
			gadget0 := Line{Code: "CONF-GADGET", Qty: "0", Price: "20", Subtotal: "0", Taxes: []Tax{{Percent: "15"}}}
			x2 := withJane(e, Expect{Model: "sale.order", Currency: "USD", Untaxed: "139.5", Tax: "19.8", Total: "159.3",
				Lines: []Line{bigEditWidget, gadget0, bigEditShip, bigEditGizmo}, Shipping: johnDelivery}, "sale")
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{SO: schemas.SaleOrderConfirmed, Expect: withJane(e, Expect{Model: "sale.order", Currency: "USD", Total: "131.5", Lines: lifeLines}, "sale")},
				{SO: schemas.SaleOrderConfirmed, Order: bigEdit, Expect: x2},
			}}
		}},
		{"edit: lowering a delivered quantity needs attention (Odoo's reason)", func(e *Env) Case {
			o := lifeOrder(e)
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{SO: schemas.SaleOrderConfirmed, Expect: Expect{Model: "sale.order", State: "sale", Currency: "USD", Total: "131.5", Lines: lifeLines,
					Check: func(e *Env, res odoo.Result) { e.Deliver(res.ID) }}},
				{SO: schemas.SaleOrderConfirmed, Order: func(o schemas.Order) schemas.Order {
					return edit(o, func(o *schemas.Order) {
						current(&o.LineItems[0], 1)
						o.LineItems[0].TaxLines = []schemas.TaxLine{tax("Sales Tax", "0.15", "6.75")}
					})
				}, Expect: Expect{Err: "cannot be decreased below the amount already delivered", Attention: true,
					Check: func(e *Env, _ odoo.Result) {
						// Nothing changed in Odoo: the write was refused as a whole.
						so := e.read1("sale.order", e.results[1].ID, []string{"amount_total"})
						if !num(so["amount_total"]).Equal(dec("131.5")) {
							e.t.Errorf("refused edit: total %v, want 131.5", so["amount_total"])
						}
					}}},
			}}
		}},
		{"edit: a posted invoice is not rewritten: a warning", func(e *Env) Case {
			o := lifeOrder(e)
			x1 := Expect{Model: "sale.order", State: "sale", Currency: "USD", Total: "131.5", Lines: lifeLines, Invoice: &Invoice{State: "posted"}}
			x2 := Expect{Model: "sale.order", State: "sale", Currency: "USD", Untaxed: "172", Tax: "25.05", Total: "197.05", Lines: smallEditLines,
				Warnings: []string{"is posted: Odoo has invoiced 131.50 USD, the order is now 197.05 USD"},
				Check: func(e *Env, res odoo.Result) {
					if res.InvoiceID != e.results[1].InvoiceID {
						e.t.Errorf("invoice %d, want the posted %d kept", res.InvoiceID, e.results[1].InvoiceID)
					}
					inv := e.read1("account.move", res.InvoiceID, []string{"state", "amount_total"})
					if inv.String("state") != "posted" || !num(inv["amount_total"]).Equal(dec("131.5")) {
						e.t.Errorf("posted invoice %v", inv)
					}
				}}
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{SO: schemas.SaleOrderConfirmed, Inv: schemas.InvoicePosted, Expect: x1},
				{SO: schemas.SaleOrderConfirmed, Inv: schemas.InvoicePosted, Order: smallEdit, Expect: x2},
			}}
		}},
		{"edit: a posted invoice is credited and invoiced again (credit_and_reissue)", func(e *Env) Case {
			o := lifeOrder(e)
			reissue := func(s *schemas.ShopSettings) { s.PostedInvoiceEdits = schemas.PostedInvoiceCreditAndReissue }
			x1 := Expect{Model: "sale.order", State: "sale", Currency: "USD", Total: "131.5", Lines: lifeLines, Invoice: &Invoice{State: "posted"}}
			x2 := Expect{Model: "sale.order", State: "sale", Currency: "USD", Untaxed: "172", Tax: "25.05", Total: "197.05", Lines: smallEditLines,
				Warnings: []string{"credited in full and the edited order invoiced again"},
				Check: func(e *Env, res odoo.Result) {
					old := e.results[1].InvoiceID
					if res.InvoiceID == old || res.InvoiceID == 0 {
						e.t.Fatalf("invoice %d, want a new one (the old one is %d)", res.InvoiceID, old)
					}
					e.creditedOnce(old, "131.5")
					inv := e.read1("account.move", res.InvoiceID, []string{"state", "amount_total", "move_type"})
					if inv.String("state") != "posted" || inv.String("move_type") != "out_invoice" || !num(inv["amount_total"]).Equal(dec("197.05")) {
						e.t.Errorf("new invoice %v, want posted 197.05", inv)
					}
					e.registered(odoo.InvoiceXMLID(Shop, o.ID), "account.move", res.InvoiceID)
					if st := e.text("sale.order", res.ID, "invoice_status"); st != "invoiced" {
						e.t.Errorf("invoice_status %q, want invoiced", st)
					}
				}}
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{Settings: reissue, SO: schemas.SaleOrderConfirmed, Inv: schemas.InvoicePosted, Expect: x1},
				{Settings: reissue, SO: schemas.SaleOrderConfirmed, Inv: schemas.InvoicePosted, Order: smallEdit, Expect: x2},
			}}
		}},
		{"edit: a draft invoice of the sale order follows it", func(e *Env) Case {
			o := lifeOrder(e)
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{SO: schemas.SaleOrderConfirmed, Inv: schemas.InvoiceDraft, Expect: Expect{Model: "sale.order", State: "sale", Currency: "USD", Total: "131.5",
					Lines: lifeLines, Invoice: &Invoice{State: "draft"}}},
				{SO: schemas.SaleOrderConfirmed, Inv: schemas.InvoiceDraft, Order: smallEdit, Expect: Expect{Model: "sale.order", State: "sale", Currency: "USD",
					Untaxed: "172", Tax: "25.05", Total: "197.05", Lines: smallEditLines, Invoice: &Invoice{State: "draft"}}},
			}}
		}},
		{"edit: a draft direct invoice follows the order", func(e *Env) Case {
			o := lifeOrder(e)
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{SO: schemas.SaleOrderNone, Inv: schemas.InvoiceDraft, Expect: Expect{Model: "account.move", State: "draft", Currency: "USD", Total: "131.5", Lines: lifeLines}},
				{SO: schemas.SaleOrderNone, Inv: schemas.InvoiceDraft, Order: bigEdit, Expect: Expect{Model: "account.move", State: "draft", Currency: "USD",
					Untaxed: "139.5", Tax: "19.8", Total: "159.3", Lines: []Line{bigEditWidget, bigEditShip, bigEditGizmo}, Shipping: johnDelivery,
					Partner: &Partner{Name: "Jane Conformance"}}},
			}}
		}},

		// ---- cancellations
		{"cancel: a draft sale order", func(e *Env) Case {
			o := lifeOrder(e)
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{SO: schemas.SaleOrderDraft, Expect: Expect{Model: "sale.order", State: "draft", Currency: "USD", Total: "131.5", Lines: lifeLines}},
				{SO: schemas.SaleOrderCancelled, Order: cancelled, Expect: Expect{Model: "sale.order", State: "cancel", Currency: "USD", Total: "131.5", Lines: lifeLines}},
			}}
		}},
		{"cancel: a confirmed sale order and its draft invoice", func(e *Env) Case {
			o := lifeOrder(e)
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{SO: schemas.SaleOrderConfirmed, Inv: schemas.InvoiceDraft, Expect: Expect{Model: "sale.order", State: "sale", Currency: "USD", Total: "131.5",
					Lines: lifeLines, Invoice: &Invoice{State: "draft"}}},
				{SO: schemas.SaleOrderCancelled, Inv: schemas.InvoiceDraft, Order: cancelled, Expect: Expect{Model: "sale.order", State: "cancel", Currency: "USD",
					Total: "131.5", Lines: lifeLines, Check: func(e *Env, res odoo.Result) {
						if st := e.text("account.move", e.results[1].InvoiceID, "state"); st != "cancel" {
							e.t.Errorf("draft invoice %s, want cancel", st)
						}
						e.noCredit(e.results[1].InvoiceID)
					}}},
			}}
		}},
		{"cancel: a posted invoice is credited first, then the order cancelled", func(e *Env) Case {
			o := lifeOrder(e)
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{SO: schemas.SaleOrderConfirmed, Inv: schemas.InvoicePosted, Expect: Expect{Model: "sale.order", State: "sale", Currency: "USD", Total: "131.5",
					Lines: lifeLines, Invoice: &Invoice{State: "posted"}}},
				{SO: schemas.SaleOrderCancelled, Inv: schemas.InvoicePosted, Order: cancelled, Expect: Expect{Model: "sale.order", State: "cancel", Currency: "USD",
					Total: "131.5", Lines: lifeLines, Check: func(e *Env, res odoo.Result) {
						if st := e.text("account.move", e.results[1].InvoiceID, "state"); st != "posted" {
							e.t.Errorf("invoice %s, want it posted (credited, not changed)", st)
						}
						e.creditedOnce(e.results[1].InvoiceID, "131.5")
					}}},
			}}
		}},
		{"cancel: an order made as an invoice alone has its posted invoice credited", func(e *Env) Case {
			o := lifeOrder(e)
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{SO: schemas.SaleOrderNone, Inv: schemas.InvoicePosted, Expect: Expect{Model: "account.move", State: "posted", Currency: "USD", Total: "131.5", Lines: lifeLines}},
				{SO: schemas.SaleOrderCancelled, Inv: schemas.InvoicePosted, Order: cancelled, Expect: Expect{Model: "account.move", State: "posted", Currency: "USD",
					Total: "131.5", Lines: lifeLines, Check: func(e *Env, res odoo.Result) {
						e.creditedOnce(res.ID, "131.5")
						if !res.Cancelled {
							e.t.Errorf("result %+v does not say the order is cancelled", res)
						}
					}}},
				{SO: schemas.SaleOrderCancelled, Inv: schemas.InvoicePosted, Order: cancelled, Fresh: true, Expect: Expect{Model: "account.move", State: "posted", Currency: "USD",
					Total: "131.5", Lines: lifeLines, Check: func(e *Env, res odoo.Result) { e.creditedOnce(res.ID, "131.5") }}},
			}}
		}},
		{"cancel: an order made as a draft invoice alone has it cancelled", func(e *Env) Case {
			o := lifeOrder(e)
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{SO: schemas.SaleOrderNone, Inv: schemas.InvoiceDraft, Expect: Expect{Model: "account.move", State: "draft", Currency: "USD", Total: "131.5", Lines: lifeLines}},
				{SO: schemas.SaleOrderCancelled, Inv: schemas.InvoiceDraft, Order: cancelled, Expect: Expect{Model: "account.move", State: "cancel", Currency: "USD",
					Total: "131.5", Lines: lifeLines, Check: func(e *Env, res odoo.Result) { e.noCredit(res.ID) }}},
			}}
		}},
		{"cancel: refused when the delivery is validated (needs attention)", func(e *Env) Case {
			o := lifeOrder(e)
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{SO: schemas.SaleOrderConfirmed, Inv: schemas.InvoicePosted, Expect: Expect{Model: "sale.order", State: "sale", Currency: "USD", Total: "131.5",
					Lines: lifeLines, Invoice: &Invoice{State: "posted"}, Check: func(e *Env, res odoo.Result) { e.Deliver(res.ID) }}},
				{SO: schemas.SaleOrderCancelled, Inv: schemas.InvoicePosted, Order: cancelled, Expect: Expect{Err: "has a validated delivery", Attention: true,
					Check: func(e *Env, _ odoo.Result) {
						if st := e.text("sale.order", e.results[1].ID, "state"); st != "sale" {
							e.t.Errorf("refused cancellation: order %s, want sale", st)
						}
						e.noCredit(e.results[1].InvoiceID)
					}}},
			}}
		}},
		{"cancel: an order cancelled before its first sync is not made", func(e *Env) Case {
			o := cancelled(lifeOrder(e))
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{SO: schemas.SaleOrderCancelled, Expect: Expect{Check: func(e *Env, res odoo.Result) {
					if res.Model != "" || res.ID != 0 || !strings.Contains(res.NotSynced, "cancelled before it was synced") {
						e.t.Errorf("result %+v, want nothing made and the reason", res)
					}
					got, err := odoo.SearchRead(e.ctx, e.c, "sale.order", []any{[]any{"origin", "=", odoo.StableKey(Shop, o.ID)}}, []string{"id"}, nil)
					if err != nil || len(got) != 0 {
						e.t.Errorf("sale orders of the cancelled order: %v %v", got, err)
					}
				}}},
			}}
		}},
	}
}

// noteHas checks the sale order's note holds each text.
func (e *Env) noteHas(res odoo.Result, texts ...string) {
	e.t.Helper()
	so := e.read1("sale.order", res.ID, []string{"note"})
	for _, t := range texts {
		if !strings.Contains(so.String("note"), t) {
			e.t.Errorf("note %q, want it to hold %q", so.String("note"), t)
		}
	}
}

// Deliver validates every open delivery of a sale order, as a warehouse worker would
// (16 needs the done quantities first; the SMS wizard is skipped; a wizard Odoo shows
// is answered).
func (e *Env) Deliver(so int64) {
	e.t.Helper()
	ctx := map[string]any{"skip_sms": true, "skip_immediate": true, "skip_backorder": true}
	for _, pk := range e.read1("sale.order", so, []string{"picking_ids"}).IDs("picking_ids") {
		p := e.read1("stock.picking", pk, []string{"state", "move_ids"})
		if st := p.String("state"); st == "done" || st == "cancel" {
			continue
		}
		if e.Version <= 16 {
			for _, m := range e.read("stock.move", p.IDs("move_ids"), []string{"product_uom_qty"}) {
				if err := odoo.Write(e.ctx, e.c, "stock.move", []int64{m.ID()}, map[string]any{"quantity_done": m["product_uom_qty"]}); err != nil {
					e.t.Fatalf("deliver: %v", err)
				}
			}
		}
		ans, err := e.c.Call(e.ctx, "stock.picking", "button_validate", []any{[]int64{pk}}, map[string]any{"context": ctx})
		for i := 0; err == nil && i < 3; i++ {
			act, ok := ans.(map[string]any)
			if !ok {
				break
			}
			model, _ := act["res_model"].(string)
			actx, _ := act["context"].(map[string]any)
			method := map[string]string{"stock.immediate.transfer": "process", "stock.backorder.confirmation": "process", "confirm.stock.sms": "dont_send_sms"}[model]
			if method == "" {
				break
			}
			var wiz int64
			if wiz, err = odoo.Create(e.ctx, e.c, model, map[string]any{}, map[string]any{"context": actx}); err == nil {
				ans, err = e.c.Call(e.ctx, model, method, []any{[]int64{wiz}}, map[string]any{"context": actx})
			}
		}
		if err != nil && !odoo.IsNoneFault(err) {
			e.t.Fatalf("deliver %d: %v", pk, err)
		}
		if st := e.text("stock.picking", pk, "state"); st != "done" {
			e.t.Fatalf("delivery %d is %s after validating it", pk, st)
		}
	}
}

// creditNotes are the credit notes reversing an invoice, but cancelled ones.
func (e *Env) creditNotes(inv int64) []odoo.Record {
	e.t.Helper()
	return e.reversals(inv, []any{"state", "!=", "cancel"})
}

// refundNotes are the invoice's credit notes (out_refund), cancelled ones too.
func (e *Env) refundNotes(inv int64) []odoo.Record {
	e.t.Helper()
	return e.reversals(inv, []any{"move_type", "=", "out_refund"})
}

// reversals reads the moves reversing an invoice that also match cond.
func (e *Env) reversals(inv int64, cond []any) []odoo.Record {
	e.t.Helper()
	got, err := odoo.SearchRead(e.ctx, e.c, "account.move", []any{[]any{"reversed_entry_id", "=", inv}, cond},
		[]string{"state", "move_type", "amount_total", "partner_id", "payment_state", "invoice_line_ids", "ref"}, nil)
	if err != nil {
		e.t.Fatalf("read credit notes of invoice %d: %v", inv, err)
	}
	return got
}

// creditedOnce checks an invoice has exactly one posted credit note of the amount.
func (e *Env) creditedOnce(inv int64, amount string) {
	e.t.Helper()
	cn := e.creditNotes(inv)
	if len(cn) != 1 || cn[0].String("state") != "posted" || cn[0].String("move_type") != "out_refund" || !num(cn[0]["amount_total"]).Equal(dec(amount)) {
		e.t.Errorf("credit notes of invoice %d: %v, want one posted out_refund of %s", inv, cn, amount)
	}
}

func (e *Env) noCredit(inv int64) {
	e.t.Helper()
	if cn := e.creditNotes(inv); len(cn) != 0 {
		e.t.Errorf("credit notes of invoice %d: %v, want none", inv, cn)
	}
}
