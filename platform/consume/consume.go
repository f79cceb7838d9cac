// Package consume is the one consumer loop of Synco's group consumers (the Odoo
// sink's main and retry consumers, the ClickHouse sink, the request consumer): poll,
// hand each poll's records to the handler by partition, commit only what was handled,
// pause partitions whose head is not due yet and resume them later, and leave the
// group cleanly. It is at-least-once: a record whose handling did not finish is
// delivered again, so handlers must be idempotent (ours are level-triggered).
package consume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/synco-dev/synco/platform/metrics"
)

// Config of one group consumer.
type Config struct {
	Group  string
	Topics []string
	// MaxRecords bounds the records of one poll (default 1000).
	MaxRecords int
	// Drain is how long a batch in flight may still run after ctx ends, so a
	// shutdown finishes (and commits) what it started (default 10 s).
	Drain time.Duration
	// OnAssigned and OnRevoked run in the rebalance, before the partitions start or
	// after they stopped being handled (revoked or lost); caches keyed by what another
	// instance may now write are dropped there.
	OnAssigned func(ctx context.Context, parts map[string][]int32)
	OnRevoked  func(ctx context.Context, parts map[string][]int32)
	Log        *slog.Logger
	// Now is the clock of pauses (tests).
	Now func() time.Time
	// Metrics, when set, gets the consumer's lag per partition.
	Metrics *metrics.Registry
	// Async makes a consumer for RunLanes: polling goes on while records are handled,
	// so rebalances are not blocked by a poll (the lanes of a revoked partition are
	// stopped and their finished offsets committed in the rebalance instead).
	Async bool
}

// Partition is the records of one topic partition from one poll, in offset order.
type Partition struct {
	Topic     string
	Partition int32
	Records   []*kgo.Record
}

// Batch is one poll's records, by partition. A handler that cannot handle a
// partition's records from some offset on yet (a retry not due) says so with Defer.
type Batch struct {
	Partitions []Partition

	mu       sync.Mutex
	deferred map[tp]deferral
}

type tp struct {
	topic string
	part  int32
}

type deferral struct {
	offset int64
	until  time.Time
}

// Defer says the records of topic/partition from offset on were not handled: they
// are not committed, the partition is rewound to offset and paused until until.
// Records before offset count as handled.
func (b *Batch) Defer(topic string, partition int32, offset int64, until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.deferred == nil {
		b.deferred = map[tp]deferral{}
	}
	k := tp{topic, partition}
	if d, ok := b.deferred[k]; !ok || offset < d.offset {
		b.deferred[k] = deferral{offset, until}
	}
}

// Len is the number of records in the batch.
func (b *Batch) Len() int {
	n := 0
	for _, p := range b.Partitions {
		n += len(p.Records)
	}
	return n
}

// EachPartition runs f for every partition at once and returns their errors joined.
// Records of one partition stay in order: f handles them one after another.
func (b *Batch) EachPartition(f func(p Partition) error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(b.Partitions))
	for i, p := range b.Partitions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(p)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Handler handles a batch. It returns nil once every record it did not Defer is done
// (its results durable); an error means the batch is handled again (with backoff)
// before anything is committed.
type Handler func(ctx context.Context, b *Batch) error

// Consumer is one group member.
type Consumer struct {
	cl  *kgo.Client
	cfg Config

	mu     sync.Mutex
	timers map[tp]*time.Timer // paused partitions and their resume
	owned  map[tp]bool        // partitions assigned to this member
	lanes  *laneRun           // RunLanes' state, when running
}

// New joins cfg.Group on top of the base client options (brokers, client id, logger).
func New(opts []kgo.Opt, cfg Config) (*Consumer, error) {
	if cfg.MaxRecords <= 0 {
		cfg.MaxRecords = 1000
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Consumer{cfg: cfg, timers: map[tp]*time.Timer{}, owned: map[tp]bool{}}
	own := []kgo.Opt{
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topics...),
		kgo.DisableAutoCommit(),
	}
	if !cfg.Async {
		// No rebalance while a batch is handled: its offsets are committed first.
		own = append(own, kgo.BlockRebalanceOnPoll())
	}
	cl, err := kgo.NewClient(append(append(opts, own...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.OnPartitionsAssigned(c.assigned),
		kgo.OnPartitionsRevoked(c.revoked),
		kgo.OnPartitionsLost(c.revoked),
	)...)
	if err != nil {
		return nil, fmt.Errorf("%s consumer: %w", cfg.Group, err)
	}
	c.cl = cl
	return c, nil
}

// Client is the underlying client.
func (c *Consumer) Client() *kgo.Client { return c.cl }

func (c *Consumer) assigned(ctx context.Context, _ *kgo.Client, parts map[string][]int32) {
	c.mu.Lock()
	for t, ps := range parts {
		for _, p := range ps {
			c.owned[tp{t, p}] = true
		}
	}
	c.mu.Unlock()
	if c.cfg.OnAssigned != nil {
		c.cfg.OnAssigned(ctx, parts)
	}
}

func (c *Consumer) revoked(ctx context.Context, _ *kgo.Client, parts map[string][]int32) {
	// A pause outlives a rebalance in franz-go: lift it, or a partition given back
	// to us later would never be fetched.
	c.mu.Lock()
	for t, ps := range parts {
		for _, p := range ps {
			delete(c.owned, tp{t, p})
			if tm := c.timers[tp{t, p}]; tm != nil {
				tm.Stop()
				delete(c.timers, tp{t, p})
			}
		}
	}
	lanes := c.lanes
	c.mu.Unlock()
	if lanes != nil {
		lanes.revoke(parts)
	}
	c.cl.ResumeFetchPartitions(parts)
	if c.cfg.OnRevoked != nil {
		c.cfg.OnRevoked(ctx, parts)
	}
}

// Run polls and handles until ctx ends, then drains the batch in flight, commits
// and leaves the group. It returns nil on a clean stop.
func (c *Consumer) Run(ctx context.Context, h Handler) error {
	// With BlockRebalanceOnPoll, Close (leaving the group) waits for AllowRebalance.
	defer func() {
		c.cl.AllowRebalance()
		c.cl.Close()
		c.mu.Lock()
		for _, t := range c.timers {
			t.Stop()
		}
		c.mu.Unlock()
	}()
	// Handlers get a context that outlives ctx by the drain time.
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(c.cfg.Drain, cancel) })
	defer stop()
	for {
		fs := c.cl.PollRecords(ctx, c.cfg.MaxRecords)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return nil
		}
		fs.EachError(func(t string, p int32, err error) {
			c.cfg.Log.Warn("fetch error", "group", c.cfg.Group, "topic", t, "partition", p, "err", err)
		})
		c.observeLag(fs)
		b := &Batch{}
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) > 0 {
				b.Partitions = append(b.Partitions, Partition{Topic: p.Topic, Partition: p.Partition, Records: p.Records})
			}
		})
		if len(b.Partitions) > 0 {
			if !c.handle(ctx, hctx, h, b) {
				return nil
			}
			c.commit(hctx, b)
		}
		c.cl.AllowRebalance()
	}
}

// handle runs h until it succeeds; false means the consumer is stopping and the
// batch was not handled (it will be delivered again).
func (c *Consumer) handle(ctx, hctx context.Context, h Handler, b *Batch) bool {
	backoff := 100 * time.Millisecond
	for {
		b.deferred = nil
		err := h(hctx, b)
		if err == nil {
			return true
		}
		if hctx.Err() != nil {
			return false
		}
		c.cfg.Log.Error("batch failed; handling it again before committing", "group", c.cfg.Group, "records", b.Len(), "err", err, "backoff", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			// Stopping: what failed is not committed and comes back after a restart.
			return false
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// commit commits the handled records and pauses what was deferred.
func (c *Consumer) commit(ctx context.Context, b *Batch) {
	offsets := map[string]map[int32]kgo.EpochOffset{}
	rewind := map[string]map[int32]kgo.EpochOffset{}
	put := func(m map[string]map[int32]kgo.EpochOffset, t string, p int32, eo kgo.EpochOffset) {
		if m[t] == nil {
			m[t] = map[int32]kgo.EpochOffset{}
		}
		m[t][p] = eo
	}
	for _, p := range b.Partitions {
		last := p.Records[len(p.Records)-1]
		next := kgo.EpochOffset{Epoch: last.LeaderEpoch, Offset: last.Offset + 1}
		if d, ok := b.deferred[tp{p.Topic, p.Partition}]; ok {
			if d.offset <= p.Records[0].Offset {
				next = kgo.EpochOffset{Epoch: -1, Offset: -1} // nothing of this partition handled
			} else {
				next = kgo.EpochOffset{Epoch: last.LeaderEpoch, Offset: d.offset}
			}
			put(rewind, p.Topic, p.Partition, kgo.EpochOffset{Epoch: -1, Offset: d.offset})
		}
		if next.Offset >= 0 {
			put(offsets, p.Topic, p.Partition, next)
		}
	}
	if len(offsets) > 0 {
		c.cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsgReq, resp *kmsgResp, err error) {
			err = errors.Join(err, commitErrors(resp))
			if err != nil && ctx.Err() == nil {
				c.cfg.Log.Warn("offset commit failed; the batch may be delivered again", "group", c.cfg.Group, "err", err)
			}
		})
	}
	if len(rewind) == 0 {
		return
	}
	pause := map[string][]int32{}
	for t, ps := range rewind {
		for p := range ps {
			pause[t] = append(pause[t], p)
		}
	}
	c.cl.PauseFetchPartitions(pause)
	// Called while rebalances are blocked: the partitions are still ours.
	c.cl.SetOffsets(rewind)
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, d := range b.deferred {
		if old := c.timers[k]; old != nil {
			old.Stop()
		}
		c.timers[k] = time.AfterFunc(max(d.until.Sub(now), 0), func() {
			c.mu.Lock()
			delete(c.timers, k)
			c.mu.Unlock()
			c.cl.ResumeFetchPartitions(map[string][]int32{k.topic: {k.part}})
		})
	}
}

type (
	kmsgReq  = kmsg.OffsetCommitRequest
	kmsgResp = kmsg.OffsetCommitResponse
)

// commitErrors reads the per-partition errors of a commit.
func commitErrors(resp *kmsgResp) error {
	if resp == nil {
		return nil
	}
	var err error
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if perr := kerr.ErrorForCode(p.ErrorCode); perr != nil {
				err = errors.Join(err, fmt.Errorf("%s/%d: %w", t.Topic, p.Partition, perr))
			}
		}
	}
	return err
}

// observeLag sets the lag gauges from a poll's high watermarks.
func (c *Consumer) observeLag(fs kgo.Fetches) {
	if c.cfg.Metrics == nil {
		return
	}
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) == 0 {
			return
		}
		next := p.Records[len(p.Records)-1].Offset + 1
		c.cfg.Metrics.ConsumerLag.WithLabelValues(c.cfg.Group, p.Topic, metrics.Partition(p.Partition)).Set(float64(max(p.HighWatermark-next, 0)))
	})
}

func (c *Consumer) owns(k tp) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.owned[k]
}

// Paused lists the partitions waiting for their head to be due (tests, metrics).
func (c *Consumer) Paused() map[string][]int32 { return c.cl.PauseFetchPartitions(nil) }
