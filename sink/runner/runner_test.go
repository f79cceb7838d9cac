package runner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/synco-dev/synco/odoosim"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/registry"
	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
)

const shop = "r.myshopify.com"
const wait = 30 * time.Second // a deadline on a busy machine, not a measure

// world is Kafka, a registry, an Odoo simulator and the Odoo sink running on them.
type world struct {
	t    *testing.T
	opts []kgo.Opt
	sd   *serde.Serde
	pub  *kafka.Publisher
	sim  *odoosim.Server
	now  func() time.Time
}

func newWorld(t *testing.T, with ...func(*OdooDeps)) *world {
	t.Helper()
	e, err := kafka.StartEmbedded("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	url, closeSR, err := registry.StartEmbedded("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeSR)
	srcl, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		t.Fatal(err)
	}
	opts := []kgo.Opt{kgo.SeedBrokers(e.Addr), kgo.FetchMaxWait(200 * time.Millisecond)}
	cl, err := kgo.NewClient(append(opts, kafka.ProducerOpts()...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx := context.Background()
	if _, err := kafka.EnsureTopics(ctx, cl, 2, -1); err != nil {
		t.Fatal(err)
	}
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	var topics []string
	for _, tp := range kafka.Topics() {
		if tp.Avro() {
			topics = append(topics, tp.Name)
		}
	}
	sd, err := serde.New(ctx, srcl, set, topics...)
	if err != nil {
		t.Fatal(err)
	}
	sim := odoosim.New(odoosim.Options{})
	simURL, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	w := &world{t: t, opts: opts, sd: sd, pub: kafka.NewPublisher(cl, sd), sim: sim, now: time.Now}
	sink := odoo.NewSink(map[string]odoo.Config{shop: {URL: simURL, DB: "synco", Username: "admin", Password: "admin", Protocol: "xmlrpc", Concurrency: 2}})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	deps := OdooDeps{ClientOpts: opts, Serde: sd, Publisher: w.pub, Sink: sink,
		RetryDelays: []time.Duration{time.Minute, 10 * time.Minute, time.Hour}, Drain: 100 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(testLog(), nil))}
	for _, f := range with {
		f(&deps)
	}
	go func() { done <- RunOdoo(rctx, deps) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("odoo sink: %v", err)
		}
	})
	return w
}

func command(id int64, version time.Time, attempt int32) *schemas.OrderSync {
	o := schemas.Order{ID: id, Name: fmt.Sprintf("#%d", id), Email: "a@example.com", CreatedAt: version, UpdatedAt: version,
		Currency: "USD", TotalPrice: decimal.RequireFromString("10.00"), FinancialStatus: "paid",
		LineItems: []schemas.LineItem{{ID: 1, SKU: "SKU-1", Title: "Thing", Quantity: 1, Price: decimal.RequireFromString("10.00")}}}
	return &schemas.OrderSync{CommandID: fmt.Sprintf("%s/%d/%d/1", shop, id, version.UnixMilli()), Shop: shop, OrderID: id,
		Version: version.UnixMilli(), Seq: 1, IssuedAt: version, Attempt: attempt, SaleOrder: schemas.SaleOrderDraft,
		Invoice: schemas.InvoiceNone, Eligible: true, IneligibleReasons: []string{}, Settings: schemas.DefaultSettings(shop), Order: o}
}

func (w *world) publish(topic string, cmd *schemas.OrderSync, headers ...kgo.RecordHeader) {
	w.t.Helper()
	if err := w.pub.Publish(context.Background(), topic, schemas.OrderKey(cmd.Shop, cmd.OrderID), cmd, headers...); err != nil {
		w.t.Fatal(err)
	}
}

// collector reads a topic from the start, in the background.
type collector struct {
	mu   sync.Mutex
	recs []*kgo.Record
}

func (w *world) collect(topic string) *collector {
	c := &collector{}
	cl, err := kgo.NewClient(append(w.opts, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(cl.Close)
	go func() {
		for {
			fs := cl.PollFetches(context.Background())
			if fs.IsClientClosed() {
				return
			}
			c.mu.Lock()
			fs.EachRecord(func(r *kgo.Record) { c.recs = append(c.recs, r) })
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *collector) snapshot() []*kgo.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*kgo.Record{}, c.recs...)
}

func (w *world) events(c *collector) []schemas.OrderEvent {
	var out []schemas.OrderEvent
	for _, r := range c.snapshot() {
		var ev schemas.OrderEvent
		if err := w.sd.Decode(context.Background(), schemas.TopicOrders, r.Value, &ev); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func (w *world) outcomes(c *collector) []schemas.SyncOutcome {
	var out []schemas.SyncOutcome
	for _, r := range c.snapshot() {
		var o schemas.SyncOutcome
		if err := w.sd.Decode(context.Background(), schemas.TopicOutcomes, r.Value, &o); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
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

func due(t time.Time) kgo.RecordHeader {
	return kgo.RecordHeader{Key: HeaderRetryAt, Value: []byte(t.Format(time.RFC3339Nano))}
}

// A retry waiting in .1h does not hold back a new .1m retry, nor one behind it on
// the same partition: each due retry becomes a forced re-sync event at once, and
// nothing calls Odoo from the retry topics.
func TestRetryDueTimesNeverBlockEachOther(t *testing.T) {
	w := newWorld(t)
	orders := w.collect(schemas.TopicOrders)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	later := command(1, t0, 2)
	w.publish(schemas.RetryTopics[2], later, due(time.Now().Add(time.Hour)))
	for i := int64(2); i <= 5; i++ { // due now: on both partitions of .1m
		w.publish(schemas.RetryTopics[0], command(i, t0, 0), due(time.Now().Add(-time.Second)))
	}
	eventually(t, "four re-sync events", func() bool { return len(w.events(orders)) == 4 })
	for _, ev := range w.events(orders) {
		if ev.OrderID == 1 || !ev.Force || ev.Origin != schemas.OriginRetry || ev.Attempt != 1 || ev.Order.ID != ev.OrderID {
			t.Errorf("re-sync event %+v", ev)
		}
	}
	if n := w.sim.Calls()["sale.order.create"]; n != 0 {
		t.Errorf("the retry consumer called Odoo (%d creates): it must only ask for re-syncs", n)
	}
}

// A retriable failure parks the order: the command goes to .1m with its due time, a
// newer command for the same order coalesces into that retry (not applied now), and
// another order keeps flowing.
func TestParkedOrderCoalescesNewerCommands(t *testing.T) {
	w := newWorld(t)
	outs := w.collect(schemas.TopicOutcomes)
	retries := w.collect(schemas.RetryTopics[0])
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	w.sim.FailNext("sale.order", "create", 1)
	w.publish(schemas.TopicCommands, command(7, t0, 0))
	eventually(t, "the order delayed", func() bool {
		for _, o := range w.outcomes(outs) {
			if o.OrderID == 7 && o.Status == schemas.StatusDelayed && o.RetryAt != nil {
				return true
			}
		}
		return false
	})
	if got := len(retries.snapshot()); got != 1 {
		t.Fatalf("%d retry records, want 1", got)
	}
	w.publish(schemas.TopicCommands, command(7, t0.Add(time.Minute), 0))
	w.publish(schemas.TopicCommands, command(8, t0, 0))
	eventually(t, "order 8 synced and order 7's newer command coalesced", func() bool {
		var synced8, coalesced7 bool
		for _, o := range w.outcomes(outs) {
			synced8 = synced8 || o.OrderID == 8 && o.Status == schemas.StatusSynced
			coalesced7 = coalesced7 || o.OrderID == 7 && o.Version == t0.Add(time.Minute).UnixMilli() && o.Status == schemas.StatusDelayed && o.RetryAt != nil
		}
		return synced8 && coalesced7
	})
	if n := len(w.sim.Records("sale.order")); n != 1 {
		t.Errorf("odoo holds %d sale orders, want only order 8's", n)
	}
}

func testLog() io.Writer {
	if os.Getenv("RUNNER_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

// Odoo refusing an order's edit is an answer, not a crash: the outcome is
// needs_attention with Odoo's reason, nothing is retried or dead-lettered. An order
// cancelled before its first sync is not synced, with the reason.
func TestOdooRefusalNeedsAttention(t *testing.T) {
	w := newWorld(t)
	outs := w.collect(schemas.TopicOutcomes)
	retries := w.collect(schemas.RetryTopics[0])
	dlq := w.collect(schemas.TopicCommandsDLQ)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	first := command(9, t0, 0)
	first.Origin = schemas.OriginBackfill
	w.publish(schemas.TopicCommands, first)
	eventually(t, "order 9 synced", func() bool {
		for _, o := range w.outcomes(outs) {
			if o.OrderID == 9 && o.Status == schemas.StatusSynced {
				// The sink's outcome says what brought the command.
				if o.Origin != schemas.OriginBackfill {
					t.Errorf("synced outcome's origin %q, want %q", o.Origin, schemas.OriginBackfill)
				}
				return true
			}
		}
		return false
	})
	const reason = "It is forbidden to modify the following fields in a locked order:\nQuantity"
	w.sim.RefuseNext("sale.order", "write", 1, reason)
	edited := command(9, t0.Add(time.Minute), 0)
	two := int32(2)
	edited.Order.LineItems[0].CurrentQuantity = &two
	w.publish(schemas.TopicCommands, edited)

	gone := command(10, t0, 0)
	at := t0
	gone.Order.CancelledAt, gone.SaleOrder = &at, schemas.SaleOrderCancelled
	w.publish(schemas.TopicCommands, gone)

	var attention, notSynced schemas.SyncOutcome
	eventually(t, "order 9 needs attention and order 10 is not synced", func() bool {
		for _, o := range w.outcomes(outs) {
			switch {
			case o.OrderID == 9 && o.Status == schemas.StatusNeedsAttention:
				attention = o
			case o.OrderID == 10 && o.Status == schemas.StatusNotSynced:
				notSynced = o
			}
		}
		return attention.OrderID != 0 && notSynced.OrderID != 0
	})
	if !strings.Contains(attention.Error, reason) || attention.OdooModel != "sale.order" || attention.OdooID == 0 || attention.RetryAt != nil {
		t.Errorf("needs attention outcome %+v", attention)
	}
	if !strings.Contains(notSynced.Error, "cancelled before it was synced") || notSynced.OdooID != 0 {
		t.Errorf("not synced outcome %+v", notSynced)
	}
	// Everything published before the outcomes is in Kafka by now.
	if n, m := len(retries.snapshot()), len(dlq.snapshot()); n != 0 || m != 0 {
		t.Errorf("%d retries and %d dead letters, want none", n, m)
	}
	if n := len(w.sim.Records("sale.order")); n != 1 {
		t.Errorf("odoo holds %d sale orders, want order 9's only", n)
	}
}
