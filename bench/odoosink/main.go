// Command odoosink measures, on one real Odoo, how many orders per second (a) the
// Odoo sink (odoo.Sink: batches, list calls, caches, the configured concurrency), (b)
// Odoo driven directly with list calls (create 20 in one call, confirm the list,
// invoice the list: the ceiling) and (c) a naive one-order-at-a-time sync (search the
// buyer and the products, create, confirm, invoice, post, every order on its own) get
// into Odoo, for draft sale orders, confirmed sale orders and sale orders with a
// posted invoice. The orders are alike for all three: two product lines and shipping,
// no taxes, five returning buyers. bench/odoo-sink.sh runs it against Odoo 17.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
)

const shop = "bench.myshopify.com"

var (
	url         = flag.String("url", env("ODOO_URL", "http://127.0.0.1:8017"), "Odoo URL")
	db          = flag.String("db", env("ODOO_DB", "synco"), "database")
	user        = flag.String("user", env("ODOO_USER", "admin"), "login")
	password    = flag.String("password", env("ODOO_PASSWORD", "admin"), "password")
	n           = flag.Int("n", 100, "orders per measurement")
	batch       = flag.Int("batch", 20, "orders per list call of the direct approach (b)")
	sinkBatch   = flag.Int("sink-batch", 50, "the sink's odoo.batch_size (default: the config's); another sink with -batch is measured too when they differ")
	concurrency = flag.Int("concurrency", 2, "batches in flight (the sink's odoo.concurrency; the direct list calls use the same)")
	rounds      = flag.Int("rounds", 3, "measurements per approach and mode (the median is reported)")
	modes       = flag.String("modes", "draft,confirmed,invoice", "what each order becomes")
)

// wire is an amount as XML-RPC carries it (a double), as the sink sends it.
func wire(d decimal.Decimal) float64 { return d.InexactFloat64() }

// saleLineTax is the sale order line's taxes field (tax_ids from Odoo 19 on).
var saleLineTax = "tax_id"

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// counting counts the calls of one approach.
type counting struct {
	odoo.Client
	n atomic.Int64
}

func (c *counting) Call(ctx context.Context, model, method string, args []any, kw map[string]any) (any, error) {
	c.n.Add(1)
	return c.Client.Call(ctx, model, method, args, kw)
}

type bench struct {
	cfg      odoo.Config
	c        odoo.Client
	run      int64
	seq      atomic.Int64
	emails   []string
	partners []int64
	products map[string]int64 // by code
}

var lines = []struct {
	sku, title string
	qty        int32
	price      string
}{{"BENCH-WIDGET", "Bench widget", 2, "12.50"}, {"BENCH-MUG", "Bench mug", 1, "8.00"}}

const shippingPrice = "4.90"

func main() {
	flag.Parse()
	log.SetFlags(0)
	ctx := context.Background()
	cfg := odoo.Config{URL: *url, DB: *db, Username: *user, Password: *password, Protocol: odoo.ProtocolXMLRPC,
		BatchSize: *sinkBatch, BatchWait: 50 * time.Millisecond, Concurrency: *concurrency}
	c, err := odoo.Dial(ctx, cfg)
	if err != nil {
		log.Fatalf("dial %s: %v", *url, err)
	}
	v, err := c.Version(ctx)
	if err != nil {
		log.Fatalf("version of %s: %v", *url, err)
	}
	if v >= 19 {
		saleLineTax = "tax_ids"
	}
	b := &bench{cfg: cfg, c: c, run: time.Now().Unix() % 100_000_000, products: map[string]int64{}}
	for i := range 5 {
		b.emails = append(b.emails, fmt.Sprintf("bench.buyer%d@bench.example", i))
	}
	// Warm: the sink makes the buyers and products (and its caches) with one batch of
	// orders; the direct approaches use the same records.
	warm := odoo.NewSink(map[string]odoo.Config{shop: cfg})
	if _, err := b.viaSink(ctx, warm, "invoice", *batch); err != nil {
		log.Fatalf("warm-up: %v", err)
	}
	b.lookUp(ctx)
	fmt.Printf("Odoo %d at %s, %d orders per measurement, sink batch_size %d (batch_wait 50ms), direct list calls of %d, concurrency %d\n\n",
		v, *url, *n, *sinkBatch, *batch, *concurrency)
	fmt.Printf("%-10s %-30s %8s %10s %22s %12s\n", "mode", "approach", "orders", "orders/s", "rounds (orders/s)", "calls/order")
	approaches := []struct {
		name string
		fn   func(context.Context, string, int) (int64, error)
	}{
		{"(a) sink", func(ctx context.Context, m string, k int) (int64, error) { return b.viaSink(ctx, warm, m, k) }},
		{"(b) direct, list calls", b.direct},
		{"(c) naive, one at a time", b.naive},
	}
	if *sinkBatch != *batch {
		c20 := cfg
		c20.BatchSize = *batch
		s20 := odoo.NewSink(map[string]odoo.Config{shop: c20})
		if _, err := b.viaSink(ctx, s20, "draft", *batch); err != nil { // its dial and caches
			log.Fatalf("warm-up: %v", err)
		}
		approaches = append(approaches, struct {
			name string
			fn   func(context.Context, string, int) (int64, error)
		}{fmt.Sprintf("(a') sink, batch_size %d", *batch), func(ctx context.Context, m string, k int) (int64, error) { return b.viaSink(ctx, s20, m, k) }})
	}
	for _, mode := range strings.Split(*modes, ",") {
		rates := make([][]float64, len(approaches))
		calls := make([]int64, len(approaches))
		for round := range *rounds {
			// Each round in another order: the database grows and the machine's load
			// moves; no approach always goes first.
			for j := range approaches {
				a := (j + round) % len(approaches)
				start := time.Now()
				c, err := approaches[a].fn(ctx, mode, *n)
				if err != nil {
					log.Fatalf("%s %s: %v", mode, approaches[a].name, err)
				}
				rates[a] = append(rates[a], float64(*n)/time.Since(start).Seconds())
				calls[a] += c
			}
		}
		med := make([]float64, len(approaches))
		for a, ap := range approaches {
			med[a] = median(rates[a])
			var rs []string
			for _, r := range rates[a] {
				rs = append(rs, fmt.Sprintf("%.1f", r))
			}
			fmt.Printf("%-10s %-30s %8d %10.1f %22s %12.2f\n", mode, ap.name, *n, med[a], strings.Join(rs, " "), float64(calls[a])/float64(*n**rounds))
		}
		fmt.Printf("%-10s sink / direct = %.0f %%, sink / naive = %.1f× (medians)", mode, 100*med[0]/med[1], med[0]/med[2])
		if len(med) > 3 {
			fmt.Printf("; with batch_size %d: %.0f %%, %.1f×", *batch, 100*med[3]/med[1], med[3]/med[2])
		}
		fmt.Printf("\n\n")
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (b *bench) next() int64 { return 8_000_000_000_000_000 + b.run*100_000 + b.seq.Add(1) }

// order is one Shopify order of the bench (Shopify's totals set).
func (b *bench) order(i int) schemas.Order {
	id := b.next()
	total := decimal.RequireFromString(shippingPrice)
	o := schemas.Order{ID: id, Name: fmt.Sprintf("#B%d", id%10_000_000), Email: b.emails[i%len(b.emails)], Currency: "USD", PresentmentCurrency: "USD",
		FinancialStatus: "paid", SourceName: "web", CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	o.Customer = &schemas.Customer{ID: int64(900 + i%len(b.emails)), Email: o.Email, FirstName: "Bench", LastName: fmt.Sprint(i % len(b.emails))}
	for k, l := range lines {
		p := decimal.RequireFromString(l.price)
		o.LineItems = append(o.LineItems, schemas.LineItem{ID: int64(k + 1), SKU: l.sku, Title: l.title, Quantity: l.qty, Price: p, TotalDiscount: decimal.Zero, RequiresShipping: true})
		total = total.Add(p.Mul(decimal.NewFromInt(int64(l.qty))))
	}
	o.ShippingLines = []schemas.ShippingLine{{ID: 1, Title: "Standard", Code: "STD", Price: decimal.RequireFromString(shippingPrice), DiscountedPrice: decimal.RequireFromString(shippingPrice)}}
	o.TotalPrice, o.SubtotalPrice, o.TotalTax = total, total.Sub(decimal.RequireFromString(shippingPrice)), decimal.Zero
	o.TotalPricePresentment, o.SubtotalPricePresentment, o.TotalTaxPresentment = o.TotalPrice, o.SubtotalPrice, o.TotalTax
	return o
}

func states(mode string) (schemas.SaleOrderState, schemas.InvoiceState) {
	switch mode {
	case "draft":
		return schemas.SaleOrderDraft, schemas.InvoiceNone
	case "confirmed":
		return schemas.SaleOrderConfirmed, schemas.InvoiceNone
	case "invoice":
		return schemas.SaleOrderConfirmed, schemas.InvoicePosted
	}
	log.Fatalf("unknown mode %q (draft, confirmed, invoice)", mode)
	return "", ""
}

// viaSink sends k orders through the Sink at once, as the runner's lanes do.
func (b *bench) viaSink(ctx context.Context, s *odoo.Sink, mode string, k int) (int64, error) {
	so, inv := states(mode)
	var wg sync.WaitGroup
	var calls atomic.Int64
	errs := make([]error, k)
	for i := range k {
		o := b.order(i)
		cmd := &schemas.OrderSync{CommandID: fmt.Sprint("bench-", o.ID), Shop: shop, OrderID: o.ID, Version: o.UpdatedAt.UnixMilli(), Seq: 1,
			SaleOrder: so, Invoice: inv, Settings: schemas.DefaultSettings(shop), Order: o}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Apply(ctx, cmd)
			calls.Add(int64(res.Calls))
			if err == nil && len(res.Warnings) > 0 {
				err = fmt.Errorf("warnings: %q", res.Warnings)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return calls.Load(), nil
}

// lookUp finds the buyers and products the warm-up made.
func (b *bench) lookUp(ctx context.Context) {
	for _, e := range b.emails {
		got, err := odoo.SearchRead(ctx, b.c, "res.partner", []any{[]any{"email", "=ilike", e}}, []string{"id"}, map[string]any{"limit": 1, "order": "id"})
		if err != nil || len(got) == 0 {
			log.Fatalf("buyer %s: %v", e, err)
		}
		b.partners = append(b.partners, got[0].ID())
	}
	for _, code := range []string{lines[0].sku, lines[1].sku, odoo.ShippingCode} {
		got, err := odoo.SearchRead(ctx, b.c, "product.product", []any{[]any{"default_code", "=", code}}, []string{"id"}, map[string]any{"limit": 1, "order": "id"})
		if err != nil || len(got) == 0 {
			log.Fatalf("product %s: %v", code, err)
		}
		b.products[code] = got[0].ID()
	}
}

// soVals are a sale order's create values, as a plain sync script writes them.
func (b *bench) soVals(i int, partner int64, products map[string]int64) map[string]any {
	o := b.order(i)
	var ol []any
	for _, l := range lines {
		ol = append(ol, []any{0, 0, map[string]any{"product_id": products[l.sku], "name": l.title, "product_uom_qty": l.qty,
			"price_unit": wire(decimal.RequireFromString(l.price)), saleLineTax: []any{[]any{6, 0, []int64{}}}}})
	}
	ol = append(ol, []any{0, 0, map[string]any{"product_id": products[odoo.ShippingCode], "name": "Shipping: Standard", "product_uom_qty": 1,
		"price_unit": wire(decimal.RequireFromString(shippingPrice)), saleLineTax: []any{[]any{6, 0, []int64{}}}}})
	return map[string]any{"partner_id": partner, "client_order_ref": o.Name, "origin": odoo.StableKey(shop, o.ID), "order_line": ol}
}

// invoiceVals are the invoice of a confirmed order, its lines linked to the order's.
func invoiceVals(so odoo.Record, soLines []odoo.Record) map[string]any {
	var il []any
	for _, l := range soLines {
		il = append(il, []any{0, 0, map[string]any{"product_id": l.M2O("product_id"), "name": l.String("name"), "quantity": l["product_uom_qty"],
			"price_unit": l["price_unit"], "tax_ids": []any{[]any{6, 0, []int64{}}}, "sale_line_ids": []any{[]any{6, 0, []int64{l.ID()}}}}})
	}
	return map[string]any{"move_type": "out_invoice", "partner_id": so.M2O("partner_invoice_id"), "invoice_origin": so.String("name"), "invoice_line_ids": il}
}

var soLineFields = []string{"id", "order_id", "product_id", "name", "product_uom_qty", "price_unit"}

// direct drives Odoo with list calls, batch by batch, concurrency batches at once:
// create the batch's orders in one call, confirm the list, read their lines, create
// their invoices in one call, post the list.
func (b *bench) direct(ctx context.Context, mode string, k int) (int64, error) {
	c := &counting{Client: b.c}
	jobs := make(chan int)
	errs := make(chan error, *concurrency)
	var wg sync.WaitGroup
	for range *concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for size := range jobs {
				if err := b.directBatch(ctx, c, mode, size); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for left := k; left > 0; left -= *batch {
		jobs <- min(left, *batch)
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return c.n.Load(), nil
}

func (b *bench) directBatch(ctx context.Context, c odoo.Client, mode string, size int) error {
	vals := make([]map[string]any, size)
	for i := range vals {
		vals[i] = b.soVals(i, b.partners[i%len(b.partners)], b.products)
	}
	ids, err := odoo.CreateMany(ctx, c, "sale.order", vals, nil)
	if err != nil || mode == "draft" {
		return err
	}
	if _, err := c.Call(ctx, "sale.order", "action_confirm", []any{ids}, nil); err != nil || mode == "confirmed" {
		return err
	}
	sos, err := odoo.Read(ctx, c, "sale.order", ids, []string{"id", "name", "partner_invoice_id"})
	if err != nil {
		return err
	}
	soLines, err := odoo.SearchRead(ctx, c, "sale.order.line", []any{[]any{"order_id", "in", ids}}, soLineFields, map[string]any{"order": "id"})
	if err != nil {
		return err
	}
	byOrder := map[int64][]odoo.Record{}
	for _, l := range soLines {
		byOrder[l.M2O("order_id")] = append(byOrder[l.M2O("order_id")], l)
	}
	inv := make([]map[string]any, len(sos))
	for i, so := range sos {
		inv[i] = invoiceVals(so, byOrder[so.ID()])
	}
	moves, err := odoo.CreateMany(ctx, c, "account.move", inv, nil)
	if err != nil {
		return err
	}
	if _, err := c.Call(ctx, "account.move", "action_post", []any{moves}, nil); err != nil && !odoo.IsNoneFault(err) {
		return err
	}
	return nil
}

// naive syncs one order at a time, finding everything again for each: the buyer by
// email, the products by code, then create, confirm, read its lines, create its
// invoice, post it.
func (b *bench) naive(ctx context.Context, mode string, k int) (int64, error) {
	c := &counting{Client: b.c}
	for i := range k {
		got, err := odoo.SearchRead(ctx, c, "res.partner", []any{[]any{"email", "=ilike", b.emails[i%len(b.emails)]}}, []string{"id"}, map[string]any{"limit": 1, "order": "id"})
		if err != nil || len(got) == 0 {
			return 0, fmt.Errorf("buyer: %v", err)
		}
		partner := got[0].ID()
		prods, err := odoo.SearchRead(ctx, c, "product.product", []any{[]any{"default_code", "in", []any{lines[0].sku, lines[1].sku, odoo.ShippingCode}}},
			[]string{"id", "default_code"}, map[string]any{"order": "id"})
		if err != nil {
			return 0, err
		}
		products := map[string]int64{}
		for _, p := range prods {
			if _, ok := products[p.String("default_code")]; !ok {
				products[p.String("default_code")] = p.ID()
			}
		}
		id, err := odoo.Create(ctx, c, "sale.order", b.soVals(i, partner, products), nil)
		if err != nil {
			return 0, err
		}
		if mode == "draft" {
			continue
		}
		if _, err := c.Call(ctx, "sale.order", "action_confirm", []any{[]int64{id}}, nil); err != nil {
			return 0, err
		}
		if mode == "confirmed" {
			continue
		}
		sos, err := odoo.Read(ctx, c, "sale.order", []int64{id}, []string{"id", "name", "partner_invoice_id", "order_line"})
		if err != nil || len(sos) != 1 {
			return 0, fmt.Errorf("read back: %v", err)
		}
		soLines, err := odoo.Read(ctx, c, "sale.order.line", sos[0].IDs("order_line"), soLineFields)
		if err != nil {
			return 0, err
		}
		move, err := odoo.Create(ctx, c, "account.move", invoiceVals(sos[0], soLines), nil)
		if err != nil {
			return 0, err
		}
		if _, err := c.Call(ctx, "account.move", "action_post", []any{[]int64{move}}, nil); err != nil && !odoo.IsNoneFault(err) {
			return 0, err
		}
	}
	return c.n.Load(), nil
}
