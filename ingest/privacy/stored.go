package privacy

import (
	"context"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/consume"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/schemas"
)

// Kept is Stored on ClickHouse and the jobs topic.
type Kept struct {
	Conn       func(context.Context) (driver.Conn, error)
	ClientOpts []kgo.Opt        // to read synco.jobs
	Publisher  *kafka.Publisher // to write its tombstones
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

// DeleteShop implements Stored: every ClickHouse row of the shop.
func (k Kept) DeleteShop(ctx context.Context, shop string) error {
	c, err := k.Conn(ctx)
	if err != nil {
		return err
	}
	return chstore.DeleteShop(ctx, c, shop, false)
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
