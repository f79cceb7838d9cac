// Package backfill pulls a range of a shop's orders (by creation time) from the Admin
// API into shopify.orders as order events of origin backfill. Its progress and its
// checkpoint live in the compacted topic synco.jobs, one record per range: an
// interrupted backfill of the same range resumes from the checkpoint, wherever it
// runs (the CLI on one machine, an ingest process on another), and the query service
// shows the same record as progress. A second run re-emits the same events (their ids
// are stable per order version), which the processor drops: nothing changes in Odoo.
package backfill

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/synco-dev/synco/ingest/scan"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopify/order"
)

// Progress is what a running backfill reports.
type Progress struct {
	Job      schemas.Job
	Total    int           // orders in the range, when known (pages); 0 when not (bulk)
	Fraction float64       // of the range's time covered, 0..1
	Rate     float64       // orders per second in this run
	ETA      time.Duration // 0 when unknown
}

// Sink takes a batch of events to Kafka and returns once Kafka has them all.
type Sink func(ctx context.Context, evs []*schemas.OrderEvent) error

// SaveJob publishes a job record (synco.jobs).
type SaveJob func(ctx context.Context, j *schemas.Job) error

// Backfill is one run over [From, To).
type Backfill struct {
	Shop     string
	From, To time.Time // To zero: until the run starts
	Client   *admin.Client
	Options  scan.Options // Threshold and Poll; Window and Mode are set here
	Emit     Sink
	Save     SaveJob
	// Resume is the stored record of this range, if any: an unfinished one is resumed
	// from its checkpoint; a finished one is run again from the start.
	Resume      *schemas.Job
	RequestedBy string
	// Progress, when set, is told after each batch.
	Progress func(Progress)
	// Batch is how many events go to Kafka at once (default 200); SaveEvery bounds how
	// often the job record is published while running (default 2 s).
	Batch     int
	SaveEvery time.Duration
	Log       *slog.Logger
	Now       func() time.Time
}

// JobID names the run over the days from..to (to empty: open-ended).
func JobID(from, to string) string { return schemas.BackfillID(from, to) }

// Window is the range of days from..to (inclusive, UTC) as instants [From, To); to
// empty leaves To zero (until the run starts).
func Window(from, to string) (time.Time, time.Time, error) { return schemas.BackfillRange(from, to) }

// Run reads the range and emits every order. It returns the final job record (also
// saved): done, failed (with the error), or interrupted when ctx ended.
func (b *Backfill) Run(ctx context.Context, id string) (*schemas.Job, error) {
	now := b.Now
	if now == nil {
		now = time.Now
	}
	if b.Batch <= 0 {
		b.Batch = 200
	}
	if b.SaveEvery <= 0 {
		b.SaveEvery = 2 * time.Second
	}
	log := b.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := now().UTC()
	to := b.To
	if to.IsZero() {
		to = start.Truncate(time.Second).Add(time.Second)
	}
	from := b.From.UTC()
	job := &schemas.Job{JobID: id, Shop: b.Shop, Kind: schemas.JobBackfill, Status: schemas.JobRunning, From: &from, To: &to,
		Counts: map[string]int64{}, StartedAt: start, UpdatedAt: start, RequestedBy: b.RequestedBy, Owner: owner()}
	if r := b.Resume; r != nil && r.Status != schemas.JobDone && r.Checkpoint != nil {
		// Carry on where it stopped: what was emitted before the checkpoint is in Kafka.
		job.Checkpoint, job.Processed, job.Emitted, job.StartedAt = r.Checkpoint, r.Processed, r.Emitted, r.StartedAt
		log.Info("backfill resumed", "shop", b.Shop, "job", id, "from", r.Checkpoint.Format(time.RFC3339), "already", r.Processed)
	}
	begin := from
	if job.Checkpoint != nil && job.Checkpoint.After(begin) {
		begin = *job.Checkpoint
	}
	done0 := job.Processed
	opts := b.Options
	opts.Window = admin.Window{Field: "created_at", From: begin, To: to}
	total := 0
	opts.Mode = func(mode string, n int) {
		job.Mode = mode
		if n > 0 {
			total = int(done0) + n
		}
		log.Info("backfill reading", "shop", b.Shop, "job", id, "mode", mode, "orders", n, "from", begin.Format(time.RFC3339), "to", to.Format(time.RFC3339))
	}
	if err := b.Save(ctx, job); err != nil {
		return job, err
	}
	saved := now()
	// While Shopify runs a bulk operation nothing is emitted: its own count is the
	// progress, saved so that the API shows the job alive.
	opts.Bulk = func(op *admin.BulkOperation) {
		if n, err := strconv.ParseInt(op.RootObjectCount, 10, 64); err == nil {
			job.Counts["bulk_orders_read_by_shopify"] = n
		}
		if now().Sub(saved) >= b.SaveEvery {
			saved = now()
			job.UpdatedAt = saved.UTC()
			if err := b.Save(ctx, job); err != nil {
				log.Warn("backfill progress not saved", "shop", b.Shop, "job", id, "err", err)
			}
		}
	}
	var (
		pending   []*schemas.OrderEvent
		last      time.Time // created_at of the newest order emitted, in order
		unordered bool      // an order came older than one before: the checkpoint stops moving
	)
	report := func() {
		if b.Progress == nil {
			return
		}
		p := Progress{Job: *job, Total: total}
		if job.Checkpoint != nil && to.After(from) {
			p.Fraction = min(1, float64(job.Checkpoint.Sub(from))/float64(to.Sub(from)))
		}
		if el := now().Sub(start).Seconds(); el > 0 {
			p.Rate = float64(job.Processed-done0) / el
		}
		switch {
		case total > 0 && p.Rate > 0:
			p.ETA = time.Duration(float64(int64(total)-job.Processed) / p.Rate * float64(time.Second))
		case p.Fraction > 0 && p.Fraction < 1:
			p.ETA = time.Duration(float64(now().Sub(start)) * (1 - p.Fraction) / p.Fraction)
		}
		b.Progress(p)
	}
	flush := func(ctx context.Context) error {
		if len(pending) == 0 {
			return nil
		}
		if err := b.Emit(ctx, pending); err != nil {
			return err
		}
		job.Emitted += int64(len(pending))
		pending = pending[:0]
		if !unordered && !last.IsZero() {
			// Every order created before last is in Kafka; those at last itself may not
			// all be (the next batch may hold more of them), so a resume starts at last.
			cp := last
			job.Checkpoint = &cp
		}
		job.UpdatedAt = now().UTC()
		if now().Sub(saved) >= b.SaveEvery {
			saved = now()
			if err := b.Save(ctx, job); err != nil {
				return err
			}
		}
		report()
		return nil
	}
	err := scan.Full(ctx, b.Client, opts, func(f *admin.FullOrder) error {
		ev, err := order.Event(b.Shop, schemas.OriginBackfill, f, now())
		if err != nil {
			// Shopify answered something the normalizer cannot read: a bug to see, not
			// an order to skip silently.
			return fmt.Errorf("order %s: %w", f.Id, err)
		}
		job.Processed++
		if c := ev.Order.CreatedAt; c.Before(last) {
			unordered = true
		} else {
			last = c
		}
		pending = append(pending, ev)
		if len(pending) >= b.Batch {
			return flush(ctx)
		}
		return nil
	})
	if err == nil {
		err = flush(ctx)
	}
	end := now().UTC()
	job.UpdatedAt = end
	switch {
	case err == nil:
		job.Status, job.FinishedAt, job.Checkpoint = schemas.JobDone, &end, &to
		report()
		log.Info("backfill done", "shop", b.Shop, "job", id, "orders", job.Processed, "seconds", end.Sub(start).Seconds())
	case ctx.Err() != nil:
		job.Status = schemas.JobInterrupted
		log.Warn("backfill interrupted; the same range resumes from its checkpoint", "shop", b.Shop, "job", id, "orders", job.Processed)
	default:
		job.Status, job.Error = schemas.JobFailed, err.Error()
		log.Error("backfill failed; the same range resumes from its checkpoint", "shop", b.Shop, "job", id, "orders", job.Processed, "err", err)
	}
	// The last record is saved even when ctx ended: it is the checkpoint.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if serr := b.Save(sctx, job); serr != nil && err == nil {
		err = serr
	}
	return job, err
}

func owner() string {
	h, _ := os.Hostname()
	return strings.TrimSpace(fmt.Sprintf("%s:%d", h, os.Getpid()))
}
