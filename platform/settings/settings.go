// Package settings materialises the compacted synco.settings topic: every stage keeps
// the latest settings of every shop in memory and follows changes as they come.
package settings

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/consume"
	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/schemas"
)

// Store is safe for concurrent use.
type Store struct {
	table *consume.Table
	serde *serde.Serde
	log   *slog.Logger

	mu   sync.RWMutex
	byID map[string]schemas.ShopSettings
	subs []func(schemas.ShopSettings)
}

// Open reads the topic to its end before returning, so Get answers from a complete
// view; then it follows the topic in the background. Shops in initial that have no
// stored settings get them published (the config file's settings are used only while
// a shop has none stored).
func Open(ctx context.Context, opts []kgo.Opt, sd *serde.Serde, log *slog.Logger, initial []schemas.ShopSettings) (*Store, error) {
	s := &Store{serde: sd, log: log, byID: map[string]schemas.ShopSettings{}}
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	t, err := consume.OpenTable(rctx, opts, schemas.TopicSettings, s.apply)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", schemas.TopicSettings, err)
	}
	s.table = t
	for _, st := range initial {
		if _, ok := s.Get(st.Shop); ok {
			continue
		}
		if err := s.Put(ctx, st); err != nil {
			s.Close()
			return nil, fmt.Errorf("publish initial settings of %s: %w", st.Shop, err)
		}
	}
	return s, nil
}

func (s *Store) apply(r *kgo.Record) {
	var st schemas.ShopSettings
	if err := s.serde.Decode(context.Background(), schemas.TopicSettings, r.Value, &st); err != nil {
		s.log.Error("unreadable settings record kept as is; shop keeps its previous settings", "key", string(r.Key), "offset", r.Offset, "err", err)
		return
	}
	s.mu.Lock()
	if old, ok := s.byID[st.Shop]; ok && old.Revision > st.Revision {
		s.mu.Unlock()
		return
	}
	s.byID[st.Shop] = st
	subs := append([]func(schemas.ShopSettings){}, s.subs...)
	s.mu.Unlock()
	for _, f := range subs {
		f(st)
	}
}

// Get returns the stored settings of shop.
func (s *Store) Get(shop string) (schemas.ShopSettings, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.byID[strings.ToLower(shop)]
	return st, ok
}

// Effective is Get falling back to the defaults.
func (s *Store) Effective(shop string) schemas.ShopSettings {
	if st, ok := s.Get(shop); ok {
		return st
	}
	return schemas.DefaultSettings(shop)
}

// Subscribe calls f with every settings change seen after it (e.g. ingest
// registering webhooks when auto_sync flips).
func (s *Store) Subscribe(f func(schemas.ShopSettings)) {
	s.mu.Lock()
	s.subs = append(s.subs, f)
	s.mu.Unlock()
}

// Put publishes new settings for st.Shop and waits for Kafka's acknowledgement.
func (s *Store) Put(ctx context.Context, st schemas.ShopSettings) error {
	st.Shop = strings.ToLower(st.Shop)
	if old, ok := s.Get(st.Shop); ok && st.Revision <= old.Revision {
		st.Revision = old.Revision + 1
	}
	if st.Revision == 0 {
		st.Revision = 1
	}
	st.UpdatedAt = time.Now().UTC().Truncate(time.Millisecond)
	v, err := s.serde.Encode(schemas.TopicSettings, st)
	if err != nil {
		return err
	}
	if err := s.table.Client().ProduceSync(ctx, &kgo.Record{Topic: schemas.TopicSettings, Key: []byte(st.Shop), Value: v}).FirstErr(); err != nil {
		return fmt.Errorf("publish settings of %s: %w", st.Shop, err)
	}
	s.mu.Lock()
	if old, ok := s.byID[st.Shop]; !ok || old.Revision < st.Revision {
		s.byID[st.Shop] = st
	}
	s.mu.Unlock()
	return nil
}

// Close stops following the topic.
func (s *Store) Close() { s.table.Close() }
