package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/ingest/shopify"
	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/platform/deadletter"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/metrics"
	"github.com/synco-dev/synco/schemas"
)

// instant acknowledges at once: the benchmark measures the HTTP server and the
// handler, not Kafka.
type instant struct{ n atomic.Int64 }

func (p *instant) PublishOrder(context.Context, *schemas.OrderEvent) error { p.n.Add(1); return nil }
func (p *instant) PublishDeadLetter(context.Context, deadletter.Letter) error {
	return nil
}

// BenchmarkServe is one signed orders/create webhook (the peer's 4.4 KB body) per
// op over loopback TCP through each HTTP server ingest can run, 64 keep-alive
// connections as in the load runs. The clients are minimal (a prepared request
// written, the answer read up to its length) and the same for both servers.
func BenchmarkServe(b *testing.B) {
	body, err := os.ReadFile("../../../shared/peers/node-bullmq/order.json")
	if err != nil {
		body, err = os.ReadFile("../../shopify/order/testdata/orders_create.json")
		if err != nil {
			b.Fatal(err)
		}
	}
	sig := shopify.Sign(secret, body)
	for _, server := range []string{ServerFastHTTP, ServerNetHTTP} {
		b.Run(map[string]string{ServerFastHTTP: "fasthttp", ServerNetHTTP: "nethttp"}[server], func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			d := Deps{Config: &config.Config{Shops: []config.Shop{{Domain: shop, WebhookSecret: secret}}},
				Ingest: Config{AckTimeout: time.Second, Server: server}, Metrics: metrics.New(),
				Log: slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))}
			pub := &instant{}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- serve(ctx, ln, d, pub) }()
			defer func() { cancel(); <-done }()
			var seq atomic.Int64
			conns := 64
			per := b.N/conns + 1
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			var wg sync.WaitGroup
			for range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := net.Dial("tcp", ln.Addr().String())
					if err != nil {
						b.Error(err)
						return
					}
					defer c.Close()
					r := bufio.NewReader(c)
					var req bytes.Buffer
					for range per {
						req.Reset()
						fmt.Fprintf(&req, "POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Shopify-Topic: orders/create\r\n"+
							"X-Shopify-Shop-Domain: %s\r\nX-Shopify-Hmac-Sha256: %s\r\nX-Shopify-Webhook-Id: w-%d\r\nContent-Length: %d\r\n\r\n", shop, sig, seq.Add(1), len(body))
						req.Write(body)
						if _, err := c.Write(req.Bytes()); err != nil {
							b.Error(err)
							return
						}
						resp, err := http.ReadResponse(r, nil)
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 {
							b.Errorf("status %d", resp.StatusCode)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if pub.n.Load() == 0 {
				b.Fatal("nothing published")
			}
		})
	}
}

// BenchmarkGroupCommit is the webhook's Kafka step alone through the group-commit
// producer: 64 webhooks in flight, each waiting for its own record's acknowledgement
// from the embedded cluster with its data on disk and every batch fsynced, 5 KB
// values. keys=1 is the load script's single order (one partition); keys=many are
// distinct orders over the 12 partitions, as in a flash sale (the embedded cluster
// syncs each partition's batch: 12 batches per request). wait=0 sends what is queued
// at once; wait=1ms (production) lets a group wait for as many webhooks as the
// previous one had.
func BenchmarkGroupCommit(b *testing.B) {
	value := bytes.Repeat([]byte("0123456789abcdef"), 5000/16)
	for _, c := range []struct {
		keys string
		wait time.Duration
	}{{"1", 0}, {"1", time.Millisecond}, {"many", time.Millisecond}} {
		wait := c.wait
		b.Run("keys="+c.keys+"/wait="+wait.String(), func(b *testing.B) {
			e, err := kafka.StartEmbedded("127.0.0.1:0", b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			opts := kafka.ClientOpts([]string{e.Addr}, "bench", log)
			adm, err := kgo.NewClient(opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer adm.Close()
			if _, err := kafka.EnsureTopics(context.Background(), adm, 12, -1); err != nil {
				b.Fatal(err)
			}
			reg := metrics.New()
			g, err := newGroupProducer(opts, nil, reg)
			if err != nil {
				b.Fatal(err)
			}
			defer g.Close()
			g.maxWait = wait
			b.SetBytes(int64(len(value)))
			b.SetParallelism(32) // × GOMAXPROCS 2 = 64 in flight
			b.ResetTimer()
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					key := []byte(shop + "/1")
					if c.keys == "many" {
						key = fmt.Appendf(nil, "%s/%d", shop, n.Add(1))
					}
					r := &kgo.Record{Topic: schemas.TopicOrders, Key: key, Value: value}
					if err := g.produce(context.Background(), r); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			var groups, records float64
			mfs, _ := reg.Gather()
			for _, mf := range mfs {
				if mf.GetName() == "synco_ingest_group_records" {
					h := mf.GetMetric()[0].GetHistogram()
					groups, records = float64(h.GetSampleCount()), h.GetSampleSum()
				}
			}
			if groups > 0 {
				b.ReportMetric(records/groups, "records/group")
			}
		})
	}
}
