package stream

import (
	"github.com/synco-dev/synco/platform/config"
)

// Config is the `processor:` block of synco.yaml.
type Config struct {
	// StateDir holds the local store (default <data_dir>/processor): kept across
	// restarts, so a restart reads only the changelog's tail.
	StateDir string `yaml:"state_dir"`
	// CacheMB bounds the store's block cache shared by the partitions (default 64);
	// MemTableMB is each partition's write buffer, at most two each (default 2).
	// Memory is bounded by these, not by the number of orders.
	CacheMB    int `yaml:"cache_mb"`
	MemTableMB int `yaml:"memtable_mb"`
	// TransactionEvents bounds the events of one Kafka transaction (default 16384).
	// Larger transactions pay the per-transaction round trips less often and hold
	// more in memory while one is open (their states, until Kafka commits them; on
	// this 2-core machine ~51,000-55,000 events/s and a million orders in state under
	// 240 MiB RSS at 16384, ~50,000 at 4096: bench/RESULTS.md).
	TransactionEvents int `yaml:"transaction_events"`
}

var _ config.Section = (*Config)(nil)

// Defaults fills what the file left empty (StateDir follows data_dir: the wiring's).
func (c *Config) Defaults() {
	if c.CacheMB == 0 {
		c.CacheMB = 64
	}
	if c.MemTableMB == 0 {
		c.MemTableMB = 2
	}
	if c.TransactionEvents == 0 {
		c.TransactionEvents = DefaultTransactionEvents
	}
}

// Validate names every bad field.
func (c *Config) Validate() config.Errors {
	var errs config.Errors
	if c.CacheMB < 1 || c.CacheMB > 64<<10 {
		errs.Bad("cache_mb", "must be between 1 and 65536")
	}
	if c.MemTableMB < 1 || c.MemTableMB > 1024 {
		errs.Bad("memtable_mb", "must be between 1 and 1024")
	}
	if c.TransactionEvents < 1 || c.TransactionEvents > 1<<20 {
		errs.Bad("transaction_events", "must be between 1 and 1048576")
	}
	return errs
}
