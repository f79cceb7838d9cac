// Package writeback writes the id of each order's Odoo record back to the Shopify order,
// in its custom.odoo_id metafield (single_line_text_field), once the Odoo sink has made
// the record. It reads the metafield first and writes only what differs, guarded by
// metafieldsSet's compareDigest: a concurrent change is seen (STALE_OBJECT), read
// again and written over with the digest now current, never blindly. What it wrote is
// remembered, so the same value is never written twice (and, for orders it remembers,
// not even read again).
package writeback

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/synco-dev/synco/shopify/admin"
)

// The metafield Synco owns on every synced order (CONTRACT.md, "Shopify").
const (
	Namespace = "custom"
	Key       = "odoo_id"
	Type      = "single_line_text_field"
)

// Clients gives a shop's Admin API client; false when the shop has no Admin API token.
type Clients interface {
	Client(shop string) (*admin.Client, bool)
}

// staleTries bounds the read-and-write rounds when the metafield keeps changing under
// us; past it the write is a retriable failure (the retry topics try again later).
const staleTries = 3

// remembered bounds the orders whose written value is kept in memory.
const remembered = 100_000

// Writer is safe for concurrent use.
type Writer struct {
	clients Clients
	log     *slog.Logger

	mu      sync.Mutex
	written map[string]*list.Element // shop/order → its entry in order
	order   *list.List               // of entry, the most recent first
	warned  map[string]bool          // shops told once that they have no token
}

type entry struct{ key, value string }

// New returns a Writer over clients.
func New(clients Clients, log *slog.Logger) *Writer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Writer{clients: clients, log: log, written: map[string]*list.Element{}, order: list.New(), warned: map[string]bool{}}
}

// ErrStale is the failure after staleTries rounds of STALE_OBJECT: worth a later try.
var ErrStale = errors.New("custom.odoo_id kept changing while Synco wrote it")

// Error is a failed write-back; Retriable says whether a later try may work.
type Error struct {
	Err       error
	Retriable bool
}

func (e *Error) Error() string {
	return "shopify write-back of " + Namespace + "." + Key + ": " + e.Err.Error()
}
func (e *Error) Unwrap() error { return e.Err }

// IsRetriable reports whether err (from Write) may go away by itself.
func IsRetriable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retriable
}

// Result says what Write did.
type Result struct {
	Skipped string // why nothing was sent ("no Admin API token", "already written"), or ""
	Calls   int    // Admin API calls made
}

// Write makes the order's custom.odoo_id say odooID. A shop without an Admin API token
// is skipped (said once in the log). Errors are *Error.
func (w *Writer) Write(ctx context.Context, shop string, orderID, odooID int64) (Result, error) {
	c, ok := w.clients.Client(shop)
	if !ok {
		w.noToken(shop)
		return Result{Skipped: "no Admin API token"}, nil
	}
	key := strings.ToLower(shop) + "/" + strconv.FormatInt(orderID, 10)
	want := strconv.FormatInt(odooID, 10)
	if w.recall(key) == want {
		return Result{Skipped: "already written"}, nil
	}
	var res Result
	for try := 1; ; try++ {
		cur, err := c.OrderMetafield(ctx, orderID, Namespace, Key)
		res.Calls++
		if err != nil {
			return res, &Error{Err: err, Retriable: admin.IsRetriable(err)}
		}
		if cur != nil && cur.Value == want {
			w.remember(key, want)
			if try == 1 {
				res.Skipped = "already written"
			}
			return res, nil
		}
		// The digest of what we just read: the write fails if anyone changed it since.
		// None there yet: nil asks that it still not exist.
		var digest *string
		if cur != nil {
			d := cur.CompareDigest
			digest = &d
		}
		_, err = c.SetMetafields(ctx, []admin.MetafieldWrite{{OwnerID: admin.OrderGID(orderID), Namespace: Namespace, Key: Key,
			Type: Type, Value: want, CompareDigest: digest}})
		res.Calls++
		if err == nil {
			w.remember(key, want)
			w.log.Info("odoo id written to the shopify order", "shop", shop, "order", orderID, "metafield", Namespace+"."+Key, "value", want)
			return res, nil
		}
		if !admin.HasCode(err, admin.CodeStaleObject) {
			return res, &Error{Err: err, Retriable: admin.IsRetriable(err)}
		}
		w.log.Info("custom.odoo_id changed while Synco wrote it; reading it again", "shop", shop, "order", orderID, "try", try)
		if try >= staleTries {
			return res, &Error{Err: fmt.Errorf("%w (%d tries)", ErrStale, try), Retriable: true}
		}
	}
}

func (w *Writer) noToken(shop string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.warned[shop] {
		return
	}
	w.warned[shop] = true
	w.log.Warn("shop has no Admin API token: the Odoo id is not written back to Shopify (custom.odoo_id)", "shop", shop)
}

func (w *Writer) recall(key string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e, ok := w.written[key]; ok {
		w.order.MoveToFront(e)
		return e.Value.(entry).value
	}
	return ""
}

func (w *Writer) remember(key, value string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e, ok := w.written[key]; ok {
		e.Value = entry{key, value}
		w.order.MoveToFront(e)
		return
	}
	w.written[key] = w.order.PushFront(entry{key, value})
	for w.order.Len() > remembered {
		last := w.order.Back()
		w.order.Remove(last)
		delete(w.written, last.Value.(entry).key)
	}
}
