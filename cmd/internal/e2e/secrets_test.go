package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopifysim"
)

// TestSecretsNeverLeak runs Synco through webhooks, the write-back, a Shopify outage,
// an Odoo refusal, a backfill, a reconciliation and the API, with distinctive secrets:
// the Admin API token stored through the API (the config holds a stale one), the
// webhook secret, the Odoo password (in the config and stored through the API) and the
// encryption key. None of them appears in
// any log line, any record of any Kafka topic (the stored token is sealed), any
// ClickHouse row, any API answer or any command's output.
func TestSecretsNeverLeak(t *testing.T) {
	const (
		odooPassword = "odoo-pw-Zq8xV3kP"
		staleToken   = "shpat_stale_config_token_5551"
	)
	key := base64.StdEncoding.EncodeToString([]byte("e2e-secret-key-32-bytes-long!!!!"))
	h := newHarnessWith(t, draftSaleOrders, odooPassword)
	sim := h.withShopify()
	h.configToken, h.secretKey = staleToken, key
	secrets := map[string]string{"admin token": adminToken, "stale config token": staleToken, "webhook secret": secret,
		"odoo password": odooPassword, "secret key": key}
	var outputs []string // API answers and command outputs

	// The right token goes in through the API, before the pipeline starts.
	q := h.start(stQuery)
	// The Odoo password too (the one Odoo has; the sink then logs in with the stored one).
	code, b := h.apiDo(http.MethodPut, "/api/shops/"+shopDomain+"/credentials", map[string]string{"admin_api_token": adminToken, "odoo_password": odooPassword})
	if code != http.StatusOK {
		t.Fatalf("PUT credentials: %d %s", code, b)
	}
	outputs = append(outputs, string(b))
	q.stop()

	h.start(append(allStages, stRequests, stSubscriptions)...)
	h.waitSubscribed(9) // with the stored token: the config's is refused

	list := sim.AddSampleOrders(3, time.Now().Add(-2*time.Hour))
	h.deliverSim("orders/create", list[0].ID)
	so := func(id int64) string { return fmt.Sprint(toInt64(saleOrderOf(h, id)["id"])) }
	h.waitOrder(list[0].ID, "synced", status(schemas.StatusSynced))
	h.waitOdoo("the write-back", func() bool { return h.metafield(list[0].ID) == so(list[0].ID) })
	// Shopify down for the write-back of the next: delayed, with Shopify's error.
	sim.InjectFault(shopifySimFault(503), shopifySimFault(503), shopifySimFault(503), shopifySimFault(503), shopifySimFault(503), shopifySimFault(503))
	h.deliverSim("orders/create", list[1].ID)
	h.waitOrder(list[1].ID, "delayed by the write-back", status(schemas.StatusDelayed))
	// Odoo refuses the third.
	h.odoo.FailNext("sale.order", "create", 1)
	h.deliverSim("orders/create", list[2].ID)
	h.waitOrder(list[2].ID, "delayed by Odoo", status(schemas.StatusDelayed))

	for _, args := range [][]string{
		{"backfill", "--shop", shopDomain, "--from", time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)},
		{"reconcile", "--shop", shopDomain},
	} {
		code, out := h.synco(args...)
		if code != 0 {
			t.Fatalf("synco %v: exit %d\n%s", args, code, out)
		}
		outputs = append(outputs, out)
	}
	for _, path := range []string{"/settings", "/orders?limit=250", fmt.Sprintf("/orders/%d", list[1].ID), fmt.Sprintf("/orders/%d", list[2].ID), "/credentials", "/backfill", "/jobs"} {
		code, b := h.apiDo(http.MethodGet, "/api/shops/"+shopDomain+path, nil)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, code, b)
		}
		outputs = append(outputs, string(b))
	}
	h.waitCaughtUp("synco-sink-clickhouse", schemas.TopicOutcomes)

	check := func(where, text string) {
		t.Helper()
		for name, s := range secrets {
			if strings.Contains(text, s) {
				i := strings.Index(text, s)
				t.Errorf("the %s is in %s: …%s…", name, where, text[max(0, i-120):min(len(text), i+len(s)+40)])
			}
		}
	}
	check("the logs", h.logs.tail(1<<30))
	for i, o := range outputs {
		check(fmt.Sprintf("output %d", i), o)
	}
	// Every record of every topic: keys, values, headers.
	topics, err := kadm.NewClient(h.admin).ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, topic := range topics.Names() {
		var buf bytes.Buffer
		for _, r := range h.readTopic(topic) {
			seen++
			buf.Write(r.Key)
			buf.Write(r.Value)
			for _, hd := range r.Headers {
				buf.WriteString(hd.Key)
				buf.Write(hd.Value)
			}
		}
		check("topic "+topic, buf.String())
	}
	if seen == 0 {
		t.Fatal("no Kafka record read: the check above checked nothing")
	}
	// Every row of every ClickHouse table.
	ctx := context.Background()
	rows, err := h.ch.Conn.Query(ctx, "SELECT name FROM system.tables WHERE database = ?", h.ch.Config.Database)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	cells := 0
	for _, table := range tables {
		text, n := dumpTable(t, h, table)
		cells += n
		check("ClickHouse table "+table, text)
	}
	if cells == 0 {
		t.Fatal("no ClickHouse row read: the check above checked nothing")
	}
}

func shopifySimFault(status int) shopifysim.Fault {
	return shopifysim.Fault{Op: "MetafieldsSet", Status: status}
}

// dumpTable is every value of a table as text, and how many cells it read.
func dumpTable(t *testing.T, h *harness, table string) (string, int) {
	t.Helper()
	rows, err := h.ch.Conn.Query(context.Background(), "SELECT * FROM "+table)
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	var b strings.Builder
	n := 0
	types := rows.ColumnTypes()
	for rows.Next() {
		vals := make([]any, len(types))
		for i, ct := range types {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		for _, v := range vals {
			fmt.Fprintf(&b, "%v\t", reflect.ValueOf(v).Elem().Interface())
			n++
		}
		b.WriteByte('\n')
	}
	return b.String(), n
}
