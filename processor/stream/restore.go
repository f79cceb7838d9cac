package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/consume"
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

	// Changes are written in chunks smaller than half a memtable (Pebble keeps a larger
	// batch whole in memory until it is flushed), each with the offset after it.
	type chunk struct {
		changes []store.Change
		size    int
		next    int64
	}
	var (
		read     = map[int32]int{}
		pending  = map[int32]*chunk{}
		applyErr error
	)
	flush := func(part int32, c *chunk) {
		if applyErr != nil || len(c.changes) == 0 {
			return
		}
		applyErr = p.store.Restore(part, c.changes, store.Checkpoint{TopicID: id, Next: c.next})
		read[part] += len(c.changes)
		p.restored.Add(int64(len(c.changes)))
		c.changes, c.size = c.changes[:0], 0
	}
	todo := map[int32]int64{}
	for part, f := range from {
		if f < end[part] {
			todo[part] = f
		}
	}
	if len(todo) > 0 {
		err = consume.ReadToEnd(ctx, append(p.d.ClientOpts, kgo.FetchMaxBytes(fetchBytes)), topic, todo, func(r *kgo.Record) {
			c := pending[r.Partition]
			if c == nil {
				c = &chunk{}
				pending[r.Partition] = c
			}
			c.changes = append(c.changes, store.Change{Key: r.Key, Value: r.Value})
			c.size += len(r.Key) + len(r.Value)
			c.next = r.Offset + 1
			if c.size >= restoreChunkBytes {
				flush(r.Partition, c)
			}
		})
		for part, c := range pending {
			flush(part, c)
		}
		if err = errors.Join(err, applyErr); err != nil {
			errs = append(errs, err)
		}
	}
	took := time.Since(start).Round(time.Millisecond)
	for part, f := range from {
		p.d.Log.Info("processor partition assigned", "partition", part, "changelog_from", f, "changelog_end", end[part],
			"records_read", read[part], "restore_took", took)
	}
	return errors.Join(errs...)
}
