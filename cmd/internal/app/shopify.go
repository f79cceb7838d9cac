package app

import (
	"log/slog"
	"strings"
	"sync"

	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/platform/settings"
	"github.com/synco-dev/synco/shopify/admin"
)

// ShopifyClients are the Admin API clients of the configured shops, made once per
// process and token: every caller of a shop (write-back, subscriptions, manual syncs,
// backfill, reconciliation) shares its cost bucket. A shop's token is the one stored
// through the API (sealed in its settings) when there is one, else the config's.
type ShopifyClients struct {
	shops    map[string]config.Shop
	limiters *admin.Limiters
	log      *slog.Logger
	// stored opens a shop's stored secrets (nil until the settings are read).
	stored func(shop string) (settings.ShopSecrets, error)

	mu     sync.Mutex
	byShop map[string]shopClient
	said   map[string]string // shop → the last problem logged
}

type shopClient struct {
	token string
	c     *admin.Client
}

func newShopifyClients(cfg *Config, limiters *admin.Limiters, log *slog.Logger) *ShopifyClients {
	s := &ShopifyClients{shops: map[string]config.Shop{}, limiters: limiters, log: log, byShop: map[string]shopClient{}, said: map[string]string{}}
	for _, sh := range cfg.Shops {
		s.shops[strings.ToLower(sh.Domain)] = sh
	}
	return s
}

// Client is the shop's client; false when the shop has no Admin API token.
func (s *ShopifyClients) Client(shop string) (*admin.Client, bool) {
	shop = strings.ToLower(shop)
	sh, ok := s.shops[shop]
	if !ok {
		return nil, false
	}
	token := sh.AdminAPIToken
	if s.stored != nil {
		sec, err := s.stored(shop)
		switch {
		case err != nil:
			s.sayOnce(shop, "the shop's stored Admin API token cannot be read; using the config's", err)
		case sec.AdminAPIToken != "":
			token = sec.AdminAPIToken
		}
	}
	if token == "" {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.byShop[shop]; ok && c.token == token {
		return c.c, true
	}
	c, err := admin.New(admin.Config{Shop: sh.Domain, Token: token, Endpoint: sh.AdminAPIURL, Limiters: s.limiters})
	if err != nil {
		// The config checked the endpoint: this is not expected.
		s.log.Error("shopify admin client not made", "shop", shop, "err", err)
		return nil, false
	}
	s.byShop[shop] = shopClient{token: token, c: c}
	return c, true
}

func (s *ShopifyClients) sayOnce(shop, msg string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.said[shop] == err.Error() {
		return
	}
	s.said[shop] = err.Error()
	s.log.Error(msg, "shop", shop, "err", err)
}
