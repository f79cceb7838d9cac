package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/schemas"
)

// Applied is what Odoo holds for an order after a command was applied.
type Applied struct {
	Model     string
	ID        int64
	Name      string
	InvoiceID int64
	Calls     int
}

// Applier makes one shop's Odoo match a command (level-triggered, idempotent).
type Applier interface {
	Apply(ctx context.Context, cmd *schemas.OrderSync) (Applied, error)
}

// Target is a shop's Odoo: how to apply commands and how many at once.
type Target struct {
	Applier     Applier
	Concurrency int
}

// OdooDeps is what the Odoo sink needs; main wires it.
type OdooDeps struct {
	ClientOpts  []kgo.Opt
	Serde       *serde.Serde
	Publisher   *kafka.Publisher
	Target      func(shop string) (Target, error)
	Retriable   func(error) bool // classification of Odoo errors, done once in the Odoo client
	RetryDelays []time.Duration  // one per schemas.RetryTopics entry
	Log         *slog.Logger
	Now         func() time.Time
}

// Odoo sink consumer groups.
const (
	OdooGroup      = "synco-sink-odoo"
	OdooRetryGroup = "synco-sink-odoo-retry"
)

// retryAtHeader says when a retried command is due (RFC3339Nano).
const retryAtHeader = "synco-retry-at"

// DefaultRetryDelays are the waits before each retry topic's attempt.
var DefaultRetryDelays = []time.Duration{time.Minute, 10 * time.Minute, time.Hour}

// maxApplied bounds the orders remembered by the superseded-command guard.
const maxApplied = 200_000

type odooSink struct {
	d    OdooDeps
	mu   sync.Mutex
	sems map[string]chan struct{}
	// applied remembers the newest command applied per order, so a late retry of an
	// older command never overwrites a newer state.
	applied map[string][2]int64
}

// RunOdoo consumes odoo.commands and the retry topics until ctx ends.
func RunOdoo(ctx context.Context, d OdooDeps) error {
	if d.Now == nil {
		d.Now = time.Now
	}
	if len(d.RetryDelays) == 0 {
		d.RetryDelays = DefaultRetryDelays
	}
	if len(d.RetryDelays) != len(schemas.RetryTopics) {
		return fmt.Errorf("odoo sink: %d retry delays for %d retry topics", len(d.RetryDelays), len(schemas.RetryTopics))
	}
	s := &odooSink{d: d, sems: map[string]chan struct{}{}, applied: map[string][2]int64{}}
	errc := make(chan error, 2)
	go func() {
		errc <- consume(ctx, d.ClientOpts, OdooGroup, []string{schemas.TopicCommands}, d.Log, s.handleBatch, nil)
	}()
	go func() { errc <- s.runRetries(ctx) }()
	return errors.Join(<-errc, <-errc)
}

// handleBatch applies each partition's commands in order, partitions in parallel.
func (s *odooSink) handleBatch(ctx context.Context, fs kgo.Fetches) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs error
	results := s.d.Publisher.Batch()
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, r := range p.Records {
				if err := s.handle(ctx, r, results); err != nil {
					mu.Lock()
					errs = errors.Join(errs, err)
					mu.Unlock()
					return
				}
			}
		}()
	})
	wg.Wait()
	// Offsets are committed after this: every result must be in Kafka first.
	return errors.Join(errs, results.Wait(ctx))
}

// handle applies one command and routes the result. Its error means Kafka did not
// take the result (the batch is then retried): Odoo failures are routed, not returned.
func (s *odooSink) handle(ctx context.Context, r *kgo.Record, results *kafka.Batch) error {
	var cmd schemas.OrderSync
	if err := s.d.Serde.Decode(ctx, r.Topic, r.Value, &cmd); err != nil {
		s.d.Log.Error("unreadable command kept in the dead-letter topic", "topic", r.Topic, "offset", r.Offset, "err", err)
		return results.Publish(ctx, schemas.TopicCommandsDLQ, r.Key, &schemas.DeadLetter{
			Key: string(r.Key), OriginTopic: r.Topic, Stage: "sink.odoo", Reason: err.Error(), At: s.d.Now().UTC(), Payload: r.Value})
	}
	key := string(r.Key)
	if s.superseded(key, &cmd) {
		s.d.Log.Info("command superseded by a newer one already applied", "shop", cmd.Shop, "order", cmd.OrderID, "version", cmd.Version, "seq", cmd.Seq)
		return nil
	}
	out := schemas.OutcomeFor(&cmd.Order, cmd.Shop, schemas.StageSinkOdoo)
	out.Version, out.Attempt = cmd.Version, cmd.Attempt
	out.Eligible, out.IneligibleReasons = cmd.Eligible, cmd.IneligibleReasons
	if out.IneligibleReasons == nil {
		out.IneligibleReasons = []string{}
	}
	start := s.d.Now()
	applied, err := s.apply(ctx, &cmd)
	out.At = s.d.Now().UTC().Truncate(time.Millisecond)
	out.OutcomeID = fmt.Sprintf("%s/sink/%d", cmd.CommandID, cmd.Attempt)
	out.LatencyMs = out.At.Sub(start).Milliseconds()
	out.RPCCalls = int32(applied.Calls)
	out.OdooModel, out.OdooID, out.OdooName, out.InvoiceID = applied.Model, applied.ID, applied.Name, applied.InvoiceID
	log := s.d.Log.With("shop", cmd.Shop, "order", cmd.OrderID, "name", cmd.Order.Name, "attempt", cmd.Attempt, "rpc_calls", applied.Calls, "latency_ms", out.LatencyMs)
	switch {
	case err == nil:
		out.Status = schemas.StatusSynced
		s.markApplied(key, &cmd)
		log.Info("order synced to odoo", "model", applied.Model, "odoo_id", applied.ID, "odoo_name", applied.Name)
	case s.d.Retriable != nil && s.d.Retriable(err) && int(cmd.Attempt) < len(schemas.RetryTopics):
		delay := s.d.RetryDelays[cmd.Attempt]
		due := out.At.Add(delay)
		out.Status, out.Error, out.RetryAt = schemas.StatusDelayed, err.Error(), &due
		next := cmd
		next.Attempt++
		topic := schemas.RetryTopics[cmd.Attempt]
		if perr := results.Publish(ctx, topic, r.Key, &next, kgo.RecordHeader{Key: retryAtHeader, Value: []byte(due.Format(time.RFC3339Nano))}); perr != nil {
			return perr
		}
		log.Warn("odoo failed; retry scheduled", "err", err, "retry_at", due, "topic", topic)
	default:
		out.Status, out.Error = schemas.StatusFailed, err.Error()
		if perr := results.Publish(ctx, schemas.TopicCommandsDLQ, r.Key, &schemas.DeadLetter{
			Shop: cmd.Shop, Key: key, OriginTopic: r.Topic, Stage: "sink.odoo", Reason: err.Error(), At: out.At,
			Attempt: cmd.Attempt, Payload: r.Value}); perr != nil {
			return perr
		}
		log.Error("odoo sync failed", "err", err)
	}
	return results.Publish(ctx, schemas.TopicOutcomes, r.Key, &out)
}

func (s *odooSink) apply(ctx context.Context, cmd *schemas.OrderSync) (Applied, error) {
	t, err := s.d.Target(cmd.Shop)
	if err != nil {
		return Applied{}, err
	}
	sem := s.sem(cmd.Shop, t.Concurrency)
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return Applied{}, ctx.Err()
	}
	defer func() { <-sem }()
	return t.Applier.Apply(ctx, cmd)
}

// sem bounds the calls in flight to one shop's Odoo: Odoo gains little from
// concurrency and collides on shared rows (see ../shared/odoo/NOTES.md, timing).
func (s *odooSink) sem(shop string, n int) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.sems[shop]; ok {
		return c
	}
	c := make(chan struct{}, max(n, 1))
	s.sems[shop] = c
	return c
}

func (s *odooSink) superseded(key string, cmd *schemas.OrderSync) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.applied[key]
	return ok && (cmd.Version < a[0] || cmd.Version == a[0] && cmd.Seq < a[1])
}

func (s *odooSink) markApplied(key string, cmd *schemas.OrderSync) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.applied[key]
	if !ok || cmd.Version > a[0] || cmd.Version == a[0] && cmd.Seq > a[1] {
		if !ok && len(s.applied) >= maxApplied {
			// Bounded memory: forget an arbitrary order. The guard only matters for
			// retries still in flight, which are recent.
			for k := range s.applied {
				delete(s.applied, k)
				break
			}
		}
		s.applied[key] = [2]int64{cmd.Version, cmd.Seq}
	}
}

// runRetries consumes the retry topics. Each holds one delay, so records are due in
// offset order: waiting for the head is waiting for the partition. Offsets are
// committed per record and rebalances are not blocked (a re-delivered retry is
// harmless: Apply is idempotent).
func (s *odooSink) runRetries(ctx context.Context) error {
	cl, err := kgo.NewClient(append(s.d.ClientOpts,
		kgo.ConsumerGroup(OdooRetryGroup),
		kgo.ConsumeTopics(schemas.RetryTopics...),
		kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)...)
	if err != nil {
		return fmt.Errorf("odoo retry consumer: %w", err)
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return nil
		}
		var wg sync.WaitGroup
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, r := range p.Records {
					if !s.waitDue(ctx, r) {
						return
					}
					for {
						b := s.d.Publisher.Batch()
						if s.handle(ctx, r, b) == nil && b.Wait(ctx) == nil {
							break
						}
						if !sleep(ctx, time.Second) {
							return
						}
					}
					cl.CommitRecords(ctx, r)
				}
			}()
		})
		wg.Wait()
	}
}

func (s *odooSink) waitDue(ctx context.Context, r *kgo.Record) bool {
	for _, h := range r.Headers {
		if h.Key != retryAtHeader {
			continue
		}
		due, err := time.Parse(time.RFC3339Nano, string(h.Value))
		if err != nil {
			return true
		}
		return sleep(ctx, due.Sub(s.d.Now()))
	}
	return true
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
