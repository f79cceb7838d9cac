package consume

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// quietLimit is how long a read to the end waits without a record before it takes
// what it has: a fallback only, since control records (kept) bring every partition,
// transactional or not, to its end offset.
const quietLimit = 10 * time.Second

// ReadToEnd reads topic's partitions from the given offsets (nil: every partition
// from its start) up to the end each has when it is called — its last stable offset,
// so a transactional changelog is read to its committed end and no further — and
// calls apply with each data record in offset order per partition. It is the one
// restore of a compacted topic (settings, the processor's changelog, the catalog).
func ReadToEnd(ctx context.Context, opts []kgo.Opt, topic string, from map[int32]int64, apply func(*kgo.Record)) error {
	cl, err := kgo.NewClient(append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())...)
	if err != nil {
		return fmt.Errorf("read %s: %w", topic, err)
	}
	defer cl.Close()
	_, err = readToEnd(ctx, cl, topic, from, apply)
	return err
}

// readToEnd consumes on cl (which must keep control records) and returns the next
// offset of every partition read.
func readToEnd(ctx context.Context, cl *kgo.Client, topic string, from map[int32]int64, apply func(*kgo.Record)) (map[int32]int64, error) {
	ends, err := kadm.NewClient(cl).ListCommittedOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	if err := ends.Error(); err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	next := map[int32]int64{}
	want := map[int32]int64{}
	start := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		at := int64(0)
		if from != nil {
			f, ok := from[o.Partition]
			if !ok {
				return
			}
			at = f
		}
		next[o.Partition] = at
		start[o.Partition] = kgo.NewOffset().At(at)
		if o.Offset > at {
			want[o.Partition] = o.Offset
		}
	})
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: start})
	quiet := time.Duration(0)
	for len(want) > 0 {
		pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if fs.NumRecords() == 0 {
			if quiet += 500 * time.Millisecond; quiet >= quietLimit {
				break
			}
			continue
		}
		quiet = 0
		fs.EachRecord(func(r *kgo.Record) {
			next[r.Partition] = r.Offset + 1
			if end, ok := want[r.Partition]; ok && r.Offset+1 >= end {
				delete(want, r.Partition)
			}
			if !r.Attrs.IsControl() {
				apply(r)
			}
		})
	}
	return next, nil
}

// Table follows a compacted topic: Open reads it to its end, then a goroutine keeps
// applying new records until Close.
type Table struct {
	cl   *kgo.Client
	done chan struct{}
}

// OpenTable reads every partition of topic to its end, calling apply for each record,
// and returns once it has; apply then keeps being called (from one goroutine) with
// every record that arrives, until Close.
func OpenTable(ctx context.Context, opts []kgo.Opt, topic string, apply func(*kgo.Record)) (*Table, error) {
	cl, err := kgo.NewClient(append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())...)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", topic, err)
	}
	if _, err := readToEnd(ctx, cl, topic, nil, apply); err != nil {
		cl.Close()
		return nil, err
	}
	t := &Table{cl: cl, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		for {
			fs := cl.PollFetches(context.Background())
			if fs.IsClientClosed() {
				return
			}
			fs.EachRecord(func(r *kgo.Record) {
				if !r.Attrs.IsControl() {
					apply(r)
				}
			})
		}
	}()
	return t, nil
}

// Client is the table's client; it may also produce (a store writing its own topic).
func (t *Table) Client() *kgo.Client { return t.cl }

// Close stops following.
func (t *Table) Close() {
	t.cl.Close()
	<-t.done
}
