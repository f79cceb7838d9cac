// Package leader runs a job in one process only among those that share a group: the
// member that Kafka's group coordinator assigns partition 0 of a topic leads. Ingest
// runs the webhook subscription keeper and the periodic reconciliation this way, so N
// ingest processes make the Admin API calls of one. Kafka's group protocol does the
// election (no other store, no clocks): a leader that stops cleanly leaves the group
// and another member takes over at once; one that dies is replaced once its session
// times out. During a rebalance two members may lead for a moment (the old one is
// revoked while the new one is assigned): the jobs run under it are idempotent, so
// that costs at most a repeated call.
package leader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Elector joins Group on Topic and runs a job while it holds partition 0.
type Elector struct {
	Group string
	Topic string // any topic that exists; its records are never fetched
	Log   *slog.Logger
	// Retry bounds the pause before a job that returned is started again (default 1
	// min; the first pause is a twentieth of it).
	Retry time.Duration
}

// Run runs job with a context that ends when this process stops leading (or ctx
// ends), and again each time it leads anew, until ctx ends. A job that returns while
// this process still leads (an error is logged) is started again after a pause that
// grows to Retry's bound; Run returns nil when ctx ends, or the client's error.
func (e *Elector) Run(ctx context.Context, opts []kgo.Opt, job func(ctx context.Context) error) error {
	log := e.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	retry := e.Retry
	if retry <= 0 {
		retry = time.Minute
	}
	t := &turns{ctx: ctx, job: job, retry: retry, log: log.With("group", e.Group)}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, opts...),
		kgo.ConsumerGroup(e.Group),
		kgo.ConsumeTopics(e.Topic),
		kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { t.assigned(ps[e.Topic]) }),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { t.revoked(ps[e.Topic]) }),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { t.revoked(ps[e.Topic]) }),
	)...)
	if err != nil {
		return fmt.Errorf("leader election %s: %w", e.Group, err)
	}
	// Close leaves the group (the revoke callback ends the turn first), so another
	// member leads at once.
	defer cl.Close()
	defer t.stop()
	// Membership is all that is needed: the callbacks run from the group's own
	// goroutine; nothing is fetched.
	cl.PauseFetchTopics(e.Topic)
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return nil
		}
		for _, fe := range fs.Errors() {
			if errors.Is(fe.Err, context.Canceled) {
				return nil
			}
			log.Warn("leader election: fetch", "group", e.Group, "topic", fe.Topic, "partition", fe.Partition, "err", fe.Err)
		}
	}
}

// turns starts and ends the job as partition 0 comes and goes.
type turns struct {
	ctx   context.Context
	job   func(context.Context) error
	retry time.Duration
	log   *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc // the running turn's; nil when not leading
	done   chan struct{}
}

func (t *turns) assigned(ps []int32) {
	if !slices.Contains(ps, 0) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(t.ctx)
	done := make(chan struct{})
	t.cancel, t.done = cancel, done
	t.log.Info("leading: starting the job")
	go func() {
		defer close(done)
		pause := t.retry / 20
		for {
			err := t.job(ctx)
			if ctx.Err() != nil {
				return
			}
			t.log.Error("the job returned while this process leads; it starts again", "err", err, "in", pause)
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			pause = min(2*pause, t.retry)
		}
	}()
}

func (t *turns) revoked(ps []int32) {
	if slices.Contains(ps, 0) {
		t.stop()
	}
}

// stop ends the running turn and waits for the job to return, so that it never runs
// on after this process has handed the lead over.
func (t *turns) stop() {
	t.mu.Lock()
	cancel, done := t.cancel, t.done
	t.cancel, t.done = nil, nil
	t.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
	t.log.Info("no longer leading: job stopped")
}
