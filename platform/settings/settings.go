// Package settings materialises the compacted synco.settings topic: every stage keeps
// the latest settings of every shop in memory and follows changes as they come. A
// shop's credentials set through the API travel sealed in its record (secrets.go):
// Get and Effective hand the settings out without them, Secrets opens them.
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
	keys  *Keys

	mu     sync.RWMutex
	byID   map[string]schemas.ShopSettings // as stored, secrets sealed
	opened map[string]openedSecrets        // shop → its secrets, opened once per sealed value
	subs   []func(schemas.ShopSettings)
}

type openedSecrets struct {
	sealed  string
	secrets ShopSecrets
	primary bool // sealed with the first key
	err     error
}

// Option tunes Open.
type Option func(*Store)

// WithKeys gives the store SYNCO_SECRET_KEY's keys: without them no secret can be
// stored or read.
func WithKeys(k *Keys) Option { return func(s *Store) { s.keys = k } }

// Open reads the topic to its end before returning, so Get answers from a complete
// view; then it follows the topic in the background. Shops in initial that have no
// stored settings get them published (the config file's settings are used only while
// a shop has none stored).
func Open(ctx context.Context, opts []kgo.Opt, sd *serde.Serde, log *slog.Logger, initial []schemas.ShopSettings, o ...Option) (*Store, error) {
	s := &Store{serde: sd, log: log, byID: map[string]schemas.ShopSettings{}, opened: map[string]openedSecrets{}}
	for _, f := range o {
		f(s)
	}
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
	s.reseal(ctx)
	return s, nil
}

// reseal seals again, with the first key, the secrets sealed with an older one: once
// every process has run with the new key first, the old one can go.
func (s *Store) reseal(ctx context.Context) {
	s.mu.RLock()
	var shops []string
	for shop, st := range s.byID {
		if len(st.Secrets) > 0 {
			shops = append(shops, shop)
		}
	}
	s.mu.RUnlock()
	for _, shop := range shops {
		sec, primary, err := s.open(shop)
		if err != nil {
			s.log.Error("stored secrets cannot be read; the shop falls back to the config's", "shop", shop, "err", err)
			continue
		}
		if primary {
			continue
		}
		if err := s.PutSecrets(ctx, shop, sec); err != nil {
			s.log.Error("stored secrets not re-encrypted with the new key", "shop", shop, "err", err)
			continue
		}
		s.log.Info("stored secrets re-encrypted with the first key of SYNCO_SECRET_KEY", "shop", shop)
	}
}

func (s *Store) apply(r *kgo.Record) {
	if r.Value == nil {
		// A tombstone (shop/redact): the shop is back to its config's settings.
		s.mu.Lock()
		delete(s.byID, strings.ToLower(string(r.Key)))
		delete(s.opened, strings.ToLower(string(r.Key)))
		s.mu.Unlock()
		return
	}
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
	st.Secrets = nil
	for _, f := range subs {
		f(st)
	}
}

// Get returns the stored settings of shop, without its secrets.
func (s *Store) Get(shop string) (schemas.ShopSettings, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.byID[strings.ToLower(shop)]
	st.Secrets = nil
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

// Put publishes new settings for st.Shop and waits for Kafka's acknowledgement. The
// shop's stored secrets stay as they are (PutSecrets changes them).
func (s *Store) Put(ctx context.Context, st schemas.ShopSettings) error {
	st.Shop = strings.ToLower(st.Shop)
	s.mu.RLock()
	old, ok := s.byID[st.Shop]
	s.mu.RUnlock()
	st.Secrets = old.Secrets
	return s.put(ctx, st, old, ok)
}

// PutSecrets stores the shop's secrets (sealed; empty fields are not stored), keeping
// its settings; zero secrets remove the stored ones. Storing any without
// SYNCO_SECRET_KEY is ErrNoKey.
func (s *Store) PutSecrets(ctx context.Context, shop string, sec ShopSecrets) error {
	shop = strings.ToLower(shop)
	if !s.keys.Enabled() && sec != (ShopSecrets{}) {
		return ErrNoKey
	}
	sealed, err := s.keys.sealSecrets(shop, sec)
	if err != nil {
		return err
	}
	s.mu.RLock()
	old, ok := s.byID[shop]
	s.mu.RUnlock()
	st := old
	if !ok {
		st = schemas.DefaultSettings(shop)
	}
	st.Secrets = sealed
	return s.put(ctx, st, old, ok)
}

// Secrets returns the shop's stored secrets (zero when none are stored). A sealed
// value that cannot be opened is an error saying why (a missing or changed key).
func (s *Store) Secrets(shop string) (ShopSecrets, error) {
	sec, _, err := s.open(strings.ToLower(shop))
	return sec, err
}

func (s *Store) open(shop string) (ShopSecrets, bool, error) {
	s.mu.RLock()
	sealed := s.byID[shop].Secrets
	o, ok := s.opened[shop]
	s.mu.RUnlock()
	if ok && o.sealed == string(sealed) {
		return o.secrets, o.primary, o.err
	}
	sec, primary, err := s.keys.openSecrets(shop, sealed)
	s.mu.Lock()
	s.opened[shop] = openedSecrets{sealed: string(sealed), secrets: sec, primary: primary, err: err}
	s.mu.Unlock()
	return sec, primary, err
}

func (s *Store) put(ctx context.Context, st, old schemas.ShopSettings, hadOld bool) error {
	if hadOld && st.Revision <= old.Revision {
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
