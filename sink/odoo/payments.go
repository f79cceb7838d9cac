package odoo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/synco-dev/synco/schemas"
)

// Payments: every successful Shopify sale or capture becomes one posted payment on
// the order's invoice, registered through account.payment.register (the wizard
// Odoo's "Register Payment" button opens, which also reconciles it with the invoice),
// in the transaction's amount and the booked currency, dated the transaction's
// processed_at. An authorization pays nothing; its capture does. Test transactions
// count only on a test order. The payment is registered under the external id of its
// transaction and carries "<order> Shopify transaction <id>" as its memo, by which a
// payment whose registration a crash lost is found again.

// payable are the order's transactions that received money.
func (r *run) payable() []schemas.Transaction {
	var out []schemas.Transaction
	for _, t := range r.o.Transactions {
		if (t.Kind == "sale" || t.Kind == "capture") && t.Status == "success" && t.Amount.Sign() > 0 && (!t.Test || r.o.Test) {
			out = append(out, t)
		}
	}
	return out
}

// txMemo is the memo of a transaction's payment (its identity when the external id
// is missing).
func (r *run) txMemo(txID int64) string {
	return fmt.Sprintf("%s Shopify transaction %d", r.o.Name, txID)
}

// PaymentMemo is the account.payment field the wizard's communication lands in: ref
// up to 17, memo from 18.
func (d dialect) PaymentMemo() string {
	if d.version >= 18 {
		return "memo"
	}
	return "ref"
}

func (r *run) payments(ctx context.Context, l *life, pays []schemas.Transaction) error {
	var missing []schemas.Transaction
	for _, t := range pays {
		if l.refs[TransactionXMLID(r.cmd.Shop, t.ID)].id == 0 {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if l.invState != "posted" {
		if r.cmd.Invoice == schemas.InvoicePosted || l.invState == "cancel" {
			r.warn("Shopify received %d payment(s) but the invoice is %s in Odoo: no payment registered", len(missing), l.invState)
		}
		return nil
	}
	found, err := r.paymentsByMemo(ctx, missing)
	if err != nil {
		return err
	}
	residual := fromOdooNumber(l.invoice["amount_residual"])
	for _, t := range missing {
		xml := TransactionXMLID(r.cmd.Shop, t.ID)
		if id := found[r.txMemo(t.ID)]; id > 0 {
			r.register(xml, "account.payment", id, xmlRef{})
			continue
		}
		amount := l.m.txAmount(t)
		if residual.Sign() <= 0 {
			r.warn("Shopify payment %d of %s %s is not registered: the invoice is already paid in Odoo", t.ID, amount, l.m.currency)
			continue
		}
		journal, err := r.paymentJournal(ctx, t.Gateway, l.refs)
		if err != nil {
			return err
		}
		id, err := r.registerPayment(ctx, l.inv, amount, t.ProcessedAt, journal, r.txMemo(t.ID))
		if err != nil {
			return err
		}
		r.register(xml, "account.payment", id, xmlRef{})
		r.s.log.Info("odoo: registered payment", "order", r.key, "transaction", t.ID, "payment", id, "amount", amount.String())
		residual = residual.Sub(amount)
		l.changed, l.paidToday = true, true
	}
	return nil
}

// paymentsByMemo finds payments Synco made whose registration was lost, by memo.
func (r *run) paymentsByMemo(ctx context.Context, txs []schemas.Transaction) (map[string]int64, error) {
	memos := make([]any, len(txs))
	for i, t := range txs {
		memos[i] = r.txMemo(t.ID)
	}
	f := r.d.PaymentMemo()
	got, err := SearchRead(ctx, r.c, "account.payment", []any{[]any{f, "in", memos}, []any{"state", "!=", "cancel"}},
		[]string{"id", f}, map[string]any{"order": "id"})
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, g := range got {
		if _, ok := out[g.String(f)]; !ok {
			out[g.String(f)] = g.ID()
		}
	}
	return out, nil
}

// registerPayment pays (or, on a credit note, pays out) amount of a posted move
// through the payment wizard and answers the payment. A journal of 0 is Odoo's
// default bank journal.
func (r *run) registerPayment(ctx context.Context, move int64, amount decimal.Decimal, at *time.Time, journal int64, memo string) (int64, error) {
	wctx := map[string]any{"active_model": "account.move", "active_ids": []int64{move}, "active_id": move}
	vals := map[string]any{"amount": odooFloat(amount), "payment_difference_handling": "open", "communication": memo}
	if at != nil && !at.IsZero() {
		vals["payment_date"] = at.UTC().Format(time.DateOnly)
	}
	if journal > 0 {
		vals["journal_id"] = journal
	}
	wiz, err := Create(ctx, r.c, "account.payment.register", vals, map[string]any{"context": wctx})
	if err != nil {
		return 0, err
	}
	ans, err := r.c.Call(ctx, "account.payment.register", "action_create_payments", []any{[]int64{wiz}}, map[string]any{"context": wctx})
	if err != nil {
		return 0, err
	}
	if act, ok := ans.(map[string]any); ok {
		if id := Record(act).Int("res_id"); id > 0 {
			return id, nil
		}
	}
	// No res_id (several payments, or a version that answers otherwise): by memo.
	f := r.d.PaymentMemo()
	got, err := SearchRead(ctx, r.c, "account.payment", []any{[]any{f, "=", memo}}, []string{"id"}, map[string]any{"order": "id desc", "limit": 1})
	if err != nil {
		return 0, err
	}
	if len(got) == 0 {
		return 0, permanent("account.payment.register", "action_create_payments", 0, "", "Odoo made no payment for "+memo)
	}
	return got[0].ID(), nil
}

// paymentJournal is the journal of a gateway's payments: the shop's one journal, or
// the gateway's from the mapping; with sync_payment_method an unmapped gateway gets
// its own bank journal "Card (<gateway>)". 0 is Odoo's default bank journal.
func (r *run) paymentJournal(ctx context.Context, gateway string, refs map[string]xmlRef) (int64, error) {
	p := r.cmd.Settings.Payments
	if p.Mode == "per_gateway" {
		if j := p.Gateways[gateway]; j > 0 {
			return j, nil
		}
	}
	if r.autoJournal(gateway) {
		return r.gatewayJournal(ctx, gateway, refs)
	}
	return p.JournalID, nil
}

// autoJournal says whether a gateway gets a journal of its own.
func (r *run) autoJournal(gateway string) bool {
	p := r.cmd.Settings.Payments
	if !p.SyncPaymentMethod || strings.TrimSpace(gateway) == "" {
		return false
	}
	if p.Mode == "per_gateway" {
		return p.Gateways[gateway] == 0
	}
	return p.JournalID == 0
}

// gatewayJournalXMLID names the journal Synco made for a gateway (one per Odoo
// database, shared by the shops that book into it).
func gatewayJournalXMLID(gateway string) string {
	return "shopify_gateway_journal_" + shopSlug(gateway)
}

func gatewayJournalName(gateway string) string { return "Card (" + gateway + ")" }

// gatewayJournalNames are the external ids the run's unmapped gateways need, unless
// their journal is cached.
func (r *run) gatewayJournalNames(pays []schemas.Transaction) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range pays {
		if !r.autoJournal(t.Gateway) || seen[t.Gateway] {
			continue
		}
		seen[t.Gateway] = true
		if _, ok := r.s.cachedJournal(t.Gateway); !ok {
			out = append(out, gatewayJournalXMLID(t.Gateway))
		}
	}
	return out
}

// gatewayJournal finds or creates the bank journal of a gateway: by external id, by
// name (one made before a crash lost its registration), else new. Serialised per
// gateway so that two orders never make two.
func (r *run) gatewayJournal(ctx context.Context, gateway string, refs map[string]xmlRef) (int64, error) {
	if id, ok := r.s.cachedJournal(gateway); ok {
		r.usedCache = true
		return id, nil
	}
	unlock := r.s.keys.lock("journal:" + gateway)
	defer unlock()
	if id, ok := r.s.cachedJournal(gateway); ok {
		return id, nil
	}
	xml := gatewayJournalXMLID(gateway)
	if ref, ok := refs[xml]; ok && ref.id > 0 && ref.model == "account.journal" {
		r.s.cacheJournal(gateway, ref.resID)
		return ref.resID, nil
	}
	name := gatewayJournalName(gateway)
	got, err := SearchRead(ctx, r.c, "account.journal", []any{[]any{"name", "=", name}, []any{"type", "=", "bank"}}, []string{"id"}, map[string]any{"order": "id", "limit": 1})
	if err != nil {
		return 0, err
	}
	var id int64
	if len(got) > 0 {
		id = got[0].ID()
	} else {
		// The code may be omitted: Odoo makes BNK2, BNK3, ... (see shared/odoo/NOTES.md).
		if id, err = Create(ctx, r.c, "account.journal", map[string]any{"name": name, "type": "bank"}, nil); err != nil {
			return 0, err
		}
		r.s.log.Info("odoo: created payment journal", "gateway", gateway, "journal", id)
	}
	// Registered at once (not with the run's ids): other orders rely on it.
	if _, err := Create(ctx, r.c, "ir.model.data", map[string]any{"module": XMLIDModule, "name": xml, "model": "account.journal", "res_id": id, "noupdate": true}, nil); err != nil {
		if !(IsPermanent(err) && strings.Contains(err.Error(), "ir_model_data_module_name_uniq_index")) {
			return 0, err
		}
	}
	r.s.cacheJournal(gateway, id)
	return id, nil
}

func (s *Syncer) cachedJournal(gateway string) (int64, bool) {
	v, ok := s.journals.Load(gateway)
	if !ok {
		return 0, false
	}
	return v.(int64), true
}

func (s *Syncer) cacheJournal(gateway string, id int64) { s.journals.Store(gateway, id) }
