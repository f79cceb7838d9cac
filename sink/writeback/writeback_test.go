package writeback

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopifysim"
)

// beforeSet runs f before each metafieldsSet reaches the simulator: a concurrent
// writer, between our read and our write.
type beforeSet struct {
	next http.RoundTripper
	f    func()
	n    atomic.Int32
}

func (b *beforeSet) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if bytes.Contains(body, []byte(`"operationName":"MetafieldsSet"`)) && b.f != nil {
		b.n.Add(1)
		b.f()
	}
	return b.next.RoundTrip(r)
}

func setup(t *testing.T) (*shopifysim.Sim, *beforeSet, shopifysim.Clients, int64) {
	t.Helper()
	rt := &beforeSet{next: http.DefaultTransport}
	sim, c := shopifysim.StartT(t, shopifysim.Options{Shop: "wb.myshopify.com"}, admin.Config{
		HTTP:        &http.Client{Transport: rt, Timeout: 10 * time.Second},
		MaxAttempts: 2, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	o := sim.AddSampleOrders(1, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))[0]
	return sim, rt, shopifysim.Clients{sim.Shop(): c}, o.ID
}

func metafield(t *testing.T, sim *shopifysim.Sim, id int64) *shopifysim.Metafield {
	t.Helper()
	o, _ := sim.Order(id)
	for _, m := range o.Metafields {
		if m.Namespace == Namespace && m.Key == Key {
			return m
		}
	}
	return nil
}

// setBehind changes the order's metafield as another app would, without Synco knowing.
func setBehind(t *testing.T, sim *shopifysim.Sim, id int64, value string) {
	t.Helper()
	_, err := sim.EditOrder(id, func(o *shopifysim.Order) {
		for _, m := range o.Metafields {
			if m.Namespace == Namespace && m.Key == Key {
				m.Value = value
				return
			}
		}
		o.Metafields = append(o.Metafields, &shopifysim.Metafield{ID: 1, Namespace: Namespace, Key: Key, Type: Type, Value: value})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWritesOnceAndNeverTheSameValueTwice(t *testing.T) {
	sim, _, cl, id := setup(t)
	ctx := context.Background()
	w := New(cl, nil)
	if _, err := w.Write(ctx, sim.Shop(), id, 42); err != nil {
		t.Fatal(err)
	}
	if m := metafield(t, sim, id); m == nil || m.Value != "42" || m.Type != Type {
		t.Fatalf("metafield after the write: %+v", m)
	}
	sets := func() int { return sim.Counters().ByOperation["MetafieldsSet"] }
	if sets() != 1 {
		t.Fatalf("%d metafieldsSet calls for one write", sets())
	}
	// The same value again: remembered, not even read.
	before := sim.Counters().Requests
	if res, err := w.Write(ctx, sim.Shop(), id, 42); err != nil || res.Calls != 0 || res.Skipped == "" {
		t.Fatalf("second write: %+v %v", res, err)
	}
	if sim.Counters().Requests != before {
		t.Error("the remembered value was asked of Shopify again")
	}
	// A restarted sink remembers nothing: it reads, finds the value, writes nothing.
	w2 := New(cl, nil)
	if res, err := w2.Write(ctx, sim.Shop(), id, 42); err != nil || res.Calls != 1 {
		t.Fatalf("after a restart: %+v %v", res, err)
	}
	if sets() != 1 {
		t.Errorf("the same value was written twice (%d metafieldsSet calls)", sets())
	}
	// A new Odoo id (say the record was recreated) is written over the old one.
	if _, err := w2.Write(ctx, sim.Shop(), id, 43); err != nil {
		t.Fatal(err)
	}
	if m := metafield(t, sim, id); m.Value != "43" || sets() != 2 {
		t.Errorf("new value: %+v, %d sets", m, sets())
	}
}

// TestStaleDigestIsReadAgainAndRetried: someone writes custom.odoo_id between our read
// and our write; Shopify answers STALE_OBJECT; the writer reads again and writes with
// the digest now current, so the concurrent change is seen, not overwritten blindly.
func TestStaleDigestIsReadAgainAndRetried(t *testing.T) {
	for name, existing := range map[string]bool{"metafield created meanwhile": false, "metafield changed meanwhile": true} {
		t.Run(name, func(t *testing.T) {
			sim, rt, cl, id := setup(t)
			if existing {
				setBehind(t, sim, id, "7")
			}
			once := atomic.Bool{}
			rt.f = func() {
				if once.CompareAndSwap(false, true) {
					setBehind(t, sim, id, "999")
				}
			}
			res, err := New(cl, nil).Write(context.Background(), sim.Shop(), id, 42)
			if err != nil {
				t.Fatal(err)
			}
			if m := metafield(t, sim, id); m.Value != "42" {
				t.Errorf("value %q", m.Value)
			}
			c := sim.Counters()
			if c.ByOperation["MetafieldsSet"] != 2 || c.ByOperation["OrderMetafield"] != 2 || res.Calls != 4 {
				t.Errorf("calls: %v (result %+v): want one stale write, a second read and a write", c.ByOperation, res)
			}
		})
	}
	t.Run("always stale", func(t *testing.T) {
		sim, rt, cl, id := setup(t)
		n := 0
		rt.f = func() { n++; setBehind(t, sim, id, "x"+strings.Repeat("y", n)) }
		_, err := New(cl, nil).Write(context.Background(), sim.Shop(), id, 42)
		if !errors.Is(err, ErrStale) || !IsRetriable(err) {
			t.Fatalf("err %v (retriable %v)", err, IsRetriable(err))
		}
		if got := sim.Counters().ByOperation["MetafieldsSet"]; got != staleTries {
			t.Errorf("%d writes, want %d", got, staleTries)
		}
	})
}

func TestFailuresAreClassified(t *testing.T) {
	t.Run("a metafield of another type is permanent", func(t *testing.T) {
		sim, _, cl, id := setup(t)
		sim.EditOrder(id, func(o *shopifysim.Order) {
			o.Metafields = append(o.Metafields, &shopifysim.Metafield{ID: 1, Namespace: Namespace, Key: Key, Type: "number_integer", Value: "1"})
		})
		_, err := New(cl, nil).Write(context.Background(), sim.Shop(), id, 42)
		if err == nil || IsRetriable(err) || !strings.Contains(err.Error(), "custom.odoo_id") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("shopify down is retriable", func(t *testing.T) {
		sim, _, cl, id := setup(t)
		sim.InjectFault(shopifysim.Fault{Op: "MetafieldsSet", Status: 503}, shopifysim.Fault{Op: "MetafieldsSet", Status: 503})
		_, err := New(cl, nil).Write(context.Background(), sim.Shop(), id, 42)
		if err == nil || !IsRetriable(err) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("an order shopify does not have is permanent", func(t *testing.T) {
		sim, _, cl, _ := setup(t)
		_, err := New(cl, nil).Write(context.Background(), sim.Shop(), 123456789, 42)
		if err == nil || IsRetriable(err) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestNoTokenIsSaidOnce(t *testing.T) {
	var logs bytes.Buffer
	w := New(shopifysim.Clients{}, slog.New(slog.NewTextHandler(&logs, nil)))
	for i := 0; i < 3; i++ {
		res, err := w.Write(context.Background(), "notoken.myshopify.com", int64(i+1), 42)
		if err != nil || res.Skipped == "" || res.Calls != 0 {
			t.Fatalf("%+v %v", res, err)
		}
	}
	if n := strings.Count(logs.String(), "no Admin API token"); n != 1 {
		t.Errorf("said %d times:\n%s", n, logs.String())
	}
}
