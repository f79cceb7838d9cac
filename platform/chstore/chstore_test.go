package chstore_test

import (
	"context"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/chstore/chtest"
)

// Every stage migrates at start, possibly several at once: a second run must be a no-op.
func TestMigrateTwice(t *testing.T) {
	db := chtest.NewEmpty(t)
	ctx := context.Background()
	for i := range 2 {
		if err := chstore.Migrate(ctx, db.Conn); err != nil {
			t.Fatalf("migrate run %d: %v", i+1, err)
		}
	}

	rows, err := db.Conn.Query(ctx, "SELECT version, count() FROM schema_migrations GROUP BY version ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[uint32]uint64{}
	for rows.Next() {
		var v uint32
		var n uint64
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		got[v] = n
	}
	if len(got) != len(chstore.Migrations) {
		t.Errorf("schema_migrations has %d versions, want %d: %v", len(got), len(chstore.Migrations), got)
	}
	for _, m := range chstore.Migrations {
		if got[uint32(m.Version)] != 1 {
			t.Errorf("migration %d recorded %d times, want 1", m.Version, got[uint32(m.Version)])
		}
	}

	// The columns the contract promises analysts.
	for table, cols := range map[string][]string{
		"orders": {"shop", "order_id", "order_name", "created_at", "email", "total", "currency",
			"financial_status", "fulfillment_status", "source", "eligible", "status",
			"odoo_model", "odoo_id", "error", "updated_at",
			"warnings", "invoice_state", "payment_state", "refunded_amount", "cancelled", "payment_gateways"},
		"sync_events": {"outcome_id", "shop", "order_id", "stage", "at", "status", "error", "latency_ms",
			"warnings", "invoice_state", "payment_state", "refunded_amount", "cancelled", "payment_gateways", "origin"},
		"order_counts": {"shop", "kind", "status", "eligible", "odoo_model", "has_invoice", "bucket", "n"},
	} {
		for _, c := range cols {
			var n uint64
			if err := db.Conn.QueryRow(ctx,
				"SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?",
				db.Config.Database, table, c).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("%s.%s missing", table, c)
			}
		}
	}
}

// A sync_events table from before origin was a column (its rows written without it)
// gains the column at the next Migrate; the old rows read as empty, new ones keep it.
func TestMigrateAddsOriginToOldEvents(t *testing.T) {
	db := chtest.NewEmpty(t)
	ctx := context.Background()
	if err := chstore.Migrate(ctx, db.Conn); err != nil {
		t.Fatal(err)
	}
	if err := db.Conn.Exec(ctx, "ALTER TABLE sync_events DROP COLUMN origin"); err != nil {
		t.Fatal(err)
	}
	if err := db.Conn.Exec(ctx, "INSERT INTO sync_events (outcome_id, shop, order_id, stage, at, at_ms) SELECT 'old', 's', 1, 'processor', now(), 1"); err != nil {
		t.Fatal(err)
	}
	if err := chstore.Migrate(ctx, db.Conn); err != nil {
		t.Fatalf("migrate over the old table: %v", err)
	}
	e := chstore.EventRow{OutcomeID: "new", Shop: "s", OrderID: 1, Stage: "processor", AtMs: 2, Origin: "reconcile",
		OrderState: chstore.OrderState{IneligibleReasons: []string{}}, OrderFacts: chstore.OrderFacts{Warnings: []string{}, PaymentGateways: []string{}}}
	if err := chstore.InsertEventRows(ctx, db.Conn, []chstore.EventRow{e}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Conn.Query(ctx, "SELECT outcome_id, origin FROM sync_events ORDER BY outcome_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var id, origin string
		if err := rows.Scan(&id, &origin); err != nil {
			t.Fatal(err)
		}
		got[id] = origin
	}
	if len(got) != 2 || got["old"] != "" || got["new"] != "reconcile" {
		t.Errorf("origins %v, want old empty and new reconcile", got)
	}
}

// Open creates the database it is given when it does not exist yet.
func TestOpenCreatesDatabase(t *testing.T) {
	db := chtest.NewEmpty(t) // chtest opens through chstore.Open with a new name
	var n uint64
	if err := db.Conn.QueryRow(context.Background(),
		"SELECT count() FROM system.databases WHERE name = ?", db.Config.Database).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("database %s not created", db.Config.Database)
	}
}

// The tables have exactly the declared columns with the declared types.
func TestTablesAsDeclared(t *testing.T) {
	db := chtest.New(t)
	ctx := context.Background()
	for table, typ := range map[string]reflect.Type{"orders": reflect.TypeFor[chstore.OrderRow](), "sync_events": reflect.TypeFor[chstore.EventRow]()} {
		got := map[string]string{}
		rows, err := db.Conn.Query(ctx, "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = ? AND default_kind != 'MATERIALIZED'", table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n, ty string
			if err := rows.Scan(&n, &ty); err != nil {
				t.Fatal(err)
			}
			got[n] = ty
		}
		rows.Close()
		want := map[string]string{}
		for _, f := range reflect.VisibleFields(typ) {
			if f.Anonymous { // an embedded struct's fields are columns in its place
				continue
			}
			want[f.Tag.Get("ch")] = f.Tag.Get("type")
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s has columns %v, declared %v", table, got, want)
		}
	}
}

// One process migrates while the others wait for it.
func TestMigrationLock(t *testing.T) {
	db := chtest.New(t)
	ctx := context.Background()
	unlock, err := chstore.Lock(ctx, db.Conn)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		unlock2, err := chstore.Lock(ctx, db.Conn)
		if err == nil {
			unlock2()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("a second lock was taken while the first was held (%v)", err)
	case <-time.After(1500 * time.Millisecond):
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatalf("the second lock after the first was released: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	unlock, err = chstore.Lock(ctx, db.Conn)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := chstore.Lock(short, db.Conn); err == nil || !strings.Contains(err.Error(), "another process is migrating") {
		t.Errorf("waiting past the deadline: %v", err)
	}
}
