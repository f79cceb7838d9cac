package orders

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/schemas"
)

// Store reads orders and their history from ClickHouse.
//
// `orders` holds every state an order had, each replaced state cancelled by a row
// with sign -1 (chstore.OrderRow), so nothing here needs FINAL on the order table's
// path: counts are sums of signs, and rows are settled (chstore.Settle). page.go says
// how a page is found.
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
	Warnings          []string `json:"warnings"`         // never null
	InvoiceState      string   `json:"invoice_state"`    // Odoo's: draft, posted, cancel; "" without an invoice
	PaymentState      string   `json:"payment_state"`    // Odoo's invoice payment_state
	RefundedAmount    string   `json:"refunded_amount"`  // decimal, as total
	Cancelled         bool     `json:"cancelled"`        // the sale order is cancelled in Odoo
	PaymentGateways   []string `json:"payment_gateways"` // never null
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
	Warnings          []string `json:"warnings"`
	InvoiceState      string   `json:"invoice_state"`
	PaymentState      string   `json:"payment_state"`
	RefundedAmount    string   `json:"refunded_amount"`
	Cancelled         bool     `json:"cancelled"`
}

// Jobs are the shop's sync work by state, from the order table:
//   - waiting: eligible orders that are not_synced (nothing has been tried yet, or a
//     manual sync was asked and the pipeline has not picked it up);
//   - active: in_progress (a command is on its way to Odoo);
//   - delayed: waiting for a retry after a failed attempt;
//   - failed: out of retries (dead-lettered) or rejected by Odoo;
//   - needs_attention: in Odoo, but Odoo refused the order's latest change (an edit
//     below a delivered quantity, a locked order, a delivered order cancelled).
type Jobs struct {
	Waiting        uint64 `json:"waiting"`
	Active         uint64 `json:"active"`
	Delayed        uint64 `json:"delayed"`
	Failed         uint64 `json:"failed"`
	NeedsAttention uint64 `json:"needs_attention"`
}

// Summary is what the rules need of a stored order, with the decision stored for it.
type Summary struct {
	Order    schemas.Order
	Eligible bool
}

// row is a stored order with, for sort=customer, its sort key as stored.
type row struct {
	chstore.OrderRow
	SortKey string
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

func orderOf(r *chstore.OrderRow) Order {
	ful := r.FulfillmentStatus
	if ful == "" {
		ful = "unfulfilled" // Shopify's null
	}
	return Order{
		OrderID:           strconv.FormatUint(r.OrderID, 10),
		Name:              r.OrderName,
		ShopifyURL:        ShopifyURL(r.Shop, r.OrderID),
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
		Warnings:          nonNil(r.Warnings),
		InvoiceState:      r.InvoiceState,
		PaymentState:      r.PaymentState,
		RefundedAmount:    FormatMoney(r.RefundedAmount, r.Currency),
		Cancelled:         r.Cancelled != 0,
		PaymentGateways:   nonNil(r.PaymentGateways),
	}
}

// Get returns one order of shop; ok is false when there is none.
func (s *Store) Get(ctx context.Context, shop string, orderID uint64) (o Order, ok bool, err error) {
	k := chstore.OrderKey{Shop: shop, OrderID: orderID}
	stored, err := chstore.ReadOrderRows(ctx, s.ch, []chstore.OrderKey{k})
	if err != nil {
		return o, false, fmt.Errorf("get order: %w", err)
	}
	live, ok, _ := chstore.Settle(stored[k])
	if !ok {
		return o, false, nil
	}
	return orderOf(&live), true, nil
}

// History returns the order's sync outcomes, oldest first.
func (s *Store) History(ctx context.Context, shop string, orderID uint64) ([]Event, error) {
	var evs []chstore.EventRow
	if err := s.ch.Select(ctx, &evs, "SELECT "+chstore.EventColumns+
		" FROM sync_events FINAL WHERE shop = ? AND order_id = ? ORDER BY at_ms, outcome_id", shop, orderID); err != nil {
		return nil, fmt.Errorf("order history: %w", err)
	}
	out := make([]Event, len(evs))
	for i := range evs {
		e := &evs[i]
		out[i] = Event{
			OutcomeID:         e.OutcomeID,
			At:                time.UnixMilli(int64(e.AtMs)).UTC().Format("2006-01-02T15:04:05.000Z07:00"),
			Stage:             e.Stage,
			Version:           e.Version,
			Status:            e.Status,
			Eligible:          e.Eligible != 0,
			IneligibleReasons: nonNil(e.IneligibleReasons),
			OdooModel:         e.OdooModel,
			OdooID:            optID(e.OdooID),
			OdooName:          e.OdooName,
			InvoiceID:         optID(e.InvoiceID),
			Error:             optString(e.Error),
			RetryAt:           optTime(e.RetryAt),
			Attempt:           e.Attempt,
			RPCCalls:          e.RPCCalls,
			LatencyMs:         e.LatencyMs,
			Warnings:          nonNil(e.Warnings),
			InvoiceState:      e.InvoiceState,
			PaymentState:      e.PaymentState,
			RefundedAmount:    FormatMoney(e.RefundedAmount, e.Currency),
			Cancelled:         e.Cancelled != 0,
		}
	}
	return out, nil
}

// Jobs counts shop's orders by sync state (see Jobs).
func (s *Store) Jobs(ctx context.Context, shop string) (Jobs, error) {
	var w, a, d, f, na int64
	err := s.ch.QueryRow(ctx, `SELECT
		sumIf(n, eligible = 1 AND status = 'not_synced'),
		sumIf(n, status = 'in_progress'),
		sumIf(n, status = 'delayed'),
		sumIf(n, status = 'failed'),
		sumIf(n, status = 'needs_attention')
		FROM order_counts WHERE shop = ? AND kind = ?`, shop, chstore.SortByDate.Kind).Scan(&w, &a, &d, &f, &na)
	if err != nil {
		return Jobs{}, fmt.Errorf("count jobs: %w", err)
	}
	u := func(n int64) uint64 { return uint64(max(n, 0)) }
	return Jobs{Waiting: u(w), Active: u(a), Delayed: u(d), Failed: u(f), NeedsAttention: u(na)}, nil
}

// CountEligibleUnsynced counts shop's eligible orders that are not synced: what
// "sync all eligible" asks for.
func (s *Store) CountEligibleUnsynced(ctx context.Context, shop string) (uint64, error) {
	var n int64
	if err := s.ch.QueryRow(ctx, "SELECT sum(n) FROM order_counts WHERE shop = ? AND kind = ? AND eligible = 1 AND status != 'synced'",
		shop, chstore.SortByDate.Kind).Scan(&n); err != nil {
		return 0, fmt.Errorf("count eligible orders: %w", err)
	}
	return uint64(max(n, 0)), nil
}

// Gateways are the payment gateways of shop's orders (their payment_gateway_names),
// sorted.
func (s *Store) Gateways(ctx context.Context, shop string) ([]string, error) {
	g, err := chstore.ReadStrings(ctx, s.ch, `SELECT gateway FROM orders ARRAY JOIN payment_gateways AS gateway
		WHERE shop = ? GROUP BY gateway HAVING sum(toInt64(sign)) > 0 ORDER BY gateway`, shop)
	if err != nil {
		return nil, fmt.Errorf("read payment gateways: %w", err)
	}
	return g, nil
}

// EachSummary calls fn with every stored order of shop, as much of a schemas.Order as
// the rules look at (financial, fulfillment status, source, created_at).
func (s *Store) EachSummary(ctx context.Context, shop string, fn func(Summary)) error {
	// FINAL leaves each order's live row (and nothing but the shop in WHERE, which
	// every row of an order shares, may run before it).
	rows, err := s.ch.Query(ctx, `SELECT order_id, order_name, created_at, financial_status, fulfillment_status, source, eligible, sign
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
			sign     int8
		)
		o := &sm.Order
		if err := rows.Scan(&id, &o.Name, &o.CreatedAt, &o.FinancialStatus, &o.FulfillmentStatus, &o.SourceName, &eligible, &sign); err != nil {
			return fmt.Errorf("read orders: %w", err)
		}
		if sign != 1 {
			continue // a cancel left without its row (see chstore.Settle)
		}
		o.ID = int64(id)
		sm.Eligible = eligible != 0
		fn(sm)
	}
	return rows.Err()
}
