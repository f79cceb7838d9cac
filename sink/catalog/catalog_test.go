package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/synco-dev/synco/odoosim"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
)

// TestReadRealOdoo replays what Odoo 16, 17, 18 and 19 answered to Read (recorded from
// the real servers): the calls must be exactly those, and the catalog what a merchant
// expects to pick from.
func TestReadRealOdoo(t *testing.T) {
	for _, v := range []int{16, 17, 18, 19} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			rec := loadRecording(t, v)
			rp := &replayer{t: t, version: rec.Version, calls: rec.Calls}
			cat, err := Read(context.Background(), rp, "real.myshopify.com", recordPartnerLimit)
			if err != nil {
				t.Fatal(err)
			}
			if rp.next != len(rp.calls) {
				t.Errorf("Read made %d of the %d recorded calls", rp.next, len(rp.calls))
			}
			checkCatalog(t, cat, v)
			// The recording seeded two customers and one contact that is not a customer.
			var names []string
			for _, p := range cat.Partners {
				names = append(names, p.Name)
			}
			if !slices.Equal(names, []string{"Synco catalog customer B", "Synco catalog customer A"}) {
				t.Errorf("customers, newest first: %q", names)
			}
			if cat.Partners[0].Email != "" || cat.Partners[1].Email != "catalog-a@example.com" {
				t.Errorf("emails (Odoo's false reads as empty): %+v", cat.Partners)
			}
			// 16-18 have account.account.deprecated and filter on it; 19 has none.
			dep := slices.ContainsFunc(rec.Calls, func(c call) bool {
				return c.Model == "account.account" && c.Method == "search_read" && strings.Contains(js(c.Args), `["deprecated","=",false]`)
			})
			if dep != (v < 19) {
				t.Errorf("deprecated accounts filtered: %v on Odoo %d", dep, v)
			}
		})
	}
}

// checkCatalog: what the generic chart of accounts of every version has.
func checkCatalog(t *testing.T, cat schemas.OdooCatalog, v int) {
	t.Helper()
	if int(cat.OdooVersion) != v {
		t.Errorf("odoo_version %d, want %d", cat.OdooVersion, v)
	}
	i := slices.IndexFunc(cat.Journals, func(j schemas.OdooJournal) bool { return j.Type == "sale" })
	if i < 0 || cat.Journals[i].Code != "INV" || cat.Journals[i].ID <= 0 || cat.Journals[i].Name == "" {
		t.Errorf("no sales journal INV in %+v", cat.Journals)
	}
	if !slices.ContainsFunc(cat.Journals, func(j schemas.OdooJournal) bool { return j.Type == "bank" && j.Code == "BNK1" }) {
		t.Errorf("no bank journal in %+v", cat.Journals)
	}
	if !slices.ContainsFunc(cat.IncomeAccounts, func(a schemas.OdooAccount) bool { return a.Code == "400000" && a.Name == "Product Sales" && a.ID > 0 }) {
		t.Errorf("no 400000 Product Sales in %+v", cat.IncomeAccounts)
	}
	for _, a := range cat.IncomeAccounts {
		if a.Code == "121000" || a.Code == "101401" {
			t.Errorf("a receivable or bank account among income accounts: %+v", a)
		}
	}
	if !slices.IsSortedFunc(cat.IncomeAccounts, func(a, b schemas.OdooAccount) int { return compare(a.Code, b.Code) }) {
		t.Errorf("income accounts not by code: %+v", cat.IncomeAccounts)
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sim starts the Odoo simulator of version v and dials it as the sink does.
func sim(t *testing.T, v int) (*odoosim.Server, odoo.Client) {
	t.Helper()
	s := odoosim.New(odoosim.Options{Version: v})
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("odoo simulator does not start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	c, err := odoo.Dial(context.Background(), odoo.Config{URL: url, DB: "synco", Username: "admin", Password: "admin", Protocol: "auto"})
	if err != nil {
		t.Fatalf("dial simulator: %v", err)
	}
	return s, c
}

func addPartner(t *testing.T, c odoo.Client, name, email string, rank int) int64 {
	t.Helper()
	vals := map[string]any{"name": name, "customer_rank": rank}
	if email != "" {
		vals["email"] = email
	}
	id, err := odoo.Create(context.Background(), c, "res.partner", vals, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestReadSimulator: the same Read against the bundled simulator of every version
// (what `make run` and the end-to-end tests use), with the partner bound.
func TestReadSimulator(t *testing.T) {
	for _, v := range []int{16, 17, 18, 19} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			_, c := sim(t, v)
			addPartner(t, c, "Not a customer", "vendor@example.com", 0)
			var ids []int64
			for i := range 5 {
				ids = append(ids, addPartner(t, c, fmt.Sprintf("Customer %d", i), fmt.Sprintf("c%d@example.com", i), 1))
			}
			cat, err := Read(context.Background(), c, "sim.myshopify.com", 3)
			if err != nil {
				t.Fatal(err)
			}
			checkCatalog(t, cat, v)
			var got []int64
			for _, p := range cat.Partners {
				got = append(got, p.ID)
			}
			if want := []int64{ids[4], ids[3], ids[2]}; !slices.Equal(got, want) {
				t.Errorf("the 3 most recent customers: got %v, want %v", got, want)
			}
			if cat.PartnersLimit != 3 || cat.Shop != "sim.myshopify.com" {
				t.Errorf("limit %d shop %q", cat.PartnersLimit, cat.Shop)
			}
		})
	}
}
