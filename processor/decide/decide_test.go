package decide

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/schemas"
)

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

func ev(id string, updated time.Time, fin string) *schemas.OrderEvent {
	return &schemas.OrderEvent{EventID: id, Shop: "s.myshopify.com", OrderID: 7, Topic: "orders/updated",
		Order: schemas.Order{ID: 7, Name: "#1007", CreatedAt: t0, UpdatedAt: updated, FinancialStatus: fin, SourceName: "web"}}
}

func apply(t *testing.T, st *schemas.OrderState, e *schemas.OrderEvent, s *schemas.ShopSettings) (*schemas.OrderState, Result) {
	t.Helper()
	r := Event(st, e, s, t0)
	if r.Drop != "" {
		return st, r
	}
	next := r.State
	return &next, r
}

func TestNewOrderEmitsCommandAndOutcome(t *testing.T) {
	s := schemas.DefaultSettings("s.myshopify.com")
	_, r := apply(t, nil, ev("e1", t0, "paid"), &s)
	if r.Drop != "" || r.Command == nil || r.Outcome == nil {
		t.Fatalf("%+v", r)
	}
	if r.Command.SaleOrder != schemas.SaleOrderDraft || r.Command.OdooName != "1007" || r.Command.Version != t0.UnixMilli() {
		t.Errorf("command %+v", r.Command)
	}
	if r.Outcome.Status != schemas.StatusInProgress || !r.Outcome.Eligible {
		t.Errorf("outcome %+v", r.Outcome)
	}
}

func TestDuplicatesAndReorderingAreDropped(t *testing.T) {
	s := schemas.DefaultSettings("s.myshopify.com")
	st, _ := apply(t, nil, ev("e2", t0.Add(2*time.Minute), "paid"), &s)
	// the same delivery again
	if _, r := apply(t, st, ev("e2", t0.Add(2*time.Minute), "paid"), &s); r.Drop == "" {
		t.Error("same event id applied twice")
	}
	// another event with the same snapshot version (orders/paid + orders/updated)
	if _, r := apply(t, st, ev("e3", t0.Add(2*time.Minute), "paid"), &s); r.Drop == "" {
		t.Error("same version applied twice")
	}
	// orders/create arriving after orders/paid: older
	if _, r := apply(t, st, ev("e1", t0, "pending"), &s); r.Drop == "" {
		t.Error("older snapshot applied after a newer one")
	}
	// a newer one goes through with the next seq
	st2, r := apply(t, st, ev("e4", t0.Add(3*time.Minute), "paid"), &s)
	if r.Drop != "" || st2.Seq != 2 || r.Command == nil {
		t.Errorf("newer event: %+v", r)
	}
}

func TestForcedResyncNeverGoesBackwards(t *testing.T) {
	s := schemas.DefaultSettings("s.myshopify.com")
	st, _ := apply(t, nil, ev("e1", t0.Add(time.Hour), "paid"), &s)
	old := ev("m1", t0, "pending")
	old.Force = true
	_, r := apply(t, st, old, &s)
	if r.Drop != "" || r.Command == nil {
		t.Fatalf("forced re-sync dropped: %+v", r)
	}
	if r.Command.Order.FinancialStatus != "paid" || r.Command.Version != t0.Add(time.Hour).UnixMilli() || r.Command.Seq != 2 {
		t.Errorf("forced re-sync used the older snapshot: %+v", r.Command)
	}
}

func TestIneligibleThenEligible(t *testing.T) {
	s := schemas.DefaultSettings("s.myshopify.com")
	s.PaymentStatuses = []string{"paid"}
	st, r := apply(t, nil, ev("e1", t0, "pending"), &s)
	if r.Command != nil || r.Outcome.Status != schemas.StatusNotSynced || len(r.Outcome.IneligibleReasons) == 0 {
		t.Fatalf("pending order: %+v", r)
	}
	st, r = apply(t, st, ev("e2", t0.Add(time.Minute), "paid"), &s)
	if r.Command == nil || !st.Commanded {
		t.Fatalf("paid order not commanded: %+v", r)
	}
	// once in Odoo it stays in step even if it leaves the filter (refunded)
	_, r = apply(t, st, ev("e3", t0.Add(2*time.Minute), "refunded"), &s)
	if r.Command == nil || r.Outcome.Eligible {
		t.Fatalf("synced order dropped out of step: %+v", r)
	}
}

func TestReferenceOnlyEventsWait(t *testing.T) {
	s := schemas.DefaultSettings("s.myshopify.com")
	e := &schemas.OrderEvent{EventID: "r1", Shop: "s.myshopify.com", OrderID: 7, Topic: "refunds/create"}
	if r := Event(nil, e, &s, t0); r.Drop == "" {
		t.Fatal("refund without snapshot applied")
	}
}

func TestManualResyncByIDReappliesStoredSnapshot(t *testing.T) {
	s := schemas.DefaultSettings("s.myshopify.com")
	st, _ := apply(t, nil, ev("e1", t0, "paid"), &s)
	manual := &schemas.OrderEvent{EventID: "m1", Shop: "s.myshopify.com", OrderID: 7, Topic: "manual", Force: true}
	_, r := apply(t, st, manual, &s)
	if r.Drop != "" || r.Command == nil || r.Command.Seq != 2 || r.Command.Order.Name != "#1007" {
		t.Fatalf("manual re-sync: %+v", r)
	}
	if r := Event(nil, manual, &s, t0); r.Drop == "" {
		t.Error("manual re-sync of an unknown order applied without a snapshot")
	}
}

// A retry coming due re-syncs the order from the newest snapshot the processor holds,
// carrying the attempt on; an older failed command's snapshot never wins.
func TestRetryResyncsTheNewestSnapshotWithItsAttempt(t *testing.T) {
	s := schemas.DefaultSettings("s.myshopify.com")
	st, _ := apply(t, nil, ev("e1", t0, "pending"), &s)
	st, _ = apply(t, st, ev("e2", t0.Add(time.Minute), "paid"), &s)
	retry := ev("retry:c1:1", t0, "pending") // the failed command carried the first snapshot
	retry.Force, retry.Origin, retry.Attempt = true, schemas.OriginRetry, 1
	_, r := apply(t, st, retry, &s)
	if r.Command == nil || r.Command.Attempt != 1 || r.Outcome.Attempt != 1 {
		t.Fatalf("retry: %+v", r)
	}
	if r.Command.Order.FinancialStatus != "paid" || r.Command.Version != t0.Add(time.Minute).UnixMilli() {
		t.Errorf("retry applied the older snapshot: %+v", r.Command.Order.FinancialStatus)
	}
	// Without stored state, the retry's own snapshot is used.
	if r := Event(nil, retry, &s, t0); r.Command == nil || r.Command.Order.FinancialStatus != "pending" || r.Command.Attempt != 1 {
		t.Errorf("retry without state: %+v", r)
	}
}

// With currency: presentment the outcome shows the buyer's total and currency.
func TestOutcomeInTheBookedCurrency(t *testing.T) {
	s := schemas.DefaultSettings("s.myshopify.com")
	e := ev("e1", t0, "paid")
	e.Order.Currency, e.Order.TotalPrice = "USD", decimal.RequireFromString("110.00")
	e.Order.PresentmentCurrency, e.Order.TotalPricePresentment = "EUR", decimal.RequireFromString("100.00")
	if r := Event(nil, e, &s, t0); r.Outcome.Currency != "USD" || r.Outcome.Total.String() != "110" {
		t.Errorf("shop currency: %s %s", r.Outcome.Total, r.Outcome.Currency)
	}
	s.Currency = "presentment"
	if r := Event(nil, e, &s, t0); r.Outcome.Currency != "EUR" || r.Outcome.Total.String() != "100" {
		t.Errorf("presentment: %s %s", r.Outcome.Total, r.Outcome.Currency)
	}
}
