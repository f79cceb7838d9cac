// Package jobs materialises the topic synco.jobs for the query service: the state of
// every backfill, reconciliation and replay, the latest per job, so the API can show a
// shop's backfill progress.
package jobs

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/synco-dev/synco/query/catalog"
	"github.com/synco-dev/synco/schemas"
)

// Store is safe for concurrent use.
type Store struct {
	dec   catalog.Decoder
	log   *slog.Logger
	ready atomic.Bool

	mu    sync.RWMutex
	byKey map[string]schemas.Job
}

// New makes an empty store; Apply fills it.
func New(dec catalog.Decoder, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{dec: dec, log: log, byKey: map[string]schemas.Job{}}
}

// Follow starts feed into a new store in the background; Ready is false until the
// topic was read to its end.
func Follow(ctx context.Context, feed catalog.Feed, dec catalog.Decoder, log *slog.Logger) *Store {
	s := New(dec, log)
	go func() {
		if err := feed.Start(ctx, s.Apply); err != nil {
			if ctx.Err() == nil {
				s.log.Error("jobs topic not read; backfill progress cannot be shown", "err", err)
			}
			return
		}
		s.ready.Store(true)
	}()
	return s
}

// Apply takes one record of the topic.
func (s *Store) Apply(key, value []byte) {
	k := string(key)
	if value == nil {
		s.mu.Lock()
		delete(s.byKey, k)
		s.mu.Unlock()
		return
	}
	var j schemas.Job
	if err := s.dec.Decode(context.Background(), schemas.TopicJobs, value, &j); err != nil {
		s.log.Error("unreadable job record skipped", "key", k, "err", err)
		return
	}
	s.mu.Lock()
	s.byKey[k] = j
	s.mu.Unlock()
}

// Ready reports whether the topic was read to its end.
func (s *Store) Ready() bool { return s.ready.Load() }

// Latest is the shop's most recently updated job of kind.
func (s *Store) Latest(shop, kind string) (schemas.Job, bool) {
	shop = strings.ToLower(shop)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var best schemas.Job
	found := false
	for _, j := range s.byKey {
		if strings.ToLower(j.Shop) != shop || j.Kind != kind {
			continue
		}
		if !found || j.UpdatedAt.After(best.UpdatedAt) {
			best, found = j, true
		}
	}
	return best, found
}

// FollowKafka is Follow on synco.jobs (one line of wiring).
func FollowKafka(ctx context.Context, feed catalog.KafkaFeed, dec catalog.Decoder, log *slog.Logger) *Store {
	feed.Topic = schemas.TopicJobs
	return Follow(ctx, feed, dec, log)
}
