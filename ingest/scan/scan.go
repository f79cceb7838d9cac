// Package scan reads every order of a time window from a shop's Admin API, complete
// (lines, shipping, transactions, refunds), oldest first: one order at a time when the
// window holds few, with a bulk operation when it holds more than a threshold. The
// backfill, the sync of all eligible orders and the reconciliation read through it.
package scan

import (
	"context"
	"errors"
	"time"

	"github.com/synco-dev/synco/shopify/admin"
)

// Modes of a scan.
const (
	Pages = "pages" // listed a page at a time, each order fetched
	Bulk  = "bulk"  // one bulk operation
)

// Options tune Full.
type Options struct {
	Window admin.Window
	// Threshold is the most orders read one at a time; a window with more is read with
	// a bulk operation (default 1000).
	Threshold int
	// Poll is the wait between bulk status polls (default 2 s).
	Poll time.Duration
	// Mode, when set, is told the mode chosen and, for pages, how many orders the
	// window holds (-1 for bulk: unknown until the operation ends).
	Mode func(mode string, total int)
	// Bulk, when set, is told the bulk operation's state after each poll.
	Bulk func(*admin.BulkOperation)
}

var errOver = errors.New("over the threshold")

// Full calls fn with every order of the window in the order of the window's field. An
// order that went away between listing and reading (deleted) is skipped. fn's error
// stops the scan and is returned.
func Full(ctx context.Context, c *admin.Client, o Options, fn func(*admin.FullOrder) error) error {
	if o.Threshold <= 0 {
		o.Threshold = 1000
	}
	var ids []int64
	err := c.Orders(ctx, o.Window, "", func(page []admin.OrderSummary, _ string) error {
		for _, s := range page {
			ids = append(ids, s.ID)
		}
		if len(ids) > o.Threshold {
			return errOver
		}
		return nil
	})
	switch {
	case errors.Is(err, errOver):
		if o.Mode != nil {
			o.Mode(Bulk, -1)
		}
		return c.BulkOrders(ctx, o.Window, admin.BulkOptions{Poll: o.Poll, Progress: o.Bulk}, fn)
	case err != nil:
		return err
	}
	if o.Mode != nil {
		o.Mode(Pages, len(ids))
	}
	for _, id := range ids {
		f, err := c.Order(ctx, id)
		if admin.HasCode(err, admin.CodeNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}
