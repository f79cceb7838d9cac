package odoo

// Reconciling a credit note with the invoice it credits. Synco makes its credit notes
// directly (account.move with reversed_entry_id), not through the reversal wizard.
// Odoo 17+ reconciles such a credit note with the posted invoice when it is posted
// (_post → _reconcile_reversed_moves); 16 does not, leaving the invoice not_paid and
// the credit note open: two open receivable items. So, when no money is paid out of
// the credit note, its receivable line is reconciled with the invoice's:
// account.move.line.reconcile on the two unreconciled receivable lines. The invoice
// then shows "reversed" (credited in full, no payment) or "partial", the credit note
// "paid". 16's reconcile returns a dict of recordsets, which XML-RPC cannot marshal
// (Fault 1 "cannot marshal <class ...> objects"), 17+ None (the None fault); both come
// after the commit (the method returned), so both count as done, and the statuses the
// run reads afterwards (movesChanged) say what Odoo made of it.

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// reconcileCredit reconciles posted credit note cn with posted invoice inv when both
// still have an open receivable line. justPosted: this run posted cn (on 17+ Odoo
// reconciled it then: no call). cnPay is cn's payment_state as read ("" unknown): any
// but not_paid means it is settled already (no call). It answers whether it
// reconciled.
func (r *run) reconcileCredit(ctx context.Context, inv, cn int64, justPosted bool, cnPay string) (bool, error) {
	if (justPosted && r.d.version >= 17) || (cnPay != "" && cnPay != "not_paid") {
		return false, nil
	}
	open, err := r.openReceivables(ctx, inv, cn)
	if err != nil {
		return false, err
	}
	var ids []int64
	for _, m := range []int64{inv, cn} {
		if open[m] == 0 {
			return false, nil // one side is settled already: nothing to reconcile
		}
		ids = append(ids, open[m])
	}
	_, err = r.c.Call(ctx, "account.move.line", "reconcile", []any{ids}, nil)
	if err != nil && !IsNoneFault(err) && !isMarshalFault(err) {
		return false, fmt.Errorf("reconciling credit note %d with invoice %d: %w", cn, inv, err)
	}
	r.movesChanged = true
	r.s.log.Info("odoo: reconciled credit note with its invoice", "order", r.key, "invoice", inv, "credit_note", cn)
	return true, nil
}

// openReceivables are the unreconciled receivable lines of the moves, one per move.
func (r *run) openReceivables(ctx context.Context, moves ...int64) (map[int64]int64, error) {
	got, err := SearchRead(ctx, r.c, "account.move.line", []any{[]any{"move_id", "in", moves},
		[]any{"account_type", "=", "asset_receivable"}, []any{"reconciled", "=", false}}, []string{"id", "move_id"}, map[string]any{"order": "id"})
	if err != nil {
		return nil, err
	}
	out := map[int64]int64{}
	for _, l := range got {
		if m := l.M2O("move_id"); out[m] == 0 {
			out[m] = l.ID()
		}
	}
	return out, nil
}

// isMarshalFault is Python's marshaller refusing a method's answer (16's reconcile
// returns recordsets): the method ran and committed.
func isMarshalFault(err error) bool {
	var oe *Error
	return errors.As(err, &oe) && oe.Code == faultException && strings.Contains(oe.Message, "cannot marshal <class ")
}

// invoiceOpen says whether an invoice's payment_state leaves something to settle.
func invoiceOpen(payState string) bool { return payState == "not_paid" || payState == "partial" }
