package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/query/api"
	"github.com/synco-dev/synco/schemas"
)

func TestOdooCatalogRoutes(t *testing.T) {
	e := newEnv(t)
	base := "/api/shops/" + shopA + "/odoo/"
	type answer struct {
		Journals    []schemas.OdooJournal `json:"journals"`
		Accounts    []schemas.OdooAccount `json:"accounts"`
		Partners    []schemas.OdooPartner `json:"partners"`
		RefreshedAt *string               `json:"refreshed_at"`
		Truncated   bool                  `json:"truncated"`
	}
	// Before sink/catalog read the shop's Odoo: empty lists, refreshed_at null.
	var a answer
	e.call("GET", base+"journals", nil, http.StatusOK, &a)
	if a.Journals == nil || len(a.Journals) != 0 || a.RefreshedAt != nil {
		t.Errorf("before any catalog: %+v", a)
	}

	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	e.catalogs.put(schemas.OdooCatalog{Shop: shopA, RefreshedAt: at, OdooVersion: 17, PartnersLimit: 3,
		Journals: []schemas.OdooJournal{{ID: 1, Name: "Customer Invoices", Code: "INV", Type: "sale"}, {ID: 6, Name: "Bank", Code: "BNK1", Type: "bank"},
			{ID: 7, Name: "Cash", Code: "CSH1", Type: "cash"}, {ID: 3, Name: "Miscellaneous", Code: "MISC", Type: "general"}},
		IncomeAccounts: []schemas.OdooAccount{{ID: 24, Code: "400000", Name: "Product Sales"}},
		Partners: []schemas.OdooPartner{{ID: 9, Name: "Jane Doe", Email: "jane@example.com"}, {ID: 8, Name: "Shopify guests", Email: ""},
			{ID: 5, Name: "John Roe", Email: "JOHN@shop.example"}},
	})
	e.call("GET", base+"journals", nil, http.StatusOK, &a)
	if len(a.Journals) != 4 || a.RefreshedAt == nil || *a.RefreshedAt != "2026-03-01T10:00:00Z" {
		t.Errorf("journals %+v", a)
	}
	e.call("GET", base+"journals?type=bank,cash", nil, http.StatusOK, &a)
	if len(a.Journals) != 2 || a.Journals[0].Code != "BNK1" || a.Journals[1].Code != "CSH1" {
		t.Errorf("bank and cash journals %+v", a.Journals)
	}
	e.call("GET", base+"accounts", nil, http.StatusOK, &a)
	if len(a.Accounts) != 1 || a.Accounts[0].Code != "400000" {
		t.Errorf("accounts %+v", a.Accounts)
	}
	e.call("GET", base+"partners", nil, http.StatusOK, &a)
	if len(a.Partners) != 3 || a.Partners[0].ID != 9 || !a.Truncated {
		t.Errorf("partners %+v (3 of a limit of 3: truncated)", a)
	}
	e.call("GET", base+"partners?q=john", nil, http.StatusOK, &a)
	if len(a.Partners) != 1 || a.Partners[0].ID != 5 {
		t.Errorf("q=john (email, any case) %+v", a.Partners)
	}
	e.call("GET", base+"partners?limit=1", nil, http.StatusOK, &a)
	if len(a.Partners) != 1 || a.Partners[0].ID != 9 {
		t.Errorf("limit=1 %+v", a.Partners)
	}
	e.expectError("GET", base+"partners?limit=0", nil, http.StatusBadRequest, "limit")

	// Token rules as every /api route: alpha sees alpha, not beta; no token is 401.
	if code, _ := e.do("GET", base+"journals", alphaToken, nil); code != http.StatusOK {
		t.Errorf("alpha on its shop: %d", code)
	}
	if code, _ := e.do("GET", "/api/shops/"+shopB+"/odoo/journals", alphaToken, nil); code != http.StatusNotFound {
		t.Errorf("alpha on beta: %d", code)
	}
	if code, _ := e.do("GET", base+"partners", "", nil); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}

	// While the topic is still being read: 503, not an empty list.
	e.catalogs.mu.Lock()
	e.catalogs.notReady = true
	e.catalogs.mu.Unlock()
	e.expectError("GET", base+"accounts", nil, http.StatusServiceUnavailable, "")
}

// TestOdooCatalogNotWired: a query service built without a catalog says so (503).
func TestOdooCatalogNotWired(t *testing.T) {
	e := newEnv(t)
	app := api.New(api.Deps{CH: e.ch, Tokens: []config.APIToken{{Token: adminToken, Shops: []string{"*"}}},
		Shops: []string{shopA}, Settings: e.settings, Requests: e.requests})
	req := httptest.NewRequest("GET", "/api/shops/"+shopA+"/odoo/partners", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", resp.StatusCode)
	}
}
