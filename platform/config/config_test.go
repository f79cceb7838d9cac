package config

import (
	"errors"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
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
	cfg, err := Parse([]byte(good), env(map[string]string{"ADMIN_TOKEN": "0123456789abcdef0123", "SECRET": "s", "ODOO_PASSWORD": "pw", "KAFKA_BROKERS": "k1:9092,k2:9092", "CLICKHOUSE_DB": "analytics"}))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := cfg.Shop("Demo.myshopify.com")
	if !ok || s.WebhookSecret != "s" || s.Odoo.Password != "pw" || s.Odoo.Concurrency != 2 {
		t.Fatalf("shop %+v", s)
	}
	if st := s.Settings; st.Create != "sale_order_confirmed_invoice" || st.PaymentStatuses[0] != "paid" || st.Customer.PartnerID != 7 || st.OrderSources[0] != "all" {
		t.Errorf("settings not merged over defaults: %+v", st)
	}
	if len(cfg.Kafka.Brokers) != 2 || cfg.ClickHouse.Database != "analytics" || cfg.Ingest.Addr != "127.0.0.1:8080" || cfg.Query.Addr != "127.0.0.1:8090" || cfg.ClickHouse.Addr != "127.0.0.1:19000" {
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
		"missing env var":  {good, map[string]string{"SECRET": "s"}, "${ADMIN_TOKEN}"},
		"unknown key":      {"shopz: []", base, "yaml"},
		"bad yaml":         {"shops: [", base, "yaml"},
		"bad domain":       {"shops: [{domain: example.com, webhook_secret: x}]", base, "shops[0].domain"},
		"no secret":        {"shops: [{domain: a.myshopify.com}]", base, "shops[0].webhook_secret"},
		"bad protocol":     {"shops: [{domain: a.myshopify.com, webhook_secret: x, odoo: {protocol: soap}}]", base, "shops[0].odoo.protocol"},
		"odoo without db":  {"shops: [{domain: a.myshopify.com, webhook_secret: x, odoo: {url: 'http://o', username: a, password: b}}]", base, "shops[0].odoo.db"},
		"bad setting":      {"shops: [{domain: a.myshopify.com, webhook_secret: x, settings: {create: everything}}]", base, "shops[0].settings.create"},
		"unknown setting":  {"shops: [{domain: a.myshopify.com, webhook_secret: x, settings: {colour: red}}]", base, "shops[0].settings"},
		"short token":      {"api_tokens: [{token: abc, shops: ['*']}]", base, "api_tokens[0].token"},
		"bad log level":    {"log: {level: loud}", base, "log.level"},
		"duplicate shop":   {"shops: [{domain: a.myshopify.com, webhook_secret: x}, {domain: a.myshopify.com, webhook_secret: x}]", base, "shops[1].domain"},
		"bad clickhouse":   {"clickhouse: {addr: nohostport}", base, "clickhouse.addr"},
		"bad broker (env)": {"", map[string]string{"KAFKA_BROKERS": "nohost"}, "kafka.brokers[0]"},
	} {
		_, err := Parse([]byte(c.yaml), env(c.env))
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

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load("/nonexistent/synco.yaml", true, env(nil)); err == nil {
		t.Fatal("missing config file accepted")
	}
	if _, err := Load("/nonexistent/synco.yaml", false, env(nil)); err != nil {
		t.Fatalf("optional missing file: %v", err)
	}
}
