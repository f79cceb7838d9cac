package stream

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
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
