// Package demo is the demo store of `make run`: its configuration (used when no
// config file exists) and a generator that posts signed sample orders to ingest,
// exactly as Shopify would (HMAC, topic and id headers), including redeliveries.
package demo

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/cmd/internal/app"
	"github.com/synco-dev/synco/ingest/shopify"
	"github.com/synco-dev/synco/platform/config"
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

//go:embed order_template.json
var template []byte

// Options of the generator.
type Options struct {
	IngestURL string
	Shops     []config.Shop // the first is the USD store, the second (if any) the EUR one
	// Sim is the bundled Odoo simulator, when it serves the demo: the generator makes
	// it fail one call transiently and refuse another, so the table shows a retry and
	// a failure.
	Sim *Simulator
	Log *slog.Logger
	// Every is the pause between new orders after the opening scenario (default 5 s).
	Every time.Duration
	Seed  uint64
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
// message), an invoice, a refund and a cancellation, in two stores and currencies —
// then a new order every few seconds, some delivered twice as Shopify does.
func Generate(ctx context.Context, o Options) error {
	if o.Every == 0 {
		o.Every = 5 * time.Second
	}
	if len(o.Shops) == 0 {
		return fmt.Errorf("demo: no shop")
	}
	rng := rand.New(rand.NewPCG(o.Seed, uint64(time.Now().UnixNano())))
	g := &generator{o: o, rng: rng, base: time.Now().Unix() * 1000,
		// Order numbers continue across runs (ClickHouse keeps earlier demo orders).
		number: 1001 + 10*int(time.Now().Unix()%100000)}
	// Give ingest a moment to listen when started in the same process.
	if !sleep(ctx, time.Second) {
		return nil
	}
	us, eu := o.Shops[0], o.Shops[0]
	if len(o.Shops) > 1 {
		eu = o.Shops[1]
	}
	steps := []func() error{
		func() error { return g.create(ctx, us, spec{status: "paid"}) },
		func() error { return g.create(ctx, us, spec{status: "paid"}) },
		func() error { return g.create(ctx, us, spec{status: "pending"}) }, // not synced: the rules take paid orders
		func() error { return g.create(ctx, us, spec{status: "authorized"}) },
		func() error { return g.create(ctx, eu, spec{status: "paid", currency: "EUR"}) },                   // sale order + posted invoice
		func() error { return g.create(ctx, eu, spec{status: "pending", currency: "EUR"}) },                // confirmed, invoiced once paid
		func() error { return g.create(ctx, eu, spec{status: "paid", currency: "EUR", source: "iphone"}) }, // outside the sources
		func() error {
			// Odoo busy once: Delayed, then Synced when the retry comes due.
			if o.Sim != nil {
				o.Sim.FailNext("sale.order", "create", 1)
			}
			return g.create(ctx, us, spec{status: "paid"})
		},
		func() error {
			// Odoo refuses: Failed, with Odoo's message in the tooltip.
			if o.Sim != nil {
				o.Sim.RefuseNext("sale.order", "create", 1, "The product 'Synco gift box' is archived: an archived product cannot be sold.")
			}
			return g.create(ctx, us, spec{status: "paid"})
		},
		func() error { return g.refund(ctx, us, 0) },
		func() error { return g.cancel(ctx, us, 1) },
		func() error { return g.refund(ctx, eu, 0) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			o.Log.Warn("demo order not delivered", "err", err)
		}
		// One at a time: the simulator's injected faults hit the intended order.
		if !sleep(ctx, 1500*time.Millisecond) {
			return nil
		}
	}
	statuses := []string{"paid", "paid", "paid", "pending", "authorized"}
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

// spec says what a demo order is like.
type spec struct {
	status, currency, source string
	redeliver                bool // Shopify delivers at least once: deliver it twice
}

type generator struct {
	o      Options
	rng    *rand.Rand
	base   int64
	number int
	n      int64
	sent   map[string][]map[string]any // per shop, the orders created, as sent
}

func (g *generator) create(ctx context.Context, shop config.Shop, sp spec) error {
	id := g.base + g.n
	g.n++
	body, err := Order(id, g.number, g.rng, time.Now().UTC())
	g.number++
	if err != nil {
		return err
	}
	m := decodeMap(body)
	if sp.status != "" {
		m["financial_status"] = sp.status
	}
	if sp.source != "" {
		m["source_name"] = sp.source
	}
	if sp.currency != "" {
		setCurrency(m, sp.currency)
	}
	if g.sent == nil {
		g.sent = map[string][]map[string]any{}
	}
	g.sent[shop.Domain] = append(g.sent[shop.Domain], m)
	whID := fmt.Sprintf("demo-%d-create", id)
	if err := post(ctx, g.o, shop, "orders/create", whID, encode(m)); err != nil {
		return err
	}
	if sp.redeliver {
		return post(ctx, g.o, shop, "orders/create", whID, encode(m))
	}
	return nil
}

// refund refunds the first line of the shop's i-th order (restocked) and says so as
// Shopify does: refunds/create, then orders/updated with the refund in the order.
func (g *generator) refund(ctx context.Context, shop config.Shop, i int) error {
	orders := g.sent[shop.Domain]
	if i >= len(orders) {
		return nil
	}
	m := orders[i]
	lines, _ := m["line_items"].([]any)
	if len(lines) == 0 {
		return nil
	}
	li := lines[0].(map[string]any)
	cur, _ := m["currency"].(string)
	price := decimal.RequireFromString(fmt.Sprint(li["price"]))
	id := g.base + 900000 + g.n
	g.n++
	now := time.Now().UTC().Format(time.RFC3339)
	refund := map[string]any{
		"id": id, "order_id": m["id"], "created_at": now, "processed_at": now, "note": "Damaged in transit", "restock": true,
		"refund_line_items": []any{map[string]any{"id": id + 1, "line_item_id": li["id"], "quantity": 1, "restock_type": "return",
			"subtotal": price.StringFixed(2), "total_tax": "0.00",
			"subtotal_set": set(price, cur), "total_tax_set": set(decimal.Zero, cur)}},
		"refund_shipping_lines": []any{}, "order_adjustments": []any{},
		"transactions": []any{map[string]any{"id": id + 2, "order_id": m["id"], "kind": "refund", "status": "success",
			"gateway": "shopify_payments", "amount": price.StringFixed(2), "currency": cur, "processed_at": now}},
	}
	if err := post(ctx, g.o, shop, "refunds/create", fmt.Sprintf("demo-%d-refund", id), encode(refund)); err != nil {
		return err
	}
	m["refunds"] = []any{refund}
	m["financial_status"] = "partially_refunded"
	m["updated_at"] = now
	return post(ctx, g.o, shop, "orders/updated", fmt.Sprintf("demo-%d-updated", id), encode(m))
}

// cancel cancels the shop's i-th order.
func (g *generator) cancel(ctx context.Context, shop config.Shop, i int) error {
	orders := g.sent[shop.Domain]
	if i >= len(orders) {
		return nil
	}
	m := orders[i]
	now := time.Now().UTC().Format(time.RFC3339)
	m["cancelled_at"], m["cancel_reason"], m["updated_at"] = now, "customer", now
	m["financial_status"] = "voided"
	return post(ctx, g.o, shop, "orders/cancelled", fmt.Sprintf("demo-%v-cancelled", m["id"]), encode(m))
}

func decodeMap(b []byte) map[string]any {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	d.Decode(&m)
	return m
}

func encode(m map[string]any) []byte {
	b, _ := json.Marshal(m)
	return b
}

// set is a Shopify money set in one currency.
func set(d decimal.Decimal, cur string) map[string]any {
	mo := map[string]any{"amount": d.StringFixed(2), "currency_code": cur}
	return map[string]any{"shop_money": mo, "presentment_money": mo}
}

// setCurrency makes the order a shop in another currency (shop and presentment alike).
func setCurrency(m map[string]any, cur string) {
	m["currency"], m["presentment_currency"] = cur, cur
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if _, ok := t["currency_code"]; ok {
				t["currency_code"] = cur
			}
			for _, e := range t {
				walk(e)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(m)
}

// Order builds a Shopify orders/create body from the documented sample.
func Order(id int64, number int, rng *rand.Rand, at time.Time) ([]byte, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(template))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("demo template: %w", err)
	}
	c := customers[rng.IntN(len(customers))]
	nLines := 1 + rng.IntN(3)
	var lines []any
	total := decimal.Zero
	for i := 0; i < nLines; i++ {
		p := catalogue[rng.IntN(len(catalogue))]
		qty := 1 + rng.IntN(3)
		price := decimal.RequireFromString(p.price)
		total = total.Add(price.Mul(decimal.NewFromInt(int64(qty))))
		lines = append(lines, map[string]any{
			"id": id*10 + int64(i), "product_id": 9000 + i, "variant_id": 9100 + i, "sku": p.sku, "title": p.title,
			"name": p.title, "quantity": qty, "current_quantity": qty, "price": p.price, "total_discount": "0.00", "taxable": true,
			"requires_shipping": true, "tax_lines": []any{}, "discount_allocations": []any{},
			"price_set": set(price, "USD"), "total_discount_set": set(decimal.Zero, "USD"),
		})
	}
	shipping := decimal.RequireFromString("4.90")
	total = total.Add(shipping)
	stamp := at.Format(time.RFC3339)
	status := []string{"paid", "paid", "pending", "authorized"}[rng.IntN(4)]
	m["id"] = id
	m["admin_graphql_api_id"] = fmt.Sprintf("gid://shopify/Order/%d", id)
	m["name"] = fmt.Sprintf("#%d", number)
	m["order_number"] = number
	m["number"] = number - 1000
	m["email"] = c[2]
	m["contact_email"] = c[2]
	m["created_at"], m["updated_at"], m["processed_at"] = stamp, stamp, stamp
	m["cancelled_at"], m["cancel_reason"], m["closed_at"] = nil, nil, nil
	m["financial_status"] = status
	m["fulfillment_status"] = nil
	m["source_name"] = "web"
	m["currency"], m["presentment_currency"] = "USD", "USD"
	m["total_price"] = total.StringFixed(2)
	m["subtotal_price"] = total.Sub(shipping).StringFixed(2)
	m["total_tax"], m["total_discounts"] = "0.00", "0.00"
	m["current_total_price"], m["current_subtotal_price"] = m["total_price"], m["subtotal_price"]
	m["current_total_tax"], m["current_total_discounts"] = "0.00", "0.00"
	m["total_price_set"], m["subtotal_price_set"] = set(total, "USD"), set(total.Sub(shipping), "USD")
	m["current_total_price_set"], m["current_subtotal_price_set"] = set(total, "USD"), set(total.Sub(shipping), "USD")
	m["total_tax_set"], m["total_discounts_set"] = set(decimal.Zero, "USD"), set(decimal.Zero, "USD")
	m["current_total_tax_set"], m["current_total_discounts_set"] = set(decimal.Zero, "USD"), set(decimal.Zero, "USD")
	m["tax_lines"] = []any{}
	m["line_items"] = lines
	m["shipping_lines"] = []any{map[string]any{"id": id, "title": "Standard", "code": "STANDARD", "price": shipping.StringFixed(2),
		"discounted_price": shipping.StringFixed(2), "tax_lines": []any{}, "price_set": set(shipping, "USD"),
		"discounted_price_set": set(shipping, "USD"), "is_removed": false}}
	m["total_shipping_price_set"] = map[string]any{"shop_money": map[string]any{"amount": shipping.StringFixed(2), "currency_code": "USD"},
		"presentment_money": map[string]any{"amount": shipping.StringFixed(2), "currency_code": "USD"}}
	m["customer"] = map[string]any{"id": 7000 + rng.IntN(1000), "email": c[2], "first_name": c[0], "last_name": c[1]}
	m["refunds"] = []any{}
	m["fulfillments"] = []any{}
	return json.Marshal(m)
}

func post(ctx context.Context, o Options, shop config.Shop, topic, webhookID string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.IngestURL+"/webhooks/shopify", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Shop-Domain", shop.Domain)
	req.Header.Set("X-Shopify-Hmac-Sha256", shopify.Sign(shop.WebhookSecret, body))
	req.Header.Set("X-Shopify-Webhook-Id", webhookID)
	req.Header.Set("X-Shopify-Triggered-At", time.Now().UTC().Format(time.RFC3339Nano))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ingest answered %s", resp.Status)
	}
	o.Log.Info("demo webhook posted", "shop", shop.Domain, "topic", topic, "webhook_id", webhookID)
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
