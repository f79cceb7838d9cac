package orders

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/schemas"
)

// Store reads orders and their history from ClickHouse.
type Store struct {
	ch driver.Conn
}

// NewStore reads through ch (a connection to Synco's migrated database).
func NewStore(ch driver.Conn) *Store { return &Store{ch: ch} }

// Order is one row of the order table as the API shows it (CONTRACT.md).
type Order struct {
	OrderID           string   `json:"order_id"`
	Name              string   `json:"name"`
	ShopifyURL        string   `json:"shopify_url"`
	CreatedAt         string   `json:"created_at"`
	Email             string   `json:"email"`
	Customer          string   `json:"customer"`
	Total             string   `json:"total"`
	Currency          string   `json:"currency"`
	FinancialStatus   string   `json:"financial_status"`
	FulfillmentStatus string   `json:"fulfillment_status"`
	Source            string   `json:"source"`
	Eligible          bool     `json:"eligible"`
	IneligibleReasons []string `json:"ineligible_reasons"`
	Status            string   `json:"status"`
	OdooModel         string   `json:"odoo_model"`
	OdooID            *uint64  `json:"odoo_id"`
	OdooName          string   `json:"odoo_name"`
	OdooURL           string   `json:"odoo_url"`
	InvoiceID         *uint64  `json:"invoice_id"`
	RetryAt           *string  `json:"retry_at"`
	Error             *string  `json:"error"`
	UpdatedAt         string   `json:"updated_at"`
}

// Page is one page of the order table.
type Page struct {
	Orders     []Order `json:"orders"`
	NextCursor *string `json:"next_cursor"` // null on the last page
	PrevCursor *string `json:"prev_cursor"` // null on the first page
	Total      uint64  `json:"total"`       // rows matching the filter, all pages
}

// Event is one sync outcome of an order (a row of sync_events).
type Event struct {
	OutcomeID         string   `json:"outcome_id"`
	At                string   `json:"at"`
	Stage             string   `json:"stage"`
	Version           uint64   `json:"version"`
	Status            string   `json:"status"`
	Eligible          bool     `json:"eligible"`
	IneligibleReasons []string `json:"ineligible_reasons"`
	OdooModel         string   `json:"odoo_model"`
	OdooID            *uint64  `json:"odoo_id"`
	OdooName          string   `json:"odoo_name"`
	InvoiceID         *uint64  `json:"invoice_id"`
	Error             *string  `json:"error"`
	RetryAt           *string  `json:"retry_at"`
	Attempt           uint32   `json:"attempt"`
	RPCCalls          uint32   `json:"rpc_calls"`
	LatencyMs         uint64   `json:"latency_ms"`
}

// Jobs are the shop's sync work by state, from the order table:
//   - waiting: eligible orders that are not_synced (nothing has been tried yet, or a
//     manual sync was asked and the pipeline has not picked it up);
//   - active: in_progress (a command is on its way to Odoo);
//   - delayed: waiting for a retry after a failed attempt;
//   - failed: out of retries (dead-lettered) or rejected by Odoo.
type Jobs struct {
	Waiting uint64 `json:"waiting"`
	Active  uint64 `json:"active"`
	Delayed uint64 `json:"delayed"`
	Failed  uint64 `json:"failed"`
}

// Summary is what the rules need of a stored order, with the decision stored for it.
type Summary struct {
	Order    schemas.Order
	Eligible bool
}

const orderColumns = `order_id, order_name, created_at, email, customer, total, currency,
	financial_status, fulfillment_status, source, eligible, ineligible_reasons, status,
	odoo_model, odoo_id, odoo_name, invoice_id, error, retry_at, updated_at`

type row struct {
	OrderID           uint64
	OrderName         string
	CreatedAt         time.Time
	Email             string
	Customer          string
	Total             decimal.Decimal
	Currency          string
	FinancialStatus   string
	FulfillmentStatus string
	Source            string
	Eligible          uint8
	IneligibleReasons []string
	Status            string
	OdooModel         string
	OdooID            uint64
	OdooName          string
	InvoiceID         uint64
	Error             string
	RetryAt           *time.Time
	UpdatedAt         time.Time
	SortKey           string
}

func (r *row) dest() []any {
	return []any{&r.OrderID, &r.OrderName, &r.CreatedAt, &r.Email, &r.Customer, &r.Total, &r.Currency,
		&r.FinancialStatus, &r.FulfillmentStatus, &r.Source, &r.Eligible, &r.IneligibleReasons, &r.Status,
		&r.OdooModel, &r.OdooID, &r.OdooName, &r.InvoiceID, &r.Error, &r.RetryAt, &r.UpdatedAt}
}

// RFC3339 UTC, whole seconds: ClickHouse DateTime has no finer precision.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optID(v uint64) *uint64 {
	if v == 0 {
		return nil
	}
	return &v
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t *time.Time) *string {
	if t == nil || t.IsZero() || t.Unix() <= 0 {
		return nil
	}
	s := stamp(*t)
	return &s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ShopifyURL is the order's page in the Shopify admin.
func ShopifyURL(shop string, orderID uint64) string {
	return "https://" + shop + "/admin/orders/" + strconv.FormatUint(orderID, 10)
}

// OdooURL is the form view of an Odoo record under base (the Odoo's URL); empty when
// either is unknown. /web#id=…&model=… opens the record on Odoo 16 to 19.
func OdooURL(base, model string, id uint64) string {
	if base == "" || model == "" || id == 0 {
		return ""
	}
	v := url.Values{"id": {strconv.FormatUint(id, 10)}, "model": {model}, "view_type": {"form"}}
	return strings.TrimRight(base, "/") + "/web#" + v.Encode()
}

func (r *row) order(shop string) Order {
	ful := r.FulfillmentStatus
	if ful == "" {
		ful = "unfulfilled" // Shopify's null
	}
	return Order{
		OrderID:           strconv.FormatUint(r.OrderID, 10),
		Name:              r.OrderName,
		ShopifyURL:        ShopifyURL(shop, r.OrderID),
		CreatedAt:         stamp(r.CreatedAt),
		Email:             r.Email,
		Customer:          r.Customer,
		Total:             FormatMoney(r.Total, r.Currency),
		Currency:          r.Currency,
		FinancialStatus:   r.FinancialStatus,
		FulfillmentStatus: ful,
		Source:            r.Source,
		Eligible:          r.Eligible != 0,
		IneligibleReasons: nonNil(r.IneligibleReasons),
		Status:            r.Status,
		OdooModel:         r.OdooModel,
		OdooID:            optID(r.OdooID),
		OdooName:          r.OdooName,
		InvoiceID:         optID(r.InvoiceID),
		RetryAt:           optTime(r.RetryAt),
		Error:             optString(r.Error),
		UpdatedAt:         stamp(r.UpdatedAt),
	}
}

// List answers one page of shop's orders under f (validated; Normalized here) after or
// before cur (empty: the first page). A bad cursor is a FieldErrors.
func (s *Store) List(ctx context.Context, shop string, f Filter, limit int, cur string) (*Page, error) {
	f = f.Normalized()
	if fe := f.Validate(); fe != nil {
		return nil, fe
	}
	var c *cursor
	if cur != "" {
		cc, err := decodeCursor(cur, f)
		if err != nil {
			return nil, FieldErrors{"cursor": err.Error()}
		}
		c = &cc
	}
	conds, args := f.where()
	conds = append([]string{"shop = ?"}, conds...)
	args = append([]any{shop}, args...)

	// The count runs beside the page query.
	var total uint64
	countErr := make(chan error, 1)
	go func() {
		err := s.ch.QueryRow(ctx, "SELECT count() FROM orders FINAL WHERE "+strings.Join(conds, " AND "), args...).Scan(&total)
		if err != nil {
			err = fmt.Errorf("count orders: %w", err)
		}
		countErr <- err
	}()
	waitCount := func() error { err := <-countErr; countErr <- err; return err }
	defer waitCount() // never leave the goroutine writing total after we return

	col := sortColumns[f.Sort]
	asc := f.Dir == "asc"
	backward := c != nil && c.Before
	pageConds, pageArgs := conds, args
	if c != nil {
		op := "<"
		if asc != backward {
			op = ">"
		}
		pageConds = append(pageConds[:len(pageConds):len(pageConds)], "")
		if col.expr == "" {
			pageConds[len(pageConds)-1] = "order_id " + op + " ?"
			pageArgs = append(pageArgs[:len(pageArgs):len(pageArgs)], c.ID)
		} else {
			key, _ := col.bind(c.Key)
			pageConds[len(pageConds)-1] = fmt.Sprintf("(%[1]s %[2]s %[3]s OR (%[1]s = %[3]s AND order_id %[2]s ?))", col.expr, op, col.ph)
			pageArgs = append(pageArgs[:len(pageArgs):len(pageArgs)], key, key, c.ID)
		}
	}
	sqlDir := "DESC"
	if asc != backward {
		sqlDir = "ASC"
	}
	keys := col.order
	if keys == nil && col.expr != "" {
		keys = []string{col.expr}
	}
	var orderBy []string
	for _, k := range append(slices.Clone(keys), "order_id") {
		orderBy = append(orderBy, k+" "+sqlDir)
	}
	skExpr := "''"
	if f.Sort == "customer" {
		skExpr = col.expr // the cursor needs the exact lower-cased text
	}
	// Two steps: find the page's ids reading only the columns the filter and sort need,
	// then read those rows whole by primary key (3x faster than sorting whole rows).
	q := "SELECT " + orderColumns + ", " + skExpr + " FROM orders FINAL WHERE shop = ? AND order_id IN (" +
		"SELECT order_id FROM orders FINAL WHERE " + strings.Join(pageConds, " AND ") +
		" ORDER BY " + strings.Join(orderBy, ", ") + " LIMIT " + strconv.Itoa(limit+1) +
		") ORDER BY " + strings.Join(orderBy, ", ")
	rows, err := s.ch.Query(ctx, q, append([]any{shop}, pageArgs...)...)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	defer rows.Close()
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(append(r.dest(), &r.SortKey)...); err != nil {
			return nil, fmt.Errorf("read orders: %w", err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	more := len(got) > limit
	if more {
		got = got[:limit]
	}
	if backward {
		for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
			got[i], got[j] = got[j], got[i]
		}
	}
	if err := waitCount(); err != nil {
		return nil, err
	}
	p := &Page{Orders: make([]Order, len(got)), Total: total}
	for i := range got {
		p.Orders[i] = got[i].order(shop)
	}
	edge := func(r *row, before bool) *string {
		cc := cursor{Sort: f.Sort, Dir: f.Dir, ID: r.OrderID, Before: before}
		if col.keyOf != nil {
			cc.Key = col.keyOf(r)
		}
		s := cc.encode()
		return &s
	}
	if len(got) > 0 {
		// Forward: a next page if we saw more; a previous one if we came from a cursor.
		// Backward: the mirror image.
		if (!backward && more) || (backward && c != nil) {
			p.NextCursor = edge(&got[len(got)-1], false)
		}
		if (backward && more) || (!backward && c != nil) {
			p.PrevCursor = edge(&got[0], true)
		}
	} else if c != nil {
		// Past the end (or the start): offer the way back.
		back := *c
		back.Before = !c.Before
		s := back.encode()
		if backward {
			p.NextCursor = &s
		} else {
			p.PrevCursor = &s
		}
	}
	return p, nil
}

// Get returns one order of shop; ok is false when there is none.
func (s *Store) Get(ctx context.Context, shop string, orderID uint64) (o Order, ok bool, err error) {
	rows, err := s.ch.Query(ctx, "SELECT "+orderColumns+" FROM orders FINAL WHERE shop = ? AND order_id = ? LIMIT 1", shop, orderID)
	if err != nil {
		return o, false, fmt.Errorf("get order: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return o, false, rows.Err()
	}
	var r row
	if err := rows.Scan(r.dest()...); err != nil {
		return o, false, fmt.Errorf("read order: %w", err)
	}
	return r.order(shop), true, nil
}

// History returns the order's sync outcomes, oldest first.
func (s *Store) History(ctx context.Context, shop string, orderID uint64) ([]Event, error) {
	rows, err := s.ch.Query(ctx, `SELECT outcome_id, at_ms, stage, version, status, eligible, ineligible_reasons,
		odoo_model, odoo_id, odoo_name, invoice_id, error, retry_at, attempt, rpc_calls, latency_ms
		FROM sync_events FINAL WHERE shop = ? AND order_id = ? ORDER BY at_ms, outcome_id`, shop, orderID)
	if err != nil {
		return nil, fmt.Errorf("order history: %w", err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var (
			e                 Event
			atMs              uint64
			eligible          uint8
			odooID, invoiceID uint64
			errText           string
			retryAt           *time.Time
		)
		if err := rows.Scan(&e.OutcomeID, &atMs, &e.Stage, &e.Version, &e.Status, &eligible, &e.IneligibleReasons,
			&e.OdooModel, &odooID, &e.OdooName, &invoiceID, &errText, &retryAt, &e.Attempt, &e.RPCCalls, &e.LatencyMs); err != nil {
			return nil, fmt.Errorf("read order history: %w", err)
		}
		e.At = time.UnixMilli(int64(atMs)).UTC().Format("2006-01-02T15:04:05.000Z07:00")
		e.Eligible = eligible != 0
		e.IneligibleReasons = nonNil(e.IneligibleReasons)
		e.OdooID, e.InvoiceID = optID(odooID), optID(invoiceID)
		e.Error, e.RetryAt = optString(errText), optTime(retryAt)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Jobs counts shop's orders by sync state (see Jobs).
func (s *Store) Jobs(ctx context.Context, shop string) (Jobs, error) {
	var j Jobs
	err := s.ch.QueryRow(ctx, `SELECT
		countIf(eligible = 1 AND status = 'not_synced'),
		countIf(status = 'in_progress'),
		countIf(status = 'delayed'),
		countIf(status = 'failed')
		FROM orders FINAL WHERE shop = ?`, shop).Scan(&j.Waiting, &j.Active, &j.Delayed, &j.Failed)
	if err != nil {
		return j, fmt.Errorf("count jobs: %w", err)
	}
	return j, nil
}

// CountEligibleUnsynced counts shop's eligible orders that are not synced: what
// "sync all eligible" asks for.
func (s *Store) CountEligibleUnsynced(ctx context.Context, shop string) (uint64, error) {
	var n uint64
	if err := s.ch.QueryRow(ctx, "SELECT count() FROM orders FINAL WHERE shop = ? AND eligible = 1 AND status != 'synced'", shop).Scan(&n); err != nil {
		return 0, fmt.Errorf("count eligible orders: %w", err)
	}
	return n, nil
}

// EachSummary calls fn with every stored order of shop, as much of a schemas.Order as
// the rules look at (financial, fulfillment status, source, created_at).
func (s *Store) EachSummary(ctx context.Context, shop string, fn func(Summary)) error {
	rows, err := s.ch.Query(ctx, `SELECT order_id, order_name, created_at, financial_status, fulfillment_status, source, eligible
		FROM orders FINAL WHERE shop = ?`, shop)
	if err != nil {
		return fmt.Errorf("read orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			sm       Summary
			id       uint64
			eligible uint8
		)
		o := &sm.Order
		if err := rows.Scan(&id, &o.Name, &o.CreatedAt, &o.FinancialStatus, &o.FulfillmentStatus, &o.SourceName, &eligible); err != nil {
			return fmt.Errorf("read orders: %w", err)
		}
		o.ID = int64(id)
		sm.Eligible = eligible != 0
		fn(sm)
	}
	return rows.Err()
}
