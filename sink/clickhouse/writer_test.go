package clickhouse

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/chstore/chtest"
	"github.com/synco-dev/synco/schemas"
)

const (
	shop    = "demo.myshopify.com"
	bigID   = int64(820982911946154508) // a real Shopify order id: needs all 64 bits
	otherID = int64(450789469)
)

var t0 = time.Date(2025, 10, 14, 9, 30, 0, 123_000_000, time.UTC)

func outcome(id string, orderID int64, stage, status string, at time.Time) schemas.SyncOutcome {
	return schemas.SyncOutcome{
		OutcomeID:         id,
		Shop:              shop,
		OrderID:           orderID,
		Version:           at.UnixMilli(),
		Stage:             stage,
		At:                at,
		OrderName:         "#1001",
		CreatedAt:         time.Date(2025, 10, 14, 9, 0, 0, 0, time.FixedZone("CEST", 2*3600)),
		Email:             "jo@example.com",
		Customer:          "Jo Müller",
		Total:             decimal.RequireFromString("1234567.89"),
		Currency:          "EUR",
		FinancialStatus:   "paid",
		FulfillmentStatus: "unfulfilled",
		Source:            "web",
		Eligible:          true,
		IneligibleReasons: []string{},
		Status:            status,
	}
}

func synced(o schemas.SyncOutcome) schemas.SyncOutcome {
	o.OdooModel, o.OdooID, o.OdooName, o.InvoiceID = "sale.order", 42, "WEB-1001", 7
	o.RPCCalls, o.LatencyMs = 9, 1830
	return o
}

func newWriter(t testing.TB, conn driver.Conn) *Writer {
	return NewWriter(conn, slog.New(slog.DiscardHandler))
}

func write(t *testing.T, w *Writer, batch ...schemas.SyncOutcome) {
	t.Helper()
	if err := w.Write(context.Background(), batch); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

type eventRow struct {
	OutcomeID         string          `ch:"outcome_id"`
	Shop              string          `ch:"shop"`
	OrderID           uint64          `ch:"order_id"`
	Version           uint64          `ch:"version"`
	Stage             string          `ch:"stage"`
	At                time.Time       `ch:"at"`
	AtMs              uint64          `ch:"at_ms"`
	OrderName         string          `ch:"order_name"`
	CreatedAt         time.Time       `ch:"created_at"`
	Customer          string          `ch:"customer"`
	Total             decimal.Decimal `ch:"total"`
	Eligible          uint8           `ch:"eligible"`
	IneligibleReasons []string        `ch:"ineligible_reasons"`
	Status            string          `ch:"status"`
	OdooID            uint64          `ch:"odoo_id"`
	InvoiceID         uint64          `ch:"invoice_id"`
	Error             string          `ch:"error"`
	RetryAt           *time.Time      `ch:"retry_at"`
	Attempt           uint32          `ch:"attempt"`
	RPCCalls          uint32          `ch:"rpc_calls"`
	Origin            string          `ch:"origin"`
	LatencyMs         uint64          `ch:"latency_ms"`
}

func events(t *testing.T, conn driver.Conn) []eventRow {
	t.Helper()
	var rows []eventRow
	if err := conn.Select(context.Background(), &rows, `SELECT outcome_id, shop, order_id, version, stage,
		at, at_ms, order_name, created_at, customer, total, eligible, ineligible_reasons, status,
		odoo_id, invoice_id, error, retry_at, attempt, rpc_calls, origin, latency_ms
		FROM sync_events FINAL ORDER BY outcome_id`); err != nil {
		t.Fatalf("read sync_events: %v", err)
	}
	return rows
}

func orders(t *testing.T, conn driver.Conn) map[int64]orderRow {
	t.Helper()
	var rows []orderRow
	if err := conn.Select(context.Background(), &rows, "SELECT "+orderColumns+" FROM orders FINAL"); err != nil {
		t.Fatalf("read orders: %v", err)
	}
	m := map[int64]orderRow{}
	for _, r := range rows {
		if _, dup := m[int64(r.OrderID)]; dup {
			t.Fatalf("orders FINAL has two rows for %d", r.OrderID)
		}
		m[int64(r.OrderID)] = r
	}
	return m
}

func count(t *testing.T, conn driver.Conn, query string) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestRoundTrip(t *testing.T) {
	db := chtest.New(t)
	w := newWriter(t, db.Conn)

	retry := t0.Add(5 * time.Minute)
	a := outcome("a", bigID, schemas.StageProcessor, schemas.StatusInProgress, t0)
	b := synced(outcome("b", otherID, schemas.StageSinkOdoo, schemas.StatusDelayed, t0))
	b.Total = decimal.RequireFromString("0.0001")
	b.Error, b.RetryAt, b.Attempt = "Odoo 503", &retry, 2
	a.Origin, b.Origin = schemas.OriginWebhook, schemas.OriginReconcile
	c := outcome("c", 3, schemas.StageProcessor, schemas.StatusNotSynced, t0)
	c.Eligible, c.IneligibleReasons = false, []string{"payment_status", "order_source"}
	c.Total = decimal.RequireFromString("-12.5")
	write(t, w, a, b, c)

	ev := events(t, db.Conn)
	if len(ev) != 3 {
		t.Fatalf("sync_events has %d rows, want 3", len(ev))
	}
	e := ev[0]
	if e.OutcomeID != "a" || e.Shop != shop || e.OrderID != uint64(bigID) || e.Stage != schemas.StageProcessor ||
		e.Version != uint64(t0.UnixMilli()) || e.AtMs != uint64(t0.UnixMilli()) || !e.At.Equal(t0.Truncate(time.Second)) ||
		e.OrderName != "#1001" || e.Customer != "Jo Müller" || !e.CreatedAt.Equal(a.CreatedAt) ||
		e.Total.String() != "1234567.89" || e.Eligible != 1 || e.Status != schemas.StatusInProgress || e.RetryAt != nil ||
		e.Origin != schemas.OriginWebhook {
		t.Errorf("sync_events row a = %+v", e)
	}
	if e := ev[1]; e.Total.String() != "0.0001" || e.OdooID != 42 || e.InvoiceID != 7 || e.Error != "Odoo 503" || e.Origin != schemas.OriginReconcile ||
		e.RetryAt == nil || !e.RetryAt.Equal(retry.Truncate(time.Second)) || e.Attempt != 2 || e.RPCCalls != 9 || e.LatencyMs != 1830 {
		t.Errorf("sync_events row b = %+v", e)
	}
	if e := ev[2]; e.Eligible != 0 || !slices.Equal(e.IneligibleReasons, c.IneligibleReasons) || e.Total.String() != "-12.5" {
		t.Errorf("sync_events row c = %+v", e)
	}

	got := orders(t, db.Conn)
	if len(got) != 3 {
		t.Fatalf("orders has %d rows, want 3", len(got))
	}
	o := got[bigID]
	if o.Shop != shop || o.OrderName != "#1001" || !o.CreatedAt.Equal(a.CreatedAt) || o.Email != "jo@example.com" ||
		o.Customer != "Jo Müller" || o.Total.String() != "1234567.89" || o.Currency != "EUR" ||
		o.FinancialStatus != "paid" || o.FulfillmentStatus != "unfulfilled" || o.Source != "web" ||
		o.Eligible != 1 || o.Status != schemas.StatusInProgress || o.OdooID != 0 ||
		!o.UpdatedAt.Equal(t0.Truncate(time.Second)) || o.Version != uint64(t0.UnixMilli()) {
		t.Errorf("orders row %d = %+v", bigID, o)
	}
	if o := got[otherID]; o.Status != schemas.StatusDelayed || o.OdooModel != "sale.order" || o.OdooID != 42 ||
		o.OdooName != "WEB-1001" || o.InvoiceID != 7 || o.Error != "Odoo 503" || o.RetryAt == nil || o.Attempt != 2 {
		t.Errorf("orders row %d = %+v", otherID, o)
	}
	if o := got[3]; o.Eligible != 0 || !slices.Equal(o.IneligibleReasons, c.IneligibleReasons) {
		t.Errorf("orders row 3 = %+v", o)
	}
}

// Kafka delivers at least once: a batch written again, by the same writer or by a
// restarted one, leaves one row per outcome and per order.
func TestRedelivery(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			db := chtest.New(t)
			w := newWriter(t, db.Conn)
			batch := []schemas.SyncOutcome{
				outcome("p1", bigID, schemas.StageProcessor, schemas.StatusInProgress, t0),
				synced(outcome("s1", bigID, schemas.StageSinkOdoo, schemas.StatusSynced, t0.Add(time.Second))),
				outcome("p2", otherID, schemas.StageProcessor, schemas.StatusInProgress, t0),
			}
			write(t, w, batch...)
			rawOrders := count(t, db.Conn, "SELECT count() FROM orders")
			if restart {
				w = newWriter(t, db.Conn)
			}
			write(t, w, batch...)
			write(t, w, batch[1]) // and one outcome alone

			if n := count(t, db.Conn, "SELECT count() FROM sync_events FINAL"); n != 3 {
				t.Errorf("sync_events FINAL has %d rows, want 3", n)
			}
			if n := count(t, db.Conn, "SELECT count() FROM orders FINAL"); n != 2 {
				t.Errorf("orders FINAL has %d rows, want 2", n)
			}
			// Nothing changed, so nothing was written again.
			if n := count(t, db.Conn, "SELECT count() FROM orders"); n != rawOrders {
				t.Errorf("orders has %d rows after redelivery, %d before", n, rawOrders)
			}
			if o := orders(t, db.Conn)[bigID]; o.Status != schemas.StatusSynced || o.OdooID != 42 {
				t.Errorf("orders row = %+v", o)
			}
		})
	}
}

// The life of one order across batches, with a long-lived writer (cache) and with a
// new writer for every batch (state read back from ClickHouse).
func TestOrderLifecycle(t *testing.T) {
	for _, fresh := range []bool{false, true} {
		t.Run(fmt.Sprintf("fresh_writer=%v", fresh), func(t *testing.T) {
			db := chtest.New(t)
			w := newWriter(t, db.Conn)
			step := func(name string, o schemas.SyncOutcome) orderRow {
				t.Helper()
				if fresh {
					w = newWriter(t, db.Conn)
				}
				write(t, w, o)
				r, ok := orders(t, db.Conn)[bigID]
				if !ok {
					t.Fatalf("%s: no orders row", name)
				}
				return r
			}

			r := step("processor", outcome("1", bigID, schemas.StageProcessor, schemas.StatusInProgress, t0))
			if r.Status != schemas.StatusInProgress || r.OdooID != 0 {
				t.Fatalf("after processor: %+v", r)
			}

			r = step("sink", synced(outcome("2", bigID, schemas.StageSinkOdoo, schemas.StatusSynced, t0.Add(2*time.Second))))
			if r.Status != schemas.StatusSynced || r.OdooID != 42 || r.OdooModel != "sale.order" || r.OdooName != "WEB-1001" || r.InvoiceID != 7 {
				t.Fatalf("after sink: %+v", r)
			}

			// orders/paid: a new version goes through the processor; the Odoo record stays.
			newer := outcome("3", bigID, schemas.StageProcessor, schemas.StatusInProgress, t0.Add(10*time.Second))
			newer.FinancialStatus = "refunded"
			r = step("newer processor", newer)
			if r.Status != schemas.StatusInProgress || r.FinancialStatus != "refunded" ||
				r.OdooID != 42 || r.OdooModel != "sale.order" || r.OdooName != "WEB-1001" || r.InvoiceID != 7 {
				t.Fatalf("after newer processor outcome: %+v", r)
			}
			version := r.Version

			// A failure from before the sync, delivered late, changes nothing.
			late := outcome("4", bigID, schemas.StageSinkOdoo, schemas.StatusFailed, t0.Add(time.Second))
			late.Error, late.FinancialStatus = "boom", "pending"
			r = step("late", late)
			if r.Status != schemas.StatusInProgress || r.Error != "" || r.FinancialStatus != "refunded" || r.OdooID != 42 || r.Version != version {
				t.Fatalf("after late outcome: %+v", r)
			}
			if n := count(t, db.Conn, "SELECT count() FROM sync_events FINAL"); n != 4 {
				t.Errorf("sync_events FINAL has %d rows, want 4 (late outcomes are history too)", n)
			}

			// A newer outcome whose clock is behind the stored version still wins.
			next := synced(outcome("5", bigID, schemas.StageSinkOdoo, schemas.StatusSynced, t0.Add(11*time.Second)))
			next.OdooID, next.OdooName, next.InvoiceID = 0, "", 0 // e.g. a sink that reports status only
			r = step("next", next)
			if r.Status != schemas.StatusSynced || r.OdooID != 42 || r.InvoiceID != 7 || r.Version <= version {
				t.Fatalf("after next sink outcome: %+v (version before %d)", r, version)
			}
		})
	}
}

// Outcomes of one order that arrive out of order, in one batch or across batches.
func TestOutOfOrder(t *testing.T) {
	db := chtest.New(t)
	w := newWriter(t, db.Conn)

	// Same millisecond: the sink's outcome comes after the processor's whatever the
	// delivery order.
	proc := outcome("p", bigID, schemas.StageProcessor, schemas.StatusInProgress, t0)
	sink := synced(outcome("s", bigID, schemas.StageSinkOdoo, schemas.StatusSynced, t0))
	write(t, w, sink, proc)
	if r := orders(t, db.Conn)[bigID]; r.Status != schemas.StatusSynced || r.OdooID != 42 {
		t.Fatalf("one batch, sink first: %+v", r)
	}
	write(t, NewWriter(db.Conn, nil), proc) // a restarted writer, redelivered processor outcome
	if r := orders(t, db.Conn)[bigID]; r.Status != schemas.StatusSynced || r.OdooID != 42 {
		t.Fatalf("processor outcome redelivered: %+v", r)
	}

	// The sink's outcome for v1 arrives after the processor's for v2: the status stays
	// v2's, but the Odoo record v1 created is known from then on.
	v2 := outcome("p2", otherID, schemas.StageProcessor, schemas.StatusInProgress, t0.Add(time.Minute))
	v1 := synced(outcome("s1", otherID, schemas.StageSinkOdoo, schemas.StatusSynced, t0.Add(30*time.Second)))
	write(t, w, v2)
	write(t, w, v1)
	if r := orders(t, db.Conn)[otherID]; r.Status != schemas.StatusInProgress || r.OdooID != 42 || r.InvoiceID != 7 {
		t.Fatalf("late sink outcome: %+v", r)
	}
}

// An outcome that names the order only keeps the summary the row has, and a total that
// Decimal(18, 4) cannot hold is said in the error column rather than failing the batch.
func TestSummaryAndBadTotal(t *testing.T) {
	db := chtest.New(t)
	w := newWriter(t, db.Conn)
	write(t, w, outcome("1", bigID, schemas.StageProcessor, schemas.StatusInProgress, t0))
	bare := schemas.SyncOutcome{OutcomeID: "2", Shop: shop, OrderID: bigID, Stage: schemas.StageSinkOdoo,
		At: t0.Add(time.Second), Status: schemas.StatusSynced, Eligible: true, OdooID: 5}
	write(t, w, bare)
	r := orders(t, db.Conn)[bigID]
	if r.OrderName != "#1001" || r.Total.String() != "1234567.89" || r.Status != schemas.StatusSynced || r.OdooID != 5 {
		t.Fatalf("summary-less outcome: %+v", r)
	}

	huge := outcome("3", otherID, schemas.StageProcessor, schemas.StatusInProgress, t0)
	huge.Total = decimal.RequireFromString("123456789012345678")
	write(t, w, huge, schemas.SyncOutcome{OutcomeID: "bad", OrderID: 1}) // no shop: dropped, logged
	r = orders(t, db.Conn)[otherID]
	if !r.Total.IsZero() || r.Error == "" {
		t.Fatalf("huge total: %+v", r)
	}
	if n := count(t, db.Conn, "SELECT count() FROM sync_events WHERE outcome_id = 'bad'"); n != 0 {
		t.Errorf("an outcome without a shop was written")
	}
}

// Stages migrate at every start, over tables that already hold data.
func TestMigrateAgain(t *testing.T) {
	db := chtest.New(t)
	w := newWriter(t, db.Conn)
	write(t, w, outcome("1", bigID, schemas.StageProcessor, schemas.StatusInProgress, t0))
	for range 2 {
		if err := chstore.Migrate(context.Background(), db.Conn); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
	}
	write(t, w, synced(outcome("2", bigID, schemas.StageSinkOdoo, schemas.StatusSynced, t0.Add(time.Second))))
	if r := orders(t, db.Conn)[bigID]; r.Status != schemas.StatusSynced {
		t.Fatalf("after migrating again: %+v", r)
	}
}

// BenchmarkWrite writes batches of 1000 outcomes of new orders: the look-up misses the
// cache, as after a restart.
func BenchmarkWrite(b *testing.B) {
	db := chtest.New(b)
	w := NewWriter(db.Conn, slog.New(slog.DiscardHandler))
	const size = 1000
	batch := make([]schemas.SyncOutcome, size)
	id := int64(1)
	ctx := context.Background()
	for b.Loop() {
		for i := range batch {
			batch[i] = outcome(fmt.Sprint(id), id, schemas.StageProcessor, schemas.StatusInProgress, t0)
			id++
		}
		if err := w.Write(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "outcomes/s")
}

// The look-up filters shops and order ids separately; orders of two shops that share
// ids stay apart.
func TestShopsApart(t *testing.T) {
	db := chtest.New(t)
	other := "other.myshopify.com"
	a := synced(outcome("a", 1, schemas.StageSinkOdoo, schemas.StatusSynced, t0))
	b := outcome("b", 2, schemas.StageProcessor, schemas.StatusFailed, t0)
	b.Shop = other
	write(t, newWriter(t, db.Conn), a, b)

	// A fresh writer, so both orders are looked up: (shop, 2) and (other, 1) are new.
	c := outcome("c", 2, schemas.StageProcessor, schemas.StatusInProgress, t0.Add(time.Second))
	d := outcome("d", 1, schemas.StageProcessor, schemas.StatusNotSynced, t0.Add(time.Second))
	d.Shop = other
	write(t, newWriter(t, db.Conn), c, d)

	var rows []orderRow
	if err := db.Conn.Select(context.Background(), &rows,
		"SELECT "+orderColumns+" FROM orders FINAL ORDER BY shop, order_id"); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[fmt.Sprintf("%s/%d", r.Shop, r.OrderID)] = fmt.Sprintf("%s %d", r.Status, r.OdooID)
	}
	want := map[string]string{
		shop + "/1":  "synced 42",
		shop + "/2":  "in_progress 0",
		other + "/1": "not_synced 0",
		other + "/2": "failed 0",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("orders = %v, want %v", got, want)
	}
}

// The outcome's Odoo facts and gateways reach both tables.
func TestNewFieldsStored(t *testing.T) {
	db := chtest.New(t)
	w := newWriter(t, db.Conn)
	o := synced(outcome("s", bigID, schemas.StageSinkOdoo, schemas.StatusSynced, t0))
	o.Warnings = []string{"line 2 rounded by 0.01", "shipping tax left to Odoo"}
	o.InvoiceState, o.PaymentState, o.RefundedAmount, o.Cancelled = "posted", "partial", decimal.RequireFromString("10.25"), true
	o.PaymentGateways = []string{"shopify_payments", "gift_card"}
	write(t, w, o)

	var ev []chstore.EventRow
	if err := db.Conn.Select(context.Background(), &ev, "SELECT "+chstore.EventColumns+" FROM sync_events"); err != nil {
		t.Fatal(err)
	}
	r := orders(t, db.Conn)[bigID]
	for name, got := range map[string][]any{
		"sync_events": {ev[0].Warnings, ev[0].InvoiceState, ev[0].PaymentState, ev[0].RefundedAmount.String(), ev[0].Cancelled, ev[0].PaymentGateways},
		"orders":      {r.Warnings, r.InvoiceState, r.PaymentState, r.RefundedAmount.String(), r.Cancelled, r.PaymentGateways},
	} {
		if fmt.Sprint(got) != fmt.Sprint([]any{o.Warnings, "posted", "partial", "10.25", uint8(1), o.PaymentGateways}) {
			t.Errorf("%s: %v", name, got)
		}
	}

	// A later processor outcome (it knows nothing of Odoo) keeps them, read back by a
	// new writer.
	p := outcome("p", bigID, schemas.StageProcessor, schemas.StatusInProgress, t0.Add(time.Minute))
	write(t, newWriter(t, db.Conn), p)
	r = orders(t, db.Conn)[bigID]
	if r.Status != schemas.StatusInProgress || r.InvoiceState != "posted" || r.Cancelled != 1 || len(r.Warnings) != 2 || len(r.PaymentGateways) != 2 {
		t.Errorf("after a processor outcome: %+v", r)
	}
}

// Two writers that replace the same row at once (a rebalance overlap) leave rows that
// do not add up; the next write of the order, by a writer that reads it back, repairs
// them.
func TestRepairAfterDoubleWrite(t *testing.T) {
	db := chtest.New(t)
	a, b := newWriter(t, db.Conn), newWriter(t, db.Conn)
	write(t, a, outcome("p", bigID, schemas.StageProcessor, schemas.StatusInProgress, t0))
	s := synced(outcome("s", bigID, schemas.StageSinkOdoo, schemas.StatusSynced, t0.Add(time.Second)))
	write(t, b, s) // reads the processor's row back
	write(t, a, s) // from its cache: cancels the processor's row a second time
	live := func() string {
		var out []string
		rows, err := db.Conn.Query(context.Background(), "SELECT status, sum(toInt64(sign)) AS n FROM orders GROUP BY status HAVING n != 0 ORDER BY status")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			var n int64
			_ = rows.Scan(&st, &n)
			out = append(out, fmt.Sprintf("%s=%d", st, n))
		}
		return strings.Join(out, " ")
	}
	if got := live(); got != "in_progress=-1 synced=2" {
		t.Fatalf("after the double write: %s (the test no longer makes one)", got)
	}
	write(t, newWriter(t, db.Conn), outcome("p2", bigID, schemas.StageProcessor, schemas.StatusInProgress, t0.Add(time.Minute)))
	if got := live(); got != "in_progress=1" {
		t.Errorf("after the repair: %s, want in_progress=1", got)
	}
	var counts int64
	if err := db.Conn.QueryRow(context.Background(), "SELECT sum(n) FROM order_counts WHERE kind = 1 AND status = 'synced'").Scan(&counts); err != nil || counts != 0 {
		t.Errorf("order_counts still counts %d synced (%v)", counts, err)
	}
}

// A write that fails forgets the batch's orders: ClickHouse may have taken it, so the
// retry must read what is stored rather than trust the cache.
func TestFailedWriteForgets(t *testing.T) {
	db := chtest.New(t)
	w := newWriter(t, db.Conn)
	write(t, w, outcome("p", bigID, schemas.StageProcessor, schemas.StatusInProgress, t0))
	k := orderKey{Shop: shop, OrderID: uint64(bigID)}
	if _, ok := w.cache.get(k); !ok {
		t.Fatal("not cached after a write")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Write(ctx, []schemas.SyncOutcome{outcome("s", bigID, schemas.StageSinkOdoo, schemas.StatusSynced, t0.Add(time.Second))}); err == nil {
		t.Fatal("a write with a cancelled context succeeded")
	}
	if _, ok := w.cache.get(k); ok {
		t.Error("still cached after a failed write")
	}
}

// A privacy outcome redacts the order's rows where they are (no row of its own), and
// the order's next write, from the same writer, does not bring the old text back.
func TestPrivacyOutcomeRedacts(t *testing.T) {
	db := chtest.New(t)
	w := newWriter(t, db.Conn)
	write(t, w, synced(outcome("s", bigID, schemas.StageSinkOdoo, schemas.StatusSynced, t0)))
	red := schemas.SyncOutcome{OutcomeID: "red", Shop: shop, OrderID: bigID, Version: t0.UnixMilli(), Stage: schemas.StagePrivacy,
		Status: schemas.StatusRedacted, At: t0.Add(time.Minute), IneligibleReasons: []string{}, Warnings: []string{}, PaymentGateways: []string{}}
	write(t, w, red)
	count := func(q string) uint64 {
		t.Helper()
		var n uint64
		if err := db.Conn.QueryRow(context.Background(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	leak := "SELECT count() FROM %s WHERE positionCaseInsensitive(email, 'jo@') > 0 OR positionCaseInsensitive(customer, 'müller') > 0"
	for _, tb := range []string{"orders", "sync_events"} {
		if n := count(fmt.Sprintf(leak, tb)); n != 0 {
			t.Errorf("%s: %d rows hold the person", tb, n)
		}
	}
	if n := count("SELECT count() FROM sync_events WHERE stage = 'privacy'"); n != 0 {
		t.Error("the privacy outcome became an event row")
	}
	r := orders(t, db.Conn)[bigID]
	if r.Status != schemas.StatusSynced || r.OdooID != 42 || r.Email != "" {
		t.Errorf("after the redaction: %+v", r)
	}
	// The processor's next outcome carries the redacted snapshot (no email): the
	// writer's cancel row is of the redacted row, not the remembered one.
	p := outcome("p2", bigID, schemas.StageProcessor, schemas.StatusInProgress, t0.Add(2*time.Minute))
	p.Email, p.Customer = "", ""
	write(t, w, p)
	if n := count(fmt.Sprintf(leak, "orders")); n != 0 {
		t.Errorf("orders: %d rows hold the person after the next write", n)
	}
}
