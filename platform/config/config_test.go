package config

import (
	"errors"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// odooSection stands for a component's per-shop block (sink/odoo owns the real one).
type odooSection struct {
	URL         string `yaml:"url"`
	DB          string `yaml:"db"`
	Username    string `yaml:"username"`
	Password    string `yaml:"password"`
	Protocol    string `yaml:"protocol"`
	Concurrency int    `yaml:"concurrency"`
}

func (o *odooSection) Defaults() {
	if o.Concurrency == 0 {
		o.Concurrency = 2
	}
}

func (o *odooSection) Validate() Errors {
	var errs Errors
	if o.Protocol != "" && o.Protocol != "auto" {
		errs.Bad("protocol", "not auto")
	}
	if o.URL != "" && o.DB == "" {
		errs.Bad("db", "is required")
	}
	return errs
}

// serverSection stands for a top-level block with an environment override.
type serverSection struct {
	Addr string `yaml:"addr"`
}

func (s *serverSection) Defaults() {
	if s.Addr == "" {
		s.Addr = "127.0.0.1:8080"
	}
}

func (s *serverSection) Validate() Errors {
	var errs Errors
	if !IsHostPort(s.Addr) {
		errs.Bad("addr", "not host:port")
	}
	return errs
}

func (s *serverSection) ApplyEnv(env func(string) (string, bool)) {
	if v, ok := env("SYNCO_INGEST_ADDR"); ok {
		s.Addr = v
	}
}

func layout() (Layout, *serverSection) {
	ingest := &serverSection{}
	return Layout{
		Sections: map[string]Section{"ingest": ingest},
		Shop:     map[string]func(int) Section{"odoo": func(int) Section { return &odooSection{} }},
	}, ingest
}

func parse(raw string, e map[string]string) (*Config, error) {
	l, _ := layout()
	return Parse([]byte(raw), env(e), l)
}

const good = `
api_tokens:
  - token: ${ADMIN_TOKEN}
    shops: ["*"]
shops:
  - domain: demo.myshopify.com
    webhook_secret: ${SECRET}
    odoo: {url: http://127.0.0.1:8069, db: synco, username: admin, password: ${ODOO_PASSWORD}, protocol: auto}
    settings:
      payment_statuses: [paid]
      create: sale_order_confirmed_invoice
      customer: {mode: single, partner_id: 7}
`

func TestParseGood(t *testing.T) {
	l, ingest := layout()
	cfg, err := Parse([]byte(good), env(map[string]string{"ADMIN_TOKEN": "0123456789abcdef0123", "SECRET": "s", "ODOO_PASSWORD": "pw", "KAFKA_BROKERS": "k1:9092,k2:9092", "CLICKHOUSE_DB": "analytics", "SYNCO_INGEST_ADDR": "0.0.0.0:80"}), l)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := cfg.Shop("Demo.myshopify.com")
	if !ok || s.WebhookSecret != "s" {
		t.Fatalf("shop %+v", s)
	}
	if o := s.Section("odoo").(*odooSection); o.Password != "pw" || o.Concurrency != 2 || o.URL != "http://127.0.0.1:8069" {
		t.Fatalf("shop's odoo section: %+v", o)
	}
	if ingest.Addr != "0.0.0.0:80" {
		t.Errorf("section env override: %q", ingest.Addr)
	}
	if st := s.Settings; st.Create != "sale_order_confirmed_invoice" || st.PaymentStatuses[0] != "paid" || st.Customer.PartnerID != 7 || st.OrderSources[0] != "all" {
		t.Errorf("settings not merged over defaults: %+v", st)
	}
	if len(cfg.Kafka.Brokers) != 2 || cfg.ClickHouse.Database != "analytics" || cfg.ClickHouse.Addr != "127.0.0.1:19000" {
		t.Errorf("env/defaults: %+v", cfg)
	}
	if !cfg.APITokens[0].Allows("any.myshopify.com") {
		t.Error("wildcard token")
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	base := map[string]string{"ADMIN_TOKEN": "0123456789abcdef0123", "SECRET": "s", "ODOO_PASSWORD": "pw"}
	for name, c := range map[string]struct {
		yaml  string
		env   map[string]string
		field string
	}{
		"missing env var":    {good, map[string]string{"SECRET": "s"}, "${ADMIN_TOKEN}"},
		"unknown key":        {"shopz: []", base, "yaml"},
		"bad yaml":           {"shops: [", base, "yaml"},
		"bad domain":         {"shops: [{domain: example.com, webhook_secret: x}]", base, "shops[0].domain"},
		"no secret":          {"shops: [{domain: a.myshopify.com}]", base, "shops[0].webhook_secret"},
		"bad protocol":       {"shops: [{domain: a.myshopify.com, webhook_secret: x, odoo: {protocol: soap}}]", base, "shops[0].odoo.protocol"},
		"odoo without db":    {"shops: [{domain: a.myshopify.com, webhook_secret: x, odoo: {url: 'http://o', username: a, password: b}}]", base, "shops[0].odoo.db"},
		"bad setting":        {"shops: [{domain: a.myshopify.com, webhook_secret: x, settings: {create: everything}}]", base, "shops[0].settings.create"},
		"unknown setting":    {"shops: [{domain: a.myshopify.com, webhook_secret: x, settings: {colour: red}}]", base, "shops[0].settings"},
		"short token":        {"api_tokens: [{token: abc, shops: ['*']}]", base, "api_tokens[0].token"},
		"bad log level":      {"log: {level: loud}", base, "log.level"},
		"duplicate shop":     {"shops: [{domain: a.myshopify.com, webhook_secret: x}, {domain: a.myshopify.com, webhook_secret: x}]", base, "shops[1].domain"},
		"bad clickhouse":     {"clickhouse: {addr: nohostport}", base, "clickhouse.addr"},
		"bad broker (env)":   {"", map[string]string{"KAFKA_BROKERS": "nohost"}, "kafka.brokers[0]"},
		"unknown shop key":   {"shops: [{domain: a.myshopify.com, webhook_secret: x, odo: {}}]", base, "shops[0]"},
		"unknown top key":    {"ingset: {addr: x}", base, "ingset"},
		"unknown in section": {"ingest: {adr: x}", base, "ingest"},
		"bad section field":  {"ingest: {addr: nohostport}", base, "ingest.addr"},
		"section env":        {"", map[string]string{"SYNCO_INGEST_ADDR": "nohostport"}, "ingest.addr"},
	} {
		_, err := parse(c.yaml, c.env)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		var one *Error
		var many Errors
		switch {
		case errors.As(err, &one):
		case errors.As(err, &many):
		default:
			t.Errorf("%s: error of type %T: %v", name, err, err)
		}
		if !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: error %q does not name %s", name, err, c.field)
		}
	}
}

// A comment may mention ${VAR} without the variable being set.
func TestVariablesInCommentsAreLeftAlone(t *testing.T) {
	raw := "# ${VAR} is read from the environment\napi_tokens:  # tokens ${NOPE}\n  - {token: \"${TOKEN}\", shops: ['*']}\n"
	cfg, err := parse(raw, map[string]string{"TOKEN": "0123456789abcdef#x"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APITokens[0].Token != "0123456789abcdef#x" {
		t.Errorf("token %q", cfg.APITokens[0].Token)
	}
	if _, err := parse("api_tokens: [{token: ${UNSET_TOKEN}, shops: ['*']}]", nil); err == nil || !strings.Contains(err.Error(), "UNSET_TOKEN") {
		t.Errorf("a missing variable outside comments: %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	l, _ := layout()
	if _, err := Load("/nonexistent/synco.yaml", true, env(nil), l); err == nil {
		t.Fatal("missing config file accepted")
	}
	if _, err := Load("/nonexistent/synco.yaml", false, env(nil), l); err != nil {
		t.Fatalf("optional missing file: %v", err)
	}
}
