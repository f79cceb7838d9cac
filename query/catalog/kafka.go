package catalog

import (
	"context"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/consume"
	"github.com/synco-dev/synco/schemas"
)

// KafkaFeed follows topic with platform/consume's Table (read to the end, then
// follow; no consumer group: every query replica holds the whole topic), with the base
// client options opts.
type KafkaFeed struct {
	Opts  []kgo.Opt
	Topic string
	Log   *slog.Logger
}

// FollowKafka is Follow on synco.odoo.catalog through a KafkaFeed: what the query
// service wires (one line).
func FollowKafka(ctx context.Context, opts []kgo.Opt, dec Decoder, log *slog.Logger) *Store {
	return Follow(ctx, KafkaFeed{Opts: opts, Topic: schemas.TopicOdooCatalog, Log: log}, dec, log)
}

// Start implements Feed. While the topic cannot be read (Kafka still starting, say) it
// tries again every second; it returns ctx's error if ctx ends first. The table stops
// following when ctx ends.
func (f KafkaFeed) Start(ctx context.Context, apply func(key, value []byte)) error {
	log := f.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for {
		t, err := consume.OpenTable(ctx, append([]kgo.Opt{}, f.Opts...), f.Topic, func(r *kgo.Record) { apply(r.Key, r.Value) })
		if err == nil {
			context.AfterFunc(ctx, t.Close)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn("odoo catalog topic not readable yet; trying again", "topic", f.Topic, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
