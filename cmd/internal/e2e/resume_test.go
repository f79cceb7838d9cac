package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/synco-dev/synco/ingest/events"
	"github.com/synco-dev/synco/schemas"
)

// TestAbandonedBackfillResumes: a backfill started through the API whose ingest
// stopped half-way (its job interrupted, the checkpoint inside its range) is taken up
// by an ingest that runs on, without anyone asking again: the orders after the
// checkpoint reach Odoo, those before it are not read again, and the API shows the job
// done with both parts counted.
func TestAbandonedBackfillResumes(t *testing.T) {
	h := newHarness(t, draftSaleOrders)
	sim := h.withShopify()
	day := time.Now().UTC().AddDate(0, 0, -3).Truncate(24 * time.Hour)
	sim.AddSampleOrders(3, day.Add(time.Hour)) // sent before the stop (the checkpoint is past them)
	after := sim.AddSampleOrders(4, day.Add(5*time.Hour))
	p := h.start(append(allStages, stRequests)...)

	d := day.Format(time.DateOnly)
	from, to, err := schemas.BackfillRange(d, d)
	if err != nil {
		t.Fatal(err)
	}
	cp, started := day.Add(3*time.Hour), time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	j := schemas.Job{JobID: schemas.BackfillID(d, d), Shop: shopDomain, Kind: schemas.JobBackfill, Status: schemas.JobInterrupted,
		From: &from, To: &to, Checkpoint: &cp, Mode: "pages", Processed: 3, Emitted: 3, Counts: map[string]int64{},
		StartedAt: started, UpdatedAt: started, RequestedBy: "dev", Owner: "an ingest that stopped"}
	if err := events.SaveJob(context.Background(), p.rt.Publisher, &j); err != nil {
		t.Fatal(err)
	}
	h.start(stResume) // the ingest process that leads the resumption

	h.waitOdoo("the 4 orders after the checkpoint", func() bool { return len(h.odoo.Records("sale.order")) == 4 })
	for _, o := range after {
		h.waitOrder(o.ID, "synced", status(schemas.StatusSynced))
	}
	var job backfillJob
	h.waitOdoo("the resumed job done (GET /backfill)", func() bool {
		code, bj := h.backfillJob()
		job = bj
		return code == 200 && bj.Status == "done"
	})
	if job.JobID != j.JobID || job.Processed != 7 {
		t.Errorf("resumed job %+v, want %s done with 3 + 4 orders", job, j.JobID)
	}
	if n := len(h.odoo.Records("sale.order")); n != 4 {
		t.Errorf("%d sale orders: the orders before the checkpoint were read again", n)
	}

	// A copy of the resumption's request arriving after the run finished (a new leader
	// asking again) is served: Shopify is not read again. The same range asked for
	// through the API now is a new backfill, and runs.
	reads := sim.Counters().Requests
	copyOf := schemas.SyncRequest{RequestID: j.JobID, Shop: shopDomain, OrderIDs: []int64{}, Kind: schemas.RequestBackfill,
		From: &from, To: &to, RequestedBy: "dev", RequestedAt: started}
	if err := p.rt.Publisher.Publish(context.Background(), schemas.TopicRequests, []byte(shopDomain), &copyOf); err != nil {
		t.Fatal(err)
	}
	h.waitCaughtUp("synco-ingest-requests", schemas.TopicRequests)
	time.Sleep(500 * time.Millisecond) // the background run, if it started, reads at once
	if n := sim.Counters().Requests; n != reads {
		t.Errorf("a served copy of the request read Shopify %d times", n-reads)
	}
	if code, _ := h.apiDo("POST", "/api/shops/"+shopDomain+"/backfill", map[string]string{"from": d, "to": d}); code != 202 {
		t.Fatalf("POST backfill: %d", code)
	}
	h.waitOdoo("the backfill asked for again read Shopify", func() bool { return sim.Counters().Requests > reads })
}
