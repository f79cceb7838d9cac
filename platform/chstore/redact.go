package chstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// RedactOrders blanks the personal data of a shop's orders wherever the tables hold
// it (customers/redact), and may be run again after a crash at any step:
//   - email and customer in sync_events and orders, by mutation (ClickHouse recomputes
//     orders' derived columns — doc, search, customer_key — in the same mutation);
//   - the customer sort's rows of order_sorts, whose key (ks) is the lower-cased name
//     and cannot be updated: deleted, then written again from the redacted rows of
//     orders that have none;
//   - the shop's counts of the customer sort, counted again, since the orders moved
//     buckets;
//   - the orders' rows of order_terms (the name and email terms), deleted and written
//     again from the redacted rows, and the terms of shop_terms and skeletons of
//     shop_skels that nothing has any more (those were only the redacted orders').
//
// The ClickHouse sink runs it in line with its writes (a write meanwhile would put the
// old text back in a cancel row).
func RedactOrders(ctx context.Context, conn driver.Conn, shop string, ids []int64) error {
	for i := 0; i < len(ids); i += 1000 { // well under max_query_size
		if err := redactChunk(ctx, conn, shop, ids[i:min(i+1000, len(ids))]); err != nil {
			return fmt.Errorf("redact orders of %s: %w", shop, err)
		}
	}
	kind := strconv.Itoa(int(SortByCustomer.Kind))
	dims := strings.Join(CountDims, ", ")
	if err := conn.Exec(ctx, "ALTER TABLE order_counts DELETE WHERE shop = ? AND kind = "+kind, shop); err != nil {
		return fmt.Errorf("recount: %w", err)
	}
	if err := waitMutations(ctx, conn, "order_counts"); err != nil {
		return err
	}
	all := "(SELECT *, " + derivedNames() + " FROM orders WHERE shop = ?)"
	if err := conn.Exec(ctx, "INSERT INTO order_counts (shop, kind, "+dims+", bucket, n) SELECT shop, kind, "+dims+", bucket, n FROM ("+
		countsSelect(all)+") WHERE kind = "+kind, shop); err != nil {
		return fmt.Errorf("recount: %w", err)
	}
	if err := dropStaleTerms(ctx, conn, shop); err != nil {
		return fmt.Errorf("redact orders of %s: %w", shop, err)
	}
	return nil
}

// dropStaleTerms deletes the shop's terms of shop_terms that no row of order_terms
// has, and the skeletons of shop_skels that no term has. (18.16 mutations with a
// subquery delete the wrong rows: they are read first and deleted by list.)
func dropStaleTerms(ctx context.Context, conn driver.Conn, shop string) error {
	if err := dropStale(ctx, conn, shop, "shop_terms", "term", "SELECT DISTINCT term FROM shop_terms WHERE shop = ? AND term NOT IN (SELECT term FROM order_terms WHERE shop = ?)"); err != nil {
		return err
	}
	return dropStale(ctx, conn, shop, "shop_skels", "skel", "SELECT DISTINCT skel FROM shop_skels WHERE shop = ? AND skel NOT IN (SELECT "+SkelExpr("term")+" FROM shop_terms WHERE shop = ?)")
}

// dropStale deletes the values of column col of the shop's rows of table that query
// (arguments: shop, shop) reads.
func dropStale(ctx context.Context, conn driver.Conn, shop, table, col, query string) error {
	stale, err := ReadStrings(ctx, conn, query, shop, shop)
	if err != nil {
		return fmt.Errorf("stale terms: %w", err)
	}
	for i := 0; i < len(stale); i += 1000 {
		chunk := stale[i:min(i+1000, len(stale))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, shop)
		for _, t := range chunk {
			args = append(args, t)
		}
		if err := conn.Exec(ctx, "ALTER TABLE "+table+" DELETE WHERE shop = ? AND "+col+" IN ("+Placeholders(len(chunk))+")", args...); err != nil {
			return fmt.Errorf("drop stale terms: %w", err)
		}
	}
	if len(stale) > 0 {
		return waitMutations(ctx, conn, table)
	}
	return nil
}

func redactChunk(ctx context.Context, conn driver.Conn, shop string, ids []int64) error {
	list := make([]string, len(ids))
	for j, id := range ids {
		list[j] = strconv.FormatInt(id, 10)
	}
	in := strings.Join(list, ",")
	kind := strconv.Itoa(int(SortByCustomer.Kind))
	for _, q := range []string{
		"ALTER TABLE order_sorts DELETE WHERE shop = ? AND kind = " + kind + " AND ks != '' AND order_id IN (" + in + ")",
		"ALTER TABLE order_terms DELETE WHERE shop = ? AND order_id IN (" + in + ")",
		"ALTER TABLE sync_events UPDATE email = '', customer = '' WHERE shop = ? AND order_id IN (" + in + ")",
		"ALTER TABLE orders UPDATE email = '', customer = '' WHERE shop = ? AND order_id IN (" + in + ")",
	} {
		if err := conn.Exec(ctx, q, shop); err != nil {
			return err
		}
	}
	if err := waitMutations(ctx, conn, "order_sorts", "order_terms", "sync_events", "orders"); err != nil {
		return err
	}
	// The orders left without customer-sort rows get them again, from their redacted rows.
	rows := "(SELECT *, " + derivedNames() + " FROM orders WHERE shop = ? AND order_id IN (" + in + ") AND order_id NOT IN " +
		"(SELECT order_id FROM order_sorts WHERE shop = ? AND kind = " + kind + " AND order_id IN (" + in + ")))"
	if err := conn.Exec(ctx, "INSERT INTO order_sorts SELECT * FROM ("+sortsSelect(rows)+") WHERE kind = "+kind, shop, shop); err != nil {
		return fmt.Errorf("order_sorts: %w", err)
	}
	// Every row of these orders was deleted from order_terms: all of them again, redacted.
	redacted := "(SELECT *, " + derivedNames() + " FROM orders WHERE shop = ? AND order_id IN (" + in + "))"
	if err := conn.Exec(ctx, "INSERT INTO order_terms "+termsSelect(redacted), shop); err != nil {
		return fmt.Errorf("order_terms: %w", err)
	}
	return nil
}

func derivedNames() string { return strings.Join(names(orderDerived), ", ") }

// waitMutations waits until the database's mutations of these tables are done (18.16
// runs them in the background and has no setting to wait).
func waitMutations(ctx context.Context, conn driver.Conn, tables ...string) error {
	q := "SELECT count() FROM system.mutations WHERE database = currentDatabase() AND is_done = 0 AND table IN ('" + strings.Join(tables, "', '") + "')"
	deadline := time.Now().Add(time.Minute)
	for {
		var n uint64
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			return fmt.Errorf("mutations: %w", err)
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mutations of %v not done after a minute", tables)
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// DeleteShop deletes every row of a shop, in every table (shop/redact). ClickHouse
// keeps a mutation once it took it, so wait only when the caller reads right after.
func DeleteShop(ctx context.Context, conn driver.Conn, shop string, wait bool) error {
	tables := []string{"sync_events", "orders", "order_sorts", "order_counts", "order_terms", "shop_terms", "shop_skels", "saved_views"}
	for _, t := range tables {
		if err := conn.Exec(ctx, "ALTER TABLE "+t+" DELETE WHERE shop = ?", shop); err != nil {
			return fmt.Errorf("delete %s's rows of %s: %w", shop, t, err)
		}
	}
	if !wait {
		return nil
	}
	return waitMutations(ctx, conn, tables...)
}
