package conformance

import (
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
)

// The order's life after its documents: payments, refunds with payouts and stock
// returns, and the statuses the Result reports, each checked in Odoo. Every
// transaction and refund id is fresh per run (they are external ids).

var paidOn = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

const paidDate = "2026-11-22"

// payOrder: Widget A 50 + 5 tax, Widget B 30 + 3 tax, shipping 10 untaxed; 98 USD.
func payOrder(e *Env) schemas.Order {
	a := item(e.Unique("LIFE-A"), "Widget A", 1, "50", tax("Tax 10%", "0.10", "5"))
	b := item(e.Unique("LIFE-B"), "Widget B", 1, "30", tax("Tax 10%", "0.10", "3"))
	a.ID, b.ID = 1, 2
	return finish(order(e, 0, []schemas.LineItem{a, b}, shipping("10")))
}

var payLines = []Line{{Name: "Widget A", Qty: "1", Price: "50", Taxes: []Tax{{Percent: "10"}}}, {Name: "Widget B", Qty: "1", Price: "30", Taxes: []Tax{{Percent: "10"}}},
	{Name: "Shipping", Qty: "1", Price: "10"}}

func lifeExpect(check func(e *Env, res odoo.Result)) Expect {
	return Expect{Model: "sale.order", State: "sale", Currency: "USD", Untaxed: "90", Tax: "8", Total: "98",
		Invoice: &Invoice{State: "posted"}, Lines: payLines, Check: check}
}

func sale(e *Env, n int, gateway, amount string) schemas.Transaction {
	return schemas.Transaction{ID: e.OrderID(60 + n), Kind: "sale", Status: "success", Gateway: gateway, Amount: dec(amount),
		AmountPresentment: dec(amount), Currency: "USD", ProcessedAt: &paidOn}
}

// refundOf refunds line items (id → qty, restock) with a refund transaction of amount.
func refundOf(e *Env, n int, restock string, amount string, items map[int64]int32, o *schemas.Order, shippingAmount string) schemas.Refund {
	at := paidOn.Add(24 * time.Hour)
	rf := schemas.Refund{ID: e.OrderID(80 + n), CreatedAt: &at, ProcessedAt: &at,
		Transactions: []schemas.Transaction{{ID: e.OrderID(70 + n), Kind: "refund", Status: "success", Gateway: "shopify_payments",
			Amount: dec(amount), AmountPresentment: dec(amount), Currency: "USD", ProcessedAt: &at}}}
	for i := range o.LineItems {
		li := &o.LineItems[i]
		q, ok := items[li.ID]
		if !ok {
			continue
		}
		sub := li.Price.Mul(decimal.NewFromInt(int64(q)))
		tx := decimal.Zero
		for _, tl := range li.TaxLines {
			tx = tx.Add(tl.Price.Mul(decimal.NewFromInt(int64(q))).Div(decimal.NewFromInt(int64(li.Quantity))))
		}
		rf.RefundLineItems = append(rf.RefundLineItems, schemas.RefundLineItem{ID: rf.ID + int64(i), LineItemID: li.ID, Quantity: q,
			RestockType: restock, Subtotal: sub, SubtotalPresentment: sub, TotalTax: tx, TotalTaxPresentment: tx})
		left := li.Qty() - q
		li.CurrentQuantity = &left
	}
	if shippingAmount != "" {
		rf.RefundShippingLines = []schemas.RefundShippingLine{{ID: rf.ID + 50, ShippingLineID: 1, Amount: dec(shippingAmount), AmountPresentment: dec(shippingAmount)}}
	}
	o.Refunds = append(o.Refunds, rf)
	o.FinancialStatus = "partially_refunded"
	return rf
}

// withRefund is the snapshot after a refund: an edit (copied, later, totals recomputed).
func withRefund(e *Env, n int, restock, amount string, items map[int64]int32, shippingAmount string) func(schemas.Order) schemas.Order {
	return func(o schemas.Order) schemas.Order {
		return edit(o, func(o *schemas.Order) {
			o.Refunds = slices.Clone(o.Refunds)
			refundOf(e, n, restock, amount, items, o, shippingAmount)
		})
	}
}

func paidWith(txs ...schemas.Transaction) func(schemas.Order) schemas.Order {
	return func(o schemas.Order) schemas.Order {
		o.Transactions = append(append([]schemas.Transaction{}, o.Transactions...), txs...)
		return o
	}
}

// payments are the payments Synco made for an order (by their memo).
func (e *Env) payments(o *schemas.Order) []odoo.Record {
	e.t.Helper()
	memo := "ref"
	if e.Version >= 18 {
		memo = "memo"
	}
	got, err := odoo.SearchRead(e.ctx, e.c, "account.payment", []any{[]any{memo, "=like", o.Name + " Shopify transaction %"}},
		[]string{"amount", "journal_id", "state", "payment_type", "date", memo}, map[string]any{"order": "id"})
	if err != nil {
		e.t.Fatalf("read payments: %v", err)
	}
	return got
}

func (e *Env) wantPayments(o *schemas.Order, inbound, outbound []string) []odoo.Record {
	e.t.Helper()
	ps := e.payments(o)
	var in, out []string
	for _, p := range ps {
		if p.String("state") != "posted" && p.String("state") != "paid" && p.String("state") != "in_process" {
			e.t.Errorf("payment %d is %s", p.ID(), p.String("state"))
		}
		a := num(p["amount"]).StringFixed(2)
		if p.String("payment_type") == "outbound" {
			out = append(out, a)
		} else {
			in = append(in, a)
		}
	}
	if strings.Join(in, ",") != strings.Join(inbound, ",") || strings.Join(out, ",") != strings.Join(outbound, ",") {
		e.t.Errorf("payments in %v out %v, want in %v out %v", in, out, inbound, outbound)
	}
	return ps
}

func (e *Env) wantStatus(res odoo.Result, inv, pay, refunded string) {
	e.t.Helper()
	if res.InvoiceState != inv || res.PaymentState != pay || !res.RefundedAmount.Equal(dec(refunded)) {
		e.t.Errorf("result statuses %q %q refunded %s, want %q %q %s", res.InvoiceState, res.PaymentState, res.RefundedAmount, inv, pay, refunded)
	}
	if st := e.text("account.move", res.InvoiceID, "payment_state"); st != pay {
		e.t.Errorf("invoice payment_state %q in Odoo, result says %q", st, pay)
	}
	for _, w := range res.Warnings {
		if strings.HasPrefix(w, "credit note ") || strings.Contains(w, "no payment registered") {
			e.t.Errorf("warning %q", w)
		}
	}
}

func refundsOn(s *schemas.ShopSettings) { s.SyncRefunds = true }

func lifeScenarios() []Scenario {
	so, posted := schemas.SaleOrderConfirmed, schemas.InvoicePosted
	return []Scenario{
		{"paid: one payment, invoice paid", func(e *Env) Case {
			o := payOrder(e)
			o.Transactions = []schemas.Transaction{sale(e, 0, "shopify_payments", "98"),
				{ID: e.OrderID(69), Kind: "authorization", Status: "success", Gateway: "shopify_payments", Amount: dec("98")},
				{ID: e.OrderID(68), Kind: "sale", Status: "failure", Gateway: "shopify_payments", Amount: dec("98")}}
			return Case{Order: o, NoWarm: true, Steps: []Step{{SO: so, Inv: posted, Expect: lifeExpect(func(e *Env, res odoo.Result) {
				ps := e.wantPayments(&o, []string{"98.00"}, nil)
				if len(ps) == 1 && ps[0].String("date") != paidDate {
					e.t.Errorf("payment date %q, want %s", ps[0].String("date"), paidDate)
				}
				e.wantStatus(res, "posted", "paid", "0")
			})}}}
		}},
		{"partial payment, then the rest", func(e *Env) Case {
			o := payOrder(e)
			o.Transactions = []schemas.Transaction{sale(e, 0, "shopify_payments", "40")}
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{SO: so, Inv: posted, Expect: lifeExpect(func(e *Env, res odoo.Result) {
					e.wantPayments(&o, []string{"40.00"}, nil)
					e.wantStatus(res, "posted", "partial", "0")
				})},
				{SO: so, Inv: posted, Order: paidWith(sale(e, 1, "shopify_payments", "58")), Expect: lifeExpect(func(e *Env, res odoo.Result) {
					e.wantPayments(&o, []string{"40.00", "58.00"}, nil)
					e.wantStatus(res, "posted", "paid", "0")
				})},
			}}
		}},
		{"two gateways to two journals", func(e *Env) Case {
			o := payOrder(e)
			ja := e.Create("account.journal", map[string]any{"name": e.Unique("Bank A"), "type": "bank"})
			jb := e.Create("account.journal", map[string]any{"name": e.Unique("Bank B"), "type": "bank"})
			o.Transactions = []schemas.Transaction{sale(e, 0, "gift_card", "20"), sale(e, 1, "paypal", "78")}
			set := func(s *schemas.ShopSettings) {
				s.Payments = schemas.PaymentSettings{Mode: "per_gateway", Gateways: map[string]int64{"gift_card": ja, "paypal": jb}}
			}
			return Case{Order: o, NoWarm: true, Steps: []Step{{Settings: set, SO: so, Inv: posted, Expect: lifeExpect(func(e *Env, res odoo.Result) {
				ps := e.wantPayments(&o, []string{"20.00", "78.00"}, nil)
				if len(ps) == 2 && (ps[0].M2O("journal_id") != ja || ps[1].M2O("journal_id") != jb) {
					e.t.Errorf("journals %v %v, want %d %d", ps[0]["journal_id"], ps[1]["journal_id"], ja, jb)
				}
				e.wantStatus(res, "posted", "paid", "0")
			})}}}
		}},
		{"sync_payment_method makes Card (gateway) once", func(e *Env) Case {
			o := payOrder(e)
			gw := strings.ToLower(e.Unique("gw"))
			o.Transactions = []schemas.Transaction{sale(e, 0, gw, "98")}
			set := func(s *schemas.ShopSettings) {
				s.Payments = schemas.PaymentSettings{Mode: "per_gateway", Gateways: map[string]int64{}, SyncPaymentMethod: true}
			}
			second := func(schemas.Order) schemas.Order {
				o2 := payOrder(e)
				o2.ID, o2.Name = e.OrderID(1), o.Name+"-2"
				o2.Transactions = []schemas.Transaction{sale(e, 1, gw, "98")}
				return o2
			}
			check := func(e *Env, res odoo.Result) {
				js, err := odoo.SearchRead(e.ctx, e.c, "account.journal", []any{[]any{"name", "=", "Card (" + gw + ")"}}, []string{"id", "type"}, nil)
				if err != nil || len(js) != 1 || js[0].String("type") != "bank" {
					e.t.Fatalf("journals Card (%s): %v %v", gw, js, err)
				}
				var o schemas.Order
				o.Name = e.text("account.move", res.InvoiceID, "ref")
				ps := e.wantPayments(&o, []string{"98.00"}, nil)
				if len(ps) == 1 && ps[0].M2O("journal_id") != js[0].ID() {
					e.t.Errorf("journal %v, want Card (%s) %d", ps[0]["journal_id"], gw, js[0].ID())
				}
			}
			x := lifeExpect(check)
			return Case{Order: o, NoWarm: true, Steps: []Step{{Settings: set, SO: so, Inv: posted, Expect: x},
				{Settings: set, SO: so, Inv: posted, Order: second, Fresh: true, Expect: x}}}
		}},
		{"refund of 1 of 2 items restocked after the delivery", func(e *Env) Case {
			o := payOrder(e)
			o.Transactions = []schemas.Transaction{sale(e, 0, "shopify_payments", "98")}
			x2 := lifeExpect(func(e *Env, res odoo.Result) {
				e.wantPayments(&o, []string{"98.00"}, []string{"33.00"})
				e.wantStatus(res, "posted", "paid", "33")
				cns := e.refundNotes(res.InvoiceID)
				if len(cns) != 1 || cns[0].String("state") != "posted" || cns[0].String("payment_state") != "paid" || !num(cns[0]["amount_total"]).Equal(dec("33")) {
					e.t.Errorf("credit notes %v", cns)
				}
				picks, _ := odoo.SearchRead(e.ctx, e.c, "stock.picking", []any{[]any{"sale_id", "=", res.ID}, []any{"picking_type_code", "=", "incoming"}}, []string{"state", "move_ids"}, nil)
				if len(picks) != 1 || picks[0].String("state") != "done" {
					e.t.Fatalf("returns %v", picks)
				}
				mv := e.read("stock.move", picks[0].IDs("move_ids"), []string{"product_uom_qty", "product_id"})
				if len(mv) != 1 || !num(mv[0]["product_uom_qty"]).Equal(dec("1")) || !strings.Contains(m2oName(mv[0]["product_id"]), "LIFE-B") {
					e.t.Errorf("return moves %v", mv)
				}
			})
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{Settings: refundsOn, SO: so, Inv: posted, Expect: lifeExpect(func(e *Env, res odoo.Result) { e.Deliver(res.ID) })},
				{Settings: refundsOn, SO: so, Inv: posted, Order: withRefund(e, 0, "return", "33", map[int64]int32{2: 1}, ""), Expect: x2},
				{Settings: refundsOn, SO: so, Inv: posted, Order: withRefund(e, 0, "return", "33", map[int64]int32{2: 1}, ""), Fresh: true, Expect: x2},
			}}
		}},
		{"full refund with shipping", func(e *Env) Case {
			o := payOrder(e)
			o.Transactions = []schemas.Transaction{sale(e, 0, "shopify_payments", "98")}
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{Settings: refundsOn, SO: so, Inv: posted, Expect: lifeExpect(func(e *Env, res odoo.Result) { e.wantStatus(res, "posted", "paid", "0") })},
				{Settings: refundsOn, SO: so, Inv: posted, Order: withRefund(e, 0, "no_restock", "98", map[int64]int32{1: 1, 2: 1}, "10"),
					Expect: lifeExpect(func(e *Env, res odoo.Result) {
						e.wantPayments(&o, []string{"98.00"}, []string{"98.00"})
						e.wantStatus(res, "posted", "paid", "98")
						cns := e.refundNotes(res.InvoiceID)
						if len(cns) != 1 || cns[0].String("payment_state") != "paid" || len(cns[0].IDs("invoice_line_ids")) < 3 {
							e.t.Errorf("credit notes %v", cns)
						}
					})},
			}}
		}},
		{"cancelled with its full refund: the refund credits the invoice, the cancellation no second time", func(e *Env) Case {
			o := payOrder(e)
			o.Transactions = []schemas.Transaction{sale(e, 0, "shopify_payments", "98")}
			cancelAndRefund := func(o schemas.Order) schemas.Order {
				return cancelled(withRefund(e, 0, "cancel", "98", map[int64]int32{1: 1, 2: 1}, "10")(o))
			}
			x := lifeExpect(func(e *Env, res odoo.Result) {
				e.wantPayments(&o, []string{"98.00"}, []string{"98.00"})
				cns := e.refundNotes(res.InvoiceID)
				if len(cns) != 1 || cns[0].String("payment_state") != "paid" || !num(cns[0]["amount_total"]).Equal(dec("98")) {
					e.t.Errorf("credit notes %v, want the refund's alone, 98, paid out", cns)
				}
				if !res.Cancelled {
					e.t.Errorf("result %+v does not say the order is cancelled", res)
				}
			})
			x.State, x.Invoice = "cancel", nil // Odoo says a cancelled order's invoice_status is "no"
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{Settings: refundsOn, SO: so, Inv: posted, Expect: lifeExpect(func(e *Env, res odoo.Result) { e.wantStatus(res, "posted", "paid", "0") })},
				{Settings: refundsOn, SO: schemas.SaleOrderCancelled, Inv: posted, Order: cancelAndRefund, Expect: x},
				{Settings: refundsOn, SO: schemas.SaleOrderCancelled, Inv: posted, Order: cancelAndRefund, Fresh: true, Expect: x},
			}}
		}},
		{"cancelled, then refunded: the refund's money is paid out of the cancellation's credit note", func(e *Env) Case {
			o := payOrder(e)
			o.Transactions = []schemas.Transaction{sale(e, 0, "shopify_payments", "98")}
			refundLater := func(o schemas.Order) schemas.Order {
				return withRefund(e, 0, "cancel", "98", map[int64]int32{1: 1, 2: 1}, "10")(cancelled(o))
			}
			reversal := func(pay string) func(e *Env, res odoo.Result) {
				return func(e *Env, res odoo.Result) {
					cns := e.refundNotes(res.InvoiceID)
					if len(cns) != 1 || cns[0].String("payment_state") != pay || !num(cns[0]["amount_total"]).Equal(dec("98")) {
						e.t.Errorf("credit notes %v, want the cancellation's alone, 98, %s", cns, pay)
					}
				}
			}
			x := func(check func(e *Env, res odoo.Result)) Expect {
				x := lifeExpect(check)
				x.State, x.Invoice = "cancel", nil
				return x
			}
			refunded := x(func(e *Env, res odoo.Result) {
				reversal("paid")(e, res)
				e.wantPayments(&o, []string{"98.00"}, []string{"98.00"})
			})
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{Settings: refundsOn, SO: so, Inv: posted, Expect: lifeExpect(func(e *Env, res odoo.Result) { e.wantStatus(res, "posted", "paid", "0") })},
				{Settings: refundsOn, SO: schemas.SaleOrderCancelled, Inv: posted, Order: cancelled, Expect: x(reversal("not_paid"))},
				{Settings: refundsOn, SO: schemas.SaleOrderCancelled, Inv: posted, Order: refundLater, Expect: refunded},
				{Settings: refundsOn, SO: schemas.SaleOrderCancelled, Inv: posted, Order: refundLater, Fresh: true, Expect: refunded},
			}}
		}},
		{"cancelled with a refund of the money alone: credited in full by the cancellation, the money paid out of it", func(e *Env) Case {
			o := payOrder(e)
			o.Transactions = []schemas.Transaction{sale(e, 0, "shopify_payments", "98")}
			moneyBack := func(o schemas.Order) schemas.Order {
				return edit(cancelled(o), func(o *schemas.Order) {
					rf := refundOf(e, 0, "no_restock", "98", nil, o, "")
					o.Refunds[len(o.Refunds)-1] = schemas.Refund{ID: rf.ID, CreatedAt: rf.CreatedAt, ProcessedAt: rf.ProcessedAt, Transactions: rf.Transactions}
					o.FinancialStatus = "refunded"
				})
			}
			x := lifeExpect(func(e *Env, res odoo.Result) {
				cns := e.refundNotes(res.InvoiceID)
				if len(cns) != 1 || cns[0].String("payment_state") != "paid" || !num(cns[0]["amount_total"]).Equal(dec("98")) {
					e.t.Errorf("credit notes %v, want the cancellation's alone, 98, paid out", cns)
				}
				e.wantPayments(&o, []string{"98.00"}, []string{"98.00"})
			})
			x.State, x.Invoice = "cancel", nil
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{Settings: refundsOn, SO: so, Inv: posted, Expect: lifeExpect(func(e *Env, res odoo.Result) { e.wantStatus(res, "posted", "paid", "0") })},
				{Settings: refundsOn, SO: schemas.SaleOrderCancelled, Inv: posted, Order: moneyBack, Expect: x},
				{Settings: refundsOn, SO: schemas.SaleOrderCancelled, Inv: posted, Order: moneyBack, Fresh: true, Expect: x},
			}}
		}},
		{"refund before the order reached Odoo", func(e *Env) Case {
			o := payOrder(e)
			o.Transactions = []schemas.Transaction{sale(e, 0, "shopify_payments", "98")}
			o = withRefund(e, 0, "return", "33", map[int64]int32{2: 1}, "")(o)
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{Settings: refundsOn, SO: so, Inv: posted, Expect: lifeExpect(func(e *Env, res odoo.Result) {
					e.wantPayments(&o, []string{"98.00"}, []string{"33.00"})
					e.wantStatus(res, "posted", "paid", "33")
					if !hasWarning(res.Warnings, "delivery is not validated") {
						e.t.Errorf("no warning about the unvalidated delivery in %q", res.Warnings)
					}
				})},
			}}
		}},
	}
}
