// Package requests answers manual sync requests from the query API (synco.requests):
// each named order goes back through the pipeline as a forced order event. Until the
// Shopify Admin API client lands, the processor re-applies the order's latest stored
// snapshot; "all eligible" requests need that client and are logged as not yet done.
package requests

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/schemas"
)

// Group is the consumer group answering requests.
const Group = "synco-ingest-requests"

// Publisher takes order events to Kafka and returns once they are acknowledged.
type Publisher interface {
	PublishOrder(ctx context.Context, ev *schemas.OrderEvent) error
}

// Deps is what the request consumer needs.
type Deps struct {
	ClientOpts []kgo.Opt
	Serde      *serde.Serde
	Publisher  Publisher
	Log        *slog.Logger
}

// Events turns a request into the forced order events it asks for.
func Events(r *schemas.SyncRequest, now time.Time) []*schemas.OrderEvent {
	evs := make([]*schemas.OrderEvent, 0, len(r.OrderIDs))
	for _, id := range r.OrderIDs {
		evs = append(evs, &schemas.OrderEvent{
			EventID: fmt.Sprintf("manual:%s:%d", r.RequestID, id), Shop: r.Shop, OrderID: id,
			Topic: "manual", Origin: schemas.OriginManual, ReceivedAt: now.UTC().Truncate(time.Millisecond), Force: true,
			Order: schemas.Order{ID: id, NoteAttributes: []schemas.NoteAttribute{}, PaymentGatewayNames: []string{},
				LineItems: []schemas.LineItem{}, ShippingLines: []schemas.ShippingLine{}},
		})
	}
	return evs
}

// Run consumes synco.requests until ctx ends. Offsets are committed after the events
// were acknowledged; a redelivered request only re-applies orders (harmless).
func Run(ctx context.Context, d Deps) error {
	cl, err := kgo.NewClient(append(d.ClientOpts,
		kgo.ConsumerGroup(Group),
		kgo.ConsumeTopics(schemas.TopicRequests),
		kgo.DisableAutoCommit(),
	)...)
	if err != nil {
		return fmt.Errorf("requests consumer: %w", err)
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return nil
		}
		fs.EachRecord(func(rec *kgo.Record) {
			var r schemas.SyncRequest
			if err := d.Serde.Decode(ctx, schemas.TopicRequests, rec.Value, &r); err != nil {
				d.Log.Error("unreadable sync request skipped", "offset", rec.Offset, "err", err)
				return
			}
			if r.AllEligible {
				d.Log.Warn("sync of all eligible orders needs the Shopify Admin API client (not yet built); only named orders are re-synced", "shop", r.Shop, "request", r.RequestID)
			}
			for _, ev := range Events(&r, time.Now()) {
				// Kafka unavailable: keep trying; the request's offset stays uncommitted.
				for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 10*time.Second) {
					err := d.Publisher.PublishOrder(ctx, ev)
					if err == nil || ctx.Err() != nil {
						break
					}
					d.Log.Error("manual sync not published; retrying", "shop", r.Shop, "order", ev.OrderID, "err", err)
					select {
					case <-time.After(backoff):
					case <-ctx.Done():
					}
				}
			}
			d.Log.Info("manual sync requested", "shop", r.Shop, "request", r.RequestID, "orders", len(r.OrderIDs))
		})
		if ctx.Err() != nil {
			return nil
		}
		if err := cl.CommitUncommittedOffsets(ctx); err != nil && ctx.Err() == nil {
			d.Log.Warn("request offsets not committed; requests may be answered twice", "err", err)
		}
	}
}
