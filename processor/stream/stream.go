// Package stream runs the processor on Kafka: it consumes order events in a consumer
// group and, in one Kafka transaction per batch, produces the Odoo commands, the
// outcomes and the state changelog and commits the input offsets (exactly once).
package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/consume"
	"github.com/synco-dev/synco/platform/deadletter"
	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/platform/settings"
	"github.com/synco-dev/synco/processor/decide"
	"github.com/synco-dev/synco/processor/store"
	"github.com/synco-dev/synco/schemas"
)

// Group is the processor's consumer group.
const Group = "synco-processor"

// Deps is what the processor needs; main wires it.
type Deps struct {
	ClientOpts    []kgo.Opt // brokers, client id, logger
	TransactionID string    // unique per running instance
	Serde         *serde.Serde
	Settings      *settings.Store
	Log           *slog.Logger
	Now           func() time.Time
}

// Processor is one running instance.
type Processor struct {
	d     Deps
	store *store.Store
}

// New returns a processor; Run starts it.
func New(d Deps) *Processor {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Processor{d: d, store: store.New()}
}

// Run processes until ctx ends or a fatal error.
func (p *Processor) Run(ctx context.Context) error {
	sess, err := kgo.NewGroupTransactSession(append(p.d.ClientOpts,
		kgo.ConsumerGroup(Group),
		kgo.ConsumeTopics(schemas.TopicOrders),
		kgo.TransactionalID(p.d.TransactionID),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.OnPartitionsAssigned(p.assigned),
		kgo.OnPartitionsRevoked(p.dropped),
		kgo.OnPartitionsLost(p.dropped),
	)...)
	if err != nil {
		return fmt.Errorf("processor session: %w", err)
	}
	defer sess.Close()
	for {
		fetches := sess.PollFetches(ctx)
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
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func (p *Processor) batch(ctx context.Context, sess *kgo.GroupTransactSession, fetches kgo.Fetches) error {
	if err := sess.Begin(); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	var (
		mu      sync.Mutex
		prodErr error
	)
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			mu.Lock()
			prodErr = errors.Join(prodErr, err)
			mu.Unlock()
		}
	}
	produce := func(topic string, key []byte, v any) error {
		if r, ok := v.(*kgo.Record); ok { // a dead letter: bytes as they came
			sess.Produce(ctx, r, promise)
			return nil
		}
		val, err := p.d.Serde.Encode(topic, v)
		if err != nil {
			return err
		}
		sess.Produce(ctx, &kgo.Record{Topic: topic, Key: key, Value: val}, promise)
		return nil
	}
	var encErr error
	fetches.EachRecord(func(r *kgo.Record) {
		if encErr != nil {
			return
		}
		encErr = p.record(ctx, r, produce)
	})
	mu.Lock()
	failed := errors.Join(encErr, prodErr)
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
	p.store.Commit()
	return nil
}

func (p *Processor) record(ctx context.Context, r *kgo.Record, produce func(string, []byte, any) error) error {
	var ev schemas.OrderEvent
	if err := p.d.Serde.Decode(ctx, schemas.TopicOrders, r.Value, &ev); err != nil {
		p.d.Log.Error("unreadable order event kept in the dead-letter topic", "key", string(r.Key), "partition", r.Partition, "offset", r.Offset, "err", err)
		dl := deadletter.FromRecord(r, schemas.TopicOrdersDLQ, schemas.StageProcessor, "unreadable order event: "+err.Error(), p.d.Now())
		return produce(schemas.TopicOrdersDLQ, r.Key, dl.Record())
	}
	if err := p.decodeRaw(&ev); err != nil {
		p.d.Log.Error("order body unreadable; the event is kept in the dead-letter topic", "key", string(r.Key), "partition", r.Partition, "offset", r.Offset, "err", err)
		dl := deadletter.FromRecord(r, schemas.TopicOrdersDLQ, schemas.StageProcessor, "unreadable order body: "+err.Error(), p.d.Now())
		dl.Shop = ev.Shop
		return produce(schemas.TopicOrdersDLQ, r.Key, dl.Record())
	}
	key := string(r.Key)
	st := p.d.Settings.Effective(ev.Shop)
	res := decide.Event(p.store.Get(r.Partition, key), &ev, &st, p.d.Now())
	if res.Drop != "" {
		p.d.Log.Debug("order event changes nothing", "shop", ev.Shop, "order", ev.OrderID, "topic", ev.Topic, "why", res.Drop)
		return nil
	}
	p.store.Put(r.Partition, key, res.State)
	// Same key and partition count as the input, so the changelog record lands on the
	// input's partition number: what assigned() reads back.
	if err := produce(schemas.TopicProcessorState, r.Key, &res.State); err != nil {
		return err
	}
	if res.Command != nil {
		if err := produce(schemas.TopicCommands, r.Key, res.Command); err != nil {
			return err
		}
	}
	if err := produce(schemas.TopicOutcomes, r.Key, res.Outcome); err != nil {
		return err
	}
	if res.Outcome.Stage == schemas.StagePrivacy {
		p.d.Log.Info("order state redacted", "shop", ev.Shop, "order", ev.OrderID, "topic", ev.Topic)
		return nil
	}
	p.d.Log.Info("order decided", "shop", ev.Shop, "order", ev.OrderID, "name", ev.Order.Name, "topic", ev.Topic,
		"eligible", res.Outcome.Eligible, "status", res.Outcome.Status, "version", res.State.Version, "seq", res.State.Seq)
	return nil
}

// assigned rebuilds the state of newly owned partitions from the changelog.
func (p *Processor) assigned(ctx context.Context, _ *kgo.Client, parts map[string][]int32) {
	for _, part := range parts[schemas.TopicOrders] {
		states, err := p.restore(ctx, part)
		if err != nil {
			// Without its state a partition would re-emit every order; that is
			// harmless (the sink is level-triggered) but wasteful, so say so loudly.
			p.d.Log.Error("processor state not restored; starting the partition empty", "partition", part, "err", err)
			states = map[string]*schemas.OrderState{}
		}
		p.store.Load(part, states)
		p.d.Log.Info("processor partition assigned", "partition", part, "orders", len(states))
	}
}

func (p *Processor) dropped(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
	for _, part := range parts[schemas.TopicOrders] {
		p.store.Drop(part)
	}
}

// restore reads one changelog partition up to its last stable offset.
func (p *Processor) restore(ctx context.Context, part int32) (map[string]*schemas.OrderState, error) {
	states := map[string]*schemas.OrderState{}
	err := consume.ReadToEnd(ctx, p.d.ClientOpts, schemas.TopicProcessorState, map[int32]int64{part: 0}, func(r *kgo.Record) {
		if r.Value == nil {
			delete(states, string(r.Key))
			return
		}
		var st schemas.OrderState
		if err := p.d.Serde.Decode(ctx, schemas.TopicProcessorState, r.Value, &st); err != nil {
			p.d.Log.Error("unreadable changelog record skipped", "partition", part, "offset", r.Offset, "err", err)
			return
		}
		states[string(r.Key)] = &st
	})
	return states, err
}
