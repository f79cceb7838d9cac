package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/schemas"
)

// KafkaFeed reads topic from its start without a consumer group (every query
// replica holds the whole topic), with the base client options opts.
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

// Start implements Feed. Until the end offsets are known it retries every second
// (Kafka may still be starting); it returns ctx's error if ctx ends first.
func (f KafkaFeed) Start(ctx context.Context, apply func(key, value []byte)) error {
	log := f.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, f.Opts...),
		kgo.ConsumeTopics(f.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)...)
	if err != nil {
		return fmt.Errorf("%s client: %w", f.Topic, err)
	}
	stop := context.AfterFunc(ctx, cl.Close)
	ok := false
	defer func() {
		if !ok && stop() {
			cl.Close()
		}
	}()
	want := map[int32]int64{}
	for {
		ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, f.Topic)
		if err == nil {
			err = ends.Error()
		}
		if err == nil {
			ends.Each(func(o kadm.ListedOffset) {
				if o.Offset > 0 {
					want[o.Partition] = o.Offset
				}
			})
			break
		}
		log.Warn("end offsets not known yet; trying again", "topic", f.Topic, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	each := func(fs kgo.Fetches) {
		fs.EachError(func(t string, p int32, err error) {
			log.Warn("fetch", "topic", t, "partition", p, "err", err)
		})
		fs.EachRecord(func(r *kgo.Record) {
			apply(r.Key, r.Value)
			if end, ok := want[r.Partition]; ok && r.Offset+1 >= end {
				delete(want, r.Partition)
			}
		})
	}
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		each(fs)
	}
	ok = true
	go func() {
		defer func() {
			if stop() {
				cl.Close()
			}
		}()
		for {
			fs := cl.PollFetches(ctx)
			if fs.IsClientClosed() || ctx.Err() != nil {
				return
			}
			each(fs)
		}
	}()
	return nil
}
