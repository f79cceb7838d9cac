package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/synco-dev/synco/cmd/internal/cli"
	"github.com/synco-dev/synco/query/orders"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopifysim"
)

// apiDo sends a JSON body to the query API and returns the status and answer.
func (h *harness) apiDo(method, path string, body any) (int, []byte) {
	h.t.Helper()
	h.mu.Lock()
	url := h.queryURL
	h.mu.Unlock()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// putSettings changes the shop's settings through the API, as the dashboard does.
func (h *harness) putSettings(change func(map[string]any)) {
	h.t.Helper()
	var st map[string]any
	if code := h.apiGet("/api/shops/"+shopDomain+"/settings", &st); code != http.StatusOK {
		h.t.Fatalf("GET settings: %d", code)
	}
	change(st)
	if code, b := h.apiDo(http.MethodPut, "/api/shops/"+shopDomain+"/settings", st); code != http.StatusOK {
		h.t.Fatalf("PUT settings: %d %s", code, b)
	}
}

// synco runs the synco command line on the harness's config, as an operator would,
// and returns its exit code and output. The environment cannot send it elsewhere.
func (h *harness) synco(args ...string) (int, string) {
	h.t.Helper()
	for _, v := range []string{"KAFKA_BROKERS", "SCHEMA_REGISTRY_URL", "CLICKHOUSE_ADDR", "CLICKHOUSE_DB", "SYNCO_CONFIG", "SYNCO_PUBLIC_URL"} {
		h.t.Setenv(v, "")
	}
	var out, errb bytes.Buffer
	code := cli.Main(append([]string{"--config", h.configFile()}, args...), &out, &errb)
	return code, out.String() + errb.String()
}

func (h *harness) deliverSim(topic string, id int64) []shopifysim.Delivery {
	h.t.Helper()
	ds, err := h.shopify.DeliverOrder(context.Background(), topic, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return ds
}

func (h *harness) waitSubscribed(n int) {
	h.t.Helper()
	h.waitOdoo(fmt.Sprintf("%d webhook subscriptions", n), func() bool { return len(h.subscribed()) == n })
}

func saleOrderOf(h *harness, id int64) map[string]any {
	if sos := h.recordsWhere("sale.order", "origin", stableKey(id)); len(sos) == 1 {
		return sos[0]
	}
	return nil
}

// TestAutoSyncSwitchWriteBackAndManualSync: with auto sync on (the config), Synco
// subscribes the shop's webhooks; an order Shopify delivers reaches Odoo and its Odoo
// id comes back to the order's custom.odoo_id. Switched off in the API, the
// subscriptions go; a webhook is then recorded (the table says Auto Order Sync is off)
// but nothing goes to Odoo until a manual sync asks, which fetches the order from
// Shopify. Switched on again, the subscriptions come back, none twice.
func TestAutoSyncSwitchWriteBackAndManualSync(t *testing.T) {
	h := newHarness(t, draftSaleOrders)
	sim := h.withShopify()
	h.start(append(allStages, stRequests, stSubscriptions)...)
	h.waitSubscribed(9)

	o := sim.AddSampleOrders(1, time.Now().Add(-time.Hour))[0]
	for _, d := range h.deliverSim("orders/create", o.ID) {
		if d.Status != http.StatusOK {
			t.Fatalf("delivery %+v", d)
		}
	}
	row := h.waitOrder(o.ID, "synced", status(schemas.StatusSynced))
	so := saleOrderOf(h, o.ID)
	if so == nil || row.OdooID == nil || int64(*row.OdooID) != toInt64(so["id"]) {
		t.Fatalf("sale order %v, row %+v", so, row)
	}
	h.waitOdoo("the odoo id written back to shopify", func() bool { return h.metafield(o.ID) == fmt.Sprint(toInt64(so["id"])) })

	h.putSettings(func(st map[string]any) { st["auto_sync"] = false })
	h.waitSubscribed(0)
	off := sim.AddSampleOrders(1, time.Now().Add(-time.Minute))[0]
	// Shopify has nothing to send it to now: a delivery as it was in flight.
	if d := sim.DeliverTo(context.Background(), h.publicURL+"/webhooks/shopify", "orders/create", "", sim.RESTOrderJSON(off)); d.Status != http.StatusOK {
		t.Fatalf("delivery while off: %+v", d)
	}
	held := h.waitOrder(off.ID, "recorded while auto sync is off", status(schemas.StatusNotSynced))
	if held.Error == nil || *held.Error != "Auto Order Sync is off" || !held.Eligible {
		t.Errorf("held row %+v", held)
	}
	if saleOrderOf(h, off.ID) != nil {
		t.Fatal("an order reached Odoo while auto sync was off")
	}
	if code, b := h.apiDo(http.MethodPost, "/api/shops/"+shopDomain+"/sync", map[string]any{"order_ids": []string{fmt.Sprint(off.ID)}}); code != http.StatusAccepted {
		t.Fatalf("POST sync: %d %s", code, b)
	}
	h.waitOrder(off.ID, "synced by the manual sync", status(schemas.StatusSynced))
	if saleOrderOf(h, off.ID) == nil {
		t.Error("manual sync: no sale order")
	}

	creates := sim.Counters().ByOperation["WebhookSubscriptionCreate"]
	h.putSettings(func(st map[string]any) { st["auto_sync"] = true })
	h.waitSubscribed(9)
	if got := sim.Counters().ByOperation["WebhookSubscriptionCreate"] - creates; got != 9 {
		t.Errorf("%d subscriptions created when switched on again, want 9", got)
	}
	if n := len(h.recordsWhere("sale.order", "origin", stableKey(o.ID))); n != 1 {
		t.Errorf("%d sale orders for one order", n)
	}
}

// TestLostWebhookHealsByReconciliation: Shopify loses an order's orders/create and
// another's orders/updated (a cancellation). `synco reconcile` lists what Shopify
// updated, finds one Synco never saw and one it saw in an older version, re-emits
// both, and Odoo ends up as if no webhook had been lost.
func TestLostWebhookHealsByReconciliation(t *testing.T) {
	h := newHarness(t, draftSaleOrders+"cancel_sale_order: true\n")
	sim := h.withShopify()
	h.start(append(allStages, stSubscriptions)...)
	h.waitSubscribed(9)
	list := sim.AddSampleOrders(3, time.Now().Add(-2*time.Hour))
	lost, changed, fine := list[0], list[1], list[2]
	for _, o := range []*shopifysim.Order{changed, fine} {
		h.deliverSim("orders/create", o.ID)
		h.waitOrder(o.ID, "synced", status(schemas.StatusSynced))
	}
	sim.DropNext("orders/create", 1)
	if ds := h.deliverSim("orders/create", lost.ID); len(ds) != 1 || !ds[0].Dropped {
		t.Fatalf("the lost webhook was delivered: %+v", ds)
	}
	cancelled := time.Now().UTC().Truncate(time.Second)
	sim.EditOrder(changed.ID, func(o *shopifysim.Order) {
		o.CancelledAt, o.CancelReason, o.FinancialStatus = &cancelled, "CUSTOMER", "VOIDED"
	})
	sim.DropNext("orders/updated", 1)
	h.deliverSim("orders/updated", changed.ID)
	if saleOrderOf(h, lost.ID) != nil || saleOrderOf(h, changed.ID)["state"] == "cancel" {
		t.Fatal("Odoo learnt of the lost webhooks before the reconciliation")
	}

	code, out := h.synco("reconcile", "--shop", shopDomain)
	if code != 0 || !strings.Contains(out, "3 listed, 1 never seen, 1 stale, 2 re-emitted") {
		t.Fatalf("synco reconcile: exit %d\n%s", code, out)
	}
	h.waitOrder(lost.ID, "synced after the reconciliation", status(schemas.StatusSynced))
	h.waitOdoo("the lost order's sale order", func() bool { return saleOrderOf(h, lost.ID) != nil })
	h.waitOdoo("the lost cancellation in Odoo", func() bool { return saleOrderOf(h, changed.ID)["state"] == "cancel" })
	if n := len(h.recordsWhere("sale.order", "origin", stableKey(fine.ID))); n != 1 {
		t.Errorf("the order that lost nothing has %d sale orders", n)
	}
	// The healed orders' outcomes say what healed them.
	var origins []string
	for _, r := range h.readTopic(schemas.TopicOutcomes) {
		var o schemas.SyncOutcome
		if err := h.running[0].rt.Serde.Decode(context.Background(), schemas.TopicOutcomes, r.Value, &o); err != nil {
			t.Fatal(err)
		}
		if o.OrderID == lost.ID && o.Stage == schemas.StageProcessor {
			origins = append(origins, o.Origin)
		}
	}
	if !slices.Equal(origins, []string{schemas.OriginReconcile}) {
		t.Errorf("the lost order's processor outcomes came from %v", origins)
	}
	// Nothing left to heal: a second run re-emits nothing.
	if code, out := h.synco("reconcile", "--shop", shopDomain); code != 0 || !strings.Contains(out, "0 re-emitted") {
		t.Errorf("second reconcile: exit %d\n%s", code, out)
	}
}

// TestBackfillEndToEnd: `synco backfill` over a range with more orders than the bulk
// threshold reads them with a bulk operation and every one reaches Odoo; the API
// shows the job done; a second run changes nothing in Odoo.
func TestBackfillEndToEnd(t *testing.T) {
	h := newHarness(t, draftSaleOrders)
	sim := h.withShopify()
	h.start(allStages...)
	day := time.Now().UTC().AddDate(0, 0, -3).Truncate(24 * time.Hour)
	list := sim.AddSampleOrders(60, day.Add(time.Hour))
	sim.AddSampleOrders(2, day.AddDate(0, 0, -2)) // before the range

	d := day.Format(time.DateOnly)
	code, out := h.synco("backfill", "--shop", shopDomain, "--from", d, "--to", d)
	if code != 0 || !strings.Contains(out, "60 orders sent") || !strings.Contains(out, "mode bulk") {
		t.Fatalf("synco backfill: exit %d\n%s", code, out)
	}
	if sim.Counters().ByOperation["BulkOperationRunQuery"] != 1 {
		t.Errorf("operations %v", sim.Counters().ByOperation)
	}
	h.waitOdoo("60 sale orders", func() bool { return len(h.odoo.Records("sale.order")) == 60 })
	for _, o := range list {
		h.waitOrder(o.ID, "synced", status(schemas.StatusSynced))
	}
	if code, job := h.backfillJob(); code != 200 || job.Status != "done" || job.Processed != 60 || job.Fraction != 1 {
		t.Errorf("GET backfill: %d %+v", code, job)
	}

	calls, commands := h.odoo.Calls(), len(h.readTopic(schemas.TopicCommands))
	code, out = h.synco("backfill", "--shop", shopDomain, "--from", d, "--to", d)
	if code != 0 {
		t.Fatalf("second backfill: exit %d\n%s", code, out)
	}
	// The processor read the second run's events: they were duplicates, so no command
	// went to the Odoo sink.
	h.waitCaughtUp("synco-processor", schemas.TopicOrders)
	if n := len(h.readTopic(schemas.TopicCommands)); n != commands {
		t.Errorf("the second backfill sent %d commands to Odoo", n-commands)
	}
	for k, n := range h.odoo.Calls() {
		if (strings.HasSuffix(k, ".create") || strings.HasSuffix(k, ".write") || strings.Contains(k, "action_")) && n != calls[k] {
			t.Errorf("the second backfill changed Odoo: %s %d → %d", k, calls[k], n)
		}
	}
	if n := len(h.odoo.Records("sale.order")); n != 60 {
		t.Errorf("%d sale orders after the second backfill", n)
	}
}

// TestManualSyncAndAllEligible: a named order Synco never received is fetched from
// Shopify and synced; "all eligible" applies the rules to Shopify's current data and
// syncs what passes and is not synced yet.
func TestManualSyncAndAllEligible(t *testing.T) {
	h := newHarness(t, draftSaleOrders+"payment_statuses: [paid]\n")
	sim := h.withShopify()
	h.start(append(allStages, stRequests)...)
	list := sim.AddSampleOrders(4, time.Now().Add(-3*time.Hour))
	unknown, laterPaid, neverSent, pending := list[0], list[1], list[2], list[3]
	for _, o := range []*shopifysim.Order{laterPaid, pending} {
		sim.EditOrder(o.ID, func(o *shopifysim.Order) { o.FinancialStatus = "PENDING" })
	}
	h.webhook("orders/create", "wh-later", sim.RESTOrderJSON(mustOrder(t, sim, laterPaid.ID)))
	h.waitOrder(laterPaid.ID, "not synced (pending)", status(schemas.StatusNotSynced))

	if code, b := h.apiDo(http.MethodPost, "/api/shops/"+shopDomain+"/sync", map[string]any{"order_ids": []int64{unknown.ID}}); code != http.StatusAccepted {
		t.Fatalf("POST sync: %d %s", code, b)
	}
	row := h.waitOrder(unknown.ID, "synced by a manual sync", status(schemas.StatusSynced))
	if row.Name != unknown.Name || saleOrderOf(h, unknown.ID) == nil {
		t.Errorf("unknown order: row %+v", row)
	}

	// Paid in Shopify since; Synco was not told.
	sim.EditOrder(laterPaid.ID, func(o *shopifysim.Order) { o.FinancialStatus = "PAID" })
	if code, b := h.apiDo(http.MethodPost, "/api/shops/"+shopDomain+"/sync", map[string]any{"all_eligible": true}); code != http.StatusAccepted {
		t.Fatalf("POST sync all: %d %s", code, b)
	}
	h.waitOrder(laterPaid.ID, "synced by all eligible", status(schemas.StatusSynced))
	h.waitOrder(neverSent.ID, "synced by all eligible", status(schemas.StatusSynced))
	h.waitCaughtUp("synco-ingest-requests", schemas.TopicRequests)
	h.waitCaughtUp("synco-processor", schemas.TopicOrders)
	for _, r := range h.readTopic(schemas.TopicCommands) {
		var c schemas.OrderSync
		if err := h.running[0].rt.Serde.Decode(context.Background(), schemas.TopicCommands, r.Value, &c); err != nil {
			t.Fatal(err)
		}
		if c.OrderID == pending.ID {
			t.Error("all eligible sent a pending order to Odoo")
		}
	}
	if n := len(h.recordsWhere("sale.order", "origin", stableKey(unknown.ID))); n != 1 {
		t.Errorf("the synced order has %d sale orders after all eligible", n)
	}
}

func mustOrder(t *testing.T, sim *shopifysim.Sim, id int64) *shopifysim.Order {
	t.Helper()
	o, ok := sim.Order(id)
	if !ok {
		t.Fatalf("no order %d", id)
	}
	return o
}

// TestReplayAfterARuleChange: an order left out by the rules is synced by `synco
// replay` once the rules let it through; an order already in Odoo is left alone,
// unless --force.
func TestReplayAfterARuleChange(t *testing.T) {
	h := newHarness(t, draftSaleOrders+"payment_statuses: [paid]\n")
	h.start(allStages...)
	pending := variant(t, 5_531_234_400_001, 4001, "2025-04-01T09:00:00Z", "2025-04-01T09:00:00Z", "pending")
	paid := variant(t, 5_531_234_400_002, 4002, "2025-04-01T09:00:00Z", "2025-04-01T09:00:00Z", "paid")
	h.webhook("orders/create", "wh-p1", pending.body(t))
	h.webhook("orders/create", "wh-p2", paid.body(t))
	h.waitOrder(pending.id(t), "not synced", status(schemas.StatusNotSynced))
	h.waitOrder(paid.id(t), "synced", status(schemas.StatusSynced))

	h.putSettings(func(st map[string]any) { st["payment_statuses"] = []string{"all"} })
	code, out := h.synco("replay", "--shop", shopDomain, "--from", "2025-04-01")
	if code != 0 || !strings.Contains(out, "1 sent through the rules") || !strings.Contains(out, "1 already in Odoo left as they are") {
		t.Fatalf("synco replay: exit %d\n%s", code, out)
	}
	h.waitOrder(pending.id(t), "synced after the replay", status(schemas.StatusSynced))
	// Outcomes of the replay's events, per stage: the processor's decision, and the
	// sink's, which carries the command's origin on.
	replayedAt := func(stage string) map[int64]int {
		n := map[int64]int{}
		for _, r := range h.readTopic(schemas.TopicOutcomes) {
			var o schemas.SyncOutcome
			if err := h.running[0].rt.Serde.Decode(context.Background(), schemas.TopicOutcomes, r.Value, &o); err != nil {
				t.Fatal(err)
			}
			if o.Origin == schemas.OriginReplay && o.Stage == stage {
				n[o.OrderID]++
			}
		}
		return n
	}
	replayed := func() map[int64]int { return replayedAt(schemas.StageProcessor) }
	if n := replayed(); n[paid.id(t)] != 0 || n[pending.id(t)] != 1 {
		t.Errorf("replayed outcomes %v", n)
	}
	if n := replayedAt(schemas.StageSinkOdoo); n[pending.id(t)] < 1 {
		t.Errorf("the sink's outcomes of the replayed order do not say replay: %v", n)
	}
	if code, out := h.synco("replay", "--shop", shopDomain, "--force"); code != 0 || !strings.Contains(out, "2 sent through the rules") {
		t.Fatalf("synco replay --force: exit %d\n%s", code, out)
	}
	h.waitOdoo("the forced replay of the synced order", func() bool { return replayed()[paid.id(t)] == 1 })
	h.waitOrder(paid.id(t), "synced again", func(o orders.Order) bool { return o.Status == schemas.StatusSynced })
	if n := len(h.recordsWhere("sale.order", "origin", stableKey(paid.id(t)))); n != 1 {
		t.Errorf("%d sale orders after a forced replay", n)
	}
}
