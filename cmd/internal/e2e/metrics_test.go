package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsOfEveryStage: after one order went through, /metrics shows each stage's
// families with the labels an operator filters on.
func TestMetricsOfEveryStage(t *testing.T) {
	h := newHarness(t, draftSaleOrders)
	h.start(allStages...)
	o := loadOrder(t, "orders_create.json")
	h.webhook("orders/create", "wh-1", rawOrder(t, "orders_create.json"))
	h.waitOrder(o.id(t), "synced", status("synced"))
	h.orderRows() // one API call to measure

	h.mu.Lock()
	url := h.ingestURL
	h.mu.Unlock()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	text := string(b)
	for _, want := range []string{
		`synco_webhooks_total{result="accepted",topic="orders/create"} 1`,
		`synco_outcomes_total{stage="sink.odoo",status="synced"} 1`,
		`synco_outcomes_total{stage="processor",status="in_progress"} 1`,
		`synco_processor_events_total{result="decided",topic="orders/create"} 1`,
		`synco_webhook_duration_seconds_count{topic="orders/create"} 1`,
		`synco_odoo_rpc_duration_seconds_count{method="create",model="sale.order",result="ok",shop="` + shopDomain + `"} 1`,
		`synco_odoo_calls_per_order_count{shop="` + shopDomain + `"} 1`,
		`synco_odoo_breaker_state{endpoint="` + h.odooURL + `#synco",state="closed"} 1`,
		`synco_consumer_lag{group="synco-sink-odoo"`,
		`synco_consumer_lag{group="synco-sink-clickhouse"`,
		`synco_clickhouse_batch_rows_count`,
		`synco_clickhouse_insert_duration_seconds_count{table="orders"}`,
		`synco_http_request_duration_seconds_count{code="200",method="GET",route="/api/shops/:shop/orders",server="query"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", grepSynco(text))
	}
}

func grepSynco(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "synco_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
