package odoo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/schemas"
)

func cancelledCopy(o schemas.Order) schemas.Order {
	at := o.UpdatedAt.Add(72 * time.Hour)
	o.CancelledAt, o.CancelReason, o.UpdatedAt = &at, "customer", at
	return o
}

// An order made as an invoice alone, cancelled in Shopify: a posted invoice is credited
// in full once (a second apply makes nothing), a draft one is cancelled; the result
// says the order is cancelled in Odoo.
func TestCancelInvoiceOnlyOrder(t *testing.T) {
	ctx := context.Background()
	for _, v := range []int{16, 17, 19} {
		for _, inv := range []schemas.InvoiceState{schemas.InvoicePosted, schemas.InvoiceDraft} {
			sim, c := startSim(t, v)
			o := order1001()
			if _, err := NewSyncer(c).Apply(ctx, command(o, schemas.SaleOrderNone, inv)); err != nil {
				t.Fatalf("%d %s: %v", v, inv, err)
			}
			cancel := command(cancelledCopy(o), schemas.SaleOrderCancelled, inv)
			res, err := NewSyncer(c).Apply(ctx, cancel)
			if err != nil {
				t.Fatalf("%d %s: cancel: %v", v, inv, err)
			}
			again, err := NewSyncer(c).Apply(ctx, cancel)
			if err != nil {
				t.Fatalf("%d %s: cancel again: %v", v, inv, err)
			}
			w := observeCancel(sim)
			if !res.Cancelled || !again.Cancelled || w.invoices != 1 || w.soState != "" {
				t.Errorf("%d %s: cancelled=%v/%v, odoo holds %+v", v, inv, res.Cancelled, again.Cancelled, w)
			}
			switch inv {
			case schemas.InvoicePosted:
				if w.credits != 1 || w.creditState != "posted" || w.creditTotal != w.invoiceTotal || w.invState != "posted" || w.invPay != "reversed" {
					t.Errorf("%d posted: want one posted credit note of the whole invoice, odoo holds %+v", v, w)
				}
			case schemas.InvoiceDraft:
				if w.credits != 0 || w.invState != "cancel" || res.InvoiceState != "cancel" {
					t.Errorf("%d draft: want the draft invoice cancelled, no credit note; odoo holds %+v, result %q", v, w, res.InvoiceState)
				}
			}
		}
	}
}

// A cancellation that comes with its refund (Shopify's "cancel and refund"): the
// refund's credit note (and its payout) credits the invoice, the cancellation makes
// no second one, no goods are returned from a cancelled order; applied again, nothing
// more. Then the other way round: cancelled first (credited in full), its refund later
// makes no credit note of its own.
func TestCancellationAndRefundsCreditOnce(t *testing.T) {
	ctx := context.Background()
	for _, v := range []int{16, 17} {
		sim, c := startSim(t, v)
		if _, err := NewSyncer(c).Apply(ctx, refundsOn(command(paid1001(), schemas.SaleOrderConfirmed, schemas.InvoicePosted))); err != nil {
			t.Fatalf("%d: %v", v, err)
		}
		cancel := refundsOn(command(cancelledCopy(refunded1001("cancel")), schemas.SaleOrderCancelled, schemas.InvoicePosted))
		res, err := NewSyncer(c).Apply(ctx, cancel)
		if err != nil {
			t.Fatalf("%d: cancel with refund: %v", v, err)
		}
		if _, err := NewSyncer(c).Apply(ctx, cancel); err != nil {
			t.Fatalf("%d: again: %v", v, err)
		}
		w, lw := observeCancel(sim), observeLife(sim)
		if w.soState != "cancel" || w.credits != 1 || w.creditTotal != 25.80 || lw.outbound != 1 || lw.returns != 0 || !res.Cancelled {
			t.Errorf("%d: cancel with refund: want the order cancelled, one credit note of 25.80 paid out, no return; odoo holds %+v %+v", v, w, lw)
		}

		sim, c = startSim(t, v)
		if _, err := NewSyncer(c).Apply(ctx, refundsOn(command(paid1001(), schemas.SaleOrderConfirmed, schemas.InvoicePosted))); err != nil {
			t.Fatalf("%d: %v", v, err)
		}
		first := cancelledCopy(paid1001())
		if _, err := NewSyncer(c).Apply(ctx, refundsOn(command(first, schemas.SaleOrderCancelled, schemas.InvoicePosted))); err != nil {
			t.Fatalf("%d: cancel: %v", v, err)
		}
		later := cancelledCopy(refunded1001("cancel"))
		at := first.UpdatedAt.Add(time.Hour)
		later.CancelledAt, later.UpdatedAt = first.CancelledAt, at
		res, err = NewSyncer(c).Apply(ctx, refundsOn(command(later, schemas.SaleOrderCancelled, schemas.InvoicePosted)))
		if err != nil {
			t.Fatalf("%d: refund after the cancellation: %v", v, err)
		}
		if w := observeCancel(sim); w.credits != 1 || w.creditTotal != w.invoiceTotal {
			t.Errorf("%d: refund after the cancellation: want only the cancellation's credit note, odoo holds %+v", v, w)
		}
		// The refund's money left the shop: paid out of the cancellation's credit note,
		// once (applied again, no second payout).
		if _, err := NewSyncer(c).Apply(ctx, refundsOn(command(later, schemas.SaleOrderCancelled, schemas.InvoicePosted))); err != nil {
			t.Fatalf("%d: refund after the cancellation, again: %v", v, err)
		}
		if lw := observeLife(sim); lw.outbound != 1 || lw.cnPayState != "partial" {
			t.Errorf("%d: refund after the cancellation: want its 25.80 paid out of the credit note, odoo holds %+v", v, lw)
		}
		if !res.RefundedAmount.Equal(dec("124.38")) {
			t.Errorf("%d: refund after the cancellation: result says %s refunded, the credit note is 124.38", v, res.RefundedAmount)
		}
		if !strings.Contains(strings.Join(res.Warnings, "\n"), "credited in full") {
			t.Errorf("%d: refund after the cancellation: warnings %q do not say the invoice is credited in full", v, res.Warnings)
		}
	}
}

// A sale order cancelled with its draft invoice (Odoo cancels the draft with it): the
// result says the invoice is cancelled, as Odoo holds it, not the state the look-up
// read before (nor the posted state the command asks).
func TestCancelledSaleOrderReportsItsCancelledDraftInvoice(t *testing.T) {
	ctx := context.Background()
	for _, inv := range []schemas.InvoiceState{schemas.InvoiceDraft, schemas.InvoicePosted} {
		sim, c := startSim(t, 17)
		o := order1001()
		if _, err := NewSyncer(c).Apply(ctx, command(o, schemas.SaleOrderConfirmed, schemas.InvoiceDraft)); err != nil {
			t.Fatalf("%s: %v", inv, err)
		}
		res, err := NewSyncer(c).Apply(ctx, command(cancelledCopy(o), schemas.SaleOrderCancelled, inv))
		if err != nil {
			t.Fatalf("%s: cancel: %v", inv, err)
		}
		if w := observeCancel(sim); w.invState != "cancel" || res.InvoiceState != w.invState || !res.Cancelled {
			t.Errorf("%s: result says invoice %q (cancelled=%v), odoo holds %+v", inv, res.InvoiceState, res.Cancelled, w)
		}
	}
}

// A cancelled order the shop kept nothing of is credited in full by the cancellation,
// even when its refunds credit less: a refund of the money alone (no lines), and an
// unpaid order whose refund restocks the goods but not the shipping. Then the refunds
// make no credit note of their own, and their money is paid out of the cancellation's.
func TestCancelledOrderKeptNothingIsCreditedInFull(t *testing.T) {
	ctx := context.Background()
	for _, v := range []int{16, 17} {
		// the money alone
		sim, c := startSim(t, v)
		if _, err := NewSyncer(c).Apply(ctx, refundsOn(command(paid1001(), schemas.SaleOrderConfirmed, schemas.InvoicePosted))); err != nil {
			t.Fatalf("%d: %v", v, err)
		}
		o := cancelledCopy(paid1001())
		at := o.UpdatedAt
		o.FinancialStatus = "refunded"
		o.Refunds = []schemas.Refund{{ID: 72, CreatedAt: &at, ProcessedAt: &at, Transactions: []schemas.Transaction{
			{ID: 905, ParentID: 902, Kind: "refund", Status: "success", Gateway: "shopify_payments", Amount: dec("124.38"), ProcessedAt: &at}}}}
		cancel := refundsOn(command(o, schemas.SaleOrderCancelled, schemas.InvoicePosted))
		if _, err := NewSyncer(c).Apply(ctx, cancel); err != nil {
			t.Fatalf("%d: money-only refund: %v", v, err)
		}
		if _, err := NewSyncer(c).Apply(ctx, cancel); err != nil {
			t.Fatalf("%d: money-only refund again: %v", v, err)
		}
		w, lw := observeCancel(sim), observeLife(sim)
		if w.soState != "cancel" || w.credits != 1 || w.creditTotal != w.invoiceTotal || lw.outbound != 1 || w.creditPay != "paid" {
			t.Errorf("%d: money-only refund: want one full credit note paid out once; odoo holds %+v %+v", v, w, lw)
		}

		// unpaid, the goods restocked, the shipping not refunded
		sim, c = startSim(t, v)
		if _, err := NewSyncer(c).Apply(ctx, refundsOn(command(order1001(), schemas.SaleOrderConfirmed, schemas.InvoicePosted))); err != nil {
			t.Fatalf("%d: %v", v, err)
		}
		o = cancelledCopy(order1001())
		at = o.UpdatedAt
		rf := schemas.Refund{ID: 73, CreatedAt: &at, ProcessedAt: &at}
		for _, li := range o.LineItems {
			rf.RefundLineItems = append(rf.RefundLineItems, schemas.RefundLineItem{ID: 730 + li.ID, LineItemID: li.ID, Quantity: li.Quantity,
				RestockType: "cancel", Subtotal: li.Price.Mul(decimal.NewFromInt(int64(li.Quantity))).Sub(li.TotalDiscount)})
		}
		o.Refunds = []schemas.Refund{rf}
		res, err := NewSyncer(c).Apply(ctx, refundsOn(command(o, schemas.SaleOrderCancelled, schemas.InvoicePosted)))
		if err != nil {
			t.Fatalf("%d: unpaid, restocked: %v", v, err)
		}
		if w := observeCancel(sim); w.soState != "cancel" || w.credits != 1 || w.creditTotal != w.invoiceTotal || w.invPay != "reversed" {
			t.Errorf("%d: unpaid, restocked: want one full credit note reversing the invoice; odoo holds %+v (warnings %q)", v, w, res.Warnings)
		}
	}
}
