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
	// The command names what brought it, so the sink's outcome says so too.
	if r.Command.Origin != schemas.OriginRetry || r.Outcome.Origin != schemas.OriginRetry {
		t.Errorf("retry origin: command %q, outcome %q", r.Command.Origin, r.Outcome.Origin)
	}
	if r.Command.Order.FinancialStatus != "paid" || r.Command.Version != t0.Add(time.Minute).UnixMilli() {
		t.Errorf("retry applied the older snapshot: %+v", r.Command.Order.FinancialStatus)
	}
	// Without stored state, the retry's own snapshot is used.
	if r := Event(nil, retry, &s, t0); r.Command == nil || r.Command.Order.FinancialStatus != "pending" || r.Command.Attempt != 1 {
		t.Errorf("retry without state: %+v", r)
	}
}

// TestAPISnapshotEnrichesAnEqualVersion: a GraphQL read of the same updated_at as the
// webhook's, but with the transactions a webhook body lacks, is applied; the same read
// again, or a webhook of that version, is a duplicate.
func TestAPISnapshotEnrichesAnEqualVersion(t *testing.T) {
	s := schemas.DefaultSettings("s.myshopify.com")
	at := t0.Add(time.Minute)
	st, _ := apply(t, nil, ev("webhook-1", at, "paid"), &s)
	fetched := func(origin, id string) *schemas.OrderEvent {
		e := ev(id, at, "paid")
		e.Origin = origin
		e.Order.Transactions = []schemas.Transaction{{ID: 1, Kind: "sale", Status: "success"}}
		return e
	}
	st2, r := apply(t, st, fetched(schemas.OriginBackfill, "backfill:7:1"), &s)
	if r.Drop != "" || r.Command == nil || len(r.Command.Order.Transactions) != 1 || st2.Version != st.Version || st2.Seq != st.Seq+1 {
		t.Fatalf("richer snapshot of the same version: %+v", r)
	}
	if _, r := apply(t, st2, fetched(schemas.OriginReconcile, "reconcile:7:1"), &s); r.Drop == "" {
		t.Error("a second API read of the same version was applied again")
	}
	if _, r := apply(t, st, fetched(schemas.OriginWebhook, "webhook-2"), &s); r.Drop == "" {
		t.Error("a webhook of an equal version enriched (only API reads may)")
	}
	plain := ev("manual-x", at, "paid")
	plain.Origin = schemas.OriginReconcile
	if _, r := apply(t, st, plain, &s); r.Drop == "" {
		t.Error("an API read that adds nothing was applied")
	}
}

// TestAutoSyncOffRecordsButHolds: with auto_sync off a webhook is recorded (state and an
// outcome saying so) without a command; a forced manual sync then sends it.
func TestAutoSyncOffRecordsButHolds(t *testing.T) {
	s := schemas.DefaultSettings("s.myshopify.com")
	s.AutoSync = false
	e := ev("e1", t0, "paid")
	e.Origin = schemas.OriginWebhook
	st, r := apply(t, nil, e, &s)
	if r.Drop != "" || r.Command != nil || r.Outcome == nil {
		t.Fatalf("held event: %+v", r)
	}
	if r.Outcome.Status != schemas.StatusNotSynced || r.Outcome.Error != "Auto Order Sync is off" || !r.Outcome.Eligible || r.Outcome.Origin != schemas.OriginWebhook {
		t.Errorf("held outcome %+v", r.Outcome)
	}
	if st.Commanded || st.Version != t0.UnixMilli() {
		t.Errorf("held state %+v", st)
	}
	m := &schemas.OrderEvent{EventID: "manual:r1:7", Shop: e.Shop, OrderID: 7, Topic: "manual", Origin: schemas.OriginManual, Force: true}
	st2, r := apply(t, st, m, &s)
	if r.Command == nil || !st2.Commanded || r.Outcome.Status != schemas.StatusInProgress {
		t.Fatalf("manual sync while off: %+v", r)
	}
	if r.Command.Origin != schemas.OriginManual {
		t.Errorf("manual sync's command origin %q", r.Command.Origin)
	}
	// Already in Odoo, auto sync still off: a newer webhook is recorded, not sent.
	e2 := ev("e2", t0.Add(time.Minute), "refunded")
	e2.Origin = schemas.OriginWebhook
	st3, r := apply(t, st2, e2, &s)
	if r.Command != nil || r.Outcome.Status != schemas.StatusNotSynced || !st3.Commanded || st3.Order.FinancialStatus != "refunded" {
		t.Errorf("update of a synced order while off: %+v", r)
	}
	s.AutoSync = true
	e3 := ev("e3", t0.Add(2*time.Minute), "refunded")
	e3.Origin = schemas.OriginWebhook
	if _, r := apply(t, st3, e3, &s); r.Command == nil {
		t.Error("auto sync back on: the next webhook sent nothing")
	}
}

// TestPrivacyRedactsTheStoredSnapshot: a redaction replaces the stored snapshot with
// one without personal data, sends nothing to Odoo and emits a privacy outcome (the
// ClickHouse sink redacts the order's rows on it); an order
// never stored has nothing to redact; a later event still applies.
func TestPrivacyRedactsTheStoredSnapshot(t *testing.T) {
	s := schemas.DefaultSettings("s.myshopify.com")
	e := ev("e1", t0, "paid")
	e.Order.Email, e.Order.Phone, e.Order.Note = "ada@example.com", "+4930", "ring twice"
	e.Order.Customer = &schemas.Customer{ID: 9, Email: "ada@example.com", FirstName: "Ada"}
	e.Order.BillingAddress = &schemas.Address{Name: "Ada Lovelace", Address1: "12 St James's Square"}
	e.Order.ShippingAddress = e.Order.BillingAddress
	e.Order.NoteAttributes = []schemas.NoteAttribute{{Name: "gift message", Value: "for Ada"}}
	e.Order.LineItems = []schemas.LineItem{{ID: 1, Title: "Thing", Quantity: 1}}
	st, _ := apply(t, nil, e, &s)
	p := &schemas.OrderEvent{EventID: "privacy:customers/redact:7:1", Shop: e.Shop, OrderID: 7, Topic: "customers/redact", Origin: schemas.OriginPrivacy, Force: true}
	st2, r := apply(t, st, p, &s)
	if r.Drop != "" || r.Command != nil || r.Outcome == nil || r.Outcome.Stage != schemas.StagePrivacy || r.Outcome.Status != schemas.StatusRedacted ||
		r.Outcome.OrderID != 7 || r.Outcome.Email != "" || r.Outcome.OrderName != "" {
		t.Fatalf("redaction: %+v", r)
	}
	o := st2.Order
	if o.Email != "" || o.Phone != "" || o.Note != "" || o.Customer != nil || o.BillingAddress != nil || o.ShippingAddress != nil || len(o.NoteAttributes) != 0 {
		t.Errorf("personal data left: %+v", o)
	}
	if o.ID != 7 || len(o.LineItems) != 1 || st2.Version != st.Version || st2.Seq != st.Seq+1 || st2.Commanded != st.Commanded {
		t.Errorf("redaction changed more than personal data: %+v", st2)
	}
	if _, r := apply(t, nil, p, &s); r.Drop == "" {
		t.Error("a redaction of an order never stored was applied")
	}
	if _, r := apply(t, st2, ev("e2", t0.Add(time.Minute), "refunded"), &s); r.Command == nil {
		t.Error("after a redaction, a newer event is not applied")
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
