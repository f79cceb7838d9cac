package app

import (
	"strings"

	"github.com/synco-dev/synco/shopify/admin"
)

// ShopifyClients are the Admin API clients of the configured shops that have a
// token, made once per process: every caller of a shop (write-back, subscriptions,
// manual syncs, backfill, reconciliation) shares its cost bucket.
type ShopifyClients struct {
	byShop map[string]*admin.Client
}

// newShopifyClients makes a client per shop with an admin_api_token (the config
// checked that each endpoint is one the client speaks).
func newShopifyClients(cfg *Config, limiters *admin.Limiters) (*ShopifyClients, error) {
	s := &ShopifyClients{byShop: map[string]*admin.Client{}}
	for _, sh := range cfg.Shops {
		if sh.AdminAPIToken == "" {
			continue
		}
		c, err := admin.New(admin.Config{Shop: sh.Domain, Token: sh.AdminAPIToken, Endpoint: sh.AdminAPIURL, Limiters: limiters})
		if err != nil {
			return nil, err
		}
		s.byShop[strings.ToLower(sh.Domain)] = c
	}
	return s, nil
}

// Client is the shop's client; false when the shop has no Admin API token.
func (s *ShopifyClients) Client(shop string) (*admin.Client, bool) {
	c, ok := s.byShop[strings.ToLower(shop)]
	return c, ok
}
