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
	jobs, err := LoadJobs(ctx, opts, dec, func(k string) bool { return k == key }, nil)
	if err != nil || len(jobs) == 0 {
		return nil, err
	}
	return &jobs[0], nil
}

// LoadJobs reads synco.jobs to its end and returns the latest state of every job whose
// key keep takes (nil: all), in the order they first appeared; a deleted one
// (tombstone) is left out. A record that does not decode is handed to bad and left
// out; with bad nil it is the error.
func LoadJobs(ctx context.Context, opts []kgo.Opt, dec Decoder, keep func(key string) bool, bad func(key string, err error)) ([]schemas.Job, error) {
	latest := map[string][]byte{}
	var order []string
	err := consume.ReadToEnd(ctx, opts, schemas.TopicJobs, nil, func(r *kgo.Record) {
		k := string(r.Key)
		if keep != nil && !keep(k) {
			return
		}
		if _, ok := latest[k]; !ok {
			order = append(order, k)
		}
		latest[k] = r.Value // nil: a tombstone
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", schemas.TopicJobs, err)
	}
	var out []schemas.Job
	for _, k := range order {
		if latest[k] == nil {
			continue
		}
		var j schemas.Job
		if err := dec.Decode(ctx, schemas.TopicJobs, latest[k], &j); err != nil {
			if bad == nil {
				return nil, fmt.Errorf("job %s: %w", k, err)
			}
			bad(k, err)
			continue
		}
		out = append(out, j)
	}
	return out, nil
}

// Emitter is Publish on p, as the jobs take it.
func Emitter(p *kafka.Publisher) func(context.Context, []*schemas.OrderEvent) error {
	return func(ctx context.Context, evs []*schemas.OrderEvent) error { return Publish(ctx, p, evs) }
}

// Saver is SaveJob on p, as the jobs take it.
func Saver(p *kafka.Publisher) func(context.Context, *schemas.Job) error {
	return func(ctx context.Context, j *schemas.Job) error { return SaveJob(ctx, p, j) }
}
