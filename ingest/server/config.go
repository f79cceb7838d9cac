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
}

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
}

// Defaults fills what the file left empty.
func (c *Config) Defaults() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = DefaultAckTimeout
	}
}

// Validate names every bad field.
func (c *Config) Validate() config.Errors {
	var errs config.Errors
	if !config.IsHostPort(c.Addr) {
		errs.Bad("addr", fmt.Sprintf("%q is not host:port", c.Addr))
	}
	if c.AckTimeout <= 0 || c.AckTimeout >= 5*time.Second {
		errs.Bad("ack_timeout", "must be above 0 and below 5s (Shopify gives up after 5 s)")
	}
	return errs
}
