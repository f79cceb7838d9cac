// Package catalog materialises the topic synco.odoo.catalog for the query service:
// the journals, income accounts and customers that sink/catalog read from each shop's
// Odoo, kept in memory, the latest per shop. The settings screen picks from them.
package catalog

import (
	"context"
	"log/slog"
	"strings"

	"github.com/synco-dev/synco/query/internal/topictable"
	"github.com/synco-dev/synco/schemas"
)

// Feed delivers a compacted topic's records: Start calls apply with every record up
// to the topic's end (as of the call) before it returns, then keeps calling it with
// later records in the background until ctx ends. A nil value is a tombstone.
//
// KafkaFeed is the one on Kafka (platform/consume's Table); tests may feed a Store
// through Apply directly.
type Feed = topictable.Feed

// Decoder reads a topic's Avro value (platform/serde.Serde).
type Decoder = topictable.Decoder

// Store is safe for concurrent use.
type Store struct {
	t *topictable.Table[schemas.OdooCatalog]
}

// New makes an empty store; Apply fills it (Follow wires it to a Feed).
func New(dec Decoder, log *slog.Logger) *Store {
	return &Store{topictable.New(topictable.Spec[schemas.OdooCatalog]{
		Topic: schemas.TopicOdooCatalog,
		Key: func(key string, c *schemas.OdooCatalog) string {
			if c != nil && c.Shop != "" {
				return strings.ToLower(c.Shop)
			}
			return strings.ToLower(key)
		},
		// An older record read after a newer one (never on one partition; cheap to guard).
		Stale:      func(old, c schemas.OdooCatalog) bool { return old.RefreshedAt.After(c.RefreshedAt) },
		NotRead:    "odoo catalog topic not read; the settings screen cannot offer Odoo's journals, accounts and customers",
		Unreadable: "unreadable odoo catalog record; the shop keeps its previous one",
	}, dec, log)}
}

// Follow starts feed into a new store in the background and returns at once: Ready
// is false until the feed has delivered the topic up to its end. A feed that fails to
// start is logged and the store stays not ready (the API answers 503 meanwhile).
func Follow(ctx context.Context, feed Feed, dec Decoder, log *slog.Logger) *Store {
	s := New(dec, log)
	s.t.Follow(ctx, feed)
	return s
}

// Apply takes one record of the topic (key: the shop).
func (s *Store) Apply(key, value []byte) { s.t.Apply(key, value) }

// MarkReady says the store holds everything (for a store filled by hand, in tests).
func (s *Store) MarkReady() { s.t.MarkReady() }

// Ready reports whether the topic has been read to its end.
func (s *Store) Ready() bool { return s.t.Ready() }

// Get returns shop's latest catalog.
func (s *Store) Get(shop string) (schemas.OdooCatalog, bool) { return s.t.Get(strings.ToLower(shop)) }
