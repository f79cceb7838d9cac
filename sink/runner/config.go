package runner

import (
	"fmt"
	"time"

	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/schemas"
)

// Config is the `sink:` block of synco.yaml.
type Config struct {
	// RetryDelays are the waits before each retry topic's attempt, one per topic of
	// schemas.RetryTopics (default 1m, 10m, 1h).
	RetryDelays []time.Duration `yaml:"retry_delays"`
}

// DefaultRetryDelays are the waits of odoo.commands.retry.1m, .10m and .1h.
var DefaultRetryDelays = []time.Duration{time.Minute, 10 * time.Minute, time.Hour}

var _ config.Section = (*Config)(nil)

// Defaults fills what the file left empty.
func (c *Config) Defaults() {
	if len(c.RetryDelays) == 0 {
		c.RetryDelays = append([]time.Duration{}, DefaultRetryDelays...)
	}
}

// Validate names every bad field.
func (c *Config) Validate() config.Errors {
	var errs config.Errors
	if len(c.RetryDelays) != len(schemas.RetryTopics) {
		errs.Bad("retry_delays", fmt.Sprintf("has %d delays; there are %d retry topics (%v)", len(c.RetryDelays), len(schemas.RetryTopics), schemas.RetryTopics))
	}
	for i, d := range c.RetryDelays {
		if d <= 0 {
			errs.Bad(fmt.Sprintf("retry_delays[%d]", i), "must be positive")
		}
	}
	return errs
}
