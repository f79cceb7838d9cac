package orders

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/synco-dev/synco/platform/chstore"
)

// A search through the term tables (chstore.termsDDL): the shop's terms that contain
// the search's longest run of term bytes (shop_terms), then those terms' rows of
// order_terms, a few adjacent ranges that hold each row's sort keys and filter
// dimensions. A search that is one run lies inside a term wherever it matches, so
// these rows are exactly its matches; any other search (with punctuation or spaces)
// is checked against the orders' text by key (matching). A search that none of this
// can answer cheaply (too many terms contain it, or a checked search with too many
// candidates) goes through the scan (searchAll, broadPage), as before.

// useTerms switches the term tables on (tests compare both ways).
var useTerms = true

// maxTerms is how many distinct terms a search may go through; past it (a run of a
// letter or two is in most terms), the scan is cheaper.
var maxTerms = 1000

// termQuery is what the term tables need of a search.
type termQuery struct {
	run   string // the longest run of term bytes
	exact bool   // the search is that run alone: no check against the text
	id    uint64 // a numeric search's id (0: none)
	terms []string
}

// termQueryOf is f's search for the term tables, nil for one they do not answer
// (after Normalized).
func termQueryOf(f Filter) *termQuery {
	q := f.Q
	if !useTerms || q == "" || f.IDType != "" || strings.Contains(q, "\n") {
		return nil
	}
	tq := &termQuery{exact: true}
	start := -1
	for i := 0; i <= len(q); i++ {
		if i < len(q) && chstore.TermByte(q[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if i < len(q) {
			tq.exact = false
		}
		if start >= 0 && i-start > len(tq.run) {
			tq.run = q[start:i]
		}
		start = -1
	}
	if tq.run == "" {
		return nil
	}
	if id, ok := parseID(q); ok {
		tq.id = id
	}
	return tq
}

// termSearch answers q's page and total from the term tables. answered is false when
// it cannot (the caller scans); found is false when the matches are too many to read
// (the caller counts with termCount and walks the sort order: q.tq.terms is set).
func (s *Store) termSearch(ctx context.Context, q *pageQuery) (keys []pageKey, more bool, total uint64, found, answered bool, err error) {
	tq := q.tq
	// The terms that contain the run have a skeleton that contains the run's: with
	// letters in the run, only those skeletons' terms are read.
	query, args := "SELECT DISTINCT term FROM shop_terms WHERE shop = ? AND term LIKE concat('%', lowerUTF8(?), '%')", []any{q.shop, tq.run}
	if skel := chstore.Skel(tq.run); skel != "" {
		query += " AND skel IN (SELECT skel FROM shop_skels WHERE shop = ? AND skel LIKE concat('%', lowerUTF8(?), '%'))"
		args = append(args, q.shop, skel)
	}
	terms, err := chstore.ReadStrings(ctx, s.ch, query+" LIMIT "+strconv.Itoa(maxTerms+1), args...)
	if err != nil {
		return nil, false, 0, false, false, fmt.Errorf("search terms: %w", err)
	}
	if len(terms) > maxTerms {
		return nil, false, 0, false, false, nil
	}
	if tq.id != 0 {
		terms = append(terms, chstore.IDTerm(tq.id))
	}
	tq.terms = terms
	if len(terms) == 0 {
		return nil, false, 0, true, true, nil // no order has a term with the run
	}
	where, args := q.termsWhere()
	kn, ks := q.col.key.OfOrders()
	res, err := s.ch.Query(ctx, "SELECT order_id, term, "+kn+", "+ks+", sign FROM order_terms WHERE "+where+" LIMIT "+strconv.Itoa(maxMatches+1), args...)
	if err != nil {
		return nil, false, 0, false, false, fmt.Errorf("search orders: %w", err)
	}
	defer res.Close()
	type termKey struct {
		k    pageKey
		term string
	}
	net := map[termKey]int{}
	n := 0
	for res.Next() {
		var tk termKey
		var sign int8
		if err := res.Scan(&tk.k.id, &tk.term, &tk.k.kn, &tk.k.ks, &sign); err != nil {
			return nil, false, 0, false, false, fmt.Errorf("search orders: %w", err)
		}
		net[tk] += int(sign)
		if n++; n > maxMatches {
			// Too many to read: exact, they are counted in ClickHouse; else scan.
			return nil, false, 0, false, tq.exact, nil
		}
	}
	if err := res.Err(); err != nil {
		return nil, false, 0, false, false, fmt.Errorf("search orders: %w", err)
	}
	seen := map[pageKey]bool{}
	var live []pageKey
	for tk, v := range net {
		if v > 0 && !seen[tk.k] {
			seen[tk.k] = true
			live = append(live, tk.k)
		}
	}
	if !tq.exact {
		// The candidates have a term with the search's longest run: keep those whose
		// live row matches the whole search.
		if live, err = s.matching(ctx, q, live); err != nil {
			return nil, false, 0, false, false, err
		}
	}
	keys, more = q.pageOf(live)
	return keys, more, uint64(len(live)), true, true, nil
}

// termsWhere selects q's terms' rows of order_terms under the filter.
func (q *pageQuery) termsWhere() (string, []any) {
	args := []any{q.shop}
	for _, t := range q.tq.terms {
		args = append(args, t)
	}
	return strings.Join(append([]string{"shop = ?", "term IN (" + chstore.Placeholders(len(q.tq.terms)) + ")"}, q.dims...), " AND "), append(args, q.dimArgs...)
}

// termCount counts the live orders with one of q's terms under the filter (an exact
// search, after termSearch). An order may have several of them: with more than one
// term, each order counts once.
func (s *Store) termCount(ctx context.Context, q *pageQuery) (uint64, error) {
	where, args := q.termsWhere()
	query := "SELECT sum(toInt64(sign)) FROM order_terms WHERE " + where
	if len(q.tq.terms) > 1 {
		query = "SELECT toInt64(uniqExact(order_id)) FROM (SELECT order_id, term, sum(toInt64(sign)) AS n FROM order_terms WHERE " + where +
			" GROUP BY order_id, term HAVING n > 0)"
	}
	var n int64
	if err := s.ch.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count orders: %w", err)
	}
	return uint64(max(n, 0)), nil
}

// pageOf is the page of the live keys after the cursor, in reading order, and
// whether more follow.
func (q *pageQuery) pageOf(live []pageKey) ([]pageKey, bool) {
	var keys []pageKey
	for _, k := range live {
		if q.c == nil || q.after(k) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b pageKey) int {
		if a == b {
			return 0
		}
		if a.less(b) == q.up() {
			return -1
		}
		return 1
	})
	return keys[:min(len(keys), q.limit)], len(keys) > q.limit
}
