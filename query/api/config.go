package api

import (
	"fmt"

	"github.com/synco-dev/synco/platform/config"
)

// Config is the `query:` block of synco.yaml.
type Config struct {
	Addr string `yaml:"addr"` // env SYNCO_QUERY_ADDR
}

// DefaultAddr is where the API and the dashboard listen.
const DefaultAddr = "127.0.0.1:8090"

var _ config.EnvSection = (*Config)(nil)

// ApplyEnv reads SYNCO_QUERY_ADDR.
func (c *Config) ApplyEnv(env func(string) (string, bool)) {
	if v, ok := env("SYNCO_QUERY_ADDR"); ok && v != "" {
		c.Addr = v
	}
}

// Defaults fills what the file left empty.
func (c *Config) Defaults() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
}

// Validate names every bad field.
func (c *Config) Validate() config.Errors {
	var errs config.Errors
	if !config.IsHostPort(c.Addr) {
		errs.Bad("addr", fmt.Sprintf("%q is not host:port", c.Addr))
	}
	return errs
}
