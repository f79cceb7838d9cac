package kafka

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/schemas"
)

// batchCounter counts the batches the producer wrote, to report records per batch.
type batchCounter struct{ batches, records atomic.Int64 }

func (c *batchCounter) OnProduceBatchWritten(_ kgo.BrokerMetadata, _ string, _ int32, m kgo.ProduceBatchMetrics) {
	c.batches.Add(1)
	c.records.Add(int64(m.NumRecords))
}

// BenchmarkDurableProduce is the webhook's Kafka step alone: 64 producers in
// parallel (the load's 64 connections), each waiting for its own record's
// acknowledgement (acks=all) from the embedded cluster with its data on disk and
// writes synced (as in production), 5 KB values. keys=1 is the load script (one
// order body, so one key and one partition); keys=many spreads over 12 partitions as
// a flash sale's distinct orders do.
func BenchmarkDurableProduce(b *testing.B) {
	value := make([]byte, 5000)
	for i := range value {
		value[i] = byte('a' + i%23)
	}
	for _, sync := range []bool{true, false} {
		for _, keys := range []string{"1", "many"} {
			for _, linger := range []time.Duration{0, -1} {
				name := "sync=" + map[bool]string{true: "on", false: "off"}[sync] + "/keys=" + keys + "/linger=" + linger.String()
				if linger < 0 {
					name = "sync=" + map[bool]string{true: "on", false: "off"}[sync] + "/keys=" + keys + "/group"
				}
				b.Run(name, func(b *testing.B) {
					dir := ""
					if sync {
						dir = b.TempDir()
					}
					e, err := StartEmbedded("127.0.0.1:0", dir)
					if err != nil {
						b.Fatal(err)
					}
					defer e.Close()
					if !sync {
						// StartEmbedded syncs whenever it has a data dir; "off" is in memory.
					}
					log := slog.New(slog.NewTextHandler(io.Discard, nil))
					bc := &batchCounter{}
					opts := append(ClientOpts([]string{e.Addr}, "bench", log), ProducerOpts()...)
					opts = append(opts, kgo.WithHooks(bc))
					if linger < 0 {
						opts = append(opts, kgo.ManualFlushing())
					} else {
						opts = append(opts, kgo.ProducerLinger(linger))
					}
					cl, err := kgo.NewClient(opts...)
					if err != nil {
						b.Fatal(err)
					}
					defer cl.Close()
					ctx := context.Background()
					if _, err := EnsureTopics(ctx, cl, 12, -1); err != nil {
						b.Fatal(err)
					}
					var n atomic.Int64
					produce := func(ctx context.Context, r *kgo.Record) error { return cl.ProduceSync(ctx, r).FirstErr() }
					if linger < 0 {
						type item struct {
							r    *kgo.Record
							done chan error
						}
						q := make(chan item, 1024)
						go func() {
							for it := range q {
								cl.Produce(ctx, it.r, func(_ *kgo.Record, err error) { it.done <- err })
							more:
								for {
									select {
									case it := <-q:
										cl.Produce(ctx, it.r, func(_ *kgo.Record, err error) { it.done <- err })
									default:
										break more
									}
								}
								cl.Flush(ctx)
							}
						}()
						defer close(q)
						produce = func(ctx context.Context, r *kgo.Record) error {
							done := make(chan error, 1)
							q <- item{r, done}
							return <-done
						}
					}
					b.SetBytes(int64(len(value)))
					b.SetParallelism(32) // × GOMAXPROCS 2 = 64 in flight
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							i := n.Add(1)
							key := []byte("bench.myshopify.com/1")
							if keys == "many" {
								key = []byte("bench.myshopify.com/" + string(rune('a'+i%1000)))
							}
							if err := produce(ctx, &kgo.Record{Topic: schemas.TopicOrders, Key: key, Value: value}); err != nil {
								b.Error(err)
								return
							}
						}
					})
					b.StopTimer()
					if bc.batches.Load() > 0 {
						b.ReportMetric(float64(bc.records.Load())/float64(bc.batches.Load()), "records/batch")
					}
				})
			}
		}
	}
}
