package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/synco-dev/synco/ingest/shopify"
	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/platform/deadletter"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/metrics"
	"github.com/synco-dev/synco/platform/registry"
	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/schemas"
)

const (
	shop   = "bench.myshopify.com"
	secret = "hush"
)

// stage is a running ingest stage on loopback over the embedded Kafka (in memory)
// and registry, as `synco ingest` wires it.
type stage struct {
	url     string
	kafka   *kafka.Embedded
	brokers []string
	serde   *serde.Serde
	stop    func()
}

func startStage(t *testing.T, server string) *stage {
	t.Helper()
	e, err := kafka.StartEmbedded("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	srURL, closeSR, err := registry.StartEmbedded("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeSR)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := kafka.ClientOpts([]string{e.Addr}, "test", log)
	prod, err := kgo.NewClient(append(opts, kafka.ProducerOpts()...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)
	ctx := context.Background()
	if _, err := kafka.EnsureTopics(ctx, prod, 12, -1); err != nil {
		t.Fatal(err)
	}
	src, err := sr.NewClient(sr.URLs(srURL))
	if err != nil {
		t.Fatal(err)
	}
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	sd, err := serde.New(ctx, src, set, schemas.TopicOrders)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Shops: []config.Shop{{Domain: shop, WebhookSecret: secret}}}
	ing := Config{AckTimeout: time.Second, Server: server}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Serve(runCtx, ln, Deps{Config: cfg, Ingest: ing, Publisher: kafka.NewPublisher(prod, sd),
			ClientOpts: opts, Serde: sd, Metrics: metrics.New(), Log: log})
	}()
	s := &stage{url: "http://" + ln.Addr().String(), kafka: e, brokers: []string{e.Addr}, serde: sd}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

type reply struct {
	code int
	body string
}

func (s *stage) post(t *testing.T, topic, shopDomain string, body []byte, sig, id string) reply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.url+"/webhooks/shopify", bytes.NewReader(body))
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Shop-Domain", shopDomain)
	req.Header.Set("X-Shopify-Hmac-Sha256", sig)
	req.Header.Set("X-Shopify-Webhook-Id", id)
	req.Header.Set("X-Shopify-Triggered-At", "2025-11-20T10:14:05.123456789Z")
	return do(t, req)
}

func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, string(b)}
}

// read returns the records of topic once there are want of them (and checks no more
// arrive for a moment).
func (s *stage) read(t *testing.T, topic string, want int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	deadline := time.Now().Add(20 * time.Second) // a deadline on a shared machine, not a measure
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
		if len(out) > want {
			break
		}
		if len(out) == want && fs.NumRecords() == 0 {
			return out
		}
	}
	t.Fatalf("%s holds %d records, want %d", topic, len(out), want)
	return nil
}

func orderBody(t *testing.T) []byte {
	b, err := os.ReadFile("../../shopify/order/testdata/orders_create.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every answer of CONTRACT.md "Ingest HTTP", through both servers ingest can run.
func TestContractAnswers(t *testing.T) {
	for _, server := range []string{ServerFastHTTP, ServerNetHTTP} {
		t.Run(strings.ReplaceAll(server, "/", ""), func(t *testing.T) {
			s := startStage(t, server)
			body := orderBody(t)
			sig := shopify.Sign(secret, body)

			if r := s.post(t, "orders/create", shop, body, sig, "w1"); r.code != 200 || r.body != "ok\n" {
				t.Fatalf("signed order: %+v", r)
			}
			if r := s.post(t, "orders/create", shop, body, sig, "w1"); r.code != 200 || r.body != "duplicate\n" {
				t.Errorf("duplicate: %+v", r)
			}
			if r := s.post(t, "orders/create", shop, body, shopify.Sign("wrong", body), "w2"); r.code != 401 {
				t.Errorf("bad HMAC: %+v", r)
			}
			if r := s.post(t, "orders/create", shop, body, "", "w3"); r.code != 401 {
				t.Errorf("missing HMAC: %+v", r)
			}
			if r := s.post(t, "orders/create", "other.myshopify.com", body, sig, "w4"); r.code != 401 {
				t.Errorf("unknown shop: %+v", r)
			}
			big := []byte(`{"id":1,"note":"` + strings.Repeat("x", 10<<20) + `"}`)
			if r := s.post(t, "orders/create", shop, big, shopify.Sign(secret, big), "w5"); r.code != 413 {
				t.Errorf("over 10 MiB: %d", r.code)
			}
			for _, topic := range []string{"products/create", "app/uninstalled", "shop/redact"} {
				b := []byte(`{}`)
				if r := s.post(t, topic, shop, b, shopify.Sign(secret, b), "x-"+topic); r.code != 200 {
					t.Errorf("%s: %+v", topic, r)
				}
			}
			cut := body[:len(body)/2]
			if r := s.post(t, "orders/create", shop, cut, shopify.Sign(secret, cut), "w-cut"); r.code != 200 || !strings.HasPrefix(r.body, "kept as dead letter") {
				t.Errorf("unreadable signed body: %+v", r)
			}
			refund, _ := os.ReadFile("../../shopify/order/testdata/refunds_create.json")
			if r := s.post(t, "refunds/create", shop, refund, shopify.Sign(secret, refund), "r1"); r.code != 200 {
				t.Errorf("refund: %+v", r)
			}
			get, _ := http.NewRequest(http.MethodGet, s.url+"/webhooks/shopify", nil)
			if r := do(t, get); r.code != 405 {
				t.Errorf("GET webhook: %+v", r)
			}
			for path, want := range map[string]string{"/healthz": "ok\n", "/readyz": "ready\n"} {
				req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
				if r := do(t, req); r.code != 200 || r.body != want {
					t.Errorf("%s: %+v", path, r)
				}
			}
			req, _ := http.NewRequest(http.MethodGet, s.url+"/metrics", nil)
			if r := do(t, req); r.code != 200 || !strings.Contains(r.body, `synco_webhooks_total{result="accepted",topic="orders/create"} 1`) ||
				!strings.Contains(r.body, `synco_webhooks_total{result="too_large",topic="orders/create"} 1`) || !strings.Contains(r.body, "synco_ingest_group_records_count") {
				t.Errorf("metrics: %d\n%s", r.code, r.body)
			}

			orders := s.read(t, schemas.TopicOrders, 2)
			var ev schemas.OrderEvent
			if err := s.serde.Decode(context.Background(), schemas.TopicOrders, orders[0].Value, &ev); err != nil {
				t.Fatal(err)
			}
			if string(orders[0].Key) != shop+"/820982911946154508" || ev.OrderID != 820982911946154508 || !ev.DecodeRaw ||
				!bytes.Equal(ev.Raw, body) || ev.Version != time.Date(2021, 12, 31, 19, 0, 0, 0, time.FixedZone("", -5*3600)).UnixMilli() ||
				ev.EventID != "w1" || ev.TriggeredAt == nil {
				t.Errorf("order event: key %q, %+v", orders[0].Key, ev)
			}
			if err := s.serde.Decode(context.Background(), schemas.TopicOrders, orders[1].Value, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Topic != "refunds/create" || ev.OrderID != 820982911946154508 || ev.DecodeRaw || ev.Version != 0 {
				t.Errorf("refund event %+v", ev)
			}
			dl := s.read(t, schemas.TopicOrdersDLQ, 1)[0]
			if !bytes.Equal(dl.Value, cut) || deadletter.Header(dl, deadletter.HeaderStage) != "ingest" ||
				deadletter.Header(dl, "X-Shopify-Webhook-Id") != "w-cut" || deadletter.Header(dl, "X-Shopify-Topic") != "orders/create" ||
				deadletter.Header(dl, deadletter.HeaderReason) == "" {
				t.Errorf("dead letter: %d bytes, headers %v", len(dl.Value), dl.Headers)
			}

			// Kafka gone: no acknowledgement within the ack timeout is 503, so Shopify retries.
			s.kafka.Close()
			if r := s.post(t, "orders/create", shop, body, sig, "w-down"); r.code != 503 {
				t.Errorf("kafka down: %+v", r)
			}
			s.stop()
		})
	}
}

// Webhooks in flight share group commits, and each is answered only once its own
// record is acknowledged: 64 at once become 64 records in fewer round trips.
func TestWebhooksInFlightShareRoundTrips(t *testing.T) {
	s := startStage(t, ServerFastHTTP)
	body := orderBody(t)
	sig := shopify.Sign(secret, body)
	const n = 64
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- s.post(t, "orders/updated", shop, body, sig, fmt.Sprintf("c%d", i)).code
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Fatalf("answer %d", c)
		}
	}
	s.read(t, schemas.TopicOrders, n)
	req, _ := http.NewRequest(http.MethodGet, s.url+"/metrics", nil)
	m := do(t, req).body
	var groups, records float64
	for _, line := range strings.Split(m, "\n") {
		fmt.Sscanf(line, "synco_ingest_group_records_count %g", &groups)
		fmt.Sscanf(line, "synco_ingest_group_records_sum %g", &records)
	}
	if records != n || groups < 1 || groups >= n {
		t.Errorf("%g records in %g group commits, want %d in fewer", records, groups, n)
	}
}
