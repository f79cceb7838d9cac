package subscriptions

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopifysim"
)

const public = "https://synco.example.com"

// settings is an in-memory settings topic.
type settings struct {
	mu   sync.Mutex
	by   map[string]schemas.ShopSettings
	subs []func(schemas.ShopSettings)
}

func (s *settings) Effective(shop string) schemas.ShopSettings {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.by[shop]; ok {
		return st
	}
	return schemas.DefaultSettings(shop)
}

func (s *settings) Subscribe(f func(schemas.ShopSettings)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs = append(s.subs, f)
}

func (s *settings) put(shop string, autoSync bool) {
	st := schemas.DefaultSettings(shop)
	st.AutoSync = autoSync
	s.mu.Lock()
	if s.by == nil {
		s.by = map[string]schemas.ShopSettings{}
	}
	s.by[shop] = st
	subs := append([]func(schemas.ShopSettings){}, s.subs...)
	s.mu.Unlock()
	for _, f := range subs {
		f(st)
	}
}

func setup(t *testing.T) (*shopifysim.Sim, *admin.Client) {
	t.Helper()
	return shopifysim.StartT(t, shopifysim.Options{Shop: "subs.myshopify.com"},
		admin.Config{BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond})
}

func ours(sim *shopifysim.Sim) []string {
	var out []string
	for topic, addrs := range sim.Subscriptions() {
		for _, a := range addrs {
			if a == public+WebhookPath {
				out = append(out, topic)
			}
		}
	}
	sort.Strings(out)
	return out
}

var allTopics = func() []string {
	var out []string
	for _, t := range Topics {
		out = append(out, admin.TopicToREST(t))
	}
	sort.Strings(out)
	return out
}()

// TestCreatedOnceDeletedOnOff: on creates one subscription per topic, finding one that
// exists rather than duplicating it; asking again creates nothing; off deletes Synco's
// and leaves another integration's alone.
func TestCreatedOnceDeletedOnOff(t *testing.T) {
	sim, c := setup(t)
	ctx := context.Background()
	// One of ours exists already (an earlier run), and another app's.
	if _, err := c.CreateWebhookSubscription(ctx, admin.WebhookSubscriptionTopicOrdersCreate, public+WebhookPath); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateWebhookSubscription(ctx, admin.WebhookSubscriptionTopicOrdersPaid, "https://other.example.com/hook"); err != nil {
		t.Fatal(err)
	}
	st := &settings{}
	m := &Manager{Shops: []string{sim.Shop()}, Clients: shopifysim.Clients{sim.Shop(): c}, Settings: st, PublicURL: public + "/"}
	if err := m.Ensure(ctx, sim.Shop()); err != nil {
		t.Fatal(err)
	}
	if got := ours(sim); strings.Join(got, " ") != strings.Join(allTopics, " ") {
		t.Fatalf("subscriptions %v, want %v", got, allTopics)
	}
	creates := func() int { return sim.Counters().ByOperation["WebhookSubscriptionCreate"] }
	if creates() != 1+1+len(Topics)-1 {
		t.Errorf("%d creates: the existing subscription was created again", creates())
	}
	if err := m.Ensure(ctx, sim.Shop()); err != nil {
		t.Fatal(err)
	}
	if creates() != 1+1+len(Topics)-1 {
		t.Errorf("a second Ensure created subscriptions (%d creates)", creates())
	}
	st.put(sim.Shop(), false)
	if err := m.Ensure(ctx, sim.Shop()); err != nil {
		t.Fatal(err)
	}
	if got := ours(sim); len(got) != 0 {
		t.Errorf("after off, ours left: %v", got)
	}
	if other := sim.Subscriptions()["orders/paid"]; len(other) != 1 || other[0] != "https://other.example.com/hook" {
		t.Errorf("another app's subscription touched: %v", sim.Subscriptions())
	}
}

// TestRunFollowsTheSwitch: flipping auto_sync in the settings topic changes Shopify's
// subscriptions without a restart.
func TestRunFollowsTheSwitch(t *testing.T) {
	sim, c := setup(t)
	st := &settings{}
	st.put(sim.Shop(), false)
	m := &Manager{Shops: []string{sim.Shop()}, Clients: shopifysim.Clients{sim.Shop(): c}, Settings: st, PublicURL: public}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	wait := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("not %s: %v", what, sim.Subscriptions())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	wait("looked at", func() bool { return sim.Counters().ByOperation["WebhookSubscriptions"] > 0 })
	if len(ours(sim)) != 0 {
		t.Fatal("subscribed while off")
	}
	st.put(sim.Shop(), true)
	wait("subscribed after on", func() bool { return len(ours(sim)) == len(Topics) })
	st.put(sim.Shop(), false)
	wait("unsubscribed after off", func() bool { return len(ours(sim)) == 0 })
}

func TestShopsThatCannotBeManaged(t *testing.T) {
	sim, c := setup(t)
	var logs bytes.Buffer
	m := &Manager{Clients: shopifysim.Clients{sim.Shop(): c}, Settings: &settings{}, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	if err := m.Ensure(context.Background(), sim.Shop()); !errors.Is(err, ErrNoPublicURL) {
		t.Errorf("auto sync on without a public URL: %v", err)
	}
	for i := 0; i < 3; i++ {
		if err := m.Ensure(context.Background(), "notoken.myshopify.com"); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "no Admin API token"); n != 1 {
		t.Errorf("a shop without a token said %d times", n)
	}
	if sim.Counters().Requests != 0 {
		t.Errorf("shopify called %d times", sim.Counters().Requests)
	}
}
