package known

import (
	"context"
	"testing"
	"time"

	"github.com/synco-dev/synco/platform/chstore/chtest"
)

func TestOrdersFromSyncEvents(t *testing.T) {
	db := chtest.New(t)
	ctx := context.Background()
	b, err := db.Conn.PrepareBatch(ctx, "INSERT INTO sync_events (outcome_id, shop, order_id, version, stage, at, at_ms, status)")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ms := uint64(at.UnixMilli())
	for _, r := range []struct {
		id      string
		shop    string
		order   uint64
		version uint64
		stage   string
		atMs    uint64
		status  string
	}{
		{"a1", "s.myshopify.com", 1, 100, "processor", ms, "in_progress"},
		{"a2", "s.myshopify.com", 1, 100, "sink.odoo", ms, "synced"}, // same millisecond: the sink's wins
		{"b1", "s.myshopify.com", 2, 100, "sink.odoo", ms, "synced"},
		{"b2", "s.myshopify.com", 2, 200, "processor", ms + 5, "not_synced"},
		{"c1", "other.myshopify.com", 3, 100, "processor", ms, "synced"},
	} {
		if err := b.Append(r.id, r.shop, r.order, r.version, r.stage, at, r.atMs, r.status); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	got, err := ClickHouse{db.Conn}.Orders(ctx, "s.myshopify.com", []int64{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]Seen{1: {100, "synced"}, 2: {200, "not_synced"}}
	if len(got) != len(want) || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("got %v, want %v", got, want)
	}
}
