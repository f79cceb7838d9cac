package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/synco-dev/synco/shopifysim"
)

// adminToken is the main shop's Admin API token when the harness has a Shopify.
const adminToken = "shpat_e2e_admin_token_0123456789"

// withShopify gives the main shop a Shopify: the simulator's Admin API (the shop's
// admin_api_url and admin_api_token) and its webhook deliveries, which reach ingest
// through a stable public address (ingest.public_url) that forwards to whichever
// ingest is running. Call it before start.
func (h *harness) withShopify(mods ...func(*shopifysim.Options)) *shopifysim.Sim {
	h.t.Helper()
	opts := shopifysim.Options{Shop: shopDomain, Token: adminToken, Secret: secret, AllowHTTPWebhooks: true}
	for _, m := range mods {
		m(&opts)
	}
	sim, err := shopifysim.New(opts)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.t.Cleanup(cancel)
	base, err := sim.Start(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	// Many small reads in a test: a fast-restoring bucket keeps it short (the client's
	// waiting is tested in ingest/backfill).
	sim.SetBucket(2000, 50_000)
	ln := listen(h.t)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		target := h.ingestURL
		h.mu.Unlock()
		if target == "" {
			http.Error(w, "no ingest running", http.StatusBadGateway)
			return
		}
		u, _ := url.Parse(target)
		httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	h.t.Cleanup(func() { srv.Close() })
	h.shopify, h.adminURL, h.publicURL = sim, shopifysim.Endpoint(base), "http://"+ln.Addr().String()
	return sim
}

// shopifyBlock is the main shop's Admin API lines, when it has a Shopify.
func (h *harness) shopifyBlock() string {
	if h.shopify == nil {
		return ""
	}
	token := adminToken
	if h.configToken != "" {
		token = h.configToken
	}
	return fmt.Sprintf("    admin_api_url: %q\n    admin_api_token: %q\n", h.adminURL, token)
}

// ingestBlock is the config's ingest: block (the public URL when there is a Shopify).
func (h *harness) ingestBlock() string {
	if h.shopify == nil {
		return ""
	}
	return fmt.Sprintf("ingest: {public_url: %q, bulk_threshold: 50}\n", h.publicURL)
}

// configFile writes the configuration as a synco.yaml, for the CLI.
func (h *harness) configFile() string {
	h.t.Helper()
	h.config() // it parses
	path := filepath.Join(h.t.TempDir(), "synco.yaml")
	if err := os.WriteFile(path, []byte(h.yaml()), 0o600); err != nil {
		h.t.Fatal(err)
	}
	return path
}

// metafield is the order's custom.odoo_id in the simulated Shopify ("" when none).
func (h *harness) metafield(id int64) string {
	o, ok := h.shopify.Order(id)
	if !ok {
		return ""
	}
	for _, m := range o.Metafields {
		if m.Namespace == "custom" && m.Key == "odoo_id" {
			return m.Value
		}
	}
	return ""
}

// subscribed lists the webhook topics subscribed at the public address.
func (h *harness) subscribed() []string {
	var out []string
	for topic, addrs := range h.shopify.Subscriptions() {
		for _, a := range addrs {
			if a == h.publicURL+"/webhooks/shopify" {
				out = append(out, topic)
			}
		}
	}
	return out
}

// backfillJob is the shop's latest backfill as GET /backfill shows it.
type backfillJob struct {
	JobID     string  `json:"job_id"`
	Status    string  `json:"status"`
	Processed int64   `json:"processed"`
	Fraction  float64 `json:"fraction"`
}

func (h *harness) backfillJob() (int, backfillJob) {
	h.t.Helper()
	var view struct {
		Job backfillJob `json:"job"`
	}
	code := h.apiGet("/api/shops/"+shopDomain+"/backfill", &view)
	return code, view.Job
}
