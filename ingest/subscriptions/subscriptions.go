// Package subscriptions keeps each shop's Shopify webhook subscriptions in step with
// its Auto Order Sync switch: auto_sync on, the order topics point at Synco's public
// ingest URL (existing subscriptions are found, not duplicated); off, Synco's
// subscriptions are deleted. It follows the settings topic, so a switch flipped in
// the API, the dashboard or the config takes effect at once, and looks again
// periodically (Shopify deletes a subscription after 8 failed deliveries in a row).
package subscriptions

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
)

// Topics are the webhooks Synco subscribes a shop to. The privacy topics
// (customers/data_request, customers/redact, shop/redact) are not among them: Shopify
// takes those from the app's configuration, not from the Admin API.
var Topics = []admin.WebhookSubscriptionTopic{
	admin.WebhookSubscriptionTopicOrdersCreate,
	admin.WebhookSubscriptionTopicOrdersUpdated,
	admin.WebhookSubscriptionTopicOrdersPaid,
	admin.WebhookSubscriptionTopicOrdersCancelled,
	admin.WebhookSubscriptionTopicOrdersFulfilled,
	admin.WebhookSubscriptionTopicOrdersPartiallyFulfilled,
	admin.WebhookSubscriptionTopicOrdersEdited,
	admin.WebhookSubscriptionTopicRefundsCreate,
	admin.WebhookSubscriptionTopicAppUninstalled,
}

// WebhookPath is where ingest serves Shopify's deliveries.
const WebhookPath = "/webhooks/shopify"

// Clients gives a shop's Admin API client; false when the shop has no Admin API token.
type Clients interface {
	Client(shop string) (*admin.Client, bool)
}

// Settings are the shops' settings as the settings topic has them.
type Settings interface {
	Effective(shop string) schemas.ShopSettings
	Subscribe(func(schemas.ShopSettings))
}

// Manager is one ingest process's subscription keeper.
type Manager struct {
	Shops    []string // the configured shops
	Clients  Clients
	Settings Settings
	// PublicURL is ingest's address as Shopify reaches it (ingest.public_url); the
	// subscriptions point at PublicURL + WebhookPath.
	PublicURL string
	// Every is how often every shop is looked at again (default 30 min).
	Every time.Duration
	Log   *slog.Logger

	mu      sync.Mutex
	applied map[string]bool // shop → the auto_sync last made true at Shopify
	said    map[string]bool // shops told once that they cannot be managed

	// changed hears the settings' changes; subscribed once, as Run may run again (each
	// time this process leads) and the settings store keeps every callback.
	subscribe sync.Once
	changed   chan string
}

// Address is the subscriptions' callback URL.
func (m *Manager) Address() string {
	if m.PublicURL == "" {
		return ""
	}
	return strings.TrimRight(m.PublicURL, "/") + WebhookPath
}

// Run keeps the subscriptions until ctx ends. A shop whose Shopify call fails is tried
// again with a growing delay (at most Every); the others are not held up.
func (m *Manager) Run(ctx context.Context) error {
	if m.Every <= 0 {
		m.Every = 30 * time.Minute
	}
	m.subscribe.Do(func() {
		m.changed = make(chan string, 256)
		m.Settings.Subscribe(func(st schemas.ShopSettings) {
			select {
			case m.changed <- st.Shop:
			default: // a burst: the periodic look catches up
			}
		})
	})
	changed := m.changed
	due := map[string]time.Time{}
	backoff := map[string]time.Duration{}
	for _, s := range m.Shops {
		due[s] = time.Time{}
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		now := time.Now()
		next := now.Add(m.Every)
		for shop, at := range due {
			if at.After(now) {
				if at.Before(next) {
					next = at
				}
				continue
			}
			err := m.Ensure(ctx, shop)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				b := min(max(2*backoff[shop], 5*time.Second), m.Every)
				backoff[shop] = b
				due[shop] = now.Add(b)
				m.log().Warn("webhook subscriptions not in step yet; trying again", "shop", shop, "in", b, "err", err)
			} else {
				delete(backoff, shop)
				due[shop] = now.Add(m.Every)
			}
			if due[shop].Before(next) {
				next = due[shop]
			}
		}
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return nil
		case shop := <-changed:
			if _, ok := due[shop]; ok && m.wants(shop) != m.appliedOf(shop) {
				due[shop] = time.Time{}
			}
		case <-timer.C:
		}
	}
}

func (m *Manager) log() *slog.Logger {
	if m.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return m.Log
}

func (m *Manager) wants(shop string) bool { return m.Settings.Effective(shop).AutoSync }

func (m *Manager) appliedOf(shop string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.applied[shop]
	return ok && v
}

// ErrNoPublicURL is Ensure's answer for a shop with auto_sync on when ingest has no
// public URL to point Shopify at.
var ErrNoPublicURL = errors.New("ingest.public_url is not set: Shopify has nowhere to send webhooks")

// Ensure makes the shop's subscriptions match its auto_sync now. A shop without an
// Admin API token cannot be managed: it is said once and skipped.
func (m *Manager) Ensure(ctx context.Context, shop string) error {
	c, ok := m.Clients.Client(shop)
	if !ok {
		m.sayOnce(shop, "shop has no Admin API token: its webhook subscriptions are not managed (point them at ingest by hand)")
		return nil
	}
	on := m.wants(shop)
	addr := m.Address()
	if addr == "" {
		if on {
			return ErrNoPublicURL
		}
		// Without a public URL Synco never subscribed anything: nothing of ours to delete.
		m.sayOnce(shop, "ingest.public_url is not set: webhook subscriptions are not managed")
		return nil
	}
	subs, err := c.WebhookSubscriptions(ctx, Topics...)
	if err != nil {
		return err
	}
	created, deleted := 0, 0
	if on {
		for _, t := range Topics {
			if slices.ContainsFunc(subs, func(s admin.WebhookSubscription) bool { return s.Topic == t && s.Uri == addr }) {
				continue
			}
			if _, err := c.CreateWebhookSubscription(ctx, t, addr); err != nil {
				// Another ingest process made it since we listed: it exists, as wanted.
				if !says(err, "already been taken") {
					return err
				}
				continue
			}
			created++
		}
	} else {
		for _, s := range subs {
			// Only Synco's own: another address may be someone else's integration.
			if s.Uri != addr {
				continue
			}
			if err := c.DeleteWebhookSubscription(ctx, s.Id); err != nil {
				if !says(err, "does not exist") { // deleted meanwhile: as wanted
					return err
				}
				continue
			}
			deleted++
		}
	}
	m.mu.Lock()
	if m.applied == nil {
		m.applied = map[string]bool{}
	}
	m.applied[shop] = on
	m.mu.Unlock()
	if created+deleted > 0 {
		m.log().Info("webhook subscriptions changed", "shop", shop, "auto_sync", on, "created", created, "deleted", deleted, "address", addr)
	} else {
		m.log().Debug("webhook subscriptions in step", "shop", shop, "auto_sync", on)
	}
	return nil
}

// says reports whether err is a mutation's user error whose message contains text.
func says(err error, text string) bool {
	var e *admin.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, u := range e.UserErrors {
		if strings.Contains(u.Message, text) {
			return true
		}
	}
	return false
}

func (m *Manager) sayOnce(shop, msg string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.said == nil {
		m.said = map[string]bool{}
	}
	if !m.said[shop] {
		m.said[shop] = true
		m.log().Info(msg, "shop", shop)
	}
}
