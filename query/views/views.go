// Package views keeps saved filter views of the order table in ClickHouse
// (`saved_views`, a ReplacingMergeTree on version: every change is a new row, a delete
// is a row with deleted = 1, and FINAL reads the latest).
package views

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/synco-dev/synco/query/orders"
)

// MaxNameLen bounds a view's name (in characters).
const MaxNameLen = 100

// View is one saved view.
type View struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Filters   orders.Filter `json:"filters"`
	UpdatedAt string        `json:"updated_at"`
}

// Store reads and writes saved views.
type Store struct {
	ch driver.Conn

	mu   sync.Mutex
	last uint64
}

// NewStore keeps views through ch.
func NewStore(ch driver.Conn) *Store { return &Store{ch: ch} }

// version is the row version of a write: wall-clock nanoseconds, strictly increasing
// within the process so two quick writes of one view never tie.
func (s *Store) version() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := uint64(time.Now().UnixNano())
	if v <= s.last {
		v = s.last + 1
	}
	s.last = v
	return v
}

// CheckName trims name and reports what is wrong with it ("" when fine).
func CheckName(name string) (string, string) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return name, "is required"
	case utf8.RuneCountInString(name) > MaxNameLen:
		return name, fmt.Sprintf("must be at most %d characters", MaxNameLen)
	}
	return name, ""
}

// List returns shop's views by name.
func (s *Store) List(ctx context.Context, shop string) ([]View, error) {
	return s.query(ctx, "shop = ?", shop)
}

// Get returns one view; ok is false when there is none (or it was deleted).
func (s *Store) Get(ctx context.Context, shop, id string) (View, bool, error) {
	vs, err := s.query(ctx, "shop = ? AND view_id = ?", shop, id)
	if err != nil || len(vs) == 0 {
		return View{}, false, err
	}
	return vs[0], true, nil
}

func (s *Store) query(ctx context.Context, where string, args ...any) ([]View, error) {
	// WHERE on FINAL filters the merged (latest) rows, so a deleted view stays deleted.
	rows, err := s.ch.Query(ctx, "SELECT view_id, name, filters, updated_at FROM saved_views FINAL WHERE "+where+
		" AND deleted = 0 ORDER BY lowerUTF8(name), view_id", args...)
	if err != nil {
		return nil, fmt.Errorf("read saved views: %w", err)
	}
	defer rows.Close()
	out := []View{}
	for rows.Next() {
		var (
			v       View
			filters string
			at      time.Time
		)
		if err := rows.Scan(&v.ID, &v.Name, &filters, &at); err != nil {
			return nil, fmt.Errorf("read saved views: %w", err)
		}
		if filters != "" {
			if err := json.Unmarshal([]byte(filters), &v.Filters); err != nil {
				return nil, fmt.Errorf("saved view %s has unreadable filters: %w", v.ID, err)
			}
		}
		v.UpdatedAt = at.UTC().Format(time.RFC3339)
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s *Store) write(ctx context.Context, shop string, v *View, deleted bool) error {
	f, err := json.Marshal(v.Filters)
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	var del uint8
	if deleted {
		del = 1
	}
	// A one-row batch: INSERT … VALUES through Exec waits forever on 18.16's native
	// protocol (the server asks for a data block the driver never sends).
	b, err := s.ch.PrepareBatch(ctx, "INSERT INTO saved_views (shop, view_id, name, filters, deleted, updated_at, version)")
	if err != nil {
		return fmt.Errorf("save view: %w", err)
	}
	if err := b.Append(shop, v.ID, v.Name, string(f), del, now, s.version()); err != nil {
		_ = b.Abort()
		return fmt.Errorf("save view: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("save view: %w", err)
	}
	v.UpdatedAt = now.Format(time.RFC3339)
	return nil
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Create saves a new view (name and filters already checked).
func (s *Store) Create(ctx context.Context, shop, name string, f orders.Filter) (View, error) {
	v := View{ID: newID(), Name: name, Filters: f}
	return v, s.write(ctx, shop, &v, false)
}

// Update saves v over the view with its id.
func (s *Store) Update(ctx context.Context, shop string, v View) (View, error) {
	return v, s.write(ctx, shop, &v, false)
}

// Delete marks the view deleted.
func (s *Store) Delete(ctx context.Context, shop string, v View) error {
	return s.write(ctx, shop, &v, true)
}

// Duplicate saves a copy of v named "<name> (copy)".
func (s *Store) Duplicate(ctx context.Context, shop string, v View) (View, error) {
	name := v.Name + " (copy)"
	if utf8.RuneCountInString(name) > MaxNameLen {
		name = string([]rune(name)[:MaxNameLen])
	}
	return s.Create(ctx, shop, name, v.Filters)
}
