// Package clickhouse is the core of the ClickHouse sink: it turns batches of
// SyncOutcomes into rows of `sync_events` (one per outcome) and `orders` (the latest
// row per order, the table people look at). The Kafka loop around it lives elsewhere;
// it calls Write once per batch and commits offsets after Write returns nil.
//
// Both tables are ReplacingMergeTrees, so a redelivered batch is harmless: sync_events
// collapses by outcome_id and an orders row that would not change is not written again.
package clickhouse

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/schemas"
)

// Writer writes outcome batches. Calls to Write are serialised: the orders fold reads
// what the previous batch wrote.
type Writer struct {
	conn   driver.Conn
	logger *slog.Logger

	mu    sync.Mutex
	cache *lru // orderKey -> orderState as last written or read
}

// NewWriter returns a Writer over conn, whose database holds the tables of
// chstore.Migrate.
func NewWriter(conn driver.Conn, logger *slog.Logger) *Writer {
	if logger == nil {
		logger = slog.Default()
	}
	return &Writer{conn: conn, logger: logger, cache: newLRU(cacheSize)}
}

// cacheSize bounds the orders remembered between batches (a few hundred bytes each).
const cacheSize = 100_000

// lookupChunk bounds the keys per look-up query, keeping it well under ClickHouse's
// max_query_size (256 KiB) even with long shop domains.
const lookupChunk = 1000

// ResetCache forgets the remembered orders rows. Call it when the consumer's partition
// assignment changes: another instance may have written the orders it now gets.
func (w *Writer) ResetCache() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cache = newLRU(cacheSize)
}

// Write inserts one batch of outcomes: every outcome into sync_events, and one row per
// changed (shop, order_id) into orders. It returns only after ClickHouse accepted both
// inserts, so the caller may then commit the batch's Kafka offsets. On an error nothing
// is remembered, and writing the same batch again is safe.
func (w *Writer) Write(ctx context.Context, batch []schemas.SyncOutcome) error {
	w.mu.Lock()
	defer w.mu.Unlock()

	outs := make([]schemas.SyncOutcome, 0, len(batch))
	for _, o := range batch {
		// A bad outcome is a bug upstream; failing the batch would stall every shop
		// behind it forever, so it is logged and left in Kafka.
		if o.Shop == "" || o.OrderID < 0 {
			w.logger.Error("clickhouse sink: dropping an outcome without a shop or with a negative order id",
				"outcome_id", o.OutcomeID, "shop", o.Shop, "order_id", o.OrderID, "stage", o.Stage)
			continue
		}
		outs = append(outs, o)
	}
	if len(outs) == 0 {
		return nil
	}

	byOrder := map[orderKey][]*schemas.SyncOutcome{}
	var keys []orderKey
	for i := range outs {
		k := orderKey{outs[i].Shop, outs[i].OrderID}
		if _, ok := byOrder[k]; !ok {
			keys = append(keys, k)
		}
		byOrder[k] = append(byOrder[k], &outs[i])
	}
	// Read the state before this batch's outcomes are in sync_events, so that the fold
	// sees them as new.
	prev, err := w.previous(ctx, keys)
	if err != nil {
		return err
	}
	// sync_events before orders: its newest outcome per order is the bar the fold
	// compares with when the cache misses, so it must never lag behind orders.
	if err := w.insertEvents(ctx, outs); err != nil {
		return err
	}

	next := make(map[orderKey]orderState, len(keys))
	var rows []*orderRow
	for _, k := range keys {
		before := prev[k]
		after := fold(before, byOrder[k])
		if before.hasRow && sameRow(&before.row, &after.row) {
			// A redelivery, or an old outcome that changes nothing: not written, so
			// the stored version stays.
			after.row.Version = before.row.Version
			next[k] = after
			continue
		}
		next[k] = after
		rows = append(rows, &after.row)
	}
	if err := w.insertOrders(ctx, rows); err != nil {
		return err
	}
	for k, st := range next {
		w.cache.put(k, st)
	}
	return nil
}

type orderKey struct {
	shop    string
	orderID int64
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

// orderState is what the fold needs to know about an order: its current orders row and
// the position of the outcome that decided its status.
type orderState struct {
	row        orderRow
	hasRow     bool
	decided    position
	hasDecided bool
}

// orderRow is a row of `orders`.
type orderRow struct {
	Shop              string          `ch:"shop"`
	OrderID           uint64          `ch:"order_id"`
	OrderName         string          `ch:"order_name"`
	CreatedAt         time.Time       `ch:"created_at"`
	Email             string          `ch:"email"`
	Customer          string          `ch:"customer"`
	Total             decimal.Decimal `ch:"total"`
	Currency          string          `ch:"currency"`
	FinancialStatus   string          `ch:"financial_status"`
	FulfillmentStatus string          `ch:"fulfillment_status"`
	Source            string          `ch:"source"`
	Eligible          uint8           `ch:"eligible"`
	IneligibleReasons []string        `ch:"ineligible_reasons"`
	Status            string          `ch:"status"`
	OdooModel         string          `ch:"odoo_model"`
	OdooID            uint64          `ch:"odoo_id"`
	OdooName          string          `ch:"odoo_name"`
	InvoiceID         uint64          `ch:"invoice_id"`
	Error             string          `ch:"error"`
	RetryAt           *time.Time      `ch:"retry_at"`
	Attempt           uint32          `ch:"attempt"`
	UpdatedAt         time.Time       `ch:"updated_at"`
	Version           uint64          `ch:"version"`
}

const orderColumns = `shop, order_id, order_name, created_at, email, customer, total, currency,
	financial_status, fulfillment_status, source, eligible, ineligible_reasons, status,
	odoo_model, odoo_id, odoo_name, invoice_id, error, retry_at, attempt, updated_at, version`

// fold applies one order's outcomes of this batch to its previous state.
//
// The newest outcome (by position) decides status, eligibility, error, retry and the
// order summary. Odoo identifiers only ever accumulate: a newer outcome without them
// (the processor's in_progress for a new version of the order) keeps the ones already
// known, and an outcome older than the stored row, which must not change its status,
// still fills in identifiers the row lacks (a sink outcome delivered after a newer
// processor outcome).
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
			carryOdoo(&r, refOf(o))
			continue
		}
		// Equal positions apply too: a redelivery then rewrites the same values.
		n := rowFrom(o)
		if st.hasRow {
			if !hasSummary(o) {
				copySummary(&n, &r)
			}
			carryOdoo(&n, refOfRow(&r))
		}
		r = n
		st.decided, st.hasDecided, st.hasRow = p, true, true
	}
	// A new row must win over every earlier one in ReplacingMergeTree(version), even
	// when its outcome's clock is behind the version stored.
	r.Version = uint64(max(st.decided.atMs, 0))
	if hadRow && r.Version <= prevVersion {
		r.Version = prevVersion + 1
	}
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
	total, errText := money(o)
	return orderRow{
		Shop:              o.Shop,
		OrderID:           uint64(o.OrderID),
		OrderName:         o.OrderName,
		CreatedAt:         dateTime(o.CreatedAt),
		Email:             o.Email,
		Customer:          o.Customer,
		Total:             total,
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
		Error:             errText,
		RetryAt:           nullableDateTime(o.RetryAt),
		Attempt:           uint32(max(o.Attempt, 0)),
		UpdatedAt:         dateTime(o.At),
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
		a.Attempt == b.Attempt && a.UpdatedAt.Equal(b.UpdatedAt)
}

// previous returns the state of every key: from the cache, else from ClickHouse (the
// orders row, and the position of the order's newest outcome in sync_events).
func (w *Writer) previous(ctx context.Context, keys []orderKey) (map[orderKey]orderState, error) {
	states := make(map[orderKey]orderState, len(keys))
	var missing []orderKey
	for _, k := range keys {
		if st, ok := w.cache.get(k); ok {
			states[k] = st
		} else {
			missing = append(missing, k)
		}
	}
	for chunk := range slices.Chunk(missing, lookupChunk) {
		if err := w.lookup(ctx, chunk, states); err != nil {
			return nil, err
		}
	}
	return states, nil
}

// lookup reads the state of keys from ClickHouse into states, with two queries run
// side by side.
//
// They filter by `shop IN (...) AND order_id IN (...)` rather than by tuples, which
// 18.16 evaluates about three times slower; the extra rows that the cross product may
// match (an order id of one shop asked for in another) are dropped here.
func (w *Writer) lookup(ctx context.Context, keys []orderKey, states map[orderKey]orderState) error {
	want := make(map[orderKey]bool, len(keys))
	var shops []any
	// Order ids are numbers, so they go into the query as they are; shop domains are
	// bound (quoted by the driver). The client-side binding renders a Go slice as an
	// array, which IN does not take.
	ids := make([]byte, 0, 20*len(keys))
	for i, k := range keys {
		want[k] = true
		if !slices.Contains(shops, any(k.shop)) {
			shops = append(shops, k.shop)
		}
		if i > 0 {
			ids = append(ids, ',')
		}
		ids = strconv.AppendUint(ids, uint64(k.orderID), 10)
	}
	where := "shop IN (?" + strings.Repeat(", ?", len(shops)-1) + ") AND order_id IN (" + string(ids) + ")"

	var rows []orderRow
	rowsErr := make(chan error, 1)
	go func() {
		rowsErr <- w.conn.Select(ctx, &rows,
			"SELECT "+orderColumns+" FROM orders FINAL WHERE "+where, shops...)
	}()
	// The newest outcome decided the orders row (older ones never do), so its position
	// is the bar a new outcome has to clear.
	var newest []struct {
		Shop    string `ch:"shop"`
		OrderID uint64 `ch:"order_id"`
		Pos     uint64 `ch:"pos"`
	}
	newestErr := w.conn.Select(ctx, &newest,
		`SELECT shop, order_id, max(at_ms * 8 + transform(stage, ?, ?, 0)) AS pos
		FROM sync_events WHERE `+where+` GROUP BY shop, order_id`,
		append([]any{stageRanks, rankValues()}, shops...)...)
	if err := <-rowsErr; err != nil {
		return fmt.Errorf("read previous orders rows: %w", err)
	}
	if newestErr != nil {
		return fmt.Errorf("read newest outcome positions: %w", newestErr)
	}

	for _, r := range rows {
		k := orderKey{r.Shop, int64(r.OrderID)}
		if want[k] {
			st := states[k]
			st.row, st.hasRow = r, true
			states[k] = st
		}
	}
	for _, n := range newest {
		k := orderKey{n.Shop, int64(n.OrderID)}
		if want[k] {
			st := states[k]
			st.decided = position{atMs: int64(n.Pos / 8), rank: int(n.Pos % 8)}
			st.hasDecided = true
			states[k] = st
		}
	}
	return nil
}

func rankValues() []int {
	v := make([]int, len(stageRanks))
	for i := range v {
		v[i] = i + 1 // must stay < 8: see the pos expression
	}
	return v
}

func (w *Writer) insertEvents(ctx context.Context, outs []schemas.SyncOutcome) error {
	b, err := w.conn.PrepareBatch(ctx, `INSERT INTO sync_events (outcome_id, shop, order_id, version,
		stage, at, at_ms, order_name, created_at, email, customer, total, currency,
		financial_status, fulfillment_status, source, eligible, ineligible_reasons, status,
		odoo_model, odoo_id, odoo_name, invoice_id, error, retry_at, attempt, rpc_calls, latency_ms)`)
	if err != nil {
		return fmt.Errorf("prepare sync_events insert: %w", err)
	}
	for i := range outs {
		o := &outs[i]
		total, errText := money(o)
		if err := b.Append(o.OutcomeID, o.Shop, uint64(o.OrderID), uint64(max(o.Version, 0)),
			o.Stage, dateTime(o.At), uint64(max(unixMs(o.At), 0)), o.OrderName, dateTime(o.CreatedAt),
			o.Email, o.Customer, total, o.Currency,
			o.FinancialStatus, o.FulfillmentStatus, o.Source, boolU8(o.Eligible), nonNil(o.IneligibleReasons), o.Status,
			o.OdooModel, uint64(max(o.OdooID, 0)), o.OdooName, uint64(max(o.InvoiceID, 0)), errText,
			nullableDateTime(o.RetryAt), uint32(max(o.Attempt, 0)), uint32(max(o.RPCCalls, 0)), uint64(max(o.LatencyMs, 0)),
		); err != nil {
			_ = b.Abort()
			return fmt.Errorf("sync_events row for outcome %s (%s/%d): %w", o.OutcomeID, o.Shop, o.OrderID, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %d sync_events rows: %w", len(outs), err)
	}
	return nil
}

func (w *Writer) insertOrders(ctx context.Context, rows []*orderRow) error {
	if len(rows) == 0 {
		return nil
	}
	b, err := w.conn.PrepareBatch(ctx, "INSERT INTO orders ("+orderColumns+")")
	if err != nil {
		return fmt.Errorf("prepare orders insert: %w", err)
	}
	for _, r := range rows {
		if err := b.Append(r.Shop, r.OrderID, r.OrderName, r.CreatedAt, r.Email, r.Customer,
			r.Total, r.Currency, r.FinancialStatus, r.FulfillmentStatus, r.Source, r.Eligible,
			r.IneligibleReasons, r.Status, r.OdooModel, r.OdooID, r.OdooName, r.InvoiceID,
			r.Error, r.RetryAt, r.Attempt, r.UpdatedAt, r.Version,
		); err != nil {
			_ = b.Abort()
			return fmt.Errorf("orders row for %s/%d: %w", r.Shop, r.OrderID, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %d orders rows: %w", len(rows), err)
	}
	return nil
}

// maxTotal is the first value Decimal(18, 4) cannot hold.
var maxTotal = decimal.New(1, 14)

// money returns the outcome's total as Decimal(18, 4) stores it, and its error text.
// Shopify amounts have at most 4 decimals, so rounding never changes a real one. A total
// too large to store (no real order) becomes 0 with the reason in the error column,
// rather than failing the batch and stalling the sink.
func money(o *schemas.SyncOutcome) (decimal.Decimal, string) {
	t := o.Total.Round(4)
	if t.Abs().GreaterThanOrEqual(maxTotal) {
		msg := fmt.Sprintf("total %s does not fit ClickHouse Decimal(18, 4); stored as 0", o.Total)
		if o.Error != "" {
			msg = o.Error + "; " + msg
		}
		return decimal.Zero, msg
	}
	return t, o.Error
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
