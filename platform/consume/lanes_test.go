package consume_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/consume"
)

// shopOf is the lane of "shop/…" values.
func shopOf(r *kgo.Record) string { s, _, _ := strings.Cut(string(r.Value), "/"); return s }

// A lane that hangs holds back neither another lane on the same partition nor its own
// partition's polling; the partition's offset is never committed past the hung record,
// and once it finishes everything is committed.
func TestLanesAHungLaneDelaysNoOther(t *testing.T) {
	opts := cluster(t, "t")
	produce(t, opts, "t", 0, "hung/1", "fast/1", "fast/2", "hung/2", "fast/3")
	c, err := consume.New(opts, consume.Config{Group: "g", Topics: []string{"t"}, Async: true})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var mu sync.Mutex
	var order []string
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- c.RunLanes(ctx, consume.Lanes{Key: shopOf, CommitEvery: 50 * time.Millisecond, Handle: func(ctx context.Context, r *kgo.Record) error {
			if string(r.Value) == "hung/1" {
				select {
				case <-release:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			mu.Lock()
			order = append(order, string(r.Value))
			mu.Unlock()
			return nil
		}})
	}()
	handled := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string{}, order...) }
	eventually(t, "the fast lane's three records", func() bool { return len(handled()) == 3 })
	if got := strings.Join(handled(), " "); got != "fast/1 fast/2 fast/3" {
		t.Fatalf("handled %q while hung/1 hangs", got)
	}
	// Nothing past the hung record (offset 0) may be committed.
	time.Sleep(200 * time.Millisecond) // several commit ticks: a commit past offset 0 would show
	if got := committed(t, opts, "g", "t", 0); got > 0 {
		t.Fatalf("committed up to %d past the unfinished record at 0", got)
	}
	close(release)
	eventually(t, "everything committed", func() bool { return committed(t, opts, "g", "t", 0) == 5 })
	if got := strings.Join(handled(), " "); !strings.HasSuffix(got, "hung/1 hung/2") {
		t.Errorf("the hung lane's records out of order: %q", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A record whose handling fails stays unfinished and is handled again.
func TestLanesFailedRecordIsHandledAgain(t *testing.T) {
	opts := cluster(t, "t")
	produce(t, opts, "t", 1, "a/1", "a/2")
	c, err := consume.New(opts, consume.Config{Group: "g", Topics: []string{"t"}, Async: true})
	if err != nil {
		t.Fatal(err)
	}
	var tries atomic.Int32
	var second atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.RunLanes(ctx, consume.Lanes{Key: shopOf, CommitEvery: 20 * time.Millisecond, Handle: func(ctx context.Context, r *kgo.Record) error {
		if string(r.Value) == "a/1" && tries.Add(1) < 3 {
			return errors.New("kafka did not take the result")
		}
		if string(r.Value) == "a/2" {
			if tries.Load() < 3 {
				t.Error("a/2 handled before a/1 finished: a lane keeps its order")
			}
			second.Store(true)
		}
		return nil
	}})
	eventually(t, "both committed", func() bool { return committed(t, opts, "g", "t", 1) == 2 })
	if !second.Load() || tries.Load() != 3 {
		t.Errorf("tries %d", tries.Load())
	}
}

// A partition with MaxInFlight unfinished records stops being fetched until half are
// done; nothing is lost.
func TestLanesPauseAPartitionThatIsFull(t *testing.T) {
	opts := cluster(t, "t")
	var vals []string
	for i := range 40 {
		vals = append(vals, "s"+string(rune('a'+i%4))+"/x")
	}
	produce(t, opts, "t", 0, vals...)
	c, err := consume.New(opts, consume.Config{Group: "g", Topics: []string{"t"}, Async: true, MaxRecords: 5})
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	var n atomic.Int32
	var sawPaused atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.RunLanes(ctx, consume.Lanes{Key: shopOf, MaxInFlight: 10, CommitEvery: 20 * time.Millisecond, Handle: func(ctx context.Context, r *kgo.Record) error {
		<-gate
		n.Add(1)
		return nil
	}})
	eventually(t, "the partition paused", func() bool {
		u := c.Unfinished()["t"][0]
		if len(c.Paused()["t"]) == 1 {
			sawPaused.Store(true)
		}
		return sawPaused.Load() && u >= 10
	})
	if u := c.Unfinished()["t"][0]; u > 15 {
		t.Errorf("%d records taken in while paused at 10", u)
	}
	close(gate)
	eventually(t, "all 40 handled and committed", func() bool { return n.Load() == 40 && committed(t, opts, "g", "t", 0) == 40 })
}
