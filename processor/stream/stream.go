// Package stream runs the processor on Kafka: it consumes order events in a consumer
// group and, in one Kafka transaction per batch, produces the Odoo commands, the
// outcomes and the state changelog and commits the input offsets (exactly once).
// The state of the partitions it owns is in a local store (processor/store) caught up
// from the changelog on assignment (restore.go).
package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/deadletter"
	"github.com/synco-dev/synco/platform/metrics"
	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/platform/settings"
	"github.com/synco-dev/synco/processor/decide"
	"github.com/synco-dev/synco/processor/store"
	"github.com/synco-dev/synco/schemas"
)

// Group is the processor's consumer group.
const Group = "synco-processor"

// DefaultTransactionEvents bounds the events of one transaction unless Deps says:
// the states it holds until Kafka commits (~1-2 KB an event) stay ~20 MB, while the
// per-transaction round trips stay small next to the work.
const DefaultTransactionEvents = 16384

// Deps is what the processor needs; main wires it.
type Deps struct {
	ClientOpts    []kgo.Opt // brokers, client id, logger
	TransactionID string    // unique per running instance
	Serde         *serde.Serde
	Settings      *settings.Store
	Log           *slog.Logger
	Now           func() time.Time

	// StateDir holds the local store: one Pebble database per partition in
	// StateDir/synco-processor/<partition>, kept across restarts so that a restart
	// reads only the changelog's tail. Empty: a temporary directory removed when Run
	// returns (every start then restores the whole changelog).
	StateDir string
	// CacheBytes bounds the store's block cache, shared by its partitions
	// (0: store.DefaultCacheBytes, 64 MiB).
	CacheBytes int64
	// MemTableBytes is each partition's write buffer; a partition holds at most two
	// (0: store.DefaultMemTableBytes, 2 MiB).
	MemTableBytes int64
	// TransactionEvents bounds the events of one transaction (0:
	// DefaultTransactionEvents): larger, fewer commits to wait for, more memory.
	TransactionEvents int
	// Metrics, when set, counts events by what became of them and the outcomes
	// (counted as decided: a transaction that aborts counts its batch again).
	Metrics *metrics.Registry
}

func (p *Processor) txnEvents() int {
	if p.d.TransactionEvents > 0 {
		return p.d.TransactionEvents
	}
	return DefaultTransactionEvents
}

// Processor is one running instance.
type Processor struct {
	d     Deps
	store *store.Store
	// restored counts the changelog records restores applied, assignments the
	// assignments handled (tests, benchmarks).
	restored    atomic.Int64
	assignments atomic.Int64
}

// New returns a processor; Run starts it.
func New(d Deps) *Processor {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Processor{d: d}
}

// openStore opens the local store; the returned func closes it (and removes a
// temporary directory).
func (p *Processor) openStore() (func(), error) {
	dir, cleanup := p.d.StateDir, func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "synco-processor-state-")
		if err != nil {
			return nil, fmt.Errorf("processor state directory: %w", err)
		}
		p.d.Log.Info("processor state in a temporary directory (no state dir configured): every start restores the whole changelog", "dir", tmp)
		dir, cleanup = tmp, func() { os.RemoveAll(tmp) }
	}
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, Group), CacheBytes: p.d.CacheBytes,
		MemTableBytes: p.d.MemTableBytes, Log: p.d.Log})
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("processor state: %w", err)
	}
	p.store = st
	return func() {
		st.Close()
		cleanup()
	}, nil
}

// Run processes until ctx ends or a fatal error.
func (p *Processor) Run(ctx context.Context) error {
	closeStore, err := p.openStore()
	if err != nil {
		return err
	}
	// Registered first, so it runs after the session's Close, whose revoke callback
	// still uses the store.
	defer closeStore()
	sess, err := kgo.NewGroupTransactSession(append(p.d.ClientOpts,
		kgo.ConsumerGroup(Group),
		kgo.ConsumeTopics(schemas.TopicOrders),
		kgo.TransactionalID(p.d.TransactionID),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(fetchBytes),
		kgo.RecordPartitioner(changelogPartitioner{kgo.UniformBytesPartitioner(64<<10, true, true, nil)}),
		kgo.OnPartitionsAssigned(p.assigned),
		kgo.OnPartitionsRevoked(p.dropped),
		kgo.OnPartitionsLost(p.dropped),
	)...)
	if err != nil {
		return fmt.Errorf("processor session: %w", err)
	}
	defer sess.Close()
	for {
		fetches := sess.PollRecords(ctx, p.txnEvents())
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(t string, part int32, err error) {
			p.d.Log.Warn("processor fetch error", "topic", t, "partition", part, "err", err)
		})
		if fetches.NumRecords() == 0 {
			continue
		}
		if err := p.batch(ctx, sess, fetches); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			p.d.Log.Error("processor batch not committed; it will be processed again", "err", err)
			p.repair(ctx, err)
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// batch processes one poll's records in one transaction.
func (p *Processor) batch(ctx context.Context, sess *kgo.GroupTransactSession, fetches kgo.Fetches) error {
	if err := sess.Begin(); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	var (
		mu      sync.Mutex
		prodErr error
		next    = map[int32]int64{} // changelog partition -> offset after our last record
	)
	promise := func(r *kgo.Record, err error) {
		if err == nil && r.Topic != schemas.TopicProcessorState {
			return // three records an event: only the changelog's offsets matter
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			prodErr = errors.Join(prodErr, err)
			return
		}
		if r.Offset+1 > next[r.Partition] {
			next[r.Partition] = r.Offset + 1
		}
	}
	produce := func(r *kgo.Record) { sess.Produce(ctx, r, promise) }
	recErr := p.records(ctx, fetches, produce)
	// Every record must be acknowledged before deciding: End(TryCommit) would flush
	// and commit even when some records then fail (a changelog or command lost while
	// the input offsets move on).
	flushErr := sess.Client().Flush(ctx)
	mu.Lock()
	failed := errors.Join(recErr, prodErr, flushErr)
	mu.Unlock()
	end := kgo.TryCommit
	if failed != nil {
		end = kgo.TryAbort
	}
	committed, err := sess.End(ctx, end)
	mu.Lock()
	failed = errors.Join(failed, prodErr, err)
	mu.Unlock()
	if !committed || failed != nil {
		p.store.Rollback()
		if failed == nil {
			failed = errors.New("transaction aborted (rebalance)")
		}
		return failed
	}
	// Kafka committed: the store may now hold what the changelog holds.
	if err := p.store.Commit(next); err != nil {
		var ce *store.CommitError
		if errors.As(err, &ce) {
			p.d.Log.Error("processor store write failed after Kafka committed; restoring those partitions from the changelog", "partitions", ce.Parts, "err", err)
			if err := p.restore(ctx, ce.Parts); err != nil {
				p.d.Log.Error("processor state not restored", "partitions", ce.Parts, "err", err)
			}
			return nil
		}
		return err
	}
	return nil
}

// changelogPartitioner puts a changelog record on the partition set in the record
// (the input's, whatever partitioner its producer used: the store of input partition
// p restores from changelog partition p) and hashes the key for every other topic.
type changelogPartitioner struct{ kgo.Partitioner }

func (c changelogPartitioner) ForTopic(topic string) kgo.TopicPartitioner {
	if topic == schemas.TopicProcessorState {
		return kgo.ManualPartitioner().ForTopic(topic)
	}
	return c.Partitioner.ForTopic(topic)
}

// storeError is a store read that failed for a partition: after the batch's abort,
// repair rebuilds that partition from the whole changelog.
type storeError struct {
	part int32
	err  error
}

func (e *storeError) Error() string {
	return fmt.Sprintf("processor state of partition %d: %v", e.part, e.err)
}
func (e *storeError) Unwrap() error { return e.err }

func (p *Processor) repair(ctx context.Context, err error) {
	var se *storeError
	if !errors.As(err, &se) {
		return
	}
	p.d.Log.Error("processor state unreadable; rebuilding the partition from the changelog", "partition", se.part, "err", se.err)
	if err := p.store.Reset(se.part, store.Checkpoint{}); err != nil {
		p.d.Log.Error("processor state reset failed", "partition", se.part, "err", err)
		return
	}
	if err := p.restore(ctx, []int32{se.part}); err != nil {
		p.d.Log.Error("processor state not restored", "partition", se.part, "err", err)
	}
}

// records processes a poll's records in parallel lanes, each lane's records in order.
// Orders are independent (an order's events and state live on one partition, under
// its key), so a lane is a partition's records of some keys: a poll under a backlog
// is mostly one partition's (a fetch fills up from one partition before the next),
// and lanes by partition alone would leave all but one core idle. What a lane produces
// keeps each key's order; only the CPU is shared.
func (p *Processor) records(ctx context.Context, fetches kgo.Fetches, produce func(*kgo.Record)) error {
	workers := runtime.GOMAXPROCS(0)
	var lanes [][]*kgo.Record
	fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
		lanes = append(lanes, splitByKey(fp.Records, workers)...)
	})
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
		failed atomic.Bool
		next   = make(chan []*kgo.Record, len(lanes))
	)
	for _, recs := range lanes {
		next <- recs
	}
	close(next)
	for range min(workers, len(lanes)) {
		wg.Go(func() {
			for recs := range next {
				for _, r := range recs {
					if failed.Load() {
						return // the transaction aborts anyway
					}
					if err := p.record(ctx, r, produce); err != nil {
						failed.Store(true)
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// laneRecords is the fewest records of a partition worth splitting into lanes.
const laneRecords = 64

// splitByKey splits one partition's records into up to 2×workers lanes by a hash of
// the key (twice the workers, so that an uneven split still keeps every worker
// busy), each lane in offset order: the records of one key stay in one lane, in order.
func splitByKey(recs []*kgo.Record, workers int) [][]*kgo.Record {
	n := 2 * workers
	if len(recs) < laneRecords || n < 2 {
		if len(recs) == 0 {
			return nil
		}
		return [][]*kgo.Record{recs}
	}
	lanes := make([][]*kgo.Record, n)
	for _, r := range recs {
		i := keyHash(r.Key) % uint32(n)
		lanes[i] = append(lanes[i], r)
	}
	out := lanes[:0]
	for _, l := range lanes {
		if len(l) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// keyHash is FNV-1a, inline: no allocation per record.
func keyHash(key []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range key {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

func (p *Processor) record(ctx context.Context, r *kgo.Record, produce func(*kgo.Record)) error {
	ev, err := p.event(ctx, r)
	if err != nil {
		var bad *badEvent
		if !errors.As(err, &bad) {
			return err
		}
		p.d.Log.Error(bad.what+"; the event is kept in the dead-letter topic", "key", string(r.Key), "partition", r.Partition, "offset", r.Offset, "err", bad.err)
		dl := deadletter.FromRecord(r, schemas.TopicOrdersDLQ, schemas.StageProcessor, bad.what+": "+bad.err.Error(), p.d.Now())
		dl.Shop = ev.Shop
		produce(dl.Record()) // the bytes as they came
		p.count(func(m *metrics.Registry) {
			m.ProcessorEvents.WithLabelValues(ev.Topic, "dead_letter").Inc()
			m.DeadLetters.WithLabelValues(schemas.StageProcessor, "unreadable").Inc()
		})
		return nil
	}
	prev, err := p.state(ctx, r.Partition, r.Key, needsSnapshot(&ev))
	if err != nil {
		return err
	}
	st := p.d.Settings.Effective(ev.Shop)
	res := decide.Event(prev, &ev, &st, p.d.Now())
	if res.Drop != "" {
		p.d.Log.Debug("order event changes nothing", "shop", ev.Shop, "order", ev.OrderID, "topic", ev.Topic, "why", res.Drop)
		p.count(func(m *metrics.Registry) { m.ProcessorEvents.WithLabelValues(ev.Topic, "dropped").Inc() })
		return nil
	}
	// The state and the command end with the same snapshot (decide puts it in both;
	// TestStateAndCommandShareTheSnapshot holds it to that): encoded once.
	snapshot, err := p.d.Serde.EncodeTail(schemas.TopicProcessorState, &res.State.Order)
	if err != nil {
		return err
	}
	state, err := p.encodeWithSnapshot(schemas.TopicProcessorState, &res.State, snapshot)
	if err != nil {
		return err
	}
	var command []byte
	if res.Command != nil {
		if command, err = p.encodeWithSnapshot(schemas.TopicCommands, res.Command, snapshot); err != nil {
			return err
		}
	}
	outcome, err := p.d.Serde.Encode(schemas.TopicOutcomes, res.Outcome)
	if err != nil {
		return err
	}
	if err := p.store.Put(r.Partition, r.Key, state); err != nil {
		return &storeError{r.Partition, err}
	}
	// On the input's partition number (changelogPartitioner): what restore reads back
	// into this partition's store, which keeps the same bytes.
	produce(&kgo.Record{Topic: schemas.TopicProcessorState, Key: r.Key, Value: state, Partition: r.Partition})
	if command != nil {
		produce(&kgo.Record{Topic: schemas.TopicCommands, Key: r.Key, Value: command})
	}
	produce(&kgo.Record{Topic: schemas.TopicOutcomes, Key: r.Key, Value: outcome})
	p.count(func(m *metrics.Registry) {
		m.ProcessorEvents.WithLabelValues(ev.Topic, "decided").Inc()
		m.Outcomes.WithLabelValues(res.Outcome.Stage, res.Outcome.Status).Inc()
	})
	if res.Outcome.Stage == schemas.StagePrivacy {
		p.d.Log.Info("order state redacted", "shop", ev.Shop, "order", ev.OrderID, "topic", ev.Topic)
		return nil
	}
	p.d.Log.LogAttrs(ctx, slog.LevelInfo, "order decided", slog.String("shop", ev.Shop), slog.Int64("order", ev.OrderID),
		slog.String("name", ev.Order.Name), slog.String("topic", ev.Topic), slog.Bool("eligible", res.Outcome.Eligible),
		slog.String("status", res.Outcome.Status), slog.Int64("version", res.State.Version), slog.Int64("seq", res.State.Seq))
	return nil
}

func (p *Processor) count(f func(*metrics.Registry)) {
	if p.d.Metrics != nil {
		f(p.d.Metrics)
	}
}

// badEvent is an event the processor cannot read: it goes to the dead-letter topic.
type badEvent struct {
	what string
	err  error
}

func (e *badEvent) Error() string { return e.what + ": " + e.err.Error() }

// event decodes an order event. The raw webhook body is read only when ingest left
// the order in it (DecodeRaw); otherwise decoding skips it (~12 KB a webhook).
func (p *Processor) event(ctx context.Context, r *kgo.Record) (schemas.OrderEvent, error) {
	var in eventIn
	if err := p.d.Serde.Decode(ctx, schemas.TopicOrders, r.Value, &in); err != nil {
		return schemas.OrderEvent{}, &badEvent{"unreadable order event", err}
	}
	if !in.DecodeRaw {
		return in.event(), nil
	}
	var ev schemas.OrderEvent
	if err := p.d.Serde.Decode(ctx, schemas.TopicOrders, r.Value, &ev); err != nil {
		return in.event(), &badEvent{"unreadable order event", err}
	}
	if err := p.decodeRaw(&ev); err != nil {
		return ev, &badEvent{"unreadable order body", err}
	}
	return ev, nil
}

// needsSnapshot says whether deciding ev reads the previous state's order snapshot:
// a forced re-sync re-applies it, an Admin API read compares its transactions and
// refunds, a privacy request redacts it. A webhook's decision reads only the rest
// (TestWebhookDecidesWithoutTheStoredSnapshot holds decide to that).
func needsSnapshot(ev *schemas.OrderEvent) bool {
	return ev.Force || ev.Origin != schemas.OriginWebhook
}

// eventIn is schemas.OrderEvent without the raw webhook body: decoding into it skips
// the body instead of copying it. TestEventInMirrorsOrderEvent keeps the two in step.
type eventIn struct {
	EventID     string        `avro:"event_id"`
	Shop        string        `avro:"shop"`
	OrderID     int64         `avro:"order_id"`
	Topic       string        `avro:"topic"`
	Origin      string        `avro:"origin"`
	WebhookID   string        `avro:"webhook_id"`
	TriggeredAt *time.Time    `avro:"triggered_at"`
	ReceivedAt  time.Time     `avro:"received_at"`
	Force       bool          `avro:"force"`
	Order       schemas.Order `avro:"order"`
	Attempt     int32         `avro:"attempt"`
	DecodeRaw   bool          `avro:"decode_raw"`
	Version     int64         `avro:"version"`
}

func (e *eventIn) event() schemas.OrderEvent {
	return schemas.OrderEvent{EventID: e.EventID, Shop: e.Shop, OrderID: e.OrderID, Topic: e.Topic, Origin: e.Origin,
		WebhookID: e.WebhookID, TriggeredAt: e.TriggeredAt, ReceivedAt: e.ReceivedAt, Force: e.Force, Order: e.Order,
		Attempt: e.Attempt, DecodeRaw: e.DecodeRaw, Version: e.Version}
}

// encodeWithSnapshot encodes v with its last field, the order snapshot, already
// encoded; a record that no longer ends with the snapshot (a schema change) is
// encoded whole (TestSnapshotTailFitsStateAndCommand says when that happens).
func (p *Processor) encodeWithSnapshot(topic string, v any, snapshot serde.Tail) ([]byte, error) {
	b, err := p.d.Serde.EncodeWithTail(topic, v, snapshot)
	if errors.Is(err, serde.ErrNotTail) {
		return p.d.Serde.Encode(topic, v)
	}
	return b, err
}

// stateHead is OrderState without its order snapshot (see needsSnapshot): decoding
// into it skips the snapshot (a third of an event's decoding).
type stateHead struct {
	Shop           string   `avro:"shop"`
	OrderID        int64    `avro:"order_id"`
	Version        int64    `avro:"version"`
	Seq            int64    `avro:"seq"`
	RecentEventIDs []string `avro:"recent_event_ids"`
	Commanded      bool     `avro:"commanded"`
}

// state reads an order's state from the store (nil: unknown), with its snapshot only
// when full. An unreadable value is logged and treated as unknown, as restore used to
// skip unreadable changelog records: the order is then decided afresh (harmless: the
// sink is level-triggered).
func (p *Processor) state(ctx context.Context, part int32, key []byte, full bool) (*schemas.OrderState, error) {
	b, err := p.store.Get(part, key)
	if err != nil {
		return nil, &storeError{part, err}
	}
	if b == nil {
		return nil, nil
	}
	var st schemas.OrderState
	if full {
		err = p.d.Serde.Decode(ctx, schemas.TopicProcessorState, b, &st)
	} else {
		var h stateHead
		err = p.d.Serde.Decode(ctx, schemas.TopicProcessorState, b, &h)
		st = schemas.OrderState{Shop: h.Shop, OrderID: h.OrderID, Version: h.Version, Seq: h.Seq,
			RecentEventIDs: h.RecentEventIDs, Commanded: h.Commanded}
	}
	if err != nil {
		p.d.Log.Error("unreadable processor state treated as unknown", "partition", part, "key", string(key), "err", err)
		return nil, nil
	}
	return &st, nil
}

// assigned catches the store up with the changelog for newly owned partitions.
func (p *Processor) assigned(ctx context.Context, _ *kgo.Client, parts map[string][]int32) {
	owned := parts[schemas.TopicOrders]
	if len(owned) == 0 {
		return
	}
	if err := p.restore(ctx, owned); err != nil {
		// What the store holds is consistent up to its checkpoint; a partition behind
		// the changelog may re-emit orders, harmless (the sink is level-triggered) but
		// wasteful, so say so loudly.
		p.d.Log.Error("processor state not fully restored; continuing with what the store holds", "partitions", owned, "err", err)
	}
	p.assignments.Add(1)
}

func (p *Processor) dropped(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
	for _, part := range parts[schemas.TopicOrders] {
		p.store.Drop(part)
	}
}
