// Package events takes the order events that ingest makes itself (backfill, manual
// sync, reconciliation, replay, privacy) to shopify.orders, keyed by order like the
// webhooks' events, and reads and writes the jobs topic those runs report to.
package events

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/consume"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/schemas"
)

// Publish sends evs and returns once Kafka has every one.
func Publish(ctx context.Context, p *kafka.Publisher, evs []*schemas.OrderEvent) error {
	b := p.Batch()
	for _, ev := range evs {
		if err := b.Publish(ctx, schemas.TopicOrders, schemas.OrderKey(ev.Shop, ev.OrderID), ev); err != nil {
			return err
		}
	}
	return b.Wait(ctx)
}

// SaveJob publishes a job's state to synco.jobs.
func SaveJob(ctx context.Context, p *kafka.Publisher, j *schemas.Job) error {
	return p.Publish(ctx, schemas.TopicJobs, schemas.JobKey(j.Shop, j.Kind, j.JobID), j)
}

// Decoder reads a topic's Avro value (platform/serde.Serde).
type Decoder interface {
	Decode(ctx context.Context, topic string, b []byte, v any) error
}

// LoadJob reads synco.jobs to its end and returns the job's latest state, or nil.
func LoadJob(ctx context.Context, opts []kgo.Opt, dec Decoder, shop, kind, id string) (*schemas.Job, error) {
	key := string(schemas.JobKey(shop, kind, id))
	var raw []byte
	err := consume.ReadToEnd(ctx, opts, schemas.TopicJobs, nil, func(r *kgo.Record) {
		if string(r.Key) == key {
			raw = r.Value // nil: a tombstone
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", schemas.TopicJobs, err)
	}
	if raw == nil {
		return nil, nil
	}
	var j schemas.Job
	if err := dec.Decode(ctx, schemas.TopicJobs, raw, &j); err != nil {
		return nil, fmt.Errorf("job %s: %w", key, err)
	}
	return &j, nil
}

// Emitter is Publish on p, as the jobs take it.
func Emitter(p *kafka.Publisher) func(context.Context, []*schemas.OrderEvent) error {
	return func(ctx context.Context, evs []*schemas.OrderEvent) error { return Publish(ctx, p, evs) }
}

// Saver is SaveJob on p, as the jobs take it.
func Saver(p *kafka.Publisher) func(context.Context, *schemas.Job) error {
	return func(ctx context.Context, j *schemas.Job) error { return SaveJob(ctx, p, j) }
}
