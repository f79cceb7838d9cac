package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/synco-dev/synco/schemas"
)

// latestStates is the processor's changelog as compaction leaves it: the last record
// of each key (nil: a tombstone).
func (h *harness) latestStates() map[string]*schemas.OrderState {
	h.t.Helper()
	out := map[string]*schemas.OrderState{}
	for _, r := range h.readTopic(schemas.TopicProcessorState) {
		if r.Value == nil {
			out[string(r.Key)] = nil
			continue
		}
		var st schemas.OrderState
		if err := h.running[0].rt.Serde.Decode(context.Background(), schemas.TopicProcessorState, r.Value, &st); err != nil {
			h.t.Fatal(err)
		}
		out[string(r.Key)] = &st
	}
	return out
}

// chCount counts the rows of a table matching a condition on the shop's rows.
func (h *harness) chCount(table, cond string, args ...any) uint64 {
	h.t.Helper()
	var n uint64
	q := fmt.Sprintf("SELECT count() FROM %s WHERE shop = ? AND (%s)", table, cond)
	if err := h.ch.Conn.QueryRow(context.Background(), q, append([]any{shopDomain}, args...)...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestPrivacyWebhooks: customers/redact takes the customer's personal data out of the
// processor's stored snapshots (a redacted record replaces each in the compacted
// changelog) and out of ClickHouse's rows, leaving other customers alone; shop/redact
// does it for every order and deletes the shop's rows; app/uninstalled
// stops the shop's sync and keeps its data. Each is answered 200.
func TestPrivacyWebhooks(t *testing.T) {
	h := newHarness(t, draftSaleOrders)
	h.start(allStages...)
	ada := variant(t, 5_531_234_500_001, 5001, "2025-05-01T09:00:00Z", "2025-05-01T09:00:00Z", "paid")
	ada["email"], ada["contact_email"] = "ada@example.com", "ada@example.com"
	ada["customer"].(map[string]any)["email"] = "ada@example.com"
	other := variant(t, 5_531_234_500_002, 5002, "2025-05-01T09:00:00Z", "2025-05-01T09:00:00Z", "paid")
	h.webhook("orders/create", "wh-ada", ada.body(t))
	h.webhook("orders/create", "wh-other", other.body(t))
	h.waitOrder(ada.id(t), "synced", status(schemas.StatusSynced))
	h.waitOrder(other.id(t), "synced", status(schemas.StatusSynced))
	h.waitCaughtUp("synco-sink-clickhouse", schemas.TopicOutcomes)
	if h.chCount("sync_events", "email = 'ada@example.com'") == 0 {
		t.Fatal("ClickHouse has no row with the customer's email: the redaction below would prove nothing")
	}

	redact := fmt.Sprintf(`{"shop_id": 1, "shop_domain": %q, "customer": {"id": 191167, "email": "ada@example.com", "phone": "555-625-1199"}, "orders_to_redact": [%d]}`, shopDomain, ada.id(t))
	if code, msg := h.deliver(delivery{topic: "customers/redact", webhookID: "wh-redact", body: []byte(redact)}); code != 200 {
		t.Fatalf("customers/redact: %d %s", code, msg)
	}
	keyAda, keyOther := string(schemas.OrderKey(shopDomain, ada.id(t))), string(schemas.OrderKey(shopDomain, other.id(t)))
	h.waitOdoo("the stored snapshot redacted", func() bool {
		st := h.latestStates()[keyAda]
		return st != nil && st.Order.Email == "" && st.Order.Customer == nil && st.Order.BillingAddress == nil && st.Order.ShippingAddress == nil
	})
	if st := h.latestStates()[keyOther]; st == nil || st.Order.Email == "" || st.Order.Customer == nil {
		t.Errorf("another customer's order was redacted: %+v", st)
	}
	h.waitOdoo("ClickHouse's rows of the customer redacted", func() bool {
		return h.chCount("sync_events", "email LIKE '%ada@%' OR customer != '' AND order_id = ?", ada.id(t)) == 0 &&
			h.chCount("orders", "email != '' AND order_id = ?", ada.id(t)) == 0
	})
	// What people see (the API reads whole rows from orders' doc column) is redacted too.
	if d := h.orderDetail(ada.id(t)); d.Email != "" || d.Customer != "" {
		t.Errorf("the API still shows the redacted customer: %q %q", d.Email, d.Customer)
	}
	if h.chCount("sync_events", "order_id = ? AND email != ''", other.id(t)) == 0 {
		t.Error("another customer's rows lost their email")
	}
	if n := len(h.recordsWhere("sale.order", "origin", stableKey(ada.id(t)))); n != 1 {
		t.Errorf("odoo holds %d sale orders of the redacted customer's order (the merchant's books stay)", n)
	}

	// app/uninstalled: the sync stops, the data stays.
	if code, msg := h.deliver(delivery{topic: "app/uninstalled", webhookID: "wh-uninstalled", body: []byte(`{"id": 1, "domain": "` + shopDomain + `"}`)}); code != 200 {
		t.Fatalf("app/uninstalled: %d %s", code, msg)
	}
	var st map[string]any
	h.waitOdoo("auto sync off", func() bool { h.apiGet("/api/shops/"+shopDomain+"/settings", &st); return st["auto_sync"] == false })
	late := variant(t, 5_531_234_500_003, 5003, "2025-05-02T09:00:00Z", "2025-05-02T09:00:00Z", "paid")
	h.webhook("orders/create", "wh-late", late.body(t))
	if row := h.waitOrder(late.id(t), "recorded", status(schemas.StatusNotSynced)); row.Error == nil || !strings.Contains(*row.Error, "Auto Order Sync is off") {
		t.Errorf("after uninstall: %+v", row)
	}
	if len(h.orderRows()) != 3 {
		t.Errorf("the shop's data was not kept: %d rows", len(h.orderRows()))
	}

	if code, msg := h.deliver(delivery{topic: "shop/redact", webhookID: "wh-shop-redact", body: []byte(`{"shop_id": 1, "shop_domain": "` + shopDomain + `"}`)}); code != 200 {
		t.Fatalf("shop/redact: %d %s", code, msg)
	}
	h.waitOdoo("every stored snapshot of the shop redacted", func() bool {
		for _, k := range []string{keyAda, keyOther, string(schemas.OrderKey(shopDomain, late.id(t)))} {
			if st := h.latestStates()[k]; st == nil || st.Order.Email != "" || st.Order.Customer != nil {
				return false
			}
		}
		return true
	})
	h.waitOdoo("the shop's ClickHouse rows deleted", func() bool {
		return h.chCount("sync_events", "1") == 0 && h.chCount("orders", "1") == 0
	})
	h.waitOdoo("auto sync still off", func() bool { h.apiGet("/api/shops/"+shopDomain+"/settings", &st); return st["auto_sync"] == false })
}
