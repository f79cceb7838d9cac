// Package conformance is the sink's conformance suite: Shopify orders with the money
// an accountant cares about (taxes excluded and included, several taxes on a line,
// shipping taxes, tax-exempt orders, shop and presentment currencies, customers and
// guests, addresses, line and order discounts, tips, duties, fees, gift cards, the
// totals check, every creation mode and a change of it), each applied by the Syncer to
// an Odoo and then read back from Odoo and compared with what the accountant expects
// (amount_untaxed, amount_tax, amount_total, currency, lines, taxes, partner,
// addresses, invoice). The same scenarios run on the simulator in `make test` and on
// real Odoo 16–19 in `make conformance` (or any Odoo ODOO_URL points at): where the
// two disagree, real Odoo is right and the simulator is fixed.
package conformance

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
)

// Shop is the shop every scenario runs as.
const Shop = "conformance.myshopify.com"

// Target is one Odoo to run the suite against.
type Target struct {
	Name    string // e.g. "odoo 17 xmlrpc", "simulator 19 json2"
	Client  odoo.Client
	Version int
}

// Calls is the RPC count of one step of a scenario: the first Apply and the same
// command applied again.
type Calls struct {
	Target, Scenario string
	Cold             int // a new order, on a Syncer that just started (its look-ups of taxes, currencies ... included)
	Warm             int // another new order like it, on the same Syncer (0: not measured)
	Again            int // the same command again
}

// Run applies every scenario to the target and checks what Odoo holds. Each run uses
// fresh Shopify ids and emails, so it never meets records of an earlier run.
func Run(t *testing.T, tg Target) []Calls {
	t.Helper()
	ctx := context.Background()
	env := &Env{t: t, ctx: ctx, c: tg.Client, Version: tg.Version, Run: time.Now().UnixMilli() % 1_000_000_000}
	var mu sync.Mutex
	var calls []Calls
	for i, sc := range Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			e := *env
			e.t = t
			e.scenario = i
			cs := sc.Build(&e)
			o := cs.Order
			if o.ID == 0 {
				o.ID = e.OrderID(0)
			}
			s := odoo.NewSyncer(tg.Client)
			e.results = map[int]odoo.Result{}
			for j, st := range cs.Steps {
				settings := schemas.DefaultSettings(Shop)
				if st.Settings != nil {
					st.Settings(&settings)
				}
				cmd := &schemas.OrderSync{CommandID: fmt.Sprintf("conf-%d-%d", o.ID, j), Shop: Shop, OrderID: o.ID,
					Version: o.UpdatedAt.UnixMilli(), Seq: int64(j + 1), SaleOrder: st.SO, Invoice: st.Inv,
					OdooName: cs.OdooName, Settings: settings, Order: o}
				if st.Order != nil {
					cmd.Order = st.Order(o)
					cmd.OrderID = cmd.Order.ID
				}
				if st.Fresh {
					s = odoo.NewSyncer(tg.Client)
				}
				res, err := s.Apply(ctx, cmd)
				if st.Expect.Err != "" {
					if err == nil || !strings.Contains(err.Error(), st.Expect.Err) {
						t.Fatalf("step %d: want the error %q, got %v (%+v)", j, st.Expect.Err, err, res)
					}
					if !odoo.IsPermanent(err) {
						t.Errorf("step %d: %v is not permanent", j, err)
					}
					if st.Expect.Attention != odoo.IsNeedsAttention(err) {
						t.Errorf("step %d: %v: needs attention %v, want %v", j, err, odoo.IsNeedsAttention(err), st.Expect.Attention)
					}
					if st.Expect.Check != nil {
						st.Expect.Check(&e, res)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d: %v", j, err)
				}
				e.check(&st.Expect, res, &cmd.Order, true)
				if st.Expect.Check != nil {
					st.Expect.Check(&e, res)
				}
				e.results[j+1] = res
				again, err := s.Apply(ctx, cmd)
				if err != nil {
					t.Fatalf("step %d again: %v", j, err)
				}
				if again.ID != res.ID || again.InvoiceID != res.InvoiceID || again.Model != res.Model {
					t.Errorf("step %d again: %+v, want the records of %+v", j, again, res)
				}
				e.check(&st.Expect, again, &cmd.Order, false)
				name := sc.Name
				if len(cs.Steps) > 1 {
					name = fmt.Sprintf("%s (step %d)", sc.Name, j+1)
				}
				c := Calls{Target: tg.Name, Scenario: name, Cold: res.Calls, Again: again.Calls}
				if len(cs.Steps) == 1 && !cs.NoWarm {
					// Another order like it on the same (now warm) Syncer.
					warm := *cmd
					warm.Order.ID, warm.Order.Name = e.OrderID(50), cmd.Order.Name+"-W"
					warm.OrderID = warm.Order.ID
					res, err := s.Apply(ctx, &warm)
					if err != nil {
						t.Fatalf("a second order on a warm sink: %v", err)
					}
					e.check(&st.Expect, res, &warm.Order, true)
					c.Warm = res.Calls
				}
				mu.Lock()
				calls = append(calls, c)
				mu.Unlock()
			}
		})
	}
	return calls
}

// ReportCalls logs the RPC calls per scenario and appends them, as markdown table
// rows, to the file CONFORMANCE_CALLS_FILE names (bench/RESULTS.md is made from it).
func ReportCalls(t *testing.T, calls []Calls) {
	t.Helper()
	var b strings.Builder
	for _, c := range calls {
		warm := "–"
		if c.Warm > 0 {
			warm = fmt.Sprint(c.Warm)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %d |\n", c.Target, c.Scenario, c.Cold, warm, c.Again)
	}
	t.Logf("RPC calls per order (target | scenario | cold | warm | again):\n%s", b.String())
	if path := os.Getenv("CONFORMANCE_CALLS_FILE"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatalf("CONFORMANCE_CALLS_FILE: %v", err)
		}
		defer f.Close()
		if _, err := f.WriteString(b.String()); err != nil {
			t.Fatalf("CONFORMANCE_CALLS_FILE: %v", err)
		}
	}
}

// Env is what a scenario builds its order with: fresh ids and emails, and helpers
// that make what the scenario needs in Odoo beforehand (a partner, a product, an
// external id).
type Env struct {
	t        *testing.T
	ctx      context.Context
	c        odoo.Client
	Version  int
	Run      int64
	scenario int
	results  map[int]odoo.Result // by step (1-based)
	// firstWarnings are the warnings of the step's first apply.
	firstWarnings []string
}

// OrderID is a Shopify id unique to this run and scenario (n tells apart several).
func (e *Env) OrderID(n int) int64 {
	return 7_000_000_000_000_000 + e.Run*10_000 + int64(e.scenario)*100 + int64(n)
}

// Email is a buyer's email unique to this run and scenario.
func (e *Env) Email(who string) string {
	return fmt.Sprintf("%s.%d.%d@conformance.example", who, e.Run, e.scenario)
}

// Unique is a string unique to this run and scenario.
func (e *Env) Unique(prefix string) string { return fmt.Sprintf("%s-%d-%d", prefix, e.Run, e.scenario) }

// Create makes a record for the scenario.
func (e *Env) Create(model string, vals map[string]any) int64 {
	e.t.Helper()
	id, err := odoo.Create(e.ctx, e.c, model, vals, nil)
	if err != nil {
		e.t.Fatalf("prepare %s: %v", model, err)
	}
	return id
}

// XMLID registers an external id synco.<name> for a record.
func (e *Env) XMLID(name, model string, id int64) {
	e.t.Helper()
	e.Create("ir.model.data", map[string]any{"module": odoo.XMLIDModule, "name": name, "model": model, "res_id": id, "noupdate": true})
}

// Product makes a stock-less product with a code.
func (e *Env) Product(code, name string, extra map[string]any) int64 {
	vals := map[string]any{"name": name, "default_code": code, "list_price": 1.0, "sale_ok": true}
	if e.Version >= 18 {
		vals["type"] = "consu"
	} else {
		vals["detailed_type"] = "consu"
	}
	for k, v := range extra {
		vals[k] = v
	}
	return e.Create("product.product", vals)
}

// Find returns the first record of a domain (fails the scenario when there is none).
func (e *Env) Find(model string, domain []any) int64 {
	e.t.Helper()
	got, err := odoo.SearchRead(e.ctx, e.c, model, domain, []string{"id"}, map[string]any{"limit": 1, "order": "id"})
	if err != nil || len(got) == 0 {
		e.t.Fatalf("prepare: no %s for %v: %v", model, domain, err)
	}
	return got[0].ID()
}

func (e *Env) read(model string, ids []int64, fields []string) []odoo.Record {
	e.t.Helper()
	if len(ids) == 0 {
		return nil
	}
	got, err := odoo.Read(e.ctx, e.c, model, ids, fields)
	if err != nil {
		e.t.Fatalf("read back %s %v: %v", model, ids, err)
	}
	return got
}

func (e *Env) read1(model string, id int64, fields []string) odoo.Record {
	e.t.Helper()
	got := e.read(model, []int64{id}, fields)
	if len(got) != 1 {
		e.t.Fatalf("read back %s %d: %d records", model, id, len(got))
	}
	return got[0]
}

// text reads one field of one record as text (a state, a reference).
func (e *Env) text(model string, id int64, field string) string {
	e.t.Helper()
	return e.read1(model, id, []string{field}).String(field)
}

// ---- expectations ---------------------------------------------------------------------

// Case is one scenario's order and the steps applied to it.
type Case struct {
	Order    schemas.Order
	OdooName string
	Steps    []Step
	NoWarm   bool // a second order like it would not be like it (it depends on what was prepared for this one)
}

// Step is one command for the order and what Odoo must hold after it.
type Step struct {
	Settings func(*schemas.ShopSettings)
	Order    func(schemas.Order) schemas.Order // the snapshot of this step, when it changed
	SO       schemas.SaleOrderState
	Inv      schemas.InvoiceState
	Fresh    bool // a restarted sink (empty caches)
	Expect   Expect
}

// Expect is what the accountant expects Odoo to hold.
type Expect struct {
	Err string // the order fails (permanently) with this in the message
	// Attention: that failure is Odoo refusing the order's change (status
	// needs_attention), not a failure to make the order.
	Attention bool
	Model     string // "sale.order", or "account.move" for a direct invoice
	State     string // of the sale order (or the direct invoice)
	Currency  string
	Untaxed   string
	Tax       string
	Total     string
	Lines     []Line
	Partner   *Partner
	Shipping  *Partner // nil: the partner itself
	Invoice   *Invoice // the invoice of a sale order (its totals must be the order's)
	Warnings  []string // each must be among the result's warnings (substrings); other totals warnings fail
	Journal   int64    // a direct invoice's journal (0 skips)
	Date      string   // a direct invoice's invoice_date ("" skips)
	Check     func(e *Env, res odoo.Result)
	// Loose: Shopify's own payloads, not consistent to the cent: only the model, the
	// totals warnings and Check are checked.
	Loose bool
}

// Line is an expected document line.
type Line struct {
	Code      string // the product's default_code ("" skips)
	ProductID int64  // or its id
	Name      string // a substring of the description ("" skips)
	Qty       string
	Price     string
	Discount  string
	Subtotal  string
	Taxes     []Tax
	Account   string // account_type of an invoice line's account ("" skips)
}

// Tax is an expected line tax.
type Tax struct {
	Percent  string
	Included bool
	Name     string // "" skips
}

// Partner is an expected partner or delivery address.
type Partner struct {
	ID      int64 // when known
	Step    int   // the same partner as the document of that step (1-based)
	Name    string
	Email   string
	Street  string
	City    string
	Zip     string
	Country string // ISO code
	State   string // code
	Company string // company_name
	Type    string // "delivery" for a delivery contact
}

// Invoice is an expected invoice of a sale order.
type Invoice struct {
	State   string
	Date    string // invoice_date
	Journal int64  // 0 skips
	Lines   []Line // nil: the order's lines (quantities, prices, discounts, taxes)
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func num(v any) decimal.Decimal {
	switch n := v.(type) {
	case float64:
		return decimal.NewFromFloat(n).Round(6)
	case int64:
		return decimal.NewFromInt(n)
	}
	return decimal.Zero
}

func m2oName(v any) string {
	if l, ok := v.([]any); ok && len(l) > 1 {
		s, _ := l[1].(string)
		return s
	}
	return ""
}

// check compares what Odoo holds with x. Warnings of the first apply must include
// x.Warnings; a repeated apply only checks again the totals warnings.
func (e *Env) check(x *Expect, res odoo.Result, o *schemas.Order, first bool) {
	t := e.t
	t.Helper()
	if x.Model == "" && res.Model == "" {
		return
	}
	if res.Model != x.Model {
		t.Fatalf("result model %q, want %q (%+v)", res.Model, x.Model, res)
	}
	e.checkWarnings(x, res.Warnings, first)
	if first {
		e.firstWarnings = res.Warnings
	}
	if x.Loose {
		return // a payload we did not write: Check says what must hold
	}
	taxField := "tax_id"
	if e.Version >= 19 {
		taxField = "tax_ids"
	}
	var doc odoo.Record
	var lines []odoo.Record
	if x.Model == "sale.order" {
		doc = e.read1("sale.order", res.ID, []string{"name", "state", "currency_id", "amount_untaxed", "amount_tax", "amount_total",
			"partner_id", "partner_shipping_id", "order_line", "invoice_ids", "origin", "client_order_ref"})
		lines = e.read("sale.order.line", doc.IDs("order_line"), []string{"product_id", "name", "product_uom_qty", "price_unit",
			"discount", "price_subtotal", taxField, "display_type"})
		for i := range lines {
			lines[i]["quantity"], lines[i]["tax_ids"] = lines[i]["product_uom_qty"], lines[i][taxField]
		}
		if doc.String("origin") != odoo.StableKey(Shop, o.ID) || doc.String("client_order_ref") != o.Name {
			t.Errorf("origin %q, client_order_ref %q", doc.String("origin"), doc.String("client_order_ref"))
		}
	} else {
		doc = e.read1("account.move", res.ID, []string{"name", "state", "currency_id", "amount_untaxed", "amount_tax", "amount_total",
			"partner_id", "partner_shipping_id", "invoice_line_ids", "move_type", "ref", "journal_id", "invoice_date"})
		lines = e.invoiceLines(doc.IDs("invoice_line_ids"))
		if doc.String("move_type") != "out_invoice" || doc.String("ref") != o.Name {
			t.Errorf("move_type %q, ref %q", doc.String("move_type"), doc.String("ref"))
		}
		if x.Journal > 0 && doc.M2O("journal_id") != x.Journal {
			t.Errorf("journal %v, want %d", doc["journal_id"], x.Journal)
		}
		if x.Date != "" && doc.String("invoice_date") != x.Date {
			t.Errorf("invoice_date %q, want %q", doc.String("invoice_date"), x.Date)
		}
	}
	if got := doc.String("state"); x.State != "" && got != x.State {
		t.Errorf("state %q, want %q", got, x.State)
	}
	if got := m2oName(doc["currency_id"]); got != x.Currency {
		t.Errorf("currency %q, want %q", got, x.Currency)
	}
	if res.Currency != x.Currency {
		t.Errorf("result currency %q, want %q", res.Currency, x.Currency)
	}
	e.amounts("", doc, x.Untaxed, x.Tax, x.Total)
	if !num(doc["amount_total"]).Equal(res.Total) {
		t.Errorf("result total %s, Odoo's %s", res.Total, num(doc["amount_total"]))
	}
	if want := shopifyTotal(o, x.Currency); !res.ShopifyTotal.Equal(want) {
		t.Errorf("result Shopify total %s, want %s %s", res.ShopifyTotal, want, x.Currency)
	}
	e.lines("", lines, x.Lines)
	if x.Partner != nil {
		e.partner("partner", doc.M2O("partner_id"), x.Partner, 0)
		ship := x.Shipping
		if ship == nil {
			ship = x.Partner
			if got := doc.M2O("partner_shipping_id"); got != doc.M2O("partner_id") {
				t.Errorf("partner_shipping_id %v, want the partner %v", doc["partner_shipping_id"], doc["partner_id"])
			}
		} else {
			e.partner("delivery address", doc.M2O("partner_shipping_id"), ship, doc.M2O("partner_id"))
		}
	}
	if x.Invoice != nil {
		invs := doc.IDs("invoice_ids")
		if len(invs) != 1 || invs[0] != res.InvoiceID {
			t.Fatalf("sale order invoices %v, want [%d]", invs, res.InvoiceID)
		}
		inv := e.read1("account.move", res.InvoiceID, []string{"state", "currency_id", "amount_untaxed", "amount_tax", "amount_total",
			"invoice_line_ids", "invoice_date", "journal_id", "move_type", "partner_id", "partner_shipping_id", "invoice_origin"})
		if inv.String("state") != x.Invoice.State || inv.String("move_type") != "out_invoice" {
			t.Errorf("invoice %s %s, want out_invoice %s", inv.String("move_type"), inv.String("state"), x.Invoice.State)
		}
		if m2oName(inv["currency_id"]) != x.Currency {
			t.Errorf("invoice currency %v, want %s", inv["currency_id"], x.Currency)
		}
		if inv.M2O("partner_id") != doc.M2O("partner_id") || inv.M2O("partner_shipping_id") != doc.M2O("partner_shipping_id") {
			t.Errorf("invoice partner %v / %v, order's %v / %v", inv["partner_id"], inv["partner_shipping_id"], doc["partner_id"], doc["partner_shipping_id"])
		}
		if inv.String("invoice_origin") != doc.String("name") {
			t.Errorf("invoice origin %q, want the order's name %q", inv.String("invoice_origin"), doc.String("name"))
		}
		e.amounts("invoice ", inv, x.Untaxed, x.Tax, x.Total)
		if x.Invoice.Date != "" && inv.String("invoice_date") != x.Invoice.Date {
			t.Errorf("invoice_date %q, want %q", inv.String("invoice_date"), x.Invoice.Date)
		}
		if x.Invoice.Journal > 0 && inv.M2O("journal_id") != x.Invoice.Journal {
			t.Errorf("invoice journal %v, want %d", inv["journal_id"], x.Invoice.Journal)
		}
		want := x.Invoice.Lines
		if want == nil {
			want = x.Lines
		}
		il := e.invoiceLines(inv.IDs("invoice_line_ids"))
		e.lines("invoice ", il, want)
		for i, l := range il {
			if i < len(lines) && (len(l.IDs("sale_line_ids")) != 1 || l.IDs("sale_line_ids")[0] != lines[i].ID()) {
				t.Errorf("invoice line %d is linked to %v, want the order line %d", i, l["sale_line_ids"], lines[i].ID())
			}
		}
		if st := e.text("sale.order", res.ID, "invoice_status"); st != "invoiced" && !hasWarning(e.firstWarnings, "invoices delivered quantities") {
			t.Errorf("sale order invoice_status %q, want invoiced", st)
		}
	}
}

func (e *Env) invoiceLines(ids []int64) []odoo.Record {
	got := e.read("account.move.line", ids, []string{"product_id", "name", "quantity", "price_unit", "discount", "price_subtotal",
		"tax_ids", "display_type", "account_id", "sale_line_ids"})
	var out []odoo.Record
	for _, l := range got {
		if dt := l.String("display_type"); dt == "" || dt == "product" {
			out = append(out, l)
		}
	}
	return out
}

func hasWarning(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func (e *Env) checkWarnings(x *Expect, ws []string, first bool) {
	t := e.t
	t.Helper()
	for _, want := range x.Warnings {
		if !first && !strings.HasPrefix(want, "Odoo total ") && !strings.HasPrefix(want, "Odoo tax ") {
			continue
		}
		if !hasWarning(ws, want) {
			t.Errorf("no warning %q among %q", want, ws)
		}
	}
	for _, w := range ws {
		if strings.HasPrefix(w, "Odoo total ") || strings.HasPrefix(w, "Odoo tax ") {
			expected := false
			for _, want := range x.Warnings {
				expected = expected || strings.Contains(w, want)
			}
			if !expected {
				t.Errorf("unexpected totals warning %q", w)
			}
		}
	}
}

func (e *Env) amounts(what string, doc odoo.Record, untaxed, tax, total string) {
	t := e.t
	t.Helper()
	for _, a := range []struct{ field, want string }{{"amount_untaxed", untaxed}, {"amount_tax", tax}, {"amount_total", total}} {
		if got := num(doc[a.field]); a.want != "" && !got.Equal(dec(a.want)) {
			t.Errorf("%s%s %s, want %s", what, a.field, got, a.want)
		}
	}
}

func (e *Env) lines(what string, got []odoo.Record, want []Line) {
	t := e.t
	t.Helper()
	var real []odoo.Record
	for _, l := range got {
		if l.String("display_type") == "" || l.String("display_type") == "product" {
			real = append(real, l)
		}
	}
	if len(real) != len(want) {
		var names []string
		for _, l := range real {
			names = append(names, fmt.Sprintf("%q %s×%s", l.String("name"), num(l["quantity"]), num(l["price_unit"])))
		}
		t.Fatalf("%s%d lines %v, want %d", what, len(real), names, len(want))
	}
	var pids []int64
	for _, l := range real {
		pids = append(pids, l.M2O("product_id"))
	}
	codes := map[int64]string{}
	for _, p := range e.read("product.product", uniq(pids), []string{"default_code"}) {
		codes[p.ID()] = p.String("default_code")
	}
	for i, w := range want {
		l := real[i]
		at := fmt.Sprintf("%sline %d (%q)", what, i+1, l.String("name"))
		if w.Code != "" && codes[l.M2O("product_id")] != w.Code {
			t.Errorf("%s: product %q, want %q", at, codes[l.M2O("product_id")], w.Code)
		}
		if w.ProductID > 0 && l.M2O("product_id") != w.ProductID {
			t.Errorf("%s: product %d, want %d", at, l.M2O("product_id"), w.ProductID)
		}
		if w.Name != "" && !strings.Contains(l.String("name"), w.Name) {
			t.Errorf("%s: name %q, want it to contain %q", at, l.String("name"), w.Name)
		}
		for _, f := range []struct{ field, want string }{{"quantity", w.Qty}, {"price_unit", w.Price}, {"discount", w.Discount}, {"price_subtotal", w.Subtotal}} {
			if f.want != "" && !num(l[f.field]).Equal(dec(f.want)) {
				t.Errorf("%s: %s %s, want %s", at, f.field, num(l[f.field]), f.want)
			}
		}
		taxes := e.read("account.tax", l.IDs("tax_ids"), []string{"name", "amount", "price_include", "type_tax_use", "active", "company_id", "invoice_repartition_line_ids"})
		if len(taxes) != len(w.Taxes) {
			t.Errorf("%s: %d taxes %v, want %d", at, len(taxes), l["tax_ids"], len(w.Taxes))
			continue
		}
		sort.Slice(taxes, func(a, b int) bool { return taxes[a].String("name") < taxes[b].String("name") })
		wt := append([]Tax{}, w.Taxes...)
		sort.SliceStable(wt, func(a, b int) bool { return wt[a].Name < wt[b].Name })
		for j, tx := range taxes {
			if tx.String("type_tax_use") != "sale" || !tx.Bool("active") {
				t.Errorf("%s: tax %q is %s, active %v", at, tx.String("name"), tx.String("type_tax_use"), tx.Bool("active"))
			}
			if !num(tx["amount"]).Equal(dec(wt[j].Percent)) || tx.Bool("price_include") != wt[j].Included {
				t.Errorf("%s: tax %q %s%% included %v, want %s%% included %v", at, tx.String("name"), num(tx["amount"]), tx.Bool("price_include"), wt[j].Percent, wt[j].Included)
			}
			if wt[j].Name != "" && !strings.Contains(tx.String("name"), wt[j].Name) {
				t.Errorf("%s: tax %q, want %q", at, tx.String("name"), wt[j].Name)
			}
			// Collected tax goes to a tax account, never to income.
			rep := e.read("account.tax.repartition.line", tx.IDs("invoice_repartition_line_ids"), []string{"repartition_type", "account_id"})
			for _, rl := range rep {
				if rl.String("repartition_type") == "tax" && rl.M2O("account_id") == 0 {
					t.Errorf("%s: tax %q has a tax repartition line without account", at, tx.String("name"))
				}
			}
		}
		if len(taxes) == 2 && taxes[0].ID() == taxes[1].ID() {
			t.Errorf("%s: the two taxes are one", at)
		}
		if w.Account != "" {
			acc := e.read1("account.account", l.M2O("account_id"), []string{"account_type", "name"})
			if acc.String("account_type") != w.Account {
				t.Errorf("%s: account %q is %s, want %s", at, acc.String("name"), acc.String("account_type"), w.Account)
			}
		}
	}
}

func uniq(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (e *Env) partner(what string, id int64, w *Partner, parent int64) {
	t := e.t
	t.Helper()
	if id == 0 {
		t.Errorf("%s: none", what)
		return
	}
	p := e.read1("res.partner", id, []string{"name", "email", "street", "city", "zip", "country_code", "state_id", "type", "parent_id", "company_name"})
	if w.ID > 0 && id != w.ID {
		t.Errorf("%s: partner %d, want %d", what, id, w.ID)
	}
	if w.Step > 0 {
		prev := e.results[w.Step]
		field := "partner_id"
		if w.Type == "delivery" {
			field = "partner_shipping_id"
		}
		doc := e.read1(prev.Model, prev.ID, []string{field})
		if doc.M2O(field) != id {
			t.Errorf("%s: partner %d, want step %d's %v", what, id, w.Step, doc[field])
		}
	}
	state := ""
	if sid := p.M2O("state_id"); sid > 0 {
		state = e.text("res.country.state", sid, "code")
	}
	for _, f := range []struct{ field, got, want string }{
		{"name", p.String("name"), w.Name}, {"email", p.String("email"), w.Email}, {"street", p.String("street"), w.Street},
		{"city", p.String("city"), w.City}, {"zip", p.String("zip"), w.Zip}, {"country", p.String("country_code"), w.Country},
		{"state", state, w.State}, {"company", p.String("company_name"), w.Company}, {"type", p.String("type"), w.Type},
	} {
		if f.want != "" && f.got != f.want {
			t.Errorf("%s: %s %q, want %q", what, f.field, f.got, f.want)
		}
	}
	if parent > 0 && p.M2O("parent_id") != parent {
		t.Errorf("%s: parent %v, want the customer %d", what, p["parent_id"], parent)
	}
}

// shopifyTotal is the order's Shopify total in a currency (after edits when the
// snapshot says).
func shopifyTotal(o *schemas.Order, currency string) decimal.Decimal {
	current := false
	for _, li := range o.LineItems {
		current = current || li.CurrentQuantity != nil
	}
	pres := currency == o.PresentmentCurrency && currency != o.Currency
	switch {
	case current && pres:
		return o.CurrentTotalPricePresentment
	case current:
		return o.CurrentTotalPrice
	case pres:
		return o.TotalPricePresentment
	}
	return o.TotalPrice
}
