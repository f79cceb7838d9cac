package app

import (
	"fmt"
	"strings"

	"github.com/synco-dev/synco/ingest/server"
	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/platform/settings"
	"github.com/synco-dev/synco/processor/stream"
	"github.com/synco-dev/synco/query/api"
	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/sink/odoo"
	"github.com/synco-dev/synco/sink/runner"
)

// Config is everything one synco process reads: the platform's part (Kafka,
// ClickHouse, logging, tokens, shops and their settings) and each component's own
// block, composed by platform/config.
type Config struct {
	*config.Config
	Ingest server.Config // ingest:
	Query  api.Config    // query:
	Sink   runner.Config // sink:
	// Processor is the processor: block (its local store).
	Processor stream.Config
	Odoo      odoo.Shared // odoo: what every shop's odoo: block starts from
}

// layout lays the components' blocks out for platform/config.
func (c *Config) layout() config.Layout {
	return config.Layout{
		Sections: map[string]config.Section{"ingest": &c.Ingest, "query": &c.Query, "sink": &c.Sink, "odoo": &c.Odoo, "processor": &c.Processor},
		Shop:     map[string]func(int) config.Section{"odoo": c.Odoo.ShopSection},
	}
}

// Load reads a config file (a missing one is an error only if mustExist).
func Load(path string, mustExist bool, env func(string) (string, bool)) (*Config, error) {
	c := &Config{}
	pc, err := config.Load(path, mustExist, env, c.layout())
	if err != nil {
		return nil, err
	}
	c.Config = pc
	if err := c.across(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse is Load on bytes.
func Parse(raw []byte, env func(string) (string, bool)) (*Config, error) {
	c := &Config{}
	pc, err := config.Parse(raw, env, c.layout())
	if err != nil {
		return nil, err
	}
	c.Config = pc
	if err := c.across(); err != nil {
		return nil, err
	}
	return c, nil
}

// across checks what one component's block needs of another's: ingest's public URL
// for the shops whose webhooks Synco subscribes, and each shop's Admin API endpoint.
func (c *Config) across() error {
	errs := c.Ingest.CheckShops(c.Shops).Prefix("ingest")
	if _, err := settings.ParseKeys(c.SecretKey); err != nil {
		errs.Bad("secret_key", err.Error()+" (SYNCO_SECRET_KEY)")
	}
	for i, s := range c.Shops {
		if s.AdminAPIToken == "" {
			continue
		}
		if _, err := admin.New(admin.Config{Shop: s.Domain, Token: s.AdminAPIToken, Endpoint: s.AdminAPIURL}); err != nil {
			errs.Bad(fmt.Sprintf("shops[%d].admin_api_url", i), strings.TrimPrefix(err.Error(), "shopify admin "+s.Domain+": "))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// ShopOdoo is a configured shop's Odoo block.
func (c *Config) ShopOdoo(domain string) *odoo.Config {
	s, ok := c.Shop(domain)
	if !ok {
		return &odoo.Config{}
	}
	return odoo.ShopConfig(s)
}

// SimulatedShops lists the shops whose config asks for the bundled Odoo simulator.
func (c *Config) SimulatedShops() []string {
	var out []string
	for i := range c.Shops {
		if odoo.ShopConfig(&c.Shops[i]).Simulator {
			out = append(out, c.Shops[i].Domain)
		}
	}
	return out
}

// UseSimulator points every shop that asks for the bundled simulator at url.
func (c *Config) UseSimulator(url string) {
	for i := range c.Shops {
		if o := odoo.ShopConfig(&c.Shops[i]); o.Simulator {
			o.URL = url
		}
	}
}
