package server

import (
	"fmt"
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
}

// HTTP servers ingest can run.
const (
	ServerFastHTTP = "fasthttp"
	ServerNetHTTP  = "net/http"
)

// Defaults of the ingest block.
const (
	DefaultAddr       = "127.0.0.1:8080"
	DefaultAckTimeout = 4 * time.Second
)

var _ config.EnvSection = (*Config)(nil)

// ApplyEnv reads SYNCO_INGEST_ADDR.
func (c *Config) ApplyEnv(env func(string) (string, bool)) {
	if v, ok := env("SYNCO_INGEST_ADDR"); ok && v != "" {
		c.Addr = v
	}
	if v, ok := env("SYNCO_INGEST_PPROF_ADDR"); ok && v != "" {
		c.PprofAddr = v
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
	return errs
}
