// Package reconcile heals what webhooks missed. Shopify loses a webhook now and then,
// and gives up on a subscription after 8 failures in a row; nothing would tell Synco.
// So, per shop, every reconcile_interval (the settings; 1 h by default) and on demand
// (synco reconcile), Synco lists the orders Shopify says were updated in a window that
// reaches two days further back than the last run (the overlap the best connectors
// use), asks ClickHouse which of them it has seen and at which version, and fetches
// and re-emits (origin reconcile) every order it never saw or saw only in an older
// version. The processor has the last word: an event that is not news is dropped, so
// ClickHouse lagging only costs a fetch. The counts of each run go to the jobs topic,
// the log and the metrics; each re-emitted order's outcome says origin reconcile.
package reconcile

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/synco-dev/synco/ingest/backfill"
	"github.com/synco-dev/synco/ingest/known"
	"github.com/synco-dev/synco/rules"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopify/order"
)

// Overlap is how much further back than the previous run each run looks.
const Overlap = 48 * time.Hour

// Clients gives a shop's Admin API client; false when the shop has no Admin API token.
type Clients interface {
	Client(shop string) (*admin.Client, bool)
}

// Settings are the shops' settings.
type Settings interface {
	Effective(shop string) schemas.ShopSettings
}

// Reconciler compares Shopify with what Synco has seen.
type Reconciler struct {
	Clients  Clients
	Known    known.Orders
	Settings Settings
	Emit     backfill.Sink
	// Save, when set, keeps each run's state and counts in synco.jobs.
	Save backfill.SaveJob
	// Counter, when set, counts orders by shop and result (listed, missing, stale,
	// emitted).
	Counter *prometheus.CounterVec
	Log     *slog.Logger
	Now     func() time.Time
}

// Counts of one run.
type Counts struct {
	Listed  int // orders Shopify updated in the window
	Missing int // never seen by Synco
	Stale   int // seen only in an older version
	Emitted int // re-emitted (missing + stale, less those gone meanwhile)
}

func (c Counts) String() string {
	return fmt.Sprintf("%d listed, %d never seen, %d stale, %d re-emitted", c.Listed, c.Missing, c.Stale, c.Emitted)
}

func (r *Reconciler) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

func (r *Reconciler) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// Run reconciles the orders of shop updated in [from, to) (to zero: until now), under
// the job id given.
func (r *Reconciler) Run(ctx context.Context, shop, id string, from, to time.Time) (Counts, error) {
	var cn Counts
	shop = strings.ToLower(shop)
	c, ok := r.Clients.Client(shop)
	if !ok {
		return cn, fmt.Errorf("shop %s has no Admin API token: Synco cannot list its orders", shop)
	}
	start := r.now().UTC()
	if to.IsZero() {
		// Shopify's search works in whole seconds: the current one is included.
		to = start.Truncate(time.Second).Add(time.Second)
	}
	from, to = from.UTC(), to.UTC()
	job := &schemas.Job{JobID: id, Shop: shop, Kind: schemas.JobReconcile, Status: schemas.JobRunning, From: &from, To: &to,
		Counts: map[string]int64{}, StartedAt: start, UpdatedAt: start}
	save := func(ctx context.Context) error {
		if r.Save == nil {
			return nil
		}
		job.Processed, job.Emitted = int64(cn.Listed), int64(cn.Emitted)
		job.Counts = map[string]int64{"listed": int64(cn.Listed), "missing": int64(cn.Missing), "stale": int64(cn.Stale), "emitted": int64(cn.Emitted)}
		job.UpdatedAt = r.now().UTC()
		return r.Save(ctx, job)
	}
	if err := save(ctx); err != nil {
		return cn, err
	}
	w := admin.Window{Field: "updated_at", From: from, To: to}
	err := c.Orders(ctx, w, "", func(page []admin.OrderSummary, _ string) error {
		if len(page) == 0 {
			return nil
		}
		ids := make([]int64, len(page))
		for i, s := range page {
			ids[i] = s.ID
		}
		seen, err := r.Known.Orders(ctx, shop, ids)
		if err != nil {
			return err
		}
		cn.Listed += len(page)
		var evs []*schemas.OrderEvent
		for _, s := range page {
			k, ok := seen[s.ID]
			switch {
			case !ok:
				cn.Missing++
				r.count(shop, "missing")
			case k.Version < s.UpdatedAt.UnixMilli():
				cn.Stale++
				r.count(shop, "stale")
			default:
				continue
			}
			f, err := c.Order(ctx, s.ID)
			if admin.HasCode(err, admin.CodeNotFound) {
				continue // deleted since it was listed
			}
			if err != nil {
				return err
			}
			ev, err := order.Event(shop, schemas.OriginReconcile, f, r.now())
			if err != nil {
				return fmt.Errorf("order %d: %w", s.ID, err)
			}
			evs = append(evs, ev)
			r.log().Info("order re-emitted by reconciliation", "shop", shop, "order", s.ID, "name", s.Name, "never_seen", !ok,
				"synco_version", k.Version, "shopify_version", s.UpdatedAt.UnixMilli())
		}
		r.countN(shop, "listed", len(page))
		if len(evs) > 0 {
			if err := r.Emit(ctx, evs); err != nil {
				return err
			}
			cn.Emitted += len(evs)
			r.countN(shop, "emitted", len(evs))
		}
		return save(ctx)
	})
	end := r.now().UTC()
	job.FinishedAt = &end
	if err != nil {
		job.Status, job.Error = schemas.JobFailed, err.Error()
		if ctx.Err() != nil {
			job.Status, job.Error = schemas.JobInterrupted, ""
		}
	} else {
		job.Status = schemas.JobDone
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if serr := save(sctx); serr != nil && err == nil {
		err = serr
	}
	return cn, err
}

func (r *Reconciler) count(shop, result string) { r.countN(shop, result, 1) }

func (r *Reconciler) countN(shop, result string, n int) {
	if r.Counter != nil && n > 0 {
		r.Counter.WithLabelValues(shop, result).Add(float64(n))
	}
}

// PeriodicID is the job id of the periodic runs (one record per shop: the last run).
const PeriodicID = "periodic"

// Loop reconciles each shop every reconcile_interval of its settings until ctx ends.
// The first run of each shop comes shortly after start, over one interval and the
// overlap: what was missed while Synco was down is healed first. A shop whose auto
// sync is off is skipped (its webhooks are not acted on either), as is one whose
// interval is "off" or that has no Admin API token.
func (r *Reconciler) Loop(ctx context.Context, shops []string, firstAfter time.Duration) error {
	type state struct {
		next, lastStart time.Time
	}
	st := map[string]*state{}
	now := r.now()
	for _, s := range shops {
		st[s] = &state{next: now.Add(firstAfter)}
	}
	const look = 5 * time.Minute // how soon a shop switched off is looked at again
	for {
		now := r.now()
		wake := now.Add(look)
		for shop, s := range st {
			if now.Before(s.next) {
				wake = earliest(wake, s.next)
				continue
			}
			set := r.Settings.Effective(shop)
			every := rules.ReconcileInterval(&set)
			_, hasClient := r.Clients.Client(shop)
			if every == 0 || !set.AutoSync || !hasClient {
				s.next = now.Add(look)
				wake = earliest(wake, s.next)
				continue
			}
			from := s.lastStart
			if from.IsZero() {
				from = now.Add(-every)
			}
			from = from.Add(-Overlap)
			cn, err := r.Run(ctx, shop, PeriodicID, from, now)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				r.log().Error("reconciliation failed; trying again next interval", "shop", shop, "err", err)
			} else {
				s.lastStart = now
				r.log().Info("reconciliation done", "shop", shop, "from", from.UTC().Format(time.RFC3339), "counts", cn.String())
			}
			s.next = now.Add(every)
			wake = earliest(wake, s.next)
		}
		t := time.NewTimer(time.Until(wake))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
