package odoo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/synco-dev/synco/schemas"
)

// Refunds (with sync_refunds): each Shopify refund is one credit note (out_refund,
// reversed_entry_id the invoice) with the refunded line items at their refunded
// quantities and the invoice line's product, price, discount, taxes and account, the
// refunded shipping on the invoice's shipping line terms, and order adjustments
// (refund discrepancies) as a line on the rounding product. It is posted once the
// invoice is posted, and, when the order was paid, paid out by an outgoing payment per
// refund transaction (the payment wizard on the credit note). Registered under
// RefundXMLID; its ref "Shopify refund <id> (<order>)" finds it when the registration
// was lost.
//
// So that every order ends the same however its refunds arrived, the sale order and
// invoice carry the quantities before refunds (current_quantity plus the refunded
// ones) and the credit notes take the refunds back; the totals check compares
// Odoo's invoice with Shopify's total before refunds.

// restocks says whether a refunded line goes back to stock.
func restocks(t string) bool { return t == "return" || t == "cancel" || t == "legacy_restock" }

// refundTransactions are a refund's successful money movements back to the buyer.
func refundTransactions(rf schemas.Refund) []schemas.Transaction {
	var out []schemas.Transaction
	for _, t := range rf.Transactions {
		if t.Kind == "refund" && t.Status == "success" && t.Amount.Sign() > 0 {
			out = append(out, t)
		}
	}
	return out
}

// refundedQty is how much of a line item the refunds took back, when they are booked
// as credit notes and the snapshot's current_quantity already left them out.
func (r *run) refundedQty(li *schemas.LineItem) int64 {
	if !r.cmd.Settings.SyncRefunds || li.CurrentQuantity == nil {
		return 0
	}
	var n int64
	for _, rf := range r.o.Refunds {
		for _, rl := range rf.RefundLineItems {
			if rl.LineItemID == li.ID {
				n += int64(rl.Quantity)
			}
		}
	}
	return n
}

// refundedLines is what the refunds' line items took off Shopify's current totals.
func (m money) refundedLines(o *schemas.Order) (total, tax decimal.Decimal) {
	for _, rf := range o.Refunds {
		for _, rl := range rf.RefundLineItems {
			sub, tx := m.of(rl.Subtotal, rl.SubtotalPresentment), m.of(rl.TotalTax, rl.TotalTaxPresentment)
			total, tax = total.Add(sub), tax.Add(tx)
			if !o.TaxesIncluded {
				total = total.Add(tx)
			}
		}
	}
	return total, tax
}

func refundRef(orderName string, refundID int64) string {
	return fmt.Sprintf("Shopify refund %d (%s)", refundID, orderName)
}

func refundDate(rf schemas.Refund) string {
	for _, t := range []*time.Time{rf.ProcessedAt, rf.CreatedAt} {
		if t != nil && !t.IsZero() {
			return t.UTC().Format(time.DateOnly)
		}
	}
	return ""
}

// creditNoteOf finds a refund's credit note among the invoice's.
func (r *run) creditNoteOf(l *life, rf schemas.Refund) Record {
	ref := l.refs[RefundXMLID(r.cmd.Shop, rf.ID)]
	want := refundRef(r.o.Name, rf.ID)
	for _, cn := range l.refunds {
		if ref.id > 0 && ref.resID == cn.ID() {
			return cn
		}
	}
	for _, cn := range l.refunds {
		if cn.String("ref") == want {
			return cn
		}
	}
	return nil
}

func (r *run) creditNotes(ctx context.Context, l *life, refunds []schemas.Refund) error {
	invPosted := l.invState == "posted"
	moneyIn := l.paidToday || moneyCameIn(l)
	var paidOut map[string]int64
	if invPosted && moneyIn {
		var err error
		if paidOut, err = r.paidOut(ctx, l, refunds); err != nil {
			return err
		}
	}
	for _, rf := range refunds {
		cn := r.creditNoteOf(l, rf)
		var id int64
		state := "draft"
		if cn != nil {
			id, state = cn.ID(), cn.String("state")
			r.register(RefundXMLID(r.cmd.Shop, rf.ID), "account.move", id, l.refs[RefundXMLID(r.cmd.Shop, rf.ID)])
		} else {
			vals, err := r.creditNoteVals(ctx, l, rf)
			if err != nil {
				return err
			}
			if vals == nil {
				continue // nothing to credit (a refund of money only, without lines)
			}
			if id, err = Create(ctx, r.c, "account.move", vals, nil); err != nil {
				return err
			}
			r.register(RefundXMLID(r.cmd.Shop, rf.ID), "account.move", id, xmlRef{})
			r.s.log.Info("odoo: created credit note", "order", r.key, "refund", rf.ID, "credit_note", id)
			l.changed = true
		}
		if state == "cancel" {
			r.warn("the credit note of Shopify refund %d is cancelled in Odoo; left as it is", rf.ID)
			continue
		}
		justPosted := false
		if invPosted && state == "draft" {
			if err := r.post(ctx, id); err != nil {
				return err
			}
			state, l.changed, justPosted = "posted", true, true
		}
		if state == "posted" && !moneyIn && invoiceOpen(l.payState) {
			cnPay := ""
			if cn != nil && !justPosted {
				cnPay = cn.String("payment_state")
			}
			done, err := r.reconcileCredit(ctx, l.inv, id, justPosted, cnPay)
			if err != nil {
				return err
			}
			l.changed = l.changed || done
		}
		if state != "posted" || !moneyIn {
			continue
		}
		if err := r.payOut(ctx, l, id, cn, rf, paidOut); err != nil {
			return err
		}
	}
	return nil
}

// paidOut are the payments already made of the refunds' payouts whose registration
// is missing (a crash between the payment and its external id), by memo.
func (r *run) paidOut(ctx context.Context, l *life, refunds []schemas.Refund) (map[string]int64, error) {
	var outs []schemas.Transaction
	for _, rf := range refunds {
		for _, t := range refundTransactions(rf) {
			if l.refs[TransactionXMLID(r.cmd.Shop, t.ID)].id == 0 {
				outs = append(outs, t)
			}
		}
	}
	if len(outs) == 0 {
		return nil, nil
	}
	return r.paymentsByMemo(ctx, outs)
}

// payOut registers the refund's payouts on credit note id (cn as read; nil: made in
// this run), each found before it is made.
func (r *run) payOut(ctx context.Context, l *life, id int64, cn Record, rf schemas.Refund, paidOut map[string]int64) error {
	for _, t := range refundTransactions(rf) {
		xml := TransactionXMLID(r.cmd.Shop, t.ID)
		if l.refs[xml].id > 0 {
			continue
		}
		if pid := paidOut[r.txMemo(t.ID)]; pid > 0 {
			r.register(xml, "account.payment", pid, xmlRef{})
			continue
		}
		if cn != nil && cn.String("payment_state") == "paid" {
			r.warn("Shopify refund payment %d is not registered: its credit note is already paid in Odoo", t.ID)
			continue
		}
		journal, err := r.paymentJournal(ctx, t.Gateway, l.refs)
		if err != nil {
			return err
		}
		pid, err := r.registerPayment(ctx, id, l.m.txAmount(t), t.ProcessedAt, journal, r.txMemo(t.ID))
		if err != nil {
			return err
		}
		r.register(xml, "account.payment", pid, xmlRef{})
		r.s.log.Info("odoo: paid out refund", "order", r.key, "refund", rf.ID, "transaction", t.ID, "payment", pid)
		l.changed = true
	}
	return nil
}

// moneyCameIn says whether the invoice, as read, received money: paid (Odoo calls an
// invoice settled by credit notes alone "reversed"), or partly settled by more than
// its credit notes settled (a credit note reconciled with it makes it "partial").
func moneyCameIn(l *life) bool {
	switch l.payState {
	case "paid", "in_payment":
		return true
	case "partial":
		if l.invoice == nil {
			return true
		}
		settled := fromOdooNumber(l.invoice["amount_total"]).Sub(fromOdooNumber(l.invoice["amount_residual"]))
		for _, cn := range l.refunds {
			if cn.String("state") == "posted" {
				settled = settled.Sub(fromOdooNumber(cn["amount_total"]).Sub(fromOdooNumber(cn["amount_residual"])))
			}
		}
		return settled.Round(2).IsPositive()
	}
	return false
}

// invoiceLines reads the invoice's product lines once per run.
func (r *run) invoiceLines(ctx context.Context, l *life) ([]Record, error) {
	if l.invLines != nil {
		return l.invLines, nil
	}
	got, err := SearchRead(ctx, r.c, "account.move.line", []any{[]any{"move_id", "=", l.inv}, []any{"display_type", "=", "product"}},
		[]string{"id", "product_id", "name", "quantity", "price_unit", "discount", "tax_ids", "account_id"}, map[string]any{"order": "id"})
	if err != nil {
		return nil, err
	}
	l.invLines = got
	if l.invLines == nil {
		l.invLines = []Record{}
	}
	return l.invLines, nil
}

// invoiceLineOf is the invoice line of a Shopify line item: the n-th line with its
// description, n being its rank among the order's items of that description.
func (r *run) invoiceLineOf(lines []Record, lineItemID int64) (Record, *schemas.LineItem) {
	var li *schemas.LineItem
	rank := 0
	for i := range r.o.LineItems {
		if r.o.LineItems[i].ID == lineItemID {
			li = &r.o.LineItems[i]
			break
		}
	}
	if li == nil {
		return nil, nil
	}
	title := itemTitle(li)
	for i := range r.o.LineItems {
		if r.o.LineItems[i].ID == lineItemID {
			break
		}
		if itemTitle(&r.o.LineItems[i]) == title {
			rank++
		}
	}
	for _, l := range lines {
		if l.String("name") == title {
			if rank == 0 {
				return l, li
			}
			rank--
		}
	}
	return nil, li
}

// adjustmentLineOf is the invoice's discount adjustment line of the line described
// title (resolve.go names it so), or nil.
func adjustmentLineOf(lines []Record, title string) Record {
	for _, l := range lines {
		if l.String("name") == "Discount adjustment: "+title {
			return l
		}
	}
	return nil
}

// creditLine is a credit note line on an invoice line's terms.
func creditLine(inv Record, qty decimal.Decimal, price, discount decimal.Decimal, name string) map[string]any {
	v := map[string]any{"name": name, "quantity": odooFloat(qty), "price_unit": odooFloat(price), "discount": odooFloat(discount),
		"tax_ids": []any{[]any{6, 0, inv.IDs("tax_ids")}}}
	if p := inv.M2O("product_id"); p > 0 {
		v["product_id"] = p
	}
	if a := inv.M2O("account_id"); a > 0 {
		v["account_id"] = a
	}
	return v
}

// creditHeader is a credit note of invoice inv with lines cmds, found again by ref: the
// invoice's customer and origin, and those of its many2one fields named in copied.
func creditHeader(inv Record, ref string, cmds []any, copied ...string) map[string]any {
	vals := map[string]any{"move_type": "out_refund", "partner_id": inv.M2O("partner_id"), "reversed_entry_id": inv.ID(),
		"ref": ref, "invoice_line_ids": cmds}
	for _, f := range copied {
		if id := inv.M2O(f); id > 0 {
			vals[f] = id
		}
	}
	if o := inv.String("invoice_origin"); o != "" {
		vals["invoice_origin"] = o
	}
	return vals
}

// creditNoteVals are a refund's credit note, or nil when the refund credits nothing.
func (r *run) creditNoteVals(ctx context.Context, l *life, rf schemas.Refund) (map[string]any, error) {
	lines, err := r.invoiceLines(ctx, l)
	if err != nil {
		return nil, err
	}
	m := l.m
	var cmds []any
	for _, rl := range rf.RefundLineItems {
		if rl.Quantity <= 0 {
			continue
		}
		il, li := r.invoiceLineOf(lines, rl.LineItemID)
		if il == nil {
			what := fmt.Sprint(rl.LineItemID)
			if li != nil {
				what = fmt.Sprintf("%q", itemTitle(li))
			}
			r.warn("Shopify refund %d: line %s is not on the invoice; left out of the credit note", rf.ID, what)
			continue
		}
		qty, price, disc := decimal.NewFromInt(int64(rl.Quantity)), fromOdooNumber(il["price_unit"]), fromOdooNumber(il["discount"])
		cmds = append(cmds, []any{0, 0, creditLine(il, qty, price, disc, il.String("name"))})
		// The invoice line may carry its discount partly in an adjustment line (no
		// percent Odoo holds takes Shopify's discount off exactly): the credit takes
		// back what Shopify refunds of the line, to the cent, on that adjustment line.
		got := price.Mul(qty).Mul(decimal.NewFromInt(100).Sub(disc)).Div(decimal.NewFromInt(100)).Round(2)
		if want := m.of(rl.Subtotal, rl.SubtotalPresentment); want.IsPositive() && !want.Equal(got) {
			if adj := adjustmentLineOf(lines, il.String("name")); adj != nil {
				cmds = append(cmds, []any{0, 0, creditLine(adj, decimal.NewFromInt(1), want.Sub(got), decimal.Zero, adj.String("name"))})
			}
		}
	}
	var ship Record
	for _, il := range lines {
		if strings.HasPrefix(il.String("name"), "Shipping: ") {
			ship = il
			break
		}
	}
	shipLine := func(amount, tax decimal.Decimal) {
		if amount.Sign() == 0 {
			return
		}
		if r.o.TaxesIncluded {
			amount = amount.Add(tax)
		}
		if ship == nil {
			r.warn("Shopify refund %d refunds shipping of %s %s but the invoice has no shipping line; left out of the credit note", rf.ID, amount, m.currency)
			return
		}
		cmds = append(cmds, []any{0, 0, creditLine(ship, decimal.NewFromInt(1), amount, decimal.Zero, ship.String("name"))})
	}
	for _, sl := range rf.RefundShippingLines {
		shipLine(m.of(sl.Amount, sl.AmountPresentment), m.of(sl.Tax, sl.TaxPresentment))
	}
	for _, a := range rf.OrderAdjustments {
		amount, tax := m.of(a.Amount, a.AmountPresentment).Neg(), m.of(a.TaxAmount, a.TaxAmountPresentment).Neg()
		switch {
		case a.Kind == "shipping_refund" && len(rf.RefundShippingLines) > 0:
			// the same shipping as refund_shipping_lines (Shopify sends both)
		case a.Kind == "shipping_refund":
			shipLine(amount, tax)
		case amount.Sign() != 0:
			l := line{kind: kindAdjustment, name: "Refund adjustment: " + firstNonEmpty(a.Reason, a.Kind, "Shopify"), qty: 1, price: amount.Add(tax), taxes: []int64{}}
			if err := r.roundingProduct(ctx, &l); err != nil {
				return nil, err
			}
			v := map[string]any{"product_id": l.product, "name": l.name, "quantity": 1, "price_unit": odooFloat(l.price), "tax_ids": []any{[]any{6, 0, []int64{}}}}
			cmds = append(cmds, []any{0, 0, v})
		}
	}
	if len(cmds) == 0 {
		if len(refundTransactions(rf)) > 0 {
			r.warn("Shopify refund %d returns money but refunds no line, shipping or adjustment: no credit note", rf.ID)
		}
		return nil, nil
	}
	vals := creditHeader(l.invoice, refundRef(r.o.Name, rf.ID), cmds, "partner_shipping_id", "currency_id", "journal_id", "fiscal_position_id")
	if d := refundDate(rf); d != "" {
		vals["invoice_date"] = d
	}
	if n := strings.TrimSpace(rf.Note); n != "" {
		vals["narration"] = n
	}
	return vals, nil
}

// refundCredit is what a refund's credit note credits, in the money set m, as
// creditNoteVals builds it: its lines (with their taxes), its shipping, and its other
// order adjustments.
func (r *run) refundCredit(m money, rf schemas.Refund) decimal.Decimal {
	sum := decimal.Zero
	for _, rl := range rf.RefundLineItems {
		if rl.Quantity <= 0 {
			continue
		}
		sum = sum.Add(m.of(rl.Subtotal, rl.SubtotalPresentment))
		if !r.o.TaxesIncluded {
			sum = sum.Add(m.of(rl.TotalTax, rl.TotalTaxPresentment))
		}
	}
	for _, sl := range rf.RefundShippingLines {
		sum = sum.Add(m.of(sl.Amount, sl.AmountPresentment)).Add(m.of(sl.Tax, sl.TaxPresentment))
	}
	for _, a := range rf.OrderAdjustments {
		if a.Kind == "shipping_refund" && len(rf.RefundShippingLines) > 0 {
			continue // the same shipping as refund_shipping_lines
		}
		sum = sum.Sub(m.of(a.Amount, a.AmountPresentment)).Sub(m.of(a.TaxAmount, a.TaxAmountPresentment))
	}
	return sum
}

// checkRefundTotals compares each credit note's total with the money Shopify
// returned for its refund (or, without transactions, what the refund lists).
func (r *run) checkRefundTotals(l *life, refunds []schemas.Refund) {
	for _, rf := range refunds {
		cn := r.creditNoteOf(l, rf)
		if cn == nil {
			continue
		}
		want := decimal.Zero
		ts := refundTransactions(rf)
		for _, t := range ts {
			want = want.Add(l.m.txAmount(t))
		}
		if len(ts) == 0 {
			want = r.refundCredit(l.m, rf) // what the refund lists
		}
		got := fromOdooNumber(cn["amount_total"]).Round(2)
		if !got.Equal(want.Round(2)) {
			r.warn("credit note %s total %s %s ≠ Shopify refund %d %s %s", cn.String("name"), got.StringFixed(2), l.m.currency, rf.ID, want.StringFixed(2), l.m.currency)
		}
	}
}
