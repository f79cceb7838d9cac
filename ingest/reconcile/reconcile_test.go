package reconcile

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/synco-dev/synco/ingest/known"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopifysim"
)

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

type settings struct{}

func (settings) Effective(shop string) schemas.ShopSettings { return schemas.DefaultSettings(shop) }

// TestRunReEmitsWhatSyncoMissed: of the orders Shopify updated in the window, those
// Synco never saw and those it saw only in an older version are fetched and re-emitted
// as reconcile events; the rest, and orders outside the window, are left alone.
func TestRunReEmitsWhatSyncoMissed(t *testing.T) {
	sim, c := shopifysim.StartT(t, shopifysim.Options{Shop: "rec.myshopify.com"}, admin.Config{})
	now := time.Now().UTC().Truncate(time.Second)
	list := sim.AddSampleOrders(4, now.Add(-3*time.Hour))
	old := sim.AddSampleOrders(1, now.AddDate(0, 0, -10))[0] // updated before the window
	missing, stale, current := list[0], list[1], list[2]
	sim.EditOrder(stale.ID, func(o *shopifysim.Order) { o.FinancialStatus = "REFUNDED" })
	s, _ := sim.Order(stale.ID)
	k := seen{
		stale.ID:   {Version: s.UpdatedAt.Add(-time.Minute).UnixMilli(), Status: schemas.StatusSynced},
		current.ID: {Version: current.UpdatedAt.UnixMilli(), Status: schemas.StatusSynced},
		list[3].ID: {Version: list[3].UpdatedAt.UnixMilli() + 1000, Status: schemas.StatusSynced}, // ClickHouse ahead: fine
		old.ID:     {Version: 1},
	}
	var emitted []*schemas.OrderEvent
	var jobs []schemas.Job
	counter := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x"}, []string{"shop", "result"})
	r := &Reconciler{Clients: shopifysim.Clients{sim.Shop(): c}, Known: k, Settings: settings{}, Counter: counter,
		Emit: func(_ context.Context, evs []*schemas.OrderEvent) error {
			emitted = append(emitted, evs...)
			return nil
		},
		Save: func(_ context.Context, j *schemas.Job) error { jobs = append(jobs, *j); return nil }}
	cn, err := r.Run(context.Background(), sim.Shop(), "cli-1", now.Add(-Overlap), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if cn != (Counts{Listed: 4, Missing: 1, Stale: 1, Emitted: 2}) {
		t.Errorf("counts %+v", cn)
	}
	got := map[int64]*schemas.OrderEvent{}
	for _, ev := range emitted {
		got[ev.OrderID] = ev
		if ev.Origin != schemas.OriginReconcile || ev.Force || len(ev.Order.LineItems) == 0 {
			t.Errorf("event %+v", ev)
		}
	}
	if got[missing.ID] == nil || got[stale.ID] == nil || got[stale.ID].Order.FinancialStatus != "refunded" || len(got) != 2 {
		t.Errorf("re-emitted %v", got)
	}
	last := jobs[len(jobs)-1]
	if last.Status != schemas.JobDone || last.Kind != schemas.JobReconcile || last.Counts["missing"] != 1 || last.Counts["stale"] != 1 || last.Counts["emitted"] != 2 {
		t.Errorf("job %+v", last)
	}
	if v := testutil.ToFloat64(counter.WithLabelValues(sim.Shop(), "emitted")); v != 2 {
		t.Errorf("emitted counter %v", v)
	}
	if v := testutil.ToFloat64(counter.WithLabelValues(sim.Shop(), "listed")); v != 4 {
		t.Errorf("listed counter %v", v)
	}
}
