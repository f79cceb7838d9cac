package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/synco-dev/synco/cmd/internal/app"
	"github.com/synco-dev/synco/ingest/backfill"
	"github.com/synco-dev/synco/ingest/reconcile"
	"github.com/synco-dev/synco/schemas"
)

// jobArgs are a checked backfill, reconcile or replay command line.
type jobArgs struct {
	cmd, shop, from, to string
	force               bool
}

// checkJob checks a job's flags against the config before anything starts (exit 2).
func checkJob(cfg *app.Config, cmd, shop, from, to string, force bool) (*jobArgs, error) {
	if shop == "" {
		return nil, usageErr("%s needs --shop", cmd)
	}
	if cmd == "backfill" && from == "" {
		return nil, usageErr("backfill needs --from")
	}
	if force && cmd != "replay" {
		return nil, usageErr("%s: --force is replay's", cmd)
	}
	for _, d := range []string{from, to} {
		if d != "" {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				return nil, usageErr("%s: %q is not a date YYYY-MM-DD", cmd, d)
			}
		}
	}
	if from != "" && to != "" && to < from {
		return nil, usageErr("%s: --to %s is before --from %s", cmd, to, from)
	}
	s, ok := cfg.Shop(shop)
	if !ok {
		return nil, usageErr("%s: shop %q is not in the config", cmd, shop)
	}
	if cmd != "replay" && s.AdminAPIToken == "" {
		return nil, usageErr("%s: shop %s has no admin_api_token in the config: %s reads the shop's orders from Shopify's Admin API", cmd, s.Domain, cmd)
	}
	return &jobArgs{cmd: cmd, shop: strings.ToLower(s.Domain), from: from, to: to, force: force}, nil
}

// days is the window of the days from..to (UTC, to inclusive); empty ends are open.
func days(from, to string) (time.Time, time.Time) {
	var f, t time.Time
	if from != "" {
		f, _ = time.Parse(time.DateOnly, from)
	}
	if to != "" {
		t, _ = time.Parse(time.DateOnly, to)
		t = t.AddDate(0, 0, 1)
	}
	return f, t
}

func (j *jobArgs) run(ctx context.Context, rt *app.Runtime, stdout, stderr io.Writer) error {
	p := newProgress(stderr)
	what := j.cmd + " " + j.shop
	switch j.cmd {
	case "backfill":
		var last backfill.Progress
		show := func(bp backfill.Progress) {
			last = bp
			s := state{what: what, count: bp.Job.Processed, total: int64(bp.Total), fraction: bp.Fraction, rate: bp.Rate, eta: bp.ETA}
			if bp.Total > 0 {
				s.fraction = float64(bp.Job.Processed) / float64(bp.Total)
			}
			p.update(s)
		}
		job, err := rt.Backfill(ctx, j.shop, j.from, j.to, schemas.JobByCLI, show)
		if job != nil {
			p.done(state{what: what, count: job.Processed, total: int64(last.Total), fraction: last.Fraction, rate: last.Rate})
		}
		switch {
		case job != nil && job.Status == schemas.JobInterrupted:
			at := ""
			if job.Checkpoint != nil {
				at = " at " + job.Checkpoint.UTC().Format(time.RFC3339)
			}
			return fmt.Errorf("backfill interrupted%s after %d orders; the same command resumes from there", at, job.Processed)
		case err != nil:
			return fmt.Errorf("backfill: %w (the same command resumes from the checkpoint)", err)
		}
		fmt.Fprintf(stdout, "backfill %s %s: %d orders sent to the pipeline (mode %s, job %s)\n", j.shop, window(job.From, job.To), job.Emitted, job.Mode, job.JobID)
		return nil
	case "reconcile":
		from, to := days(j.from, j.to)
		if from.IsZero() {
			from = time.Now().Add(-reconcile.Overlap)
		}
		cn, err := rt.Reconcile(ctx, j.shop, from, to)
		if err != nil {
			return fmt.Errorf("reconcile: %w", err)
		}
		fmt.Fprintf(stdout, "reconcile %s: %s\n", j.shop, cn)
		return nil
	case "replay":
		from, to := days(j.from, j.to)
		start := time.Now()
		cn, err := rt.Replay(ctx, j.shop, from, to, j.force, func(sent, total int) {
			s := state{what: what, count: int64(sent), total: int64(total), fraction: float64(sent) / float64(max(total, 1))}
			if el := time.Since(start).Seconds(); el > 0 {
				s.rate = float64(sent) / el
				if s.rate > 0 {
					s.eta = time.Duration(float64(total-sent) / s.rate * float64(time.Second))
				}
			}
			p.update(s)
		})
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return fmt.Errorf("replay interrupted after %d orders (a replay sends each order once per run: run it again to send the rest)", cn.Sent)
			}
			return fmt.Errorf("replay: %w", err)
		}
		p.done(state{what: what, count: int64(cn.Sent), total: int64(cn.Sent), fraction: 1})
		left := "left as they are (--force sends them too)"
		if j.force {
			left = "sent too (--force)"
		}
		fmt.Fprintf(stdout, "replay %s: %d stored orders, %d sent through the rules, %d outside the dates, %d already in Odoo %s\n",
			j.shop, cn.Stored, cn.Sent, cn.Outside, cn.Synced, left)
		return nil
	}
	return usageErr("unknown job %q", j.cmd)
}

func window(from, to *time.Time) string {
	f, t := "…", "…"
	if from != nil {
		f = from.UTC().Format(time.DateOnly)
	}
	if to != nil {
		t = to.UTC().Add(-time.Second).Format(time.DateOnly)
	}
	return f + ".." + t
}
