// Package config composes Synco's configuration: a YAML file with ${VAR} expansion,
// then environment overrides, then defaults, then validation that names the bad
// field. It owns the platform's own parts (Kafka, ClickHouse, logging, tokens, the
// shops and their settings); every other block of the file is a Section owned by the
// component that reads it (ingest, query, the sinks, each shop's Odoo), which the
// caller lays out with Layout. A section's defaults and field checks live with it;
// this package decodes it in place and prefixes its field paths
// ("shops[2].odoo.url").
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

// Config is the platform's part of one Synco process's configuration.
type Config struct {
	Kafka      Kafka      `yaml:"kafka"`
	ClickHouse ClickHouse `yaml:"clickhouse"`
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
	Settings      *schemas.ShopSettings `yaml:"-"` // initial settings (defaults merged), used while none are stored
	// Sections are the shop's blocks owned by components (Layout.Shop), by key.
	Sections map[string]Section `yaml:"-"`
}

// Section returns the shop's block under key (nil when the layout has none).
func (s *Shop) Section(key string) Section { return s.Sections[key] }

// Section is a block of the file owned by a component: a pointer to its struct,
// decoded in place (yaml tags, unknown keys refused).
type Section interface {
	// Defaults fills what the file left empty.
	Defaults()
	// Validate names every bad field relative to the section ("url").
	Validate() Errors
}

// EnvSection is a Section that environment variables override (after the file,
// before the defaults).
type EnvSection interface {
	Section
	ApplyEnv(env func(string) (string, bool))
}

// Layout names the sections a process reads besides the platform's own.
type Layout struct {
	// Sections are top-level blocks ("ingest", "query", "sink", "odoo"), decoded into
	// the values given.
	Sections map[string]Section
	// Shop makes each shop's block under its key ("odoo"), for shop i; it may start
	// from a top-level section (defaults for every shop).
	Shop map[string]func(i int) Section
}

// Error is a configuration error naming the field.
type Error struct {
	Field  string
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("config: %s: %s", e.Field, e.Reason) }

// Errors collects every bad field.
type Errors []*Error

// Prefix puts a section's path before each field ("url" under "shops[2].odoo").
func (es Errors) Prefix(p string) Errors {
	for _, e := range es {
		e.Field = p + "." + e.Field
	}
	return es
}

// Bad adds a field error.
func (es *Errors) Bad(field, reason string) { *es = append(*es, &Error{Field: field, Reason: reason}) }

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Load reads path (a missing file is an error only if mustExist), expands ${VAR},
// applies the environment, defaults and validation.
func Load(path string, mustExist bool, env func(string) (string, bool), l Layout) (*Config, error) {
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
	return Parse(raw, env, l)
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces ${VAR} with the environment's value, line by line, leaving comments
// alone (a comment may well say "${VAR} is read from the environment"). It works on
// the text, before YAML, so a reference may stand in a flow mapping
// (`{password: ${ODOO_PASSWORD}}`), which YAML could not parse unexpanded.
func expand(raw []byte, env func(string) (string, bool)) ([]byte, []string) {
	var missing []string
	lines := bytes.SplitAfter(raw, []byte("\n"))
	for i, l := range lines {
		code, comment := l[:commentStart(l)], l[commentStart(l):]
		code = varRef.ReplaceAllFunc(code, func(m []byte) []byte {
			name := string(varRef.FindSubmatch(m)[1])
			v, ok := env(name)
			if !ok {
				missing = append(missing, name)
			}
			return []byte(v)
		})
		lines[i] = append(append([]byte{}, code...), comment...)
	}
	return bytes.Join(lines, nil), missing
}

// commentStart is where a YAML comment starts in a line: a # at the start or after
// a space, outside quotes (len(l) when there is none).
func commentStart(l []byte) int {
	var quote byte
	for i, c := range l {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t'):
			return i
		}
	}
	return len(l)
}

// platformKeys are the top-level keys Config itself reads.
var platformKeys = map[string]bool{"kafka": true, "clickhouse": true, "secret_key": true, "log": true, "data_dir": true, "api_tokens": true, "shops": true}

// shopKeys are the keys of a shop Config itself reads.
var shopKeys = map[string]bool{"domain": true, "webhook_secret": true, "admin_api_url": true, "admin_api_token": true, "settings": true}

// Parse is Load on bytes.
func Parse(raw []byte, env func(string) (string, bool), l Layout) (*Config, error) {
	if env == nil {
		env = os.LookupEnv
	}
	expanded, missing := expand(raw, env)
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, &Error{Field: "${" + missing[0] + "}", Reason: "environment variable " + strings.Join(missing, ", ") + " is not set"}
	}
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(expanded, &top); err != nil {
		return nil, &Error{Field: "yaml", Reason: err.Error()}
	}
	var cfg Config
	var errs Errors
	for _, k := range sortedKeys(top) {
		n := top[k]
		switch {
		case k == "shops":
		case platformKeys[k]:
			if err := decodeInto(&n, k, &cfg); err != nil {
				return nil, err
			}
		case l.Sections[k] != nil:
			if err := decodeStrict(&n, l.Sections[k]); err != nil {
				return nil, &Error{Field: k, Reason: err.Error()}
			}
		default:
			return nil, &Error{Field: "yaml", Reason: fmt.Sprintf("unknown key %q at the top level", k)}
		}
	}
	var shops []map[string]yaml.Node
	if n, ok := top["shops"]; ok {
		if err := n.Decode(&shops); err != nil {
			return nil, &Error{Field: "shops", Reason: err.Error()}
		}
	}
	for i, raw := range shops {
		f := fmt.Sprintf("shops[%d]", i)
		shop, err := parseShop(raw, f, i, l)
		if err != nil {
			return nil, err
		}
		cfg.Shops = append(cfg.Shops, shop)
	}
	cfg.applyEnv(env)
	for _, sec := range l.Sections {
		if e, ok := sec.(EnvSection); ok {
			e.ApplyEnv(env)
		}
	}
	cfg.applyDefaults()
	for _, sec := range l.Sections {
		sec.Defaults()
	}
	for _, shop := range cfg.Shops {
		for _, sec := range shop.Sections {
			sec.Defaults()
		}
	}
	errs = append(errs, cfg.validate()...)
	for _, k := range sortedKeys(l.Sections) {
		errs = append(errs, l.Sections[k].Validate().Prefix(k)...)
	}
	for i, shop := range cfg.Shops {
		for _, k := range sortedKeys(shop.Sections) {
			errs = append(errs, shop.Sections[k].Validate().Prefix(fmt.Sprintf("shops[%d].%s", i, k))...)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &cfg, nil
}

func parseShop(raw map[string]yaml.Node, f string, i int, l Layout) (Shop, error) {
	var shop Shop
	shop.Sections = map[string]Section{}
	for _, k := range sortedKeys(l.Shop) {
		shop.Sections[k] = l.Shop[k](i)
	}
	for _, k := range sortedKeys(raw) {
		n := raw[k]
		switch {
		case k == "settings":
		case shopKeys[k]:
			if err := decodeInto(&n, k, &shop); err != nil {
				return shop, &Error{Field: f + "." + k, Reason: err.(*Error).Reason}
			}
		case shop.Sections[k] != nil:
			if err := decodeStrict(&n, shop.Sections[k]); err != nil {
				return shop, &Error{Field: f + "." + k, Reason: err.Error()}
			}
		default:
			return shop, &Error{Field: f, Reason: fmt.Sprintf("unknown key %q", k)}
		}
	}
	st := schemas.DefaultSettings(shop.Domain)
	if n, ok := raw["settings"]; ok && !n.IsZero() {
		// Settings are the same JSON as the API's: go through JSON so names match.
		var m any
		if err := n.Decode(&m); err != nil {
			return shop, &Error{Field: f + ".settings", Reason: err.Error()}
		}
		j, _ := json.Marshal(m)
		jd := json.NewDecoder(bytes.NewReader(j))
		jd.DisallowUnknownFields()
		if err := jd.Decode(&st); err != nil {
			return shop, &Error{Field: f + ".settings", Reason: err.Error()}
		}
	}
	shop.Settings = &st
	return shop, nil
}

// decodeInto decodes one top-level (or shop) key into the field of dst whose yaml
// tag is key, refusing unknown keys below it.
func decodeInto(n *yaml.Node, key string, dst any) error {
	wrapped := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: key}, n}}
	b, err := yaml.Marshal(wrapped)
	if err != nil {
		return &Error{Field: key, Reason: err.Error()}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(dst); err != nil && !errors.Is(err, io.EOF) {
		return &Error{Field: key, Reason: err.Error()}
	}
	return nil
}

// decodeStrict decodes a node into a section, refusing unknown keys.
func decodeStrict(n *yaml.Node, dst any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(dst); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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
	def(&c.Log.Level, "info")
	def(&c.Log.Format, "text")
	def(&c.DataDir, ".data")
}

var dbName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validate names every bad field of the platform's part.
func (c *Config) validate() Errors {
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
	return errs
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

// IsHTTPURL reports whether s is an absolute http(s) URL (sections check theirs).
func IsHTTPURL(s string) bool { return isHTTPURL(s) }

// IsHostPort reports whether s looks like host:port.
func IsHostPort(s string) bool { return strings.Contains(s, ":") }

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
