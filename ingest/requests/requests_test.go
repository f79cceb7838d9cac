package requests

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/synco-dev/synco/ingest/known"
	"github.com/synco-dev/synco/ingest/scan"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopifysim"
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

func setup(t *testing.T) (*shopifysim.Sim, *admin.Client) {
	t.Helper()
	sim, c := shopifysim.StartT(t, shopifysim.Options{Shop: "req.myshopify.com"},
		admin.Config{MaxAttempts: 2, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	sim.SetBucket(2000, 50_000)
	return sim, c
}

// TestManualSyncOfAnUnknownOrder: an order Synco never received by webhook is fetched
// from Shopify whole and sent as a forced manual event; one Shopify does not have
// falls back to the data-less event (the processor re-applies what it holds, if any).
func TestManualSyncOfAnUnknownOrder(t *testing.T) {
	sim, c := setup(t)
	o := sim.AddSampleOrders(1, time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC))[0]
	r := &schemas.SyncRequest{RequestID: "r1", Shop: sim.Shop(), OrderIDs: []int64{o.ID, 42}}
	evs, err := Fetch(context.Background(), c, r, time.Now(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	got := evs[0]
	if !got.Force || got.Origin != schemas.OriginManual || got.Order.ID != o.ID || got.Order.Name != o.Name || len(got.Order.LineItems) != len(o.LineItems) || len(got.Order.Transactions) != 1 || !got.Order.UpdatedAt.Equal(o.UpdatedAt) {
		t.Errorf("fetched event %+v", got)
	}
	if miss := evs[1]; !miss.Force || miss.OrderID != 42 || !miss.Order.UpdatedAt.IsZero() {
		t.Errorf("order shopify lacks: %+v", miss)
	}
	if n := sim.Counters().ByOperation["Order"]; n != 2 {
		t.Errorf("%d Order reads", n)
	}
	// No Admin API client: today's behaviour, no Shopify call.
	evs, _ = Fetch(context.Background(), nil, r, time.Now(), slog.New(slog.DiscardHandler))
	if len(evs) != 2 || !evs[0].Order.UpdatedAt.IsZero() {
		t.Errorf("without a client: %+v", evs)
	}
}

type seen map[int64]known.Seen

func (s seen) Orders(_ context.Context, _ string, ids []int64) (map[int64]known.Seen, error) {
	out := map[int64]known.Seen{}
	for _, id := range ids {
		if v, ok := s[id]; ok {
			out[id] = v
		}
	}
	return out, nil
}

// TestAllEligible: the rules are applied to Shopify's current data (not what Synco last
// saw), orders created outside the settings' dates are not read, and orders already
// synced are left alone.
func TestAllEligible(t *testing.T) {
	sim, c := setup(t)
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	list := sim.AddSampleOrders(6, start)
	before := sim.AddSampleOrders(1, start.AddDate(0, 0, -3))[0] // outside date_from
	sim.EditOrder(list[1].ID, func(o *shopifysim.Order) { o.FinancialStatus = "PENDING" })
	synco := seen{
		list[2].ID: {Status: schemas.StatusSynced},
		list[3].ID: {Status: schemas.StatusFailed},
		// Synco saw list[4] pending (not eligible); Shopify says paid now.
		list[4].ID: {Status: schemas.StatusNotSynced},
	}
	st := schemas.DefaultSettings(sim.Shop())
	st.PaymentStatuses = []string{"paid"}
	st.DateFrom = "2026-03-01"
	var sent []*schemas.OrderEvent
	n, err := AllEligible(context.Background(), c, st, synco, scan.Options{Threshold: 1000}, func(_ context.Context, evs []*schemas.OrderEvent) error {
		sent = append(sent, evs...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]bool{list[0].ID: true, list[3].ID: true, list[4].ID: true, list[5].ID: true}
	if n != len(want) || len(sent) != len(want) {
		t.Fatalf("sent %d (%d events), want %d", n, len(sent), len(want))
	}
	for _, ev := range sent {
		if !want[ev.OrderID] || !ev.Force || ev.Origin != schemas.OriginManual || ev.OrderID == before.ID {
			t.Errorf("sent %d (force %v, origin %s)", ev.OrderID, ev.Force, ev.Origin)
		}
	}
}
