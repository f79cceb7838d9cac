package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/ingest/shopify"
	"github.com/synco-dev/synco/platform/deadletter"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/query/orders"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
)

// draftSaleOrders are the settings of most tests: a draft sale order per order, named
// with a prefix and Shopify's number.
const draftSaleOrders = `
create: draft_sale_order
order_prefix: "WEB-"
`

func stableKey(id int64) string { return fmt.Sprintf("shopify:%s/%d", shopDomain, id) }

// TestOneOrderEndToEnd: Shopify's own orders/create sample, signed, goes in at the
// webhook and comes out as one sale order in Odoo and a synced row in the API.
func TestOneOrderEndToEnd(t *testing.T) {
	h := newHarness(t, draftSaleOrders)
	h.start(allStages...)

	body := rawOrder(t, "orders_create.json")
	o := loadOrder(t, "orders_create.json")
	id := o.id(t)
	if code, msg := h.deliver(delivery{topic: "orders/create", webhookID: "wh-create-1", body: body}); code != 200 {
		t.Fatalf("ingest answered %d %s, want 200", code, msg)
	}
	row := h.waitOrder(id, "synced", status("synced"))

	sos := h.odoo.Records("sale.order")
	if len(sos) != 1 {
		t.Fatalf("odoo holds %d sale orders, want 1", len(sos))
	}
	so := sos[0]
	soID := toInt64(so["id"])
	checkRow(t, row, orders.Order{Name: "#9999", Email: "jon@example.com", Total: "359.97", Currency: "USD",
		FinancialStatus: "voided", Source: "web", Status: "synced", OdooModel: "sale.order", OdooName: "WEB-9999"})
	if row.OdooID == nil || int64(*row.OdooID) != soID {
		t.Errorf("API odoo_id = %v, odoo's sale order is %d", row.OdooID, soID)
	}
	if row.Error != nil {
		t.Errorf("API error = %q on a synced order", *row.Error)
	}
	checkSaleOrder(t, h, so, o, "WEB-9999", "draft")
}

// checkRow compares the fields of want that are set with the API's row.
func checkRow(t *testing.T, got, want orders.Order) {
	t.Helper()
	cmp := func(field, g, w string) {
		if w != "" && g != w {
			t.Errorf("API row %s = %q, want %q", field, g, w)
		}
	}
	cmp("name", got.Name, want.Name)
	cmp("email", got.Email, want.Email)
	cmp("total", got.Total, want.Total)
	cmp("currency", got.Currency, want.Currency)
	cmp("financial_status", got.FinancialStatus, want.FinancialStatus)
	cmp("source", got.Source, want.Source)
	cmp("status", got.Status, want.Status)
	cmp("odoo_model", got.OdooModel, want.OdooModel)
	cmp("odoo_name", got.OdooName, want.OdooName)
}

// checkSaleOrder compares Odoo's sale order with the Shopify order it was made from:
// reference, name, state, customer and every line (products by SKU, quantities,
// prices, shipping).
func checkSaleOrder(t *testing.T, h *harness, so map[string]any, o shopifyOrder, name, state string) {
	t.Helper()
	id := o.id(t)
	if so["origin"] != stableKey(id) {
		t.Errorf("sale order origin = %v, want %s", so["origin"], stableKey(id))
	}
	if so["client_order_ref"] != o["name"] {
		t.Errorf("sale order client_order_ref = %v, want %v", so["client_order_ref"], o["name"])
	}
	if so["name"] != name {
		t.Errorf("sale order name = %v, want %s", so["name"], name)
	}
	if so["state"] != state {
		t.Errorf("sale order state = %v, want %s", so["state"], state)
	}
	partner := h.recordsWhere("res.partner", "id", m2oID(so["partner_id"]))
	if len(partner) != 1 || !strings.EqualFold(fmt.Sprint(partner[0]["email"]), fmt.Sprint(o["email"])) {
		t.Errorf("sale order partner %v is not the customer %v: %v", so["partner_id"], o["email"], partner)
	}

	type line struct {
		code  string
		qty   string
		price string
	}
	var want []line
	for _, l := range o.lines() {
		want = append(want, line{fmt.Sprint(l["sku"]), fmt.Sprint(l["quantity"]), fmt.Sprint(l["price"])})
	}
	for _, s := range o["shipping_lines"].([]any) {
		want = append(want, line{odoo.ShippingCode, "1", fmt.Sprint(s.(map[string]any)["price"])})
	}
	var got []line
	for _, l := range h.recordsWhere("sale.order.line", "order_id", toInt64(so["id"])) {
		prod := h.recordsWhere("product.product", "id", m2oID(l["product_id"]))
		code := "?"
		if len(prod) == 1 {
			code = fmt.Sprint(prod[0]["default_code"])
		}
		got = append(got, line{code, money(l["product_uom_qty"], 0), money(l["price_unit"], 2)})
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sale order lines (code qty price):\n got %v\nwant %v", got, want)
	}
}

func money(v any, places int) string {
	switch n := v.(type) {
	case float64:
		return fmt.Sprintf("%.*f", places, n)
	}
	return fmt.Sprint(v)
}

// variant is the sample order under another id and number, created and last updated
// at the given times, with a financial status: the base of the other scenarios.
func variant(t *testing.T, id int64, number int, created, updated, financial string) shopifyOrder {
	t.Helper()
	o := loadOrder(t, "orders_create.json")
	o["id"] = json.Number(fmt.Sprint(id))
	o["admin_graphql_api_id"] = fmt.Sprintf("gid://shopify/Order/%d", id)
	o["name"] = fmt.Sprintf("#%d", number)
	o["order_number"] = number
	o["created_at"], o["processed_at"], o["updated_at"] = created, created, updated
	o["cancelled_at"], o["cancel_reason"], o["closed_at"] = nil, nil, nil
	o["financial_status"] = financial
	return o
}

// TestDuplicateWebhooks: Shopify delivers at least once. The same delivery twice (same
// X-Shopify-Webhook-Id) and a redelivery under a new id still make one sale order, one
// customer and one product per SKU.
func TestDuplicateWebhooks(t *testing.T) {
	h := newHarness(t, draftSaleOrders)
	h.start(allStages...)
	body := rawOrder(t, "orders_create.json")
	o := loadOrder(t, "orders_create.json")
	id := o.id(t)

	h.webhook("orders/create", "wh-dup-1", body)
	if code, msg := h.deliver(delivery{topic: "orders/create", webhookID: "wh-dup-1", body: body}); code != 200 {
		t.Fatalf("same delivery again: %d %q, want 200", code, msg)
	}
	h.waitOrder(id, "synced", status("synced"))
	h.webhook("orders/create", "wh-dup-2", body) // Shopify's redelivery under a new id
	h.waitCaughtUp("synco-processor", schemas.TopicOrders)

	if n := len(h.readTopic(schemas.TopicOrders)); n != 2 {
		t.Errorf("shopify.orders holds %d events, want 2 (the same delivery is kept once)", n)
	}
	if n := len(h.readTopic(schemas.TopicCommands)); n != 1 {
		t.Errorf("odoo.commands holds %d commands, want 1 (the redelivery changes nothing)", n)
	}
	row := h.waitOrder(id, "synced", status("synced"))
	sos := h.recordsWhere("sale.order", "origin", stableKey(id))
	if len(sos) != 1 || len(h.odoo.Records("sale.order")) != 1 {
		t.Fatalf("odoo holds %d sale orders for the order (%d in all), want 1", len(sos), len(h.odoo.Records("sale.order")))
	}
	if row.OdooID == nil || int64(*row.OdooID) != toInt64(sos[0]["id"]) {
		t.Errorf("API odoo_id %v, odoo's sale order %v", row.OdooID, sos[0]["id"])
	}
	checkSaleOrder(t, h, sos[0], o, "WEB-9999", "draft")
	if n := len(h.recordsWhere("res.partner", "email", "jon@example.com")); n != 1 {
		t.Errorf("%d partners with the customer's email, want 1", n)
	}
	for _, code := range []string{"SKU2006-001", "SKU2006-020", "SKU2006-035", odoo.ShippingCode} {
		if n := len(h.recordsWhere("product.product", "default_code", code)); n != 1 {
			t.Errorf("%d products %s, want 1", n, code)
		}
	}
	if n := h.odoo.Calls()["sale.order.create"]; n != 1 {
		t.Errorf("sale.order.create called %d times, want 1", n)
	}
}

// TestReorderedAndDuplicatedEvents: an orders/updated with a newer snapshot arrives
// before the orders/create, and both are delivered again. Odoo ends with the newest
// snapshot (its lines) and the API shows the newest.
func TestReorderedAndDuplicatedEvents(t *testing.T) {
	h := newHarness(t, draftSaleOrders)
	h.start(allStages...)
	const id = 5_531_234_000_001
	older := variant(t, id, 1001, "2025-03-01T10:00:00Z", "2025-03-01T10:00:00Z", "pending")
	newer := older.clone(t)
	newer["updated_at"] = "2025-03-01T11:30:00Z"
	newer["financial_status"] = "paid"
	newer.lines()[0]["quantity"] = 3 // 2 × 89.99 more
	newer.lines()[0]["current_quantity"] = 3
	newer["total_price"] = "539.95"
	newer["subtotal_price"] = "539.95"

	h.webhook("orders/updated", "wh-upd", newer.body(t))
	h.webhook("orders/create", "wh-create", older.body(t))
	h.webhook("orders/updated", "wh-upd", newer.body(t))     // the same delivery again
	h.webhook("orders/create", "wh-create-2", older.body(t)) // redelivered, new id
	h.webhook("orders/updated", "wh-upd-2", newer.body(t))   // redelivered, new id
	h.webhook("orders/paid", "wh-paid-stale", older.body(t)) // late and stale
	h.waitCaughtUp("synco-processor", schemas.TopicOrders)
	row := h.waitOrder(id, "synced", status("synced"))

	checkRow(t, row, orders.Order{Name: "#1001", Total: "539.95", FinancialStatus: "paid", Status: "synced",
		OdooModel: "sale.order", OdooName: "WEB-1001"})
	if n := len(h.readTopic(schemas.TopicCommands)); n != 1 {
		t.Errorf("odoo.commands holds %d commands, want 1 (older and repeated events change nothing)", n)
	}
	sos := h.odoo.Records("sale.order")
	if len(sos) != 1 {
		t.Fatalf("odoo holds %d sale orders, want 1", len(sos))
	}
	if row.OdooID == nil || int64(*row.OdooID) != toInt64(sos[0]["id"]) {
		t.Errorf("API odoo_id %v, odoo's sale order %v", row.OdooID, sos[0]["id"])
	}
	checkSaleOrder(t, h, sos[0], newer, "WEB-1001", "draft")
}

// TestRestartAfterIngestAcknowledged: ingest acknowledged the webhook and the process
// stopped before any other stage ran. The event waits in Kafka; a new process with
// every stage syncs it.
func TestRestartAfterIngestAcknowledged(t *testing.T) {
	h := newHarness(t, draftSaleOrders)
	p := h.start(stIngest)
	o := loadOrder(t, "orders_create.json")
	id := o.id(t)
	h.webhook("orders/create", "wh-1", rawOrder(t, "orders_create.json"))
	p.stop()
	if n := len(h.readTopic(schemas.TopicOrders)); n != 1 {
		t.Fatalf("shopify.orders holds %d events after the acknowledgement, want 1", n)
	}
	if n := len(h.odoo.Records("sale.order")); n != 0 {
		t.Fatalf("odoo holds %d sale orders before the processor ran", n)
	}

	h.start(allStages...)
	row := h.waitOrder(id, "synced", status("synced"))
	sos := h.odoo.Records("sale.order")
	if len(sos) != 1 {
		t.Fatalf("odoo holds %d sale orders, want 1", len(sos))
	}
	checkSaleOrder(t, h, sos[0], o, "WEB-9999", "draft")
	if row.OdooID == nil || int64(*row.OdooID) != toInt64(sos[0]["id"]) {
		t.Errorf("API odoo_id %v, odoo's sale order %v", row.OdooID, sos[0]["id"])
	}
}

// TestOdooSinkCrashBetweenCreateAndCommit: the process dies while the Odoo sink is
// between Odoo's sale.order.create and the commit of the command's offset, in two
// ways: (1) Odoo created the order and the sink dies before confirming it; (2) the
// sink dies while its create is on the wire, and Odoo commits the order afterwards
// (the answer is lost). After the restart the command is delivered again; the sink
// finds the order by its reference, confirms it, and Odoo still holds one sale order.
func TestOdooSinkCrashBetweenCreateAndCommit(t *testing.T) {
	for _, tc := range []struct {
		name          string
		method        string // the call held while the process dies
		reachesOdoo   bool   // whether the held call is applied by Odoo after the crash
		draftAtCrash  int    // sale orders in Odoo when the process dies
		confirmsTotal int    // action_confirm calls that reach Odoo in all
	}{
		{name: "before confirm", method: "action_confirm", reachesOdoo: false, draftAtCrash: 1, confirmsTotal: 1},
		{name: "create answer lost", method: "create", reachesOdoo: true, draftAtCrash: 0, confirmsTotal: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "create: confirmed_sale_order\norder_prefix: \"WEB-\"")
			held := h.gate.hold("sale.order", tc.method, 1, tc.reachesOdoo)
			p := h.start(allStages...)
			o := loadOrder(t, "orders_create.json")
			id := o.id(t)
			h.webhook("orders/create", "wh-1", rawOrder(t, "orders_create.json"))
			select {
			case <-held.arrived:
			case <-time.After(waitFor):
				t.Fatalf("the sink never called sale.order.%s", tc.method)
			}
			if n := len(h.odoo.Records("sale.order")); n != tc.draftAtCrash {
				t.Fatalf("odoo holds %d sale orders when the process dies, want %d", n, tc.draftAtCrash)
			}
			p.stop() // the crash: every stage of the process ends while Odoo is mid-way
			held.let()
			if sos := h.odoo.Records("sale.order"); len(sos) != 1 || sos[0]["state"] != "draft" {
				t.Fatalf("odoo after the crash: %v, want one draft sale order", sos)
			}

			cmds := h.readTopic(schemas.TopicCommands)
			if len(cmds) != 1 {
				t.Fatalf("odoo.commands holds %d commands, want 1", len(cmds))
			}
			committed, err := kadm.NewClient(h.admin).FetchOffsets(context.Background(), "synco-sink-odoo")
			if err != nil {
				t.Fatal(err)
			}
			if c, ok := committed.Lookup(schemas.TopicCommands, cmds[0].Partition); ok && c.At > cmds[0].Offset {
				t.Fatalf("the sink committed the command (offset %d) although it died before finishing it", c.At)
			}

			h.start(allStages...)
			row := h.waitOrder(id, "synced", status("synced"))
			sos := h.odoo.Records("sale.order")
			if len(sos) != 1 {
				t.Fatalf("odoo holds %d sale orders after the restart, want 1", len(sos))
			}
			checkSaleOrder(t, h, sos[0], o, "WEB-9999", "sale")
			if row.OdooID == nil || int64(*row.OdooID) != toInt64(sos[0]["id"]) {
				t.Errorf("API odoo_id %v, odoo's sale order %v", row.OdooID, sos[0]["id"])
			}
			calls := h.odoo.Calls()
			if calls["sale.order.create"] != 1 || calls["sale.order.action_confirm"] != tc.confirmsTotal {
				t.Errorf("odoo calls: create %d, action_confirm %d; want 1, %d",
					calls["sale.order.create"], calls["sale.order.action_confirm"], tc.confirmsTotal)
			}
			if n := len(h.recordsWhere("res.partner", "email", "jon@example.com")); n != 1 {
				t.Errorf("%d partners with the customer's email, want 1", n)
			}
		})
	}
}

// TestProcessorRestartAfterCommit: the processor committed, the process restarts, and
// the new processor rebuilds its state from the changelog. The same webhook again (a
// new ingest no longer remembers it) and only a real change make a second command.
func TestProcessorRestartAfterCommit(t *testing.T) {
	h := newHarness(t, draftSaleOrders)
	p := h.start(allStages...)
	const id = 5_531_234_000_002
	first := variant(t, id, 1002, "2025-03-02T09:00:00Z", "2025-03-02T09:00:00Z", "pending")
	h.webhook("orders/create", "wh-1", first.body(t))
	h.waitOrder(id, "synced", status("synced"))
	h.waitCaughtUp("synco-processor", schemas.TopicOrders)
	p.stop()

	h.start(allStages...)
	h.webhook("orders/create", "wh-1", first.body(t))     // ingest's memory is new: only the processor can tell
	h.webhook("orders/create", "wh-1-bis", first.body(t)) // the same snapshot under another id
	paid := first.clone(t)
	paid["updated_at"] = "2025-03-02T09:05:00Z"
	paid["financial_status"] = "paid"
	h.webhook("orders/paid", "wh-paid", paid.body(t))
	h.waitCaughtUp("synco-processor", schemas.TopicOrders)
	row := h.waitOrder(id, "synced as paid", func(o orders.Order) bool { return o.Status == "synced" && o.FinancialStatus == "paid" })

	cmds := h.readTopic(schemas.TopicCommands)
	if len(cmds) != 2 {
		t.Fatalf("odoo.commands holds %d commands, want 2 (the create, then the payment)", len(cmds))
	}
	var c schemas.OrderSync
	if err := p.rt.Serde.Decode(context.Background(), schemas.TopicCommands, cmds[1].Value, &c); err != nil {
		t.Fatal(err)
	}
	if c.Seq != 2 || c.Order.FinancialStatus != "paid" {
		t.Errorf("second command: seq %d, financial status %q; want seq 2 (state restored), paid", c.Seq, c.Order.FinancialStatus)
	}
	sos := h.odoo.Records("sale.order")
	if len(sos) != 1 {
		t.Fatalf("odoo holds %d sale orders, want 1", len(sos))
	}
	checkSaleOrder(t, h, sos[0], first, "WEB-1002", "draft")
	if row.OdooID == nil || int64(*row.OdooID) != toInt64(sos[0]["id"]) {
		t.Errorf("API odoo_id %v, odoo's sale order %v", row.OdooID, sos[0]["id"])
	}
	if n := h.odoo.Calls()["sale.order.create"]; n != 1 {
		t.Errorf("sale.order.create called %d times, want 1", n)
	}
}

// TestOdooTransientFailureRetried: Odoo fails the sale order's creation once with a
// transient database error. The order shows delayed (with the error and when it is
// retried), goes through the retry topic and ends synced.
func TestOdooTransientFailureRetried(t *testing.T) {
	h := newHarness(t, draftSaleOrders)
	h.retryDelays = []time.Duration{200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond}
	h.odoo.FailNext("sale.order", "create", 1)
	// Hold the retry at Odoo's door until the API has shown the order delayed.
	retry := h.gate.hold("sale.order", "create", 2, true)
	p := h.start(allStages...)
	o := loadOrder(t, "orders_create.json")
	id := o.id(t)
	h.webhook("orders/create", "wh-1", rawOrder(t, "orders_create.json"))

	row := h.waitOrder(id, "delayed", status("delayed"))
	if row.Error == nil || !strings.Contains(*row.Error, "could not serialize access") {
		t.Errorf("delayed row error = %v, want Odoo's serialization failure", row.Error)
	}
	if row.RetryAt == nil {
		t.Error("delayed row has no retry_at")
	}
	select {
	case <-retry.arrived:
	case <-time.After(waitFor):
		t.Fatal("the retry never reached Odoo")
	}
	retry.let()
	row = h.waitOrder(id, "synced", status("synced"))
	if row.Error != nil || row.RetryAt != nil {
		t.Errorf("synced row keeps error %v / retry_at %v", row.Error, row.RetryAt)
	}

	retries := h.readTopic(schemas.RetryTopics[0])
	if len(retries) != 1 {
		t.Fatalf("%s holds %d commands, want 1", schemas.RetryTopics[0], len(retries))
	}
	var hist []string
	for _, e := range h.orderDetail(id).History {
		hist = append(hist, fmt.Sprintf("%s/%s/%d", e.Stage, e.Status, e.Attempt))
	}
	// The retry re-syncs the order through the processor, from its latest snapshot.
	if want := "[processor/in_progress/0 sink.odoo/delayed/0 processor/in_progress/1 sink.odoo/synced/1]"; fmt.Sprint(hist) != want {
		t.Errorf("history %v, want %s", hist, want)
	}
	var resyncs int
	for _, r := range h.readTopic(schemas.TopicOrders) {
		var ev schemas.OrderEvent
		if err := p.rt.Serde.Decode(context.Background(), schemas.TopicOrders, r.Value, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Origin == schemas.OriginRetry && ev.Force && ev.Attempt == 1 {
			resyncs++
		}
	}
	if resyncs != 1 {
		t.Errorf("%d retry re-sync events in %s, want 1", resyncs, schemas.TopicOrders)
	}
	sos := h.odoo.Records("sale.order")
	if len(sos) != 1 {
		t.Fatalf("odoo holds %d sale orders, want 1", len(sos))
	}
	checkSaleOrder(t, h, sos[0], o, "WEB-9999", "draft")
	if n := len(h.recordsWhere("res.partner", "email", "jon@example.com")); n != 1 {
		t.Errorf("%d partners with the customer's email after the retry, want 1", n)
	}
}

// TestOdooPermanentFailure: Odoo refuses to make an order (a validation error on the
// sale order's create). The order is failed with Odoo's message, and the command waits
// in odoo.commands.dlq.
func TestOdooPermanentFailure(t *testing.T) {
	h := newHarness(t, "create: confirmed_sale_order\ncancel_sale_order: true\norder_prefix: \"WEB-\"")
	p := h.start(allStages...)
	const id = 5_531_234_000_003
	const odooMsg = "The partner's VAT number is invalid."
	h.odoo.RefuseNext("sale.order", "create", 1, odooMsg)
	o := variant(t, id, 1003, "2025-03-03T09:00:00Z", "2025-03-03T09:00:00Z", "paid")
	h.webhook("orders/create", "wh-1", o.body(t))

	row := h.waitOrder(id, "failed", status("failed"))
	if row.Error == nil || !strings.Contains(*row.Error, odooMsg) {
		t.Errorf("failed row error = %v, want Odoo's %q", row.Error, odooMsg)
	}
	dlq := h.readTopic(schemas.TopicCommandsDLQ)
	if len(dlq) != 1 {
		t.Fatalf("odoo.commands.dlq holds %d records, want 1", len(dlq))
	}
	dl := dlq[0]
	reason, stage, origin := deadletter.Header(dl, deadletter.HeaderReason), deadletter.Header(dl, deadletter.HeaderStage), deadletter.Header(dl, deadletter.HeaderOriginTopic)
	if !strings.Contains(reason, odooMsg) || stage != "sink.odoo" || origin != schemas.TopicCommands ||
		deadletter.Header(dl, deadletter.HeaderOriginOffset) == "" || deadletter.Header(dl, deadletter.HeaderFirstFailedAt) == "" ||
		deadletter.Header(dl, deadletter.HeaderAttempt) != "0" || string(dl.Key) != fmt.Sprintf("%s/%d", shopDomain, id) {
		t.Errorf("dead letter: key %q headers %v", dl.Key, dl.Headers)
	}
	// The value is the command, untouched: it can be produced back to its topic.
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var cmd schemas.OrderSync
	if err := p.rt.Serde.Decode(ctx, schemas.TopicCommands, dl.Value, &cmd); err != nil {
		t.Fatalf("dead letter value is not the command: %v", err)
	}
	if cmd.OrderID != id || cmd.SaleOrder != schemas.SaleOrderConfirmed {
		t.Errorf("dead-lettered command: order %d, sale order %s; want %d CONFIRMED", cmd.OrderID, cmd.SaleOrder, id)
	}
	if sos := h.odoo.Records("sale.order"); len(sos) != 0 {
		t.Errorf("odoo: %v, want no sale order", sos)
	}
}

// TestOdooRefusalNeedsAttention: Odoo refuses to cancel a locked sale order. The order
// needs attention with Odoo's message: an answer, not a crash, so nothing is retried
// or dead-lettered, and the order stays as it is in Odoo.
func TestOdooRefusalNeedsAttention(t *testing.T) {
	h := newHarness(t, "create: confirmed_sale_order\ncancel_sale_order: true\norder_prefix: \"WEB-\"")
	h.start(allStages...)
	const id = 5_531_234_000_004
	o := variant(t, id, 1004, "2025-03-03T09:00:00Z", "2025-03-03T09:00:00Z", "paid")
	h.webhook("orders/create", "wh-1", o.body(t))
	row := h.waitOrder(id, "synced", status("synced"))
	if row.OdooID == nil {
		t.Fatal("synced row without odoo_id")
	}
	soID := int64(*row.OdooID)

	// Someone locks the order in Odoo; then the customer cancels it in Shopify.
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	cl := odoo.NewXMLRPC(h.odooURL, "synco", "admin", "admin")
	if _, err := cl.Call(ctx, "sale.order", "action_lock", []any{[]int64{soID}}, nil); err != nil && !odoo.IsNoneFault(err) {
		// action_lock answers None, which Odoo's XML-RPC cannot marshal (after committing).
		t.Fatalf("lock the sale order: %v", err)
	}
	cancelled := o.clone(t)
	cancelled["updated_at"] = "2025-03-03T10:00:00Z"
	cancelled["cancelled_at"] = "2025-03-03T10:00:00Z"
	cancelled["cancel_reason"] = "customer"
	cancelled["financial_status"] = "voided"
	h.webhook("orders/cancelled", "wh-2", cancelled.body(t))

	const odooMsg = "You cannot cancel a locked order"
	row = h.waitOrder(id, "needs attention", status(schemas.StatusNeedsAttention))
	if row.Error == nil || !strings.Contains(*row.Error, odooMsg) || row.OdooID == nil || int64(*row.OdooID) != soID {
		t.Errorf("needs attention row: error %v, odoo id %v; want Odoo's %q and sale order %d", row.Error, row.OdooID, odooMsg, soID)
	}
	if dlq := h.readTopic(schemas.TopicCommandsDLQ); len(dlq) != 0 {
		t.Errorf("odoo.commands.dlq holds %d records, want none", len(dlq))
	}
	for _, topic := range schemas.RetryTopics {
		if n := len(h.readTopic(topic)); n != 0 {
			t.Errorf("%s holds %d records, want none", topic, n)
		}
	}
	sos := h.odoo.Records("sale.order")
	if len(sos) != 1 || sos[0]["state"] != "sale" || sos[0]["locked"] != true {
		t.Errorf("odoo: %v, want the one sale order still confirmed and locked", sos)
	}
}

// TestBadInputsLoseNothing: unsigned, wrongly signed and unknown-shop webhooks are 401
// and leave nothing in Kafka; a signed but unreadable body is 200 and kept whole in
// shopify.orders.dlq with the reason; a good order afterwards still syncs.
func TestBadInputsLoseNothing(t *testing.T) {
	h := newHarness(t, draftSaleOrders)
	h.start(allStages...)
	body := rawOrder(t, "orders_create.json")

	for _, d := range []delivery{
		{topic: "orders/create", webhookID: "wh-unsigned", body: body, unsigned: true},
		{topic: "orders/create", webhookID: "wh-forged", body: body, signature: shopify.Sign("not-the-secret", body)},
		{topic: "orders/create", webhookID: "wh-tampered", body: append([]byte(" "), body...), signature: shopify.Sign(secret, body)},
		{topic: "orders/create", webhookID: "wh-unknown", body: body, shop: "stranger.myshopify.com"},
	} {
		if code, msg := h.deliver(d); code != 401 {
			t.Errorf("%s: %d %q, want 401", d.webhookID, code, msg)
		}
	}
	for _, topic := range []string{schemas.TopicOrders, schemas.TopicOrdersDLQ} {
		if n := len(h.readTopic(topic)); n != 0 {
			t.Errorf("%s holds %d records after refused webhooks, want 0", topic, n)
		}
	}

	unreadable := body[:len(body)/2] // cut short, signed by Shopify all the same
	if code, msg := h.deliver(delivery{topic: "orders/create", webhookID: "wh-cut", body: unreadable}); code != 200 {
		t.Fatalf("signed unreadable body: %d %q, want 200", code, msg)
	}
	dlq := h.readTopic(schemas.TopicOrdersDLQ)
	if len(dlq) != 1 {
		t.Fatalf("shopify.orders.dlq holds %d records, want 1", len(dlq))
	}
	dl := dlq[0]
	if !bytes.Equal(dl.Value, unreadable) {
		t.Errorf("dead letter value (%d bytes) is not the body (%d bytes)", len(dl.Value), len(unreadable))
	}
	if deadletter.Header(dl, deadletter.HeaderReason) == "" || deadletter.Header(dl, deadletter.HeaderShop) != shopDomain ||
		deadletter.Header(dl, deadletter.HeaderOriginTopic) != "webhook orders/create" || deadletter.Header(dl, deadletter.HeaderStage) != "ingest" ||
		deadletter.Header(dl, "X-Shopify-Webhook-Id") != "wh-cut" {
		t.Errorf("dead letter headers %v", dl.Headers)
	}
	if n := len(h.readTopic(schemas.TopicOrders)); n != 0 {
		t.Errorf("shopify.orders holds %d events, want 0", n)
	}

	// The pipeline goes on: the good delivery syncs.
	h.webhook("orders/create", "wh-good", body)
	h.waitOrder(loadOrder(t, "orders_create.json").id(t), "synced", status("synced"))
	if n := len(h.orderRows()); n != 1 {
		t.Errorf("the API lists %d orders, want 1", n)
	}
}

// TestEmbeddedKafkaKeepsDataAcrossRestart: the embedded Kafka (kfake with a data dir)
// keeps records and committed group offsets when it is stopped and started again.
func TestEmbeddedKafkaKeepsDataAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	const topic, group = "e2e.persist", "e2e-group"
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()

	k1, err := kafka.StartEmbedded("127.0.0.1:0", dir)
	if err != nil {
		t.Fatal(err)
	}
	var closeOnce sync.Once
	closeK1 := func() { closeOnce.Do(k1.Close) }
	t.Cleanup(closeK1)
	cl, err := kgo.NewClient(kgo.SeedBrokers(k1.Addr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 0; i < 5; i++ {
		v := fmt.Sprintf("event-%d", i)
		want = append(want, v)
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte("k"), Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()

	// A group consumer reads three records and commits them.
	gc, err := kgo.NewClient(kgo.SeedBrokers(k1.Addr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	var got []*kgo.Record
	for len(got) < 5 {
		fs := gc.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of 5 records", len(got))
		}
		got = append(got, fs.Records()...)
	}
	if err := gc.CommitRecords(ctx, got[2]); err != nil {
		t.Fatal(err)
	}
	gc.Close()
	closeK1()

	k2, err := kafka.StartEmbedded("127.0.0.1:0", dir)
	if err != nil {
		t.Fatalf("restart on the same data dir: %v", err)
	}
	t.Cleanup(k2.Close)
	adm, err := kgo.NewClient(kgo.SeedBrokers(k2.Addr))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	offs, err := kadm.NewClient(adm).FetchOffsets(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := offs.Lookup(topic, 0); !ok || o.At != 3 {
		t.Errorf("committed offset after restart: %+v (found %v), want 3", o, ok)
	}
	rc, err := kgo.NewClient(kgo.SeedBrokers(k2.Addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var again []string
	for len(again) < 5 {
		fs := rc.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("after restart read %d of 5 records: %v", len(again), again)
		}
		fs.EachRecord(func(r *kgo.Record) { again = append(again, fmt.Sprintf("%d:%s", r.Offset, r.Value)) })
	}
	for i, v := range want {
		if again[i] != fmt.Sprintf("%d:%s", i, v) {
			t.Errorf("record %d after restart = %q, want %d:%s", i, again[i], i, v)
		}
	}
	// The group resumes where it committed.
	gc2, err := kgo.NewClient(kgo.SeedBrokers(k2.Addr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer gc2.Close()
	fs := gc2.PollFetches(ctx)
	if recs := fs.Records(); len(recs) == 0 || recs[0].Offset != 3 || string(recs[0].Value) != "event-3" {
		t.Errorf("group resumed at %v, want offset 3 (event-3)", recordsSummary(recs))
	}
}

func recordsSummary(rs []*kgo.Record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%d:%s", r.Offset, r.Value))
	}
	return out
}
