package catalog

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
)

// published records what the refresher produced (the Kafka side is platform/kafka's
// Publisher, tested there).
type published struct {
	mu   sync.Mutex
	recs []schemas.OdooCatalog
	keys []string
	err  error
}

func (p *published) Publish(_ context.Context, topic string, key []byte, v any, _ ...kgo.RecordHeader) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if topic != schemas.TopicOdooCatalog {
		return errors.New("wrong topic " + topic)
	}
	p.recs = append(p.recs, *v.(*schemas.OdooCatalog))
	p.keys = append(p.keys, string(key))
	return nil
}

func (p *published) count() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.recs) }

func TestRefresher(t *testing.T) {
	srv, c := sim(t, 17)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	dials := map[string]int{}
	var mu sync.Mutex
	brokenUp := false
	pub := &published{}
	r := New(Deps{
		Shops: []string{"a.myshopify.com", "Broken.myshopify.com"},
		Dial: func(_ context.Context, shop string) (odoo.Client, error) {
			mu.Lock()
			defer mu.Unlock()
			dials[shop]++
			if shop == "broken.myshopify.com" && !brokenUp {
				return nil, errors.New("connection refused")
			}
			return c, nil
		},
		Publisher: pub,
		Now:       func() time.Time { return now },
	})
	ctx := context.Background()

	if failed := r.RefreshAll(ctx); failed != 1 {
		t.Fatalf("%d shops failed, want the broken one", failed)
	}
	if pub.count() != 1 || pub.keys[0] != "a.myshopify.com" || pub.recs[0].Shop != "a.myshopify.com" || !pub.recs[0].RefreshedAt.Equal(now) {
		t.Fatalf("first round published %v %+v", pub.keys, pub.recs)
	}

	// Five minutes later nothing changed in a's Odoo: nothing new on the topic. The
	// broken shop's Odoo answers now (dialled again) and gets its catalog.
	now = now.Add(5 * time.Minute)
	brokenUp = true
	if failed := r.RefreshAll(ctx); failed != 0 {
		t.Fatalf("%d failed", failed)
	}
	if pub.count() != 2 || pub.keys[1] != "broken.myshopify.com" {
		t.Fatalf("second round published %v", pub.keys)
	}
	if dials["a.myshopify.com"] != 1 || dials["broken.myshopify.com"] != 2 {
		t.Errorf("dials %v: a's client is kept, the broken one dialled again", dials)
	}

	// A new customer in Odoo: published at the next refresh.
	now = now.Add(5 * time.Minute)
	id := addPartner(t, c, "New Customer", "new@example.com", 1)
	if err := r.Refresh(ctx, "a.myshopify.com"); err != nil {
		t.Fatal(err)
	}
	if pub.count() != 3 || pub.recs[2].Partners[0].ID != id {
		t.Fatalf("the new customer is not published first: %+v", pub.recs[len(pub.recs)-1].Partners)
	}

	// Unchanged for over an hour: published again so refreshed_at stays recent.
	now = now.Add(61 * time.Minute)
	if err := r.Refresh(ctx, "a.myshopify.com"); err != nil {
		t.Fatal(err)
	}
	if pub.count() != 4 || !pub.recs[3].RefreshedAt.Equal(now) {
		t.Fatalf("not republished after an hour: %d records", pub.count())
	}

	// Odoo down: an error, nothing published, and the client is dialled anew next time.
	srv.SetDown(true)
	if err := r.Refresh(ctx, "a.myshopify.com"); err == nil {
		t.Fatal("a refresh against a down Odoo succeeded")
	}
	srv.SetDown(false)
	now = now.Add(2 * time.Hour)
	if err := r.Refresh(ctx, "a.myshopify.com"); err != nil {
		t.Fatal(err)
	}
	if dials["a.myshopify.com"] != 2 || pub.count() != 5 {
		t.Errorf("after the outage: dials %v, %d published", dials, pub.count())
	}

	// Kafka refusing the record is the refresh's error.
	pub.err = errors.New("kafka down")
	addPartner(t, c, "Another", "", 1)
	if err := r.Refresh(ctx, "a.myshopify.com"); err == nil {
		t.Error("a publish failure was not reported")
	}
}

// TestRunRefreshesAtStartAndStops: Run refreshes at once, then returns when ctx ends.
func TestRunRefreshesAtStartAndStops(t *testing.T) {
	_, c := sim(t, 18)
	pub := &published{}
	r := New(Deps{Shops: []string{"a.myshopify.com"}, Publisher: pub, Interval: time.Hour,
		Dial: func(context.Context, string) (odoo.Client, error) { return c, nil }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	deadline := time.After(30 * time.Second)
	for pub.count() == 0 {
		select {
		case <-deadline:
			t.Fatal("Run published nothing in 30 s")
		case err := <-done:
			t.Fatalf("Run returned before refreshing: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
