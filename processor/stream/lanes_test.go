package stream

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/schemas"
)

// A partition's records split into lanes: every record in exactly one lane, each key's
// records in one lane and in offset order, and more than one lane for a backlog (a poll
// under load is mostly one partition's: one lane would leave a core idle).
func TestSplitByKeyKeepsEachKeyInOrder(t *testing.T) {
	var recs []*kgo.Record
	for off := range 1000 {
		recs = append(recs, &kgo.Record{Key: fmt.Appendf(nil, "shop.myshopify.com/%d", off%37), Offset: int64(off)})
	}
	lanes := splitByKey(recs, 2)
	if len(lanes) < 2 || len(lanes) > 4 {
		t.Fatalf("%d lanes for 1000 records of 37 keys and 2 workers, want 2 to 4", len(lanes))
	}
	laneOf, seen := map[string]int{}, 0
	for i, lane := range lanes {
		last := map[string]int64{}
		for _, r := range lane {
			seen++
			k := string(r.Key)
			if l, ok := laneOf[k]; ok && l != i {
				t.Fatalf("key %s in lanes %d and %d", k, l, i)
			}
			laneOf[k] = i
			if prev, ok := last[k]; ok && r.Offset <= prev {
				t.Fatalf("key %s: offset %d after %d", k, r.Offset, prev)
			}
			last[k] = r.Offset
		}
	}
	if seen != len(recs) {
		t.Fatalf("lanes hold %d records, want %d", seen, len(recs))
	}
	if got := splitByKey(recs[:10], 2); len(got) != 1 || len(got[0]) != 10 {
		t.Fatalf("a few records: %d lanes, want them in one", len(got))
	}
	if got := splitByKey(nil, 2); len(got) != 0 {
		t.Fatalf("no records: %d lanes", len(got))
	}
}

// A backlog on one partition is decided in several lanes (200 records: more than
// laneRecords) and every order's events still in offset order: each is decided (an
// event decided before an earlier one of its order would be dropped as stale) and the
// changelog holds each order's states with seq 1, 2, 3, 4 in that order.
func TestBacklogOnOnePartitionDecidesEachOrderInOrder(t *testing.T) {
	e := newEnv(t, 1, slog.LevelInfo)
	dir := t.TempDir()
	e.produce(rounds(1, 50, 0, 1, 2, 3)...) // before the start: the first poll holds them all
	a := e.start("a", dir)
	e.waitProcessed(waitFor)
	a.stop()
	checkVersions(t, e.stateOf(dir), 1, 50, 3)
	seqs := map[string][]int64{}
	for _, r := range e.readAll(schemas.TopicProcessorState) {
		var st schemas.OrderState
		if err := e.serde.Decode(context.Background(), schemas.TopicProcessorState, r.Value, &st); err != nil {
			t.Fatal(err)
		}
		seqs[string(r.Key)] = append(seqs[string(r.Key)], st.Seq)
	}
	for id := int64(1); id <= 50; id++ {
		if got := fmt.Sprint(seqs[key(id)]); got != "[1 2 3 4]" {
			t.Errorf("order %d: changelog seqs %s, want [1 2 3 4]", id, got)
		}
	}
}
