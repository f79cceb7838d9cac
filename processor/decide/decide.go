// Package decide is the processor's per-event logic, without I/O: given what the
// processor knows of an order and a new event, it says whether the event is news,
// and if so the new state, the Odoo command and the outcome to emit.
package decide

import (
	"fmt"
	"slices"
	"time"

	"github.com/synco-dev/synco/rules"
	"github.com/synco-dev/synco/schemas"
)

// recentEvents bounds the event ids remembered per order for deduplication.
const recentEvents = 16

// Result of one event. Drop is non-empty when the event changes nothing.
type Result struct {
	Drop    string
	State   schemas.OrderState
	Command *schemas.OrderSync
	Outcome *schemas.SyncOutcome
}

// fromAPI are the origins whose snapshot Synco read from the Admin API itself, with
// everything GraphQL tells (transactions, refund details) that a webhook body lacks.
var fromAPI = map[string]bool{schemas.OriginBackfill: true, schemas.OriginManual: true, schemas.OriginReconcile: true}

// enriches reports whether a snapshot read from the Admin API adds to the held one of
// the same version: Shopify's updated_at did not move, but the webhook body it came
// as carried no transactions (or fewer refunds). A second read of the same version
// adds nothing and stays a duplicate.
func enriches(origin string, held, fetched *schemas.Order) bool {
	return fromAPI[origin] && (len(fetched.Transactions) > len(held.Transactions) || len(fetched.Refunds) > len(held.Refunds))
}

// redact answers a privacy request of Shopify's (customers/redact, shop/redact): the
// stored snapshot loses the customer's personal data in the state record that replaces
// it in the compacted changelog, and a privacy outcome tells the ClickHouse sink to
// redact the order's rows (nothing goes to Odoo).
func redact(prev *schemas.OrderState, ev *schemas.OrderEvent, now time.Time) Result {
	if prev == nil {
		return Result{Drop: ev.Topic + ": nothing stored of this order"}
	}
	next := *prev
	next.Seq = prev.Seq + 1
	next.Order = Redacted(prev.Order)
	next.RecentEventIDs = append([]string{ev.EventID}, prev.RecentEventIDs...)
	if len(next.RecentEventIDs) > recentEvents {
		next.RecentEventIDs = next.RecentEventIDs[:recentEvents]
	}
	out := schemas.SyncOutcome{OutcomeID: fmt.Sprintf("%s/%d/%d/%d/privacy", ev.Shop, ev.OrderID, next.Version, next.Seq),
		Shop: ev.Shop, OrderID: ev.OrderID, Version: next.Version, Stage: schemas.StagePrivacy, Status: schemas.StatusRedacted, Origin: ev.Origin,
		At: now.UTC().Truncate(time.Millisecond), IneligibleReasons: []string{}, Warnings: []string{}, PaymentGateways: []string{}}
	return Result{State: next, Outcome: &out}
}

// Redacted is o without the customer's personal data: email, phone, the customer,
// both addresses, the note and its attributes (free text a buyer may fill). Ids,
// amounts, lines and statuses stay: they are the shop's books, not the person's.
func Redacted(o schemas.Order) schemas.Order {
	o.Email, o.Phone, o.Note = "", "", ""
	o.Customer, o.BillingAddress, o.ShippingAddress = nil, nil, nil
	o.NoteAttributes = []schemas.NoteAttribute{}
	return o
}

// Event decides what event ev means for an order whose state is prev (nil: unknown).
func Event(prev *schemas.OrderState, ev *schemas.OrderEvent, settings *schemas.ShopSettings, now time.Time) Result {
	if prev != nil && slices.Contains(prev.RecentEventIDs, ev.EventID) && !ev.Force {
		return Result{Drop: "duplicate event " + ev.EventID}
	}
	if ev.Origin == schemas.OriginPrivacy {
		return redact(prev, ev, now)
	}
	snapshot := ev.Order
	if snapshot.UpdatedAt.IsZero() {
		if !ev.Force || prev == nil {
			// refunds/create, orders/edited, orders/delete name the order but carry no
			// snapshot: the orders/updated that Shopify sends with them brings it.
			return Result{Drop: ev.Topic + " carries no order snapshot"}
		}
		// A manual re-sync by id re-applies the latest snapshot we hold.
		snapshot = prev.Order
	}
	version := snapshot.UpdatedAt.UnixMilli()
	if prev != nil {
		switch {
		case version < prev.Version && !ev.Force:
			return Result{Drop: fmt.Sprintf("stale: version %d is older than %d", version, prev.Version)}
		case version == prev.Version && !ev.Force && !enriches(ev.Origin, &prev.Order, &snapshot):
			return Result{Drop: fmt.Sprintf("duplicate: version %d already applied", version)}
		case version < prev.Version:
			// A forced re-sync never moves an order backwards.
			snapshot, version = prev.Order, prev.Version
		}
	}
	next := schemas.OrderState{Shop: ev.Shop, OrderID: ev.OrderID, Version: version, Seq: 1, Order: snapshot,
		RecentEventIDs: []string{ev.EventID}}
	if prev != nil {
		next.Seq = prev.Seq + 1
		next.Commanded = prev.Commanded
		next.RecentEventIDs = append(next.RecentEventIDs, prev.RecentEventIDs...)
		if len(next.RecentEventIDs) > recentEvents {
			next.RecentEventIDs = next.RecentEventIDs[:recentEvents]
		}
	}
	d := rules.Evaluate(settings, &snapshot)
	out := schemas.OutcomeFor(&snapshot, ev.Shop, schemas.StageProcessor)
	out.Total, out.Currency = snapshot.TotalIn(settings.Currency)
	out.OutcomeID = fmt.Sprintf("%s/%d/%d/%d/processor", ev.Shop, ev.OrderID, version, next.Seq)
	out.Version = version
	out.At = now.UTC().Truncate(time.Millisecond)
	out.Eligible = d.Eligible
	out.IneligibleReasons = d.Reasons
	out.Attempt = ev.Attempt
	out.Origin = ev.Origin
	res := Result{State: next, Outcome: &out}
	if rules.Held(settings, ev.Origin, ev.Force) {
		// Recorded (the table shows it) but not sent to Odoo: a manual sync, which is
		// forced, sends it when someone asks.
		out.Status, out.Error = schemas.StatusNotSynced, rules.ReasonAutoSyncOff
		return res
	}
	if !d.Eligible && (prev == nil || !prev.Commanded) {
		out.Status = schemas.StatusNotSynced
		return res
	}
	res.State.Commanded = true
	out.Status = schemas.StatusInProgress
	res.Command = &schemas.OrderSync{
		CommandID: fmt.Sprintf("%s/%d/%d/%d", ev.Shop, ev.OrderID, version, next.Seq),
		Shop:      ev.Shop, OrderID: ev.OrderID, Version: version, Seq: next.Seq,
		IssuedAt: out.At,
		// A retry's re-sync carries its attempt on, so the sink knows the next delay.
		Attempt:   ev.Attempt,
		SaleOrder: d.SaleOrder, Invoice: d.Invoice,
		Eligible: d.Eligible, IneligibleReasons: d.Reasons,
		OdooName: rules.OdooName(settings, &snapshot),
		Origin:   ev.Origin,
		Settings: *settings,
		Order:    snapshot,
	}
	return res
}
