// Package demo is the demo store of `make run`: its configuration (used when no
// config file exists), a simulated Shopify per demo shop (shopify.go), and a
// generator that creates sample orders there and delivers them to ingest exactly as
// Shopify would (signed, with Shopify's headers), including redeliveries.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/cmd/internal/app"
	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/shopifysim"
)

// The demo stores: one in USD whose rules leave some orders out, one in EUR that
// books sale orders with posted invoices for paid orders. Both sync into the bundled
// Odoo simulator.
const (
	Shop   = "demo.myshopify.com"
	ShopEU = "demo-eu.myshopify.com"
)

// DevToken is the demo's API token (loopback only); SYNCO_DEV_TOKEN overrides it.
const DevToken = "synco-dev-token-change-me"

// Config is the configuration `synco all` runs with when there is no config file.
func Config(env func(string) (string, bool)) (*app.Config, error) {
	token := DevToken
	if v, ok := env("SYNCO_DEV_TOKEN"); ok && v != "" {
		token = v
	}
	secret := "demo-webhook-secret"
	if v, ok := env("DEMO_WEBHOOK_SECRET"); ok && v != "" {
		secret = v
	}
	yaml := fmt.Sprintf(`api_tokens:
  - token: %q
    shops: ["*"]
sink:
  retry_delays: [20s, 1m, 5m]   # short, so a newcomer sees a retry go through
shops:
  - domain: %s
    webhook_secret: %q
    odoo: {simulator: true}
    settings:
      create: draft_sale_order
      payment_statuses: [paid, authorized, partially_paid, partially_refunded, refunded]
      order_prefix: "WEB-"
      cancel_sale_order: true
      sync_refunds: true
  - domain: %s
    webhook_secret: %q
    odoo: {simulator: true}
    settings:
      create: sale_order_confirmed_invoice
      invoice_for: paid
      order_sources: [web, pos]
      currency: shop
      order_prefix: "EU-"
      cancel_sale_order: true
      sync_refunds: true
`, token, Shop, secret, ShopEU, secret)
	return app.Parse([]byte(yaml), env)
}

// Options of the generator.
type Options struct {
	IngestURL string
	Shops     []config.Shop // the first is the USD store, the second (if any) the EUR one
	// Shopify are the shops' simulated Shopify (StartShopify): the generator creates
	// its orders there and delivers them as Shopify would, so the webhooks, the Admin
	// API's answers and the write-back agree. A shop without one gets a private
	// simulator that only builds and signs the webhooks.
	Shopify Shopify
	// Sim is the bundled Odoo simulator, when it serves the demo: the generator makes
	// it fail one call transiently and refuse another, so the table shows a retry and
	// a failure.
	Sim *Simulator
	Log *slog.Logger
	// Every is the pause between new orders after the opening scenario (default 5 s).
	Every time.Duration
	// Step is the pause between the opening scenario's steps (default 1.5 s): one at
	// a time, so the injected Odoo faults hit the intended order.
	Step time.Duration
	// Start is the wait before the first order, for ingest to listen when started in
	// the same process (default 1 s).
	Start time.Duration
	// Created, when set, hears of every order the generator created, once it is in
	// the shop's simulator and before it is delivered (tests count on it).
	Created func(shop string, o *shopifysim.Order)
	Seed    uint64
}

type product struct {
	sku, title string
	price      string
}

var catalogue = []product{
	{"SYN-TEE-BLK-M", "Synco tee, black, M", "24.00"},
	{"SYN-MUG-01", "Synco mug", "12.50"},
	{"SYN-CAP-NVY", "Synco cap, navy", "19.90"},
	{"SYN-HOOD-GRY-L", "Synco hoodie, grey, L", "54.00"},
	{"SYN-STK-PACK", "Sticker pack", "4.99"},
}

var customers = [][3]string{
	{"Ada", "Lovelace", "ada@example.com"},
	{"Grace", "Hopper", "grace@example.com"},
	{"Alan", "Turing", "Alan.Turing@Example.com"},
	{"Katherine", "Johnson", "katherine@example.com"},
}

// Generate plays the demo: an opening scenario that shows every status the table
// has — synced orders, ineligible ones with their reasons, a transient Odoo failure
// that is retried (Delayed, then Synced), a failure Odoo refuses (Failed, with its
// message), an invoice paid in Odoo, a refund and a cancellation, in two stores and
// currencies — then a new order every few seconds, some delivered twice as Shopify
// does. Every order is created in the shop's simulated Shopify first and delivered
// from there.
func Generate(ctx context.Context, o Options) error {
	if o.Every == 0 {
		o.Every = 5 * time.Second
	}
	if o.Step == 0 {
		o.Step = 1500 * time.Millisecond
	}
	if o.Start == 0 {
		o.Start = time.Second
	}
	if len(o.Shops) == 0 {
		return fmt.Errorf("demo: no shop")
	}
	rng := rand.New(rand.NewPCG(o.Seed, uint64(time.Now().UnixNano())))
	g := &generator{o: o, rng: rng,
		// Order numbers continue across runs (ClickHouse keeps earlier demo orders).
		number: 1001 + 10*int(time.Now().Unix()%100000)}
	if !sleep(ctx, o.Start) {
		return nil
	}
	us, eu := o.Shops[0], o.Shops[0]
	if len(o.Shops) > 1 {
		eu = o.Shops[1]
	}
	steps := []func() error{
		func() error { return g.create(ctx, us, spec{status: paid}) },
		func() error { return g.create(ctx, us, spec{status: paid}) },
		func() error { return g.create(ctx, us, spec{status: pending}) }, // not synced: the rules take paid orders
		func() error { return g.create(ctx, us, spec{status: authorized}) },
		func() error { return g.create(ctx, eu, spec{status: paid, currency: "EUR"}) },                   // sale order + posted invoice, paid in Odoo
		func() error { return g.create(ctx, eu, spec{status: pending, currency: "EUR"}) },                // confirmed, invoiced once paid
		func() error { return g.create(ctx, eu, spec{status: paid, currency: "EUR", source: "iphone"}) }, // outside the sources
		func() error { return g.create(ctx, eu, spec{status: paid, currency: "EUR"}) },                   // refunded below
		func() error {
			// Odoo busy once: Delayed, then Synced when the retry comes due.
			if o.Sim != nil {
				o.Sim.FailNext("sale.order", "create", 1)
			}
			return g.create(ctx, us, spec{status: paid})
		},
		func() error {
			// Odoo refuses: Failed, with Odoo's message in the tooltip.
			if o.Sim != nil {
				o.Sim.RefuseNext("sale.order", "create", 1, "The product 'Synco gift box' is archived: an archived product cannot be sold.")
			}
			return g.create(ctx, us, spec{status: paid})
		},
		func() error { return g.refund(ctx, us, 0) },
		func() error { return g.cancel(ctx, us, 3) }, // the authorized one: voided
		func() error { return g.refund(ctx, eu, 3) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			o.Log.Warn("demo order not delivered", "err", err)
		}
		if !sleep(ctx, o.Step) {
			return nil
		}
	}
	statuses := []string{paid, paid, paid, pending, authorized}
	for n := 0; ; n++ {
		if !sleep(ctx, o.Every) {
			return nil
		}
		shop, cur := us, ""
		if n%3 == 2 {
			shop, cur = eu, "EUR"
		}
		if err := g.create(ctx, shop, spec{status: statuses[rng.IntN(len(statuses))], currency: cur, redeliver: rng.IntN(4) == 0}); err != nil {
			o.Log.Warn("demo order not delivered", "err", err)
		}
	}
}

// Financial statuses, as Shopify's GraphQL names them.
const (
	paid       = "PAID"
	pending    = "PENDING"
	authorized = "AUTHORIZED"
)

// spec says what a demo order is like.
type spec struct {
	status, currency, source string
	redeliver                bool // Shopify delivers at least once: deliver it twice
}

type generator struct {
	o       Options
	rng     *rand.Rand
	number  int
	private map[string]*shopifysim.Sim     // simulators of shops that have none (sim)
	created map[string][]*shopifysim.Order // per shop, the orders created
}

func (g *generator) create(ctx context.Context, shop config.Shop, sp spec) error {
	sim, err := g.sim(shop.Domain, shop.WebhookSecret)
	if err != nil {
		return err
	}
	// Whole seconds: REST times have no fraction, and the reconciliation compares the
	// version a webhook carried with the Admin API's updated_at.
	now := time.Now().UTC().Truncate(time.Second)
	o := newOrder(sim, g.rng, g.number, sp, now)
	g.number++
	// Rendered before the order is shared: nothing else touches it yet.
	body := sim.RESTOrderJSON(o)
	sim.AddOrder(o)
	if g.created == nil {
		g.created = map[string][]*shopifysim.Order{}
	}
	g.created[shop.Domain] = append(g.created[shop.Domain], o)
	if g.o.Created != nil {
		g.o.Created(shop.Domain, o)
	}
	event := fmt.Sprint(sim.NewID())
	if err := g.deliver(ctx, sim, "orders/create", event, body); err != nil {
		return err
	}
	if sp.redeliver {
		return g.deliver(ctx, sim, "orders/create", event, body)
	}
	return nil
}

// newOrder is a demo order numbered number: one to three lines of the catalogue,
// shipping, no tax, and the transactions of its financial status (a sale for a paid
// order, an authorization for an authorized one, none for a pending one).
func newOrder(sim *shopifysim.Sim, rng *rand.Rand, number int, sp spec, at time.Time) *shopifysim.Order {
	o := shopifysim.SampleOrder(rng, sim.NewID, int64(number-1000), at)
	cur := sp.currency
	if cur == "" {
		cur = "USD"
	}
	o.Currency, o.PresentmentCurrency = cur, cur
	c := customers[rng.IntN(len(customers))]
	o.Email = c[2]
	o.Customer = &shopifysim.Customer{ID: sim.NewID(), Email: c[2], FirstName: c[0], LastName: c[1]}
	addr := *o.BillingAddress
	addr.Name, addr.FirstName, addr.LastName = c[0]+" "+c[1], c[0], c[1]
	if cur == "USD" {
		addr.Address1, addr.City, addr.Zip, addr.Province, addr.ProvinceCode, addr.Country, addr.CountryCode =
			"1 Infinite Loop", "Cupertino", "95014", "California", "CA", "United States", "US"
	}
	o.BillingAddress, o.ShippingAddress = &addr, &addr
	if sp.source != "" {
		o.SourceName = sp.source
	}
	o.LineItems = nil
	subtotal := decimal.Zero
	for i, n := 0, 1+rng.IntN(3); i < n; i++ {
		k := rng.IntN(len(catalogue))
		p := catalogue[k]
		qty := 1 + rng.IntN(3)
		price := decimal.RequireFromString(p.price)
		subtotal = subtotal.Add(price.Mul(decimal.NewFromInt(int64(qty))))
		o.LineItems = append(o.LineItems, shopifysim.LineItem{ID: sim.NewID(), ProductID: int64(9000 + k), VariantID: int64(9100 + k),
			SKU: p.sku, Title: p.title, Quantity: qty, CurrentQuantity: qty, Price: money(price), Taxable: true, RequiresShipping: true})
	}
	ship := decimal.RequireFromString("4.90")
	o.ShippingLines[0].Price, o.ShippingLines[0].DiscountedPrice, o.ShippingLines[0].TaxLines = money(ship), money(ship), nil
	o.TaxLines = nil
	total := subtotal.Add(ship)
	o.SubtotalPrice, o.TotalTax, o.TotalDiscounts, o.TotalShipping, o.TotalPrice = money(subtotal), money(decimal.Zero), money(decimal.Zero), money(ship), money(total)
	o.CurrentSubtotalPrice, o.CurrentTotalTax, o.CurrentTotalDiscounts, o.CurrentTotalPrice = o.SubtotalPrice, o.TotalTax, o.TotalDiscounts, o.TotalPrice
	o.FinancialStatus = sp.status
	tx := shopifysim.Transaction{ID: sim.NewID(), Status: "SUCCESS", Gateway: "shopify_payments", Amount: money(total), ProcessedAt: &at}
	switch sp.status {
	case paid:
		tx.Kind = "SALE"
		o.Transactions, o.TotalOutstanding = []shopifysim.Transaction{tx}, money(decimal.Zero)
	case authorized:
		tx.Kind = "AUTHORIZATION"
		o.Transactions, o.TotalOutstanding = []shopifysim.Transaction{tx}, money(total)
	default:
		o.Transactions, o.TotalOutstanding = nil, money(total)
	}
	return o
}

func money(d decimal.Decimal) shopifysim.Money { return shopifysim.Money{Shop: d, Presentment: d} }

// refund refunds one of the first line of the shop's i-th order (restocked, money
// back on the card) as Shopify does — the order is unfulfilled, so the restock is
// CANCEL (RETURN is for fulfilled lines): the refund and its transaction on the order, the
// current quantity and totals down, partially refunded; delivered as refunds/create,
// then orders/updated.
func (g *generator) refund(ctx context.Context, shop config.Shop, i int) error {
	orders := g.created[shop.Domain]
	if i >= len(orders) || len(orders[i].LineItems) == 0 {
		return nil
	}
	sim, err := g.sim(shop.Domain, shop.WebhookSecret)
	if err != nil {
		return err
	}
	// Ids first: the simulator hands them out under the lock EditOrder holds.
	refundID, rliID, txID := sim.NewID(), sim.NewID(), sim.NewID()
	now := time.Now().UTC().Truncate(time.Second)
	o, err := sim.EditOrder(orders[i].ID, func(o *shopifysim.Order) {
		li := &o.LineItems[0]
		price := li.Price
		var parent int64
		for _, t := range o.Transactions {
			if t.Kind == "SALE" || t.Kind == "CAPTURE" {
				parent = t.ID
			}
		}
		tx := shopifysim.Transaction{ID: txID, ParentID: parent, Kind: "REFUND", Status: "SUCCESS", Gateway: "shopify_payments", Amount: price, ProcessedAt: &now}
		o.Refunds = append(o.Refunds, shopifysim.Refund{ID: refundID, CreatedAt: now, Note: "Customer changed their mind",
			RefundLineItems: []shopifysim.RefundLineItem{{ID: rliID, LineItemID: li.ID, Quantity: 1, RestockType: "CANCEL", Subtotal: price, TotalTax: money(decimal.Zero)}},
			Transactions:    []shopifysim.Transaction{tx}})
		o.Transactions = append(o.Transactions, tx)
		li.CurrentQuantity--
		o.CurrentSubtotalPrice = money(o.CurrentSubtotalPrice.Shop.Sub(price.Shop))
		o.CurrentTotalPrice = money(o.CurrentTotalPrice.Shop.Sub(price.Shop))
		o.FinancialStatus = "PARTIALLY_REFUNDED"
	})
	if err != nil {
		return err
	}
	body, err := sim.RefundJSON(o.ID, refundID)
	if err != nil {
		return err
	}
	if err := g.deliver(ctx, sim, "refunds/create", fmt.Sprint(sim.NewID()), body); err != nil {
		return err
	}
	return g.deliver(ctx, sim, "orders/updated", fmt.Sprint(sim.NewID()), sim.RESTOrderJSON(o))
}

// cancel cancels the shop's i-th order as Shopify does for an authorized one: the
// authorization voided, the order cancelled (by the customer) and closed; delivered as
// orders/cancelled.
func (g *generator) cancel(ctx context.Context, shop config.Shop, i int) error {
	orders := g.created[shop.Domain]
	if i >= len(orders) {
		return nil
	}
	sim, err := g.sim(shop.Domain, shop.WebhookSecret)
	if err != nil {
		return err
	}
	voidID := sim.NewID()
	now := time.Now().UTC().Truncate(time.Second)
	o, err := sim.EditOrder(orders[i].ID, func(o *shopifysim.Order) {
		for _, t := range o.Transactions {
			if t.Kind == "AUTHORIZATION" {
				o.Transactions = append(o.Transactions, shopifysim.Transaction{ID: voidID, ParentID: t.ID, Kind: "VOID", Status: "SUCCESS",
					Gateway: t.Gateway, Amount: t.Amount, ProcessedAt: &now})
				o.FinancialStatus = "VOIDED"
				break
			}
		}
		o.CancelledAt, o.ClosedAt, o.CancelReason = &now, &now, "CUSTOMER"
	})
	if err != nil {
		return err
	}
	return g.deliver(ctx, sim, "orders/cancelled", fmt.Sprint(sim.NewID()), sim.RESTOrderJSON(o))
}

// deliver posts one webhook to ingest, signed, with Shopify's headers.
func (g *generator) deliver(ctx context.Context, sim *shopifysim.Sim, topic, event string, body []byte) error {
	d := sim.DeliverTo(ctx, g.o.IngestURL+"/webhooks/shopify", topic, event, body)
	if d.Err != nil {
		return fmt.Errorf("%s %s: %w", sim.Shop(), topic, d.Err)
	}
	if d.Status != http.StatusOK {
		return fmt.Errorf("%s %s: ingest answered %d", sim.Shop(), topic, d.Status)
	}
	g.o.Log.Info("demo webhook delivered", "shop", sim.Shop(), "topic", topic, "webhook_id", d.WebhookID, "event_id", event)
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
