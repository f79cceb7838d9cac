package requests

import (
	"testing"
	"time"

	"github.com/synco-dev/synco/schemas"
)

func TestEventsAreForcedPerOrder(t *testing.T) {
	r := &schemas.SyncRequest{RequestID: "r1", Shop: "s.myshopify.com", OrderIDs: []int64{5, 820982911946154508}}
	evs := Events(r, time.Now())
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	for i, ev := range evs {
		if !ev.Force || ev.Origin != schemas.OriginManual || ev.OrderID != r.OrderIDs[i] || ev.Shop != r.Shop || ev.EventID == "" {
			t.Errorf("event %d: %+v", i, ev)
		}
	}
	if evs[0].EventID == evs[1].EventID {
		t.Error("events share an id: the processor would drop the second as a duplicate")
	}
}
