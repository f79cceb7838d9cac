package clickhouse

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/schemas"
)

// This file is the pure half of the sink: outcomes in, rows out, no I/O. writer.go
// reads the previous states and writes what plan returns.

// orderRow is a row of `orders` (its one declaration is chstore.OrderRow).
type orderRow = chstore.OrderRow

// orderColumns lists the columns of orderRow.
var orderColumns = chstore.OrderColumns

type orderKey = chstore.OrderKey

func keyOf(o *schemas.SyncOutcome) orderKey {
	return orderKey{Shop: o.Shop, OrderID: uint64(o.OrderID)}
}

// position orders the outcomes of one order: by time, then by stage (a sink outcome
// stamped in the same millisecond as the processor's comes after it).
type position struct {
	atMs int64
	rank int
}

func (p position) less(q position) bool {
	if p.atMs != q.atMs {
		return p.atMs < q.atMs
	}
	return p.rank < q.rank
}

// stageRanks is the pipeline order of the stages. An unknown stage ranks 0.
var stageRanks = []string{schemas.StageProcessor, schemas.StageSinkOdoo}

func stageRank(stage string) int {
	return slices.Index(stageRanks, stage) + 1
}

func positionOf(o *schemas.SyncOutcome) position {
	return position{atMs: unixMs(o.At), rank: stageRank(o.Stage)}
}

// orderState is what the fold needs to know about an order: its live orders row (sign
// 1), the position of the outcome that decided its status, and the rows that would
// repair what is stored for it (chstore.Settle; usually none).
type orderState struct {
	row        orderRow
	hasRow     bool
	decided    position
	hasDecided bool
	fixes      []orderRow
}

// plan folds each order's outcomes of one batch into its previous state. It returns
// the orders' new states and the rows to write: for an order whose row changes, the
// fixes of its stored rows, the cancel of its live row and the new row; for one that
// does not change (a redelivery, an old outcome), only the fixes, and its stored
// version stays.
func plan(keys []orderKey, prev map[orderKey]orderState, outs map[orderKey][]*schemas.SyncOutcome) (map[orderKey]orderState, []orderRow) {
	next := make(map[orderKey]orderState, len(keys))
	var rows []orderRow
	for _, k := range keys {
		before := prev[k]
		rows = append(rows, before.fixes...)
		after := fold(before, outs[k])
		after.fixes = nil
		if before.hasRow && sameRow(&before.row, &after.row) {
			after.row.Version = before.row.Version
			next[k] = after
			continue
		}
		if before.hasRow {
			rows = append(rows, before.row.Cancel())
		}
		next[k] = after
		rows = append(rows, after.row)
	}
	return next, rows
}

// fold applies one order's outcomes of this batch to its previous state.
//
// The newest outcome (by position) decides status, eligibility, error, retry and the
// order summary. What is known from Odoo accumulates, as the Odoo identifiers always
// have: a newer outcome without it (the processor's in_progress for a new version of
// the order knows nothing of Odoo) keeps what is known, and an outcome older than the
// stored row, which must not change its status, still fills in what the row lacks (a
// sink outcome delivered after a newer processor outcome). That holds for the Odoo
// record and invoice ids, the invoice and payment states, the refunded amount, the
// cancelled flag and the payment gateways. Warnings are the latest synced Odoo sink
// outcome's: it replaces them (none included); other outcomes carry them.
func fold(st orderState, outs []*schemas.SyncOutcome) orderState {
	slices.SortStableFunc(outs, func(a, b *schemas.SyncOutcome) int {
		pa, pb := positionOf(a), positionOf(b)
		switch {
		case pa.less(pb):
			return -1
		case pb.less(pa):
			return 1
		}
		return 0
	})
	switch {
	case !st.hasRow:
		// A new order, or sync_events got an earlier attempt of this batch but orders
		// did not: build the row from the outcomes at hand.
		st.hasDecided = false
	case !st.hasDecided:
		// A row without events (say they were dropped by a retention policy): its
		// second-precision time is the best bar there is.
		st.decided, st.hasDecided = position{atMs: unixMs(st.row.UpdatedAt)}, true
	}
	prevVersion, hadRow := st.row.Version, st.hasRow
	r := st.row
	for _, o := range outs {
		p := positionOf(o)
		if st.hasDecided && p.less(st.decided) {
			late := rowFrom(o)
			carryOdoo(&r, refOf(o))
			carryFacts(&r, &late)
			if len(r.Warnings) == 0 {
				r.Warnings = late.Warnings
			}
			continue
		}
		// Equal positions apply too: a redelivery then rewrites the same values.
		n := rowFrom(o)
		if st.hasRow {
			if !hasSummary(o) {
				copySummary(&n, &r)
			}
			carryOdoo(&n, refOfRow(&r))
			carryFacts(&n, &r)
			if !(o.Stage == schemas.StageSinkOdoo && o.Status == schemas.StatusSynced) {
				n.Warnings = r.Warnings
				if len(o.Warnings) > 0 {
					n.Warnings = nonNil(o.Warnings)
				}
			}
		}
		r = n
		st.decided, st.hasDecided, st.hasRow = p, true, true
	}
	// A new row must win over every earlier one, even when its outcome's clock is
	// behind the version stored: versions only grow.
	r.Version = uint64(max(st.decided.atMs, 0))
	if hadRow && r.Version <= prevVersion {
		r.Version = prevVersion + 1
	}
	r.Sign = 1
	st.row, st.hasRow = r, true
	return st
}

// odooRef is what an order is known by in Odoo.
type odooRef struct {
	model   string
	id      uint64
	name    string
	invoice uint64
}

func refOf(o *schemas.SyncOutcome) odooRef {
	return odooRef{o.OdooModel, uint64(max(o.OdooID, 0)), o.OdooName, uint64(max(o.InvoiceID, 0))}
}

func refOfRow(r *orderRow) odooRef {
	return odooRef{r.OdooModel, r.OdooID, r.OdooName, r.InvoiceID}
}

// carryOdoo fills in the Odoo identifiers that r lacks from ref.
func carryOdoo(r *orderRow, ref odooRef) {
	if r.OdooID == 0 && ref.id != 0 {
		r.OdooModel, r.OdooID, r.OdooName = ref.model, ref.id, ref.name
	} else if r.OdooID != 0 && r.OdooID == ref.id {
		r.OdooModel = cmp.Or(r.OdooModel, ref.model)
		r.OdooName = cmp.Or(r.OdooName, ref.name)
	}
	if r.InvoiceID == 0 {
		r.InvoiceID = ref.invoice
	}
}

// carryFacts fills in what r does not know of the order in Odoo and of its payment
// gateways from src.
func carryFacts(r, src *orderRow) {
	r.InvoiceState = cmp.Or(r.InvoiceState, src.InvoiceState)
	r.PaymentState = cmp.Or(r.PaymentState, src.PaymentState)
	if r.RefundedAmount.IsZero() {
		r.RefundedAmount = src.RefundedAmount
	}
	r.Cancelled = max(r.Cancelled, src.Cancelled)
	if len(r.PaymentGateways) == 0 {
		r.PaymentGateways = src.PaymentGateways
	}
}

// hasSummary tells an outcome that carries the order's summary from one that names the
// order only (then the stored summary stays).
func hasSummary(o *schemas.SyncOutcome) bool {
	return o.OrderName != "" || !o.CreatedAt.IsZero()
}

func copySummary(dst, src *orderRow) {
	dst.OrderName, dst.CreatedAt, dst.Email, dst.Customer = src.OrderName, src.CreatedAt, src.Email, src.Customer
	dst.Total, dst.Currency = src.Total, src.Currency
	dst.FinancialStatus, dst.FulfillmentStatus, dst.Source = src.FinancialStatus, src.FulfillmentStatus, src.Source
}

func rowFrom(o *schemas.SyncOutcome) orderRow {
	m := money(o)
	return orderRow{
		Shop:       o.Shop,
		OrderID:    uint64(o.OrderID),
		OrderState: stateOf(o, m),
		UpdatedAt:  dateTime(o.At),
		OrderFacts: factsOf(o, m),
		Sign:       1,
	}
}

// eventOf is the outcome's row of sync_events.
func eventOf(o *schemas.SyncOutcome) chstore.EventRow {
	m := money(o)
	return chstore.EventRow{
		OutcomeID:  o.OutcomeID,
		Shop:       o.Shop,
		OrderID:    uint64(o.OrderID),
		Version:    uint64(max(o.Version, 0)),
		Stage:      o.Stage,
		At:         dateTime(o.At),
		AtMs:       uint64(max(unixMs(o.At), 0)),
		OrderState: stateOf(o, m),
		RPCCalls:   uint32(max(o.RPCCalls, 0)),
		LatencyMs:  uint64(max(o.LatencyMs, 0)),
		OrderFacts: factsOf(o, m),
		Origin:     o.Origin,
	}
}

// stateOf and factsOf are the columns orders and sync_events share, from the outcome.
func stateOf(o *schemas.SyncOutcome, m amounts) chstore.OrderState {
	return chstore.OrderState{
		OrderName:         o.OrderName,
		CreatedAt:         dateTime(o.CreatedAt),
		Email:             o.Email,
		Customer:          o.Customer,
		Total:             m.total,
		Currency:          o.Currency,
		FinancialStatus:   o.FinancialStatus,
		FulfillmentStatus: o.FulfillmentStatus,
		Source:            o.Source,
		Eligible:          boolU8(o.Eligible),
		IneligibleReasons: nonNil(o.IneligibleReasons),
		Status:            o.Status,
		OdooModel:         o.OdooModel,
		OdooID:            uint64(max(o.OdooID, 0)),
		OdooName:          o.OdooName,
		InvoiceID:         uint64(max(o.InvoiceID, 0)),
		Error:             m.errText,
		RetryAt:           nullableDateTime(o.RetryAt),
		Attempt:           uint32(max(o.Attempt, 0)),
	}
}

func factsOf(o *schemas.SyncOutcome, m amounts) chstore.OrderFacts {
	return chstore.OrderFacts{
		Warnings:        nonNil(o.Warnings),
		InvoiceState:    o.InvoiceState,
		PaymentState:    o.PaymentState,
		RefundedAmount:  m.refunded,
		Cancelled:       boolU8(o.Cancelled),
		PaymentGateways: nonNil(o.PaymentGateways),
	}
}

// sameRow reports whether writing b would change nothing over a (version aside).
func sameRow(a, b *orderRow) bool {
	return a.Shop == b.Shop && a.OrderID == b.OrderID && a.OrderName == b.OrderName &&
		a.CreatedAt.Equal(b.CreatedAt) && a.Email == b.Email && a.Customer == b.Customer &&
		a.Total.Equal(b.Total) && a.Currency == b.Currency &&
		a.FinancialStatus == b.FinancialStatus && a.FulfillmentStatus == b.FulfillmentStatus &&
		a.Source == b.Source && a.Eligible == b.Eligible &&
		slices.Equal(a.IneligibleReasons, b.IneligibleReasons) && a.Status == b.Status &&
		a.OdooModel == b.OdooModel && a.OdooID == b.OdooID && a.OdooName == b.OdooName &&
		a.InvoiceID == b.InvoiceID && a.Error == b.Error &&
		((a.RetryAt == nil && b.RetryAt == nil) || (a.RetryAt != nil && b.RetryAt != nil && a.RetryAt.Equal(*b.RetryAt))) &&
		a.Attempt == b.Attempt && a.UpdatedAt.Equal(b.UpdatedAt) &&
		slices.Equal(a.Warnings, b.Warnings) && a.InvoiceState == b.InvoiceState && a.PaymentState == b.PaymentState &&
		a.RefundedAmount.Equal(b.RefundedAmount) && a.Cancelled == b.Cancelled &&
		slices.Equal(a.PaymentGateways, b.PaymentGateways) && a.Sign == b.Sign
}

// maxAmount is the first value Decimal(18, 4) cannot hold.
var maxAmount = decimal.New(1, 14)

type amounts struct {
	total, refunded decimal.Decimal
	errText         string
}

// money returns the outcome's total and refunded amount as Decimal(18, 4) stores them,
// and its error text. Shopify amounts have at most 4 decimals, so rounding never
// changes a real one. An amount too large to store (no real order) becomes 0 with the
// reason in the error column, rather than failing the batch and stalling the sink.
func money(o *schemas.SyncOutcome) amounts {
	a := amounts{errText: o.Error}
	var notes []string
	fit := func(name string, d decimal.Decimal) decimal.Decimal {
		if d.Round(4).Abs().GreaterThanOrEqual(maxAmount) {
			notes = append(notes, fmt.Sprintf("%s %s does not fit ClickHouse Decimal(18, 4); stored as 0", name, d))
			return decimal.Zero
		}
		return d.Round(4)
	}
	a.total = fit("total", o.Total)
	a.refunded = fit("refunded_amount", o.RefundedAmount)
	if len(notes) > 0 {
		if a.errText != "" {
			notes = append([]string{a.errText}, notes...)
		}
		a.errText = strings.Join(notes, "; ")
	}
	return a
}

// dateTime converts to what a ClickHouse DateTime holds: UTC seconds since 1970; the
// zero time (no date known) becomes 1970-01-01.
func dateTime(t time.Time) time.Time {
	if t.Unix() <= 0 {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC().Truncate(time.Second)
}

func nullableDateTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := dateTime(*t)
	return &v
}

func unixMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func boolU8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
