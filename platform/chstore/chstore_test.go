package chstore_test

import (
	"context"
	"testing"

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
			"odoo_model", "odoo_id", "error", "updated_at"},
		"sync_events": {"outcome_id", "shop", "order_id", "stage", "at", "status", "error", "latency_ms"},
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
