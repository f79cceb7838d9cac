package odoo

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/synco-dev/synco/schemas"
)

// Syncer makes Odoo hold what an OrderSync command asks for. It is level-triggered:
// the command is the whole desired state, and Apply reads what Odoo has for the order
// and does only what is missing, so a duplicate, a replay or a retry after a crash
// between any two calls is harmless. An order's records are found by a stable key
// written in the same call that creates them (sale.order origin, account.move
// invoice_origin = "shopify:<shop>/<order id>"), never by name.
//
// RPC calls per order (XML-RPC; the version and the login are once per client):
//
//	draft sale order, new customer, 2 new products, taxes not yet cached     7
//	  find order, partner search_read, partner create, product search_read (all SKUs
//	  and shipping in one), product create (all missing in one), sale taxes
//	  search_read (once per Syncer), sale.order.create
//	  (+1 read of the name when the command has no OdooName; +1 per tax rate that
//	  Odoo lacks)
//	draft sale order, repeat customer, known products, warm caches           2
//	  find order, sale.order.create
//	draft sale order, repeat customer, known products, cold caches           5
//	the same command again (order exists, nothing to do)                     1
//	  (2 when an invoice is wanted: the invoice's state is read)
//	confirmed sale order                                                     +1 action_confirm
//	cancelled sale order                                                     +1 action_cancel
//	invoice from the order: wizard create, create_invoices, (+1 invoice_ids read
//	  when Odoo's answer does not name the invoice: 16, or 17's None fault)  +2..3
//	posted invoice                                                           +1 action_post
//	direct invoice (no sale order), warm caches: find, create, (post)        2 (3)
//	  (+1 read of the posted invoice's name)
//
// Caches (partners by email, products by SKU, taxes by rate) are per Syncer and safe
// for concurrent use; finding-or-creating one customer or SKU is serialised per key,
// so two orders in flight never create the same product twice. An id that vanished
// from Odoo (MissingError) flushes the caches and the order is tried once more.
type Syncer struct {
	c   Client
	log *slog.Logger

	mu          sync.Mutex
	partners    map[string]int64 // "email:<lower email>" or "ref:<ref>"
	products    map[string]int64 // default_code
	taxes       map[taxKey]int64
	taxesLoaded bool
	generation  uint64 // bumped by flush

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
	Calls     int      // RPC calls made for this order
	Warnings  []string // differences a person should know about (rounding, state left alone)
}

func (s *Syncer) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partners = map[string]int64{}
	s.products = map[string]int64{}
	s.taxes = map[taxKey]int64{}
	s.taxesLoaded = false
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

// StableKey is the external reference of an order's Odoo records.
func StableKey(shop string, orderID int64) string {
	return fmt.Sprintf("shopify:%s/%d", shop, orderID)
}

// Apply makes Odoo match cmd. Errors are *Error (see IsRetriable, IsPermanent).
func (s *Syncer) Apply(ctx context.Context, cmd *schemas.OrderSync) (Result, error) {
	if cmd == nil || cmd.Shop == "" || cmd.OrderID == 0 {
		return Result{}, permanent("", "apply", 0, "", "command without shop or order id")
	}
	cc := &counter{Client: s.c}
	v, err := s.c.Version(ctx)
	if err != nil {
		return Result{}, err
	}
	r := &run{s: s, c: cc, cmd: cmd, o: &cmd.Order, d: dialect{version: v}, key: StableKey(cmd.Shop, cmd.OrderID)}
	res, err := r.apply(ctx)
	if err != nil && r.usedCache && isMissingRecord(err) {
		// A cached partner, product or tax was deleted in Odoo: forget them all, once.
		s.flush()
		r = &run{s: s, c: cc, cmd: cmd, o: &cmd.Order, d: r.d, key: r.key}
		res, err = r.apply(ctx)
	}
	res.Calls = int(cc.n.Load())
	return res, err
}

// run is one Apply.
type run struct {
	s         *Syncer
	c         Client
	cmd       *schemas.OrderSync
	o         *schemas.Order
	d         dialect
	key       string
	usedCache bool
	warnings  []string
}

func (r *run) warn(format string, args ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(format, args...))
}

func (r *run) apply(ctx context.Context) (Result, error) {
	var res Result
	var err error
	switch {
	case r.cmd.SaleOrder != schemas.SaleOrderNone && r.cmd.SaleOrder != "":
		res, err = r.saleOrder(ctx)
	case r.cmd.Invoice != schemas.InvoiceNone && r.cmd.Invoice != "":
		res, err = r.directInvoice(ctx)
	}
	res.Warnings = r.warnings
	return res, err
}

// ---- sale order ------------------------------------------------------------------

func (r *run) saleOrder(ctx context.Context) (Result, error) {
	found, err := SearchRead(ctx, r.c, "sale.order", []any{[]any{"origin", "=", r.key}}, r.d.SaleOrderFields(), map[string]any{"order": "id"})
	if err != nil {
		return Result{}, err
	}
	var so Record
	if len(found) > 0 {
		so = found[0]
		if len(found) > 1 {
			r.warn("%d sale orders in Odoo carry %s; using the oldest, %s", len(found), r.key, so.String("name"))
		}
	} else {
		if so, err = r.createSaleOrder(ctx); err != nil {
			return Result{}, err
		}
	}
	id, state := so.ID(), so.String("state")
	res := Result{Model: "sale.order", ID: id, Name: so.String("name")}
	switch r.cmd.SaleOrder {
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
		if state != "cancel" {
			if err := r.cancel(ctx, id); err != nil {
				return res, err
			}
			r.s.log.Info("odoo: cancelled sale order", "order", r.key, "id", id)
		}
		return res, nil
	}
	if r.cmd.Invoice == schemas.InvoiceNone || r.cmd.Invoice == "" {
		return res, nil
	}
	if state != "sale" && state != "done" {
		r.warn("sale order %s is %s in Odoo, so it cannot be invoiced", res.Name, state)
		return res, nil
	}
	res.InvoiceID, err = r.invoiceFromOrder(ctx, id, so.IDs("invoice_ids"))
	return res, err
}

func (r *run) createSaleOrder(ctx context.Context) (Record, error) {
	partner, lines, err := r.partnerAndLines(ctx)
	if err != nil {
		return nil, err
	}
	cmds := make([]any, 0, len(lines))
	for _, l := range lines {
		cmds = append(cmds, []any{0, 0, map[string]any{
			"product_id":      l.product,
			"name":            l.name,
			"product_uom_qty": l.qty,
			"price_unit":      odooFloat(l.price),
			"discount":        odooFloat(l.discount),
			r.d.SaleLineTax(): []any{[]any{6, 0, l.taxes}},
		}})
	}
	vals := map[string]any{
		"partner_id":       partner,
		"client_order_ref": r.o.Name,
		"origin":           r.key,
		"order_line":       cmds,
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
	id, err := Create(ctx, r.c, "sale.order", vals, nil)
	if err != nil {
		return nil, err
	}
	name := r.cmd.OdooName
	if name == "" {
		got, err := Read(ctx, r.c, "sale.order", []int64{id}, []string{"name"})
		if err != nil {
			return nil, err
		}
		if len(got) > 0 {
			name = got[0].String("name")
		}
	}
	r.s.log.Info("odoo: created sale order", "order", r.key, "id", id, "name", name)
	return Record{"id": id, "name": name, "state": "draft", "invoice_ids": []any{}}, nil
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

// invoiceFromOrder makes sure a confirmed order has its invoice, posted if asked. It
// never creates a second one: the order's invoice_ids are read first, and after
// create_invoices (whose answer may be the None fault although the invoice was
// committed) they are read again.
func (r *run) invoiceFromOrder(ctx context.Context, so int64, invoiceIDs []int64) (int64, error) {
	var inv int64
	state := "draft"
	if len(invoiceIDs) > 0 {
		moves, err := Read(ctx, r.c, "account.move", invoiceIDs, []string{"id", "state", "move_type", "name"})
		if err != nil {
			return 0, err
		}
		inv, state = pickInvoice(moves)
	}
	if inv == 0 {
		octx := map[string]any{"active_model": "sale.order", "active_ids": []int64{so}, "active_id": so}
		wiz, err := Create(ctx, r.c, "sale.advance.payment.inv", map[string]any{"advance_payment_method": "delivered"}, map[string]any{"context": octx})
		if err != nil {
			return 0, err
		}
		ans, err := r.c.Call(ctx, "sale.advance.payment.inv", "create_invoices", []any{[]int64{wiz}}, map[string]any{"context": octx})
		if err != nil && !IsNoneFault(err) {
			return 0, err
		}
		if act, ok := ans.(map[string]any); ok && act["res_model"] == "account.move" {
			inv, _ = act["res_id"].(int64)
		}
		if inv == 0 {
			got, err := Read(ctx, r.c, "sale.order", []int64{so}, []string{"invoice_ids"})
			if err != nil {
				return 0, err
			}
			if len(got) == 0 || len(got[0].IDs("invoice_ids")) == 0 {
				return 0, permanent("sale.advance.payment.inv", "create_invoices", 0, "", "Odoo created no invoice for the order")
			}
			ids := got[0].IDs("invoice_ids")
			inv = slices.Max(ids)
		}
		state = "draft"
		r.s.log.Info("odoo: created invoice from sale order", "order", r.key, "sale_order", so, "invoice", inv)
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

// pickInvoice chooses the order's customer invoice: a live one before a cancelled one.
func pickInvoice(moves []Record) (int64, string) {
	var id int64
	var state string
	for _, m := range moves {
		if m.String("move_type") != "" && m.String("move_type") != "out_invoice" {
			continue
		}
		if id == 0 || (state == "cancel" && m.String("state") != "cancel") {
			id, state = m.ID(), m.String("state")
		}
	}
	return id, state
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

func (r *run) directInvoice(ctx context.Context) (Result, error) {
	found, err := SearchRead(ctx, r.c, "account.move",
		[]any{[]any{"move_type", "=", "out_invoice"}, []any{"invoice_origin", "=", r.key}},
		[]string{"id", "name", "state"}, map[string]any{"order": "id"})
	if err != nil {
		return Result{}, err
	}
	var inv Record
	if len(found) > 0 {
		inv = found[0]
		if len(found) > 1 {
			r.warn("%d invoices in Odoo carry %s; using the oldest, %s", len(found), r.key, inv.String("name"))
		}
	} else if inv, err = r.createInvoice(ctx); err != nil {
		return Result{}, err
	}
	res := Result{Model: "account.move", ID: inv.ID(), InvoiceID: inv.ID(), Name: inv.String("name")}
	if r.cmd.Invoice == schemas.InvoicePosted && inv.String("state") == "draft" {
		if err := r.post(ctx, res.ID); err != nil {
			return res, err
		}
		got, err := Read(ctx, r.c, "account.move", []int64{res.ID}, []string{"name"})
		if err != nil {
			return res, err
		}
		if len(got) > 0 {
			res.Name = got[0].String("name")
		}
	}
	return res, nil
}

func (r *run) createInvoice(ctx context.Context) (Record, error) {
	partner, lines, err := r.partnerAndLines(ctx)
	if err != nil {
		return nil, err
	}
	st := &r.cmd.Settings
	cmds := make([]any, 0, len(lines))
	for _, l := range lines {
		lv := map[string]any{
			"product_id": l.product,
			"name":       l.name,
			"quantity":   l.qty,
			"price_unit": odooFloat(l.price),
			"discount":   odooFloat(l.discount),
			"tax_ids":    []any{[]any{6, 0, l.taxes}},
		}
		if st.IncomeAccount.Mode == "fixed" && st.IncomeAccount.AccountID > 0 {
			lv["account_id"] = st.IncomeAccount.AccountID
		}
		cmds = append(cmds, []any{0, 0, lv})
	}
	vals := map[string]any{
		"move_type":        "out_invoice",
		"partner_id":       partner,
		"ref":              r.o.Name,
		"invoice_origin":   r.key,
		"invoice_line_ids": cmds,
	}
	if r.cmd.OdooName != "" {
		// Odoo renames the move from its journal's sequence when it is posted; the name
		// stays as the payment reference.
		vals["payment_reference"] = r.cmd.OdooName
	}
	if !r.o.CreatedAt.IsZero() {
		vals["invoice_date"] = r.o.CreatedAt.UTC().Format("2006-01-02")
	}
	if st.SalesJournalID > 0 {
		vals["journal_id"] = st.SalesJournalID
	}
	if note := r.note(); note != "" {
		vals["narration"] = note
	}
	id, err := Create(ctx, r.c, "account.move", vals, nil)
	if err != nil {
		return nil, err
	}
	r.s.log.Info("odoo: created invoice", "order", r.key, "id", id)
	return Record{"id": id, "name": "/", "state": "draft"}, nil
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

// partnerAndLines resolves what every new sale order or invoice needs: the customer
// and the lines (products and taxes found or created).
func (r *run) partnerAndLines(ctx context.Context) (int64, []line, error) {
	partner, err := r.partner(ctx)
	if err != nil {
		return 0, nil, err
	}
	lines, err := r.lines(ctx)
	return partner, lines, err
}
