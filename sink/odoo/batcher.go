package odoo

import (
	"context"
	"sync"
	"time"

	"github.com/synco-dev/synco/schemas"
)

// pending is one command waiting in its shop's batcher.
type pending struct {
	ctx  context.Context
	cmd  *schemas.OrderSync
	res  Result
	err  error
	done chan struct{}
}

// batcher gathers one shop's commands into batches of at most size, waiting at most
// wait after the first: a batch shares one look-up of what Odoo already holds for its
// orders (one search of external ids for all of them, Syncer.Prefetch) and one slot of
// the shop's concurrency. Commands of different orders only: one order's commands
// reach the sink one after another (the runner's lanes are per order).
type batcher struct {
	size int
	wait time.Duration
	run  func(batch []*pending)

	mu    sync.Mutex
	queue []*pending
	timer *time.Timer
}

func (b *batcher) submit(p *pending) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queue = append(b.queue, p)
	switch {
	case len(b.queue) >= b.size:
		b.flushLocked()
	case b.timer == nil:
		b.timer = time.AfterFunc(b.wait, func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.flushLocked()
		})
	}
}

func (b *batcher) flushLocked() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if len(b.queue) == 0 {
		return
	}
	batch := b.queue
	b.queue = nil
	go b.run(batch)
}

// batchContext ends when every command of the batch was given up by its caller (a
// shutdown): until then the batch goes on for those still waiting.
func batchContext(batch []*pending) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(batch[0].ctx))
	var mu sync.Mutex
	left := len(batch)
	for _, p := range batch {
		context.AfterFunc(p.ctx, func() {
			mu.Lock()
			defer mu.Unlock()
			if left--; left == 0 {
				cancel()
			}
		})
	}
	return ctx, cancel
}
