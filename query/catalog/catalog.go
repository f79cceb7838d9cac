// Package catalog materialises the topic synco.odoo.catalog for the query service:
// the journals, income accounts and customers that sink/catalog read from each shop's
// Odoo, kept in memory, the latest per shop. The settings screen picks from them.
package catalog

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/synco-dev/synco/schemas"
)

// Feed delivers a compacted topic's records: Start calls apply with every record up
// to the topic's end (as of the call) before it returns, then keeps calling it with
// later records in the background until ctx ends. A nil value is a tombstone.
//
// KafkaFeed is the one on Kafka (platform/consume's Table); tests may feed a Store
// through Apply directly.
type Feed interface {
	Start(ctx context.Context, apply func(key, value []byte)) error
}

// Decoder reads a topic's Avro value (platform/serde.Serde).
type Decoder interface {
	Decode(ctx context.Context, topic string, b []byte, v any) error
}

// Store is safe for concurrent use.
type Store struct {
	dec   Decoder
	log   *slog.Logger
	ready atomic.Bool

	mu     sync.RWMutex
	byShop map[string]schemas.OdooCatalog
}

// New makes an empty store; Apply fills it (Follow wires it to a Feed).
func New(dec Decoder, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{dec: dec, log: log, byShop: map[string]schemas.OdooCatalog{}}
}

// Follow starts feed into a new store in the background and returns at once: Ready
// is false until the feed has delivered the topic up to its end. A feed that fails to
// start is logged and the store stays not ready (the API answers 503 meanwhile).
func Follow(ctx context.Context, feed Feed, dec Decoder, log *slog.Logger) *Store {
	s := New(dec, log)
	go func() {
		if err := feed.Start(ctx, s.Apply); err != nil {
			if ctx.Err() == nil {
				s.log.Error("odoo catalog topic not read; the settings screen cannot offer Odoo's journals, accounts and customers", "err", err)
			}
			return
		}
		s.ready.Store(true)
	}()
	return s
}

// Apply takes one record of the topic (key: the shop).
func (s *Store) Apply(key, value []byte) {
	shop := strings.ToLower(string(key))
	if value == nil {
		s.mu.Lock()
		delete(s.byShop, shop)
		s.mu.Unlock()
		return
	}
	var c schemas.OdooCatalog
	if err := s.dec.Decode(context.Background(), schemas.TopicOdooCatalog, value, &c); err != nil {
		s.log.Error("unreadable odoo catalog record; the shop keeps its previous one", "key", shop, "err", err)
		return
	}
	if c.Shop != "" {
		shop = strings.ToLower(c.Shop)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.byShop[shop]; ok && old.RefreshedAt.After(c.RefreshedAt) {
		return // an older record read after a newer one (never on one partition; cheap to guard)
	}
	s.byShop[shop] = c
}

// MarkReady says the store holds everything (for a store filled by hand, in tests).
func (s *Store) MarkReady() { s.ready.Store(true) }

// Ready reports whether the topic has been read to its end.
func (s *Store) Ready() bool { return s.ready.Load() }

// Get returns shop's latest catalog.
func (s *Store) Get(shop string) (schemas.OdooCatalog, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.byShop[strings.ToLower(shop)]
	return c, ok
}
