package admin

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limiters hold one cost bucket per shop. Every client of a shop in the process must
// share one (Config.Limiters; nil means the process-wide Shared), so that a backfill,
// a manual sync and the write-back together stay under the shop's bucket.
type Limiters struct {
	mu      sync.Mutex
	buckets map[string]*Bucket
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
}

// Shared is the process-wide set of per-shop buckets used when Config.Limiters is nil.
var Shared = NewLimiters()

// NewLimiters returns an empty set of buckets.
func NewLimiters() *Limiters {
	return &Limiters{buckets: map[string]*Bucket{}, now: time.Now, sleep: sleepCtx}
}

// For returns the shop's bucket, made on first use.
func (l *Limiters) For(shop string) *Bucket {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[shop]
	if !ok {
		b = newBucket(l.now, l.sleep)
		l.buckets[shop] = b
	}
	return b
}

// Bucket mirrors Shopify's leaky bucket of query cost points for one shop. Until a
// response says otherwise it assumes the smallest plan (Standard: 2,000 points, 100 a
// second back); every response's extensions.cost.throttleStatus corrects it. A call
// waits until the points it is expected to cost are available and holds them while in
// flight, so concurrent callers do not together exceed the bucket.
type Bucket struct {
	// turn makes callers wait in line, so a large call is not starved by small ones.
	turn sync.Mutex

	mu        sync.Mutex
	max       float64
	available float64
	restore   float64 // points per second
	at        time.Time
	inFlight  float64
	opCost    map[string]float64 // last requestedQueryCost per operation
	// probing holds, per operation whose cost is not known yet, a channel closed when
	// the one call sent to learn it comes back: until then its siblings wait, so a
	// burst of a new operation does not go out on a guess.
	probing map[string]chan struct{}
	// changed is closed (and replaced) whenever a response corrects the numbers, so a
	// caller waiting on an estimate looks again at once.
	changed chan struct{}

	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	waited time.Duration // total time spent waiting, for metrics and tests
}

// Defaults until Shopify tells the real numbers.
const (
	defaultBucketMax     = 2000
	defaultRestoreRate   = 100
	defaultEstimatedCost = 100 // an operation not seen yet
)

func newBucket(now func() time.Time, sleep func(context.Context, time.Duration) error) *Bucket {
	return &Bucket{max: defaultBucketMax, available: defaultBucketMax, restore: defaultRestoreRate, at: now(),
		opCost: map[string]float64{}, probing: map[string]chan struct{}{}, changed: make(chan struct{}), now: now, sleep: sleep}
}

// ThrottleStatus is extensions.cost.throttleStatus of a response.
type ThrottleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// Cost is extensions.cost of a response.
type Cost struct {
	RequestedQueryCost float64        `json:"requestedQueryCost"`
	ActualQueryCost    *float64       `json:"actualQueryCost"`
	ThrottleStatus     ThrottleStatus `json:"throttleStatus"`
}

// refill brings available up to now. Caller holds mu.
func (b *Bucket) refill() {
	t := b.now()
	if d := t.Sub(b.at).Seconds(); d > 0 {
		b.available = math.Min(b.max, b.available+d*b.restore)
	}
	b.at = t
}

// estimate is what op is expected to cost. Caller holds mu.
func (b *Bucket) estimate(op string) float64 {
	if c, ok := b.opCost[op]; ok {
		return c
	}
	return math.Min(defaultEstimatedCost, b.max)
}

// acquire waits until op's expected cost is available and reserves it. It returns the
// reservation to hand back to release.
func (b *Bucket) acquire(ctx context.Context, op string) (float64, error) {
	for {
		b.mu.Lock()
		_, known := b.opCost[op]
		ch, busy := b.probing[op]
		if !known && !busy {
			b.probing[op] = make(chan struct{}) // this call learns the cost
		}
		b.mu.Unlock()
		if known || !busy {
			break
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	b.turn.Lock()
	defer b.turn.Unlock()
	for {
		b.mu.Lock()
		b.refill()
		need := math.Min(b.estimate(op), b.max)
		if b.available >= need {
			b.available -= need
			b.inFlight += need
			b.mu.Unlock()
			return need, nil
		}
		wait := time.Duration((need - b.available) / b.restore * float64(time.Second))
		changed := b.changed
		b.mu.Unlock()
		if err := b.waitOrChange(ctx, wait, changed); err != nil {
			return 0, err
		}
	}
}

// waitOrChange waits d, or less if a response changes what the bucket knows.
func (b *Bucket) waitOrChange(ctx context.Context, d time.Duration, changed chan struct{}) error {
	d += 20 * time.Millisecond
	start := b.now()
	t := time.NewTimer(d)
	defer t.Stop()
	var err error
	select {
	case <-t.C:
	case <-changed:
	case <-ctx.Done():
		err = ctx.Err()
	}
	b.mu.Lock()
	b.waited += b.now().Sub(start)
	b.mu.Unlock()
	return err
}

// waitFor waits until need points are available without reserving them (after
// THROTTLED: Shopify charged nothing, the retry reserves again).
func (b *Bucket) waitFor(ctx context.Context, need float64) error {
	b.mu.Lock()
	b.refill()
	need = math.Min(need, b.max)
	var wait time.Duration
	if b.available < need {
		wait = time.Duration((need - b.available) / b.restore * float64(time.Second))
	}
	b.mu.Unlock()
	return b.wait(ctx, wait)
}

func (b *Bucket) wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	// A small margin: Shopify's clock and ours do not tick together.
	d += 20 * time.Millisecond
	b.mu.Lock()
	b.waited += d
	b.mu.Unlock()
	return b.sleep(ctx, d)
}

// release hands back a reservation and takes in what Shopify said (nil when the
// response carried no cost, e.g. a network error: the reservation is simply returned).
func (b *Bucket) release(op string, reserved float64, cost *Cost) {
	b.mu.Lock()
	defer b.mu.Unlock()
	defer func() {
		// Whatever the answer, the probe is over: its siblings go (with the cost if it
		// was learned, else one of them probes again).
		if ch, ok := b.probing[op]; ok {
			close(ch)
			delete(b.probing, op)
		}
	}()
	close(b.changed)
	b.changed = make(chan struct{})
	b.inFlight = math.Max(0, b.inFlight-reserved)
	b.refill()
	if cost == nil {
		b.available = math.Min(b.max, b.available+reserved)
		return
	}
	if cost.RequestedQueryCost > 0 {
		b.opCost[op] = cost.RequestedQueryCost
	}
	ts := cost.ThrottleStatus
	if ts.MaximumAvailable > 0 {
		b.max = ts.MaximumAvailable
	}
	if ts.RestoreRate > 0 {
		b.restore = ts.RestoreRate
	}
	// Shopify's count is the truth for what it has processed; what is still in flight
	// here has not reached it yet.
	b.available = math.Max(0, math.Min(b.max, ts.CurrentlyAvailable-b.inFlight))
}

// Status is what the bucket believes now.
func (b *Bucket) Status() (available, maximum, restoreRate float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	return b.available, b.max, b.restore
}

// Waited is the total time callers of this bucket spent waiting for points.
func (b *Bucket) Waited() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waited
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
