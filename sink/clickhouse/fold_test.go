package clickhouse

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/schemas"
)

// The fold alone: no ClickHouse. Each case starts from a previous state (or none),
// plans one batch and checks the rows it would write and the state after.
func TestPlan(t *testing.T) {
	proc := func(id string, at time.Time) schemas.SyncOutcome {
		o := outcome(id, bigID, schemas.StageProcessor, schemas.StatusInProgress, at)
		o.PaymentGateways = []string{"shopify_payments"}
		return o
	}
	sink := func(id, status string, at time.Time) schemas.SyncOutcome {
		o := synced(outcome(id, bigID, schemas.StageSinkOdoo, status, at))
		o.InvoiceState, o.PaymentState, o.RefundedAmount = "posted", "paid", decimal.RequireFromString("5.5")
		o.Warnings, o.PaymentGateways = []string{"rounded 0.01 on line 2"}, []string{"shopify_payments"}
		return o
	}
	// state is what one batch of outs makes of nothing.
	state := func(outs ...schemas.SyncOutcome) orderState {
		k := orderKey{Shop: shop, OrderID: uint64(bigID)}
		next, _ := plan([]orderKey{k}, nil, batchOf(outs))
		return next[k]
	}

	for _, tc := range []struct {
		name  string
		prev  *orderState
		outs  []schemas.SyncOutcome
		check func(t *testing.T, rows []orderRow, st orderState)
	}{{
		name: "a new order",
		outs: []schemas.SyncOutcome{proc("p", t0)},
		check: func(t *testing.T, rows []orderRow, st orderState) {
			if len(rows) != 1 || rows[0].Sign != 1 || rows[0].Version != uint64(t0.UnixMilli()) ||
				rows[0].Status != schemas.StatusInProgress || rows[0].Total.String() != "1234567.89" ||
				!slices.Equal(rows[0].PaymentGateways, []string{"shopify_payments"}) || rows[0].Warnings == nil {
				t.Errorf("rows %+v", rows)
			}
		},
	}, {
		name: "sink after processor, one batch, delivered in reverse",
		outs: []schemas.SyncOutcome{sink("s", schemas.StatusSynced, t0), proc("p", t0)},
		check: func(t *testing.T, rows []orderRow, st orderState) {
			r := rows[len(rows)-1]
			if len(rows) != 1 || r.Status != schemas.StatusSynced || r.OdooID != 42 || r.InvoiceState != "posted" {
				t.Errorf("rows %+v", rows)
			}
		},
	}, {
		name: "needs attention after synced: the status and Odoo's reason, the Odoo ids kept",
		prev: ptr(state(sink("s", schemas.StatusSynced, t0))),
		outs: []schemas.SyncOutcome{func() schemas.SyncOutcome {
			o := outcome("na", bigID, schemas.StageSinkOdoo, schemas.StatusNeedsAttention, t0.Add(time.Minute))
			o.Error = "odoo: sale.order.write: fault 2: The ordered quantity of a sale order line cannot be decreased below the amount already delivered."
			return o
		}()},
		check: func(t *testing.T, rows []orderRow, st orderState) {
			r := rows[len(rows)-1]
			if len(rows) != 2 || r.Sign != 1 || r.Status != schemas.StatusNeedsAttention || !strings.Contains(r.Error, "below the amount already delivered") ||
				r.OdooID != 42 || r.InvoiceID != 7 || r.InvoiceState != "posted" {
				t.Errorf("rows %+v", rows)
			}
		},
	}, {
		name: "a processor outcome keeps what the sink said",
		prev: ptr(state(sink("s", schemas.StatusSynced, t0))),
		outs: []schemas.SyncOutcome{func() schemas.SyncOutcome {
			o := outcome("p2", bigID, schemas.StageProcessor, schemas.StatusInProgress, t0.Add(time.Minute))
			o.FinancialStatus = "refunded"
			return o // no Odoo ids, states, warnings or gateways
		}()},
		check: func(t *testing.T, rows []orderRow, st orderState) {
			if len(rows) != 2 || rows[0].Sign != -1 || rows[0].Status != schemas.StatusSynced || rows[1].Sign != 1 {
				t.Fatalf("want the cancel of the synced row and the new row: %+v", rows)
			}
			r := rows[1]
			if r.Status != schemas.StatusInProgress || r.FinancialStatus != "refunded" ||
				r.OdooModel != "sale.order" || r.OdooID != 42 || r.OdooName != "WEB-1001" || r.InvoiceID != 7 ||
				r.InvoiceState != "posted" || r.PaymentState != "paid" || r.RefundedAmount.String() != "5.5" ||
				!slices.Equal(r.Warnings, []string{"rounded 0.01 on line 2"}) ||
				!slices.Equal(r.PaymentGateways, []string{"shopify_payments"}) {
				t.Errorf("new row %+v", r)
			}
			if st.row.Version != uint64(t0.Add(time.Minute).UnixMilli()) {
				t.Errorf("version %d", st.row.Version)
			}
		},
	}, {
		name: "a newer synced sink outcome replaces the warnings and the states",
		prev: ptr(state(sink("s", schemas.StatusSynced, t0))),
		outs: []schemas.SyncOutcome{func() schemas.SyncOutcome {
			o := sink("s2", schemas.StatusSynced, t0.Add(time.Minute))
			o.Warnings, o.InvoiceState, o.PaymentState = nil, "cancel", "reversed"
			o.Cancelled, o.RefundedAmount = true, decimal.RequireFromString("1234567.89")
			return o
		}()},
		check: func(t *testing.T, rows []orderRow, st orderState) {
			r := st.row
			if len(r.Warnings) != 0 || r.Warnings == nil || r.InvoiceState != "cancel" || r.PaymentState != "reversed" ||
				r.Cancelled != 1 || r.RefundedAmount.String() != "1234567.89" {
				t.Errorf("row %+v", r)
			}
		},
	}, {
		name: "a delayed sink outcome keeps the last sync's warnings",
		prev: ptr(state(sink("s", schemas.StatusSynced, t0))),
		outs: []schemas.SyncOutcome{func() schemas.SyncOutcome {
			o := outcome("d", bigID, schemas.StageSinkOdoo, schemas.StatusDelayed, t0.Add(time.Minute))
			o.Error = "Odoo is unreachable"
			return o
		}()},
		check: func(t *testing.T, rows []orderRow, st orderState) {
			r := st.row
			if r.Status != schemas.StatusDelayed || r.Error != "Odoo is unreachable" ||
				!slices.Equal(r.Warnings, []string{"rounded 0.01 on line 2"}) || r.InvoiceState != "posted" || r.OdooID != 42 {
				t.Errorf("row %+v", r)
			}
		},
	}, {
		name: "an older outcome never overwrites the newer status, but fills in what is missing",
		prev: ptr(state(proc("p2", t0.Add(time.Minute)))),
		outs: []schemas.SyncOutcome{func() schemas.SyncOutcome {
			o := sink("s1", schemas.StatusFailed, t0.Add(30*time.Second))
			o.Error, o.FinancialStatus = "boom", "pending"
			return o
		}()},
		check: func(t *testing.T, rows []orderRow, st orderState) {
			r := st.row
			if r.Status != schemas.StatusInProgress || r.Error != "" || r.FinancialStatus != "paid" ||
				r.OdooID != 42 || r.InvoiceID != 7 || r.InvoiceState != "posted" || r.RefundedAmount.String() != "5.5" ||
				!slices.Equal(r.Warnings, []string{"rounded 0.01 on line 2"}) {
				t.Errorf("row %+v", r)
			}
			if r.Version != uint64(t0.Add(time.Minute).UnixMilli())+1 {
				t.Errorf("a changed row needs a new version: %d", r.Version)
			}
		},
	}, {
		name: "an older outcome that adds nothing writes nothing",
		prev: ptr(state(sink("s", schemas.StatusSynced, t0.Add(time.Minute)))),
		outs: []schemas.SyncOutcome{proc("p", t0)},
		check: func(t *testing.T, rows []orderRow, st orderState) {
			if len(rows) != 0 || st.row.Version != uint64(t0.Add(time.Minute).UnixMilli()) || st.row.Status != schemas.StatusSynced {
				t.Errorf("rows %+v, state %+v", rows, st.row)
			}
		},
	}, {
		name: "a redelivery writes nothing",
		prev: ptr(state(proc("p", t0), sink("s", schemas.StatusSynced, t0.Add(time.Second)))),
		outs: []schemas.SyncOutcome{proc("p", t0), sink("s", schemas.StatusSynced, t0.Add(time.Second))},
		check: func(t *testing.T, rows []orderRow, st orderState) {
			if len(rows) != 0 {
				t.Errorf("rows %+v", rows)
			}
		},
	}, {
		name: "a newer outcome with a clock behind the stored version still wins",
		prev: ptr(func() orderState {
			st := state(sink("s", schemas.StatusSynced, t0))
			st.row.Version = uint64(t0.Add(time.Hour).UnixMilli())
			return st
		}()),
		outs: []schemas.SyncOutcome{sink("s2", schemas.StatusFailed, t0.Add(time.Minute))},
		check: func(t *testing.T, rows []orderRow, st orderState) {
			if st.row.Status != schemas.StatusFailed || st.row.Version != uint64(t0.Add(time.Hour).UnixMilli())+1 {
				t.Errorf("row %+v", st.row)
			}
		},
	}, {
		name: "an outcome without the summary keeps the stored one",
		prev: ptr(state(proc("p", t0))),
		outs: []schemas.SyncOutcome{{OutcomeID: "b", Shop: shop, OrderID: bigID, Stage: schemas.StageSinkOdoo,
			At: t0.Add(time.Second), Status: schemas.StatusSynced, Eligible: true, OdooID: 5}},
		check: func(t *testing.T, rows []orderRow, st orderState) {
			if r := st.row; r.OrderName != "#1001" || r.Total.String() != "1234567.89" || r.OdooID != 5 ||
				!slices.Equal(r.PaymentGateways, []string{"shopify_payments"}) {
				t.Errorf("row %+v", r)
			}
		},
	}, {
		name: "repairs of the stored rows go out first, also when nothing changes",
		prev: ptr(func() orderState {
			st := state(sink("s", schemas.StatusSynced, t0))
			st.fixes = []orderRow{st.row.Cancel()}
			return st
		}()),
		outs: []schemas.SyncOutcome{sink("s", schemas.StatusSynced, t0)},
		check: func(t *testing.T, rows []orderRow, st orderState) {
			if len(rows) != 1 || rows[0].Sign != -1 || st.fixes != nil {
				t.Errorf("rows %+v, fixes left %v", rows, st.fixes)
			}
		},
	}, {
		name: "amounts too large for Decimal(18, 4) are stored as 0 and said in the error",
		outs: []schemas.SyncOutcome{func() schemas.SyncOutcome {
			o := proc("p", t0)
			o.Total, o.RefundedAmount = decimal.RequireFromString("123456789012345678"), decimal.RequireFromString("1e15")
			o.Error = "Odoo said no"
			return o
		}()},
		check: func(t *testing.T, rows []orderRow, st orderState) {
			r := st.row
			if !r.Total.IsZero() || !r.RefundedAmount.IsZero() || !strings.HasPrefix(r.Error, "Odoo said no; total ") ||
				!strings.Contains(r.Error, "refunded_amount") {
				t.Errorf("row %+v", r)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			k := orderKey{Shop: shop, OrderID: uint64(bigID)}
			prev := map[orderKey]orderState{}
			if tc.prev != nil {
				prev[k] = *tc.prev
			}
			next, rows := plan([]orderKey{k}, prev, batchOf(tc.outs))
			for _, r := range rows {
				if r.Sign != 1 && r.Sign != -1 {
					t.Errorf("row with sign %d", r.Sign)
				}
			}
			if tc.prev != nil && len(rows) > 0 && rows[len(rows)-1].Sign == 1 {
				// A replaced row is cancelled with exactly what was stored.
				if i := slices.IndexFunc(rows, func(r orderRow) bool { return r.Sign == -1 }); i >= 0 && len(tc.prev.fixes) == 0 {
					c := rows[i]
					c.Sign = 1
					if !sameRow(&c, &tc.prev.row) || c.Version != tc.prev.row.Version {
						t.Errorf("cancel %+v is not the stored row %+v", rows[i], tc.prev.row)
					}
				}
			}
			tc.check(t, rows, next[k])
		})
	}
}

func batchOf(outs []schemas.SyncOutcome) map[orderKey][]*schemas.SyncOutcome {
	m := map[orderKey][]*schemas.SyncOutcome{}
	for i := range outs {
		k := keyOf(&outs[i])
		m[k] = append(m[k], &outs[i])
	}
	return m
}

func ptr[T any](v T) *T { return &v }
