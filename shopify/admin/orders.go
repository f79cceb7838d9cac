package admin

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// FullOrder is one order with every page of its connections, as the normalizer
// (shopify/order) reads it: from Order, from a bulk operation, or from the simulator.
type FullOrder struct {
	OrderHeader
	LineItems     []LineItemFields
	ShippingLines []ShippingLineFields
	Transactions  []TransactionFields
	Refunds       []FullRefund
}

// FullRefund is one refund with every page of its connections.
type FullRefund struct {
	RefundHeader
	RefundLineItems     []RefundLineItemFields
	RefundShippingLines []RefundShippingLineFields
	OrderAdjustments    []OrderAdjustmentFields
	Transactions        []TransactionFields
}

// CodeNotFound is the Code of an *Error for an object Shopify does not have.
const CodeNotFound = "NOT_FOUND"

// Order fetches one order with all its line items, shipping lines, transactions and
// refunds (several calls when a connection has more than one page or the order has
// refunds). An order Shopify does not have is a permanent *Error with Code NOT_FOUND.
func (c *Client) Order(ctx context.Context, id int64) (*FullOrder, error) {
	gid := OrderGID(id)
	r, err := Order(ctx, c, gid)
	if err != nil {
		return nil, err
	}
	if r.Order == nil {
		return nil, &Error{Shop: c.cfg.Shop, Op: "Order", Status: 200, Code: CodeNotFound, Message: "no order " + gid}
	}
	o := r.Order
	full := &FullOrder{OrderHeader: o.OrderHeader, LineItems: o.LineItems.Nodes, ShippingLines: o.ShippingLines.Nodes, Transactions: o.Transactions}
	for pi := o.LineItems.PageInfo; pi.HasNextPage; {
		p, err := OrderLineItems(ctx, c, gid, pi.EndCursor)
		if err != nil {
			return nil, err
		}
		if p.Order == nil {
			return nil, &Error{Shop: c.cfg.Shop, Op: "OrderLineItems", Status: 200, Code: CodeNotFound, Message: "order " + gid + " went away"}
		}
		full.LineItems = append(full.LineItems, p.Order.LineItems.Nodes...)
		pi = p.Order.LineItems.PageInfo
	}
	for pi := o.ShippingLines.PageInfo; pi.HasNextPage; {
		p, err := OrderShippingLines(ctx, c, gid, pi.EndCursor)
		if err != nil {
			return nil, err
		}
		if p.Order == nil {
			return nil, &Error{Shop: c.cfg.Shop, Op: "OrderShippingLines", Status: 200, Code: CodeNotFound, Message: "order " + gid + " went away"}
		}
		full.ShippingLines = append(full.ShippingLines, p.Order.ShippingLines.Nodes...)
		pi = p.Order.ShippingLines.PageInfo
	}
	if n := o.TransactionsCount; n != nil && n.Count > len(full.Transactions) {
		if n.Count > maxTransactions {
			return nil, &Error{Shop: c.cfg.Shop, Op: "Order", Status: 200, Message: fmt.Sprintf("order %s has %d transactions; Synco reads at most %d", gid, n.Count, maxTransactions)}
		}
		txs, err := c.Transactions(ctx, id)
		if err != nil {
			return nil, err
		}
		full.Transactions = txs
	}
	if len(o.Refunds) >= maxRefunds {
		return nil, &Error{Shop: c.cfg.Shop, Op: "Order", Status: 200, Message: fmt.Sprintf("order %s has %d or more refunds; Synco reads at most %d", gid, maxRefunds, maxRefunds-1)}
	}
	if err := c.completeRefunds(ctx, full, o.Refunds); err != nil {
		return nil, err
	}
	return full, nil
}

// Transactions fetches an order's transactions (sales, captures, authorizations,
// refunds): what a webhook body does not carry. An order Shopify does not have is a
// permanent *Error with Code NOT_FOUND.
func (c *Client) Transactions(ctx context.Context, orderID int64) ([]TransactionFields, error) {
	gid := OrderGID(orderID)
	t, err := OrderTransactions(ctx, c, gid)
	if err != nil {
		return nil, err
	}
	if t.Order == nil {
		return nil, &Error{Shop: c.cfg.Shop, Op: "OrderTransactions", Status: 200, Code: CodeNotFound, Message: "no order " + gid}
	}
	if n := t.Order.TransactionsCount; n != nil && n.Count > len(t.Order.Transactions) {
		// A list without cursors: more than one call reads is an error, not a silent cut.
		return nil, &Error{Shop: c.cfg.Shop, Op: "OrderTransactions", Status: 200, Message: fmt.Sprintf("order %s has %d transactions; Synco reads at most %d", gid, n.Count, maxTransactions)}
	}
	return t.Order.Transactions, nil
}

// Order.transactions and Order.refunds are lists without cursors: what one call can
// read is all Synco reads, and more is an error rather than a silent cut.
const (
	maxTransactions = 190 // OrderTransactions
	maxRefunds      = 100 // Order's refunds(first: 100); 100 means there may be more
)

// completeRefunds fetches each refund's connections.
func (c *Client) completeRefunds(ctx context.Context, full *FullOrder, refunds []RefundHeader) error {
	full.Refunds = make([]FullRefund, 0, len(refunds))
	for _, h := range refunds {
		r, err := c.Refund(ctx, h.Id)
		if err != nil {
			return err
		}
		full.Refunds = append(full.Refunds, *r)
	}
	return nil
}

// Refund fetches one refund (by global id) with every page of its connections.
func (c *Client) Refund(ctx context.Context, gid string) (*FullRefund, error) {
	var out *FullRefund
	var li, sh, adj, tx *string
	for first := true; ; first = false {
		r, err := RefundDetail(ctx, c, gid, li, sh, adj, tx)
		if err != nil {
			return nil, err
		}
		if r.Refund == nil {
			return nil, &Error{Shop: c.cfg.Shop, Op: "RefundDetail", Status: 200, Code: CodeNotFound, Message: "no refund " + gid}
		}
		d := r.Refund
		if first {
			out = &FullRefund{RefundHeader: d.RefundHeader}
		}
		// A connection already read to its end is asked again with its last cursor: it
		// answers an empty page, which costs little and keeps one operation.
		if first || li != nil {
			out.RefundLineItems = append(out.RefundLineItems, d.RefundLineItems.Nodes...)
		}
		if first || sh != nil {
			out.RefundShippingLines = append(out.RefundShippingLines, d.RefundShippingLines.Nodes...)
		}
		if first || adj != nil {
			out.OrderAdjustments = append(out.OrderAdjustments, d.OrderAdjustments.Nodes...)
		}
		if first || tx != nil {
			out.Transactions = append(out.Transactions, d.Transactions.Nodes...)
		}
		li, sh, adj, tx = next(d.RefundLineItems.PageInfo), next(d.RefundShippingLines.PageInfo), next(d.OrderAdjustments.PageInfo), next(d.Transactions.PageInfo)
		if li == nil && sh == nil && adj == nil && tx == nil {
			return out, nil
		}
		// Connections that are done must not be read again from the start.
		if li == nil {
			li = done(d.RefundLineItems.PageInfo)
		}
		if sh == nil {
			sh = done(d.RefundShippingLines.PageInfo)
		}
		if adj == nil {
			adj = done(d.OrderAdjustments.PageInfo)
		}
		if tx == nil {
			tx = done(d.Transactions.PageInfo)
		}
	}
}

func next(p PageInfoFields) *string {
	if p.HasNextPage && p.EndCursor != nil {
		return p.EndCursor
	}
	return nil
}

// done is the cursor past the end of a finished connection: its last cursor, so the
// next page is empty; a connection that was empty has none and is asked again from the
// start (still empty).
func done(p PageInfoFields) *string { return p.EndCursor }

// OrderSummary is one row of an order listing.
type OrderSummary struct {
	ID                       int64
	GID                      string
	Name                     string
	CreatedAt, UpdatedAt     time.Time
	DisplayFinancialStatus   string
	DisplayFulfillmentStatus string
}

// Window selects orders by time: Field is "updated_at" or "created_at"; From is
// inclusive, To exclusive; a zero bound is open.
type Window struct {
	Field    string
	From, To time.Time
}

// Query is the window as Shopify's search syntax.
func (w Window) Query() (string, error) {
	f := w.Field
	if f == "" {
		f = "updated_at"
	}
	if f != "updated_at" && f != "created_at" {
		return "", fmt.Errorf("order window field %q: want updated_at or created_at", f)
	}
	var parts []string
	if !w.From.IsZero() {
		parts = append(parts, fmt.Sprintf("%s:>='%s'", f, w.From.UTC().Format(time.RFC3339)))
	}
	if !w.To.IsZero() {
		parts = append(parts, fmt.Sprintf("%s:<'%s'", f, w.To.UTC().Format(time.RFC3339)))
	}
	return strings.Join(parts, " "), nil
}

func (w Window) sortKey() OrderSortKeys {
	if w.Field == "created_at" {
		return OrderSortKeysCreatedAt
	}
	return OrderSortKeysUpdatedAt
}

// PageSize is how many summaries one Orders call asks for (Shopify allows 250).
const PageSize = 250

// Orders lists the orders in w, oldest first, a page at a time, calling fn for each
// page. after resumes from a cursor a previous call returned ("" from the start); fn
// gets the cursor that resumes after its page. Returning an error from fn stops.
func (c *Client) Orders(ctx context.Context, w Window, after string, fn func(page []OrderSummary, cursor string) error) error {
	q, err := w.Query()
	if err != nil {
		return err
	}
	var cur *string
	if after != "" {
		cur = &after
	}
	var query *string
	if q != "" {
		query = &q
	}
	for {
		r, err := Orders(ctx, c, query, PageSize, cur, w.sortKey())
		if err != nil {
			return err
		}
		page := make([]OrderSummary, 0, len(r.Orders.Nodes))
		for _, n := range r.Orders.Nodes {
			id, err := LegacyID(n.Id)
			if err != nil {
				return &Error{Shop: c.cfg.Shop, Op: "Orders", Status: 200, Message: err.Error()}
			}
			s := OrderSummary{ID: id, GID: n.Id, Name: n.Name, CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt, DisplayFulfillmentStatus: string(n.DisplayFulfillmentStatus)}
			if n.DisplayFinancialStatus != nil {
				s.DisplayFinancialStatus = string(*n.DisplayFinancialStatus)
			}
			page = append(page, s)
		}
		pi := r.Orders.PageInfo
		cursor := after
		if pi.EndCursor != nil {
			cursor = *pi.EndCursor
		}
		if err := fn(page, cursor); err != nil {
			return err
		}
		if !pi.HasNextPage || pi.EndCursor == nil {
			return nil
		}
		after, cur = *pi.EndCursor, pi.EndCursor
	}
}
