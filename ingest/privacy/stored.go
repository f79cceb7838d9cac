package privacy

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/consume"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/schemas"
)

// Kept is Stored on ClickHouse and the jobs topic. The tables are found in the
// database (system.columns), so a table added later with a shop column is covered
// without a change here: its email and customer columns are blanked for a customer,
// its rows deleted for a shop.
type Kept struct {
	Conn       func(context.Context) (driver.Conn, error)
	ClientOpts []kgo.Opt        // to read synco.jobs
	Publisher  *kafka.Publisher // to write its tombstones
}

// personal are the columns of personal data a row may have.
var personal = []string{"email", "customer"}

// tables lists the database's tables (not views) with their columns.
func (k Kept) tables(ctx context.Context, c driver.Conn) (map[string][]string, error) {
	// Views are left out: a materialized view's rows live in its target table (which is
	// listed), and ClickHouse refuses mutations on the view itself.
	rows, err := c.Query(ctx, "SELECT table, name FROM system.columns WHERE database = currentDatabase() AND table IN "+
		"(SELECT name FROM system.tables WHERE database = currentDatabase() AND engine NOT LIKE '%View')")
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var t, col string
		if err := rows.Scan(&t, &col); err != nil {
			return nil, err
		}
		out[t] = append(out[t], col)
	}
	return out, rows.Err()
}

// OrdersOf implements Stored.
func (k Kept) OrdersOf(ctx context.Context, shop, email string) ([]int64, error) {
	c, err := k.Conn(ctx)
	if err != nil {
		return nil, err
	}
	q, args := "SELECT DISTINCT order_id FROM sync_events WHERE shop = ?", []any{shop}
	if email != "" {
		q += " AND lower(email) = lower(?)"
		args = append(args, email)
	}
	rows, err := c.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("orders of %s: %w", shop, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id uint64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, int64(id))
	}
	return out, rows.Err()
}

// RedactOrders implements Stored: ALTER TABLE … UPDATE (a ClickHouse mutation; it runs
// in the background and is done within moments).
func (k Kept) RedactOrders(ctx context.Context, shop string, ids []int64) error {
	c, err := k.Conn(ctx)
	if err != nil {
		return err
	}
	ts, err := k.tables(ctx, c)
	if err != nil {
		return err
	}
	// Chunks of ids keep a statement well under ClickHouse's max_query_size.
	var chunks []string
	for i := 0; i < len(ids); i += 1000 {
		part := ids[i:min(i+1000, len(ids))]
		list := make([]string, len(part))
		for j, id := range part {
			list[j] = strconv.FormatInt(id, 10)
		}
		chunks = append(chunks, strings.Join(list, ","))
	}
	for _, t := range sorted(ts) {
		cols := ts[t]
		if !slices.Contains(cols, "shop") || !slices.Contains(cols, "order_id") {
			continue
		}
		var set []string
		for _, p := range personal {
			if slices.Contains(cols, p) {
				set = append(set, p+" = ''")
			}
		}
		if len(set) == 0 {
			continue
		}
		for _, in := range chunks {
			q := fmt.Sprintf("ALTER TABLE %s UPDATE %s WHERE shop = ? AND order_id IN (%s)", t, strings.Join(set, ", "), in)
			if err := c.Exec(ctx, q, shop); err != nil {
				return fmt.Errorf("redact %s: %w", t, err)
			}
		}
	}
	return nil
}

// DeleteShop implements Stored: ALTER TABLE … DELETE of every table with a shop.
func (k Kept) DeleteShop(ctx context.Context, shop string) error {
	c, err := k.Conn(ctx)
	if err != nil {
		return err
	}
	ts, err := k.tables(ctx, c)
	if err != nil {
		return err
	}
	for _, t := range sorted(ts) {
		if !slices.Contains(ts[t], "shop") {
			continue
		}
		if err := c.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DELETE WHERE shop = ?", t), shop); err != nil {
			return fmt.Errorf("delete %s's rows of %s: %w", shop, t, err)
		}
	}
	return nil
}

// DeleteJobs implements Stored: a tombstone for each of the shop's job keys.
func (k Kept) DeleteJobs(ctx context.Context, shop string) error {
	prefix := shop + "/"
	var keys []string
	if err := consume.ReadToEnd(ctx, k.ClientOpts, schemas.TopicJobs, nil, func(r *kgo.Record) {
		if strings.HasPrefix(string(r.Key), prefix) && r.Value != nil {
			keys = append(keys, string(r.Key))
		}
	}); err != nil {
		return err
	}
	b := k.Publisher.Batch()
	for _, key := range keys {
		b.PublishRecord(ctx, &kgo.Record{Topic: schemas.TopicJobs, Key: []byte(key)})
	}
	return b.Wait(ctx)
}

func sorted(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
