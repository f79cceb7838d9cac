package conformance

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/synco-dev/synco/sink/odoo"
)

// RealFromEnv is the real Odoo that ODOO_URL, ODOO_DB, ODOO_USER and ODOO_PASSWORD (or
// ODOO_API_KEY with ODOO_PROTOCOL=json2, Odoo 19+) point at, logged in: its config and
// a Target for it. `make conformance` starts Odoo 16, 17, 18 and 19 with
// ../shared/odoo-server/up.sh and runs the real tests once per version and protocol.
// It never skips: without a reachable Odoo it fails and says how to start one.
func RealFromEnv(t testing.TB) (odoo.Config, Target) {
	t.Helper()
	url := strings.TrimRight(os.Getenv("ODOO_URL"), "/")
	const how = "start one with\n\teval \"$(../shared/odoo-server/up.sh 17)\"   # or 16, 18, 19\n" +
		"or point ODOO_URL, ODOO_DB, ODOO_USER, ODOO_PASSWORD at your Odoo (see README, Conformance)"
	if url == "" {
		t.Fatalf("ODOO_URL is not set: %s", how)
	}
	cfg := odoo.Config{URL: url, DB: os.Getenv("ODOO_DB"), Username: os.Getenv("ODOO_USER"), Password: os.Getenv("ODOO_PASSWORD"),
		APIKey: os.Getenv("ODOO_API_KEY"), Protocol: os.Getenv("ODOO_PROTOCOL")}
	if cfg.Protocol == "" {
		cfg.Protocol = odoo.ProtocolXMLRPC
	}
	if cfg.Protocol == odoo.ProtocolJSON2 && cfg.APIKey == "" {
		t.Fatalf("ODOO_PROTOCOL=json2 needs ODOO_API_KEY (../shared/odoo-server/up.sh 19 prints it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	probe := odoo.NewXMLRPC(url, cfg.DB, cfg.Username, cfg.Password, odoo.WithHTTPClient(&http.Client{Timeout: 15 * time.Second}))
	v, err := probe.Version(ctx)
	if err != nil {
		t.Fatalf("Odoo at %s does not answer (%v): %s", url, err, how)
	}
	if want := os.Getenv("ODOO_VERSION"); want != "" {
		if n, _ := strconv.Atoi(want); n != v {
			t.Fatalf("ODOO_VERSION=%s but %s is Odoo %d", want, url, v)
		}
	}
	c, err := odoo.Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	if _, err := odoo.SearchRead(ctx, c, "res.company", nil, []string{"id"}, nil); err != nil {
		t.Fatalf("log in to %s (db %q, user %q, %s): %v", url, cfg.DB, cfg.Username, cfg.Protocol, err)
	}
	return cfg, Target{Name: fmt.Sprintf("odoo %d %s", v, cfg.Protocol), Client: c, Version: v}
}
