package app

import (
	"context"
	"strings"
	"time"

	"github.com/synco-dev/synco/ingest/backfill"
	"github.com/synco-dev/synco/ingest/events"
	"github.com/synco-dev/synco/ingest/reconcile"
	"github.com/synco-dev/synco/ingest/replay"
	"github.com/synco-dev/synco/ingest/requests"
	"github.com/synco-dev/synco/ingest/scan"
	"github.com/synco-dev/synco/platform/leader"
	"github.com/synco-dev/synco/schemas"
)

// Backfill runs the backfill of shop's orders created on the days from..to (to empty:
// until now), resuming an unfinished run of the same range. progress may be nil.
func (rt *Runtime) Backfill(ctx context.Context, shop, from, to, by string, progress func(backfill.Progress)) (*schemas.Job, error) {
	shop = strings.ToLower(shop)
	c, ok := rt.Shopify.Client(shop)
	if !ok {
		return nil, &noToken{shop}
	}
	f, t, err := backfill.Window(from, to)
	if err != nil {
		return nil, err
	}
	id := backfill.JobID(from, to)
	resume, err := events.LoadJob(ctx, rt.ClientOpts("backfill"), rt.Serde, shop, schemas.JobBackfill, id)
	if err != nil {
		return nil, err
	}
	b := &backfill.Backfill{Shop: shop, From: f, To: t, Client: c, Options: scan.Options{Threshold: rt.Cfg.Ingest.BulkThreshold},
		Emit: events.Emitter(rt.Publisher), Save: events.Saver(rt.Publisher), Resume: resume, RequestedBy: by, Progress: progress,
		Log: rt.Log.With("stage", "backfill")}
	return b.Run(ctx, id)
}

type noToken struct{ shop string }

func (e *noToken) Error() string {
	return "shop " + e.shop + " has no admin_api_token: Synco cannot read its orders from Shopify"
}

// Reconcile reconciles shop's orders updated in [from, to) once (synco reconcile).
func (rt *Runtime) Reconcile(ctx context.Context, shop string, from, to time.Time) (reconcile.Counts, error) {
	if _, ok := rt.Shopify.Client(shop); !ok {
		return reconcile.Counts{}, &noToken{strings.ToLower(shop)}
	}
	r, closeFn := rt.newReconciler()
	defer closeFn()
	return r.Run(ctx, shop, "cli-"+time.Now().UTC().Format("20060102T150405"), from, to)
}

func (rt *Runtime) newReconciler() (*reconcile.Reconciler, func()) {
	seen := rt.known()
	return &reconcile.Reconciler{Clients: rt.Shopify, Known: seen, Settings: rt.Settings, Emit: events.Emitter(rt.Publisher),
		Save: events.Saver(rt.Publisher), Counter: rt.Metrics.Reconciled, Log: rt.Log.With("stage", "reconcile")}, seen.Close
}

// Reconciliation reconciles every shop periodically (its settings' reconcile_interval);
// it runs with ingest.
func (rt *Runtime) Reconciliation() Stage {
	return Stage{"reconcile", func(ctx context.Context) error {
		r, closeFn := rt.newReconciler()
		defer closeFn()
		shops := make([]string, 0, len(rt.Cfg.Shops))
		for _, s := range rt.Cfg.Shops {
			shops = append(shops, strings.ToLower(s.Domain))
		}
		// One reconciler among the ingest processes: each would list the same orders.
		e := &leader.Elector{Group: ReconciliationGroup, Topic: schemas.TopicJobs, Log: r.Log}
		return e.Run(ctx, rt.ClientOpts("reconcile"), func(ctx context.Context) error { return r.Loop(ctx, shops, time.Minute) })
	}}
}

// Resume asks again for the backfills started through the API whose ingest stopped or
// died before they finished (requests.Resumer), every minute; it runs with ingest, in
// one ingest process.
func (rt *Runtime) Resume() Stage {
	return Stage{"resume", func(ctx context.Context) error {
		log := rt.Log.With("stage", "ingest.resume")
		r := &requests.Resumer{ClientOpts: rt.ClientOpts("resume"), Decoder: rt.Serde, Request: requester{rt}.RequestSync, Log: log}
		e := &leader.Elector{Group: ResumeGroup, Topic: schemas.TopicJobs, Log: log}
		return e.Run(ctx, rt.ClientOpts("resume-leader"), func(ctx context.Context) error { return r.Loop(ctx, time.Minute) })
	}}
}

// Replay sends shop's stored orders created in [from, to) through the rules again.
func (rt *Runtime) Replay(ctx context.Context, shop string, from, to time.Time, force bool, progress func(sent, total int)) (replay.Counts, error) {
	r := &replay.Replay{Shop: shop, From: from, To: to, Force: force, Source: replay.Changelog(rt.ClientOpts("replay")), Decoder: rt.Serde,
		Emit: events.Emitter(rt.Publisher), Progress: progress, Log: rt.Log.With("stage", "replay")}
	return r.Run(ctx)
}
