// Package replay sends a shop's stored orders through the current rules again (after a
// rule change, say). What is stored is the processor's changelog
// (synco.processor.state, compacted): the latest snapshot of every order Synco was
// told about, kept for as long as the order exists, where shopify.orders keeps events
// only for its retention and holds many per order. Each order goes to shopify.orders
// as a forced event of origin replay carrying that snapshot; the processor applies
// the rules to it. Orders already sent to Odoo are left as they are unless Force.
package replay

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/ingest/backfill"
	"github.com/synco-dev/synco/ingest/events"
	"github.com/synco-dev/synco/platform/consume"
	"github.com/synco-dev/synco/schemas"
)

// Source calls fn with the stored state of every order of every shop.
type Source func(ctx context.Context, fn func(key []byte, value []byte) error) error

// Changelog is the Source on the processor's changelog topic.
func Changelog(opts []kgo.Opt) Source {
	return func(ctx context.Context, fn func(key, value []byte) error) error {
		var ferr error
		err := consume.ReadToEnd(ctx, opts, schemas.TopicProcessorState, nil, func(r *kgo.Record) {
			if ferr == nil {
				ferr = fn(r.Key, r.Value)
			}
		})
		if err != nil {
			return err
		}
		return ferr
	}
}

// Counts of a replay.
type Counts struct {
	Stored  int // orders of the shop stored
	Outside int // created outside the range asked for
	Synced  int // already sent to Odoo, left alone (without Force)
	Sent    int // sent through the rules again
}

// Replay is one run.
type Replay struct {
	Shop     string
	From, To time.Time // creation time, [From, To); zero: open
	Force    bool      // also orders already sent to Odoo
	Source   Source
	Decoder  events.Decoder
	Emit     backfill.Sink
	// Progress, when set, is told after each batch sent.
	Progress func(sent, total int)
	Batch    int // events per batch (default 500)
	Log      *slog.Logger
	Now      func() time.Time
}

// Run replays and returns its counts.
func (r *Replay) Run(ctx context.Context) (Counts, error) {
	var cn Counts
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	if r.Batch <= 0 {
		r.Batch = 500
	}
	shop := strings.ToLower(r.Shop)
	prefix := shop + "/"
	latest := map[string]*schemas.OrderState{}
	err := r.Source(ctx, func(key, value []byte) error {
		if !strings.HasPrefix(string(key), prefix) {
			return nil
		}
		if value == nil {
			delete(latest, string(key)) // a tombstone: the order's state was removed
			return nil
		}
		var st schemas.OrderState
		if err := r.Decoder.Decode(ctx, schemas.TopicProcessorState, value, &st); err != nil {
			return fmt.Errorf("stored state %s: %w", key, err)
		}
		latest[string(key)] = &st
		return nil
	})
	if err != nil {
		return cn, err
	}
	cn.Stored = len(latest)
	var todo []*schemas.OrderState
	for _, st := range latest {
		c := st.Order.CreatedAt
		switch {
		case !r.From.IsZero() && c.Before(r.From), !r.To.IsZero() && !c.Before(r.To):
			cn.Outside++
		case st.Commanded && !r.Force:
			cn.Synced++
		default:
			todo = append(todo, st)
		}
	}
	run := now().UTC().Format("20060102T150405.000")
	for len(todo) > 0 {
		n := min(len(todo), r.Batch)
		evs := make([]*schemas.OrderEvent, 0, n)
		for _, st := range todo[:n] {
			evs = append(evs, &schemas.OrderEvent{
				EventID: fmt.Sprintf("replay:%s:%d", run, st.OrderID), Shop: shop, OrderID: st.OrderID,
				Topic: "orders/replay", Origin: schemas.OriginReplay, ReceivedAt: now().UTC().Truncate(time.Millisecond),
				Force: true, Order: st.Order,
			})
		}
		todo = todo[n:]
		if err := r.Emit(ctx, evs); err != nil {
			return cn, err
		}
		cn.Sent += len(evs)
		if r.Progress != nil {
			r.Progress(cn.Sent, cn.Sent+len(todo))
		}
	}
	if r.Log != nil {
		r.Log.Info("replay sent", "shop", shop, "stored", cn.Stored, "sent", cn.Sent, "left_synced", cn.Synced, "outside", cn.Outside, "force", r.Force)
	}
	return cn, nil
}
