package orders

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/chstore/chtest"
)

// The term tables answer every search with the rows and totals of the scan: single
// runs, searches with punctuation (checked against the text), numbers (ids too), a
// search no term holds, broad ones (counted in ClickHouse), over orders replaced with
// other names (the old names no longer match) and a redacted order (its name no
// longer matches, its number does).
func TestTermSearchMatchesScan(t *testing.T) {
	// A failure part-way must not leave the package's later tests with these limits.
	defaultMatches, defaultTerms := maxMatches, maxTerms
	t.Cleanup(func() { maxMatches, maxTerms = defaultMatches, defaultTerms })
	db := chtest.New(t)
	ctx := context.Background()
	first, later := testRows()
	for _, b := range append(first, later...) {
		if err := chstore.ReplaceOrders(ctx, db.Conn, b); err != nil {
			t.Fatal(err)
		}
	}
	// Order 7 (Müller) renamed, order 6 (Anna Müller) redacted.
	renamed := live(first, later)[5000000007000]
	renamed.Customer, renamed.Email, renamed.Version = "Quentin Renamed", "q@renamed.org", renamed.Version+1
	if err := chstore.ReplaceOrders(ctx, db.Conn, []chstore.OrderRow{renamed}); err != nil {
		t.Fatal(err)
	}
	if err := chstore.RedactOrders(ctx, db.Conn, testShop, []int64{5000000006000}); err != nil {
		t.Fatal(err)
	}
	st := NewStore(db.Conn)
	list := func(f Filter) (ids []string, total uint64) {
		t.Helper()
		cur := ""
		for range 100 {
			p, err := st.List(ctx, testShop, f, pageSize, cur)
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			total = p.Total
			ids = append(ids, p.Orders2IDs()...)
			if p.NextCursor == nil {
				break
			}
			cur = *p.NextCursor
		}
		return ids, total
	}
	queries := []string{"anna", "MÜLLER", "müller", "ülle", "ANNA müller", "anna müller", "example.com", "@example", "buyer1", "buyer10@",
		"#1006", "1006", "#1007", "1007", "5000000003000", "803", "s00", "inv/2025", "2025", "quentin", "renamed", "o'brien", "50%_",
		"\\", "%", "nobody", "e", "zoë", "ünal", "émile", "q@renamed.org"}
	tq := 0
	for _, q := range queries {
		for _, f := range []Filter{{Q: q}, {Q: q, Tab: "synced", Sort: "total", Dir: "asc"}, {Q: q, Tab: "not_synced", Sort: "customer"}, {Q: q, Status: "failed", Sort: "order"}} {
			restore := SetTermSearch(false)
			want, wantTotal := list(f)
			restore()
			if termQueryOf(f.Normalized()) != nil {
				tq++
			}
			for _, limits := range [][2]int{{50_000, 1000}, {3, 1000}, {50_000, 1}} {
				maxMatches, maxTerms = limits[0], limits[1]
				got, total := list(f)
				maxMatches, maxTerms = defaultMatches, defaultTerms
				if total != wantTotal || !slices.Equal(got, want) {
					t.Errorf("%+v (max matches %d, terms %d): terms give %d %v, the scan %d %v", f, limits[0], limits[1], total, got, wantTotal, want)
				}
			}
		}
	}
	if tq < 3*len(queries) {
		t.Errorf("only %d of the searches went through the terms", tq)
	}
	// The redacted and the renamed orders' old names are nowhere.
	for _, q := range []string{"quentin", "#1006"} {
		ids, _ := list(Filter{Q: q})
		if len(ids) != 1 {
			t.Errorf("%q finds %v, want one order", q, ids)
		}
	}
	ids, _ := list(Filter{Q: "anna müller"})
	for _, id := range ids {
		if id == fmt.Sprint(5000000006000) || id == fmt.Sprint(5000000007000) {
			t.Errorf("anna müller finds %s, redacted or renamed", id)
		}
	}
}
