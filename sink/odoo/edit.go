package odoo

// Edits: an order already in Odoo follows its newest Shopify snapshot. The lines the
// snapshot makes (resolve.go, with current quantities) are compared with the lines
// Odoo holds (read with the look-up), matched by product and description; the header
// (customer, delivery address, note with tags and note attributes) likewise. Only a
// difference makes a call: one write of the document with one2many commands
// (0,0,vals) for a new line, (1,id,vals) for a change, (2,id) for a line gone from a
// draft (a confirmed order keeps the line at quantity 0, as Odoo requires). What Odoo
// refuses (a quantity below the delivered one, a locked order) is a needs-attention
// error carrying Odoo's reason.

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/synco-dev/synco/schemas"
)

func (d dialect) soLineFields() []string {
	return []string{"id", "order_id", "product_id", "name", "product_uom_qty", "price_unit", "discount", d.SaleLineTax(),
		"display_type", "qty_delivered", "qty_invoiced"}
}

var invLineFields = []string{"id", "move_id", "product_id", "name", "quantity", "price_unit", "discount", "tax_ids",
	"display_type", "sale_line_ids", "account_id"}

// readHeldLines reads, in one call per model for the whole batch, the lines of the
// live sale orders found and of the draft direct invoices found.
func readHeldLines(ctx context.Context, c Client, d dialect, out map[string]*existing) error {
	var soLines, invLines []int64
	bySO, byInv := map[int64]*existing{}, map[int64]*existing{}
	for _, ex := range out {
		switch {
		case ex.so != nil && ex.so.String("state") != "cancel":
			soLines = append(soLines, ex.so.IDs("order_line")...)
			bySO[ex.so.ID()] = ex
		case ex.so == nil && ex.inv != nil && ex.inv.String("state") == "draft":
			invLines = append(invLines, ex.inv.IDs("invoice_line_ids")...)
			byInv[ex.inv.ID()] = ex
		}
	}
	if len(soLines) > 0 {
		got, err := Read(ctx, c, "sale.order.line", soLines, d.soLineFields())
		if err != nil {
			return err
		}
		for _, l := range got {
			if ex := bySO[l.M2O("order_id")]; ex != nil {
				ex.soLines = append(ex.soLines, l)
			}
		}
	}
	if len(invLines) > 0 {
		got, err := Read(ctx, c, "account.move.line", invLines, invLineFields)
		if err != nil {
			return err
		}
		for _, l := range got {
			if ex := byInv[l.M2O("move_id")]; ex != nil {
				ex.invLines = append(ex.invLines, l)
			}
		}
	}
	return nil
}

// held is a document line as Odoo holds it.
type held struct {
	id, product          int64
	name                 string
	qty, price, discount decimal.Decimal
	delivered            decimal.Decimal
	taxes                []int64
	saleLines            []int64
}

func heldOf(rec Record, qtyField, taxField string) held {
	h := held{id: rec.ID(), product: rec.M2O("product_id"), name: rec.String("name"), qty: fromOdooNumber(rec[qtyField]),
		price: fromOdooNumber(rec["price_unit"]), discount: fromOdooNumber(rec["discount"]), delivered: fromOdooNumber(rec["qty_delivered"]),
		taxes: rec.IDs(taxField), saleLines: rec.IDs("sale_line_ids")}
	return h
}

// productLines are the held lines Synco manages: no sections or notes, and not the
// rounding line (kept as it is).
func productLines(recs []Record, qtyField, taxField string) []held {
	var out []held
	for _, r := range recs {
		if dt := r.String("display_type"); dt != "" && dt != "product" {
			continue
		}
		if strings.HasPrefix(r.String("name"), roundingLineName) {
			continue
		}
		out = append(out, heldOf(r, qtyField, taxField))
	}
	return out
}

const roundingLineName = "Rounding (Shopify total)"

func lineKey(product int64, name string) string {
	return itoa(product) + "|" + strings.TrimSpace(firstLine(name))
}

func sameIDs(a, b []int64) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// lineDiff is what it takes to make a document's lines the wanted ones.
type lineDiff struct {
	cmds    []any
	changes []string // for the log and the needs-attention message
}

// diffLines compares held lines with the wanted ones. vals makes a new line's values;
// qtyField and taxField name the document's fields. On a confirmed order a line gone
// from Shopify is kept at quantity 0 (Odoo refuses to delete it); a quantity Shopify
// lowered because of a refund stays at the delivered quantity until the goods are
// returned (the refund's return brings the delivered quantity down; an edit alone is
// sent as it is, and Odoo says whether it takes it).
func (r *run) diffLines(ctx context.Context, hs []held, want []line, confirmed bool, qtyField, taxField string, vals func(line) map[string]any) (lineDiff, error) {
	discDigits, priceDigits, err := r.precision(ctx)
	if err != nil {
		return lineDiff{}, err
	}
	var d lineDiff
	used := make([]bool, len(hs))
	refunded := r.refundedByItem()
	// Matched by product and description; then a shipping, tip, duty or fee line by
	// its product alone (one each per order: the shipping method may change).
	match := make([]int, len(want))
	for i, w := range want {
		match[i] = -1
		key := lineKey(w.product, w.name)
		for j, h := range hs {
			if used[j] || lineKey(h.product, h.name) != key {
				continue
			}
			if match[i] < 0 || (hs[match[i]].qty.IsZero() && !h.qty.IsZero()) {
				match[i] = j
			}
		}
		if match[i] >= 0 {
			used[match[i]] = true
		}
	}
	for i, w := range want {
		if match[i] >= 0 || (w.kind != kindShipping && w.kind != kindTip && w.kind != kindDuty && w.kind != kindFee) {
			continue
		}
		for j, h := range hs {
			if !used[j] && h.product == w.product {
				match[i], used[j] = j, true
				break
			}
		}
	}
	for i, w := range want {
		best := match[i]
		if best < 0 {
			d.cmds = append(d.cmds, []any{0, 0, vals(w)})
			d.changes = append(d.changes, fmt.Sprintf("add %q × %d", w.name, w.qty))
			continue
		}
		h := hs[best]
		q := decimal.NewFromInt(w.qty)
		if confirmed && q.LessThan(h.delivered) && refunded[w.item] > 0 {
			q = decimal.Min(h.delivered, q.Add(decimal.NewFromInt(refunded[w.item])))
		}
		v := map[string]any{}
		if !h.qty.Equal(q) || !h.price.Round(priceDigits).Equal(w.price.Round(priceDigits)) ||
			!h.discount.Round(discDigits).Equal(w.discount.Round(discDigits)) {
			// Odoo resets the price when only the quantity is written: all three go.
			v[qtyField], v["price_unit"], v["discount"] = odooFloat(q), odooFloat(w.price), odooFloat(w.discount)
			d.changes = append(d.changes, fmt.Sprintf("%q %s × %s −%s%% → %s × %s −%s%%", w.name, h.qty, h.price, h.discount, q, w.price, w.discount))
		}
		if !sameIDs(h.taxes, w.taxes) {
			v[taxField] = []any{[]any{6, 0, w.taxes}}
			d.changes = append(d.changes, fmt.Sprintf("%q taxes %v → %v", w.name, h.taxes, w.taxes))
		}
		if strings.TrimSpace(firstLine(h.name)) != strings.TrimSpace(w.name) {
			v["name"] = w.name
			d.changes = append(d.changes, fmt.Sprintf("%q → %q", h.name, w.name))
		}
		if len(v) > 0 {
			d.cmds = append(d.cmds, []any{1, h.id, v})
		}
	}
	removedRefunded := r.removedRefundedTitles()
	for j, h := range hs {
		if used[j] {
			continue
		}
		switch {
		case !confirmed:
			d.cmds = append(d.cmds, []any{2, h.id})
			d.changes = append(d.changes, fmt.Sprintf("remove %q", h.name))
		case !h.qty.IsZero():
			q := decimal.Zero
			if n := removedRefunded[strings.TrimSpace(firstLine(h.name))]; n > 0 {
				q = decimal.Min(h.delivered, decimal.NewFromInt(n))
			}
			if !h.qty.Equal(q) {
				d.cmds = append(d.cmds, []any{1, h.id, map[string]any{qtyField: odooFloat(q), "price_unit": odooFloat(h.price), "discount": odooFloat(h.discount)}})
				d.changes = append(d.changes, fmt.Sprintf("%q %s → %s (removed in Shopify)", h.name, h.qty, q))
			}
		}
	}
	return d, nil
}

// refundedByItem is the quantity Shopify's refunds took off each line item.
func (r *run) refundedByItem() map[int64]int64 {
	out := map[int64]int64{}
	for _, rf := range r.o.Refunds {
		for _, rl := range rf.RefundLineItems {
			out[rl.LineItemID] += int64(rl.Quantity)
		}
	}
	return out
}

// removedRefundedTitles are the refunded quantities of line items with no quantity
// left, by description (such lines make no wanted line to match).
func (r *run) removedRefundedTitles() map[string]int64 {
	refunded := r.refundedByItem()
	out := map[string]int64{}
	for i := range r.o.LineItems {
		li := &r.o.LineItems[i]
		if li.Qty() <= 0 && refunded[li.ID] > 0 {
			out[itemTitle(li)] += refunded[li.ID]
		}
	}
	return out
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// htmlText is an html field's text (Odoo wraps a note in <p>), for comparing.
func htmlText(s string) string {
	s = strings.NewReplacer("<br>", "\n", "<br/>", "\n", "<br />", "\n", "</p>", "\n").Replace(s)
	s = html.UnescapeString(tagRE.ReplaceAllString(s, ""))
	return strings.Join(strings.Fields(s), " ")
}

// followable says whether the snapshot is one a document should follow: not a
// cancelled order (cancel_sale_order decides what a cancellation does) and not one
// whose every line is gone (refunded or removed: the refunds' credit notes say it).
func (r *run) followable() bool {
	if r.o.CancelledAt != nil {
		return false
	}
	for i := range r.o.LineItems {
		if r.o.LineItems[i].Qty() > 0 {
			return true
		}
	}
	r.warn("no line of the order has a quantity left (refunded or removed): its lines in Odoo are left as they are")
	return false
}

// docMoney is the money set of a document made earlier: its own currency, whatever
// the settings now say (edits never move an order to another currency).
func (r *run) docMoney(currency string) {
	if currency == "" || strings.EqualFold(currency, r.money.currency) {
		return
	}
	r.money = money{presentment: strings.EqualFold(currency, r.o.PresentmentCurrency) && !strings.EqualFold(currency, r.o.Currency), currency: currency}
}

// wantedCustomer is the customer and delivery address the snapshot makes, with the
// delivery contact always known (an existing document is written explicitly).
func (r *run) wantedCustomer(ctx context.Context) (customer, error) {
	cust, err := r.customer(ctx)
	if err != nil {
		return cust, err
	}
	if cust.shipping == 0 {
		if cust.shipping, err = r.delivery(ctx, cust.id, r.o.ShippingAddress); err != nil {
			return cust, err
		}
	}
	return cust, nil
}

// followSaleOrder makes a draft or confirmed sale order hold the snapshot's lines,
// customer, delivery address and note. It answers the order as Odoo holds it after
// the write (read again) and whether anything changed.
func (r *run) followSaleOrder(ctx context.Context, ex *existing) (Record, bool, error) {
	so := ex.so
	state := so.String("state")
	cust, err := r.wantedCustomer(ctx)
	if err != nil {
		return so, false, err
	}
	want, err := r.lines(ctx)
	if err != nil {
		return so, false, err
	}
	confirmed := state != "draft" && state != "sent"
	hs := productLines(ex.soLines, "product_uom_qty", r.d.SaleLineTax())
	d, err := r.diffLines(ctx, hs, want, confirmed, "product_uom_qty", r.d.SaleLineTax(), r.saleLineVals)
	if err != nil {
		return so, false, err
	}
	vals := map[string]any{}
	if len(d.cmds) > 0 {
		vals["order_line"] = d.cmds
	}
	if cust.id != so.M2O("partner_id") {
		vals["partner_id"], vals["partner_invoice_id"] = cust.id, cust.id
		d.changes = append(d.changes, "customer")
	}
	if cust.shipping != so.M2O("partner_shipping_id") {
		vals["partner_shipping_id"] = cust.shipping
		d.changes = append(d.changes, "delivery address")
	}
	if note := r.note(); htmlText(note) != htmlText(so.String("note")) {
		vals["note"] = note
		d.changes = append(d.changes, "note")
	}
	if len(vals) == 0 {
		return so, false, nil
	}
	name := so.String("name")
	if err := Write(ctx, r.c, "sale.order", []int64{so.ID()}, vals); err != nil {
		return so, false, needsAttention(err, fmt.Sprintf("sale order %s refused the order's edit (%s)", name, strings.Join(d.changes, "; ")))
	}
	r.s.log.Info("odoo: sale order follows the order's edit", "order", r.key, "id", so.ID(), "changes", d.changes)
	got, err := Read(ctx, r.c, "sale.order", []int64{so.ID()}, r.d.lookupSOFields())
	if err != nil {
		return so, true, err
	}
	if len(got) == 0 {
		return so, true, permanent("sale.order", "read", 0, "", fmt.Sprintf("sale order %d vanished right after its edit", so.ID()))
	}
	return got[0], true, nil
}

// ---- the invoice of an edited order ------------------------------------------------------

// followInvoice keeps the order's invoice in step with its sale order: a draft one's
// lines are rewritten from the order's lines (when the order changed or the totals
// differ); a posted one is not rewritten: the difference is a warning, or, when the
// shop says so, a credit note of it and a new invoice from the order. It answers the
// order's invoice (a new one after a reissue).
func (r *run) followInvoice(ctx context.Context, so, inv Record, ex *existing, soChanged bool) (int64, error) {
	id := inv.ID()
	switch inv.String("state") {
	case "draft":
		if !soChanged && fromOdooNumber(inv["amount_total"]).Equal(fromOdooNumber(so["amount_total"])) && inv.M2O("partner_id") == so.M2O("partner_invoice_id") {
			return id, nil
		}
		return id, r.rewriteDraftInvoice(ctx, so, inv)
	case "posted":
		net, credited, err := r.netInvoiced(ctx, so, inv)
		if err != nil {
			return id, err
		}
		ci := r.docCurrencyInfo(so)
		total := fromOdooNumber(so["amount_total"])
		if net.Sub(total).Abs().LessThan(ci.minor()) {
			return id, nil
		}
		f := func(d decimal.Decimal) string { return d.StringFixed(ci.digits) }
		if r.cmd.Settings.PostedInvoiceEdits != schemas.PostedInvoiceCreditAndReissue || len(r.o.Refunds) > 0 || credited {
			r.warn("invoice %s is posted: Odoo has invoiced %s %s, the order is now %s %s (credit or invoice the difference in Odoo, or set posted_invoice_edits to credit_and_reissue)",
				inv.String("name"), f(net), ci.name, f(total), ci.name)
			return id, nil
		}
		return r.reissue(ctx, so, inv, ex)
	}
	return id, nil
}

// docCurrencyInfo is the currency of a document as far as known without a call.
func (r *run) docCurrencyInfo(doc Record) currencyInfo {
	t := totalsOf(doc)
	r.s.mu.Lock()
	ci, ok := r.s.currencies[t.currency]
	r.s.mu.Unlock()
	if !ok {
		ci = currencyInfo{name: t.currency, digits: 2}
	}
	return ci
}

// netInvoiced is what the order's customer invoices and credit notes come to (one
// read when the order has more than the one invoice, unless they were read), and
// whether a credit note other than Synco's reversals exists (a refund's).
func (r *run) netInvoiced(ctx context.Context, so, inv Record) (decimal.Decimal, bool, error) {
	ids := so.IDs("invoice_ids")
	if len(ids) <= 1 {
		return fromOdooNumber(inv["amount_total"]), false, nil
	}
	moves := r.orderMoves
	if len(moves) != len(ids) {
		var err error
		if moves, err = Read(ctx, r.c, "account.move", ids, []string{"id", "state", "move_type", "amount_total", "ref"}); err != nil {
			return decimal.Zero, false, err
		}
	}
	net, credited := decimal.Zero, false
	for _, m := range moves {
		if m.String("state") == "cancel" {
			continue
		}
		switch m.String("move_type") {
		case "out_invoice":
			net = net.Add(fromOdooNumber(m["amount_total"]))
		case "out_refund":
			net = net.Sub(fromOdooNumber(m["amount_total"]))
			credited = credited || !strings.HasPrefix(m.String("ref"), creditRef(""))
		}
	}
	return net, credited, nil
}

// rewriteDraftInvoice makes a draft invoice of a sale order hold the order's lines
// (what is left to invoice of each, this invoice's own share included), customer,
// delivery address and note, in one write.
func (r *run) rewriteDraftInvoice(ctx context.Context, so, inv Record) error {
	sol, err := Read(ctx, r.c, "sale.order.line", so.IDs("order_line"), r.d.soLineFields())
	if err != nil {
		return err
	}
	ils, err := Read(ctx, r.c, "account.move.line", inv.IDs("invoice_line_ids"), invLineFields)
	if err != nil {
		return err
	}
	hs := productLines(ils, "quantity", "tax_ids")
	own := map[int64]decimal.Decimal{} // sale line → its quantity on this invoice
	for _, h := range hs {
		for _, sl := range h.saleLines {
			own[sl] = own[sl].Add(h.qty)
		}
	}
	bySale := map[int64]int{}
	for i, h := range hs {
		if len(h.saleLines) == 1 {
			bySale[h.saleLines[0]] = i
		}
	}
	used := make([]bool, len(hs))
	var cmds []any
	for _, g := range sol {
		if dt := g.String("display_type"); dt != "" {
			continue
		}
		q := fromOdooNumber(g["product_uom_qty"]).Sub(fromOdooNumber(g["qty_invoiced"]).Sub(own[g.ID()]))
		l := line{kind: kindItem, product: g.M2O("product_id"), name: g.String("name"), price: fromOdooNumber(g["price_unit"]),
			discount: fromOdooNumber(g["discount"]), taxes: g.IDs(r.d.SaleLineTax())}
		if l.taxes == nil {
			l.taxes = []int64{}
		}
		i, ok := bySale[g.ID()]
		if !ok {
			if q.Sign() > 0 {
				v := r.invoiceLine(l, g.ID())
				v["quantity"] = odooFloat(q)
				cmds = append(cmds, []any{0, 0, v})
			}
			continue
		}
		used[i] = true
		h := hs[i]
		if q.Sign() <= 0 {
			cmds = append(cmds, []any{2, h.id})
			continue
		}
		v := map[string]any{}
		if !h.qty.Equal(q) || !h.price.Equal(l.price) || !h.discount.Equal(l.discount) || h.product != l.product || h.name != l.name {
			v["product_id"], v["name"], v["quantity"], v["price_unit"], v["discount"] = l.product, l.name, odooFloat(q), odooFloat(l.price), odooFloat(l.discount)
		}
		if !sameIDs(h.taxes, l.taxes) {
			v["tax_ids"] = []any{[]any{6, 0, l.taxes}}
		}
		if len(v) > 0 {
			cmds = append(cmds, []any{1, h.id, v})
		}
	}
	for i, h := range hs {
		if !used[i] {
			cmds = append(cmds, []any{2, h.id})
		}
	}
	vals := map[string]any{}
	if len(cmds) > 0 {
		vals["invoice_line_ids"] = cmds
	}
	if p := so.M2O("partner_invoice_id"); p != inv.M2O("partner_id") {
		vals["partner_id"] = p
	}
	if p := so.M2O("partner_shipping_id"); p != inv.M2O("partner_shipping_id") {
		vals["partner_shipping_id"] = p
	}
	if note := r.note(); htmlText(note) != htmlText(inv.String("narration")) {
		vals["narration"] = note
	}
	if len(vals) == 0 {
		return nil
	}
	if err := Write(ctx, r.c, "account.move", []int64{inv.ID()}, vals); err != nil {
		return needsAttention(err, fmt.Sprintf("draft invoice %d refused the order's edit", inv.ID()))
	}
	r.s.log.Info("odoo: draft invoice follows the order's edit", "order", r.key, "invoice", inv.ID())
	return nil
}

// reissue credits a posted invoice of a sale order in full and invoices the order
// anew (posted when the settings post invoices). Each step is found before it is
// made, so a crash between any two calls never credits or invoices twice.
func (r *run) reissue(ctx context.Context, so, inv Record, ex *existing) (int64, error) {
	if _, err := r.creditNote(ctx, inv, "edited"); err != nil {
		return inv.ID(), err
	}
	found, err := SearchRead(ctx, r.c, "account.move", []any{[]any{"move_type", "=", "out_invoice"}, []any{"invoice_origin", "=", so.String("name")},
		[]any{"id", ">", inv.ID()}, []any{"state", "!=", "cancel"}}, []string{"id", "state"}, map[string]any{"order": "id", "limit": 1})
	if err != nil {
		return inv.ID(), err
	}
	var id int64
	state := "draft"
	if len(found) > 0 {
		id, state = found[0].ID(), found[0].String("state")
		r.register(InvoiceXMLID(r.cmd.Shop, r.cmd.OrderID), "account.move", id, ex.invXML)
	} else if id, err = r.createInvoiceFromOrder(ctx, so, nil, ex); err != nil {
		return inv.ID(), err
	}
	if r.cmd.Invoice == schemas.InvoicePosted && state == "draft" {
		if err := r.post(ctx, id); err != nil {
			return id, err
		}
	}
	r.warn("invoice %s was posted: credited in full and the edited order invoiced again", inv.String("name"))
	return id, nil
}

// creditRef is the reference of the credit note Synco makes of an invoice, by which
// it is found again.
func creditRef(invName string) string { return "Synco: reversal of " + invName }

// creditNote makes sure a posted invoice has Synco's credit note of its whole amount,
// posted: found by its reference (and the reversed invoice), else created from the
// invoice's lines (linked to the same sale lines, so Odoo counts them credited) and
// posted. why says what happened in Shopify ("cancelled", "edited").
func (r *run) creditNote(ctx context.Context, inv Record, why string) (int64, error) {
	name := inv.String("name")
	found, err := SearchRead(ctx, r.c, "account.move", []any{[]any{"move_type", "=", "out_refund"}, []any{"reversed_entry_id", "=", inv.ID()},
		[]any{"ref", "=", creditRef(name)}, []any{"state", "!=", "cancel"}}, []string{"id", "state", "payment_state"}, map[string]any{"order": "id", "limit": 1})
	if err != nil {
		return 0, err
	}
	var id int64
	state, cnPay := "draft", ""
	if len(found) > 0 {
		id, state, cnPay = found[0].ID(), found[0].String("state"), found[0].String("payment_state")
	} else {
		lines, err := Read(ctx, r.c, "account.move.line", inv.IDs("invoice_line_ids"), invLineFields)
		if err != nil {
			return 0, err
		}
		var cmds []any
		for _, l := range lines {
			if dt := l.String("display_type"); dt != "" && dt != "product" {
				continue
			}
			v := creditLine(l, fromOdooNumber(l["quantity"]), fromOdooNumber(l["price_unit"]), fromOdooNumber(l["discount"]), l.String("name"))
			if sl := l.IDs("sale_line_ids"); len(sl) > 0 {
				v["sale_line_ids"] = []any{[]any{6, 0, sl}}
			}
			cmds = append(cmds, []any{0, 0, v})
		}
		vals := creditHeader(inv, creditRef(name), cmds, "partner_shipping_id", "currency_id")
		if j := r.cmd.Settings.SalesJournalID; j > 0 {
			vals["journal_id"] = j
		}
		if at := r.o.CancelledAt; at != nil && !at.IsZero() && why == "cancelled" {
			vals["invoice_date"] = at.UTC().Format("2006-01-02")
		}
		if id, err = Create(ctx, r.c, "account.move", vals, nil); err != nil {
			return 0, needsAttention(err, fmt.Sprintf("credit note of invoice %s", name))
		}
		r.register(CreditXMLID(r.cmd.Shop, r.cmd.OrderID, inv.ID()), "account.move", id, xmlRef{})
		r.s.log.Info("odoo: created credit note", "order", r.key, "invoice", inv.ID(), "credit_note", id, "why", why)
	}
	justPosted := state == "draft"
	if justPosted {
		if err := r.post(ctx, id); err != nil {
			return id, needsAttention(err, fmt.Sprintf("posting the credit note of invoice %s", name))
		}
		r.movesChanged = true // 17+ reconciled it with the invoice: its payment_state moved
	}
	if invoiceOpen(inv.String("payment_state")) {
		if _, err := r.reconcileCredit(ctx, inv.ID(), id, justPosted, cnPay); err != nil {
			return id, err
		}
	}
	return id, nil
}

// CreditXMLID is the external id name of the credit note Synco makes of an order's
// invoice when the order is cancelled or edited after the invoice was posted.
func CreditXMLID(shop string, orderID, invoiceID int64) string {
	return fmt.Sprintf("%s_credit_%d", OrderXMLID(shop, orderID), invoiceID)
}

// ---- direct invoices -------------------------------------------------------------------------

// followDirectInvoice makes a draft direct invoice hold the snapshot's lines, customer
// and note; a posted one is compared with Shopify's total (a warning, or credit and
// reissue when the shop says so). It answers the order's invoice.
func (r *run) followDirectInvoice(ctx context.Context, ex *existing) (int64, bool, error) {
	inv := ex.inv
	switch inv.String("state") {
	case "draft":
		cust, err := r.wantedCustomer(ctx)
		if err != nil {
			return inv.ID(), false, err
		}
		want, err := r.lines(ctx)
		if err != nil {
			return inv.ID(), false, err
		}
		hs := productLines(ex.invLines, "quantity", "tax_ids")
		d, err := r.diffLines(ctx, hs, want, false, "quantity", "tax_ids", func(l line) map[string]any { return r.invoiceLine(l, 0) })
		if err != nil {
			return inv.ID(), false, err
		}
		vals := map[string]any{}
		if len(d.cmds) > 0 {
			vals["invoice_line_ids"] = d.cmds
		}
		if cust.id != inv.M2O("partner_id") {
			vals["partner_id"] = cust.id
		}
		if cust.shipping != inv.M2O("partner_shipping_id") {
			vals["partner_shipping_id"] = cust.shipping
		}
		if note := r.note(); htmlText(note) != htmlText(inv.String("narration")) {
			vals["narration"] = note
		}
		if len(vals) == 0 {
			return inv.ID(), false, nil
		}
		if err := Write(ctx, r.c, "account.move", []int64{inv.ID()}, vals); err != nil {
			return inv.ID(), false, needsAttention(err, fmt.Sprintf("draft invoice %d refused the order's edit", inv.ID()))
		}
		r.s.log.Info("odoo: draft invoice follows the order's edit", "order", r.key, "invoice", inv.ID(), "changes", d.changes)
		return inv.ID(), true, nil
	case "posted":
		want, _ := r.money.expected(r.o)
		ci := r.docCurrencyInfo(inv)
		got := fromOdooNumber(inv["amount_total"])
		if want.Sub(got).Abs().LessThan(ci.minor()) {
			return inv.ID(), false, nil
		}
		if r.cmd.Settings.PostedInvoiceEdits != schemas.PostedInvoiceCreditAndReissue || len(r.o.Refunds) > 0 {
			f := func(d decimal.Decimal) string { return d.StringFixed(ci.digits) }
			r.warn("invoice %s is posted: it holds %s %s, the order is now %s %s (credit or invoice the difference in Odoo, or set posted_invoice_edits to credit_and_reissue)",
				inv.String("name"), f(got), ci.name, f(want), ci.name)
			return inv.ID(), false, nil
		}
		if _, err := r.creditNote(ctx, inv, "edited"); err != nil {
			return inv.ID(), false, err
		}
		found, err := SearchRead(ctx, r.c, "account.move", []any{[]any{"move_type", "=", "out_invoice"}, []any{"invoice_origin", "=", r.key},
			[]any{"id", ">", inv.ID()}, []any{"state", "!=", "cancel"}}, lookupInvoiceFields, map[string]any{"order": "id", "limit": 1})
		if err != nil {
			return inv.ID(), false, err
		}
		r.warn("invoice %s was posted: credited in full and the edited order invoiced again", inv.String("name"))
		if len(found) > 0 {
			return 0, true, r.reissued(found[0], ex)
		}
		return 0, true, nil // the caller makes the new invoice
	}
	return inv.ID(), false, nil
}

// reissued takes a direct invoice made again as the order's invoice (and posts it when
// asked).
func (r *run) reissued(inv Record, ex *existing) error {
	r.register(InvoiceXMLID(r.cmd.Shop, r.cmd.OrderID), "account.move", inv.ID(), ex.invXML)
	ex.inv = inv
	return nil
}
