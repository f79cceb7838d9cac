package odoo

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/synco-dev/synco/schemas"
)

// After the order's documents exist, the order's later life is reconciled from the
// same snapshot, level-triggered: one payment per successful Shopify sale or capture
// (payments.go), one credit note per Shopify refund with its payout and its stock
// return (refunds.go, returns.go), then the statuses Odoo holds (Result.InvoiceState,
// PaymentState, RefundedAmount, Cancelled). Each record is found through its external
// id, or, when a crash lost the registration, through the reference Synco wrote into
// it (a payment's memo, a credit note's ref, a return's origin), so a redelivery, a
// retry or a refund that arrives before the payment end in the same state.
//
// An order without transactions or refunds costs no call here: its statuses are
// known from the look-up and from what the run did.

// life is what one run knows of the order's invoice and credit notes.
type life struct {
	inv       int64
	invoice   Record   // the invoice as read (nil: not read)
	refunds   []Record // its credit notes as read
	invState  string
	payState  string
	known     bool // invState and payState known without a read
	changed   bool // a payment, credit note or posting was made: read the statuses again
	refs      map[string]xmlRef
	invLines  []Record // the invoice's product lines (read when a credit note or return needs them)
	m         money
	paidToday bool // a payment was registered in this run
}

// moveFields are what is read of the invoice and its credit notes.
var moveFields = []string{"id", "name", "state", "move_type", "payment_state", "amount_total", "amount_residual", "currency_id",
	"partner_id", "partner_shipping_id", "journal_id", "ref", "invoice_origin", "reversed_entry_id", "fiscal_position_id"}

// afterDocuments reconciles payments, refunds and returns and fills the statuses.
func (r *run) afterDocuments(ctx context.Context, ex *existing, res *Result) error {
	res.Cancelled = r.soCancelled(ex, res)
	if res.InvoiceID == 0 {
		return nil
	}
	l := &life{inv: res.InvoiceID, m: r.bookMoney(res.Currency)}
	r.knownInvoiceState(ex, res, l)
	pays := r.payable()
	var refunds []schemas.Refund
	if r.cmd.Settings.SyncRefunds && len(r.o.Refunds) > 0 {
		// A cancelled order's refunds credit its invoice too (the cancellation left
		// the invoice to them), unless the cancellation credited it in full already
		// (reversal, once the moves are read).
		refunds = r.o.Refunds
	}
	if len(pays) == 0 && len(refunds) == 0 {
		if !l.known {
			if err := r.readMoves(ctx, l, false); err != nil {
				return err
			}
		}
		res.InvoiceState, res.PaymentState = l.invState, l.payState
		return nil
	}
	var names []string
	for _, p := range pays {
		names = append(names, TransactionXMLID(r.cmd.Shop, p.ID))
	}
	for _, rf := range refunds {
		names = append(names, RefundXMLID(r.cmd.Shop, rf.ID), ReturnXMLID(r.cmd.Shop, rf.ID))
		for _, t := range refundTransactions(rf) {
			names = append(names, TransactionXMLID(r.cmd.Shop, t.ID))
		}
	}
	names = append(names, r.gatewayJournalNames(pays)...)
	refs, err := r.xmlRefs(ctx, names)
	if err != nil {
		return err
	}
	l.refs = refs
	missingPay := false
	for _, p := range pays {
		missingPay = missingPay || refs[TransactionXMLID(r.cmd.Shop, p.ID)].id == 0
	}
	if missingPay || len(refunds) > 0 || !l.known {
		if err := r.readMoves(ctx, l, len(refunds) > 0); err != nil {
			return err
		}
	}
	if err := r.payments(ctx, l, pays); err != nil {
		return err
	}
	withRefunds := len(refunds) > 0 // the credit notes are read again with the invoice
	if len(refunds) > 0 {
		switch {
		case l.invState == "cancel":
			// Cancelled with its order (a draft invoice): nothing to credit.
			refunds = nil
		case r.reversal(l) != nil:
			r.warn("invoice %s is credited in full by Synco (the order was cancelled before its refunds came): its %d refund(s) make no credit note of their own",
				l.invoice.String("name"), len(refunds))
			if err := r.payOutOfReversal(ctx, l, r.reversal(l), refunds); err != nil {
				return err
			}
			refunds = nil
		}
	}
	if len(refunds) > 0 {
		if err := r.creditNotes(ctx, l, refunds); err != nil {
			return err
		}
		// A cancelled sale order has no delivery left to return goods from: Odoo
		// cancelled its open ones, and a validated one refuses the cancellation.
		if res.Model == "sale.order" && !res.Cancelled {
			if err := r.returns(ctx, l, res.ID, refunds); err != nil {
				return err
			}
		}
	}
	if l.changed {
		if err := r.readMoves(ctx, l, withRefunds); err != nil {
			return err
		}
	}
	r.checkRefundTotals(l, refunds)
	res.InvoiceState, res.PaymentState = l.invState, l.payState
	res.RefundedAmount = decimal.Zero
	for _, cn := range l.refunds {
		if cn.String("state") != "cancel" {
			res.RefundedAmount = res.RefundedAmount.Add(fromOdooNumber(cn["amount_total"]).Round(6))
		}
	}
	return nil
}

// soCancelled says whether the order is cancelled in Odoo after the document step
// (which cancels it when the command asks and fails otherwise): its sale order, or
// the invoice of an order made as an invoice alone (cancelled, or credited in full).
func (r *run) soCancelled(ex *existing, res *Result) bool {
	if r.cmd.SaleOrder == schemas.SaleOrderCancelled && res.Model != "" {
		return true
	}
	if res.Model != "sale.order" {
		return false
	}
	return ex != nil && ex.so != nil && ex.so.ID() == res.ID && ex.so.String("state") == "cancel"
}

// reversal is Synco's credit note of the whole invoice (creditNote: a cancellation,
// or an edit with credit_and_reissue), as the moves were read; nil: none.
func (r *run) reversal(l *life) Record {
	if l.invoice == nil {
		return nil
	}
	ref := creditRef(l.invoice.String("name"))
	for _, cn := range l.refunds {
		if cn.String("ref") == ref && cn.String("state") != "cancel" {
			return cn
		}
	}
	return nil
}

// payOutOfReversal registers the refunds' payouts on the reversal that stands for
// their credit notes: the money left the shop, and the reversal of a paid invoice is
// what the shop owes the buyer.
func (r *run) payOutOfReversal(ctx context.Context, l *life, cn Record, refunds []schemas.Refund) error {
	if cn.String("state") != "posted" || !(l.paidToday || moneyCameIn(l)) {
		return nil
	}
	paidOut, err := r.paidOut(ctx, l, refunds)
	if err != nil {
		return err
	}
	for _, rf := range refunds {
		if err := r.payOut(ctx, l, cn.ID(), cn, rf, paidOut); err != nil {
			return err
		}
	}
	return nil
}

// knownInvoiceState sets the invoice's state without a call where the run knows it:
// an invoice the look-up read (posted in this run when the command asks), or one this
// run created (a new order: there was nothing to find).
func (r *run) knownInvoiceState(ex *existing, res *Result, l *life) {
	posted := r.cmd.Invoice == schemas.InvoicePosted
	switch {
	case ex != nil && ex.inv != nil && ex.inv.ID() == res.InvoiceID && ex.inv.String("payment_state") != "" && !r.movesChanged:
		l.invState, l.payState, l.known = ex.inv.String("state"), ex.inv.String("payment_state"), true
		if posted && l.invState == "draft" {
			l.invState = "posted"
		}
	case ex == nil || (ex.so == nil && ex.inv == nil):
		l.invState, l.payState, l.known = "draft", "not_paid", true
		if posted {
			l.invState = "posted"
		}
		if res.Total.IsZero() {
			l.known = false // Odoo may call a posted zero invoice paid: ask
		}
	}
}

// readMoves reads the invoice (and its credit notes, when refunds matter) in one call.
func (r *run) readMoves(ctx context.Context, l *life, withRefunds bool) error {
	var got []Record
	var err error
	if withRefunds {
		got, err = SearchRead(ctx, r.c, "account.move", []any{"|", []any{"id", "=", l.inv},
			"&", []any{"move_type", "=", "out_refund"}, []any{"reversed_entry_id", "=", l.inv}}, moveFields, map[string]any{"order": "id"})
	} else {
		got, err = Read(ctx, r.c, "account.move", []int64{l.inv}, moveFields)
	}
	if err != nil {
		return err
	}
	l.invoice, l.refunds = nil, nil
	for _, m := range got {
		if m.ID() == l.inv {
			l.invoice = m
		} else {
			l.refunds = append(l.refunds, m)
		}
	}
	if l.invoice == nil {
		return permanent("account.move", "read", 0, "", fmt.Sprintf("invoice %d of the order is gone from Odoo", l.inv))
	}
	l.invState, l.payState, l.known = l.invoice.String("state"), l.invoice.String("payment_state"), true
	return nil
}

// xmlRefs finds external ids of module synco by name, in one call.
func (r *run) xmlRefs(ctx context.Context, names []string) (map[string]xmlRef, error) {
	out := map[string]xmlRef{}
	if len(names) == 0 {
		return out, nil
	}
	in := make([]any, len(names))
	for i, n := range names {
		in[i] = n
	}
	got, err := SearchRead(ctx, r.c, "ir.model.data", []any{[]any{"module", "=", XMLIDModule}, []any{"name", "in", in}},
		[]string{"id", "name", "model", "res_id"}, nil)
	if err != nil {
		return nil, err
	}
	for _, g := range got {
		out[g.String("name")] = xmlRef{id: g.ID(), model: g.String("model"), resID: g.Int("res_id")}
	}
	return out, nil
}

// bookMoney is the money set of a document booked in currency (the settings' set, or
// the set of a document made under other settings).
func (r *run) bookMoney(currency string) money {
	m := r.money
	if currency != "" && !strings.EqualFold(currency, m.currency) {
		m = money{presentment: strings.EqualFold(currency, r.o.PresentmentCurrency) && !strings.EqualFold(currency, r.o.Currency), currency: currency, withRefunds: m.withRefunds}
	}
	return m
}

// txAmount is a transaction's amount in the money set.
func (m money) txAmount(t schemas.Transaction) decimal.Decimal {
	if m.presentment && t.AmountPresentment.Sign() > 0 {
		return t.AmountPresentment
	}
	return t.Amount
}

// ReturnXMLID is the external id name of the stock return of a Shopify refund.
func ReturnXMLID(shop string, refundID int64) string {
	return RefundXMLID(shop, refundID) + "_return"
}
