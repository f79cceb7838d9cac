package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/deadletter"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/metrics"
	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/schemas"
)

// groupProducer publishes webhooks in group commits: while one produce request is at
// the broker, the records of the webhooks arriving meanwhile wait here, and then all
// go in the next request, one batch per partition. Each webhook still waits for its
// own record's acknowledgement (acks=all, idempotent). Kafka's cost is per batch, not
// per record — the embedded cluster syncs each batch to disk, ~0.4 ms an fsync here —
// so sharing a round trip among the webhooks in flight is what lets the
// acknowledgement keep up at flash-sale rates. franz-go alone cuts a request as soon
// as one of its five in-flight slots frees, which at 64 webhooks in flight made
// batches of ~10 records; one request at a time makes them as large as the number of
// webhooks waiting.
type groupProducer struct {
	cl   *kgo.Client // kafka.GroupCommitOpts: flushed only here
	sd   *serde.Serde
	q    chan *pending
	stop chan struct{}
	done chan struct{}
	// What the group commits look like (synco_ingest_group_records, _group_seconds).
	records, seconds prometheus.Observer
	maxWait          time.Duration // maxGroupWait; 0: never wait
}

type pending struct {
	ctx  context.Context
	r    *kgo.Record
	err  chan error
	call func(*kgo.Record, error)
}

var pendingPool = sync.Pool{New: func() any {
	p := &pending{err: make(chan error, 1)}
	p.call = func(_ *kgo.Record, err error) { p.err <- err }
	return p
}}

// maxGroup bounds one group (the queue holds at most the webhooks in flight anyway).
const maxGroup = 4096

// maxGroupWait bounds how long a group waits for the previous group's webhooks to
// come back before it is sent (a fraction of the ~1-6 ms a synced round trip takes
// here; bench/RESULTS.md).
const maxGroupWait = time.Millisecond

func newGroupProducer(opts []kgo.Opt, sd *serde.Serde, reg *metrics.Registry) (*groupProducer, error) {
	cl, err := kgo.NewClient(slices.Concat(opts, kafka.GroupCommitOpts())...)
	if err != nil {
		return nil, fmt.Errorf("ingest producer: %w", err)
	}
	var records, seconds prometheus.Observer = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "unregistered"}),
		prometheus.NewHistogram(prometheus.HistogramOpts{Name: "unregistered"})
	if reg != nil {
		records, seconds = reg.IngestGroupRecords, reg.IngestGroupSeconds
	}
	g := &groupProducer{cl: cl, sd: sd, q: make(chan *pending, maxGroup), stop: make(chan struct{}), done: make(chan struct{}),
		records: records, seconds: seconds, maxWait: maxGroupWait}
	go g.run()
	return g, nil
}

func (g *groupProducer) run() {
	defer close(g.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-g.stop; cancel() }()
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	prev := 1 // records in the previous group
	for {
		var first *pending
		select {
		case first = <-g.q:
		case <-g.stop:
			return
		}
		g.cl.Produce(first.ctx, first.r, first.call)
		n := 1
		// Take what is queued; then, while fewer than the previous group have come,
		// wait for them up to maxGroupWait: the webhooks the last acknowledgement
		// answered are on their way back (the load keeps a number in flight), and one
		// synced batch for all of them costs what a batch for a few costs. With one
		// webhook in flight the previous group was 1: no wait at all.
		wait.Reset(g.maxWait)
	group:
		for n < maxGroup {
			select {
			case p := <-g.q:
				g.cl.Produce(p.ctx, p.r, p.call)
				n++
				continue
			default:
			}
			if n >= prev || g.maxWait == 0 {
				break
			}
			select {
			case p := <-g.q:
				g.cl.Produce(p.ctx, p.r, p.call)
				n++
			case <-wait.C:
				break group
			case <-g.stop:
				break group
			}
		}
		wait.Stop()
		prev = n
		// Returns once every record of the group is acknowledged or failed; each
		// record's promise has told its webhook by then.
		start := time.Now()
		g.cl.Flush(ctx)
		g.seconds.Observe(time.Since(start).Seconds())
		g.records.Observe(float64(n))
	}
}

// produce queues r for the next group and waits for its acknowledgement or ctx.
func (g *groupProducer) produce(ctx context.Context, r *kgo.Record) error {
	p := pendingPool.Get().(*pending)
	p.ctx, p.r = ctx, r
	select {
	case g.q <- p:
	case <-ctx.Done():
		p.ctx, p.r = nil, nil
		pendingPool.Put(p)
		return ctx.Err()
	case <-g.done:
		return errors.New("ingest producer closed")
	}
	select {
	case err := <-p.err:
		p.ctx, p.r = nil, nil
		pendingPool.Put(p) // answered: nothing refers to it any more
		if err != nil {
			return fmt.Errorf("produce to %s: %w", r.Topic, err)
		}
		return nil
	case <-ctx.Done():
		// The promise will still fire into p.err (buffered); p is not reused.
		return ctx.Err()
	}
}

func (g *groupProducer) PublishOrder(ctx context.Context, ev *schemas.OrderEvent) error {
	val, err := g.sd.Encode(schemas.TopicOrders, ev)
	if err != nil {
		return err
	}
	return g.produce(ctx, &kgo.Record{Topic: schemas.TopicOrders, Key: schemas.OrderKey(ev.Shop, ev.OrderID), Value: val})
}

func (g *groupProducer) PublishDeadLetter(ctx context.Context, dl deadletter.Letter) error {
	return g.produce(ctx, dl.Record())
}

// Close stops the loop and the client (records not yet acknowledged fail; their
// webhooks have been answered 503 or are answered so).
func (g *groupProducer) Close() {
	close(g.stop)
	<-g.done
	g.cl.Close()
}
