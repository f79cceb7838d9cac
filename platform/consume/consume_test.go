package consume_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/consume"
	"github.com/synco-dev/synco/platform/kafka"
)

const wait = 30 * time.Second // a deadline on a busy machine, not a measure

func cluster(t *testing.T, topics ...string) []kgo.Opt {
	t.Helper()
	e, err := kafka.StartEmbedded("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	opts := []kgo.Opt{kgo.SeedBrokers(e.Addr), kgo.FetchMaxWait(200 * time.Millisecond)}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	if _, err := kadm.NewClient(cl).CreateTopics(context.Background(), 2, 1, nil, topics...); err != nil {
		t.Fatal(err)
	}
	return opts
}

func produce(t *testing.T, opts []kgo.Opt, topic string, part int32, values ...string) {
	t.Helper()
	cl, err := kgo.NewClient(append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, v := range values {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: topic, Partition: part, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

func committed(t *testing.T, opts []kgo.Opt, group, topic string, part int32) int64 {
	t.Helper()
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	os, err := kadm.NewClient(cl).FetchOffsets(context.Background(), group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return -1
	}
	if err != nil {
		t.Fatal(err)
	}
	o, ok := os.Lookup(topic, part)
	if !ok {
		return -1
	}
	return o.At
}

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A deferred partition is not committed past the deferral, is paused while other
// partitions flow, and is delivered again from the deferred record once due.
func TestDeferPausesOnePartitionUntilDue(t *testing.T) {
	opts := cluster(t, "t")
	produce(t, opts, "t", 0, "a0", "a1", "a2")
	c, err := consume.New(opts, consume.Config{Group: "g", Topics: []string{"t"}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var handledAt sync.Map
	due := time.Now().Add(1500 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- c.Run(ctx, func(ctx context.Context, b *consume.Batch) error {
			for _, p := range b.Partitions {
				for _, r := range p.Records {
					v := string(r.Value)
					if v == "a1" && time.Now().Before(due) {
						b.Defer(p.Topic, p.Partition, r.Offset, due)
						break
					}
					mu.Lock()
					seen[v]++
					mu.Unlock()
					handledAt.LoadOrStore(v, time.Now())
				}
			}
			return nil
		})
	}()
	count := func(v string) int { mu.Lock(); defer mu.Unlock(); return seen[v] }
	eventually(t, "a0 handled", func() bool { return count("a0") == 1 })
	eventually(t, "partition 0 committed up to a1", func() bool { return committed(t, opts, "g", "t", 0) == 1 })
	// The other partition flows while partition 0 waits.
	produce(t, opts, "t", 1, "b0")
	eventually(t, "b0 handled", func() bool { return count("b0") == 1 })
	if count("a1") != 0 || count("a2") != 0 {
		t.Fatalf("records after the deferral handled before due: %v", seen)
	}
	if at, _ := handledAt.Load("b0"); at.(time.Time).After(due) {
		t.Fatal("the other partition waited for the deferred one")
	}
	eventually(t, "a1 and a2 handled once due", func() bool { return count("a1") == 1 && count("a2") == 1 })
	if at, _ := handledAt.Load("a1"); at.(time.Time).Before(due) {
		t.Error("a1 handled before it was due")
	}
	eventually(t, "partition 0 committed to its end", func() bool { return committed(t, opts, "g", "t", 0) == 3 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if count("a0") != 1 {
		t.Errorf("a0 handled %d times", count("a0"))
	}
}

// A failed batch is handled again before anything is committed.
func TestFailedBatchIsHandledAgainBeforeCommit(t *testing.T) {
	opts := cluster(t, "t")
	produce(t, opts, "t", 0, "x")
	c, err := consume.New(opts, consume.Config{Group: "g", Topics: []string{"t"}})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx, func(ctx context.Context, b *consume.Batch) error {
		if calls.Add(1) < 3 {
			if got := committed(t, opts, "g", "t", 0); got > 0 {
				t.Errorf("committed %d before the batch succeeded", got)
			}
			return errors.New("kafka away")
		}
		return nil
	})
	eventually(t, "committed after the third try", func() bool { return committed(t, opts, "g", "t", 0) == 1 })
	if n := calls.Load(); n != 3 {
		t.Errorf("handled %d times, want 3", n)
	}
}

// A stop lets the batch in flight finish within the drain time and commits it; past
// the drain its context ends and nothing is committed.
func TestStopDrainsTheBatchInFlight(t *testing.T) {
	for _, tc := range []struct {
		name  string
		drain time.Duration
		work  time.Duration
		want  int64
	}{{"finishes", 5 * time.Second, 300 * time.Millisecond, 1}, {"cut", 100 * time.Millisecond, 5 * time.Second, -1}} {
		t.Run(tc.name, func(t *testing.T) {
			opts := cluster(t, "t")
			produce(t, opts, "t", 0, "x")
			c, err := consume.New(opts, consume.Config{Group: "g", Topics: []string{"t"}, Drain: tc.drain})
			if err != nil {
				t.Fatal(err)
			}
			started := make(chan struct{})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() {
				done <- c.Run(ctx, func(hctx context.Context, b *consume.Batch) error {
					close(started)
					select {
					case <-time.After(tc.work):
						return nil
					case <-hctx.Done():
						return hctx.Err()
					}
				})
			}()
			<-started
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if got := committed(t, opts, "g", "t", 0); got != tc.want {
				t.Errorf("committed %d, want %d", got, tc.want)
			}
		})
	}
}

// ReadToEnd stops at the end a topic had when it was called, transactional or not,
// and skips aborted records.
func TestReadToEnd(t *testing.T) {
	opts := cluster(t, "plain", "tx")
	produce(t, opts, "plain", 0, "p0", "p1")
	produce(t, opts, "plain", 1, "q0")
	tx, err := kgo.NewClient(append(opts, kgo.TransactionalID("t1"), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	ctx := context.Background()
	for i, commit := range []bool{true, false, true} {
		if err := tx.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		tx.ProduceSync(ctx, &kgo.Record{Topic: "tx", Partition: 0, Value: []byte(fmt.Sprint("t", i))})
		if err := tx.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
	}
	read := func(topic string, from map[int32]int64) []string {
		var got []string
		if err := consume.ReadToEnd(ctx, opts, topic, from, func(r *kgo.Record) { got = append(got, string(r.Value)) }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := fmt.Sprint(read("plain", nil)); got != "[p0 p1 q0]" && got != "[q0 p0 p1]" {
		t.Errorf("plain: %s", got)
	}
	if got := fmt.Sprint(read("plain", map[int32]int64{0: 1})); got != "[p1]" {
		t.Errorf("plain from offset 1 of partition 0: %s", got)
	}
	if got := fmt.Sprint(read("tx", nil)); got != "[t0 t2]" {
		t.Errorf("transactional: %s", got)
	}
}
