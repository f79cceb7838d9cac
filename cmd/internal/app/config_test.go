package app

import (
	"os"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// The example in deploy/ is a config people copy: it must load as it is.
func TestExampleConfigLoads(t *testing.T) {
	raw, err := os.ReadFile("../../../deploy/synco.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(raw, env(map[string]string{"SYNCO_ADMIN_TOKEN": "0123456789abcdef0123", "MY_STORE_WEBHOOK_SECRET": "s",
		"MY_STORE_ADMIN_TOKEN": "shpat_x", "ODOO_PASSWORD": "pw"}))
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.ShopOdoo("my-store.myshopify.com")
	if o.URL != "https://odoo.example.com" || o.Password != "pw" || o.CallTimeout != 2*time.Minute || o.Simulator {
		t.Errorf("odoo block %+v", o)
	}
	if cfg.Ingest.AckTimeout != 4*time.Second || len(cfg.Sink.RetryDelays) != 3 || cfg.Query.Addr != "127.0.0.1:8090" {
		t.Errorf("sections: %+v %+v %+v", cfg.Ingest, cfg.Sink, cfg.Query)
	}
}

// The top-level odoo block is what every shop's starts from; a shop's own keys win.
func TestSharedOdooDefaults(t *testing.T) {
	cfg, err := Parse([]byte(`
odoo: {call_timeout: 30s, concurrency: 4}
shops:
  - domain: a.myshopify.com
    webhook_secret: x
    odoo: {url: "http://o:8069", db: d, username: u, password: p}
  - domain: b.myshopify.com
    webhook_secret: x
    odoo: {url: "http://o:8069", db: d, username: u, password: p, concurrency: 1}
  - domain: c.myshopify.com
    webhook_secret: x
    odoo: {simulator: true}
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := cfg.ShopOdoo("a.myshopify.com"), cfg.ShopOdoo("b.myshopify.com"), cfg.ShopOdoo("c.myshopify.com")
	if a.CallTimeout != 30*time.Second || a.Concurrency != 4 || b.Concurrency != 1 || b.CallTimeout != 30*time.Second || a.ConnectTimeout != 5*time.Second {
		t.Errorf("a %+v\nb %+v", a, b)
	}
	if !c.Simulator || c.URL != "" || c.DB != "synco" {
		t.Errorf("c %+v", c)
	}
	if got := cfg.SimulatedShops(); len(got) != 1 || got[0] != "c.myshopify.com" {
		t.Errorf("simulated shops %v", got)
	}
	cfg.UseSimulator("http://127.0.0.1:18069")
	if c.URL != "http://127.0.0.1:18069" || a.URL != "http://o:8069" {
		t.Errorf("UseSimulator: a %q c %q", a.URL, c.URL)
	}
}

func TestOdooConfigErrorsNameTheShop(t *testing.T) {
	for name, c := range map[string]struct{ yaml, field string }{
		"no url":            {"shops: [{domain: a.myshopify.com, webhook_secret: x}]", "shops[0].odoo.url"},
		"url and simulator": {"shops: [{domain: a.myshopify.com, webhook_secret: x, odoo: {url: 'http://o', simulator: true}}]", "shops[0].odoo.simulator"},
		"no db":             {"shops: [{domain: a.myshopify.com, webhook_secret: x, odoo: {url: 'http://o', username: u, password: p}}]", "shops[0].odoo.db"},
		"bad protocol":      {"shops: [{domain: a.myshopify.com, webhook_secret: x, odoo: {simulator: true, protocol: soap}}]", "shops[0].odoo.protocol"},
		"shared url":        {"odoo: {url: 'http://o'}", "odoo.url"},
		"unknown odoo key":  {"shops: [{domain: a.myshopify.com, webhook_secret: x, odoo: {simulated: true}}]", "shops[0].odoo"},
		"bad duration":      {"odoo: {call_timeout: soon}", "odoo"},
	} {
		_, err := Parse([]byte(c.yaml), env(nil))
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: %v, want an error naming %s", name, err, c.field)
		}
	}
}

// A shop that has its webhooks subscribed (auto sync on, an Admin API token) needs
// ingest.public_url; the demo's shops, without an Admin API, do not.
func TestPublicURLNeededForAutoSync(t *testing.T) {
	shop := `shops:
  - domain: a.myshopify.com
    webhook_secret: x
    admin_api_token: shpat_x
    odoo: {url: "http://o:8069", db: d, username: u, password: p}
`
	_, err := Parse([]byte(shop), env(nil))
	if err == nil || !strings.Contains(err.Error(), "ingest.public_url") || !strings.Contains(err.Error(), "a.myshopify.com") {
		t.Fatalf("no public URL: %v", err)
	}
	if _, err := Parse([]byte("ingest: {public_url: \"https://synco.example.com\"}\n"+shop), env(nil)); err != nil {
		t.Errorf("with public_url: %v", err)
	}
	if _, err := Parse([]byte(shop), env(map[string]string{"SYNCO_PUBLIC_URL": "https://s.example.com"})); err != nil {
		t.Errorf("with SYNCO_PUBLIC_URL: %v", err)
	}
	if _, err := Parse([]byte(shop+"    settings: {auto_sync: false}\n"), env(nil)); err != nil {
		t.Errorf("auto sync off: %v", err)
	}
	if _, err := Parse([]byte(strings.Replace(shop, "    admin_api_token: shpat_x\n", "", 1)), env(nil)); err != nil {
		t.Errorf("no Admin API token: %v", err)
	}
	_, err = Parse([]byte("ingest: {public_url: \"https://s.example.com\"}\n"+strings.Replace(shop, "admin_api_token: shpat_x\n",
		"admin_api_token: shpat_x\n    admin_api_url: https://a.myshopify.com/admin/api/2024-01/graphql.json\n", 1)), env(nil))
	if err == nil || !strings.Contains(err.Error(), "shops[0].admin_api_url") {
		t.Errorf("another API version: %v", err)
	}
}

// processor.transaction_events reaches the processor's config: as given, 16384 when
// left out, and out of range an error naming it.
func TestProcessorTransactionEvents(t *testing.T) {
	for yaml, want := range map[string]int{"": 16384, "processor: {transaction_events: 4096}\n": 4096} {
		cfg, err := Parse([]byte(yaml), env(nil))
		if err != nil {
			t.Fatalf("%q: %v", yaml, err)
		}
		if cfg.Processor.TransactionEvents != want {
			t.Errorf("%q: transaction_events %d, want %d", yaml, cfg.Processor.TransactionEvents, want)
		}
	}
	if _, err := Parse([]byte("processor: {transaction_events: 2000000}\n"), env(nil)); err == nil || !strings.Contains(err.Error(), "processor.transaction_events") {
		t.Errorf("2000000 events a transaction: %v", err)
	}
}
