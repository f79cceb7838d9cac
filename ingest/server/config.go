package server

import (
	"fmt"
	"net/url"
	"time"

	"github.com/synco-dev/synco/platform/config"
)

// Config is the `ingest:` block of synco.yaml.
type Config struct {
	Addr string `yaml:"addr"` // env SYNCO_INGEST_ADDR
	// AckTimeout is how long a webhook waits for Kafka's acknowledgement before it is
	// answered 503 (Shopify waits 5 s, then retries).
	AckTimeout time.Duration `yaml:"ack_timeout"`
	// PprofAddr, when set, serves Go's profiles (/debug/pprof/) on their own listener,
	// never on the webhook address (env SYNCO_INGEST_PPROF_ADDR; for measuring).
	PprofAddr string `yaml:"pprof_addr"`
	// Server is the HTTP server: fasthttp (default: less CPU per webhook) or net/http
	// (the same routes and answers; kept as a fallback).
	Server string `yaml:"server"`
	// PublicURL is where Shopify reaches this ingest (https://synco.example.com):
	// switching a shop's auto_sync on subscribes its order webhooks to
	// PublicURL/webhooks/shopify.
	PublicURL string `yaml:"public_url"` // env SYNCO_PUBLIC_URL
	// BulkThreshold is how many orders a backfill (or a sync of all eligible orders)
	// reads one by one; a range with more is read with a bulk operation.
	BulkThreshold int `yaml:"bulk_threshold"`
}

// HTTP servers ingest can run.
const (
	ServerFastHTTP = "fasthttp"
	ServerNetHTTP  = "net/http"
)

// Defaults of the ingest block.
const (
	DefaultAddr          = "127.0.0.1:8080"
	DefaultAckTimeout    = 4 * time.Second
	DefaultBulkThreshold = 1000
)

var _ config.EnvSection = (*Config)(nil)

// ApplyEnv reads SYNCO_INGEST_ADDR, SYNCO_INGEST_PPROF_ADDR and SYNCO_PUBLIC_URL.
func (c *Config) ApplyEnv(env func(string) (string, bool)) {
	if v, ok := env("SYNCO_INGEST_ADDR"); ok && v != "" {
		c.Addr = v
	}
	if v, ok := env("SYNCO_INGEST_PPROF_ADDR"); ok && v != "" {
		c.PprofAddr = v
	}
	if v, ok := env("SYNCO_PUBLIC_URL"); ok && v != "" {
		c.PublicURL = v
	}
}

// Defaults fills what the file left empty.
func (c *Config) Defaults() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.Server == "" {
		c.Server = ServerFastHTTP
	}
	if c.BulkThreshold == 0 {
		c.BulkThreshold = DefaultBulkThreshold
	}
}

// Validate names every bad field.
func (c *Config) Validate() config.Errors {
	var errs config.Errors
	if !config.IsHostPort(c.Addr) {
		errs.Bad("addr", fmt.Sprintf("%q is not host:port", c.Addr))
	}
	if c.PprofAddr != "" && !config.IsHostPort(c.PprofAddr) {
		errs.Bad("pprof_addr", fmt.Sprintf("%q is not host:port", c.PprofAddr))
	}
	if c.Server != ServerFastHTTP && c.Server != ServerNetHTTP {
		errs.Bad("server", fmt.Sprintf("%q is neither %s nor %s", c.Server, ServerFastHTTP, ServerNetHTTP))
	}
	if c.AckTimeout <= 0 || c.AckTimeout >= 5*time.Second {
		errs.Bad("ack_timeout", "must be above 0 and below 5s (Shopify gives up after 5 s)")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.RawQuery != "" {
			errs.Bad("public_url", fmt.Sprintf("%q is not an http(s) URL (Shopify needs https)", c.PublicURL))
		}
	}
	if c.BulkThreshold < 1 {
		errs.Bad("bulk_threshold", "must be at least 1")
	}
	return errs
}

// CheckShops names what the shops need of this block: a shop with auto_sync on (in
// the config's settings) and an Admin API token has its webhooks subscribed, which
// needs public_url. A shop without an Admin API token (the demo's) needs nothing.
func (c *Config) CheckShops(shops []config.Shop) config.Errors {
	var errs config.Errors
	if c.PublicURL != "" {
		return nil
	}
	for i, s := range shops {
		if s.AdminAPIToken != "" && s.Settings != nil && s.Settings.AutoSync {
			errs.Bad("public_url", fmt.Sprintf("is required: shops[%d] (%s) has auto_sync on and an admin_api_token, so Synco subscribes its webhooks and must tell Shopify where ingest is (set ingest.public_url or SYNCO_PUBLIC_URL, or auto_sync: false)", i, s.Domain))
			break
		}
	}
	return errs
}
