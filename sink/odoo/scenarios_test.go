package odoo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/synco-dev/synco/odoosim"
	"github.com/synco-dev/synco/schemas"
)

// world is what Odoo holds that the Syncer made, for assertions.
type world struct {
	saleOrders, partners, products, taxes, invoices int
	soState, invState                               string
}

func observe(t *testing.T, sim *odoosim.Server, before world) world {
	t.Helper()
	w := world{
		saleOrders: len(ours(sim.Records("sale.order"), "origin", "shopify:")),
		partners:   len(sim.Records("res.partner")) - before.partners,
		products:   len(sim.Records("product.product")) - before.products,
		taxes:      len(sim.Records("account.tax")) - before.taxes,
	}
	for _, so := range ours(sim.Records("sale.order"), "origin", "shopify:") {
		w.soState, _ = so["state"].(string)
	}
	for _, m := range sim.Records("account.move") {
		if m["move_type"] == "out_invoice" {
			w.invoices++
			w.invState, _ = m["state"].(string)
		}
	}
	return w
}

func baseline(sim *odoosim.Server) world {
	return world{partners: len(sim.Records("res.partner")), products: len(sim.Records("product.product")), taxes: len(sim.Records("account.tax"))}
}

// fullFlow is every call a new order with a confirmed sale order and a posted invoice
// makes on a Syncer that just started, in order.
var fullFlow = []string{
	// the look-up: external ids, then by origin (an order made before them)
	"ir.model.data.search_read", "sale.order.search_read", "account.move.search_read",
	// the customer, with the country of the address
	"res.partner.search_read", "res.country.search_read", "res.partner.create",
	// lines: precisions, the company (rounding method), products mapped to variants
	// without SKU, products by code
	"decimal.precision.search_read", "res.company.search_read", "ir.model.data.search_read",
	"product.product.search_read", "product.product.create",
	// the 7.5 % tax: sale taxes and mapped taxes, then a copy of the default tax in a
	// tax group named after the title
	"account.tax.search_read", "ir.model.data.search_read", "account.tax.group.search_read",
	"account.tax.group.copy", "account.tax.copy",
	// the currency and its pricelist
	"res.currency.search_read", "product.pricelist.search_read",
	"sale.order.create", "sale.order.action_confirm", "sale.order.read",
	"account.move.create", "account.move.action_post",
	// the new records' external ids
	"ir.model.data.create",
}

// Each step of the full flow fails once in turn (the simulator's transient
// SerializationFailure, before the change is applied); the retry finishes the order
// with exactly one of everything.
func TestEachStepFailsOnceThenRetrySucceeds(t *testing.T) {
	for _, v := range []int{16, 17} {
		for _, step := range fullFlow {
			t.Run(fmt.Sprintf("%d/%s", v, step), func(t *testing.T) {
				sim, c := startSim(t, v)
				before := baseline(sim)
				model, method := splitStep(step)
				sim.FailNext(model, method, 1)
				cmd := command(order1001(), schemas.SaleOrderConfirmed, schemas.InvoicePosted)
				s := NewSyncer(c)
				_, err := s.Apply(context.Background(), cmd)
				if err == nil || !IsRetriable(err) || IsPermanent(err) {
					t.Fatalf("first apply: want a retriable error, got %v", err)
				}
				// A retry from the same Syncer, then from a restarted one.
				if _, err := s.Apply(context.Background(), cmd); err != nil {
					t.Fatalf("retry: %v", err)
				}
				res, err := NewSyncer(c).Apply(context.Background(), cmd)
				if err != nil {
					t.Fatal(err)
				}
				want := world{saleOrders: 1, partners: 1, products: 4, taxes: 1, invoices: 1, soState: "sale", invState: "posted"}
				if got := observe(t, sim, before); got != want {
					t.Fatalf("odoo holds %+v, want %+v", got, want)
				}
				if res.InvoiceID == 0 || res.Name != "WEB-1001" {
					t.Errorf("result %+v", res)
				}
			})
		}
	}
}

func splitStep(s string) (model, method string) {
	i := strings.LastIndexByte(s, '.')
	return s[:i], s[i+1:]
}

// loseAnswer forwards every call but, on the n-th, throws Odoo's answer away and
// reports a network error: the call committed, the sink never learnt it. That is a
// crash between two calls.
type loseAnswer struct {
	Client
	n    int64
	seen atomic.Int64
	lost string
}

func (l *loseAnswer) Call(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
	res, err := l.Client.Call(ctx, model, method, args, kwargs)
	if l.seen.Add(1) == l.n {
		l.lost = model + "." + method
		return nil, classifyTransport(model, method, errors.New("connection reset by peer"))
	}
	return res, err
}

// A crash after each call in turn (the call took effect in Odoo, its answer was lost);
// a restarted sink (fresh Syncer, empty caches) then finishes the order and nothing
// exists twice.
func TestCrashAfterEachCallIsHarmless(t *testing.T) {
	for _, flow := range []struct {
		name  string
		so    schemas.SaleOrderState
		inv   schemas.InvoiceState
		calls int // calls of an undisturbed run
		want  world
	}{
		{"sale order + posted invoice", schemas.SaleOrderConfirmed, schemas.InvoicePosted, len(fullFlow),
			world{saleOrders: 1, partners: 1, products: 4, taxes: 1, invoices: 1, soState: "sale", invState: "posted"}},
		// the same without the sale order's create, confirm and read; the invoice is read
		// after posting
		{"direct posted invoice", schemas.SaleOrderNone, schemas.InvoicePosted, len(fullFlow) - 2,
			world{saleOrders: 0, partners: 1, products: 4, taxes: 1, invoices: 1, invState: "posted"}},
	} {
		for _, v := range []int{16, 17} {
			for n := int64(1); ; n++ {
				sim, c := startSim(t, v)
				before := baseline(sim)
				cmd := command(order1001(), flow.so, flow.inv)
				lossy := &loseAnswer{Client: c, n: n}
				res, err := NewSyncer(lossy).Apply(context.Background(), cmd)
				if lossy.lost == "" {
					if err != nil {
						t.Fatalf("%s %d: %v", flow.name, v, err)
					}
					if res.Calls != flow.calls || n != int64(flow.calls)+1 {
						t.Fatalf("%s %d: %d calls, want %d", flow.name, v, res.Calls, flow.calls)
					}
					break
				}
				if !IsRetriable(err) {
					t.Fatalf("%s %d: answer of %s lost: %v is not retriable", flow.name, v, lossy.lost, err)
				}
				if _, err := NewSyncer(c).Apply(context.Background(), cmd); err != nil {
					t.Fatalf("%s %d: after losing %s: %v", flow.name, v, lossy.lost, err)
				}
				if got := observe(t, sim, before); got != flow.want {
					t.Fatalf("%s %d: after losing the answer of call %d (%s): odoo holds %+v, want %+v", flow.name, v, n, lossy.lost, got, flow.want)
				}
			}
		}
	}
}

// RPC calls per order, exactly, so that a regression fails.
func TestCallsPerOrder(t *testing.T) {
	for _, v := range []int{16, 17} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			_, c := startSim(t, v)
			ctx := context.Background()
			s := NewSyncer(c)
			first := order1001()
			if _, err := s.Apply(ctx, command(first, schemas.SaleOrderDraft, schemas.InvoiceNone)); err != nil {
				t.Fatal(err)
			}
			// A repeat customer (email in another case) buying known products.
			next := func(id int64) schemas.Order {
				o := order1001()
				o.ID, o.Name, o.OrderNumber = id, fmt.Sprintf("#%d", id), id
				o.Email = strings.ToUpper(o.Email)
				return o
			}
			for i, c := range []struct {
				name  string
				s     *Syncer
				so    schemas.SaleOrderState
				inv   schemas.InvoiceState
				calls int
				again int
			}{
				// look-up (external ids, by origin: sale orders, invoices), create, read
				// Odoo's totals, register the external id
				{"draft, warm caches", s, schemas.SaleOrderDraft, schemas.InvoiceNone, 6, 3},
				// + partner search, precisions, company, product external ids, products,
				// taxes, tax external ids, currency, pricelists
				{"draft, cold caches", NewSyncer(c), schemas.SaleOrderDraft, schemas.InvoiceNone, 15, 3},
				{"confirmed, warm", s, schemas.SaleOrderConfirmed, schemas.InvoiceNone, 7, 3},
				// + the invoice from the order's lines, posted
				{"confirmed + posted invoice, warm", s, schemas.SaleOrderConfirmed, schemas.InvoicePosted, 9, 4},
				{"confirmed + draft invoice, warm", s, schemas.SaleOrderConfirmed, schemas.InvoiceDraft, 8, 4},
				// an order cancelled before it was synced: only the look-up, nothing made
				{"cancelled, warm", s, schemas.SaleOrderCancelled, schemas.InvoiceNone, 3, 3},
				// look-up, create, post, read (its name and totals), register
				{"direct posted invoice, warm", s, schemas.SaleOrderNone, schemas.InvoicePosted, 7, 2},
				// again: + the draft's lines
				{"direct draft invoice, warm", s, schemas.SaleOrderNone, schemas.InvoiceDraft, 6, 3},
			} {
				o := next(int64(2000 + i))
				cmd := command(o, c.so, c.inv)
				res, err := c.s.Apply(ctx, cmd)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if res.Calls != c.calls {
					t.Errorf("%s: %d calls, want %d", c.name, res.Calls, c.calls)
				}
				if len(res.Warnings) != 0 {
					t.Errorf("%s: warnings %q", c.name, res.Warnings)
				}
				// Applying it again only reads: the external ids, the document (and the
				// order's invoice).
				again, err := c.s.Apply(ctx, cmd)
				if err != nil {
					t.Fatalf("%s again: %v", c.name, err)
				}
				if again.Calls != c.again || again.ID != res.ID || again.InvoiceID != res.InvoiceID {
					t.Errorf("%s again: %+v, want %d calls and the same records as %+v", c.name, again, c.again, res)
				}
			}
		})
	}
}

// A batch of orders shares its look-up: one search of the external ids, one search
// by origin per model for the new ones (one read per model for known ones).
func TestPrefetchBatch(t *testing.T) {
	_, c := startSim(t, 17)
	ctx := context.Background()
	s := NewSyncer(c)
	if _, err := s.Apply(ctx, command(order1001(), schemas.SaleOrderDraft, schemas.InvoiceNone)); err != nil {
		t.Fatal(err)
	}
	var cmds []*schemas.OrderSync
	for i := range 10 {
		o := order1001()
		o.ID, o.Name = int64(3000+i), fmt.Sprintf("#%d", 3000+i)
		cmds = append(cmds, command(o, schemas.SaleOrderDraft, schemas.InvoiceNone))
	}
	b, err := s.Prefetch(ctx, cmds)
	if err != nil {
		t.Fatal(err)
	}
	if b.Calls != 3 {
		t.Errorf("batch look-up: %d calls, want 3", b.Calls)
	}
	ids := map[int64]bool{}
	for _, cmd := range cmds {
		res, err := b.Apply(ctx, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if res.Calls != 3 { // create, read, register
			t.Errorf("order %d in the batch: %d calls, want 3", cmd.OrderID, res.Calls)
		}
		ids[res.ID] = true
	}
	// The same batch again: one search of the external ids, one read of the orders,
	// one of all their lines.
	b, err = s.Prefetch(ctx, cmds)
	if err != nil {
		t.Fatal(err)
	}
	if b.Calls != 3 {
		t.Errorf("batch look-up of known orders: %d calls, want 3", b.Calls)
	}
	for _, cmd := range cmds {
		res, err := b.Apply(ctx, cmd)
		if err != nil || res.Calls != 0 || !ids[res.ID] {
			t.Errorf("known order %d: %+v %v", cmd.OrderID, res, err)
		}
		// A second command for the same order looks up again: the batch's look-up is
		// used once, never stale.
		if res, err := b.Apply(ctx, cmd); err != nil || res.Calls != 3 || !ids[res.ID] {
			t.Errorf("order %d applied twice from one batch: %+v %v", cmd.OrderID, res, err)
		}
	}
}

func TestStateTransitions(t *testing.T) {
	ctx := context.Background()
	for _, v := range []int{16, 17} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			sim, c := startSim(t, v)
			s := NewSyncer(c)
			o := order1001()
			// draft → confirmed → confirmed with a draft invoice → posted → cancelled
			steps := []struct {
				so      schemas.SaleOrderState
				inv     schemas.InvoiceState
				soState string
				invs    int
				invSt   string
			}{
				{schemas.SaleOrderDraft, schemas.InvoiceNone, "draft", 0, ""},
				{schemas.SaleOrderConfirmed, schemas.InvoiceNone, "sale", 0, ""},
				{schemas.SaleOrderConfirmed, schemas.InvoiceDraft, "sale", 1, "draft"},
				{schemas.SaleOrderConfirmed, schemas.InvoicePosted, "sale", 1, "posted"},
				{schemas.SaleOrderCancelled, schemas.InvoiceNone, "cancel", 1, "posted"},
			}
			before := baseline(sim)
			for i, st := range steps {
				if _, err := s.Apply(ctx, command(o, st.so, st.inv)); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				w := observe(t, sim, before)
				if w.saleOrders != 1 || w.soState != st.soState || w.invoices != st.invs || w.invState != st.invSt {
					t.Fatalf("step %d (%s/%s): %+v", i, st.so, st.inv, w)
				}
			}
		})
	}
}

func TestCancelConfirmedAndLocked(t *testing.T) {
	ctx := context.Background()
	sim, c := startSim(t, 17)
	s := NewSyncer(c)
	a := order1001()
	res, err := s.Apply(ctx, command(a, schemas.SaleOrderConfirmed, schemas.InvoiceNone))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, command(a, schemas.SaleOrderCancelled, schemas.InvoiceNone)); err != nil {
		t.Fatal(err)
	}
	if st := byID(sim.Records("sale.order"))[res.ID]["state"]; st != "cancel" {
		t.Fatalf("confirmed order cancelled to %v", st)
	}

	// A locked order refuses; the error is permanent and carries Odoo's message.
	b := order1001()
	b.ID, b.Name = 5531234002, "#1002"
	res, err = s.Apply(ctx, command(b, schemas.SaleOrderConfirmed, schemas.InvoiceNone))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call(ctx, "sale.order", "action_lock", []any{[]int64{res.ID}}, nil); err != nil && !IsNoneFault(err) {
		t.Fatal(err)
	}
	_, err = s.Apply(ctx, command(b, schemas.SaleOrderCancelled, schemas.InvoiceNone))
	var oe *Error
	if !errors.As(err, &oe) || oe.Retriable || !IsNeedsAttention(err) || !strings.HasSuffix(oe.Message, "You cannot cancel a locked order. Please unlock it first.") {
		t.Fatalf("locked cancel: %#v", err)
	}

	// An order cancelled before it was ever synced is not created just to be
	// cancelled: nothing in Odoo, and the result says why.
	d := order1001()
	d.ID, d.Name = 5531234003, "#1003"
	orders := len(sim.Records("sale.order"))
	res, err = s.Apply(ctx, command(d, schemas.SaleOrderCancelled, schemas.InvoiceNone))
	if err != nil || res.ID != 0 || res.NotSynced == "" || len(sim.Records("sale.order")) != orders {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestDirectInvoice(t *testing.T) {
	ctx := context.Background()
	for _, v := range []int{16, 17} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			sim, c := startSim(t, v)
			s := NewSyncer(c)
			o := order1001()
			cmd := command(o, schemas.SaleOrderNone, schemas.InvoicePosted)
			res, err := s.Apply(ctx, cmd)
			if err != nil {
				t.Fatal(err)
			}
			if res.Model != "account.move" || res.ID == 0 || res.InvoiceID != res.ID || res.Name == "" || res.Name == "/" {
				t.Fatalf("result %+v", res)
			}
			if _, err := NewSyncer(c).Apply(ctx, cmd); err != nil {
				t.Fatal(err)
			}
			var moves []map[string]any
			for _, m := range sim.Records("account.move") {
				if m["move_type"] == "out_invoice" {
					moves = append(moves, m)
				}
			}
			if len(moves) != 1 {
				t.Fatalf("%d invoices", len(moves))
			}
			m := moves[0]
			if m["state"] != "posted" || m["invoice_origin"] != StableKey(testShop, o.ID) || m["ref"] != "#1001" || m["invoice_date"] != "2026-11-26" {
				t.Errorf("invoice %v", m)
			}
			if toFloat(m["amount_untaxed"]) != 116.5 || toFloat(m["amount_tax"]) != 7.88 {
				t.Errorf("amounts %v %v", m["amount_untaxed"], m["amount_tax"])
			}
			if len(ours(sim.Records("sale.order"), "origin", "shopify:")) != 0 {
				t.Error("a sale order was made for a direct invoice")
			}
		})
	}
}

// Orders in flight at once that share a new customer and new SKUs create each once.
func TestConcurrentOrdersShareNewProducts(t *testing.T) {
	sim, c := startSim(t, 17)
	before := baseline(sim)
	s := NewSyncer(c)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := order1001()
			o.ID, o.Name = int64(7000+i), fmt.Sprintf("#%d", 7000+i)
			if _, err := s.Apply(context.Background(), command(o, schemas.SaleOrderDraft, schemas.InvoiceNone)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	w := observe(t, sim, before)
	if w.saleOrders != 8 || w.partners != 1 || w.products != 4 || w.taxes != 1 {
		t.Fatalf("%+v", w)
	}
}

// Customer modes, guests and an email with LIKE wildcards in it.
func TestCustomers(t *testing.T) {
	ctx := context.Background()
	sim, c := startSim(t, 17)
	s := NewSyncer(c)
	partnerOf := func(res Result) int64 { return toInt(byID(sim.Records("sale.order"))[res.ID]["partner_id"]) }
	apply := func(o schemas.Order, mut func(*schemas.OrderSync)) Result {
		t.Helper()
		cmd := command(o, schemas.SaleOrderDraft, schemas.InvoiceNone)
		if mut != nil {
			mut(cmd)
		}
		res, err := s.Apply(ctx, cmd)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// a_b@x.com must not match an existing axb@x.com.
	decoy, err := Create(ctx, c, "res.partner", map[string]any{"name": "Decoy", "email": "axb@example.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := order1001()
	o.Email, o.Customer.Email = "a_b@example.com", "a_b@example.com"
	if p := partnerOf(apply(o, nil)); p == decoy || p == 0 {
		t.Fatalf("wildcard email matched the decoy (%d)", p)
	}
	// Single mode uses the configured partner.
	o2 := order1001()
	o2.ID, o2.Name = 2, "#2"
	if p := partnerOf(apply(o2, func(c *schemas.OrderSync) {
		c.Settings.Customer = schemas.CustomerSettings{Mode: "single", PartnerID: decoy}
	})); p != decoy {
		t.Fatalf("single mode: partner %d, want %d", p, decoy)
	}
	// Two guests without email or account share one guest partner.
	g1, g2 := order1001(), order1001()
	g1.ID, g1.Name, g1.Email, g1.Customer = 3, "#3", "", nil
	g2.ID, g2.Name, g2.Email, g2.Customer = 4, "#4", "", nil
	p1, p2 := partnerOf(apply(g1, nil)), partnerOf(apply(g2, nil))
	if p1 == 0 || p1 != p2 {
		t.Fatalf("guests: %d %d", p1, p2)
	}
	if _, err := NewSyncer(c).Apply(ctx, command(func() schemas.Order { g := g1; g.ID = 5; return g }(), schemas.SaleOrderDraft, schemas.InvoiceNone)); err != nil {
		t.Fatal(err)
	}
	guests := 0
	for _, p := range sim.Records("res.partner") {
		if p["ref"] == "shopify:"+testShop+"/guest" {
			guests++
		}
	}
	if guests != 1 {
		t.Fatalf("%d guest partners", guests)
	}
}

// A product deleted in Odoo after it was cached: the order flushes the caches and
// goes through.
func TestDeletedCachedProductHeals(t *testing.T) {
	ctx := context.Background()
	sim, c := startSim(t, 17)
	s := NewSyncer(c)
	first, err := s.Apply(ctx, command(order1001(), schemas.SaleOrderDraft, schemas.InvoiceNone))
	if err != nil {
		t.Fatal(err)
	}
	// The draft order goes first (its lines hold the product, as in Odoo).
	if _, err := c.Call(ctx, "sale.order", "unlink", []any{[]int64{first.ID}}, nil); err != nil {
		t.Fatal(err)
	}
	var mug int64
	for _, p := range sim.Records("product.product") {
		if p["default_code"] == "MUG-1" {
			mug = toInt(p["id"])
		}
	}
	if _, err := c.Call(ctx, "product.product", "unlink", []any{[]int64{mug}}, nil); err != nil {
		t.Fatalf("deleting the cached product: %v", err)
	}
	o := order1001()
	o.ID, o.Name = 9, "#9"
	res, err := s.Apply(ctx, command(o, schemas.SaleOrderDraft, schemas.InvoiceNone))
	if err != nil {
		t.Fatalf("%v (%+v)", err, res)
	}
	products := map[int64]bool{}
	for _, p := range sim.Records("product.product") {
		products[toInt(p["id"])] = true
	}
	lines := 0
	for _, l := range sim.Records("sale.order.line") {
		if toInt(l["order_id"]) == res.ID {
			lines++
			if pid := toInt(l["product_id"]); pid == mug || !products[pid] {
				t.Fatalf("line %v holds product %d, deleted", l["name"], pid)
			}
		}
	}
	if lines == 0 {
		t.Fatalf("sale order %d has no lines", res.ID)
	}
}

// Odoo 18 over XML-RPC (type instead of detailed_type), 19 over JSON-2 with an API key
// and over XML-RPC without one (tax_ids on sale lines).
func TestNewerVersionsAgainstSimulator(t *testing.T) {
	for _, c := range []struct {
		version int
		key     string
		want    string // client type
		taxes   string
	}{
		{18, "", "*odoo.XMLRPC", "tax_id"},
		{19, "k19", "*odoo.JSON2", "tax_ids"},
		{19, "", "*odoo.XMLRPC", "tax_ids"},
	} {
		t.Run(fmt.Sprintf("%d%s", c.version, c.key), func(t *testing.T) {
			sim := odoosim.New(odoosim.Options{Version: c.version, DB: "synco", Login: "admin", Password: "admin", APIKey: c.key})
			url, err := sim.Start("127.0.0.1:0")
			if err != nil {
				t.Fatalf("odoo simulator does not start: %v", err)
			}
			defer sim.Close()
			ctx := context.Background()
			cl, err := Dial(ctx, Config{URL: url, DB: "synco", Username: "admin", Password: "admin", APIKey: c.key, Protocol: "auto"})
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", cl); got != c.want {
				t.Fatalf("auto chose %s, want %s", got, c.want)
			}
			s := NewSyncer(cl)
			cmd := command(order1001(), schemas.SaleOrderConfirmed, schemas.InvoicePosted)
			res, err := s.Apply(ctx, cmd)
			if err != nil {
				t.Fatal(err)
			}
			again, err := NewSyncer(cl).Apply(ctx, cmd)
			if err != nil || again.ID != res.ID || again.InvoiceID != res.InvoiceID {
				t.Fatalf("again %+v %v", again, err)
			}
			so := byID(sim.Records("sale.order"))[res.ID]
			if so["state"] != "sale" {
				t.Errorf("state %v", so["state"])
			}
			lines := byID(sim.Records("sale.order.line"))
			taxed := 0
			for _, id := range toIDs(so["order_line"]) {
				if len(toIDs(lines[id][c.taxes])) > 0 {
					taxed++
				}
			}
			if taxed != 2 {
				t.Errorf("%d lines with %s, want 2", taxed, c.taxes)
			}
			for _, p := range sim.Records("product.product") {
				if p["default_code"] == ShippingCode && p["type"] != "service" {
					t.Errorf("shipping product type %v", p["type"])
				}
			}
			if c.key != "" && sim.Calls()["common.authenticate"] != 0 {
				t.Errorf("JSON-2 logged in over XML-RPC: %v", sim.Calls())
			}
			if inv := byID(sim.Records("account.move"))[res.InvoiceID]; inv["state"] != "posted" {
				t.Errorf("invoice %v", inv["state"])
			}
		})
	}
}

// An expired or wrong key on 19 is a permanent "Odoo API key rejected"; a wrong
// password over XML-RPC is a permanent login failure.
func TestBadCredentialsAgainstSimulator(t *testing.T) {
	sim := odoosim.New(odoosim.Options{Version: 19, DB: "synco", Login: "admin", Password: "admin", APIKey: "k19"})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("odoo simulator does not start: %v", err)
	}
	defer sim.Close()
	ctx := context.Background()
	cmd := command(order1001(), schemas.SaleOrderDraft, schemas.InvoiceNone)
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: url, DB: "synco", Username: "admin", APIKey: "expired", Protocol: "json2"}, "Odoo API key rejected"},
		{Config{URL: url, DB: "synco", Username: "admin", Password: "nope", Protocol: "xmlrpc"}, "Odoo login failed for user admin on db synco"},
	} {
		cl, err := Dial(ctx, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = NewSyncer(cl).Apply(ctx, cmd)
		var oe *Error
		if !errors.As(err, &oe) || oe.Retriable || !strings.HasPrefix(oe.Message, c.want) {
			t.Errorf("%s: %#v", c.cfg.Protocol, err)
		}
	}
}

// Odoo going away mid-stream is retriable, and the order completes once it is back.
func TestOdooDownIsRetriable(t *testing.T) {
	sim, c := startSim(t, 17)
	ctx := context.Background()
	s := NewSyncer(c)
	cmd := command(order1001(), schemas.SaleOrderConfirmed, schemas.InvoiceNone)
	sim.SetDown(true)
	_, err := s.Apply(ctx, cmd)
	if !IsRetriable(err) || IsPermanent(err) {
		t.Fatalf("down: %v", err)
	}
	sim.SetDown(false)
	res, err := s.Apply(ctx, cmd)
	if err != nil || byID(sim.Records("sale.order"))[res.ID]["state"] != "sale" {
		t.Fatalf("back: %+v %v", res, err)
	}
}

// In a database with several companies the sink books into the user's (Odoo's
// default company), asked once.
func TestUsersCompanyOfSeveral(t *testing.T) {
	sim, c := startSim(t, 17)
	ctx := context.Background()
	if _, err := Create(ctx, c, "res.company", map[string]any{"name": "Other Company", "currency_id": 125}, nil); err != nil {
		t.Fatal(err)
	}
	res, err := NewSyncer(c).Apply(ctx, command(order1001(), schemas.SaleOrderDraft, schemas.InvoiceNone))
	if err != nil {
		t.Fatal(err)
	}
	if res.Currency != "USD" || sim.Calls()["sale.order.default_get"] != 1 {
		t.Errorf("result %+v, calls %v", res, sim.Calls())
	}
	if so := byID(sim.Records("sale.order"))[res.ID]; toInt(so["company_id"]) != 1 {
		t.Errorf("sale order of company %v", so["company_id"])
	}
}
