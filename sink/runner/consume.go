// Package runner runs the sinks on Kafka: at-least-once group consumption where
// offsets are committed only after the sink's work succeeded. The Odoo and
// ClickHouse sinks are idempotent, so a redelivery after a crash is harmless.
package runner

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// consume polls topics in group and hands every batch to handle, retrying a failed
// batch (with backoff) until it succeeds, then commits its offsets.
// onRebalance, when set, runs whenever partitions are assigned, revoked or lost
// (caches keyed by what another instance may now write must be dropped).
func consume(ctx context.Context, opts []kgo.Opt, group string, topics []string, log *slog.Logger, handle func(context.Context, kgo.Fetches) error, onRebalance func()) error {
	if onRebalance != nil {
		hook := func(context.Context, *kgo.Client, map[string][]int32) { onRebalance() }
		opts = append(opts, kgo.OnPartitionsAssigned(hook), kgo.OnPartitionsRevoked(hook), kgo.OnPartitionsLost(hook))
	}
	cl, err := kgo.NewClient(append(opts,
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topics...),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	)...)
	if err != nil {
		return fmt.Errorf("%s consumer: %w", group, err)
	}
	// With BlockRebalanceOnPoll, Close (which leaves the group) waits for
	// AllowRebalance: allow it first or shutdown hangs.
	defer func() {
		cl.AllowRebalance()
		cl.Close()
	}()
	for {
		fetches := cl.PollRecords(ctx, 1000)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(t string, p int32, err error) {
			log.Warn("fetch error", "group", group, "topic", t, "partition", p, "err", err)
		})
		backoff := 100 * time.Millisecond
		for fetches.NumRecords() > 0 {
			err := handle(ctx, fetches)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				cl.AllowRebalance()
				return nil
			}
			log.Error("batch failed; retrying it before committing", "group", group, "records", fetches.NumRecords(), "err", err, "backoff", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				cl.AllowRebalance()
				return nil
			}
			backoff = min(backoff*2, 10*time.Second)
		}
		if err := cl.CommitUncommittedOffsets(ctx); err != nil && ctx.Err() == nil {
			log.Warn("offset commit failed; the batch may be delivered again", "group", group, "err", err)
		}
		cl.AllowRebalance()
	}
}
