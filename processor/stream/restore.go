package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/processor/store"
	"github.com/synco-dev/synco/schemas"
)

// restoreChunkBytes bounds one write of restored records into the store.
const restoreChunkBytes = 512 << 10

// fetchBytes bounds one fetch of the loop and of a restore: a client holds a few,
// decompressed (several times the bytes fetched), so this bounds their memory.
const fetchBytes = 2 << 20

// restore brings the store's partitions parts up to the changelog's last stable
// offset: from each partition's checkpoint when the store holds this changelog's
// data, from the start when it is empty, held another topic's data or is ahead of the
// changelog (a Kafka that lost data or was replaced).
func (p *Processor) restore(ctx context.Context, parts []int32) error {
	start := time.Now()
	cl, err := kgo.NewClient(p.d.ClientOpts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	topic := schemas.TopicProcessorState
	details, err := adm.ListTopics(ctx, topic)
	if err == nil {
		err = details.Error()
	}
	if err != nil {
		return fmt.Errorf("changelog metadata: %w", err)
	}
	id := [16]byte(details[topic].ID)
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return fmt.Errorf("changelog start offsets: %w", err)
	}
	ends, err := adm.ListCommittedOffsets(ctx, topic) // the last stable offsets
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return fmt.Errorf("changelog end offsets: %w", err)
	}

	from, end := map[int32]int64{}, map[int32]int64{}
	var errs []error
	for _, part := range parts {
		cp, err := p.store.Load(part)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		lo, _ := starts.Lookup(topic, part)
		hi, _ := ends.Lookup(topic, part)
		kept := cp != (store.Checkpoint{}) // data is always written with its checkpoint
		switch {
		case kept && (cp.TopicID != id || cp.Next > hi.Offset || cp.Next < lo.Offset):
			p.d.Log.Warn("processor state does not match the changelog; rebuilding the partition from the changelog",
				"partition", part, "store_next", cp.Next, "changelog_start", lo.Offset, "changelog_end", hi.Offset, "same_topic", cp.TopicID == id)
			cp = store.Checkpoint{TopicID: id, Next: lo.Offset}
			if err := p.store.Reset(part, cp); err != nil {
				errs = append(errs, err)
				continue
			}
		case !kept: // an empty store: it only needs to say which changelog it follows
			cp = store.Checkpoint{TopicID: id, Next: lo.Offset}
			if err := p.store.Restore(part, nil, cp); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		from[part], end[part] = cp.Next, hi.Offset
	}

	read := map[int32]int{}
	var changes []store.Change
	err = readChangelog(ctx, p.d.ClientOpts, topic, from, end, p.d.Log, func(part int32, recs []*kgo.Record) error {
		// Written in chunks smaller than half a memtable: Pebble keeps a larger batch
		// whole in memory until it is flushed.
		changes, size := changes[:0], 0
		for i, r := range recs {
			if !r.Attrs.IsControl() {
				changes = append(changes, store.Change{Key: r.Key, Value: r.Value})
				size += len(r.Key) + len(r.Value)
			}
			if i == len(recs)-1 || size >= restoreChunkBytes {
				if err := p.store.Restore(part, changes, store.Checkpoint{TopicID: id, Next: r.Offset + 1}); err != nil {
					return err
				}
				read[part] += len(changes)
				p.restored.Add(int64(len(changes)))
				changes, size = changes[:0], 0
			}
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	took := time.Since(start).Round(time.Millisecond)
	for part, f := range from {
		p.d.Log.Info("processor partition assigned", "partition", part, "changelog_from", f, "changelog_end", end[part],
			"records_read", read[part], "restore_took", took)
	}
	return errors.Join(errs...)
}

// readChangelog reads each partition of topic from from[part] up to end[part] (read
// committed), handing every fetched run of records, transaction markers included, to
// apply. It is the changelog restore, with no knowledge of the store.
func readChangelog(ctx context.Context, opts []kgo.Opt, topic string, from, end map[int32]int64, log *slog.Logger,
	apply func(part int32, recs []*kgo.Record) error) error {
	offsets := map[int32]kgo.Offset{}
	for part, f := range from {
		if f < end[part] {
			offsets[part] = kgo.NewOffset().At(f)
		}
	}
	if len(offsets) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(append(opts,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}),
		kgo.FetchMaxBytes(fetchBytes),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Transaction markers occupy offsets (the last one is the changelog's end):
		// seeing them tells the loop below it has read the partition.
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	quiet := 0
	for len(offsets) > 0 && quiet < 20 {
		// The markers bring every partition to its end; ten quiet seconds are only a
		// fallback (a gap at the end), long enough that a slow broker does not cut a
		// restore short.
		pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if fs.NumRecords() == 0 {
			quiet++
			continue
		}
		quiet = 0
		var errs []error
		fs.EachPartition(func(fp kgo.FetchTopicPartition) {
			if fp.Err != nil && !errors.Is(fp.Err, context.DeadlineExceeded) {
				log.Warn("changelog fetch error", "partition", fp.Partition, "err", fp.Err)
			}
			if len(fp.Records) == 0 {
				return
			}
			if err := apply(fp.Partition, fp.Records); err != nil {
				errs = append(errs, err)
			}
			if _, reading := offsets[fp.Partition]; reading && fp.Records[len(fp.Records)-1].Offset+1 >= end[fp.Partition] {
				delete(offsets, fp.Partition)
				cl.RemoveConsumePartitions(map[string][]int32{topic: {fp.Partition}})
			}
		})
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
	}
	if len(offsets) > 0 {
		log.Warn("changelog read stopped before its end (nothing more arrived)", "partitions", len(offsets))
	}
	return nil
}
