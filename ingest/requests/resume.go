package requests

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/ingest/events"
	"github.com/synco-dev/synco/platform/consume"
	"github.com/synco-dev/synco/schemas"
)

// StaleAfter is how long a running backfill's record may stand still before its
// process counts as gone: a live one saves its progress every couple of seconds
// (backfill.SaveEvery), also while Shopify runs a bulk operation for it.
const StaleAfter = 2 * time.Minute

// ByCLI is the requested_by of a backfill run by `synco backfill`: the person at the
// terminal resumes it (the same command), so it is never resumed behind their back.
const ByCLI = "cli"

// Abandoned are the backfills started through the API that no process runs any more:
// interrupted (their ingest stopped) or running with no progress saved for
// StaleAfter (their ingest died). Failed ones wait for a person (the error says why);
// done ones are done.
func Abandoned(jobs []schemas.Job, now time.Time) []schemas.Job {
	var out []schemas.Job
	for _, j := range jobs {
		if j.Kind != schemas.JobBackfill || j.RequestedBy == ByCLI || j.From == nil {
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
type Resumer struct {
	ClientOpts []kgo.Opt
	Decoder    events.Decoder
	// Request publishes a request to synco.requests; Save writes a job's state to
	// synco.jobs.
	Request func(context.Context, schemas.SyncRequest) error
	Save    func(context.Context, *schemas.Job) error
	Log     *slog.Logger
	Now     func() time.Time
}

// Once reads every job and asks again for the abandoned backfills; it returns how many.
func (r *Resumer) Once(ctx context.Context) (int, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	jobs, err := Jobs(ctx, r.ClientOpts, r.Decoder, func(key string, err error) {
		if r.Log != nil {
			r.Log.Warn("unreadable job record left out of the abandoned backfills", "key", key, "err", err)
		}
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, j := range Abandoned(jobs, now()) {
		// Marked first, so that it does not count as abandoned again while the request
		// waits for its turn (one long request at a time per shop).
		was := j.Status
		j.Status, j.UpdatedAt, j.Owner = schemas.JobRunning, now().UTC().Truncate(time.Millisecond), "resume requested by "+owner()
		if err := r.Save(ctx, &j); err != nil {
			return n, fmt.Errorf("mark backfill %s of %s: %w", j.JobID, j.Shop, err)
		}
		req := schemas.SyncRequest{RequestID: j.JobID, Shop: j.Shop, OrderIDs: []int64{}, Kind: schemas.RequestBackfill,
			From: j.From, To: j.To, RequestedBy: j.RequestedBy, RequestedAt: j.UpdatedAt}
		if err := r.Request(ctx, req); err != nil {
			return n, fmt.Errorf("ask again for backfill %s of %s: %w", j.JobID, j.Shop, err)
		}
		n++
		if r.Log != nil {
			r.Log.Info("backfill abandoned by its ingest asked for again; it resumes from its checkpoint",
				"shop", j.Shop, "job", j.JobID, "was", was, "checkpoint", j.Checkpoint)
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

// Jobs reads synco.jobs to its end: the latest state of every job. A record that does
// not decode is handed to bad and left out.
func Jobs(ctx context.Context, opts []kgo.Opt, dec events.Decoder, bad func(key string, err error)) ([]schemas.Job, error) {
	latest := map[string][]byte{}
	var order []string
	err := consume.ReadToEnd(ctx, opts, schemas.TopicJobs, nil, func(rec *kgo.Record) {
		k := string(rec.Key)
		if _, ok := latest[k]; !ok {
			order = append(order, k)
		}
		latest[k] = rec.Value // nil: a tombstone
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", schemas.TopicJobs, err)
	}
	var out []schemas.Job
	for _, k := range order {
		raw := latest[k]
		if raw == nil {
			continue
		}
		var j schemas.Job
		if err := dec.Decode(ctx, schemas.TopicJobs, raw, &j); err != nil {
			bad(k, err)
			continue
		}
		out = append(out, j)
	}
	return out, nil
}

func owner() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s pid %d", h, os.Getpid())
}
