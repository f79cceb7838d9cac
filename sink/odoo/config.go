package odoo

import (
	"fmt"
	"time"

	"github.com/synco-dev/synco/platform/config"
)

// Config is how to reach one shop's Odoo: the shop's `odoo:` block of synco.yaml,
// which starts from the top-level `odoo:` block (defaults for every shop).
type Config struct {
	URL      string `yaml:"url"`
	DB       string `yaml:"db"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	APIKey   string `yaml:"api_key"`  // JSON-2 (Odoo 19+); XML-RPC takes it as the password too
	Protocol string `yaml:"protocol"` // auto, xmlrpc, json2
	// Concurrency bounds the orders (and calls) in flight to this Odoo at once: Odoo
	// gains little from more and collides on shared rows (../shared/odoo, timing).
	Concurrency int `yaml:"concurrency"`
	// Simulator says the bundled Odoo simulator serves this shop (demo, trials); the
	// process's wiring starts it and fills URL. Never implied by a missing URL: in
	// production that would sync a merchant's orders into memory.
	Simulator      bool          `yaml:"simulator"`
	CallTimeout    time.Duration `yaml:"call_timeout"`    // one RPC call (default 2m: create_invoices on a big order is slow)
	ConnectTimeout time.Duration `yaml:"connect_timeout"` // the TCP connect (default 5s)
	// The circuit breaker of this Odoo: it opens after BreakerFailures retriable
	// failures in a row (or one timed-out call) and lets a probe through after
	// BreakerOpen (default 3, 30s).
	BreakerFailures int           `yaml:"breaker_failures"`
	BreakerOpen     time.Duration `yaml:"breaker_open"`
	// Commands of the shop are gathered into batches of at most BatchSize, waiting at
	// most BatchWait after the first (default 50, 50ms): one look-up of what Odoo
	// holds for the whole batch.
	BatchSize int           `yaml:"batch_size"`
	BatchWait time.Duration `yaml:"batch_wait"`
}

// Protocols in Config.Protocol.
const (
	ProtocolAuto   = "auto"
	ProtocolXMLRPC = "xmlrpc"
	ProtocolJSON2  = "json2"
)

// Defaults of a shop's Odoo block.
const (
	DefaultConcurrency    = 2
	DefaultCallTimeout    = 2 * time.Minute
	DefaultConnectTimeout = 5 * time.Second
	DefaultBreakerFailure = 3
	DefaultBreakerOpen    = 30 * time.Second
	DefaultBatchSize      = 50
	DefaultBatchWait      = 50 * time.Millisecond
)

var _ config.Section = (*Config)(nil)

// Defaults fills what the file left empty.
func (c *Config) Defaults() {
	if c.Protocol == "" {
		c.Protocol = ProtocolAuto
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.BreakerFailures == 0 {
		c.BreakerFailures = DefaultBreakerFailure
	}
	if c.BreakerOpen == 0 {
		c.BreakerOpen = DefaultBreakerOpen
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchWait == 0 {
		c.BatchWait = DefaultBatchWait
	}
	if c.Simulator {
		// The bundled simulator's database and login.
		if c.DB == "" {
			c.DB = "synco"
		}
		if c.Username == "" {
			c.Username = "admin"
		}
		if c.Password == "" && c.APIKey == "" {
			c.Password = "admin"
		}
	}
}

// Validate names every bad field (relative: "url").
func (c *Config) Validate() config.Errors {
	errs := c.validateShared()
	switch {
	case c.Simulator && c.URL != "":
		errs.Bad("simulator", "set together with url: name the Odoo to sync into, or the bundled simulator, not both")
	case c.Simulator:
	case c.URL == "":
		errs.Bad("url", "is required: the shop's Odoo (or `simulator: true` for the bundled Odoo simulator, for trials only)")
	case !config.IsHTTPURL(c.URL):
		errs.Bad("url", fmt.Sprintf("%q is not an http(s) URL", c.URL))
	}
	if !c.Simulator {
		if c.DB == "" {
			errs.Bad("db", "is required")
		}
		if c.Username == "" && c.Protocol != ProtocolJSON2 {
			errs.Bad("username", "is required")
		}
		if c.Password == "" && c.APIKey == "" {
			errs.Bad("password", "is required (or api_key)")
		}
	}
	return errs
}

func (c *Config) validateShared() config.Errors {
	var errs config.Errors
	switch c.Protocol {
	case ProtocolAuto, ProtocolXMLRPC, ProtocolJSON2:
	default:
		errs.Bad("protocol", fmt.Sprintf("%q is not auto, xmlrpc or json2", c.Protocol))
	}
	if c.Concurrency < 1 {
		errs.Bad("concurrency", "must be at least 1")
	}
	if c.CallTimeout < 0 {
		errs.Bad("call_timeout", "must be positive")
	}
	if c.ConnectTimeout < 0 {
		errs.Bad("connect_timeout", "must be positive")
	}
	if c.BreakerFailures < 0 {
		errs.Bad("breaker_failures", "must be positive")
	}
	if c.BreakerOpen < 0 {
		errs.Bad("breaker_open", "must be positive")
	}
	if c.BatchSize < 0 || c.BatchSize > 500 {
		errs.Bad("batch_size", "must be between 1 and 500")
	}
	if c.BatchWait < 0 || c.BatchWait > 5*time.Second {
		errs.Bad("batch_wait", "must be between 0 and 5s")
	}
	return errs
}

// Shared is the top-level `odoo:` block: what every shop's block starts from.
type Shared struct {
	Config `yaml:",inline"`
}

// Defaults leaves the shared block as written: each shop's copy gets the defaults.
func (s *Shared) Defaults() {}

// Validate checks what a shared block may hold (no shop-specific connection).
func (s *Shared) Validate() config.Errors {
	c := s.Config
	c.Defaults()
	errs := c.validateShared()
	if s.URL != "" || s.DB != "" || s.Simulator {
		errs.Bad("url", "the top-level odoo block holds defaults for every shop (protocol, concurrency, timeouts); name each shop's Odoo in its own block")
	}
	return errs
}

// ShopSection makes shop i's block, starting from the shared one.
func (s *Shared) ShopSection(int) config.Section {
	c := s.Config
	return &c
}

// ShopConfig is a configured shop's Odoo block.
func ShopConfig(s *config.Shop) *Config {
	c, _ := s.Section("odoo").(*Config)
	if c == nil {
		return &Config{}
	}
	return c
}
