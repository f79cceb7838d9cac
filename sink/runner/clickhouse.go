package runner

import (
	"context"
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

// OutcomeWriter stores a batch of outcomes; it returns once they are durable.
type OutcomeWriter interface {
	Write(ctx context.Context, batch []schemas.SyncOutcome) error
}

// ClickHouseDeps is what the ClickHouse sink needs.
type ClickHouseDeps struct {
	ClientOpts []kgo.Opt
	Serde      *serde.Serde
	Publisher  *kafka.Publisher // dead letters
	Writer     OutcomeWriter
	Drain      time.Duration     // consume.Config
	Metrics    *metrics.Registry // optional: consumer lag
	Log        *slog.Logger
}

// ClickHouseGroup is the ClickHouse sink's consumer group.
const ClickHouseGroup = "synco-sink-clickhouse"

// RunClickHouse streams synco.outcomes into the writer until ctx ends.
func RunClickHouse(ctx context.Context, d ClickHouseDeps) error {
	cfg := consume.Config{Group: ClickHouseGroup, Topics: []string{schemas.TopicOutcomes}, Drain: d.Drain, Metrics: d.Metrics, Log: d.Log}
	if r, ok := d.Writer.(interface{ ResetCache() }); ok {
		// Another instance may have written the orders of partitions we now get.
		reset := func(context.Context, map[string][]int32) { r.ResetCache() }
		cfg.OnAssigned, cfg.OnRevoked = reset, reset
	}
	c, err := consume.New(d.ClientOpts, cfg)
	if err != nil {
		return err
	}
	return c.Run(ctx, func(ctx context.Context, b *consume.Batch) error {
		batch := make([]schemas.SyncOutcome, 0, b.Len())
		dead := d.Publisher.Batch()
		for _, p := range b.Partitions {
			for _, r := range p.Records {
				var o schemas.SyncOutcome
				if err := d.Serde.Decode(ctx, schemas.TopicOutcomes, r.Value, &o); err != nil {
					// A report, not an order: kept aside so the table does not stall.
					d.Log.Error("unreadable outcome kept in the dead-letter topic", "partition", r.Partition, "offset", r.Offset, "err", err)
					dead.PublishRecord(ctx, deadletter.FromRecord(r, schemas.TopicOutcomesDLQ, "sink.clickhouse", "unreadable outcome: "+err.Error(), time.Now()).Record())
					continue
				}
				batch = append(batch, o)
			}
		}
		if err := dead.Wait(ctx); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		return d.Writer.Write(ctx, batch)
	})
}
