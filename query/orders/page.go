package orders

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/synco-dev/synco/platform/chstore"
)

// A page is found in two steps, neither reading the whole shop unless a search has
// to: first the page's (sort key, order id) pairs, then its rows by key from the doc
// column (chstore.ReadOrderRows).
//
// Without a search, order_counts says which buckets of the sort key hold the page's
// rows after the cursor (narrow), and order_sorts, sorted by (shop, kind, bucket,
// key), gives those rows from a few granules; the total is a sum over order_counts.
// With a search, the matches are read from orders (PREWHERE on its lower-cased
// search text) once, for the page and the total (searchAll); a search matching more
// than maxMatches rows is counted by a scan beside a walk of order_sorts that keeps
// the matches (broadPage). Most searches go through the term tables instead
// (terms.go), which find the same rows without the scan.

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
	q := pageQuery{shop: shop, col: sortColumns[f.Sort], asc: f.Dir == "asc", c: c, limit: limit}
	q.dims, q.dimArgs, q.search, q.searchArgs = f.conditions()

	var (
		keys  []pageKey
		more  bool
		total uint64
		err   error
		found bool
	)
	if q.search != "" {
		answered := false
		if q.tq = termQueryOf(f); q.tq != nil {
			// Through the term tables (terms.go), unless they cannot answer it.
			keys, more, total, found, answered, err = s.termSearch(ctx, &q)
			if err != nil {
				return nil, err
			}
		}
		if !answered {
			// Most searches match a few rows: read them all once, for the count and the page.
			q.tq = nil
			keys, more, total, found, err = s.searchAll(ctx, &q)
			if err != nil {
				return nil, err
			}
		}
	}
	if !found {
		// The count runs beside the page.
		countErr := make(chan error, 1)
		go func() {
			var err error
			total, err = s.count(ctx, &q)
			countErr <- err
		}()
		if q.search == "" {
			keys, more, err = s.pageKeys(ctx, &q)
		} else {
			keys, more, err = s.broadPage(ctx, &q)
		}
		if cerr := <-countErr; err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
	}
	got, err := s.rows(ctx, shop, keys)
	if err != nil {
		return nil, err
	}
	backward := q.backward()
	if backward {
		slices.Reverse(got)
	}
	p := &Page{Orders: make([]Order, len(got)), Total: total}
	for i := range got {
		p.Orders[i] = orderOf(&got[i].OrderRow)
	}
	edge := func(r *row, before bool) *string {
		cc := cursor{Sort: f.Sort, Dir: f.Dir, ID: r.OrderID, Before: before}
		if q.col.keyOf != nil {
			cc.Key = q.col.keyOf(r)
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

// count is the number of shop's live orders under the filter: from order_counts, or,
// with a search, the sum of the signs of the matching rows.
func (s *Store) count(ctx context.Context, q *pageQuery) (uint64, error) {
	if q.tq != nil {
		return s.termCount(ctx, q)
	}
	var n int64
	var err error
	if q.search == "" {
		err = s.ch.QueryRow(ctx, "SELECT sum(n) FROM order_counts WHERE "+countsWhere(q.dims),
			append([]any{q.shop, chstore.SortByDate.Kind}, q.dimArgs...)...).Scan(&n)
	} else {
		err = s.ch.QueryRow(ctx, "SELECT sum(toInt64(sign)) FROM orders PREWHERE "+q.search+" WHERE "+strings.Join(append([]string{"shop = ?"}, q.dims...), " AND "),
			append(append(slices.Clone(q.searchArgs), q.shop), q.dimArgs...)...).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("count orders: %w", err)
	}
	return uint64(max(n, 0)), nil
}

// countsWhere selects one shop's rows of one kind of order_counts (arguments: shop,
// kind, then those of dims).
func countsWhere(dims []string) string {
	return strings.Join(append([]string{"shop = ?", "kind = ?"}, dims...), " AND ")
}

// pageQuery is one page to find.
type pageQuery struct {
	shop  string
	col   sortColumn
	asc   bool
	c     *cursor
	limit int

	dims               []string
	dimArgs            []any
	search             string
	searchArgs         []any
	tq                 *termQuery // the search through the term tables, when they answer it
	bucketLo, bucketHi *int64     // the buckets that hold the page, when known
}

// backward is whether the page runs against the sort (a prev_cursor).
func (q *pageQuery) backward() bool { return q.c != nil && q.c.Before }

// up is whether rows are read in ascending key order.
func (q *pageQuery) up() bool { return q.asc != q.backward() }

// cursorKey is the cursor's key as the sort key's placeholder and value.
func (q *pageQuery) cursorKey() (string, any) {
	if q.col.bind == nil {
		return "toInt64(?)", int64(q.c.ID)
	}
	key, _ := q.col.bind(q.c.Key)
	if q.col.key.Text {
		return "?", key
	}
	return "toInt64(?)", key
}

// after reports whether k comes after the cursor in reading order.
func (q *pageQuery) after(k pageKey) bool {
	_, ck := q.cursorKey()
	c := pageKey{id: q.c.ID}
	if q.col.key.Text {
		c.ks = ck.(string)
	} else {
		c.kn = ck.(int64)
	}
	if q.up() {
		return c.less(k)
	}
	return k.less(c)
}

// pageKey is a row of the page's first step: its order and sort key (kn or ks, as in
// order_sorts).
type pageKey struct {
	id uint64
	kn int64
	ks string
}

// less is the order of the keys, as ClickHouse sorts them (strings bytewise).
func (a pageKey) less(b pageKey) bool {
	if a.kn != b.kn {
		return a.kn < b.kn
	}
	if a.ks != b.ks {
		return a.ks < b.ks
	}
	return a.id < b.id
}

// maxMatches is how many matching rows a search reads whole; past it, it counts and
// sorts in ClickHouse.
var maxMatches = 50_000

// searchAll reads every row that matches the search (up to maxMatches) with its key
// and sign, and answers the page and the count from them. found is false when there
// were more.
func (s *Store) searchAll(ctx context.Context, q *pageQuery) (keys []pageKey, more bool, total uint64, found bool, err error) {
	kn, ks := q.col.key.OfOrders()
	rows, err := s.ch.Query(ctx, "SELECT order_id, "+kn+", "+ks+", sign FROM orders PREWHERE "+q.search+
		" WHERE "+strings.Join(append([]string{"shop = ?"}, q.dims...), " AND ")+" LIMIT "+strconv.Itoa(maxMatches+1),
		append(append(slices.Clone(q.searchArgs), q.shop), q.dimArgs...)...)
	if err != nil {
		return nil, false, 0, false, fmt.Errorf("search orders: %w", err)
	}
	defer rows.Close()
	net := map[pageKey]int{}
	n, sum := 0, int64(0)
	for rows.Next() {
		var k pageKey
		var sign int8
		if err := rows.Scan(&k.id, &k.kn, &k.ks, &sign); err != nil {
			return nil, false, 0, false, fmt.Errorf("search orders: %w", err)
		}
		net[k] += int(sign)
		sum += int64(sign)
		if n++; n > maxMatches {
			return nil, false, 0, false, nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, 0, false, fmt.Errorf("search orders: %w", err)
	}
	var live []pageKey
	for k, v := range net {
		if v > 0 {
			live = append(live, k)
		}
	}
	keys, more = q.pageOf(live)
	return keys, more, uint64(max(sum, 0)), true, nil
}

// pageKeys finds the keys of the page (in reading order) and whether more rows follow.
func (s *Store) pageKeys(ctx context.Context, q *pageQuery) ([]pageKey, bool, error) {
	narrowed, err := s.narrow(ctx, q, q.limit+1)
	if err != nil {
		return nil, false, err
	}
	// Rows of replaced states come in pairs (+1, -1) that add up to nothing: read a
	// little more than the page, and more again if such pairs filled it.
	for n := q.limit + 1 + 16; ; n *= 4 {
		keys, raw, err := s.readKeys(ctx, q, n)
		if err != nil {
			return nil, false, err
		}
		if len(keys) > q.limit || raw < n {
			if len(keys) <= q.limit && narrowed {
				// order_counts promised more rows in these buckets than there were (a
				// write between the two reads): read without narrowing.
				q.bucketLo, q.bucketHi, narrowed = nil, nil, false
				continue
			}
			more := len(keys) > q.limit
			return keys[:min(len(keys), q.limit)], more, nil
		}
	}
}

// narrow sets the bucket range that holds the page from order_counts: from the
// cursor's bucket (or the first one) on, as many buckets as hold `rows` live rows
// after the cursor. It reports whether the range leaves rows out.
func (s *Store) narrow(ctx context.Context, q *pageQuery, rows int) (bool, error) {
	k := q.col.key
	dir, cmp := "DESC", "<="
	if q.up() {
		dir, cmp = "ASC", ">="
	}
	where, args := countsWhere(q.dims), append([]any{q.shop, k.Kind}, q.dimArgs...)
	with, cursorBucket := "", "0"
	if q.c != nil {
		ph, key := q.cursorKey()
		with, cursorBucket = "WITH "+ph+" AS cursor_key ", k.BucketOf("cursor_key")
		args = append([]any{key}, args...)
		where += " AND bucket " + cmp + " " + cursorBucket
	}
	res, err := s.ch.Query(ctx, with+"SELECT bucket, sum(n) AS cnt, bucket = "+cursorBucket+" AS at_cursor FROM order_counts WHERE "+where+
		" GROUP BY bucket HAVING cnt > 0 ORDER BY bucket "+dir+" LIMIT "+strconv.Itoa(rows+1), args...)
	if err != nil {
		return false, fmt.Errorf("read order counts: %w", err)
	}
	defer res.Close()
	var (
		first, last int64
		seen, cum   int64
		reached     bool
	)
	for res.Next() {
		var b, n int64
		var atCursor uint8
		if err := res.Scan(&b, &n, &atCursor); err != nil {
			return false, fmt.Errorf("read order counts: %w", err)
		}
		if seen == 0 {
			first = b
		}
		seen++
		last = b
		if q.c != nil && atCursor == 1 {
			continue // partly before the cursor: it counts for nothing
		}
		if cum += n; cum >= int64(rows) {
			reached = true
			break
		}
	}
	if err := res.Err(); err != nil {
		return false, fmt.Errorf("read order counts: %w", err)
	}
	if seen == 0 {
		return false, nil
	}
	lo, hi := first, last
	if !q.up() {
		lo, hi = last, first
	}
	if reached {
		q.bucketLo, q.bucketHi = &lo, &hi
	} else if q.c != nil {
		// Everything after the cursor: only the cursor's side is bounded.
		if q.up() {
			q.bucketLo = &lo
		} else {
			q.bucketHi = &hi
		}
	}
	return reached, nil
}

// readKeys reads up to n rows' (id, key, sign) of the page from order_sorts in
// reading order, where the rows of a bucket range lie together, and settles them:
// rows with the same key and id are adjacent, and those whose signs add up to more
// than zero are live. It returns the live keys and how many rows it read; when it
// read n, the last key may have rows beyond and is left out.
func (s *Store) readKeys(ctx context.Context, q *pageQuery, n int) ([]pageKey, int, error) {
	key := q.col.key.Column()
	conds := append([]string{"shop = ?", "kind = ?"}, q.dims...)
	args := append([]any{q.shop, q.col.key.Kind}, q.dimArgs...)
	if q.bucketLo != nil {
		conds, args = append(conds, "bucket >= ?"), append(args, *q.bucketLo)
	}
	if q.bucketHi != nil {
		conds, args = append(conds, "bucket <= ?"), append(args, *q.bucketHi)
	}
	op, dir := "<", "DESC"
	if q.up() {
		op, dir = ">", "ASC"
	}
	if q.c != nil {
		ph, ck := q.cursorKey()
		conds = append(conds, fmt.Sprintf("(%[1]s %[2]s %[3]s OR (%[1]s = %[3]s AND order_id %[2]s ?))", key, op, ph))
		args = append(args, ck, ck, q.c.ID)
	}
	rows, err := s.ch.Query(ctx, "SELECT order_id, kn, ks, sign FROM order_sorts WHERE "+strings.Join(conds, " AND ")+
		" ORDER BY "+key+" "+dir+", order_id "+dir+" LIMIT "+strconv.Itoa(n), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list orders: %w", err)
	}
	defer rows.Close()
	var (
		keys []pageKey
		cur  pageKey
		net  int
		raw  int
	)
	flush := func() {
		if raw > 0 && net > 0 {
			keys = append(keys, cur)
		}
	}
	for rows.Next() {
		var k pageKey
		var sign int8
		if err := rows.Scan(&k.id, &k.kn, &k.ks, &sign); err != nil {
			return nil, 0, fmt.Errorf("read orders: %w", err)
		}
		if raw == 0 || k != cur {
			flush()
			cur, net = k, 0
		}
		net += int(sign)
		raw++
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read orders: %w", err)
	}
	if raw < n {
		flush()
	}
	return keys, raw, nil
}

// broadPage finds the page of a search that matches more than maxMatches rows, so
// many that walking the sort order (order_sorts, as without a search) and keeping the
// orders whose live row matches fills the page after a read or two, where sorting
// every match would read the whole shop again.
func (s *Store) broadPage(ctx context.Context, q *pageQuery) ([]pageKey, bool, error) {
	walk := *q
	walk.search, walk.searchArgs = "", nil
	for rows := 4 * (q.limit + 1); ; rows *= 8 {
		walk.bucketLo, walk.bucketHi = nil, nil
		narrowed, err := s.narrow(ctx, &walk, rows)
		if err != nil {
			return nil, false, err
		}
		n := rows + rows/4 + 16
		keys, raw, err := s.readKeys(ctx, &walk, n)
		if err != nil {
			return nil, false, err
		}
		matched, err := s.matching(ctx, q, keys)
		if err != nil {
			return nil, false, err
		}
		if len(matched) > q.limit || (raw < n && !narrowed) {
			return matched[:min(len(matched), q.limit)], len(matched) > q.limit, nil
		}
	}
}

// matching keeps the keys whose order's live row matches q's search. A replaced row
// and its cancel are the same text, so they match together and add up to nothing:
// the orders whose matching rows add up to more than zero are those whose live row
// matches.
func (s *Store) matching(ctx context.Context, q *pageQuery, keys []pageKey) ([]pageKey, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	ok := make(map[uint64]bool, len(keys))
	for chunk := range slices.Chunk(keys, chstore.KeysPerQuery) {
		ks := make([]chstore.OrderKey, len(chunk))
		for i, k := range chunk {
			ks[i] = chstore.OrderKey{Shop: q.shop, OrderID: k.id}
		}
		where, args := chstore.KeysWhere(ks)
		rows, err := s.ch.Query(ctx, "SELECT order_id, sum(toInt64(sign)) AS n FROM orders PREWHERE "+q.search+
			" WHERE "+where+" GROUP BY order_id HAVING n > 0", append(slices.Clone(q.searchArgs), args...)...)
		if err != nil {
			return nil, fmt.Errorf("search orders: %w", err)
		}
		for rows.Next() {
			var id uint64
			var n int64
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("search orders: %w", err)
			}
			ok[id] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("search orders: %w", err)
		}
	}
	out := make([]pageKey, 0, len(ok))
	for _, k := range keys {
		if ok[k.id] {
			out = append(out, k)
		}
	}
	return out, nil
}

// rows reads the live rows of the page's keys, in their order. A key whose order
// changed since (its live row is another) keeps its place with the newer row.
func (s *Store) rows(ctx context.Context, shop string, keys []pageKey) ([]row, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	ks := make([]chstore.OrderKey, len(keys))
	for i, k := range keys {
		ks[i] = chstore.OrderKey{Shop: shop, OrderID: k.id}
	}
	stored, err := chstore.ReadOrderRows(ctx, s.ch, ks)
	if err != nil {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	out := make([]row, 0, len(keys))
	seen := make(map[uint64]bool, len(keys))
	for _, k := range keys {
		live, ok, _ := chstore.Settle(stored[chstore.OrderKey{Shop: shop, OrderID: k.id}])
		if ok && !seen[k.id] {
			seen[k.id] = true
			out = append(out, row{OrderRow: live, SortKey: k.ks})
		}
	}
	return out, nil
}
