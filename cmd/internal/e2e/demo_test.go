package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/cmd/internal/app"
	"github.com/synco-dev/synco/cmd/internal/demo"
	"github.com/synco-dev/synco/query/orders"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopifysim"
)

// demoWithin is the promise (10, item 3): everything the demo shows is visible
// within a minute of `make run`. A deadline for the poll, not a measure.
const demoWithin = 60 * time.Second

// TestDemoShowsEverything runs the demo as `synco all` does without a config (the demo
// configuration, the bundled Odoo simulator, a simulated Shopify per demo shop, the
// generator with its timings, every stage) and checks through the query API that the
// table shows, in both shops: synced orders, an ineligible one with its reason, a
// retried one (delayed, then synced), one Odoo refused with Odoo's message, an
// invoice paid in Odoo, a refund and a cancellation; that no payment was left out for
// want of an Admin API; that the Odoo id was written back to Shopify; that a manual
// sync fetches the order from Shopify; and that the reconciliation finds nothing to
// re-emit.
func TestDemoShowsEverything(t *testing.T) {
	h := newHarness(t, "")
	// The demo's own config, as `synco all` loads it, on this test's Kafka, registry
	// and ClickHouse database.
	cfg, err := demo.Config(func(k string) (string, bool) {
		if k == "SYNCO_DEV_TOKEN" {
			return apiToken, true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Kafka.Brokers, cfg.Kafka.SchemaRegistryURL, cfg.Kafka.Partitions = []string{h.kafka.Addr}, h.srURL, 4
	cfg.ClickHouse, cfg.DataDir = h.ch.Config, filepath.Join(t.TempDir(), "data")

	sim, err := demo.StartSimulator("127.0.0.1:0", 17)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cfg.UseSimulator(sim.URL)

	ingestLn, queryLn := listen(t), listen(t)
	h.ingestURL, h.queryURL = "http://"+ingestLn.Addr().String(), "http://"+queryLn.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	shopify, err := demo.StartShopify(ctx, cfg, h.ingestURL)
	if err != nil {
		t.Fatal(err)
	}
	if len(shopify) != 2 {
		t.Fatalf("%d simulated shops, want the 2 demo shops", len(shopify))
	}

	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	bctx, bcancel := context.WithTimeout(ctx, time.Minute)
	rt, err := app.Boot(bctx, cfg, log)
	bcancel()
	if err != nil {
		t.Fatalf("boot: %v", err)
	}
	rt.Drain = 50 * time.Millisecond
	var runErr error
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		runErr = app.RunStages(ctx, rt, rt.ClickHouseSink(), rt.Processor(), rt.OdooSink(), rt.Query(queryLn), rt.Ingest(ingestLn),
			rt.Requests(), rt.Subscriptions(), rt.Reconciliation())
	}()
	t.Cleanup(func() {
		cancel()
		<-stopped
		rt.Close()
	})
	h.waitHTTP(h.ingestURL + "/healthz")
	h.waitHTTP(h.queryURL + "/healthz")

	// The generator, as the demo stage runs it; its own context, to stop it before the
	// reconciliation.
	var mu sync.Mutex
	created := map[string][]*shopifysim.Order{}
	gctx, gcancel := context.WithCancel(ctx)
	gdone := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(gdone)
		demo.Generate(gctx, demo.Options{IngestURL: h.ingestURL, Shops: cfg.Shops, Shopify: shopify, Sim: sim,
			Log: log.With("stage", "demo"), Seed: 10, Created: func(shop string, o *shopifysim.Order) {
				mu.Lock()
				created[shop] = append(created[shop], o)
				mu.Unlock()
			}})
	}()
	defer gcancel()

	us, eu := cfg.Shops[0].Domain, cfg.Shops[1].Domain
	var missing []string
	for {
		missing = h.demoMissing(us, eu, shopify)
		if len(missing) == 0 {
			break
		}
		if time.Since(start) > demoWithin {
			t.Fatalf("within %s of the demo's start, the table does not show: %s", demoWithin, strings.Join(missing, "; "))
		}
		select {
		case <-stopped:
			t.Fatalf("the pipeline stopped by itself: %v", runErr)
		case <-time.After(500 * time.Millisecond):
		}
	}

	h.demoManualSync(us, shopify)

	// Stop the generator; once every order it made is in the table, the
	// reconciliation (which now has a Shopify to ask) finds none missing or stale.
	gcancel()
	<-gdone
	mu.Lock()
	want := map[string]int{us: len(created[us]), eu: len(created[eu])}
	mu.Unlock()
	for _, shop := range []string{us, eu} {
		deadline := time.Now().Add(waitFor)
		for len(h.orderRowsOf(shop)) < want[shop] {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d rows, want the %d orders the demo made", shop, len(h.orderRowsOf(shop)), want[shop])
			}
			time.Sleep(200 * time.Millisecond)
		}
		cn, err := rt.Reconcile(ctx, shop, start.Add(-time.Hour), time.Time{})
		if err != nil {
			t.Fatalf("reconcile %s: %v", shop, err)
		}
		t.Logf("reconcile %s: %s", shop, cn)
		if cn.Listed != want[shop] || cn.Missing != 0 || cn.Stale != 0 || cn.Emitted != 0 {
			t.Errorf("reconcile %s: %s; want %d listed and nothing to re-emit", shop, cn, want[shop])
		}
	}
}

// demoManualSync: Sync on the order Odoo refused fetches it from the demo's Shopify
// and applies it again (Odoo refused it once only): it is synced.
func (h *harness) demoManualSync(shop string, shopify demo.Shopify) {
	h.t.Helper()
	var failed *orders.Order
	for _, r := range h.orderRowsOf(shop) {
		if r.Status == schemas.StatusFailed {
			failed = &r
			break
		}
	}
	if failed == nil {
		h.t.Fatalf("%s: no failed order to sync by hand", shop)
	}
	before := shopify[shop].Counters().Requests
	if code, b := h.apiDo(http.MethodPost, "/api/shops/"+shop+"/sync", map[string]any{"order_ids": []string{failed.OrderID}}); code != http.StatusAccepted {
		h.t.Fatalf("POST sync: %d %s", code, b)
	}
	deadline := time.Now().Add(waitFor)
	for {
		for _, r := range h.orderRowsOf(shop) {
			if r.OrderID == failed.OrderID && r.Status == schemas.StatusSynced {
				if shopify[shop].Counters().Requests == before {
					h.t.Errorf("%s order %s synced by hand without asking Shopify", shop, r.Name)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s order %s: not synced by the manual sync within %s", shop, failed.Name, waitFor)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// demoMissing says what the demo's table does not show yet (nothing: all of it).
func (h *harness) demoMissing(us, eu string, shopify demo.Shopify) []string {
	h.t.Helper()
	var missing []string
	need := func(ok bool, what string) {
		if !ok {
			missing = append(missing, what)
		}
	}
	rows := map[string][]orders.Order{us: h.orderRowsOf(us), eu: h.orderRowsOf(eu)}
	for _, shop := range []string{us, eu} {
		synced, writtenBack := false, false
		for _, r := range rows[shop] {
			for _, w := range r.Warnings {
				if strings.Contains(w, "no Admin API token") {
					h.t.Fatalf("%s order %s: warning %q: the demo shop has a Shopify", shop, r.Name, w)
				}
				if strings.Contains(w, "no exchange rate") {
					h.t.Fatalf("%s order %s: warning %q: the demo company has an EUR rate", shop, r.Name, w)
				}
			}
			if r.Status != schemas.StatusSynced || r.OdooID == nil {
				continue
			}
			synced = true
			var id int64
			fmt.Sscan(r.OrderID, &id)
			if o, ok := shopify[shop].Order(id); ok {
				for _, m := range o.Metafields {
					if m.Namespace == "custom" && m.Key == "odoo_id" && m.Value == fmt.Sprint(*r.OdooID) {
						writtenBack = true
					}
				}
			}
		}
		need(synced, shop+": a synced order")
		need(writtenBack, shop+": a synced order's Odoo id in Shopify's custom.odoo_id")
	}
	ineligible, failed, refunded, cancelled, invoicePaid, retried := false, false, false, false, false, false
	for _, shop := range []string{us, eu} {
		for _, r := range rows[shop] {
			switch {
			case r.Status == schemas.StatusNotSynced && len(r.IneligibleReasons) > 0:
				ineligible = true
			case r.Status == schemas.StatusFailed && r.Error != nil && strings.Contains(*r.Error, "archived product cannot be sold"):
				failed = true
			}
			if d, err := decimal.NewFromString(r.RefundedAmount); err == nil && d.IsPositive() {
				refunded = true
			}
			cancelled = cancelled || r.Cancelled
			invoicePaid = invoicePaid || (shop == eu && r.InvoiceState == "posted" && r.PaymentState == "paid")
			if r.Status == schemas.StatusSynced && !retried {
				retried = h.wasDelayed(shop, r.OrderID)
			}
		}
	}
	need(ineligible, "a not-synced order with its reason")
	need(failed, "a failed order with Odoo's message")
	need(refunded, "a refunded order")
	need(cancelled, "a cancelled order")
	need(invoicePaid, eu+": an invoice posted and paid in Odoo")
	need(retried, "an order delayed, then synced")
	sort.Strings(missing)
	return missing
}

// wasDelayed says whether the order's history has a delayed outcome.
func (h *harness) wasDelayed(shop, id string) bool {
	var d orderDetail
	if code := h.apiGet("/api/shops/"+shop+"/orders/"+id, &d); code != http.StatusOK {
		h.t.Fatalf("GET %s order %s: %d", shop, id, code)
	}
	for _, e := range d.History {
		if e.Status == schemas.StatusDelayed {
			return true
		}
	}
	return false
}
