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

// Shop is the demo store's domain.
const Shop = "demo.myshopify.com"

// DevToken is the demo's API token (loopback only); SYNCO_DEV_TOKEN overrides it.
const DevToken = "synco-dev-token-change-me"

// Config is the configuration `synco all` runs with when there is no config file:
// the demo store, synced into the bundled Odoo simulator.
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
shops:
  - domain: %s
    webhook_secret: %q
    odoo: {simulator: true}
    settings:
      create: draft_sale_order
      order_prefix: "WEB-"
`, token, Shop, secret)
	return app.Parse([]byte(yaml), env)
}

//go:embed order_template.json
var template []byte

// Options of the generator.
type Options struct {
	IngestURL string
	Shop      config.Shop
	Log       *slog.Logger
	// Burst orders are posted at once at start, then one every Every.
	Burst int
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

// Generate posts sample orders until ctx ends.
func Generate(ctx context.Context, o Options) error {
	if o.Burst == 0 {
		o.Burst = 5
	}
	if o.Every == 0 {
		o.Every = 5 * time.Second
	}
	rng := rand.New(rand.NewPCG(o.Seed, uint64(time.Now().UnixNano())))
	base := time.Now().Unix() * 1000
	// Order numbers continue across runs (ClickHouse keeps earlier demo orders).
	first := 1001 + 10*int(time.Now().Unix()%100000)
	// Give ingest a moment to listen when started in the same process.
	if !sleep(ctx, time.Second) {
		return nil
	}
	for n := 0; ; n++ {
		if n >= o.Burst && !sleep(ctx, o.Every) {
			return nil
		}
		id := base + int64(n)
		body, err := Order(id, first+n, rng, time.Now().UTC())
		if err != nil {
			return err
		}
		whID := fmt.Sprintf("demo-%d-create", id)
		if err := post(ctx, o, "orders/create", whID, body); err != nil {
			o.Log.Warn("demo order not delivered", "err", err)
			continue
		}
		// Shopify delivers at least once: now and then, deliver it again.
		if rng.IntN(4) == 0 {
			post(ctx, o, "orders/create", whID, body)
		}
	}
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
			"name": p.title, "quantity": qty, "price": p.price, "total_discount": "0.00", "taxable": true,
			"requires_shipping": true, "tax_lines": []any{}, "discount_allocations": []any{},
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
	m["line_items"] = lines
	m["shipping_lines"] = []any{map[string]any{"id": id, "title": "Standard", "code": "STANDARD", "price": shipping.StringFixed(2),
		"discounted_price": shipping.StringFixed(2), "tax_lines": []any{}}}
	m["total_shipping_price_set"] = map[string]any{"shop_money": map[string]any{"amount": shipping.StringFixed(2), "currency_code": "USD"},
		"presentment_money": map[string]any{"amount": shipping.StringFixed(2), "currency_code": "USD"}}
	m["customer"] = map[string]any{"id": 7000 + rng.IntN(1000), "email": c[2], "first_name": c[0], "last_name": c[1]}
	m["refunds"] = []any{}
	m["fulfillments"] = []any{}
	return json.Marshal(m)
}

func post(ctx context.Context, o Options, topic, webhookID string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.IngestURL+"/webhooks/shopify", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Shop-Domain", o.Shop.Domain)
	req.Header.Set("X-Shopify-Hmac-Sha256", shopify.Sign(o.Shop.WebhookSecret, body))
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
	o.Log.Info("demo order posted", "topic", topic, "webhook_id", webhookID)
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
