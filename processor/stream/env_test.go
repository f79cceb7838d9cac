package stream

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/synco-dev/synco/platform/consume"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/platform/settings"
	"github.com/synco-dev/synco/processor/store"
	"github.com/synco-dev/synco/schemas"
)

const shop = "s.myshopify.com"

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// env is one test's Kafka (kfake in process, so tests can inject broker faults),
// schema registry, serde and settings.
type env struct {
	tb       testing.TB
	cluster  *kfake.Cluster
	brokers  []string
	serde    *serde.Serde
	settings *settings.Store
	prod     *kgo.Client
	adm      *kadm.Client
	logs     *lockedBuffer
	log      *slog.Logger
	parts    int32
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newEnv(tb testing.TB, parts int32, logLevel slog.Level) *env {
	tb.Helper()
	return newEnvWith(tb, parts, logLevel, nil)
}

// newEnvWith uses the brokers given, or starts kfake in process when there are none.
func newEnvWith(tb testing.TB, parts int32, logLevel slog.Level, brokers []string) *env {
	tb.Helper()
	ctx := context.Background()
	e := &env{tb: tb, logs: &lockedBuffer{}, parts: parts}
	e.log = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: logLevel}))
	tb.Cleanup(func() {
		if tb.Failed() {
			s := e.logs.String()
			if len(s) > 64<<10 {
				s = s[len(s)-64<<10:]
			}
			tb.Logf("logs (tail):\n%s", s)
		}
	})
	e.brokers = brokers
	if brokers == nil {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(int(parts)))
		if err != nil {
			tb.Fatalf("kfake: %v", err)
		}
		tb.Cleanup(c.Close)
		e.cluster, e.brokers = c, c.ListenAddrs()
	}
	var err error
	e.prod, err = kgo.NewClient(append(e.clientOpts("test-producer"), kafka.ProducerOpts()...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.prod.Close)
	e.adm = kadm.NewClient(e.prod)
	if _, err := kafka.EnsureTopics(ctx, e.prod, parts, -1); err != nil {
		tb.Fatalf("topics: %v", err)
	}
	srv := httptest.NewServer(srfake.New().Handler())
	tb.Cleanup(srv.Close)
	srcl, err := sr.NewClient(sr.URLs(srv.URL))
	if err != nil {
		tb.Fatal(err)
	}
	set, err := schemas.Load()
	if err != nil {
		tb.Fatal(err)
	}
	var topics []string
	for _, t := range kafka.Topics() {
		if t.Avro() {
			topics = append(topics, t.Name)
		}
	}
	if e.serde, err = serde.New(ctx, srcl, set, topics...); err != nil {
		tb.Fatal(err)
	}
	if e.settings, err = settings.Open(ctx, e.clientOpts("test-settings"), e.serde, e.log, []schemas.ShopSettings{schemas.DefaultSettings(shop)}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.settings.Close)
	return e
}

func (e *env) clientOpts(name string) []kgo.Opt {
	return kafka.ClientOpts(e.brokers, name, e.log)
}

// running is one processor "process".
type running struct {
	p      *Processor
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

func (e *env) start(name, stateDir string, tweak ...func(*Deps)) *running {
	e.tb.Helper()
	d := Deps{ClientOpts: e.clientOpts("processor-" + name), TransactionID: "test-processor-" + name,
		Serde: e.serde, Settings: e.settings, Log: e.log.With("processor", name), StateDir: stateDir,
		Now: func() time.Time { return t0.Add(time.Hour) }}
	for _, f := range tweak {
		f(&d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{p: New(d), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- r.p.Run(ctx) }()
	e.tb.Cleanup(r.stop)
	return r
}

func (r *running) stop() {
	r.once.Do(func() {
		r.cancel()
		<-r.done
	})
}

// testOrder is a three-line web order whose snapshot was taken at updated.
func testOrder(id int64, updated time.Time, financial string) schemas.Order {
	d := decimal.RequireFromString
	vat := []schemas.TaxLine{{Title: "VAT", Rate: d("0.2"), Price: d("4.00")}}
	o := schemas.Order{ID: id, Name: fmt.Sprintf("#%d", id), OrderNumber: id, Email: "ada@example.com",
		Customer:  &schemas.Customer{ID: 7001, Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"},
		CreatedAt: t0, UpdatedAt: updated, Currency: "EUR", PresentmentCurrency: "EUR",
		TotalPrice: d("103.49"), SubtotalPrice: d("98.59"), TotalTax: d("12.00"), TotalDiscounts: d("0"), TotalShipping: d("4.90"),
		FinancialStatus: financial, SourceName: "web", Tags: "vip, newsletter",
		PaymentGatewayNames: []string{"shopify_payments"},
		BillingAddress:      &schemas.Address{Name: "Ada Lovelace", Address1: "12 St James's Sq", City: "London", Zip: "SW1Y 4JH", CountryCode: "GB"},
		ShippingLines:       []schemas.ShippingLine{{ID: 1, Title: "Standard", Code: "STD", Price: d("4.90"), DiscountedPrice: d("4.90")}},
	}
	for i, sku := range []string{"SYN-TEE-BLK-M", "SYN-MUG-01", "SYN-CAP-NVY"} {
		o.LineItems = append(o.LineItems, schemas.LineItem{ID: id*10 + int64(i), VariantID: 9100 + int64(i), SKU: sku,
			Title: sku, Quantity: 1 + int32(i), Price: d("19.90"), TotalDiscount: d("0"), Taxable: true, TaxLines: vat})
	}
	return o
}

func key(id int64) string { return fmt.Sprintf("%s/%d", shop, id) }

// event is Shopify's webhook number n (0: orders/create) for order id.
func event(id int64, n int, raw []byte) *schemas.OrderEvent {
	topic, fin := "orders/updated", "paid"
	if n == 0 {
		topic, fin = "orders/create", "pending"
	}
	return &schemas.OrderEvent{EventID: fmt.Sprintf("ev-%d-%d", id, n), Shop: shop, OrderID: id, Topic: topic,
		Origin: schemas.OriginWebhook, ReceivedAt: t0, Order: testOrder(id, t0.Add(time.Duration(n)*time.Minute), fin), Raw: raw}
}

// produce sends events to shopify.orders, keyed as ingest keys them.
func (e *env) produce(evs ...*schemas.OrderEvent) {
	e.tb.Helper()
	recs := make([]*kgo.Record, 0, len(evs))
	for _, ev := range evs {
		v, err := e.serde.Encode(schemas.TopicOrders, ev)
		if err != nil {
			e.tb.Fatal(err)
		}
		recs = append(recs, &kgo.Record{Topic: schemas.TopicOrders, Key: []byte(key(ev.OrderID)), Value: v})
	}
	for len(recs) > 0 {
		n := min(len(recs), 10000)
		if err := e.prod.ProduceSync(context.Background(), recs[:n]...).FirstErr(); err != nil {
			e.tb.Fatalf("produce: %v", err)
		}
		recs = recs[n:]
	}
}

// waitProcessed waits until the processor group committed every input offset.
func (e *env) waitProcessed(deadline time.Duration) {
	e.tb.Helper()
	ctx := context.Background()
	ends, err := e.adm.ListEndOffsets(ctx, schemas.TopicOrders)
	if err != nil {
		e.tb.Fatal(err)
	}
	stop := time.Now().Add(deadline)
	for {
		committed, err := e.adm.FetchOffsets(ctx, Group)
		if err == nil {
			behind := false
			ends.Each(func(o kadm.ListedOffset) {
				c, ok := committed.Lookup(o.Topic, o.Partition)
				if o.Offset > 0 && (!ok || c.At < o.Offset) {
					behind = true
				}
			})
			if !behind {
				return
			}
		}
		if time.Now().After(stop) {
			e.tb.Fatalf("processor did not commit every input offset within %v (last error %v)", deadline, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// outcomes counts the committed processor outcomes per order key.
func (e *env) outcomes() map[string]int {
	e.tb.Helper()
	recs := e.readAll(schemas.TopicOutcomes)
	n := map[string]int{}
	for _, r := range recs {
		n[string(r.Key)]++
	}
	return n
}

// readAll reads a topic's committed records from the start to its end.
func (e *env) readAll(topic string) []*kgo.Record {
	e.tb.Helper()
	var out []*kgo.Record
	if err := consume.ReadToEnd(context.Background(), e.clientOpts("test-reader"), topic, nil, func(r *kgo.Record) {
		out = append(out, r)
	}); err != nil {
		e.tb.Fatal(err)
	}
	return out
}

// stateOf reads the processor store under stateDir (no processor may run on it) and
// decodes every order's state.
func (e *env) stateOf(stateDir string) map[string]schemas.OrderState {
	e.tb.Helper()
	s, err := store.Open(store.Options{Dir: filepath.Join(stateDir, Group), LockWait: time.Millisecond})
	if err != nil {
		e.tb.Fatal(err)
	}
	defer s.Close()
	out := map[string]schemas.OrderState{}
	for part := range e.parts {
		if _, err := s.Load(part); err != nil {
			e.tb.Fatal(err)
		}
		err := s.Each(part, func(k, v []byte) error {
			var st schemas.OrderState
			if err := e.serde.Decode(context.Background(), schemas.TopicProcessorState, v, &st); err != nil {
				return err
			}
			out[string(k)] = st
			return nil
		})
		if err != nil {
			e.tb.Fatal(err)
		}
	}
	return out
}

// versions summarises states as key -> version/seq, for readable comparisons.
func versions(states map[string]schemas.OrderState) map[string]string {
	out := map[string]string{}
	for k, st := range states {
		out[k] = fmt.Sprintf("v%d/seq%d", st.Version, st.Seq)
	}
	return out
}

func (e *env) logged(substr string) int {
	return strings.Count(e.logs.String(), substr)
}
