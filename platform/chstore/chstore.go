// Package chstore opens Synco's ClickHouse database over the native protocol,
// migrates its tables forward and declares them: sync_events (EventRow), orders
// (OrderRow: every state of every order, a replaced one cancelled with sign -1, read
// by key through its doc column), and order_counts, order_sorts, order_terms and
// shop_terms, which views keep from orders for the order table's totals, sorted pages
// and searches. The tables work on
// ClickHouse 18.16 (Debian's) and on current releases: no DateTime64, Map, Bool,
// LowCardinality, skipping indexes or projections; UInt8 for booleans.
package chstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
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
// It is SQL, or Run for a step that needs to look first. Columns added to OrderRow or
// EventRow need no migration: Migrate adds the declared columns a table lacks.
type Migration struct {
	Version int
	SQL     string
	Run     func(ctx context.Context, conn driver.Conn) error
}

// shippedStateColumns are the columns migrations 1 and 2 both created, in that order
// (OrderState's at the time). Shipped: never edit it, as the migrations using it.
const shippedStateColumns = `		order_name String,
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
`

// Migrations are applied in order, once each; schema_migrations records them.
var Migrations = []Migration{
	{Version: 1, SQL: `CREATE TABLE IF NOT EXISTS sync_events (
		outcome_id String,
		shop String,
		order_id UInt64,
		version UInt64,
		stage String,
		at DateTime,
		at_ms UInt64,
` + shippedStateColumns + `		rpc_calls UInt32,
		latency_ms UInt64
	) ENGINE = ReplacingMergeTree(at_ms)
	PARTITION BY toYYYYMM(at)
	ORDER BY (shop, order_id, outcome_id)`},
	// The first orders table, a ReplacingMergeTree read with FINAL; migration 4
	// replaces it.
	{Version: 2, SQL: `CREATE TABLE IF NOT EXISTS orders (
		shop String,
		order_id UInt64,
` + shippedStateColumns + `		updated_at DateTime,
		version UInt64
	) ENGINE = ReplacingMergeTree(version)
	ORDER BY (shop, order_id)`},
	{Version: 3, SQL: `CREATE TABLE IF NOT EXISTS saved_views (
		shop String,
		view_id String,
		name String,
		filters String,
		deleted UInt8,
		updated_at DateTime,
		version UInt64
	) ENGINE = ReplacingMergeTree(version)
	ORDER BY (shop, view_id)`},
	// orders becomes a VersionedCollapsingMergeTree with the columns the order table
	// searches and sorts by, and order_counts beside it: the order table without FINAL.
	{Version: 4, Run: rebuildOrders},
	// order_terms and shop_terms, the search's term tables (terms.go).
	{Version: 5, Run: func(ctx context.Context, conn driver.Conn) error {
		for _, q := range termSteps() {
			if err := conn.Exec(ctx, q); err != nil {
				return fmt.Errorf("%.60s…: %w", q, err)
			}
		}
		return nil
	}},
}

// migrateMu serialises Migrate within a process (`synco all` starts the query and
// sink stages together); the lock table serialises it across processes.
var migrateMu sync.Mutex

// Migrate brings conn's database to the current schema: the migrations it does not
// have yet, then the declared columns its tables lack. Several processes may call it
// at once: one migrates while the others wait for it (schema_migrations_lock).
func Migrate(ctx context.Context, conn driver.Conn) error {
	migrateMu.Lock()
	defer migrateMu.Unlock()
	if err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version UInt32, applied_at DateTime) ENGINE = MergeTree ORDER BY version`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	if done, err := upToDate(ctx, conn); err != nil || done {
		return err
	}
	unlock, err := lock(ctx, conn)
	if err != nil {
		return err
	}
	defer unlock()
	// Another process may have migrated while we waited.
	applied, err := appliedVersions(ctx, conn)
	if err != nil {
		return err
	}
	for _, m := range Migrations {
		if applied[m.Version] {
			continue
		}
		if m.Run != nil {
			err = m.Run(ctx, conn)
		} else {
			err = conn.Exec(ctx, m.SQL)
		}
		if err != nil {
			return fmt.Errorf("migration %d: %w", m.Version, err)
		}
		if err := record(ctx, conn, m.Version); err != nil {
			return fmt.Errorf("record migration %d: %w", m.Version, err)
		}
	}
	for _, t := range []table{eventsTable, ordersTable} {
		if err := addMissingColumns(ctx, conn, t); err != nil {
			return err
		}
	}
	return nil
}

// upToDate reports whether every migration is applied and every declared column there.
func upToDate(ctx context.Context, conn driver.Conn) (bool, error) {
	applied, err := appliedVersions(ctx, conn)
	if err != nil {
		return false, err
	}
	for _, m := range Migrations {
		if !applied[m.Version] {
			return false, nil
		}
	}
	for _, t := range []table{eventsTable, ordersTable} {
		missing, err := missingColumns(ctx, conn, t)
		if err != nil || len(missing) > 0 {
			return false, err
		}
	}
	return true, nil
}

func appliedVersions(ctx context.Context, conn driver.Conn) (map[int]bool, error) {
	applied := map[int]bool{}
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[int(v)] = true
	}
	return applied, rows.Err()
}

// lockStale is how old a lock may be before it is taken as left behind by a process
// that died while migrating. Copying the orders of a big database takes minutes.
const lockStale = 15 * time.Minute

// lock takes the database's migration lock: a table only one CREATE can make. It
// waits for another holder, as long as ctx allows, and takes over a stale lock.
func lock(ctx context.Context, conn driver.Conn) (unlock func(), err error) {
	vanished := 0
	for {
		err := conn.Exec(ctx, "CREATE TABLE schema_migrations_lock (held_since DateTime) ENGINE = TinyLog")
		if err == nil {
			return func() {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				defer cancel()
				_ = conn.Exec(ctx, "DROP TABLE IF EXISTS schema_migrations_lock")
			}, nil
		}
		var age uint64
		qerr := conn.QueryRow(ctx, `SELECT toUInt64(now() - metadata_modification_time) FROM system.tables
			WHERE database = currentDatabase() AND name = 'schema_migrations_lock'`).Scan(&age)
		switch {
		case errors.Is(qerr, sql.ErrNoRows):
			// Released meanwhile, or CREATE failed for another reason.
			if vanished++; vanished > 3 {
				return nil, fmt.Errorf("take the migration lock: %w", err)
			}
			continue
		case qerr != nil:
			return nil, fmt.Errorf("take the migration lock: %w (then: %v)", err, qerr)
		case time.Duration(age)*time.Second > lockStale:
			if err := conn.Exec(ctx, "DROP TABLE IF EXISTS schema_migrations_lock"); err != nil {
				return nil, fmt.Errorf("drop a stale migration lock: %w", err)
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("another process is migrating the database (schema_migrations_lock, %ds old): %w", age, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// missingColumns are t's declared columns that the table in conn's database lacks.
func missingColumns(ctx context.Context, conn driver.Conn, t table) ([]column, error) {
	have := map[string]bool{}
	rows, err := conn.Query(ctx, "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = ?", t.name)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", t.name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("read the columns of %s: %w", t.name, err)
		}
		have[n] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var missing []column
	for _, c := range t.columns {
		if !have[c.name] {
			missing = append(missing, c)
		}
	}
	return missing, nil
}

// addMissingColumns adds t's declared columns that its table lacks, with their
// types' defaults for the rows already there.
func addMissingColumns(ctx context.Context, conn driver.Conn, t table) error {
	missing, err := missingColumns(ctx, conn, t)
	if err != nil {
		return err
	}
	for _, c := range missing {
		q := "ALTER TABLE " + t.name + " ADD COLUMN " + c.name + " " + c.typ
		if c.expr != "" {
			q += " MATERIALIZED " + c.expr
		}
		if err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("add column %s.%s: %w", t.name, c.name, err)
		}
	}
	if len(missing) > 0 && t.name == ordersTable.name {
		// The doc text holds every field: new rows write the new ones too (older
		// rows' docs lack them, and read as zero).
		for _, c := range t.columns {
			if c.name == "doc" && !slices.ContainsFunc(missing, func(m column) bool { return m.name == "doc" }) {
				if err := conn.Exec(ctx, "ALTER TABLE orders MODIFY COLUMN doc String MATERIALIZED "+c.expr); err != nil {
					return fmt.Errorf("update orders.doc: %w", err)
				}
			}
		}
	}
	return nil
}

// rebuildOrders replaces the ReplacingMergeTree orders of migration 2 with the
// declared one: a copy of its latest rows (orders FINAL) with sign 1 and a swap of the
// two tables; then order_counts and order_sorts filled from it, and the views that
// keep them up to date from then on. Nothing else writes meanwhile: every stage
// migrates before it writes, and Migrate holds the lock. Each step can run again after
// a crash.
func rebuildOrders(ctx context.Context, conn driver.Conn) error {
	engine, err := engineOf(ctx, conn, "orders")
	if err != nil {
		return err
	}
	var steps []string
	switch engine {
	case "VersionedCollapsingMergeTree":
		// Rebuilt before a crash that kept it from being recorded.
	case "":
		// A crash between the two renames: put the old table back and start again.
		replaced, err := engineOf(ctx, conn, "orders_replaced")
		if err != nil {
			return err
		}
		if replaced == "" {
			return errors.New("neither orders nor orders_replaced exists")
		}
		if err := conn.Exec(ctx, "RENAME TABLE orders_replaced TO orders"); err != nil {
			return fmt.Errorf("put orders back: %w", err)
		}
		return rebuildOrders(ctx, conn)
	default:
		old, err := storedColumns(ctx, conn, "orders")
		if err != nil {
			return err
		}
		steps = append(steps,
			"DROP TABLE IF EXISTS orders_next",
			ordersDDL("orders_next"),
			"INSERT INTO orders_next ("+old+", sign) SELECT "+old+", 1 FROM orders FINAL",
			"RENAME TABLE orders TO orders_replaced, orders_next TO orders")
	}
	steps = append(steps,
		"DROP TABLE IF EXISTS orders_replaced",
		"DROP TABLE IF EXISTS order_counts_mv",
		"DROP TABLE IF EXISTS order_sorts_mv",
		"DROP TABLE IF EXISTS order_counts",
		"DROP TABLE IF EXISTS order_sorts",
		countsDDL,
		sortsDDL,
		"INSERT INTO order_counts "+countsSelect("orders"),
		"INSERT INTO order_sorts "+sortsSelect("orders"),
		"CREATE MATERIALIZED VIEW order_counts_mv TO order_counts AS "+countsSelect("orders"),
		"CREATE MATERIALIZED VIEW order_sorts_mv TO order_sorts AS "+sortsSelect("orders"))
	for _, q := range steps {
		if err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("%.60s…: %w", q, err)
		}
	}
	return nil
}

// engineOf is the engine of table name in conn's database; empty when there is none.
func engineOf(ctx context.Context, conn driver.Conn, name string) (string, error) {
	var engine string
	err := conn.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = ?", name).Scan(&engine)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the engine of %s: %w", name, err)
	}
	return engine, nil
}

// storedColumns is the comma-separated list of the declared order columns that
// table has (not the derived ones).
func storedColumns(ctx context.Context, conn driver.Conn, name string) (string, error) {
	missing, err := missingColumns(ctx, conn, table{name: name, columns: ordersTable.columns})
	if err != nil {
		return "", err
	}
	var cols []string
	for _, c := range ordersTable.columns {
		if c.expr == "" && !slices.ContainsFunc(missing, func(m column) bool { return m.name == c.name }) {
			cols = append(cols, c.name)
		}
	}
	return strings.Join(cols, ", "), nil
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
