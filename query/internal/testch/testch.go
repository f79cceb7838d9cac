// Package testch gives each test a fresh, migrated ClickHouse database on the local
// server (CLICKHOUSE_ADDR, default 127.0.0.1:19000). An unreachable server fails the
// test with how to start one; it never skips.
//
// It stands in until platform/chstore/chtest lands.
package testch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/config"
)

// Addr is the ClickHouse the tests use.
func Addr() string {
	if a := os.Getenv("CLICKHOUSE_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:19000"
}

// New returns a connection to a new database with Synco's tables, dropped when the
// test ends.
func New(t testing.TB) driver.Conn {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	db := "query_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := chstore.Open(ctx, config.ClickHouse{Addr: Addr(), Database: db, Username: "default"})
	if err != nil {
		t.Fatalf("ClickHouse at %s is unreachable: %v\nStart one with `bash deploy/clickhouse.sh start` (or see FACTS.md), or point CLICKHOUSE_ADDR at one.", Addr(), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
			t.Logf("drop test database %s: %v", db, err)
		}
		conn.Close()
	})
	if err := chstore.Migrate(ctx, conn); err != nil {
		t.Fatalf("migrate test database %s: %v", db, err)
	}
	return conn
}
