// Package requests answers the sync requests of the query API (synco.requests):
//
//   - named orders are fetched from Shopify's Admin API, whether Synco knows them or
//     not, and sent through the pipeline as forced events of origin manual; a shop
//     without an Admin API token (or an order Shopify cannot give now) falls back to a
//     forced event without data, for which the processor re-applies the latest
//     snapshot it holds;
//   - "all eligible" reads the shop's orders within its settings' dates from Shopify,
//     applies the rules to Shopify's current data and sends every eligible order that
//     is not synced yet (ClickHouse says which are);
//   - a backfill runs the backfill of its range (ingest/backfill).
//
// The last two are long: they run in the background, one at a time per shop, so a
// named-order sync is never stuck behind them. Their request is committed once they
// started; an ingest that stops meanwhile leaves a backfill's checkpoint, and the
// same request again resumes it.
package requests

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/ingest/backfill"
	"github.com/synco-dev/synco/ingest/events"
	"github.com/synco-dev/synco/ingest/known"
	"github.com/synco-dev/synco/ingest/scan"
	"github.com/synco-dev/synco/platform/consume"
	"github.com/synco-dev/synco/platform/deadletter"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/metrics"
	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/rules"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopify/order"
)

// Group is the consumer group answering requests.
const Group = "synco-ingest-requests"

// Clients gives a shop's Admin API client; false when the shop has no Admin API token.
type Clients interface {
	Client(shop string) (*admin.Client, bool)
}

// Settings are the shops' settings.
type Settings interface {
	Effective(shop string) schemas.ShopSettings
}

// Deps is what the request consumer needs.
type Deps struct {
	ClientOpts []kgo.Opt
	Serde      *serde.Serde
	Publisher  *kafka.Publisher
	Drain      time.Duration     // consume.Config
	Metrics    *metrics.Registry // optional: consumer lag
	Log        *slog.Logger

	Clients  Clients
	Settings Settings
	Known    known.Orders // what Synco has synced (all eligible); nil: every eligible order is sent
	// Threshold is ingest.bulk_threshold (scan.Options).
	Threshold int
}

// Events turns a request into forced order events without data: the processor
// re-applies the latest snapshot it holds of each order (the answer when Shopify
// cannot be asked).
func Events(r *schemas.SyncRequest, now time.Time) []*schemas.OrderEvent {
	evs := make([]*schemas.OrderEvent, 0, len(r.OrderIDs))
	for _, id := range r.OrderIDs {
		evs = append(evs, byID(r, id, now))
	}
	return evs
}

func byID(r *schemas.SyncRequest, id int64, now time.Time) *schemas.OrderEvent {
	return &schemas.OrderEvent{
		EventID: fmt.Sprintf("manual:%s:%d", r.RequestID, id), Shop: r.Shop, OrderID: id,
		Topic: "manual", Origin: schemas.OriginManual, ReceivedAt: now.UTC().Truncate(time.Millisecond), Force: true,
		Order: schemas.Order{ID: id, NoteAttributes: []schemas.NoteAttribute{}, PaymentGatewayNames: []string{},
			LineItems: []schemas.LineItem{}, ShippingLines: []schemas.ShippingLine{}},
	}
}

// Fetch makes the forced events of a named-order request: each order as Shopify has
// it now when c is not nil, else (or when Shopify cannot give it) the data-less event.
func Fetch(ctx context.Context, c *admin.Client, r *schemas.SyncRequest, now time.Time, log *slog.Logger) ([]*schemas.OrderEvent, error) {
	if c == nil {
		return Events(r, now), nil
	}
	evs := make([]*schemas.OrderEvent, 0, len(r.OrderIDs))
	for _, id := range r.OrderIDs {
		f, err := c.Order(ctx, id)
		if err == nil {
			var ev *schemas.OrderEvent
			if ev, err = order.Event(r.Shop, schemas.OriginManual, f, now); err == nil {
				ev.Force = true
				evs = append(evs, ev)
				continue
			}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Not found (deleted, or a wrong id), Shopify down after the client's own
		// retries, or unreadable: what Synco holds is re-applied, if it holds anything.
		log.Warn("order not fetched from shopify; re-applying what synco holds", "shop", r.Shop, "order", id, "err", err)
		evs = append(evs, byID(r, id, now))
	}
	return evs, nil
}

// Run consumes synco.requests until ctx ends. A named-order request's offset is
// committed after its events were acknowledged (a redelivered one only re-applies
// orders, which is harmless); a long one's once it started.
func Run(ctx context.Context, d Deps) error {
	c, err := consume.New(d.ClientOpts, consume.Config{Group: Group, Topics: []string{schemas.TopicRequests}, Drain: d.Drain, Metrics: d.Metrics, Log: d.Log})
	if err != nil {
		return err
	}
	bg := &background{d: d, queues: map[string]chan *schemas.SyncRequest{}}
	defer bg.wait()
	return c.Run(ctx, func(bctx context.Context, b *consume.Batch) error {
		for _, p := range b.Partitions {
			for _, rec := range p.Records {
				var r schemas.SyncRequest
				if err := d.Serde.Decode(bctx, schemas.TopicRequests, rec.Value, &r); err != nil {
					d.Log.Error("unreadable sync request kept in the dead-letter topic", "offset", rec.Offset, "err", err)
					if err := d.Publisher.PublishRecord(bctx, deadletter.FromRecord(rec, schemas.TopicRequestsDLQ, "ingest.requests", "unreadable sync request: "+err.Error(), time.Now()).Record()); err != nil {
						return err
					}
					continue
				}
				if r.Kind == schemas.RequestBackfill || r.AllEligible {
					bg.start(ctx, &r)
				}
				if r.Kind == schemas.RequestBackfill || len(r.OrderIDs) == 0 {
					continue
				}
				cl, _ := d.client(r.Shop)
				evs, err := Fetch(bctx, cl, &r, time.Now(), d.Log)
				if err != nil {
					return err
				}
				// Kafka unavailable: the loop handles the batch again; nothing is committed.
				if err := events.Publish(bctx, d.Publisher, evs); err != nil {
					return err
				}
				d.Log.Info("manual sync requested", "shop", r.Shop, "request", r.RequestID, "orders", len(r.OrderIDs), "fetched", cl != nil)
			}
		}
		return nil
	})
}

func (d Deps) client(shop string) (*admin.Client, bool) {
	if d.Clients == nil {
		return nil, false
	}
	return d.Clients.Client(shop)
}

// background runs the long requests, one at a time per shop.
type background struct {
	d      Deps
	mu     sync.Mutex
	queues map[string]chan *schemas.SyncRequest
	// pending are the backfills queued or running here (shop/job id): the same one
	// asked again meanwhile (twice from the API, or by the Resumer) is already in hand.
	pending map[string]bool
	wg      sync.WaitGroup
}

func (b *background) start(ctx context.Context, r *schemas.SyncRequest) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.Kind == schemas.RequestBackfill {
		k := pendingKey(r)
		if b.pending[k] {
			b.d.Log.Info("backfill asked for again while it is queued or running here; one run covers both", "shop", r.Shop, "job", r.RequestID)
			return
		}
		if b.pending == nil {
			b.pending = map[string]bool{}
		}
		b.pending[k] = true
	}
	q, ok := b.queues[r.Shop]
	if !ok {
		q = make(chan *schemas.SyncRequest, 16)
		b.queues[r.Shop] = q
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case r := <-q:
					b.run(ctx, r)
				}
			}
		}()
	}
	select {
	case q <- r:
	default:
		delete(b.pending, pendingKey(r))
		b.d.Log.Warn("too many backfills and syncs of all eligible orders waiting for this shop; request dropped, ask again later", "shop", r.Shop, "request", r.RequestID)
	}
}

func (b *background) wait() { b.wg.Wait() }

func pendingKey(r *schemas.SyncRequest) string { return r.Shop + "/" + r.RequestID }

func (b *background) run(ctx context.Context, r *schemas.SyncRequest) {
	if r.Kind == schemas.RequestBackfill {
		defer func() {
			b.mu.Lock()
			delete(b.pending, pendingKey(r))
			b.mu.Unlock()
		}()
	}
	log := b.d.Log.With("shop", r.Shop, "request", r.RequestID)
	c, ok := b.d.client(r.Shop)
	if !ok {
		log.Warn("the shop has no Admin API token: Synco cannot read its orders from Shopify", "kind", kindOf(r))
		return
	}
	var err error
	if r.Kind == schemas.RequestBackfill {
		err = b.backfill(ctx, c, r, log)
	} else {
		var n int
		n, err = AllEligible(ctx, c, b.d.Settings.Effective(r.Shop), b.d.Known, scan.Options{Threshold: b.d.Threshold}, events.Emitter(b.d.Publisher))
		if err == nil {
			log.Info("sync of all eligible orders sent", "orders", n)
		}
	}
	if err != nil && ctx.Err() == nil {
		log.Error("request failed", "kind", kindOf(r), "err", err)
	}
}

func kindOf(r *schemas.SyncRequest) string {
	if r.Kind != "" {
		return r.Kind
	}
	return "all_eligible"
}

func (b *background) backfill(ctx context.Context, c *admin.Client, r *schemas.SyncRequest, log *slog.Logger) error {
	if r.From == nil {
		return fmt.Errorf("backfill request without a start")
	}
	var to time.Time
	if r.To != nil {
		to = *r.To
	}
	resume, err := events.LoadJob(ctx, b.d.ClientOpts, b.d.Serde, r.Shop, schemas.JobBackfill, r.RequestID)
	if err != nil {
		return err
	}
	if resume != nil && resume.Status == schemas.JobDone && !r.RequestedAt.IsZero() && !resume.UpdatedAt.Before(r.RequestedAt) {
		// Finished after this request was made (a copy of it ran first): served. The
		// same range asked for after it finished runs again, as asked.
		log.Info("backfill already done since this request was made", "job", r.RequestID, "finished", resume.UpdatedAt)
		return nil
	}
	bf := &backfill.Backfill{Shop: r.Shop, From: *r.From, To: to, Client: c, Options: scan.Options{Threshold: b.d.Threshold},
		Emit: events.Emitter(b.d.Publisher), Save: events.Saver(b.d.Publisher), Resume: resume, RequestedBy: r.RequestedBy, Log: log}
	_, err = bf.Run(ctx, r.RequestID)
	return err
}

// AllEligible sends every order of the shop that its rules let through on Shopify's
// current data and that is not synced yet, as forced manual events; it returns how
// many it sent. Only orders created within the settings' dates are read.
func AllEligible(ctx context.Context, c *admin.Client, st schemas.ShopSettings, seen known.Orders, o scan.Options, emit backfill.Sink) (int, error) {
	w := admin.Window{Field: "created_at"}
	if t, err := time.Parse(time.DateOnly, st.DateFrom); err == nil {
		w.From = t
	}
	if t, err := time.Parse(time.DateOnly, st.DateTo); err == nil {
		w.To = t.AddDate(0, 0, 1)
	}
	o.Window = w
	sent := 0
	var batch []*schemas.OrderEvent
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var out []*schemas.OrderEvent
		if seen == nil {
			out = batch
		} else {
			ids := make([]int64, len(batch))
			for i, ev := range batch {
				ids[i] = ev.OrderID
			}
			k, err := seen.Orders(ctx, c.Shop(), ids)
			if err != nil {
				return err
			}
			for _, ev := range batch {
				if k[ev.OrderID].Status != schemas.StatusSynced {
					out = append(out, ev)
				}
			}
		}
		batch = batch[:0]
		if len(out) == 0 {
			return nil
		}
		if err := emit(ctx, out); err != nil {
			return err
		}
		sent += len(out)
		return nil
	}
	now := time.Now()
	err := scan.Full(ctx, c, o, func(f *admin.FullOrder) error {
		ev, err := order.Event(strings.ToLower(c.Shop()), schemas.OriginManual, f, now)
		if err != nil {
			return err
		}
		if !rules.Evaluate(&st, &ev.Order).Eligible {
			return nil
		}
		ev.Force = true
		batch = append(batch, ev)
		if len(batch) >= 250 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return sent, err
}
