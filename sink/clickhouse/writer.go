// Package clickhouse is the core of the ClickHouse sink: it turns batches of
// SyncOutcomes into rows of `sync_events` (one per outcome) and `orders` (the live row
// per order, the table people look at). The Kafka loop around it lives elsewhere; it
// calls Write once per batch and commits offsets after Write returns nil.
//
// fold.go is the pure half (outcomes and previous states in, rows out); this file
// reads the previous states and writes. A redelivered batch is harmless: sync_events
// collapses by outcome_id, and an orders row that would not change is not written
// again (orders cancels a replaced row, so writing one twice would count it twice:
// see chstore.OrderRow).
package clickhouse

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/metrics"
	"github.com/synco-dev/synco/schemas"
)

// Writer writes outcome batches. Calls to Write are serialised: the orders fold reads
// what the previous batch wrote.
type Writer struct {
	conn    driver.Conn
	logger  *slog.Logger
	metrics *metrics.Registry // optional

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

// WithMetrics records batch sizes and insert latency per table.
func (w *Writer) WithMetrics(m *metrics.Registry) *Writer {
	w.metrics = m
	return w
}

// cacheSize bounds the orders remembered between batches (a few hundred bytes each).
const cacheSize = 100_000

// ResetCache forgets the remembered orders rows. Call it when the consumer's partition
// assignment changes: another instance may have written the orders it now gets.
func (w *Writer) ResetCache() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cache = newLRU(cacheSize)
}

// Write inserts one batch of outcomes: every outcome into sync_events, and the rows of
// every changed (shop, order_id) into orders. It returns only after ClickHouse accepted
// both inserts, so the caller may then commit the batch's Kafka offsets. On an error
// the batch's orders are forgotten (ClickHouse may have taken the insert although the
// client saw it fail), so writing the same batch again reads what is stored and is safe.
func (w *Writer) Write(ctx context.Context, batch []schemas.SyncOutcome) error {
	w.mu.Lock()
	defer w.mu.Unlock()

	outs := make([]schemas.SyncOutcome, 0, len(batch))
	redact := map[string][]int64{} // shop → orders whose personal data goes
	for _, o := range batch {
		if o.Stage == schemas.StagePrivacy {
			redact[o.Shop] = append(redact[o.Shop], o.OrderID)
			continue
		}
		// A bad outcome is a bug upstream; failing the batch would stall every shop
		// behind it forever, so it is logged and left in Kafka.
		if o.Shop == "" || o.OrderID < 0 {
			w.logger.Error("clickhouse sink: dropping an outcome without a shop or with a negative order id",
				"outcome_id", o.OutcomeID, "shop", o.Shop, "order_id", o.OrderID, "stage", o.Stage)
			continue
		}
		outs = append(outs, o)
	}
	if err := w.write(ctx, outs); err != nil {
		return err
	}
	// After the batch's own rows, so those are redacted too; in line with the writes,
	// so no cancel row of ours brings the old text back.
	for shop, ids := range redact {
		if err := chstore.RedactOrders(ctx, w.conn, shop, ids); err != nil {
			return err
		}
		for _, id := range ids {
			w.cache.remove(orderKey{Shop: shop, OrderID: uint64(id)})
		}
		w.logger.Info("clickhouse rows redacted", "shop", shop, "orders", len(ids))
	}
	return nil
}

func (w *Writer) write(ctx context.Context, outs []schemas.SyncOutcome) error {
	if len(outs) == 0 {
		return nil
	}

	byOrder := map[orderKey][]*schemas.SyncOutcome{}
	var keys []orderKey
	for i := range outs {
		k := keyOf(&outs[i])
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
	next, rows := plan(keys, prev, byOrder)
	if err := w.insert(ctx, outs, rows); err != nil {
		for _, k := range keys {
			w.cache.remove(k)
		}
		return err
	}
	for k, st := range next {
		w.cache.put(k, st)
	}
	return nil
}

// insert writes sync_events before orders: its newest outcome per order is the bar the
// fold compares with when the cache misses, so it must never lag behind orders.
func (w *Writer) insert(ctx context.Context, outs []schemas.SyncOutcome, rows []orderRow) error {
	events := make([]chstore.EventRow, len(outs))
	for i := range outs {
		events[i] = eventOf(&outs[i])
	}
	start := time.Now()
	if err := chstore.InsertEventRows(ctx, w.conn, events); err != nil {
		return err
	}
	mid := time.Now()
	if err := chstore.InsertOrderRows(ctx, w.conn, rows); err != nil {
		return err
	}
	if w.metrics != nil {
		w.metrics.ClickHouseBatchRows.Observe(float64(len(outs)))
		w.metrics.ClickHouseInsertSeconds.WithLabelValues("sync_events").Observe(mid.Sub(start).Seconds())
		w.metrics.ClickHouseInsertSeconds.WithLabelValues("orders").Observe(time.Since(mid).Seconds())
	}
	return nil
}

// previous returns the state of every key: from the cache, else from ClickHouse.
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
	if len(missing) == 0 {
		return states, nil
	}
	if err := w.lookup(ctx, missing, states); err != nil {
		return nil, err
	}
	return states, nil
}

// lookup reads the state of keys from ClickHouse into states: the stored orders rows
// (settled into the live one) and, side by side, the position of each order's newest
// outcome in sync_events.
func (w *Writer) lookup(ctx context.Context, keys []orderKey, states map[orderKey]orderState) error {
	var stored map[orderKey][]orderRow
	rowsErr := make(chan error, 1)
	go func() {
		var err error
		stored, err = chstore.ReadOrderRows(ctx, w.conn, keys)
		rowsErr <- err
	}()
	newestErr := w.newest(ctx, keys, states)
	if err := <-rowsErr; err != nil {
		return err
	}
	if newestErr != nil {
		return newestErr
	}
	for k, rows := range stored {
		live, ok, fixes := chstore.Settle(rows)
		if len(fixes) > 0 {
			w.logger.Warn("clickhouse sink: repairing the stored rows of an order (written twice at once?)",
				"shop", k.Shop, "order_id", k.OrderID, "rows", len(fixes))
		}
		st := states[k]
		st.row, st.hasRow, st.fixes = live, ok, fixes
		states[k] = st
	}
	return nil
}

// newest reads, per key, the position of the order's newest outcome in sync_events:
// it decided the orders row (older ones never do), so it is the bar a new outcome has
// to clear.
func (w *Writer) newest(ctx context.Context, keys []orderKey, states map[orderKey]orderState) error {
	want := make(map[orderKey]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	for chunk := range slices.Chunk(keys, chstore.KeysPerQuery) {
		where, shops := chstore.KeysWhere(chunk)
		var newest []struct {
			Shop    string `ch:"shop"`
			OrderID uint64 `ch:"order_id"`
			Pos     uint64 `ch:"pos"`
		}
		if err := w.conn.Select(ctx, &newest,
			`SELECT shop, order_id, max(at_ms * 8 + transform(stage, ?, ?, 0)) AS pos
			FROM sync_events WHERE `+where+` GROUP BY shop, order_id`,
			append([]any{stageRanks, rankValues()}, shops...)...); err != nil {
			return fmt.Errorf("read newest outcome positions: %w", err)
		}
		for _, n := range newest {
			k := orderKey{Shop: n.Shop, OrderID: n.OrderID}
			if want[k] {
				st := states[k]
				st.decided = position{atMs: int64(n.Pos / 8), rank: int(n.Pos % 8)}
				st.hasDecided = true
				states[k] = st
			}
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
