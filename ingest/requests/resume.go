package requests

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/ingest/events"
	"github.com/synco-dev/synco/schemas"
)

// StaleAfter is how long a running backfill's record may stand still before its
// process counts as gone: a live one saves its progress every couple of seconds
// (backfill.SaveEvery), also while Shopify runs a bulk operation for it.
const StaleAfter = 2 * time.Minute

// Abandoned are the backfills started through the API that no process runs any more:
// interrupted (their ingest stopped) or running with no progress saved for
// StaleAfter (their ingest died). Failed ones wait for a person (the error says why);
// done ones are done.
func Abandoned(jobs []schemas.Job, now time.Time) []schemas.Job {
	var out []schemas.Job
	for _, j := range jobs {
		if j.Kind != schemas.JobBackfill || j.RequestedBy == schemas.JobByCLI || j.From == nil {
			continue
		}
		switch {
		case j.Status == schemas.JobInterrupted:
		case j.Status == schemas.JobRunning && now.Sub(j.UpdatedAt) >= StaleAfter:
		default:
			continue
		}
		out = append(out, j)
	}
	return out
}

// Resumer asks again for the abandoned backfills (the same request resumes a backfill
// from its checkpoint), so a backfill started through the API finishes even when the
// ingest running it stops or dies. It runs in one ingest process (platform/leader).
// It never writes a job's record (only the process running a backfill does, so none
// is overwritten): what it asked for, it remembers, and asks again only when the job
// has not moved for StaleAfter since (its request may wait behind another long one of
// the shop; the ingest that holds it takes a copy as the same run).
type Resumer struct {
	ClientOpts []kgo.Opt
	Decoder    events.Decoder
	// Request publishes a request to synco.requests.
	Request func(context.Context, schemas.SyncRequest) error
	Log     *slog.Logger
	Now     func() time.Time

	asked map[string]asked // job key → when this Resumer last asked for it
}

type asked struct {
	at      time.Time // when
	updated time.Time // the job's updated_at then
}

// Once reads every job and asks again for the abandoned backfills; it returns how many.
func (r *Resumer) Once(ctx context.Context) (int, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	jobs, err := events.LoadJobs(ctx, r.ClientOpts, r.Decoder, nil, func(key string, err error) {
		if r.Log != nil {
			r.Log.Warn("unreadable job record left out of the abandoned backfills", "key", key, "err", err)
		}
	})
	if err != nil {
		return 0, err
	}
	if r.asked == nil {
		r.asked = map[string]asked{}
	}
	n, t := 0, now()
	for _, j := range Abandoned(jobs, t) {
		key := string(schemas.JobKey(j.Shop, j.Kind, j.JobID))
		if a, ok := r.asked[key]; ok && a.updated.Equal(j.UpdatedAt) && t.Sub(a.at) < StaleAfter {
			continue // asked for; its request waits for its turn
		}
		// RequestedAt is the job's own last time (the clock of the ingest that wrote it),
		// so that a copy of this request arriving after the run finished is served.
		req := schemas.SyncRequest{RequestID: j.JobID, Shop: j.Shop, OrderIDs: []int64{}, Kind: schemas.RequestBackfill,
			From: j.From, To: j.To, RequestedBy: j.RequestedBy, RequestedAt: j.UpdatedAt}
		if err := r.Request(ctx, req); err != nil {
			return n, fmt.Errorf("ask again for backfill %s of %s: %w", j.JobID, j.Shop, err)
		}
		r.asked[key] = asked{at: t, updated: j.UpdatedAt}
		n++
		if r.Log != nil {
			r.Log.Info("backfill abandoned by its ingest asked for again; it resumes from its checkpoint",
				"shop", j.Shop, "job", j.JobID, "was", j.Status, "checkpoint", j.Checkpoint)
		}
	}
	for key, a := range r.asked { // forget what has moved on long since
		if t.Sub(a.at) > 24*time.Hour {
			delete(r.asked, key)
		}
	}
	return n, nil
}

// Loop runs Once every interval until ctx ends; an error is logged and tried again.
func (r *Resumer) Loop(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := r.Once(ctx); err != nil && ctx.Err() == nil && r.Log != nil {
			r.Log.Warn("abandoned backfills not checked; again in a while", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
