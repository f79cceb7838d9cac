// Package transactions fills in an order's payment transactions before the Odoo sink
// applies it. Shopify's order webhooks carry no transactions (orders/paid says the
// order is paid, not by which transactions), yet each payment Odoo registers is one
// Shopify transaction, identified by its id. So for an order that has money to book
// and came without them, the sink reads them from the Admin API, once per order
// version (retries and redeliveries of the same version reuse the answer).
package transactions

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopify/order"
)

// Clients gives a shop's Admin API client; false when the shop has no Admin API token.
type Clients interface {
	Client(shop string) (*admin.Client, bool)
}

// remembered bounds the order versions whose transactions are kept in memory.
const remembered = 50_000

// Fetcher is safe for concurrent use.
type Fetcher struct {
	clients Clients

	mu    sync.Mutex
	known map[string][]schemas.Transaction // shop/order/version → its transactions
}

// New returns a Fetcher over clients.
func New(clients Clients) *Fetcher {
	return &Fetcher{clients: clients, known: map[string][]schemas.Transaction{}}
}

// moneyMoved are the financial statuses under which Shopify holds transactions that
// Odoo books (sales and captures; refunds come inside the order's refunds).
var moneyMoved = map[string]bool{"paid": true, "partially_paid": true, "partially_refunded": true, "refunded": true}

// Needed reports whether cmd's order should have its transactions read: it has none,
// Shopify says money moved, and Odoo is to hold an invoice (payments go on invoices).
func Needed(cmd *schemas.OrderSync) bool {
	return len(cmd.Order.Transactions) == 0 && moneyMoved[cmd.Order.FinancialStatus] &&
		cmd.Invoice != schemas.InvoiceNone && cmd.Invoice != ""
}

// Error is a failed read; Retriable says whether a later try may work.
type Error struct {
	Err       error
	Retriable bool
}

func (e *Error) Error() string { return "shopify transactions: " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// IsRetriable reports whether err (from Fill) may go away by itself.
func IsRetriable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retriable
}

// Fill sets cmd.Order.Transactions when Needed. It returns false, without error, when
// the shop has no Admin API token (the order is then applied without payments).
func (f *Fetcher) Fill(ctx context.Context, cmd *schemas.OrderSync) (bool, error) {
	if !Needed(cmd) {
		return true, nil
	}
	key := fmt.Sprintf("%s/%d/%d", cmd.Shop, cmd.OrderID, cmd.Order.UpdatedAt.UnixMilli())
	f.mu.Lock()
	txs, ok := f.known[key]
	f.mu.Unlock()
	if !ok {
		c, has := f.clients.Client(cmd.Shop)
		if !has {
			return false, nil
		}
		raw, err := c.Transactions(ctx, cmd.OrderID)
		if err != nil {
			return false, &Error{Err: fmt.Errorf("order %d: %w", cmd.OrderID, err), Retriable: admin.IsRetriable(err)}
		}
		if txs, err = order.Transactions(raw); err != nil {
			return false, &Error{Err: fmt.Errorf("order %d: %w", cmd.OrderID, err)}
		}
		f.mu.Lock()
		if len(f.known) >= remembered {
			clear(f.known) // crude but bounded: a later version is read again
		}
		f.known[key] = txs
		f.mu.Unlock()
	}
	cmd.Order.Transactions = txs
	return true, nil
}
