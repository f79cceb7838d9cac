// Package known answers what Synco has seen of a shop's orders, from ClickHouse's
// sync_events: the newest Shopify version of each order any stage wrote an outcome
// for, and the order's status now. The reconciliation and the sync of all eligible
// orders use it as a cheap filter before fetching an order from Shopify; the processor
// stays the judge (it drops an event that is not news), so ClickHouse lagging behind
// Kafka only costs an extra fetch, never a wrong sync.
package known

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Seen is what Synco holds of one order.
type Seen struct {
	Version int64  // the newest updated_at (Unix ms) of the order that reached a stage
	Status  string // the order's status now (synced, not_synced, ...)
}

// Orders looks orders up; an order Synco never saw is absent from the answer.
type Orders interface {
	Orders(ctx context.Context, shop string, ids []int64) (map[int64]Seen, error)
}

// ClickHouse is Orders on sync_events.
type ClickHouse struct{ Conn driver.Conn }

// chunk bounds the ids of one query (well under max_query_size).
const chunk = 1000

// Orders implements Orders. The status is the newest outcome's, a sink's outcome
// winning over the processor's of the same millisecond (as the orders table folds).
func (c ClickHouse) Orders(ctx context.Context, shop string, ids []int64) (map[int64]Seen, error) {
	out := make(map[int64]Seen, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		part := ids[:n]
		ids = ids[n:]
		list := make([]string, len(part))
		for i, id := range part {
			list[i] = strconv.FormatInt(id, 10)
		}
		rows, err := c.Conn.Query(ctx, `SELECT order_id, max(version), argMax(status, at_ms * 2 + (stage = 'sink.odoo'))
			FROM sync_events WHERE shop = ? AND order_id IN (`+strings.Join(list, ",")+`) GROUP BY order_id`, shop)
		if err != nil {
			return nil, fmt.Errorf("orders of %s seen by synco: %w", shop, err)
		}
		for rows.Next() {
			var id, version uint64
			var status string
			if err := rows.Scan(&id, &version, &status); err != nil {
				rows.Close()
				return nil, fmt.Errorf("orders of %s seen by synco: %w", shop, err)
			}
			out[int64(id)] = Seen{Version: int64(version), Status: status}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("orders of %s seen by synco: %w", shop, err)
		}
	}
	return out, nil
}

// Lazy is Orders on a ClickHouse connection opened on first use (and again after a
// failure): ingest answers webhooks whether or not ClickHouse is up, and only the
// jobs that ask it need it.
type Lazy struct {
	Open func(context.Context) (driver.Conn, error)

	mu   sync.Mutex
	conn driver.Conn
}

// Orders implements Orders.
func (l *Lazy) Orders(ctx context.Context, shop string, ids []int64) (map[int64]Seen, error) {
	c, err := l.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return ClickHouse{c}.Orders(ctx, shop, ids)
}

// Conn is the connection, opened if it is not yet.
func (l *Lazy) Conn(ctx context.Context) (driver.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		c, err := l.Open(ctx)
		if err != nil {
			return nil, err
		}
		l.conn = c
	}
	return l.conn, nil
}

// Close closes the connection, if one was opened.
func (l *Lazy) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		l.conn.Close()
		l.conn = nil
	}
}
