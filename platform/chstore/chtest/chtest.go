// Package chtest gives tests a real ClickHouse: a fresh, uniquely named database per
// test on the server named by CLICKHOUSE_ADDR, or else on the project-local server that
// deploy/clickhouse.sh starts (installing Debian's clickhouse-server when missing).
// It never skips: a test that needs ClickHouse and cannot get one fails and says why.
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/config"
)

// DB is one test's database.
type DB struct {
	Conn   driver.Conn       // bound to Config.Database
	Config config.ClickHouse // what chstore.Open was given, e.g. for code under test that opens its own connection
}

// New returns a fresh database with every migration applied; it is dropped when the
// test ends.
func New(t testing.TB) *DB {
	t.Helper()
	db := NewEmpty(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := chstore.Migrate(ctx, db.Conn); err != nil {
		t.Fatalf("chtest: migrate %s: %v", db.Config.Database, err)
	}
	return db
}

// NewEmpty is New without the migrations, for tests of the migrations themselves.
func NewEmpty(t testing.TB) *DB {
	t.Helper()
	cfg := config.ClickHouse{Addr: Addr(t), Database: dbName(t), Username: "default"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := chstore.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("chtest: %v\n%s", err, hint)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+cfg.Database); err != nil {
			t.Errorf("chtest: drop database %s: %v", cfg.Database, err)
		}
		conn.Close()
	})
	return &DB{Conn: conn, Config: cfg}
}

const hint = `Tests need a ClickHouse server (Debian's clickhouse-server 18.16 or newer). Either
  - run deploy/clickhouse.sh start (it installs clickhouse-server with apt-get when
    missing, which needs root or password-less sudo), or
  - set CLICKHOUSE_ADDR=host:port to a ClickHouse you already run (native protocol).`

var (
	addrOnce sync.Once
	addr     string
	addrErr  error
)

// Addr returns the native address of a ClickHouse for tests: CLICKHOUSE_ADDR when set,
// else the project-local one, which it starts once per test binary with
// deploy/clickhouse.sh (a no-op when it already runs).
func Addr(t testing.TB) string {
	t.Helper()
	addrOnce.Do(func() { addr, addrErr = findAddr() })
	if addrErr != nil {
		t.Fatalf("chtest: %v\n%s", addrErr, hint)
	}
	return addr
}

func findAddr() (string, error) {
	if a := os.Getenv("CLICKHOUSE_ADDR"); a != "" {
		return a, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "deploy", "clickhouse.sh")
	// Long enough for apt-get on a fresh CI machine.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script, "start")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s start failed: %w\n%s", script, err, out)
	}
	port := os.Getenv("CLICKHOUSE_TCP_PORT") // the script's own override
	if port == "" {
		port = "19000"
	}
	return "127.0.0.1:" + port, nil
}

// repoRoot is the folder with go.work, above the working directory (go test runs in
// the package's folder) or, failing that, above this source file.
func repoRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", errors.New("cannot find the repository root (a folder with go.work) to run deploy/clickhouse.sh")
}

// dbName is unique per test and readable in system.databases when one is left behind.
func dbName(t testing.TB) string {
	var b strings.Builder
	b.WriteString("test_")
	for _, r := range strings.ToLower(t.Name()) {
		if b.Len() >= 40 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	return b.String() + "_" + hex.EncodeToString(rnd[:])
}
