package conformance

// Credit notes of unpaid invoices: reconciled with the invoice they credit (Synco's
// reconcile call on 16; Odoo's own post on 17+), so the invoice reads "partial"
// (refunded in part) or "reversed" (credited in full) and the credit note "paid", with
// no payment, as Odoo's reversal wizard leaves them; applying again changes nothing.

import (
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
)

// unpaidRefund is withRefund with no money back (the order was never paid).
func unpaidRefund(e *Env, items map[int64]int32) func(schemas.Order) schemas.Order {
	return func(o schemas.Order) schemas.Order {
		o = withRefund(e, 0, "no_restock", "33", items, "")(o)
		o.Refunds[len(o.Refunds)-1].Transactions = nil
		o.FinancialStatus = "pending"
		return o
	}
}

// settledByCredit checks the invoice's and its credit notes' payment_state in Odoo.
func (e *Env) settledByCredit(inv int64, invPay string) {
	e.t.Helper()
	if got := e.text("account.move", inv, "payment_state"); got != invPay {
		e.t.Errorf("invoice payment_state %q, want %q", got, invPay)
	}
	cns := e.refundNotes(inv)
	if len(cns) != 1 || cns[0].String("state") != "posted" || cns[0].String("payment_state") != "paid" {
		e.t.Errorf("credit notes %v, want one posted and paid (reconciled with the invoice)", cns)
	}
}

func lifeReconcile() []Scenario {
	so, posted := schemas.SaleOrderConfirmed, schemas.InvoicePosted
	return []Scenario{
		{"reconcile: a refund of an unpaid posted invoice", func(e *Env) Case {
			o := payOrder(e)
			check := lifeExpect(func(e *Env, res odoo.Result) {
				e.wantStatus(res, "posted", "partial", "33")
				e.settledByCredit(res.InvoiceID, "partial")
				if p := e.payments(&o); len(p) != 0 {
					e.t.Errorf("payments %v, want none", p)
				}
			})
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{Settings: refundsOn, SO: so, Inv: posted, Expect: lifeExpect(func(e *Env, res odoo.Result) { e.wantStatus(res, "posted", "not_paid", "0") })},
				{Settings: refundsOn, SO: so, Inv: posted, Order: unpaidRefund(e, map[int64]int32{2: 1}), Expect: check},
				{Settings: refundsOn, SO: so, Inv: posted, Order: unpaidRefund(e, map[int64]int32{2: 1}), Fresh: true, Expect: check},
			}}
		}},
		{"reconcile: a cancelled order's unpaid invoice is reversed", func(e *Env) Case {
			o := lifeOrder(e)
			check := Expect{Model: "sale.order", State: "cancel", Currency: "USD", Total: "131.5", Lines: lifeLines, Check: func(e *Env, res odoo.Result) {
				e.creditedOnce(e.results[1].InvoiceID, "131.5")
				e.settledByCredit(e.results[1].InvoiceID, "reversed")
				if res.PaymentState != "reversed" {
					e.t.Errorf("result payment state %q, want reversed", res.PaymentState)
				}
			}}
			return Case{Order: o, NoWarm: true, Steps: []Step{
				{SO: so, Inv: posted, Expect: Expect{Model: "sale.order", State: "sale", Currency: "USD", Total: "131.5", Lines: lifeLines, Invoice: &Invoice{State: "posted"}}},
				{SO: schemas.SaleOrderCancelled, Inv: posted, Order: cancelled, Expect: check},
				{SO: schemas.SaleOrderCancelled, Inv: posted, Order: cancelled, Fresh: true, Expect: check},
			}}
		}},
	}
}
