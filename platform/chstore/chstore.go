// Package chstore opens Synco's ClickHouse database over the native protocol and
// migrates its tables forward. The tables work on ClickHouse 18.16 (Debian's) and on
// current releases: no DateTime64, Map, Bool or LowCardinality; UInt8 for booleans.
package chstore

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/synco-dev/synco/platform/config"
)

// Open connects to cfg.Addr, creates cfg.Database when it is missing and returns a
// connection bound to it. It does not migrate: call Migrate.
func Open(ctx context.Context, cfg config.ClickHouse) (driver.Conn, error) {
	opts := func(db string) *clickhouse.Options {
		return &clickhouse.Options{
			Addr:        []string{cfg.Addr},
			Auth:        clickhouse.Auth{Database: db, Username: cfg.Username, Password: cfg.Password},
			DialTimeout: 5 * time.Second,
			ReadTimeout: 60 * time.Second,
		}
	}
	boot, err := clickhouse.Open(opts("default"))
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: %w", cfg.Addr, err)
	}
	defer boot.Close()
	if err := boot.Ping(ctx); err != nil {
		return nil, fmt.Errorf("clickhouse %s does not answer (start it with deploy/clickhouse.sh, or set CLICKHOUSE_ADDR): %w", cfg.Addr, err)
	}
	if err := boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+cfg.Database); err != nil {
		return nil, fmt.Errorf("create database %s: %w", cfg.Database, err)
	}
	conn, err := clickhouse.Open(opts(cfg.Database))
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s/%s: %w", cfg.Addr, cfg.Database, err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse %s/%s: %w", cfg.Addr, cfg.Database, err)
	}
	return conn, nil
}

// Migration is one forward step of the schema. Never edit a shipped one: add a new.
type Migration struct {
	Version int
	SQL     string
}

// Migrations are applied in order, once each; schema_migrations records them.
var Migrations = []Migration{
	{1, `CREATE TABLE IF NOT EXISTS sync_events (
		outcome_id String,
		shop String,
		order_id UInt64,
		version UInt64,
		stage String,
		at DateTime,
		at_ms UInt64,
		order_name String,
		created_at DateTime,
		email String,
		customer String,
		total Decimal(18, 4),
		currency String,
		financial_status String,
		fulfillment_status String,
		source String,
		eligible UInt8,
		ineligible_reasons Array(String),
		status String,
		odoo_model String,
		odoo_id UInt64,
		odoo_name String,
		invoice_id UInt64,
		error String,
		retry_at Nullable(DateTime),
		attempt UInt32,
		rpc_calls UInt32,
		latency_ms UInt64
	) ENGINE = ReplacingMergeTree(at_ms)
	PARTITION BY toYYYYMM(at)
	ORDER BY (shop, order_id, outcome_id)`},
	{2, `CREATE TABLE IF NOT EXISTS orders (
		shop String,
		order_id UInt64,
		order_name String,
		created_at DateTime,
		email String,
		customer String,
		total Decimal(18, 4),
		currency String,
		financial_status String,
		fulfillment_status String,
		source String,
		eligible UInt8,
		ineligible_reasons Array(String),
		status String,
		odoo_model String,
		odoo_id UInt64,
		odoo_name String,
		invoice_id UInt64,
		error String,
		retry_at Nullable(DateTime),
		attempt UInt32,
		updated_at DateTime,
		version UInt64
	) ENGINE = ReplacingMergeTree(version)
	ORDER BY (shop, order_id)`},
	{3, `CREATE TABLE IF NOT EXISTS saved_views (
		shop String,
		view_id String,
		name String,
		filters String,
		deleted UInt8,
		updated_at DateTime,
		version UInt64
	) ENGINE = ReplacingMergeTree(version)
	ORDER BY (shop, view_id)`},
}

// Migrate applies the migrations that conn's database does not have yet.
func Migrate(ctx context.Context, conn driver.Conn) error {
	if err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version UInt32, applied_at DateTime) ENGINE = MergeTree ORDER BY version`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[int(v)] = true
	}
	rows.Close()
	for _, m := range Migrations {
		if applied[m.Version] {
			continue
		}
		if err := conn.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %d: %w", m.Version, err)
		}
		if err := record(ctx, conn, m.Version); err != nil {
			return fmt.Errorf("record migration %d: %w", m.Version, err)
		}
	}
	return nil
}

// record notes an applied migration. It sends a block: ClickHouse 18.16 answers an
// INSERT ... VALUES sent through Exec by waiting for data that never comes (the
// connection then times out).
func record(ctx context.Context, conn driver.Conn, version int) error {
	b, err := conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, applied_at)")
	if err != nil {
		return err
	}
	if err := b.Append(uint32(version), time.Now()); err != nil {
		b.Abort()
		return err
	}
	return b.Send()
}
