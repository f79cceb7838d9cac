package consume

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Lanes handles records asynchronously, in lanes: records whose Key is the same (one
// shop, say) are handled one after another in offset order, records of different
// lanes at the same time, so one slow lane never holds back another, even on the same
// partition. A partition's offset is committed only up to its first record not yet
// finished; a partition with MaxInFlight records unfinished is paused until half of
// them are done.
type Lanes struct {
	// Key names a record's lane; records of one order must share it.
	Key func(r *kgo.Record) string
	// Handle handles one record. An error means its results are not durable: it is
	// handled again after a backoff and stays unfinished meanwhile.
	Handle func(ctx context.Context, r *kgo.Record) error
	// MaxInFlight bounds the unfinished records per partition (default 1000).
	MaxInFlight int
	// CommitEvery is how often finished offsets are committed (default 500 ms).
	CommitEvery time.Duration
}

type laneKey struct {
	tp  tp
	key string
}

// partState tracks one partition's records between poll and commit.
type partState struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	pending   []*pendingRec // in offset order
	committed int64         // next offset committed or to commit (-1: nothing yet)
	dirty     bool          // commit point moved since the last commit
	epoch     int32
	paused    bool
}

type pendingRec struct {
	offset int64
	epoch  int32
	done   bool
}

type lane struct {
	queue   []*kgo.Record
	running bool
}

type laneRun struct {
	c     *Consumer
	l     Lanes
	hctx  context.Context
	mu    sync.Mutex
	parts map[tp]*partState
	lanes map[laneKey]*lane
}

// RunLanes polls and hands records to their lanes until ctx ends; then the lanes get
// the drain time to finish, what finished is committed, and the group is left.
func (c *Consumer) RunLanes(ctx context.Context, l Lanes) error {
	if l.MaxInFlight <= 0 {
		l.MaxInFlight = 1000
	}
	if l.CommitEvery <= 0 {
		l.CommitEvery = 500 * time.Millisecond
	}
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	r := &laneRun{c: c, l: l, hctx: hctx, parts: map[tp]*partState{}, lanes: map[laneKey]*lane{}}
	c.mu.Lock()
	c.lanes = r
	c.mu.Unlock()
	defer func() {
		c.cl.Close()
	}()
	ticker := time.NewTicker(l.CommitEvery)
	defer ticker.Stop()
	go func() {
		for {
			select {
			case <-ticker.C:
				r.commit(hctx, nil)
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		fs := c.cl.PollRecords(ctx, c.cfg.MaxRecords)
		if ctx.Err() != nil || fs.IsClientClosed() {
			break
		}
		fs.EachError(func(t string, p int32, err error) {
			c.cfg.Log.Warn("fetch error", "group", c.cfg.Group, "topic", t, "partition", p, "err", err)
		})
		c.observeLag(fs)
		fs.EachPartition(func(p kgo.FetchTopicPartition) { r.dispatch(p) })
	}
	// Stopping: the lanes get the drain time, then their context ends.
	done := make(chan struct{})
	go func() { r.waitAll(); close(done) }()
	select {
	case <-done:
	case <-time.After(c.cfg.Drain):
		cancel()
		<-done
	}
	r.commit(context.Background(), nil)
	return nil
}

func (r *laneRun) state(k tp) *partState {
	ps := r.parts[k]
	if ps == nil {
		ctx, cancel := context.WithCancel(r.hctx)
		ps = &partState{ctx: ctx, cancel: cancel, committed: -1}
		r.parts[k] = ps
	}
	return ps
}

func (r *laneRun) dispatch(p kgo.FetchTopicPartition) {
	if len(p.Records) == 0 {
		return
	}
	k := tp{p.Topic, p.Partition}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.c.owns(k) {
		return // revoked while this fetch was on its way
	}
	ps := r.state(k)
	for _, rec := range p.Records {
		pr := &pendingRec{offset: rec.Offset, epoch: rec.LeaderEpoch}
		ps.pending = append(ps.pending, pr)
		lk := laneKey{k, r.l.Key(rec)}
		ln := r.lanes[lk]
		if ln == nil {
			ln = &lane{}
			r.lanes[lk] = ln
		}
		ln.queue = append(ln.queue, rec)
		if !ln.running {
			ln.running = true
			ps.wg.Add(1)
			go r.runLane(lk, ln, ps)
		}
	}
	if len(ps.pending) >= r.l.MaxInFlight && !ps.paused {
		ps.paused = true
		r.c.cl.PauseFetchPartitions(map[string][]int32{k.topic: {k.part}})
	}
}

func (r *laneRun) runLane(lk laneKey, ln *lane, ps *partState) {
	defer ps.wg.Done()
	for {
		r.mu.Lock()
		if len(ln.queue) == 0 || ps.ctx.Err() != nil {
			ln.running = false
			if len(ln.queue) == 0 {
				delete(r.lanes, lk)
			}
			r.mu.Unlock()
			return
		}
		rec := ln.queue[0]
		ln.queue = ln.queue[1:]
		r.mu.Unlock()
		backoff := 100 * time.Millisecond
		for {
			err := r.l.Handle(ps.ctx, rec)
			if err == nil {
				break
			}
			if ps.ctx.Err() != nil {
				return // abandoned: not marked, so not committed
			}
			r.c.cfg.Log.Error("record failed; handling it again before committing", "group", r.c.cfg.Group, "topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "err", err, "backoff", backoff)
			select {
			case <-time.After(backoff):
			case <-ps.ctx.Done():
				return
			}
			backoff = min(backoff*2, 10*time.Second)
		}
		r.finish(lk.tp, ps, rec.Offset)
	}
}

// finish marks a record done and moves the partition's commit point over every
// finished record at its head.
func (r *laneRun) finish(k tp, ps *partState, offset int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, pr := range ps.pending {
		if pr.offset == offset {
			pr.done = true
			break
		}
	}
	for len(ps.pending) > 0 && ps.pending[0].done {
		ps.committed, ps.epoch, ps.dirty = ps.pending[0].offset+1, ps.pending[0].epoch, true
		ps.pending = ps.pending[1:]
	}
	if ps.paused && len(ps.pending) < r.l.MaxInFlight/2 && r.c.owns(k) {
		ps.paused = false
		r.c.cl.ResumeFetchPartitions(map[string][]int32{k.topic: {k.part}})
	}
}

// commit commits the moved commit points (of only the given partitions, when named).
func (r *laneRun) commit(ctx context.Context, only map[tp]bool) {
	offsets := map[string]map[int32]kgo.EpochOffset{}
	r.mu.Lock()
	for k, ps := range r.parts {
		if !ps.dirty || only != nil && !only[k] {
			continue
		}
		if offsets[k.topic] == nil {
			offsets[k.topic] = map[int32]kgo.EpochOffset{}
		}
		offsets[k.topic][k.part] = kgo.EpochOffset{Epoch: ps.epoch, Offset: ps.committed}
		ps.dirty = false
	}
	r.mu.Unlock()
	if len(offsets) == 0 {
		return
	}
	var failed error
	r.c.cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsgReq, resp *kmsgResp, err error) {
		failed = errors.Join(err, commitErrors(resp))
	})
	if failed != nil && ctx.Err() == nil {
		r.c.cfg.Log.Warn("offset commit failed; records may be delivered again", "group", r.c.cfg.Group, "err", failed)
		r.mu.Lock()
		for t, ps := range offsets {
			for p := range ps {
				if st := r.parts[tp{t, p}]; st != nil {
					st.dirty = true
				}
			}
		}
		r.mu.Unlock()
	}
}

// revoke stops the lanes of partitions leaving this member, waits for them, and
// commits what they finished, so the next owner starts right after.
func (r *laneRun) revoke(parts map[string][]int32) {
	only := map[tp]bool{}
	var states []*partState
	r.mu.Lock()
	for t, ps := range parts {
		for _, p := range ps {
			k := tp{t, p}
			if st := r.parts[k]; st != nil {
				only[k] = true
				states = append(states, st)
			}
		}
	}
	r.mu.Unlock()
	for _, st := range states {
		// What runs gets the drain time; what is left is abandoned (not committed,
		// so the next owner handles it).
		done := make(chan struct{})
		go func() { st.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(r.c.cfg.Drain):
			st.cancel()
			<-done
		}
	}
	r.commit(context.Background(), only)
	r.mu.Lock()
	for k := range only {
		r.parts[k].cancel()
		delete(r.parts, k)
		for lk := range r.lanes {
			if lk.tp == k {
				delete(r.lanes, lk)
			}
		}
	}
	r.mu.Unlock()
}

func (r *laneRun) waitAll() {
	r.mu.Lock()
	states := make([]*partState, 0, len(r.parts))
	for _, ps := range r.parts {
		states = append(states, ps)
	}
	r.mu.Unlock()
	for _, ps := range states {
		ps.wg.Wait()
	}
}

// Unfinished counts the records polled but not finished, per partition (tests,
// metrics).
func (c *Consumer) Unfinished() map[string]map[int32]int {
	c.mu.Lock()
	r := c.lanes
	c.mu.Unlock()
	out := map[string]map[int32]int{}
	if r == nil {
		return out
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, ps := range r.parts {
		if out[k.topic] == nil {
			out[k.topic] = map[int32]int{}
		}
		out[k.topic][k.part] = len(ps.pending)
	}
	return out
}
