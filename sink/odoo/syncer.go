package odoo

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
	"github.com/synco-dev/synco/schemas"
)

// Syncer makes Odoo hold what an OrderSync command asks for. It is level-triggered:
// the command is the whole desired state, and Apply reads what Odoo has for the order
// and does only what is missing, so a duplicate, a replay or a retry after a crash
// between any two calls is harmless. An order's records are registered under external
// ids (see identity.go) and found through them; the origin "shopify:<shop>/<id>" is
// written in the same create and is the fallback.
//
// What an order already has in Odoo is kept: a change of the shop's create mode
// applies to orders not yet in Odoo, and an order already there gets only what the new
// mode adds (an invoice for a sale order, a posted invoice for a draft one); an order
// made as a direct invoice never gets a second document (a sale order) for the same
// sale.
//
// Amounts are those of the money set the shop chose (shop or presentment currency,
// see currency.go); the sale order's pricelist and the invoice's currency_id are of
// that currency. After writing, the Syncer reads Odoo's amount_untaxed, amount_tax
// and amount_total and compares them with Shopify's: a difference of a minor unit or
// more becomes a rounding line when the shop allows it, otherwise a warning in
// Result.Warnings ("Odoo total 73.12 EUR ≠ Shopify 73.13 EUR").
//
// RPC calls per order are asserted in scenarios_test.go and recorded per scenario on
// real Odoo in bench/RESULTS.md. Once per Syncer it reads the company, the decimal
// precisions, the countries, the pricelists, the currencies and the sale taxes it
// needs; per order: the look-up (1 to 3 calls, shared by a Prefetch batch), the
// customer and products when not cached, the create, one read of what Odoo computed,
// the state changes, and one registration of the new external ids.
//
// Caches (partners by email, delivery contacts, products by code, taxes, currencies)
// are per Syncer and safe for concurrent use; finding-or-creating one customer or
// SKU is serialised per key, so two orders in flight never create the same product
// twice. An id that vanished from Odoo (MissingError) flushes the caches and the order
// is tried once more.
type Syncer struct {
	c   Client
	log *slog.Logger

	mu           sync.Mutex
	partners     map[string]int64 // "email:<lower email>" or "ref:<ref>"
	partnerAddrs map[int64]Record // the address of a partner found or made
	deliveries   map[string]int64 // addressKey → delivery contact
	products     map[string]int64 // default_code
	noProduct    map[string]bool  // legacy codes known not to exist
	policies     map[int64]string // product → invoice_policy, as read
	mapped       map[string]int64 // product external ids (0: none)
	tax          taxState
	geo          geoState

	comp             company
	compLoaded       bool
	currencies       map[string]currencyInfo
	pricelists       map[int64]int64 // currency → pricelist
	anyPricelist     bool
	pricelistsLoaded bool
	discDigits       int32
	priceDigits      int32
	precLoaded       bool
	giftAccount      int64
	journals         sync.Map // gateway → its bank journal (payments.go)
	generation       uint64   // bumped by flush

	keys keyedMutex
}

// SyncerOption tunes a Syncer.
type SyncerOption func(*Syncer)

// WithLogger logs one line per record the Syncer creates or changes.
func WithLogger(l *slog.Logger) SyncerOption { return func(s *Syncer) { s.log = l } }

// NewSyncer makes a Syncer for one Odoo.
func NewSyncer(c Client, opts ...SyncerOption) *Syncer {
	s := &Syncer{c: c, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(s)
	}
	s.flush()
	return s
}

// Result is what Odoo holds for the order after Apply.
type Result struct {
	Model     string // "sale.order" or "account.move" (a direct invoice); "" when nothing is wanted
	ID        int64
	Name      string
	InvoiceID int64
	// Currency is the ISO code the order is booked in (the shop's or the presentment
	// currency, as the settings say), Total Odoo's amount_total of the document and
	// ShopifyTotal Shopify's total in that currency (what the order table shows).
	Currency     string
	Total        decimal.Decimal
	ShopifyTotal decimal.Decimal
	// What Odoo holds at the end of Apply: the invoice's state and payment_state, the
	// total of the order's credit notes (booked currency) and whether the sale order
	// is cancelled (see life.go).
	InvoiceState   string
	PaymentState   string
	RefundedAmount decimal.Decimal
	Cancelled      bool
	Calls          int      // RPC calls made for this order
	Warnings       []string // differences a person should know about (totals, rounding, state left alone)
	// NotSynced says why nothing was made for an order Odoo does not hold (e.g. it
	// was cancelled before it was synced): the outcome is "not synced" with this reason.
	NotSynced string
}

func (s *Syncer) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partners = map[string]int64{}
	s.partnerAddrs = map[int64]Record{}
	s.deliveries = map[string]int64{}
	s.products = map[string]int64{}
	s.noProduct = map[string]bool{}
	s.policies = map[int64]string{}
	s.mapped = map[string]int64{}
	s.tax = taxState{}
	s.geo = geoState{}
	s.currencies = map[string]currencyInfo{}
	s.pricelists, s.pricelistsLoaded = map[int64]int64{}, false
	s.giftAccount = 0
	s.journals.Clear()
	s.generation++
}

// counter counts the calls made for one order.
type counter struct {
	Client
	n atomic.Int64
}

func (c *counter) Call(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
	c.n.Add(1)
	return c.Client.Call(ctx, model, method, args, kwargs)
}

// StableKey is the origin of an order's Odoo records (the human reference, and the
// fallback look-up for records made before external ids).
func StableKey(shop string, orderID int64) string {
	return fmt.Sprintf("shopify:%s/%d", shop, orderID)
}

// Apply makes Odoo match cmd. Errors are *Error (see IsRetriable, IsPermanent).
func (s *Syncer) Apply(ctx context.Context, cmd *schemas.OrderSync) (Result, error) {
	return s.apply(ctx, cmd, nil)
}

func (s *Syncer) apply(ctx context.Context, cmd *schemas.OrderSync, ex *existing) (Result, error) {
	if cmd == nil || cmd.Shop == "" || cmd.OrderID == 0 {
		return Result{}, permanent("", "apply", 0, "", "command without shop or order id")
	}
	cc := &counter{Client: s.c}
	v, err := s.c.Version(ctx)
	if err != nil {
		return Result{}, err
	}
	r := newRun(s, cc, cmd, v)
	res, err := r.apply(ctx, ex)
	if err != nil && r.usedCache && isMissingRecord(err) {
		// A cached partner, product or tax was deleted in Odoo: forget them all, once.
		s.flush()
		r = newRun(s, cc, cmd, v)
		res, err = r.apply(ctx, nil)
	}
	res.Calls = int(cc.n.Load())
	return res, err
}

// run is one Apply.
type run struct {
	s          *Syncer
	c          Client
	cmd        *schemas.OrderSync
	o          *schemas.Order
	d          dialect
	key        string
	money      money
	usedCache  bool
	soChanged  bool     // the sale order was edited in this run (its invoice follows)
	orderMoves []Record // the sale order's invoices and credit notes, when read
	// movesChanged: a credit note was posted or reconciled with an invoice in this run,
	// so the invoice's payment_state as the look-up read it is stale.
	movesChanged bool
	warnings     []string
	pending      []pendingXMLID
	// absent are the partners ("partner/<key>") and product codes ("product/<code>")
	// the batch's search found missing just before: made without a second search.
	absent map[string]bool
	// madeWithDelivery is the partner key of the buyer the batch created for this
	// order with its delivery contact inside (createPartners): the order sends no
	// partner_shipping_id and Odoo picks that contact, as when the order makes it.
	madeWithDelivery string
}

func newRun(s *Syncer, c Client, cmd *schemas.OrderSync, version int) *run {
	return &run{s: s, c: c, cmd: cmd, o: &cmd.Order, d: dialect{version: version}, key: StableKey(cmd.Shop, cmd.OrderID)}
}

func (r *run) warn(format string, args ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(format, args...))
}

func (r *run) wantsSaleOrder() bool {
	return r.cmd.SaleOrder != schemas.SaleOrderNone && r.cmd.SaleOrder != ""
}

func (r *run) wantsInvoice() bool {
	return r.cmd.Invoice != schemas.InvoiceNone && r.cmd.Invoice != ""
}

func (r *run) apply(ctx context.Context, ex *existing) (Result, error) {
	if !r.wantsSaleOrder() && !r.wantsInvoice() {
		return Result{Warnings: []string{}}, nil // nothing is wanted in Odoo
	}
	if ex == nil {
		found, err := lookup(ctx, r.c, r.d, []*schemas.OrderSync{r.cmd})
		if err != nil {
			return Result{}, err
		}
		ex = found[r.key]
	}
	var w string
	r.money, w = chooseMoney(r.o, r.cmd.Settings.Currency)
	r.money.withRefunds = r.cmd.Settings.SyncRefunds
	if w != "" {
		r.warn("%s", w)
	}
	var res Result
	var err error
	switch {
	case ex.so != nil:
		res, err = r.withSaleOrder(ctx, ex)
	case ex.inv != nil:
		res, err = r.withDirectInvoice(ctx, ex)
	case r.cmd.SaleOrder == schemas.SaleOrderCancelled:
		// Not created just to be cancelled.
		res.NotSynced = notSyncedCancelled
	case r.wantsSaleOrder():
		res, err = r.newSaleOrder(ctx, ex)
	case r.wantsInvoice():
		res, err = r.newDirectInvoice(ctx, ex)
	}
	if err == nil && res.Model != "" {
		err = r.afterDocuments(ctx, ex, &res) // payments, refunds, returns, statuses (life.go)
	}
	// Register what was made even when a later step failed: the records exist.
	if ferr := r.flushXMLIDs(ctx); ferr != nil && err == nil {
		err = ferr
	}
	res.Warnings = r.warnings
	if res.Warnings == nil {
		res.Warnings = []string{}
	}
	if res.Model != "" {
		if res.Currency == "" {
			res.Currency = r.money.currency
		}
		m := r.money
		m.withRefunds = false                             // Shopify's total now, after refunds
		if !strings.EqualFold(res.Currency, m.currency) { // a document made under other settings
			m = money{presentment: strings.EqualFold(res.Currency, r.o.PresentmentCurrency) && !strings.EqualFold(res.Currency, r.o.Currency), currency: res.Currency}
		}
		res.ShopifyTotal, _ = m.expected(r.o)
	}
	return res, err
}

// ---- the document's currency ---------------------------------------------------------

// docCurrency is the Odoo currency of the order's money set (activated when needed)
// and its pricelist.
func (r *run) docCurrency(ctx context.Context) (currencyInfo, int64, error) {
	comp, err := r.company(ctx)
	if err != nil {
		return currencyInfo{}, 0, err
	}
	code := r.money.currency
	if code == "" {
		code = comp.currency
	}
	ci, err := r.currency(ctx, code, comp)
	if err != nil {
		return ci, 0, err
	}
	if !ci.hasRate {
		r.warn("Odoo has no exchange rate for %s: its amounts in %s use a rate of 1", ci.name, comp.currency)
	}
	pl, err := r.pricelist(ctx, ci, comp)
	return ci, pl, err
}

// ---- totals ---------------------------------------------------------------------------

// totals is what Odoo computed for a document.
type totals struct {
	untaxed, tax, total decimal.Decimal
	currency            string
}

func totalsOf(doc Record) totals {
	t := totals{untaxed: fromOdooNumber(doc["amount_untaxed"]).Round(6), tax: fromOdooNumber(doc["amount_tax"]).Round(6),
		total: fromOdooNumber(doc["amount_total"]).Round(6)}
	if l, ok := doc["currency_id"].([]any); ok && len(l) > 1 {
		t.currency, _ = l[1].(string)
	}
	return t
}

// checkTotals compares Odoo's totals with Shopify's in the chosen currency and warns
// about every difference of a minor unit or more. It answers what the total misses
// (Shopify − Odoo), for a rounding line.
func (r *run) checkTotals(got totals, ci currencyInfo) decimal.Decimal {
	wantTotal, wantTax := r.money.expected(r.o)
	cur := ci.name
	if got.currency != "" && !strings.EqualFold(got.currency, ci.name) {
		r.warn("Odoo books the order in %s, not %s", got.currency, ci.name)
		return decimal.Zero
	}
	f := func(d decimal.Decimal) string { return d.StringFixed(ci.digits) }
	minor := ci.minor()
	diff := wantTotal.Sub(got.total).Round(ci.digits)
	if diff.Abs().GreaterThanOrEqual(minor) {
		r.warn("Odoo total %s %s ≠ Shopify %s %s", f(got.total), cur, f(wantTotal), cur)
	}
	if d := wantTax.Sub(got.tax).Round(ci.digits); d.Abs().GreaterThanOrEqual(minor) {
		r.warn("Odoo tax %s %s ≠ Shopify %s %s", f(got.tax), cur, f(wantTax), cur)
	}
	return diff
}

// roundingLine answers the line that closes a total's difference, when the shop
// allows one.
func (r *run) roundingLine(ctx context.Context, diff decimal.Decimal, ci currencyInfo) (*line, error) {
	if !r.cmd.Settings.RoundingLine || diff.Abs().LessThan(ci.minor()) {
		return nil, nil
	}
	l := line{kind: kindRounding, name: "Rounding (Shopify total)", qty: 1, price: diff, taxes: []int64{}}
	if err := r.roundingProduct(ctx, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// roundingProduct gives l the rounding product: the shop's, else the one coded
// RoundingCode.
func (r *run) roundingProduct(ctx context.Context, l *line) error {
	productFor(l, r.cmd.Settings.Products.RoundingID, RoundingCode)
	if l.product == 0 {
		ids, err := r.productsByCode(ctx, map[string]bool{RoundingCode: true}, nil)
		if err != nil {
			return err
		}
		l.product = ids[RoundingCode]
	}
	return nil
}

// withoutTotalWarning drops the total warning a rounding line made untrue.
func (r *run) withoutTotalWarning() {
	r.warnings = slices.DeleteFunc(r.warnings, func(w string) bool { return strings.HasPrefix(w, "Odoo total ") })
}

// ---- sale order ------------------------------------------------------------------------

func (r *run) saleLineVals(l line) map[string]any {
	return map[string]any{
		"product_id":      l.product,
		"name":            l.name,
		"product_uom_qty": l.qty,
		"price_unit":      odooFloat(l.price),
		"discount":        odooFloat(l.discount),
		r.d.SaleLineTax(): []any{[]any{6, 0, l.taxes}},
	}
}

// saleOrderVals resolves what a new sale order needs (customer, products, taxes,
// currency) and answers its create values, with its lines and currency: a batch
// creates many orders' values in one call (batchapply.go), newSaleOrder one.
func (r *run) saleOrderVals(ctx context.Context) (map[string]any, []line, currencyInfo, error) {
	cust, lines, err := r.customerAndLines(ctx)
	if err != nil {
		return nil, nil, currencyInfo{}, err
	}
	ci, pricelist, err := r.docCurrency(ctx)
	if err != nil {
		return nil, nil, currencyInfo{}, err
	}
	cmds := make([]any, 0, len(lines))
	for _, l := range lines {
		cmds = append(cmds, []any{0, 0, r.saleLineVals(l)})
	}
	vals := map[string]any{
		"partner_id":       cust.id,
		"client_order_ref": r.o.Name,
		"origin":           r.key,
		"order_line":       cmds,
	}
	if cust.shipping > 0 {
		vals["partner_shipping_id"] = cust.shipping
	}
	if pricelist > 0 {
		vals["pricelist_id"] = pricelist
	}
	if r.cmd.OdooName != "" {
		vals["name"] = r.cmd.OdooName
	}
	if !r.o.CreatedAt.IsZero() {
		vals["date_order"] = r.o.CreatedAt.UTC().Format("2006-01-02 15:04:05")
	}
	if note := r.note(); note != "" {
		vals["note"] = note
	}
	return vals, lines, ci, nil
}

func (r *run) newSaleOrder(ctx context.Context, ex *existing) (Result, error) {
	vals, lines, ci, err := r.saleOrderVals(ctx)
	if err != nil {
		return Result{}, err
	}
	id, err := Create(ctx, r.c, "sale.order", vals, nil)
	if err != nil {
		return Result{}, err
	}
	r.register(OrderXMLID(r.cmd.Shop, r.cmd.OrderID), "sale.order", id, ex.soXML)
	r.s.log.Info("odoo: created sale order", "order", r.key, "id", id, "currency", ci.name)
	res := Result{Model: "sale.order", ID: id, Name: r.cmd.OdooName, Currency: ci.name}
	var so Record
	readBack := func() error {
		got, err := Read(ctx, r.c, "sale.order", []int64{id}, r.d.lookupSOFields())
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return permanent("sale.order", "read", 0, "", fmt.Sprintf("sale order %d vanished right after its create", id))
		}
		so = got[0]
		return nil
	}
	if r.cmd.Settings.RoundingLine {
		// Before confirming: the rounding line is part of what is confirmed and invoiced.
		if err := readBack(); err != nil {
			return res, err
		}
		rl, err := r.roundingLine(ctx, r.checkTotals(totalsOf(so), ci), ci)
		if err != nil {
			return res, err
		}
		if rl != nil {
			if err := Write(ctx, r.c, "sale.order", []int64{id}, map[string]any{"order_line": []any{[]any{0, 0, r.saleLineVals(*rl)}}}); err != nil {
				return res, err
			}
			r.withoutTotalWarning()
			lines = append(lines, *rl)
			so = nil // read again below: the totals and lines changed
		}
	}
	if r.cmd.SaleOrder == schemas.SaleOrderConfirmed || (r.cmd.SaleOrder != schemas.SaleOrderCancelled && r.wantsInvoice()) {
		if _, err := r.c.Call(ctx, "sale.order", "action_confirm", []any{[]int64{id}}, nil); err != nil {
			return res, err
		}
		r.s.log.Info("odoo: confirmed sale order", "order", r.key, "id", id)
		if so != nil {
			so["state"] = "sale"
		}
	}
	if so == nil {
		if err := readBack(); err != nil {
			return res, err
		}
		if !r.cmd.Settings.RoundingLine {
			r.checkTotals(totalsOf(so), ci)
		}
	}
	res.Name, res.Total = so.String("name"), totalsOf(so).total
	if r.cmd.SaleOrder == schemas.SaleOrderCancelled {
		if err := r.cancel(ctx, id); err != nil {
			return res, err
		}
		return res, nil
	}
	if !r.wantsInvoice() {
		return res, nil
	}
	res.InvoiceID, err = r.invoiceFromOrder(ctx, so, ex, lines)
	return res, err
}

func (r *run) withSaleOrder(ctx context.Context, ex *existing) (Result, error) {
	so := ex.so
	if ex.soDup > 0 {
		r.warn("%d more sale orders in Odoo carry %s (copies); using the oldest, %s", ex.soDup, r.key, so.String("name"))
	}
	id, state := so.ID(), so.String("state")
	r.register(OrderXMLID(r.cmd.Shop, r.cmd.OrderID), "sale.order", id, ex.soXML)
	t := totalsOf(so)
	res := Result{Model: "sale.order", ID: id, Name: so.String("name"), Currency: t.currency, Total: t.total}
	soChanged := false
	if state != "cancel" && r.cmd.SaleOrder != schemas.SaleOrderCancelled && !ex.fresh && !r.bookedElsewhere(t) && r.followable() {
		// The order follows its newest snapshot (edit.go).
		r.docMoney(t.currency)
		got, changed, err := r.followSaleOrder(ctx, ex)
		if err != nil {
			return res, err
		}
		if changed {
			so, ex.so, soChanged = got, got, true
			t = totalsOf(so)
			res.Total = t.total
		}
	}
	if state != "cancel" {
		r.checkExisting(t)
	}
	want := r.cmd.SaleOrder
	if !r.wantsSaleOrder() && r.wantsInvoice() {
		// The shop now creates invoices only; this order is in Odoo as a sale order
		// and gets its invoice from it.
		want = schemas.SaleOrderConfirmed
		if state == "draft" || state == "sent" {
			r.warn("sale order %s confirmed so that it can be invoiced (the shop's create mode now makes invoices)", res.Name)
		}
	}
	switch want {
	case schemas.SaleOrderConfirmed:
		switch state {
		case "draft", "sent":
			if _, err := r.c.Call(ctx, "sale.order", "action_confirm", []any{[]int64{id}}, nil); err != nil {
				return res, err
			}
			r.s.log.Info("odoo: confirmed sale order", "order", r.key, "id", id)
			state = "sale"
		case "cancel":
			r.warn("sale order %s is cancelled in Odoo; left as it is", res.Name)
		}
	case schemas.SaleOrderCancelled:
		if ex.inv != nil {
			res.InvoiceID = ex.inv.ID() // credited, or cancelled with the order
		}
		return res, r.cancelOrder(ctx, ex, so)
	}
	if !r.wantsInvoice() {
		return res, nil
	}
	if state != "sale" && state != "done" {
		r.warn("sale order %s is %s in Odoo, so it cannot be invoiced", res.Name, state)
		return res, nil
	}
	so["state"] = state
	r.soChanged = soChanged
	var err error
	res.InvoiceID, err = r.invoiceFromOrder(ctx, so, ex, nil)
	return res, err
}

// bookedElsewhere reports a document booked in another currency than the settings
// now choose: it is left as it is (checkExisting warns).
func (r *run) bookedElsewhere(t totals) bool {
	return t.currency != "" && r.money.currency != "" && !strings.EqualFold(t.currency, r.money.currency)
}

// checkExisting compares the totals of a document made earlier (no call). One booked
// in another currency than the settings now ask for is left as it is.
func (r *run) checkExisting(t totals) {
	if t.currency == "" {
		return
	}
	if r.money.currency != "" && !strings.EqualFold(t.currency, r.money.currency) {
		r.warn("the order is booked in %s in Odoo; the shop's currency setting now means %s, which applies to new orders only", t.currency, r.money.currency)
		return
	}
	r.s.mu.Lock()
	ci, ok := r.s.currencies[t.currency]
	r.s.mu.Unlock()
	if !ok {
		ci = currencyInfo{name: t.currency, digits: 2}
	}
	r.checkTotals(t, ci)
}

// cancel cancels an order, confirmed or not. A locked order is refused by Odoo (17:
// "You cannot cancel a locked order"), a permanent error with Odoo's message.
func (r *run) cancel(ctx context.Context, id int64) error {
	ans, err := r.c.Call(ctx, "sale.order", "action_cancel", []any{[]int64{id}},
		map[string]any{"context": map[string]any{"disable_cancel_warning": true}})
	if err != nil {
		return err
	}
	if act, ok := ans.(map[string]any); ok && act["res_model"] == "sale.order.cancel" {
		// The warning wizard came back anyway: answer it.
		wiz, err := Create(ctx, r.c, "sale.order.cancel", map[string]any{"order_id": id}, nil)
		if err != nil {
			return err
		}
		_, err = r.c.Call(ctx, "sale.order.cancel", "action_cancel", []any{[]int64{wiz}}, nil)
		return err
	}
	return nil
}

// ---- invoices --------------------------------------------------------------------------

// invoiceDate is the Shopify processed date (the order date when there is none), as
// Odoo's invoice_date.
func (r *run) invoiceDate() string {
	t := r.o.CreatedAt
	if r.o.ProcessedAt != nil && !r.o.ProcessedAt.IsZero() {
		t = *r.o.ProcessedAt
	}
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// invoiceLine is an invoice line's values with the shop's income account.
func (r *run) invoiceLine(l line, saleLine int64) map[string]any {
	v := map[string]any{
		"product_id": l.product,
		"name":       l.name,
		"quantity":   l.qty,
		"price_unit": odooFloat(l.price),
		"discount":   odooFloat(l.discount),
		"tax_ids":    []any{[]any{6, 0, l.taxes}},
	}
	if saleLine > 0 {
		v["sale_line_ids"] = []any{[]any{6, 0, []int64{saleLine}}}
	}
	if ia := r.cmd.Settings.IncomeAccount; ia.Mode == "fixed" && ia.AccountID > 0 && l.kind != kindGiftCard {
		v["account_id"] = ia.AccountID
	}
	return v
}

// invoiceHeader are the values every customer invoice Synco makes has.
func (r *run) invoiceHeader(partner, shipping, currency int64) map[string]any {
	vals := map[string]any{"move_type": "out_invoice", "partner_id": partner, "ref": r.o.Name}
	if shipping > 0 {
		vals["partner_shipping_id"] = shipping
	}
	if currency > 0 {
		vals["currency_id"] = currency
	}
	if d := r.invoiceDate(); d != "" {
		vals["invoice_date"] = d
	}
	if j := r.cmd.Settings.SalesJournalID; j > 0 {
		vals["journal_id"] = j
	}
	return vals
}

// invoiceFromOrder makes sure a confirmed order has its invoice, posted if asked,
// never a second one. The invoice is made from the order's lines (linked to them by
// sale_line_ids, so Odoo counts them invoiced) with the shop's sales journal, income
// account and the Shopify processed date, in one create: unlike the invoicing wizard
// it also invoices products whose invoice policy is "delivered" before the delivery.
func (r *run) invoiceFromOrder(ctx context.Context, so Record, ex *existing, lines []line) (int64, error) {
	var inv int64
	var invRec Record
	state := "draft"
	ids := so.IDs("invoice_ids")
	switch {
	case ex.inv != nil && len(ids) == 1 && ids[0] == ex.inv.ID():
		inv, state, invRec = ex.inv.ID(), ex.inv.String("state"), ex.inv
	case len(ids) > 0:
		// Several documents (a credit note, an invoice made again): the live invoice
		// no credit note of Synco's reverses.
		moves, err := Read(ctx, r.c, "account.move", ids, lookupInvoiceFields)
		if err != nil {
			return 0, err
		}
		r.orderMoves = moves
		invRec = pickInvoice(moves)
		inv, state = invRec.ID(), invRec.String("state")
	}
	if inv > 0 {
		r.register(InvoiceXMLID(r.cmd.Shop, r.cmd.OrderID), "account.move", inv, ex.invXML)
		if state != "cancel" && !ex.fresh {
			// An edited order's invoice follows it (edit.go).
			got, err := r.followInvoice(ctx, so, invRec, ex, r.soChanged)
			if err != nil {
				return inv, err
			}
			if got != inv {
				return got, nil // made again (and posted as asked)
			}
		}
	} else {
		var err error
		if inv, err = r.createInvoiceFromOrder(ctx, so, lines, ex); err != nil {
			return 0, err
		}
	}
	if r.cmd.Invoice == schemas.InvoicePosted && state == "draft" {
		if err := r.post(ctx, inv); err != nil {
			return inv, err
		}
	}
	if state == "cancel" {
		r.warn("the order's invoice is cancelled in Odoo; left as it is")
	}
	return inv, nil
}

// orderLine is a sale order line as the invoice needs it.
type orderLine struct {
	id  int64
	l   line
	qty decimal.Decimal // left to invoice
}

func (r *run) createInvoiceFromOrder(ctx context.Context, so Record, lines []line, ex *existing) (int64, error) {
	vals, delivered, err := r.invoiceFromOrderVals(ctx, so, lines)
	if err != nil {
		return 0, err
	}
	id, err := Create(ctx, r.c, "account.move", vals, nil)
	if err != nil {
		return 0, err
	}
	r.invoiceMade(so, id, ex, delivered)
	return id, nil
}

// invoiceMade registers an invoice made from the order and warns about the lines
// Odoo invoices on delivered quantities.
func (r *run) invoiceMade(so Record, id int64, ex *existing, delivered []string) {
	r.register(InvoiceXMLID(r.cmd.Shop, r.cmd.OrderID), "account.move", id, ex.invXML)
	r.s.log.Info("odoo: created invoice from sale order", "order", r.key, "sale_order", so.ID(), "invoice", id)
	for _, name := range delivered {
		r.warn("product %q invoices delivered quantities: invoiced as ordered, Odoo shows the order \"to invoice\" until its delivery is validated (set the product's Invoicing Policy to Ordered quantities to avoid this)", name)
	}
}

// invoiceFromOrderVals answers the create values of the order's invoice (its lines
// left to invoice, linked to the order's lines) and the names of the lines invoiced
// on delivered quantities.
func (r *run) invoiceFromOrderVals(ctx context.Context, so Record, lines []line) (map[string]any, []string, error) {
	soLines := so.IDs("order_line")
	var ols []orderLine
	if lines != nil && len(lines) == len(soLines) {
		slices.Sort(soLines)
		for i, l := range lines {
			ols = append(ols, orderLine{id: soLines[i], l: l, qty: decimal.NewFromInt(l.qty)})
		}
	} else if len(soLines) > 0 {
		got, err := Read(ctx, r.c, "sale.order.line", soLines, []string{"id", "product_id", "name", "product_uom_qty", "price_unit",
			"discount", r.d.SaleLineTax(), "display_type", "qty_invoiced"})
		if err != nil {
			return nil, nil, err
		}
		gift := r.cachedProduct(GiftCardCode, r.cmd.Settings.Products.GiftCardID)
		for _, g := range got {
			if g.String("display_type") != "" {
				continue
			}
			q := fromOdooNumber(g["product_uom_qty"]).Sub(fromOdooNumber(g["qty_invoiced"]))
			l := line{kind: kindItem, product: g.M2O("product_id"), name: g.String("name"), price: fromOdooNumber(g["price_unit"]),
				discount: fromOdooNumber(g["discount"]), taxes: g.IDs(r.d.SaleLineTax())}
			if l.taxes == nil {
				l.taxes = []int64{}
			}
			if gift > 0 && l.product == gift {
				l.kind = kindGiftCard
			}
			ols = append(ols, orderLine{id: g.ID(), l: l, qty: q})
		}
	}
	var cmds []any
	var delivered []string
	for _, ol := range ols {
		if ol.qty.Sign() <= 0 {
			continue
		}
		v := r.invoiceLine(ol.l, ol.id)
		v["quantity"] = odooFloat(ol.qty)
		cmds = append(cmds, []any{0, 0, v})
		r.s.mu.Lock()
		if r.s.policies[ol.l.product] == "delivery" {
			delivered = append(delivered, ol.l.name)
		}
		r.s.mu.Unlock()
	}
	if len(cmds) == 0 {
		return nil, nil, permanent("account.move", "create", 0, "", fmt.Sprintf("sale order %s has nothing left to invoice", so.String("name")))
	}
	vals := r.invoiceHeader(so.M2O("partner_invoice_id"), so.M2O("partner_shipping_id"), so.M2O("currency_id"))
	vals["invoice_origin"] = so.String("name")
	vals["invoice_line_ids"] = cmds
	if note := r.note(); note != "" {
		vals["narration"] = note
	}
	if t := so.M2O("payment_term_id"); t > 0 {
		vals["invoice_payment_term_id"] = t
	}
	if fp := so.M2O("fiscal_position_id"); fp > 0 {
		vals["fiscal_position_id"] = fp
	}
	return vals, delivered, nil
}

// cachedProduct is the product of a line kind when known without a call.
func (r *run) cachedProduct(code string, configured int64) int64 {
	if configured > 0 {
		return configured
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return r.s.products[code]
}

// pickInvoice chooses the order's customer invoice: a live one before a cancelled
// one, one that Synco's credit note reverses (an invoice made again after an edit)
// last, the newest of equals.
func pickInvoice(moves []Record) Record {
	reversed := map[string]bool{}
	for _, m := range moves {
		if m.String("move_type") == "out_refund" && m.String("state") != "cancel" {
			if name, ok := strings.CutPrefix(m.String("ref"), creditRef("")); ok {
				reversed[name] = true
			}
		}
	}
	rank := func(m Record) int {
		switch {
		case m.String("state") == "cancel":
			return 0
		case reversed[m.String("name")]:
			return 1
		}
		return 2
	}
	var best Record
	for _, m := range moves {
		if m.String("move_type") != "" && m.String("move_type") != "out_invoice" {
			continue
		}
		if best == nil || rank(m) > rank(best) || (rank(m) == rank(best) && m.ID() > best.ID()) {
			best = m
		}
	}
	return best
}

func (r *run) post(ctx context.Context, move int64) error {
	// action_post answers False; tolerate the None fault in case a version answers None.
	if _, err := r.c.Call(ctx, "account.move", "action_post", []any{[]int64{move}}, nil); err != nil && !IsNoneFault(err) {
		return err
	}
	r.s.log.Info("odoo: posted invoice", "order", r.key, "invoice", move)
	return nil
}

// ---- direct invoice ----------------------------------------------------------------

func (r *run) withDirectInvoice(ctx context.Context, ex *existing) (Result, error) {
	inv := ex.inv
	id := inv.ID()
	r.register(InvoiceXMLID(r.cmd.Shop, r.cmd.OrderID), "account.move", id, ex.invXML)
	t := totalsOf(inv)
	res := Result{Model: "account.move", ID: id, InvoiceID: id, Name: inv.String("name"), Currency: t.currency, Total: t.total}
	switch {
	case r.cmd.SaleOrder == schemas.SaleOrderCancelled:
		return res, r.cancelDirectInvoice(ctx, inv)
	case r.wantsSaleOrder():
		r.warn("the order is in Odoo as invoice %s (made directly); no sale order is made for it", res.Name)
	}
	if inv.String("state") != "cancel" && !ex.fresh && !r.bookedElsewhere(t) && r.followable() {
		// The order's invoice follows its newest snapshot (edit.go).
		r.docMoney(t.currency)
		got, changed, err := r.followDirectInvoice(ctx, ex)
		if err != nil {
			return res, err
		}
		switch {
		case got == 0 && ex.inv.ID() == id:
			return r.newDirectInvoice(ctx, ex) // credited: invoiced again
		case got == 0:
			inv = ex.inv // made again earlier
			id = inv.ID()
			res.ID, res.InvoiceID = id, id
		case changed:
			fresh, err := Read(ctx, r.c, "account.move", []int64{id}, lookupInvoiceFields)
			if err != nil {
				return res, err
			}
			if len(fresh) > 0 {
				inv = fresh[0]
			}
		}
		t = totalsOf(inv)
		res.Name, res.Total = inv.String("name"), t.total
	}
	if inv.String("state") != "cancel" {
		r.checkExisting(t)
	}
	if r.cmd.Invoice == schemas.InvoicePosted && inv.String("state") == "draft" {
		if err := r.post(ctx, id); err != nil {
			return res, err
		}
		got, err := Read(ctx, r.c, "account.move", []int64{id}, []string{"name"})
		if err != nil {
			return res, err
		}
		if len(got) > 0 {
			res.Name = got[0].String("name")
		}
	}
	return res, nil
}

// directInvoiceVals resolves what a new direct invoice needs and answers its create
// values and currency.
func (r *run) directInvoiceVals(ctx context.Context) (map[string]any, currencyInfo, error) {
	cust, lines, err := r.customerAndLines(ctx)
	if err != nil {
		return nil, currencyInfo{}, err
	}
	ci, _, err := r.docCurrency(ctx)
	if err != nil {
		return nil, currencyInfo{}, err
	}
	cmds := make([]any, 0, len(lines))
	for _, l := range lines {
		cmds = append(cmds, []any{0, 0, r.invoiceLine(l, 0)})
	}
	vals := r.invoiceHeader(cust.id, cust.shipping, ci.id)
	vals["invoice_origin"] = r.key
	vals["invoice_line_ids"] = cmds
	if r.cmd.OdooName != "" {
		// Odoo renames the move from its journal's sequence when it is posted; the name
		// stays as the payment reference.
		vals["payment_reference"] = r.cmd.OdooName
	}
	if note := r.note(); note != "" {
		vals["narration"] = note
	}
	return vals, ci, nil
}

func (r *run) newDirectInvoice(ctx context.Context, ex *existing) (Result, error) {
	vals, ci, err := r.directInvoiceVals(ctx)
	if err != nil {
		return Result{}, err
	}
	id, err := Create(ctx, r.c, "account.move", vals, nil)
	if err != nil {
		return Result{}, err
	}
	r.register(InvoiceXMLID(r.cmd.Shop, r.cmd.OrderID), "account.move", id, ex.invXML)
	r.s.log.Info("odoo: created invoice", "order", r.key, "id", id, "currency", ci.name)
	res := Result{Model: "account.move", ID: id, InvoiceID: id, Name: "/", Currency: ci.name}
	read := func() (Record, error) {
		got, err := Read(ctx, r.c, "account.move", []int64{id}, lookupInvoiceFields)
		if err != nil {
			return nil, err
		}
		if len(got) == 0 {
			return nil, permanent("account.move", "read", 0, "", fmt.Sprintf("invoice %d vanished right after its create", id))
		}
		return got[0], nil
	}
	checked := false
	if r.cmd.Settings.RoundingLine {
		mv, err := read()
		if err != nil {
			return res, err
		}
		rl, err := r.roundingLine(ctx, r.checkTotals(totalsOf(mv), ci), ci)
		if err != nil {
			return res, err
		}
		checked = true
		if rl != nil {
			if err := Write(ctx, r.c, "account.move", []int64{id}, map[string]any{"invoice_line_ids": []any{[]any{0, 0, r.invoiceLine(*rl, 0)}}}); err != nil {
				return res, err
			}
			r.withoutTotalWarning()
		}
		res.Name, res.Total = mv.String("name"), totalsOf(mv).total
		if rl != nil {
			res.Total = res.Total.Add(rl.price)
		}
	}
	if r.cmd.Invoice == schemas.InvoicePosted {
		if err := r.post(ctx, id); err != nil {
			return res, err
		}
	}
	if !checked || r.cmd.Invoice == schemas.InvoicePosted {
		mv, err := read()
		if err != nil {
			return res, err
		}
		if !checked {
			r.checkTotals(totalsOf(mv), ci)
		}
		res.Name, res.Total = mv.String("name"), totalsOf(mv).total
	}
	return res, nil
}

// note is the order note, with tags and note attributes when the shop includes them.
func (r *run) note() string {
	var parts []string
	if n := strings.TrimSpace(r.o.Note); n != "" {
		parts = append(parts, n)
	}
	inc := r.cmd.Settings.Include
	if inc.Tags && strings.TrimSpace(r.o.Tags) != "" {
		parts = append(parts, "Tags: "+strings.TrimSpace(r.o.Tags))
	}
	if inc.NoteAttributes {
		for _, a := range r.o.NoteAttributes {
			parts = append(parts, a.Name+": "+a.Value)
		}
	}
	return strings.Join(parts, "\n")
}

// customerAndLines resolves what every new sale order or invoice needs: the customer
// (and delivery contact) and the lines (products and taxes found or created).
func (r *run) customerAndLines(ctx context.Context) (customer, []line, error) {
	cust, err := r.customer(ctx)
	if err != nil {
		return customer{}, nil, err
	}
	lines, err := r.lines(ctx)
	return cust, lines, err
}

// keyedMutex serialises work per key (one customer, one SKU) across orders.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	n int
}

// lock takes the locks of all keys, in sorted order (no deadlock between two orders
// that share SKUs), and returns the function that releases them.
func (k *keyedMutex) lock(keys ...string) func() {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyLock{}
	}
	locks := make([]*keyLock, len(keys))
	for i, key := range keys {
		l := k.m[key]
		if l == nil {
			l = &keyLock{}
			k.m[key] = l
		}
		l.n++
		locks[i] = l
	}
	k.mu.Unlock()
	for _, l := range locks {
		l.Lock()
	}
	return func() {
		for _, l := range locks {
			l.Unlock()
		}
		k.mu.Lock()
		for i, l := range locks {
			if l.n--; l.n == 0 {
				delete(k.m, keys[i])
			}
		}
		k.mu.Unlock()
	}
}
