package backfill

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/synco-dev/synco/ingest/scan"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopifysim"
)

var day = time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)

func setup(t *testing.T) (*shopifysim.Sim, *admin.Client) {
	t.Helper()
	return shopifysim.StartT(t, shopifysim.Options{Shop: "bf.myshopify.com", BulkPolls: 2},
		admin.Config{BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond})
}

// kafka stands for shopify.orders and synco.jobs: what was emitted and saved.
type kafka struct {
	mu     sync.Mutex
	events []*schemas.OrderEvent
	jobs   []schemas.Job
}

func (k *kafka) emit(_ context.Context, evs []*schemas.OrderEvent) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.events = append(k.events, evs...)
	return nil
}

func (k *kafka) save(_ context.Context, j *schemas.Job) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.jobs = append(k.jobs, *j)
	return nil
}

func (k *kafka) last() schemas.Job {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.jobs[len(k.jobs)-1]
}

// orders adds n orders created a minute apart from day, and returns their ids.
func orders(sim *shopifysim.Sim, n int) map[int64]bool {
	ids := map[int64]bool{}
	for _, o := range sim.AddSampleOrders(n, day.Add(time.Hour)) {
		ids[o.ID] = true
	}
	return ids
}

// once checks that every order was emitted, exactly once, as a backfill event.
func once(t *testing.T, want map[int64]bool, evs []*schemas.OrderEvent) {
	t.Helper()
	seen := map[int64]int{}
	for _, ev := range evs {
		seen[ev.OrderID]++
		if ev.Origin != schemas.OriginBackfill || ev.Force || ev.Order.ID != ev.OrderID || len(ev.Order.LineItems) == 0 || len(ev.Order.Transactions) == 0 {
			t.Fatalf("event %s: origin %s force %v, %d lines, %d transactions", ev.EventID, ev.Origin, ev.Force, len(ev.Order.LineItems), len(ev.Order.Transactions))
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("order %d emitted %d times", id, seen[id])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d orders emitted, want %d", len(seen), len(want))
	}
}

// TestBackfillAcrossPages: a range of more than a page of orders, under the threshold,
// is listed page by page and each order read whole; none missed, none twice.
func TestBackfillAcrossPages(t *testing.T) {
	sim, c := setup(t)
	sim.SetBucket(2000, 50_000) // many small reads: a fast-restoring bucket keeps the test short
	want := orders(sim, admin.PageSize+10)
	// Outside the range: before it and after it.
	sim.AddSampleOrders(1, day.Add(-time.Hour))
	sim.AddSampleOrders(1, day.AddDate(0, 0, 2))
	k := &kafka{}
	var progress []Progress
	from, to, _ := Window("2026-01-10", "2026-01-11")
	b := &Backfill{Shop: sim.Shop(), From: from, To: to, Client: c, Options: scan.Options{Threshold: 1000}, Emit: k.emit, Save: k.save,
		Progress: func(p Progress) { progress = append(progress, p) }}
	job, err := b.Run(context.Background(), JobID("2026-01-10", "2026-01-11"))
	if err != nil {
		t.Fatal(err)
	}
	once(t, want, k.events)
	if job.Status != schemas.JobDone || job.Mode != scan.Pages || job.Processed != int64(len(want)) || job.Emitted != int64(len(want)) || !job.Checkpoint.Equal(to) {
		t.Errorf("job %+v", job)
	}
	if n := sim.Counters().ByOperation["Orders"]; n != 2 {
		t.Errorf("%d Orders pages, want 2", n)
	}
	if len(progress) == 0 || progress[len(progress)-1].Fraction != 1 || progress[0].Total != len(want) {
		t.Errorf("progress %+v", progress)
	}
	if k.last().Status != schemas.JobDone {
		t.Errorf("last saved job %+v", k.last())
	}
}

// TestBackfillBulkOnASmallBucket: over the threshold, a bulk operation reads the range;
// the client waits for the shop's small bucket rather than letting Shopify throttle.
func TestBackfillBulkOnASmallBucket(t *testing.T) {
	sim, c := setup(t)
	want := orders(sim, admin.PageSize+60)
	sim.SetBucket(300, 200) // a listing page asks ~250 points: the second must wait for the first's
	k := &kafka{}
	from, _, _ := Window("2026-01-01", "")
	b := &Backfill{Shop: sim.Shop(), From: from, Client: c, Options: scan.Options{Threshold: admin.PageSize + 50, Poll: time.Millisecond},
		Emit: k.emit, Save: k.save}
	job, err := b.Run(context.Background(), JobID("2026-01-01", ""))
	if err != nil {
		t.Fatal(err)
	}
	once(t, want, k.events)
	if job.Status != schemas.JobDone || job.Mode != scan.Bulk {
		t.Errorf("job %+v", job)
	}
	cn := sim.Counters()
	if cn.ByOperation["BulkOperationRunQuery"] != 1 || cn.ByOperation["Order"] != 0 {
		t.Errorf("operations %v: want one bulk operation and no single reads", cn.ByOperation)
	}
	if cn.Throttled != 0 || cn.MinAvailable < 0 {
		t.Errorf("the bucket was exceeded: %d THROTTLED, lowest %v", cn.Throttled, cn.MinAvailable)
	}
	if c.Bucket().Waited() == 0 {
		t.Error("the client never waited for points: the bucket was not small enough to test anything")
	}
}

// TestBackfillInterruptedResumes: an interrupted backfill saves its checkpoint; the same
// range run again with that record starts there, and together the runs miss nothing.
// A run of a finished range emits the same events again (their ids are stable), which
// the processor drops.
func TestBackfillInterruptedResumes(t *testing.T) {
	sim, c := setup(t)
	sim.SetBucket(2000, 50_000)
	want := orders(sim, 120)
	from, to, _ := Window("2026-01-10", "2026-01-10")
	ctx, cancel := context.WithCancel(context.Background())
	k := &kafka{}
	stopAfter := func(_ context.Context, evs []*schemas.OrderEvent) error {
		k.emit(ctx, evs)
		if len(k.events) >= 50 {
			cancel()
			return context.Canceled
		}
		return nil
	}
	b := &Backfill{Shop: sim.Shop(), From: from, To: to, Client: c, Options: scan.Options{Threshold: 1000}, Emit: stopAfter, Save: k.save, Batch: 10, SaveEvery: time.Nanosecond}
	job, err := b.Run(ctx, "r")
	if !errors.Is(err, context.Canceled) || job.Status != schemas.JobInterrupted || job.Checkpoint == nil {
		t.Fatalf("interrupted: %v, %+v", err, job)
	}
	saved := k.last()
	if saved.Status != schemas.JobInterrupted || saved.Checkpoint == nil || !saved.Checkpoint.After(from) {
		t.Fatalf("checkpoint not saved: %+v", saved)
	}
	first := len(k.events)

	k2 := &kafka{}
	b2 := &Backfill{Shop: sim.Shop(), From: from, To: to, Client: c, Options: scan.Options{Threshold: 1000}, Emit: k2.emit, Save: k2.save, Resume: &saved}
	job2, err := b2.Run(context.Background(), "r")
	if err != nil || job2.Status != schemas.JobDone {
		t.Fatalf("resumed: %v %+v", err, job2)
	}
	if len(k2.events) >= len(want) {
		t.Errorf("the resumed run emitted %d of %d: it started over", len(k2.events), len(want))
	}
	seen := map[int64]bool{}
	for _, ev := range append(append([]*schemas.OrderEvent{}, k.events[:first]...), k2.events...) {
		seen[ev.OrderID] = true
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("order %d missed across the interruption", id)
		}
	}

	done := k2.last()
	k3 := &kafka{}
	b3 := &Backfill{Shop: sim.Shop(), From: from, To: to, Client: c, Options: scan.Options{Threshold: 1000}, Emit: k3.emit, Save: k3.save, Resume: &done}
	if _, err := b3.Run(context.Background(), "r"); err != nil {
		t.Fatal(err)
	}
	once(t, want, k3.events)
	ids := map[string]bool{}
	for _, ev := range k2.events {
		ids[ev.EventID] = true
	}
	for _, ev := range k3.events {
		if _, inFirst := seen[ev.OrderID]; inFirst && !ids[ev.EventID] && ev.Order.CreatedAt.After(*saved.Checkpoint) {
			t.Errorf("a second run gave order %d a new event id %s", ev.OrderID, ev.EventID)
		}
	}
}

func TestWindow(t *testing.T) {
	f, to, err := Window("2026-01-01", "2026-01-31")
	if err != nil || !f.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || !to.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("%v %v %v", f, to, err)
	}
	for _, c := range [][2]string{{"yesterday", ""}, {"2026-02-01", "2026-01-01"}, {"2026-01-01", "soon"}} {
		if _, _, err := Window(c[0], c[1]); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
}
