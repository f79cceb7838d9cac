package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
)

// Defaults of Deps.
const (
	DefaultInterval = 5 * time.Minute
	// DefaultRepublish: an unchanged catalog is published again at most this often,
	// so refreshed_at says the lists were confirmed within the hour without filling
	// the topic with copies every few minutes.
	DefaultRepublish = time.Hour
	// shopTimeout bounds one shop's refresh (a slow Odoo must not hold up the others
	// for long).
	shopTimeout = 2 * time.Minute
)

// Publisher produces a value and waits for Kafka (platform/kafka.Publisher does).
type Publisher interface {
	Publish(ctx context.Context, topic string, key []byte, v any, headers ...kgo.RecordHeader) error
}

// Deps is what a Refresher needs.
type Deps struct {
	// Shops are the configured shop domains.
	Shops []string
	// Dial gives the client of a shop's Odoo (the sink's own odoo.Dial of the shop's
	// config, with the simulator's URL for shops that name no Odoo). It is called on
	// a shop's first refresh and again after a refresh failed.
	Dial      func(ctx context.Context, shop string) (odoo.Client, error)
	Publisher Publisher
	// Optional.
	Interval     time.Duration // between refreshes of every shop; DefaultInterval when 0
	Republish    time.Duration // DefaultRepublish when 0
	PartnerLimit int           // DefaultPartnerLimit when 0
	Log          *slog.Logger
	Now          func() time.Time // time.Now when nil
}

// Refresher keeps every shop's catalog on the topic up to date.
type Refresher struct {
	d   Deps
	log *slog.Logger

	mu      sync.Mutex
	clients map[string]odoo.Client
	last    map[string]schemas.OdooCatalog // what was last published per shop
}

// New makes a Refresher; Run starts it.
func New(d Deps) *Refresher {
	if d.Interval <= 0 {
		d.Interval = DefaultInterval
	}
	if d.Republish <= 0 {
		d.Republish = DefaultRepublish
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Refresher{d: d, log: log, clients: map[string]odoo.Client{}, last: map[string]schemas.OdooCatalog{}}
}

// Run refreshes every shop at once and then every Interval until ctx ends (it then
// returns nil). A shop whose Odoo fails is logged and tried again on the next round;
// its last published catalog stays on the topic.
func (r *Refresher) Run(ctx context.Context) error {
	t := time.NewTicker(r.d.Interval)
	defer t.Stop()
	for {
		r.RefreshAll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RefreshAll refreshes every shop, one after the other, and reports how many failed.
func (r *Refresher) RefreshAll(ctx context.Context) (failed int) {
	for _, shop := range r.d.Shops {
		if ctx.Err() != nil {
			return failed
		}
		if err := r.Refresh(ctx, shop); err != nil {
			failed++
			r.log.Warn("odoo catalog not refreshed; the last one stays", "shop", shop, "err", err)
		}
	}
	return failed
}

// Refresh reads one shop's catalog and publishes it when it changed (or was last
// published more than Republish ago).
func (r *Refresher) Refresh(ctx context.Context, shop string) error {
	shop = strings.ToLower(shop)
	ctx, cancel := context.WithTimeout(ctx, shopTimeout)
	defer cancel()
	start := r.d.Now()
	c, err := r.client(ctx, shop)
	if err != nil {
		return err
	}
	cat, err := Read(ctx, c, shop, r.d.PartnerLimit)
	if err != nil {
		r.forget(shop) // dial again next time: the URL, the credentials or the server may have changed
		return err
	}
	r.mu.Lock()
	prev, had := r.last[shop]
	r.mu.Unlock()
	now := r.d.Now().UTC().Truncate(time.Millisecond)
	if had && same(prev, cat) && now.Sub(prev.RefreshedAt) < r.d.Republish {
		r.log.Debug("odoo catalog unchanged", "shop", shop)
		return nil
	}
	cat.RefreshedAt = now
	if err := r.d.Publisher.Publish(ctx, schemas.TopicOdooCatalog, []byte(shop), &cat); err != nil {
		return fmt.Errorf("publish odoo catalog of %s: %w", shop, err)
	}
	r.mu.Lock()
	r.last[shop] = cat
	r.mu.Unlock()
	r.log.Info("odoo catalog published", "shop", shop, "odoo", cat.OdooVersion, "journals", len(cat.Journals),
		"income_accounts", len(cat.IncomeAccounts), "customers", len(cat.Partners), "ms", r.d.Now().Sub(start).Milliseconds())
	return nil
}

func (r *Refresher) client(ctx context.Context, shop string) (odoo.Client, error) {
	r.mu.Lock()
	c, ok := r.clients[shop]
	r.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := r.d.Dial(ctx, shop)
	if err != nil {
		return nil, fmt.Errorf("odoo of %s: %w", shop, err)
	}
	r.mu.Lock()
	r.clients[shop] = c
	r.mu.Unlock()
	return c, nil
}

func (r *Refresher) forget(shop string) {
	r.mu.Lock()
	delete(r.clients, shop)
	r.mu.Unlock()
}
