package chstore_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/chstore/chtest"
)

// The example queries of the README's "ClickHouse for analysts" run, and return rows,
// on a database with a few orders and outcomes.
func TestReadmeQueries(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## ClickHouse for analysts")
	_, block, ok2 := strings.Cut(section, "```sql\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md has no ```sql block under \"## ClickHouse for analysts\"")
	}
	db := chtest.New(t)
	ctx := context.Background()
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	o := chstore.OrderRow{Shop: "demo.myshopify.com", OrderID: 1, UpdatedAt: at, Version: 1,
		OrderState: chstore.OrderState{OrderName: "#1001", CreatedAt: at,
			Total: decimal.RequireFromString("12.5"), Currency: "EUR", IneligibleReasons: []string{},
			Status: "in_progress"},
		OrderFacts: chstore.OrderFacts{Warnings: []string{}, RefundedAmount: decimal.Zero,
			PaymentGateways: []string{"shopify_payments"}}}
	synced := o
	synced.Status, synced.OdooName, synced.InvoiceState, synced.RefundedAmount, synced.Cancelled = "synced", "S1", "posted", decimal.RequireFromString("2.5"), 1
	for _, r := range []chstore.OrderRow{o, synced} {
		if err := chstore.ReplaceOrders(ctx, db.Conn, []chstore.OrderRow{r}); err != nil {
			t.Fatal(err)
		}
	}
	ev := func(id, stage, status string, at time.Time) chstore.EventRow {
		return chstore.EventRow{OutcomeID: id, Shop: o.Shop, OrderID: 1, Stage: stage, At: at, AtMs: uint64(at.UnixMilli()),
			LatencyMs: 120, RPCCalls: 2,
			OrderState: chstore.OrderState{Total: o.Total, IneligibleReasons: []string{}, Status: status},
			OrderFacts: chstore.OrderFacts{Warnings: []string{"rounded"}, RefundedAmount: decimal.Zero,
				PaymentGateways: []string{}}}
	}
	reconciled := func(e chstore.EventRow) chstore.EventRow { e.Origin = "reconcile"; return e }
	if err := chstore.InsertEventRows(ctx, db.Conn, []chstore.EventRow{ev("a", "processor", "in_progress", at),
		ev("b", "sink.odoo", "failed", at.Add(time.Second)), reconciled(ev("c", "sink.odoo", "synced", at.Add(time.Minute)))}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, q := range strings.Split(block, ";") {
		var lines []string
		for _, l := range strings.Split(q, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "--") {
				lines = append(lines, l)
			}
		}
		if len(lines) == 0 {
			continue
		}
		q = strings.ReplaceAll(strings.Join(lines, " "), "synco.", db.Config.Database+".")
		rows, err := db.Conn.Query(ctx, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		got := 0
		for rows.Next() {
			got++
		}
		rows.Close()
		if got == 0 {
			t.Errorf("%s: no rows", q)
		}
		n++
	}
	if n < 5 {
		t.Errorf("ran %d README queries", n)
	}
}
