package chstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// OrderKey names one order.
type OrderKey struct {
	Shop    string
	OrderID uint64
}

// Key is the row's order.
func (r *OrderRow) Key() OrderKey { return OrderKey{r.Shop, r.OrderID} }

// Cancel is the row that takes r back out of the live set: r with sign -1.
func (r OrderRow) Cancel() OrderRow {
	r.Sign = -1
	return r
}

// Settle returns the live state of one order from its stored rows (any order, merged
// or not, as a plain SELECT without FINAL reads them), and the rows that would make
// them add up to exactly that one live row again.
//
// The live row is the newest version whose signs add up to more than zero. When every
// write cancelled exactly the row it replaced, each older version adds up to 0 and the
// newest to 1, and fixes is empty. Otherwise (two writers replacing the same row at
// once, a write retried after ClickHouse took it although the client saw an error),
// fixes holds the cancels or re-adds that bring each version back to 0 (1 for the live
// one); a writer that is about to replace the row writes them with it.
func Settle(rows []OrderRow) (live OrderRow, ok bool, fixes []OrderRow) {
	type version struct {
		net int
		row OrderRow // a +1 row of the version when there is one
	}
	byVersion := map[uint64]*version{}
	var versions []uint64
	for _, r := range rows {
		v := byVersion[r.Version]
		if v == nil {
			v = &version{row: r}
			byVersion[r.Version] = v
			versions = append(versions, r.Version)
		}
		v.net += int(r.Sign)
		if r.Sign > 0 && v.row.Sign <= 0 {
			v.row = r
		}
	}
	slices.Sort(versions)
	for i := len(versions) - 1; i >= 0 && !ok; i-- {
		if v := byVersion[versions[i]]; v.net > 0 {
			live, ok = v.row, true
			live.Sign = 1
		}
	}
	for _, ver := range versions {
		v := byVersion[ver]
		want := 0
		if ok && ver == live.Version {
			want = 1
		}
		fix := v.row
		fix.Sign = 1
		if v.net > want {
			fix.Sign = -1
		}
		for range abs(v.net - want) {
			fixes = append(fixes, fix)
		}
	}
	return live, ok, fixes
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// KeysPerQuery bounds the keys per look-up query (KeysWhere), keeping it well under
// ClickHouse's max_query_size (256 KiB) even with long shop domains.
const KeysPerQuery = 1000

// KeysWhere is the condition that selects keys' rows from a table keyed by (shop,
// order_id), with its arguments. It filters by `shop IN (...) AND order_id IN (...)`
// rather than by tuples, which 18.16 evaluates about three times slower; the rows of
// the cross product that were not asked for (an order id of one shop asked for in
// another) are the caller's to drop. Order ids are numbers and go into the text as
// they are; shop domains are bound. Keys must not be empty.
func KeysWhere(keys []OrderKey) (string, []any) {
	var shops []any
	ids := make([]byte, 0, 20*len(keys))
	for i, k := range keys {
		if !slices.Contains(shops, any(k.Shop)) {
			shops = append(shops, k.Shop)
		}
		if i > 0 {
			ids = append(ids, ',')
		}
		ids = strconv.AppendUint(ids, k.OrderID, 10)
	}
	return "shop IN (?" + strings.Repeat(", ?", len(shops)-1) + ") AND order_id IN (" + string(ids) + ")", shops
}

// ReadOrderRows returns the stored rows of keys (not settled: see Settle), by key. It
// reads them from the doc column: a few scattered rows are far cheaper to read from
// one column than from thirty.
func ReadOrderRows(ctx context.Context, conn driver.Conn, keys []OrderKey) (map[OrderKey][]OrderRow, error) {
	out := make(map[OrderKey][]OrderRow, len(keys))
	want := make(map[OrderKey]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	for chunk := range slices.Chunk(keys, KeysPerQuery) {
		where, args := KeysWhere(chunk)
		var docs []struct {
			Sign int8   `ch:"sign"`
			Doc  string `ch:"doc"`
		}
		if err := conn.Select(ctx, &docs, "SELECT sign, doc FROM orders WHERE "+where, args...); err != nil {
			return nil, fmt.Errorf("read orders rows: %w", err)
		}
		for _, d := range docs {
			r := OrderRow{Sign: d.Sign}
			if err := docOf(d.Doc, &r); err != nil {
				return nil, fmt.Errorf("read orders rows: %w", err)
			}
			if k := r.Key(); want[k] {
				out[k] = append(out[k], r)
			}
		}
	}
	return out, nil
}

// InsertOrderRows writes rows (states with sign +1, cancels with -1) in one block.
func InsertOrderRows(ctx context.Context, conn driver.Conn, rows []OrderRow) error {
	return insertRows(ctx, conn, "orders", OrderColumns, rows, func(r *OrderRow) string { return fmt.Sprintf("%s/%d", r.Shop, r.OrderID) })
}

// InsertEventRows writes rows into sync_events in one block.
func InsertEventRows(ctx context.Context, conn driver.Conn, rows []EventRow) error {
	return insertRows(ctx, conn, "sync_events", EventColumns, rows, func(r *EventRow) string {
		return fmt.Sprintf("outcome %s (%s/%d)", r.OutcomeID, r.Shop, r.OrderID)
	})
}

// insertRows writes rows into table (columns: the row struct's) in one block; name
// says which row an error is about.
func insertRows[R any](ctx context.Context, conn driver.Conn, table, columns string, rows []R, name func(*R) string) error {
	if len(rows) == 0 {
		return nil
	}
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+columns+")")
	if err != nil {
		return fmt.Errorf("prepare %s insert: %w", table, err)
	}
	for i := range rows {
		if err := b.AppendStruct(&rows[i]); err != nil {
			_ = b.Abort()
			return fmt.Errorf("%s row for %s: %w", table, name(&rows[i]), err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %d %s rows: %w", len(rows), table, err)
	}
	return nil
}

// ReplaceOrders makes each of rows the live state of its order, for tools and tests
// that write whole rows (the sink writes through its fold, with a cache): it reads the
// orders' stored rows, cancels the live ones and writes rows, each with a version
// above the one it replaces. Rows of the same order apply in turn.
func ReplaceOrders(ctx context.Context, conn driver.Conn, rows []OrderRow) error {
	var keys []OrderKey
	seen := map[OrderKey]bool{}
	for i := range rows {
		if k := rows[i].Key(); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	stored, err := ReadOrderRows(ctx, conn, keys)
	if err != nil {
		return err
	}
	type state struct {
		row OrderRow
		ok  bool
	}
	current := map[OrderKey]state{}
	var out []OrderRow
	for _, k := range keys {
		live, ok, fixes := Settle(stored[k])
		current[k] = state{live, ok}
		out = append(out, fixes...)
	}
	for _, r := range rows {
		k := r.Key()
		cur := current[k]
		r.Sign = 1
		if cur.ok {
			out = append(out, cur.row.Cancel())
			if r.Version <= cur.row.Version {
				r.Version = cur.row.Version + 1
			}
		}
		current[k] = state{r, true}
		out = append(out, r)
	}
	return InsertOrderRows(ctx, conn, out)
}
