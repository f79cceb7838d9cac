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

	"github.com/synco-dev/synco/platform/consume"
	"github.com/synco-dev/synco/platform/deadletter"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/metrics"
	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/schemas"
)

// Group is the consumer group answering requests.
const Group = "synco-ingest-requests"

// Deps is what the request consumer needs.
type Deps struct {
	ClientOpts []kgo.Opt
	Serde      *serde.Serde
	Publisher  *kafka.Publisher
	Drain      time.Duration     // consume.Config
	Metrics    *metrics.Registry // optional: consumer lag
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
	c, err := consume.New(d.ClientOpts, consume.Config{Group: Group, Topics: []string{schemas.TopicRequests}, Drain: d.Drain, Metrics: d.Metrics, Log: d.Log})
	if err != nil {
		return err
	}
	return c.Run(ctx, func(ctx context.Context, b *consume.Batch) error {
		out := d.Publisher.Batch()
		for _, p := range b.Partitions {
			for _, rec := range p.Records {
				var r schemas.SyncRequest
				if err := d.Serde.Decode(ctx, schemas.TopicRequests, rec.Value, &r); err != nil {
					d.Log.Error("unreadable sync request kept in the dead-letter topic", "offset", rec.Offset, "err", err)
					out.PublishRecord(ctx, deadletter.FromRecord(rec, schemas.TopicRequestsDLQ, "ingest.requests", "unreadable sync request: "+err.Error(), time.Now()).Record())
					continue
				}
				if r.AllEligible {
					d.Log.Warn("sync of all eligible orders needs the Shopify Admin API client (not yet built); only named orders are re-synced", "shop", r.Shop, "request", r.RequestID)
				}
				for _, ev := range Events(&r, time.Now()) {
					if err := out.Publish(ctx, schemas.TopicOrders, schemas.OrderKey(ev.Shop, ev.OrderID), ev); err != nil {
						return err
					}
				}
				d.Log.Info("manual sync requested", "shop", r.Shop, "request", r.RequestID, "orders", len(r.OrderIDs))
			}
		}
		// Kafka unavailable: the loop handles the batch again; nothing is committed.
		return out.Wait(ctx)
	})
}
