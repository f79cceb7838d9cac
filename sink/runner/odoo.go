// Package runner runs the sinks on Kafka with the one consumer loop
// (platform/consume): the Odoo sink's main and retry consumers and the ClickHouse
// sink. Offsets are committed only after a record's results are in Kafka (or its
// rows in ClickHouse); the sinks are idempotent, so a redelivery is harmless.
package runner

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
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/metrics"
	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
	"github.com/synco-dev/synco/sink/transactions"
	"github.com/synco-dev/synco/sink/writeback"
)

// OdooDeps is what the Odoo sink needs; main wires it.
type OdooDeps struct {
	ClientOpts []kgo.Opt
	Serde      *serde.Serde
	Publisher  *kafka.Publisher
	Sink       *odoo.Sink
	// WriteBack writes each synced order's Odoo id to its Shopify metafield
	// (custom.odoo_id); nil: no write-back.
	WriteBack *writeback.Writer
	// Transactions reads from Shopify the transactions a webhook's order lacks (its
	// payments are registered in Odoo); nil: orders are applied as they came.
	Transactions *transactions.Fetcher
	RetryDelays  []time.Duration // one per schemas.RetryTopics entry (Config)
	// Drain is how long a batch in flight may finish after shutdown (consume.Config).
	Drain   time.Duration
	Metrics *metrics.Registry // optional
	Log     *slog.Logger
	Now     func() time.Time
}

// Odoo sink consumer groups.
const (
	OdooGroup      = "synco-sink-odoo"
	OdooRetryGroup = "synco-sink-odoo-retry"
)

// Headers of a retry record.
const (
	// HeaderRetryAt says when a retried command is due (RFC 3339, ns).
	HeaderRetryAt = "synco.retry_at"
	// HeaderFirstFailedAt is when the command's first attempt failed.
	HeaderFirstFailedAt = "synco.first_failed_at"
)

// stage names the Odoo sink in outcomes and dead letters.
const stage = schemas.StageSinkOdoo

// RunOdoo consumes odoo.commands and the retry topics until ctx ends.
//
// Only the main consumer calls Odoo, so at most one command per order is in flight:
// the order's partition belongs to one member, which handles its records in order.
// A retriable failure parks the order and writes the command to the retry topic of
// its attempt; when it is due, the retry consumer does not apply the old command but
// asks the processor to re-sync the order from the latest snapshot it holds (a
// forced order event), so a retry can never move Odoo back to an older state, and
// commands that arrive for a parked order are coalesced into that re-sync.
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
	s := &odooSink{d: d, parked: map[string]parked{}}
	main, err := consume.New(d.ClientOpts, consume.Config{Group: OdooGroup, Topics: []string{schemas.TopicCommands},
		Async: true, Drain: d.Drain, Metrics: d.Metrics, Log: d.Log, OnRevoked: s.unpark})
	if err != nil {
		return err
	}
	retry, err := consume.New(d.ClientOpts, consume.Config{Group: OdooRetryGroup, Topics: schemas.RetryTopics, Drain: d.Drain, Metrics: d.Metrics, Log: d.Log, Now: d.Now})
	if err != nil {
		main.Client().Close()
		return err
	}
	errc := make(chan error, 2)
	// A lane per order: one order's commands keep their order, orders of a partition
	// go at once, so the sink gathers each shop's commands into batches and a shop
	// whose Odoo is slow or hangs holds back only its own orders.
	go func() {
		errc <- main.RunLanes(ctx, consume.Lanes{Key: orderOfKey, Handle: s.handleCommand})
	}()
	go func() { errc <- retry.Run(ctx, s.handleRetries) }()
	return errors.Join(<-errc, <-errc)
}

type odooSink struct {
	d OdooDeps

	mu     sync.Mutex
	parked map[string]parked // order key → its pending retry
}

// parked is an order waiting for its retry; newer commands coalesce into it.
type parked struct {
	partition int32
	due       time.Time
}

// orderOfKey is the lane of a command: its order (keys are <shop>/<order id>).
func orderOfKey(r *kgo.Record) string { return string(r.Key) }

// handleCommand applies one command and returns once its results are in Kafka (its
// offset may then be committed).
func (s *odooSink) handleCommand(ctx context.Context, r *kgo.Record) error {
	results := s.d.Publisher.Batch()
	err := s.handle(ctx, r, results)
	return errors.Join(err, results.Wait(ctx))
}

// handle applies one command and routes the result. Its error means Kafka did not
// take the result (the batch is then handled again): Odoo failures are routed.
func (s *odooSink) handle(ctx context.Context, r *kgo.Record, results *kafka.Batch) error {
	var cmd schemas.OrderSync
	if err := s.d.Serde.Decode(ctx, r.Topic, r.Value, &cmd); err != nil {
		s.d.Log.Error("unreadable command kept in the dead-letter topic", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", err)
		results.PublishRecord(ctx, deadletter.FromRecord(r, schemas.TopicCommandsDLQ, stage, "unreadable command: "+err.Error(), s.d.Now()).Record())
		s.count(func(m *metrics.Registry) { m.DeadLetters.WithLabelValues(stage, "unreadable").Inc() })
		return nil
	}
	key := string(r.Key)
	out := outcomeFor(&cmd)
	if due, ok := s.parkedUntil(key); ok {
		// The order waits for a retry that re-syncs it from its latest snapshot,
		// which already holds this command's state.
		out.At = s.d.Now().UTC().Truncate(time.Millisecond)
		out.OutcomeID = fmt.Sprintf("%s/sink/%d/parked", cmd.CommandID, cmd.Attempt)
		out.Status, out.RetryAt = schemas.StatusDelayed, &due
		out.Error = "waiting for the order's retry"
		s.d.Log.Info("command coalesced into the order's pending retry", "shop", cmd.Shop, "order", cmd.OrderID, "retry_at", due)
		return s.outcome(ctx, results, r.Key, &out)
	}
	start := s.d.Now()
	txWarning, err := s.fillTransactions(ctx, &cmd)
	var res odoo.Result
	if err == nil {
		res, err = s.d.Sink.Apply(ctx, &cmd)
	}
	// Then the Odoo id goes back to Shopify. A retriable failure takes the order
	// through the retry topics like a failed Odoo call: its re-sync finds the Odoo
	// record in place and tries the write-back again.
	var wbErr error
	if err == nil && res.ID > 0 && s.d.WriteBack != nil {
		_, wbErr = s.d.WriteBack.Write(ctx, cmd.Shop, cmd.OrderID, res.ID)
	}
	out.At = s.d.Now().UTC().Truncate(time.Millisecond)
	out.OutcomeID = fmt.Sprintf("%s/sink/%d", cmd.CommandID, cmd.Attempt)
	out.LatencyMs = out.At.Sub(start).Milliseconds()
	out.RPCCalls = int32(res.Calls)
	out.OdooModel, out.OdooID, out.OdooName, out.InvoiceID = res.Model, res.ID, res.Name, res.InvoiceID
	out.InvoiceState, out.PaymentState, out.RefundedAmount, out.Cancelled = res.InvoiceState, res.PaymentState, res.RefundedAmount, res.Cancelled

	if len(res.Warnings) > 0 {
		out.Warnings = res.Warnings
	}
	if txWarning != "" {
		out.Warnings = append(out.Warnings, txWarning)
	}
	log := s.d.Log.With("shop", cmd.Shop, "order", cmd.OrderID, "name", cmd.Order.Name, "attempt", cmd.Attempt, "rpc_calls", res.Calls, "latency_ms", out.LatencyMs)
	retriable := odoo.IsRetriable(err) || transactions.IsRetriable(err)
	if err == nil && wbErr != nil && writeback.IsRetriable(wbErr) && int(cmd.Attempt) < len(schemas.RetryTopics) {
		err, retriable = wbErr, true
	}
	switch {
	case err == nil && res.NotSynced != "":
		// Nothing made in Odoo, on purpose (e.g. cancelled before it was synced).
		out.Status, out.Error = schemas.StatusNotSynced, res.NotSynced
		s.unparkKey(key)
		log.Info("order not synced to odoo", "reason", res.NotSynced)
	case odoo.IsNeedsAttention(err):
		// Odoo refused the order's change and said why: an answer for a person, not a
		// crash, so neither retried nor dead-lettered. Syncing the order again (once
		// it is fixed in Odoo) applies the latest snapshot.
		out.Status, out.Error = schemas.StatusNeedsAttention, err.Error()
		s.unparkKey(key)
		log.Warn("odoo refused the order's change: needs attention", "err", err)
	case err == nil:
		out.Status = schemas.StatusSynced
		if wbErr != nil {
			// In Odoo, but Shopify does not know its id: said, not hidden.
			out.Warnings = append(out.Warnings, wbErr.Error())
			log.Warn("odoo id not written back to shopify", "err", wbErr)
		}
		s.unparkKey(key)
		log.Info("order synced to odoo", "model", res.Model, "odoo_id", res.ID, "odoo_name", res.Name, "warnings", len(out.Warnings))
	case retriable && int(cmd.Attempt) < len(schemas.RetryTopics):
		due := out.At.Add(s.d.RetryDelays[cmd.Attempt])
		out.Status, out.Error, out.RetryAt = schemas.StatusDelayed, err.Error(), &due
		topic := schemas.RetryTopics[cmd.Attempt]
		first := firstFailedAt(r, out.At)
		results.PublishRecord(ctx, &kgo.Record{Topic: topic, Key: r.Key, Value: r.Value, Headers: []kgo.RecordHeader{
			{Key: HeaderRetryAt, Value: []byte(due.Format(time.RFC3339Nano))},
			{Key: HeaderFirstFailedAt, Value: []byte(first.Format(time.RFC3339Nano))},
		}})
		s.park(key, r.Partition, due)
		s.count(func(m *metrics.Registry) { m.Retries.WithLabelValues(topic).Inc() })
		msg := "odoo failed; retry scheduled"
		if err == wbErr {
			msg = "odoo id not written back to shopify; retry scheduled"
		}
		log.Warn(msg, "err", err, "retry_at", due, "topic", topic)
	default:
		out.Status, out.Error = schemas.StatusFailed, err.Error()
		s.unparkKey(key)
		dl := deadletter.FromRecord(r, schemas.TopicCommandsDLQ, stage, err.Error(), out.At)
		dl.Shop, dl.Attempt, dl.FirstFailedAt = cmd.Shop, int(cmd.Attempt), firstFailedAt(r, out.At)
		results.PublishRecord(ctx, dl.Record())
		reason := "refused"
		if retriable {
			reason = "retries_exhausted"
		}
		s.count(func(m *metrics.Registry) { m.DeadLetters.WithLabelValues(stage, reason).Inc() })
		log.Error("odoo sync failed", "err", err)
	}
	return s.outcome(ctx, results, r.Key, &out)
}

// fillTransactions gives cmd's order the transactions its webhook lacked. A failure
// that may pass is returned (the command goes through the retry topics); one that
// will not, or a shop without an Admin API token, is a warning: the order is applied
// without its payments rather than not at all.
func (s *odooSink) fillTransactions(ctx context.Context, cmd *schemas.OrderSync) (string, error) {
	if s.d.Transactions == nil {
		return "", nil
	}
	ok, err := s.d.Transactions.Fill(ctx, cmd)
	switch {
	case err != nil && transactions.IsRetriable(err):
		return "", err
	case err != nil:
		return err.Error() + "; its payments are not registered in Odoo", nil
	case !ok:
		return "payments not registered in Odoo: the shop has no Admin API token to read the order's transactions", nil
	}
	return "", nil
}

// outcome publishes an outcome and counts it.
func (s *odooSink) outcome(ctx context.Context, results *kafka.Batch, key []byte, out *schemas.SyncOutcome) error {
	s.count(func(m *metrics.Registry) { m.Outcomes.WithLabelValues(out.Stage, out.Status).Inc() })
	return results.Publish(ctx, schemas.TopicOutcomes, key, out)
}

func (s *odooSink) count(f func(*metrics.Registry)) {
	if s.d.Metrics != nil {
		f(s.d.Metrics)
	}
}

func outcomeFor(cmd *schemas.OrderSync) schemas.SyncOutcome {
	out := schemas.OutcomeFor(&cmd.Order, cmd.Shop, stage)
	// The table shows the order in the currency it is booked in.
	out.Total, out.Currency = cmd.Order.TotalIn(cmd.Settings.Currency)
	out.Version, out.Attempt, out.Origin = cmd.Version, cmd.Attempt, cmd.Origin
	out.Eligible, out.IneligibleReasons = cmd.Eligible, cmd.IneligibleReasons
	if out.IneligibleReasons == nil {
		out.IneligibleReasons = []string{}
	}
	return out
}

// firstFailedAt carries the first failure's time through the retries.
func firstFailedAt(r *kgo.Record, now time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, deadletter.Header(r, HeaderFirstFailedAt)); err == nil {
		return t
	}
	return now
}

func (s *odooSink) park(key string, partition int32, due time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.parked[key] = parked{partition, due}
}

func (s *odooSink) unparkKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.parked, key)
}

// parkedUntil reports the due time of the order's pending retry. Past it, the retry's
// re-sync may not have reached us yet, and a command flowing now is as good.
func (s *odooSink) parkedUntil(key string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.parked[key]
	if !ok {
		return time.Time{}, false
	}
	if !s.d.Now().Before(p.due) {
		delete(s.parked, key)
		return time.Time{}, false
	}
	return p.due, true
}

// unpark forgets the parked orders of partitions this member lost: their new owner
// applies what comes (correct either way, since retries re-sync the latest state).
func (s *odooSink) unpark(_ context.Context, parts map[string][]int32) {
	lost := map[int32]bool{}
	for _, p := range parts[schemas.TopicCommands] {
		lost[p] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, p := range s.parked {
		if lost[p.partition] {
			delete(s.parked, k)
		}
	}
}

// handleRetries turns each due retry into a forced re-sync of its order. A partition
// whose head is not due is paused until it is (consume.Batch.Defer): new retries on
// other partitions and topics keep flowing, and nothing sleeps.
func (s *odooSink) handleRetries(ctx context.Context, b *consume.Batch) error {
	results := s.d.Publisher.Batch()
	now := s.d.Now()
	for _, p := range b.Partitions {
		for _, r := range p.Records {
			if due, err := time.Parse(time.RFC3339Nano, deadletter.Header(r, HeaderRetryAt)); err == nil && due.After(now) {
				b.Defer(p.Topic, p.Partition, r.Offset, due)
				break
			}
			var cmd schemas.OrderSync
			if err := s.d.Serde.Decode(ctx, r.Topic, r.Value, &cmd); err != nil {
				s.d.Log.Error("unreadable retry kept in the dead-letter topic", "topic", r.Topic, "offset", r.Offset, "err", err)
				results.PublishRecord(ctx, deadletter.FromRecord(r, schemas.TopicCommandsDLQ, stage, "unreadable retry: "+err.Error(), now).Record())
				continue
			}
			ev := &schemas.OrderEvent{
				EventID: fmt.Sprintf("retry:%s:%d", cmd.CommandID, cmd.Attempt+1), Shop: cmd.Shop, OrderID: cmd.OrderID,
				Topic: "retry", Origin: schemas.OriginRetry, ReceivedAt: now.UTC().Truncate(time.Millisecond), Force: true,
				// The failed command's snapshot, in case the processor holds none newer;
				// it never moves the order backwards (decide keeps the newest).
				Order: cmd.Order, Attempt: cmd.Attempt + 1,
			}
			if err := results.Publish(ctx, schemas.TopicOrders, r.Key, ev); err != nil {
				return err
			}
			s.d.Log.Info("retry due: order re-synced from its latest snapshot", "shop", cmd.Shop, "order", cmd.OrderID, "attempt", ev.Attempt, "topic", r.Topic)
		}
	}
	return results.Wait(ctx)
}
