package runner

import (
	"context"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"

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
	Writer     OutcomeWriter
	Log        *slog.Logger
}

// ClickHouseGroup is the ClickHouse sink's consumer group.
const ClickHouseGroup = "synco-sink-clickhouse"

// RunClickHouse streams synco.outcomes into the writer until ctx ends.
func RunClickHouse(ctx context.Context, d ClickHouseDeps) error {
	return consume(ctx, d.ClientOpts, ClickHouseGroup, []string{schemas.TopicOutcomes}, d.Log, func(ctx context.Context, fs kgo.Fetches) error {
		batch := make([]schemas.SyncOutcome, 0, fs.NumRecords())
		fs.EachRecord(func(r *kgo.Record) {
			var o schemas.SyncOutcome
			if err := d.Serde.Decode(ctx, schemas.TopicOutcomes, r.Value, &o); err != nil {
				// An outcome is a report, not an order: an unreadable one is logged with
				// its position (the record stays in Kafka) rather than blocking the table.
				d.Log.Error("unreadable outcome skipped", "partition", r.Partition, "offset", r.Offset, "err", err)
				return
			}
			batch = append(batch, o)
		})
		if len(batch) == 0 {
			return nil
		}
		return d.Writer.Write(ctx, batch)
	}, resetter(d.Writer))
}

// resetter returns the writer's cache reset, if it keeps one.
func resetter(w OutcomeWriter) func() {
	if r, ok := w.(interface{ ResetCache() }); ok {
		return r.ResetCache
	}
	return nil
}
