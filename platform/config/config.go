// Package config loads Synco's configuration: a YAML file with ${VAR} expansion,
// then environment overrides, then defaults, then Validate, which names the bad field.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/synco-dev/synco/rules"
	"github.com/synco-dev/synco/schemas"
)

// Config is the whole configuration of one Synco process.
type Config struct {
	Kafka      Kafka      `yaml:"kafka"`
	ClickHouse ClickHouse `yaml:"clickhouse"`
	Ingest     Server     `yaml:"ingest"`
	Query      Server     `yaml:"query"`
	SecretKey  string     `yaml:"secret_key"`
	Log        Log        `yaml:"log"`
	DataDir    string     `yaml:"data_dir"` // embedded Kafka and local ClickHouse keep their data here
	APITokens  []APIToken `yaml:"api_tokens"`
	Shops      []Shop     `yaml:"-"` // read through Parse, which also reads each shop's settings
}

type Kafka struct {
	Brokers           []string `yaml:"brokers"`             // empty: embedded (kfake) on EmbeddedAddr
	SchemaRegistryURL string   `yaml:"schema_registry_url"` // empty: embedded (srfake)
	EmbeddedAddr      string   `yaml:"embedded_addr"`
	Partitions        int32    `yaml:"partitions"`
	ReplicationFactor int16    `yaml:"replication_factor"` // -1: the broker's default
}

// Embedded reports whether Synco runs its own in-process Kafka.
func (k Kafka) Embedded() bool { return len(k.Brokers) == 0 }

type ClickHouse struct {
	Addr     string `yaml:"addr"` // native protocol host:port
	Database string `yaml:"database"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

type Server struct {
	Addr string `yaml:"addr"`
}

type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text, json
}

type APIToken struct {
	Token string   `yaml:"token"`
	Shops []string `yaml:"shops"` // shop domains, or "*"
}

// Allows reports whether the token may see shop.
func (t APIToken) Allows(shop string) bool {
	for _, s := range t.Shops {
		if s == "*" || strings.EqualFold(s, shop) {
			return true
		}
	}
	return false
}

type Shop struct {
	Domain        string                `yaml:"domain"`
	WebhookSecret string                `yaml:"webhook_secret"`
	AdminAPIURL   string                `yaml:"admin_api_url"`
	AdminAPIToken string                `yaml:"admin_api_token"`
	Odoo          Odoo                  `yaml:"odoo"`
	Settings      *schemas.ShopSettings `yaml:"-"` // initial settings (defaults merged), used while none are stored
}

// Odoo says how to reach a shop's Odoo. An empty URL means the bundled simulator.
type Odoo struct {
	URL         string `yaml:"url"`
	DB          string `yaml:"db"`
	Username    string `yaml:"username"`
	Password    string `yaml:"password"`
	APIKey      string `yaml:"api_key"`     // JSON-2 (Odoo 19+); falls back to Password
	Protocol    string `yaml:"protocol"`    // auto, xmlrpc, json2
	Concurrency int    `yaml:"concurrency"` // calls in flight to this Odoo at once
}

// Simulated reports whether this shop uses the bundled Odoo simulator.
func (o Odoo) Simulated() bool { return o.URL == "" }

// Error is a configuration error naming the field.
type Error struct {
	Field  string
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("config: %s: %s", e.Field, e.Reason) }

// Errors collects every bad field.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Load reads path (a missing file is an error only if mustExist), expands ${VAR},
// applies the environment, defaults and Validate.
func Load(path string, mustExist bool, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = os.LookupEnv
	}
	var raw []byte
	if path != "" {
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			raw = b
		case errors.Is(err, os.ErrNotExist) && !mustExist:
		default:
			return nil, &Error{Field: "--config", Reason: err.Error()}
		}
	}
	return Parse(raw, env)
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Parse is Load on bytes.
func Parse(raw []byte, env func(string) (string, bool)) (*Config, error) {
	var missing []string
	expanded := varRef.ReplaceAllFunc(raw, func(m []byte) []byte {
		name := string(varRef.FindSubmatch(m)[1])
		v, ok := env(name)
		if !ok {
			missing = append(missing, name)
		}
		return []byte(v)
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, &Error{Field: "${" + missing[0] + "}", Reason: "environment variable " + strings.Join(missing, ", ") + " is not set"}
	}
	var file struct {
		Config `yaml:",inline"`
		Shops  []struct {
			Shop     `yaml:",inline"`
			Settings yaml.Node `yaml:"settings"`
		} `yaml:"shops"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{Field: "yaml", Reason: err.Error()}
	}
	cfg := file.Config
	cfg.Shops = nil
	for i, s := range file.Shops {
		shop := s.Shop
		st := schemas.DefaultSettings(shop.Domain)
		if !s.Settings.IsZero() {
			// Settings are the same JSON as the API's: go through JSON so names match.
			var m any
			if err := s.Settings.Decode(&m); err != nil {
				return nil, &Error{Field: fmt.Sprintf("shops[%d].settings", i), Reason: err.Error()}
			}
			j, _ := json.Marshal(m)
			jd := json.NewDecoder(bytes.NewReader(j))
			jd.DisallowUnknownFields()
			if err := jd.Decode(&st); err != nil {
				return nil, &Error{Field: fmt.Sprintf("shops[%d].settings", i), Reason: err.Error()}
			}
		}
		shop.Settings = &st
		cfg.Shops = append(cfg.Shops, shop)
	}
	cfg.applyEnv(env)
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func (c *Config) applyEnv(env func(string) (string, bool)) {
	set := func(name string, dst *string) {
		if v, ok := env(name); ok && v != "" {
			*dst = v
		}
	}
	if v, ok := env("KAFKA_BROKERS"); ok && v != "" {
		c.Kafka.Brokers = strings.Split(v, ",")
	}
	set("SCHEMA_REGISTRY_URL", &c.Kafka.SchemaRegistryURL)
	set("CLICKHOUSE_ADDR", &c.ClickHouse.Addr)
	set("CLICKHOUSE_DB", &c.ClickHouse.Database)
	set("SYNCO_INGEST_ADDR", &c.Ingest.Addr)
	set("SYNCO_QUERY_ADDR", &c.Query.Addr)
	set("SYNCO_SECRET_KEY", &c.SecretKey)
	set("SYNCO_LOG_LEVEL", &c.Log.Level)
	set("SYNCO_LOG_FORMAT", &c.Log.Format)
	set("SYNCO_DATA_DIR", &c.DataDir)
}

func (c *Config) applyDefaults() {
	def := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	def(&c.Kafka.EmbeddedAddr, "127.0.0.1:19092")
	if c.Kafka.Partitions == 0 {
		c.Kafka.Partitions = 12
	}
	if c.Kafka.ReplicationFactor == 0 {
		c.Kafka.ReplicationFactor = -1
	}
	def(&c.ClickHouse.Addr, "127.0.0.1:19000")
	def(&c.ClickHouse.Database, "synco")
	def(&c.ClickHouse.Username, "default")
	def(&c.Ingest.Addr, "127.0.0.1:8080")
	def(&c.Query.Addr, "127.0.0.1:8090")
	def(&c.Log.Level, "info")
	def(&c.Log.Format, "text")
	def(&c.DataDir, ".data")
	for i := range c.Shops {
		o := &c.Shops[i].Odoo
		def(&o.Protocol, "auto")
		if o.Simulated() {
			def(&o.DB, "synco")
			def(&o.Username, "admin")
			def(&o.Password, "admin")
		}
		if o.Concurrency == 0 {
			o.Concurrency = 2
		}
	}
}

var dbName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate names every bad field.
func (c *Config) Validate() error {
	var errs Errors
	bad := func(field, reason string) { errs = append(errs, &Error{Field: field, Reason: reason}) }
	if c.Kafka.Partitions < 1 {
		bad("kafka.partitions", "must be at least 1")
	}
	for i, b := range c.Kafka.Brokers {
		if !strings.Contains(b, ":") {
			bad(fmt.Sprintf("kafka.brokers[%d]", i), fmt.Sprintf("%q is not host:port", b))
		}
	}
	if u := c.Kafka.SchemaRegistryURL; u != "" && !isHTTPURL(u) {
		bad("kafka.schema_registry_url", fmt.Sprintf("%q is not an http(s) URL", u))
	}
	if !strings.Contains(c.ClickHouse.Addr, ":") {
		bad("clickhouse.addr", fmt.Sprintf("%q is not host:port", c.ClickHouse.Addr))
	}
	if !dbName.MatchString(c.ClickHouse.Database) {
		bad("clickhouse.database", fmt.Sprintf("%q is not a plain database name", c.ClickHouse.Database))
	}
	for _, s := range []struct{ field, addr string }{{"ingest.addr", c.Ingest.Addr}, {"query.addr", c.Query.Addr}} {
		if !strings.Contains(s.addr, ":") {
			bad(s.field, fmt.Sprintf("%q is not host:port", s.addr))
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", fmt.Sprintf("%q is not debug, info, warn or error", c.Log.Level))
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", fmt.Sprintf("%q is not text or json", c.Log.Format))
	}
	for i, t := range c.APITokens {
		f := fmt.Sprintf("api_tokens[%d]", i)
		if len(t.Token) < 16 {
			bad(f+".token", "must be at least 16 characters")
		}
		if len(t.Shops) == 0 {
			bad(f+".shops", `must list shop domains or "*"`)
		}
	}
	seen := map[string]bool{}
	for i, s := range c.Shops {
		f := fmt.Sprintf("shops[%d]", i)
		switch {
		case s.Domain == "":
			bad(f+".domain", "is required")
		case !strings.HasSuffix(s.Domain, ".myshopify.com") || strings.ContainsAny(s.Domain, "/: "):
			bad(f+".domain", fmt.Sprintf("%q is not a <name>.myshopify.com domain", s.Domain))
		case seen[s.Domain]:
			bad(f+".domain", fmt.Sprintf("%q is configured twice", s.Domain))
		}
		seen[s.Domain] = true
		if s.WebhookSecret == "" {
			bad(f+".webhook_secret", "is required (the HMAC key of the Shopify app)")
		}
		if s.AdminAPIURL != "" && !isHTTPURL(s.AdminAPIURL) {
			bad(f+".admin_api_url", fmt.Sprintf("%q is not an http(s) URL", s.AdminAPIURL))
		}
		o := s.Odoo
		if !o.Simulated() {
			if !isHTTPURL(o.URL) {
				bad(f+".odoo.url", fmt.Sprintf("%q is not an http(s) URL", o.URL))
			}
			if o.DB == "" {
				bad(f+".odoo.db", "is required")
			}
			if o.Username == "" && o.Protocol != "json2" {
				bad(f+".odoo.username", "is required")
			}
			if o.Password == "" && o.APIKey == "" {
				bad(f+".odoo.password", "is required (or api_key)")
			}
		}
		switch o.Protocol {
		case "auto", "xmlrpc", "json2":
		default:
			bad(f+".odoo.protocol", fmt.Sprintf("%q is not auto, xmlrpc or json2", o.Protocol))
		}
		if o.Concurrency < 1 {
			bad(f+".odoo.concurrency", "must be at least 1")
		}
		if s.Settings != nil {
			fields := rules.Validate(s.Settings)
			keys := make([]string, 0, len(fields))
			for k := range fields {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				bad(f+".settings."+k, fields[k])
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Shop returns the configured shop with that domain.
func (c *Config) Shop(domain string) (*Shop, bool) {
	for i := range c.Shops {
		if strings.EqualFold(c.Shops[i].Domain, domain) {
			return &c.Shops[i], true
		}
	}
	return nil, false
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
