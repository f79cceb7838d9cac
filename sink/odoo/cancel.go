package odoo

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"
)

// cancelOrder cancels an order's sale order the way real Odoo needs: refused up front
// when Odoo would cancel it but a person must decide first (its delivery is validated:
// the goods left the warehouse; 17+ refuses a locked order itself), then every posted
// customer invoice of it is credited in full by a posted credit note (unless the
// order's refunds make their own credit notes), then the order is cancelled (its
// cancel wizard answered where Odoo shows one); Odoo cancels its draft invoices and
// open deliveries with it. Each step is found before it is made: a crash between any
// two calls never credits twice, and an order cancelled in Odoo costs no call.
func (r *run) cancelOrder(ctx context.Context, ex *existing, so Record) error {
	name := so.String("name")
	if so.String("state") == "cancel" {
		return nil
	}
	for _, l := range ex.soLines {
		if d := fromOdooNumber(l["qty_delivered"]); d.Sign() > 0 {
			return attention("sale.order", "action_cancel", fmt.Sprintf(
				"sale order %s has a validated delivery (%s × %q delivered): cancel it in Odoo after returning the goods, or leave it",
				name, d, firstLine(l.String("name"))))
		}
	}
	if so.Bool("locked") {
		// Odoo 17+ answers the same, but only after the invoice would be credited.
		return attention("sale.order", "action_cancel", fmt.Sprintf("sale order %s: You cannot cancel a locked order. Please unlock it first.", name))
	}
	invs, err := r.orderInvoices(ctx, so, ex)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		if inv.String("move_type") != "out_invoice" || inv.String("state") != "posted" {
			continue
		}
		if leave, err := r.leaveToRefunds(ctx, inv); err != nil || leave {
			if err != nil {
				return err
			}
			continue
		}
		if _, err := r.creditNote(ctx, inv, "cancelled"); err != nil {
			return err
		}
	}
	if err := r.cancel(ctx, so.ID()); err != nil {
		return needsAttention(err, fmt.Sprintf("cancelling sale order %s", name))
	}
	for _, inv := range invs {
		// Odoo cancelled the draft with the order: the look-up's state is stale.
		r.movesChanged = r.movesChanged || inv.String("state") == "draft"
	}
	r.s.log.Info("odoo: cancelled sale order", "order", r.key, "id", so.ID())
	return nil
}

// cancelDirectInvoice undoes the invoice of an order made as an invoice alone when
// Shopify cancels the order: a draft is cancelled, a posted one credited in full by a
// posted credit note (creditNote: found before it is made) unless the order's refunds
// make their own credit notes. An invoice cancelled in Odoo costs no call.
func (r *run) cancelDirectInvoice(ctx context.Context, inv Record) error {
	name := inv.String("name")
	switch inv.String("state") {
	case "cancel":
		return nil
	case "draft":
		// button_cancel answers None on some versions.
		if _, err := r.c.Call(ctx, "account.move", "button_cancel", []any{[]int64{inv.ID()}}, nil); err != nil && !IsNoneFault(err) {
			return needsAttention(err, fmt.Sprintf("cancelling draft invoice %s", name))
		}
		r.movesChanged = true
		r.s.log.Info("odoo: cancelled draft invoice", "order", r.key, "invoice", inv.ID(), "name", name)
		return nil
	}
	if leave, err := r.leaveToRefunds(ctx, inv); err != nil || leave {
		return err
	}
	_, err := r.creditNote(ctx, inv, "cancelled")
	return err
}

// leaveToRefunds says whether a cancelled order's posted invoice is left to the
// credit notes of its refunds (life.go) rather than credited in full by the
// cancellation. Odoo should end holding what the shop kept:
//   - the refunds credit all of the invoice (Shopify's cancel and refund): theirs;
//   - the shop kept money (paid more than it refunded): the refunds' credit notes, and
//     the invoice keeps the rest, as the money says;
//   - some of their credit notes are made already (an earlier partial refund): a full
//     credit now would credit that part twice; what is left open is a warning.
//
// Otherwise nothing was kept (never paid, or all of it refunded while the refunds
// credit less: money alone, goods without their shipping): the cancellation credits
// the invoice in full, and the refunds pay their money out of that credit note
// (life.go, reversal).
func (r *run) leaveToRefunds(ctx context.Context, inv Record) (bool, error) {
	if !r.cmd.Settings.SyncRefunds || len(r.o.Refunds) == 0 {
		return false, nil
	}
	t := totalsOf(inv)
	m := r.bookMoney(t.currency)
	credit, kept := decimal.Zero, decimal.Zero
	for _, p := range r.payable() {
		kept = kept.Add(m.txAmount(p))
	}
	for _, rf := range r.o.Refunds {
		credit = credit.Add(r.refundCredit(m, rf))
		for _, tx := range refundTransactions(rf) {
			kept = kept.Sub(m.txAmount(tx))
		}
	}
	name := inv.String("name")
	switch {
	case !credit.Round(2).LessThan(t.total.Round(2)):
		r.warn("invoice %s is posted: the order's refunds credit it, the cancellation makes no credit note of its own", name)
		return true, nil
	case kept.Round(2).IsPositive():
		r.warn("invoice %s: the shop kept %s %s of the cancelled order; the refunds credit %s, the rest stays invoiced",
			name, kept.StringFixed(2), t.currency, credit.StringFixed(2))
		return true, nil
	}
	made, err := SearchRead(ctx, r.c, "account.move", []any{[]any{"move_type", "=", "out_refund"}, []any{"reversed_entry_id", "=", inv.ID()},
		[]any{"state", "!=", "cancel"}, []any{"ref", "!=", creditRef(name)}}, []string{"id"}, map[string]any{"limit": 1})
	if err != nil {
		return false, err
	}
	if len(made) > 0 {
		r.warn("invoice %s is partly credited by the order's refunds (%s of %s %s): the cancellation leaves the rest open; credit it in Odoo",
			name, credit.StringFixed(2), t.total.StringFixed(2), t.currency)
		return true, nil
	}
	return false, nil
}

// orderInvoices are the sale order's invoices and credit notes (no call when the
// order has only its registered invoice, or none).
func (r *run) orderInvoices(ctx context.Context, so Record, ex *existing) ([]Record, error) {
	ids := so.IDs("invoice_ids")
	switch {
	case len(ids) == 0:
		return nil, nil
	case len(ids) == 1 && ex.inv != nil && ex.inv.ID() == ids[0] && ex.inv["invoice_line_ids"] != nil:
		return []Record{ex.inv}, nil
	}
	return Read(ctx, r.c, "account.move", ids, lookupInvoiceFields)
}

// notSyncedCancelled is the reason an order cancelled before it ever reached Odoo
// stays out of it.
const notSyncedCancelled = "cancelled before it was synced: nothing made in Odoo"
