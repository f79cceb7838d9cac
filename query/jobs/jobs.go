// Package jobs materialises the topic synco.jobs for the query service: the state of
// every backfill, reconciliation and replay, the latest per job, so the API can show a
// shop's backfill progress.
package jobs

import (
	"context"
	"log/slog"
	"strings"

	"github.com/synco-dev/synco/query/catalog"
	"github.com/synco-dev/synco/query/internal/topictable"
	"github.com/synco-dev/synco/schemas"
)

// Store is safe for concurrent use.
type Store struct {
	t *topictable.Table[schemas.Job]
}

// New makes an empty store; Apply fills it.
func New(dec catalog.Decoder, log *slog.Logger) *Store {
	return &Store{topictable.New(topictable.Spec[schemas.Job]{
		Topic:      schemas.TopicJobs,
		NotRead:    "jobs topic not read; backfill progress cannot be shown",
		Unreadable: "unreadable job record skipped",
	}, dec, log)}
}

// Follow starts feed into a new store in the background; Ready is false until the
// topic was read to its end.
func Follow(ctx context.Context, feed catalog.Feed, dec catalog.Decoder, log *slog.Logger) *Store {
	s := New(dec, log)
	s.t.Follow(ctx, feed)
	return s
}

// Apply takes one record of the topic.
func (s *Store) Apply(key, value []byte) { s.t.Apply(key, value) }

// Ready reports whether the topic was read to its end.
func (s *Store) Ready() bool { return s.t.Ready() }

// Latest is the shop's most recently updated job of kind.
func (s *Store) Latest(shop, kind string) (schemas.Job, bool) {
	shop = strings.ToLower(shop)
	var best schemas.Job
	found := false
	s.t.Each(func(j schemas.Job) {
		if strings.ToLower(j.Shop) == shop && j.Kind == kind && (!found || j.UpdatedAt.After(best.UpdatedAt)) {
			best, found = j, true
		}
	})
	return best, found
}

// FollowKafka is Follow on synco.jobs (one line of wiring).
func FollowKafka(ctx context.Context, feed catalog.KafkaFeed, dec catalog.Decoder, log *slog.Logger) *Store {
	feed.Topic = schemas.TopicJobs
	return Follow(ctx, feed, dec, log)
}
