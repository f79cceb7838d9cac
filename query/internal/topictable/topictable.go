// Package topictable keeps a compacted topic in memory for the query service: the
// latest decoded value per key, and whether the topic was read to its end.
// query/catalog (synco.odoo.catalog) and query/jobs (synco.jobs) are two of them.
package topictable

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
)

// Feed delivers a compacted topic's records (query/catalog.Feed, an alias, says how).
type Feed interface {
	Start(ctx context.Context, apply func(key, value []byte)) error
}

// Decoder reads a topic's Avro value (query/catalog.Decoder is this).
type Decoder interface {
	Decode(ctx context.Context, topic string, b []byte, v any) error
}

// Spec is what differs between two tables.
type Spec[V any] struct {
	Topic string
	// Key is the key a record is kept under, from the record's key and its decoded
	// value (nil for a tombstone, and for the log of an unreadable one). Nil: the
	// record's key as it is.
	Key func(key string, v *V) string
	// Stale reports a value read after a newer one, which must not replace old. Nil:
	// the last record read wins.
	Stale func(old, v V) bool
	// NotRead and Unreadable are logged when the feed fails and when a value does
	// not decode: what the user misses meanwhile.
	NotRead, Unreadable string
}

// Table is safe for concurrent use.
type Table[V any] struct {
	spec  Spec[V]
	dec   Decoder
	log   *slog.Logger
	ready atomic.Bool

	mu    sync.RWMutex
	byKey map[string]V
}

// New makes an empty table; Apply fills it (Follow wires it to a Feed).
func New[V any](spec Spec[V], dec Decoder, log *slog.Logger) *Table[V] {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if spec.Key == nil {
		spec.Key = func(key string, _ *V) string { return key }
	}
	return &Table[V]{spec: spec, dec: dec, log: log, byKey: map[string]V{}}
}

// Follow starts feed into t in the background and returns at once: Ready is false
// until the feed has delivered the topic up to its end. A feed that fails to start
// is logged and t stays not ready.
func (t *Table[V]) Follow(ctx context.Context, feed Feed) {
	go func() {
		if err := feed.Start(ctx, t.Apply); err != nil {
			if ctx.Err() == nil {
				t.log.Error(t.spec.NotRead, "err", err)
			}
			return
		}
		t.ready.Store(true)
	}()
}

// Apply takes one record of the topic.
func (t *Table[V]) Apply(key, value []byte) {
	k := t.spec.Key(string(key), nil)
	if value == nil {
		t.mu.Lock()
		delete(t.byKey, k)
		t.mu.Unlock()
		return
	}
	var v V
	if err := t.dec.Decode(context.Background(), t.spec.Topic, value, &v); err != nil {
		t.log.Error(t.spec.Unreadable, "key", k, "err", err)
		return
	}
	k = t.spec.Key(string(key), &v)
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.byKey[k]; ok && t.spec.Stale != nil && t.spec.Stale(old, v) {
		return
	}
	t.byKey[k] = v
}

// MarkReady says t holds everything (for a table filled by hand, in tests).
func (t *Table[V]) MarkReady() { t.ready.Store(true) }

// Ready reports whether the topic has been read to its end.
func (t *Table[V]) Ready() bool { return t.ready.Load() }

// Get returns the value kept under key.
func (t *Table[V]) Get(key string) (V, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	v, ok := t.byKey[key]
	return v, ok
}

// Each calls f with every value kept, in no order, holding the table still.
func (t *Table[V]) Each(f func(V)) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, v := range t.byKey {
		f(v)
	}
}
