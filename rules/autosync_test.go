package rules

import (
	"testing"
	"time"

	"github.com/synco-dev/synco/schemas"
)

// TestPartialAndPartiallyFulfilledAreOneState: the contract lists both words for one
// state; a merchant who picks either gets orders in that state whichever way they came
// (the normalizer says "partial"; an older event may say "partially_fulfilled").
func TestPartialAndPartiallyFulfilledAreOneState(t *testing.T) {
	day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, pick := range []string{"partial", "partially_fulfilled", "PARTIALLY_FULFILLED"} {
		for _, has := range []string{"partial", "partially_fulfilled"} {
			s := schemas.DefaultSettings("x.myshopify.com")
			s.FulfillmentStatuses = []string{pick}
			if d := Evaluate(&s, order("paid", has, "web", day)); !d.Eligible {
				t.Errorf("settings %q, order %q: not eligible (%q)", pick, has, d.Reasons)
			}
		}
		s := schemas.DefaultSettings("x.myshopify.com")
		s.FulfillmentStatuses = []string{pick}
		if d := Evaluate(&s, order("paid", "fulfilled", "web", day)); d.Eligible {
			t.Errorf("settings %q let a fulfilled order through", pick)
		}
	}
}

func TestHeld(t *testing.T) {
	on := schemas.DefaultSettings("x.myshopify.com")
	off := on
	off.AutoSync = false
	for _, c := range []struct {
		s      *schemas.ShopSettings
		origin string
		force  bool
		held   bool
	}{
		{&on, schemas.OriginWebhook, false, false},
		{&on, schemas.OriginReconcile, false, false},
		{&off, schemas.OriginWebhook, false, true},
		{&off, schemas.OriginReconcile, false, true},
		{&off, "", false, true},
		{&off, schemas.OriginWebhook, true, false}, // a forced event bypasses
		{&off, schemas.OriginManual, true, false},
		{&off, schemas.OriginRetry, true, false},
		{&off, schemas.OriginBackfill, false, false}, // a person asked for it
		{&off, schemas.OriginReplay, false, false},
	} {
		if got := Held(c.s, c.origin, c.force); got != c.held {
			t.Errorf("auto_sync=%v origin=%q force=%v: held=%v, want %v", c.s.AutoSync, c.origin, c.force, got, c.held)
		}
	}
}

func TestReconcileInterval(t *testing.T) {
	for v, want := range map[string]time.Duration{"": time.Hour, "1h": time.Hour, "30m": 30 * time.Minute, "off": 0, "24h": 24 * time.Hour, "bogus": time.Hour} {
		s := schemas.DefaultSettings("x.myshopify.com")
		s.ReconcileInterval = v
		if got := ReconcileInterval(&s); got != want {
			t.Errorf("%q: %s, want %s", v, got, want)
		}
	}
	for _, v := range []string{"bogus", "1m", "25h", "-1h"} {
		s := schemas.DefaultSettings("x.myshopify.com")
		s.ReconcileInterval = v
		if bad := Validate(&s); bad["reconcile_interval"] == "" {
			t.Errorf("%q accepted", v)
		}
	}
	s := schemas.DefaultSettings("x.myshopify.com")
	for _, v := range []string{"off", "5m", "2h"} {
		s.ReconcileInterval = v
		if bad := Validate(&s); len(bad) != 0 {
			t.Errorf("%q refused: %v", v, bad)
		}
	}
}
