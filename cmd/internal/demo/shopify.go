package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/synco-dev/synco/cmd/internal/app"
	"github.com/synco-dev/synco/shopifysim"
)

// AdminToken is the Admin API token of the demo shops' simulated Shopify (loopback
// only, in memory).
const AdminToken = "shpat_synco_demo_admin_token"

// Shopify is the demo shops' simulated Shopify: one simulator per shop domain.
type Shopify map[string]*shopifysim.Sim

// StartShopify gives every shop of cfg a simulated Shopify on a loopback port until ctx
// ends, and points the shop's admin_api_url and admin_api_token at it, so the sink
// reads the orders' transactions, writes custom.odoo_id back, and manual syncs and the
// reconciliation read the orders the demo created. ingestURL becomes ingest's public
// URL when none is set (auto sync subscribes the webhooks there). Call it before
// app.Boot, which makes the Admin API clients from the config.
func StartShopify(ctx context.Context, cfg *app.Config, ingestURL string) (Shopify, error) {
	out := Shopify{}
	for i := range cfg.Shops {
		s := &cfg.Shops[i]
		sim, err := shopifysim.New(shopifysim.Options{Shop: s.Domain, Token: AdminToken, Secret: s.WebhookSecret, AllowHTTPWebhooks: true})
		if err != nil {
			return nil, fmt.Errorf("demo shopify %s: %w", s.Domain, err)
		}
		base, err := sim.Start(ctx)
		if err != nil {
			return nil, fmt.Errorf("demo shopify %s: %w", s.Domain, err)
		}
		s.AdminAPIURL, s.AdminAPIToken = shopifysim.Endpoint(base), AdminToken
		out[strings.ToLower(s.Domain)] = sim
	}
	if cfg.Ingest.PublicURL == "" {
		cfg.Ingest.PublicURL = ingestURL
	}
	return out, nil
}

// sim is the shop's simulator; a shop without one (a configured shop under --demo)
// gets a private one that only builds and signs the demo's webhooks: its Admin API is
// the shop's own, which does not know these orders.
func (g *generator) sim(domain, secret string) (*shopifysim.Sim, error) {
	key := strings.ToLower(domain)
	if s, ok := g.o.Shopify[key]; ok {
		return s, nil
	}
	if s, ok := g.private[key]; ok {
		return s, nil
	}
	s, err := shopifysim.New(shopifysim.Options{Shop: domain, Secret: secret, AllowHTTPWebhooks: true})
	if err != nil {
		return nil, fmt.Errorf("demo shopify %s: %w", domain, err)
	}
	if g.private == nil {
		g.private = map[string]*shopifysim.Sim{}
	}
	g.private[key] = s
	return s, nil
}
