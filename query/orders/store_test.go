package orders

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/chstore/chtest"
)

const (
	testShop = "a.myshopify.com"
	pageSize = 16
)

// testRows are orders with ties in every sort key, in several states (some replaced
// once or twice, so that orders holds cancelled pairs that have not merged), and an
// order of another shop with the same id.
func testRows() (first, later [][]chstore.OrderRow) {
	customers := []string{"Zoë Ünal", "adam", "Adam", "Émile", "bob", "", "Anna Müller", "ANNA müller", "o'brien \\ 50%_off"}
	totals := []string{"10", "9.99", "100", "10", "0.5", "1234.56", "10.01", "-5.5", "0", "99999999.9999"}
	statuses := []string{"synced", "synced", "not_synced", "failed", "in_progress", "delayed", "synced"}
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	mk := func(i int, shop string) chstore.OrderRow {
		st := statuses[i%len(statuses)]
		r := chstore.OrderRow{Shop: shop, OrderID: uint64(5000000000000 + i*1000), UpdatedAt: base, Version: 1,
			OrderState: chstore.OrderState{OrderName: fmt.Sprintf("#%d", 1000+i),
				CreatedAt: base.Add(time.Duration(i%13) * 36 * time.Hour),
				Email:     fmt.Sprintf("buyer%d@Example.com", i%17), Customer: customers[i%len(customers)],
				Total: decimal.RequireFromString(totals[i%len(totals)]), Currency: "EUR", FinancialStatus: "paid",
				Source: "web", Eligible: uint8(min(1, i%5)), IneligibleReasons: []string{}, Status: st},
			OrderFacts: chstore.OrderFacts{Warnings: []string{}, RefundedAmount: decimal.Zero,
				PaymentGateways: []string{}}}
		if st == "synced" {
			r.OdooModel, r.OdooID, r.OdooName = "sale.order", uint64(700+i), fmt.Sprintf("S%05d", 700+i)
			if i%3 == 0 {
				r.OdooModel, r.OdooName = "account.move", fmt.Sprintf("INV/2025/%04d", i)
			}
			if i%4 == 1 {
				r.InvoiceID = uint64(9000 + i)
			}
		}
		return r
	}
	var all []chstore.OrderRow
	for i := range 240 {
		all = append(all, mk(i, testShop))
	}
	other := mk(1, "b.myshopify.com")
	first = [][]chstore.OrderRow{all[:120], all[120:], {other}}
	// Later states: status, total and customer change, in batches of their own.
	var b1, b2 []chstore.OrderRow
	for i := 0; i < 240; i += 3 {
		r := all[i]
		r.Status, r.Total, r.Customer = "synced", r.Total.Add(decimal.New(1, 0)), strings.ToUpper(r.Customer)
		r.OdooModel, r.OdooID, r.OdooName = "sale.order", uint64(800+i), fmt.Sprintf("S%05d", 800+i)
		b1 = append(b1, r)
		if i%2 == 0 {
			r.Status, r.Error = "failed", "boom"
			b2 = append(b2, r)
		}
	}
	return first, [][]chstore.OrderRow{b1, b2}
}

// live is what the table holds: the last written state of each order of testShop.
func live(batches ...[][]chstore.OrderRow) map[uint64]chstore.OrderRow {
	m := map[uint64]chstore.OrderRow{}
	for _, bs := range batches {
		for _, b := range bs {
			for _, r := range b {
				if r.Shop == testShop {
					m[r.OrderID] = r
				}
			}
		}
	}
	return m
}

// matches is the filter's meaning, written out.
func matches(f Filter, r chstore.OrderRow) bool {
	switch f.Tab {
	case "synced":
		if r.Status != "synced" {
			return false
		}
	case "not_synced":
		if r.Status == "synced" {
			return false
		}
	case "eligible":
		if r.Eligible != 1 {
			return false
		}
	case "sale_order":
		if r.OdooModel != "sale.order" {
			return false
		}
	case "invoice":
		if r.InvoiceID == 0 && r.OdooModel != "account.move" {
			return false
		}
	}
	if f.Status != "" && r.Status != f.Status {
		return false
	}
	if f.Q == "" {
		return true
	}
	id, numeric := parseID(f.Q)
	q := strings.ToLower(f.Q)
	switch f.IDType {
	case "odoo":
		if numeric {
			return r.OdooID == id
		}
		return strings.Contains(strings.ToLower(r.OdooName), q)
	case "invoice":
		return r.InvoiceID == id
	}
	for _, s := range []string{r.OrderName, r.Email, r.Customer, r.OdooName} {
		if strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return numeric && (r.OdooID == id || r.InvoiceID == id || r.OrderID == id)
}

func cmpRows(sort string, a, b chstore.OrderRow) int {
	c := 0
	switch sort {
	case "customer":
		c = strings.Compare(strings.ToLower(a.Customer), strings.ToLower(b.Customer))
	case "date":
		c = a.CreatedAt.Compare(b.CreatedAt)
	case "total":
		c = a.Total.Cmp(b.Total)
	}
	if c == 0 {
		c = map[bool]int{true: -1, false: 1}[a.OrderID < b.OrderID]
	}
	return c
}

// Every filter, sort and direction, walked forward and back a page at a time, gives
// exactly the rows the filter means, in the sort's order, with the right total, and
// the same with searches counted and sorted in ClickHouse rather than in Go.
func TestListAgainstModel(t *testing.T) {
	db := chtest.New(t)
	ctx := context.Background()
	first, later := testRows()
	for _, b := range append(first, later...) {
		if err := chstore.ReplaceOrders(ctx, db.Conn, b); err != nil {
			t.Fatal(err)
		}
	}
	want := live(first, later)
	st := NewStore(db.Conn)
	filters := []Filter{{}, {Tab: "synced"}, {Tab: "not_synced"}, {Tab: "eligible"}, {Tab: "sale_order"}, {Tab: "invoice"},
		{Status: "failed"}, {Tab: "eligible", Status: "delayed"}, {Q: "anna"}, {Q: "MÜLLER"}, {Q: "example.com"}, {Q: "50%_"},
		{Q: "\\"}, {Q: "%"}, {Q: "#1005"}, {Q: "1005"}, {Q: "nobody"}, {Tab: "synced", Q: "s00"}, {IDType: "odoo", Q: "inv/"},
		{IDType: "odoo", Q: "803"}, {IDType: "invoice", Q: "9001"}, {Q: "5000000003000"}, {Tab: "not_synced", Q: "buyer1"}}
	for _, searchAllLimit := range []int{maxMatches, 3} {
		old := maxMatches
		maxMatches = searchAllLimit
		for i, f := range filters {
			if searchAllLimit != old && f.Q == "" {
				continue // only searches read differently
			}
			for c, sd := range sortDirs {
				if i >= 2 && c%4 != i%4 {
					continue // every sort and direction for the first two, two each for the others
				}
				{
					srt, dir := sd[0], sd[1]
					f := f
					f.Sort, f.Dir = srt, dir
					t.Run(fmt.Sprintf("max%d/%s_%s/%s%s%s%s", searchAllLimit, srt, dir, f.Tab, f.Status, f.IDType, f.Q), func(t *testing.T) {
						var exp []string
						var rows []chstore.OrderRow
						for _, r := range want {
							if matches(f, r) {
								rows = append(rows, r)
							}
						}
						slices.SortFunc(rows, func(a, b chstore.OrderRow) int {
							if dir == "desc" {
								return -cmpRows(srt, a, b)
							}
							return cmpRows(srt, a, b)
						})
						for _, r := range rows {
							exp = append(exp, fmt.Sprint(r.OrderID))
						}
						var got []string
						var pages []*Page
						cur := ""
						for range 100 {
							p, err := st.List(ctx, testShop, f, pageSize, cur)
							if err != nil {
								t.Fatal(err)
							}
							if int(p.Total) != len(exp) {
								t.Fatalf("total %d, want %d", p.Total, len(exp))
							}
							pages = append(pages, p)
							for _, o := range p.Orders {
								got = append(got, o.OrderID)
								if w := want[parseIDMust(o.OrderID)]; o.Status != w.Status || o.Customer != w.Customer {
									t.Errorf("order %s shows %s/%q, its live state is %s/%q", o.OrderID, o.Status, o.Customer, w.Status, w.Customer)
								}
							}
							if p.NextCursor == nil {
								break
							}
							cur = *p.NextCursor
						}
						if !slices.Equal(got, exp) {
							t.Fatalf("walked\n %v\nwant\n %v", got, exp)
						}
						// And back from the last page.
						var back []string
						p := pages[len(pages)-1]
						for p.PrevCursor != nil {
							var err error
							if p, err = st.List(ctx, testShop, f, pageSize, *p.PrevCursor); err != nil {
								t.Fatal(err)
							}
							back = append(p.Orders2IDs(), back...)
						}
						back = append(back, pages[len(pages)-1].Orders2IDs()...)
						if len(exp) > 0 && !slices.Equal(back, exp) {
							t.Errorf("walked back\n %v\nwant\n %v", back, exp)
						}
					})
				}
			}
		}
		maxMatches = old
	}

	// Job counts and "sync all eligible" from order_counts.
	var j Jobs
	var eligibleUnsynced uint64
	for _, r := range want {
		switch {
		case r.Eligible == 1 && r.Status == "not_synced":
			j.Waiting++
		case r.Status == "in_progress":
			j.Active++
		case r.Status == "delayed":
			j.Delayed++
		case r.Status == "failed":
			j.Failed++
		}
		if r.Eligible == 1 && r.Status != "synced" {
			eligibleUnsynced++
		}
	}
	if got, err := st.Jobs(ctx, testShop); err != nil || got != j {
		t.Errorf("jobs %+v (%v), want %+v", got, err, j)
	}
	if n, err := st.CountEligibleUnsynced(ctx, testShop); err != nil || n != eligibleUnsynced {
		t.Errorf("eligible unsynced %d (%v), want %d", n, err, eligibleUnsynced)
	}
}

var sortDirs = func() (out [][2]string) {
	for _, s := range Sorts {
		for _, d := range Dirs {
			out = append(out, [2]string{s, d})
		}
	}
	return out
}()

func (p *Page) Orders2IDs() []string {
	var out []string
	for _, o := range p.Orders {
		out = append(out, o.OrderID)
	}
	return out
}

func parseIDMust(s string) uint64 {
	n, _ := parseID(s)
	return n
}
