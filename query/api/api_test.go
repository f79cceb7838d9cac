package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/synco-dev/synco/schemas"
)

func TestHealthAndDashboard(t *testing.T) {
	e := newEnv(t)
	code, body := e.do("GET", "/healthz", "", nil)
	if code != 200 {
		t.Fatalf("healthz: %d %s", code, body)
	}
	code, body = e.do("GET", "/readyz", "", nil)
	if code != 200 {
		t.Fatalf("readyz: %d %s", code, body)
	}
	req, _ := http.NewRequest("GET", "/", nil)
	resp, err := e.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	_, html := e.do("GET", "/", "", nil)
	for _, want := range []string{"<!doctype html>", "Synco", "/api/shops", "localStorage", "Sync selected", "Sync all eligible"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	e.insertOrders(order(1))
	path := "/api/shops/" + shopA + "/orders"
	for _, tc := range []struct {
		name, header string
	}{
		{"no header", ""},
		{"wrong token", "Bearer not-a-token-at-all-000000"},
		{"prefix of a token", "Bearer " + adminToken[:10]},
		{"basic scheme", "Basic " + adminToken},
		{"empty bearer", "Bearer "},
	} {
		req, _ := http.NewRequest("GET", path, nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		resp, err := e.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		var eb errBody
		_ = json.NewDecoder(resp.Body).Decode(&eb)
		if resp.StatusCode != 401 || eb.Error == "" {
			t.Errorf("%s: status %d, error %q; want 401 with a JSON error", tc.name, resp.StatusCode, eb.Error)
		}
	}

	// A token sees its shops only; others (and unknown shops) are 404.
	var shops struct {
		Shops []struct{ Domain string } `json:"shops"`
	}
	_, b := e.do("GET", "/api/shops", alphaToken, nil)
	_ = json.Unmarshal(b, &shops)
	if len(shops.Shops) != 1 || shops.Shops[0].Domain != shopA {
		t.Errorf("alpha token sees %s", b)
	}
	e.call("GET", "/api/shops", nil, 200, &shops)
	if len(shops.Shops) != 2 {
		t.Errorf("admin token sees %+v", shops)
	}
	for _, p := range []string{
		"/api/shops/" + shopB + "/orders",
		"/api/shops/" + shopB + "/settings",
		"/api/shops/" + shopB + "/jobs",
	} {
		if code, b := e.do("GET", p, alphaToken, nil); code != 404 || !strings.Contains(string(b), `"error"`) {
			t.Errorf("alpha token on %s: %d %s, want 404 JSON", p, code, b)
		}
	}
	if code, _ := e.do("POST", "/api/shops/"+shopB+"/sync", alphaToken, map[string]any{"all_eligible": true}); code != 404 {
		t.Errorf("alpha token syncing beta: %d", code)
	}
	if len(e.requests.all()) != 0 {
		t.Errorf("a refused request was published")
	}
	if code, _ := e.do("GET", "/api/shops/gamma.myshopify.com/orders", adminToken, nil); code != 404 {
		t.Errorf("unconfigured shop: %d", code)
	}
	if code, _ := e.do("GET", path, alphaToken, nil); code != 200 {
		t.Errorf("alpha token on its shop: %d", code)
	}
	// Shop domains are case-insensitive.
	if code, _ := e.do("GET", "/api/shops/ALPHA.myshopify.com/orders", alphaToken, nil); code != 200 {
		t.Errorf("upper-case shop: %d", code)
	}
	if code, b := e.do("GET", "/api/nope", adminToken, nil); code != 404 || !strings.Contains(string(b), `"error"`) {
		t.Errorf("unknown API route: %d %s", code, b)
	}
}

func TestOrderRowShape(t *testing.T) {
	e := newEnv(t)
	retry := time.Date(2025, 3, 2, 8, 30, 0, 0, time.UTC)
	a := order(5531234)
	a.Name, a.Total, a.Currency = "#1001", "123.45", "EUR"
	a.Status, a.OdooModel, a.OdooID, a.OdooName, a.InvoiceID = "synced", "sale.order", 42, "WEB-1001", 7
	b := order(5531235)
	b.Total, b.Currency, b.Status, b.Error, b.RetryAt, b.FulfillmentStatus = "1500", "JPY", "delayed", "Odoo is unreachable", &retry, ""
	b.Eligible, b.Reasons = false, []string{"'PENDING' payment status doesn't match sync rules"}
	c := order(5531236)
	c.Total, c.Currency = "1.234", "KWD"
	d := order(5531237)
	d.Total = "9999999999.99"
	f := order(5531238)
	f.Total = "0.1" // stored as 0.1000, shown with the currency's two decimals
	g := order(5531239)
	g.Total = "10.125" // finer than the minor unit: nothing is rounded away
	e.insertOrders(a, b, c, d, f, g)

	p := e.list("sort=order&dir=asc")
	if p.Total != 6 || len(p.Orders) != 6 {
		t.Fatalf("got %d of total %d", len(p.Orders), p.Total)
	}
	byID := map[string]map[string]any{}
	for _, o := range p.Orders {
		byID[o["order_id"].(string)] = o
	}
	ra := byID["5531234"]
	want := map[string]any{
		"order_id": "5531234", "name": "#1001", "shopify_url": "https://" + shopA + "/admin/orders/5531234",
		"created_at": a.CreatedAt.Format(time.RFC3339), "email": a.Email, "customer": a.Customer,
		"total": "123.45", "currency": "EUR", "financial_status": "paid", "fulfillment_status": "unfulfilled",
		"source": "web", "eligible": true, "status": "synced", "odoo_model": "sale.order", "odoo_id": float64(42),
		"odoo_name": "WEB-1001", "invoice_id": float64(7), "retry_at": nil, "error": nil,
		"updated_at": "2025-03-01T11:00:00Z", "odoo_url": "http://odoo.test:8069/web#id=42&model=sale.order&view_type=form",
	}
	for k, v := range want {
		if got, ok := ra[k]; !ok || got != v {
			t.Errorf("%s = %#v (present %v), want %#v", k, got, ok, v)
		}
	}
	if r, ok := ra["ineligible_reasons"].([]any); !ok || len(r) != 0 {
		t.Errorf("ineligible_reasons = %#v, want []", ra["ineligible_reasons"])
	}
	rb := byID["5531235"]
	if rb["odoo_id"] != nil || rb["invoice_id"] != nil || rb["odoo_url"] != "" {
		t.Errorf("unsynced order: odoo_id %v invoice_id %v odoo_url %v", rb["odoo_id"], rb["invoice_id"], rb["odoo_url"])
	}
	if rb["retry_at"] != "2025-03-02T08:30:00Z" || rb["error"] != "Odoo is unreachable" || rb["fulfillment_status"] != "unfulfilled" {
		t.Errorf("delayed order: %v", rb)
	}
	if r := rb["ineligible_reasons"].([]any); len(r) != 1 || rb["eligible"] != false {
		t.Errorf("ineligible order: %v", rb)
	}
	for id, total := range map[string]string{"5531235": "1500", "5531236": "1.234", "5531237": "9999999999.99", "5531238": "0.10", "5531239": "10.125"} {
		if got := byID[id]["total"]; got != total {
			t.Errorf("order %s total = %#v, want the string %q", id, got, total)
		}
	}
}

// A ReplacingMergeTree keeps old versions until it merges: every read must see only
// the latest one, also through filters on columns that changed.
func TestOrdersLatestVersionOnly(t *testing.T) {
	e := newEnv(t)
	old := order(1)
	old.Status, old.OdooID, old.OdooModel, old.Version = "synced", 9, "sale.order", 1
	e.insertOrders(old)
	cur := old
	cur.Status, cur.Error, cur.Version = "failed", "Odoo said no", 2
	e.insertOrders(cur)
	if p := e.list("status=synced"); p.Total != 0 || len(p.Orders) != 0 {
		t.Errorf("status=synced finds the superseded row: %+v", p)
	}
	if p := e.list("tab=synced"); p.Total != 0 {
		t.Errorf("tab=synced finds the superseded row")
	}
	p := e.list("status=failed")
	if p.Total != 1 || p.Orders[0]["error"] != "Odoo said no" {
		t.Errorf("status=failed: %+v", p)
	}
	if p := e.list(""); p.Total != 1 || len(p.Orders) != 1 {
		t.Errorf("all: %d rows of %d", len(p.Orders), p.Total)
	}
}

func TestOrdersTabsStatusSearch(t *testing.T) {
	e := newEnv(t)
	var rows []testOrder
	mk := func(id uint64, edit func(o *testOrder)) {
		o := order(id)
		edit(&o)
		rows = append(rows, o)
	}
	mk(1, func(o *testOrder) {
		o.Status, o.OdooModel, o.OdooID, o.OdooName = "synced", "sale.order", 501, "WEB-1"
		o.Email, o.Customer = "Anna.Muller@example.com", "Anna Müller"
	})
	mk(2, func(o *testOrder) { o.Status, o.OdooModel, o.OdooID, o.InvoiceID = "synced", "sale.order", 502, 9001 })
	mk(3, func(o *testOrder) {
		o.Status, o.OdooModel, o.OdooID, o.OdooName = "synced", "account.move", 777, "INV/2025/0003"
	})
	mk(4, func(o *testOrder) { o.Status, o.Error = "failed", "boom" })
	mk(5, func(o *testOrder) { o.Status = "in_progress" })
	mk(6, func(o *testOrder) { o.Status = "delayed" })
	mk(7, func(o *testOrder) { o.Eligible = false })
	mk(8, func(o *testOrder) {}) // eligible, not synced
	mk(9, func(o *testOrder) { o.Shop = shopB; o.Status = "synced" })
	mk(10, func(o *testOrder) {
		o.Status, o.OdooModel, o.OdooID, o.Error = "needs_attention", "sale.order", 510, "odoo: sale.order.write: refused"
	})
	e.insertOrders(rows...)

	check := func(query string, want ...string) {
		t.Helper()
		p := e.list(query + "&sort=order&dir=asc")
		if got := p.ids(); !slices.Equal(got, want) || p.Total != len(want) {
			t.Errorf("%s: got %v (total %d), want %v", query, got, p.Total, want)
		}
	}
	check("tab=all", "1", "2", "3", "4", "5", "6", "7", "8", "10")
	check("tab=synced", "1", "2", "3")
	check("tab=not_synced", "4", "5", "6", "7", "8", "10")
	check("tab=eligible", "1", "2", "3", "4", "5", "6", "8", "10")
	check("tab=sale_order", "1", "2", "10")
	check("tab=invoice", "2", "3")
	check("status=failed", "4")
	check("status=needs_attention", "10")
	check("status=in_progress", "5")
	check("status=delayed", "6")
	check("status=not_synced", "7", "8")
	check("tab=eligible&status=not_synced", "8")
	check("q=%231", "1", "10")                                      // "#1": the order name (a prefix: #10 too)
	check("q=anna.muller", "1")                                     // email, case-insensitive
	check("q=m%C3%9CLLER", "1")                                     // customer name, case-insensitive UTF-8
	check("q=502", "2")                                             // Odoo id
	check("q=9001", "2")                                            // invoice id
	check("q=inv%2F2025", "3")                                      // Odoo record name
	check("id_type=odoo&q=777", "3")                                //
	check("id_type=odoo&q=1")                                       // no Odoo record 1
	check("id_type=invoice&q=9001", "2")                            //
	check("id_type=odoo&q=web-1", "1")                              // Odoo name through id_type odoo
	check("q=nobody", []string{}...)                                //
	check("q=%20%20", "1", "2", "3", "4", "5", "6", "7", "8", "10") // blank search is no search
	e.expectError("GET", "/api/shops/"+shopA+"/orders?id_type=invoice&q=abc", nil, 400, "q")
}

func TestOrdersParamValidation(t *testing.T) {
	e := newEnv(t)
	e.insertOrders(order(1), order(2), order(3))
	base := "/api/shops/" + shopA + "/orders?"
	for _, q := range []string{"limit=0", "limit=251", "limit=-1", "limit=abc", "limit=1.5"} {
		e.expectError("GET", base+q, nil, 400, "limit")
	}
	e.expectError("GET", base+"tab=bogus", nil, 400, "tab")
	e.expectError("GET", base+"status=done", nil, 400, "status")
	e.expectError("GET", base+"sort=price", nil, 400, "sort")
	e.expectError("GET", base+"dir=up", nil, 400, "dir")
	e.expectError("GET", base+"id_type=sku", nil, 400, "id_type")
	e.expectError("GET", base+"q="+strings.Repeat("x", 201), nil, 400, "q")
	e.expectError("GET", base+"cursor=garbage!", nil, 400, "cursor")
	e.expectError("GET", base+"cursor=eyJzIjoxfQ", nil, 400, "cursor")
	eb := e.expectError("GET", base+"limit=0&tab=x", nil, 400, "limit")
	if _, ok := eb.Fields["tab"]; !ok {
		t.Errorf("every bad field is named: %v", eb.Fields)
	}
	// A cursor is bound to its sort order.
	p := e.list("limit=1&sort=date")
	if p.NextCursor == nil {
		t.Fatal("no next cursor")
	}
	e.expectError("GET", base+"sort=total&cursor="+*p.NextCursor, nil, 400, "cursor")
	if p := e.list("limit=250"); len(p.Orders) != 3 {
		t.Errorf("limit=250: %d", len(p.Orders))
	}
	if p := e.list(""); len(p.Orders) != 3 || p.NextCursor != nil || p.PrevCursor != nil {
		t.Errorf("one page: %+v", p)
	}
}

// walk follows next_cursor from the first page, returning every id in order.
func walk(t *testing.T, e *env, query string, limit int, during func(page int)) ([]string, orderPage) {
	t.Helper()
	var all []string
	p := e.list(fmt.Sprintf("%s&limit=%d", query, limit))
	for page := 0; ; page++ {
		if len(p.Orders) > limit {
			t.Fatalf("page of %d rows over limit %d", len(p.Orders), limit)
		}
		all = append(all, p.ids()...)
		if during != nil {
			during(page)
		}
		if p.NextCursor == nil {
			return all, p
		}
		if page > 1000 {
			t.Fatal("cursor walk does not end")
		}
		p = e.list(fmt.Sprintf("%s&limit=%d&cursor=%s", query, limit, url.QueryEscape(*p.NextCursor)))
	}
}

func TestOrdersCursorWalk(t *testing.T) {
	e := newEnv(t)
	var rows []testOrder
	customers := []string{"zoe", "Adam", "adam", "Émile", "bob", ""}
	totals := []string{"10.00", "9.99", "100.00", "10.00", "0.50", "1234.56", "10.01"}
	for i := uint64(1); i <= 37; i++ {
		o := order(1000 + i)
		o.CreatedAt = baseTime.Add(time.Duration(i%5) * time.Hour) // ties on purpose
		o.Customer = customers[i%uint64(len(customers))]
		o.Total = totals[i%uint64(len(totals))]
		rows = append(rows, o)
	}
	e.insertOrders(rows...)
	byID := map[string]testOrder{}
	for _, o := range rows {
		byID[itoa(o.ID)] = o
	}
	for _, srt := range []string{"order", "customer", "date", "total"} {
		for _, dir := range []string{"asc", "desc"} {
			t.Run(srt+"_"+dir, func(t *testing.T) {
				q := "sort=" + srt + "&dir=" + dir
				got, last := walk(t, e, q, 5, nil)
				if len(got) != 37 {
					t.Fatalf("walked %d rows, want 37: %v", len(got), got)
				}
				seen := map[string]bool{}
				for _, id := range got {
					if seen[id] {
						t.Fatalf("row %s twice", id)
					}
					seen[id] = true
				}
				// The order is the sort's, ties broken by order id.
				want := slices.Clone(got)
				sort.SliceStable(want, func(i, j int) bool {
					a, b := byID[want[i]], byID[want[j]]
					c := compare(srt, a, b)
					if c == 0 {
						c = cmpU(a.ID, b.ID)
					}
					if dir == "desc" {
						return c > 0
					}
					return c < 0
				})
				if !slices.Equal(got, want) {
					t.Errorf("order\n got  %v\n want %v", got, want)
				}
				// And back again with prev_cursor.
				var back []string
				p := last
				for p.PrevCursor != nil {
					p = e.list(fmt.Sprintf("%s&limit=5&cursor=%s", q, url.QueryEscape(*p.PrevCursor)))
					back = append(p.ids(), back...)
				}
				back = append(back, last.ids()...)
				if !slices.Equal(back, got) {
					t.Errorf("walking back\n got  %v\n want %v", back, got)
				}
			})
		}
	}

	// New orders arriving during the walk neither repeat nor hide the rows it had.
	next := uint64(5000)
	got, _ := walk(t, e, "sort=date&dir=desc", 4, func(page int) {
		if page%2 == 0 {
			o := order(next)
			o.CreatedAt = baseTime.Add(100 * time.Hour) // newer than all: lands before the cursor
			next++
			e.insertOrders(o)
		}
	})
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for _, o := range rows {
		if seen[itoa(o.ID)] != 1 {
			t.Errorf("row %d seen %d times while orders arrived", o.ID, seen[itoa(o.ID)])
		}
	}
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(srt string, a, b testOrder) int {
	switch srt {
	case "customer":
		return strings.Compare(strings.ToLower(a.Customer), strings.ToLower(b.Customer))
	case "date":
		return a.CreatedAt.Compare(b.CreatedAt)
	case "total":
		return decimalOf(a.Total).Cmp(decimalOf(b.Total))
	}
	return 0
}

func TestOrderDetail(t *testing.T) {
	e := newEnv(t)
	o := order(77)
	o.Status, o.OdooModel, o.OdooID = "synced", "sale.order", 12
	e.insertOrders(o)
	t0 := baseTime.Add(2 * time.Hour)
	e.insertEvents(
		testEvent{OutcomeID: "c", OrderID: 77, Stage: schemas.StageSinkOdoo, At: t0.Add(1500 * time.Millisecond), Status: "synced", OdooID: 12, Attempt: 2},
		testEvent{OutcomeID: "a", OrderID: 77, Stage: schemas.StageProcessor, At: t0, Status: "in_progress"},
		testEvent{OutcomeID: "b", OrderID: 77, Stage: schemas.StageSinkOdoo, At: t0.Add(700 * time.Millisecond), Status: "delayed", Error: "timeout", Attempt: 1},
		testEvent{OutcomeID: "z", OrderID: 78, Stage: schemas.StageProcessor, At: t0, Status: "in_progress"},
	)
	// The sink may write an outcome twice (at-least-once): it shows once.
	e.insertEvents(testEvent{OutcomeID: "b", OrderID: 77, Stage: schemas.StageSinkOdoo, At: t0.Add(700 * time.Millisecond), Status: "delayed", Error: "timeout", Attempt: 1})

	var d struct {
		OrderID string `json:"order_id"`
		Status  string `json:"status"`
		OdooURL string `json:"odoo_url"`
		History []struct {
			OutcomeID string  `json:"outcome_id"`
			At        string  `json:"at"`
			Stage     string  `json:"stage"`
			Status    string  `json:"status"`
			Error     *string `json:"error"`
			OdooID    *uint64 `json:"odoo_id"`
			Attempt   int     `json:"attempt"`
		} `json:"history"`
	}
	e.call("GET", "/api/shops/"+shopA+"/orders/77", nil, 200, &d)
	if d.OrderID != "77" || d.Status != "synced" || d.OdooURL == "" {
		t.Errorf("order: %+v", d)
	}
	var ids []string
	for _, h := range d.History {
		ids = append(ids, h.OutcomeID)
	}
	if !slices.Equal(ids, []string{"a", "b", "c"}) {
		t.Fatalf("history %v, want a b c", ids)
	}
	if h := d.History[1]; h.Error == nil || *h.Error != "timeout" || h.At != "2025-03-01T12:00:00.700Z" || h.OdooID != nil {
		t.Errorf("delayed outcome: %+v", h)
	}
	if h := d.History[0]; h.Error != nil {
		t.Errorf("no error should be null: %+v", h)
	}
	if h := d.History[2]; h.OdooID == nil || *h.OdooID != 12 || h.Attempt != 2 {
		t.Errorf("synced outcome: %+v", h)
	}
	// An order with no outcomes yet has an empty history, not null.
	e.insertOrders(order(79))
	b := e.call("GET", "/api/shops/"+shopA+"/orders/79", nil, 200, nil)
	if !strings.Contains(string(b), `"history":[]`) {
		t.Errorf("empty history: %s", b)
	}
	e.expectError("GET", "/api/shops/"+shopA+"/orders/999", nil, 404, "")
	e.expectError("GET", "/api/shops/"+shopA+"/orders/abc", nil, 400, "order_id")
	// Another shop's order is not found through this shop.
	ob := order(80)
	ob.Shop = shopB
	e.insertOrders(ob)
	e.expectError("GET", "/api/shops/"+shopA+"/orders/80", nil, 404, "")
}

func TestSyncRequests(t *testing.T) {
	e := newEnv(t)
	notSynced := order(1)
	failed := order(2)
	failed.Status = "failed"
	synced := order(3)
	synced.Status = "synced"
	ineligible := order(4)
	ineligible.Eligible = false
	other := order(5)
	other.Shop = shopB
	e.insertOrders(notSynced, failed, synced, ineligible, other)
	path := "/api/shops/" + shopA + "/sync"

	var r struct {
		Queued int `json:"queued"`
	}
	e.call("POST", path, map[string]any{"order_ids": []any{"1", 2, "3", "1"}}, 202, &r)
	if r.Queued != 3 {
		t.Errorf("queued %d, want 3 (duplicates count once)", r.Queued)
	}
	reqs := e.requests.all()
	if len(reqs) != 1 {
		t.Fatalf("%d requests published", len(reqs))
	}
	q := reqs[0]
	if q.Shop != shopA || !slices.Equal(q.OrderIDs, []int64{1, 2, 3}) || q.AllEligible || q.RequestID == "" ||
		q.RequestedAt.IsZero() || q.RequestedBy == "" || strings.Contains(q.RequestedBy, adminToken) {
		t.Errorf("request %+v", q)
	}

	e.call("POST", path, map[string]any{"all_eligible": true}, 202, &r)
	if r.Queued != 2 { // orders 1 and 2: eligible, not synced
		t.Errorf("all eligible queued %d, want 2", r.Queued)
	}
	if reqs := e.requests.all(); len(reqs) != 2 || !reqs[1].AllEligible || len(reqs[1].OrderIDs) != 0 {
		t.Errorf("all-eligible request %+v", reqs)
	}

	for _, body := range []any{
		"", "{", "[]", `{"order_ids": []}`, `{}`, `{"all_eligible": false}`,
		`{"order_ids": ["1"], "all_eligible": true}`, `{"order_ids": ["x1"]}`, `{"order_ids": [-4]}`,
		`{"order_ids": [1.5]}`, `{"orders": [1]}`, `{"order_ids": [1]} {}`, `{"all_eligible": "yes"}`,
	} {
		e.expectError("POST", path, body, 400, "")
	}
	if n := len(e.requests.all()); n != 2 {
		t.Errorf("bad bodies published requests: %d", n)
	}
	e.expectError("POST", path, `{"order_ids": ["1", "abc"]}`, 400, "order_ids[1]")
	e.expectError("POST", path, `{"order_idz": [1]}`, 400, "order_idz")

	e.requests.err = errBoom
	e.expectError("POST", path, map[string]any{"order_ids": []string{"1"}}, 503, "")
}

func TestJobs(t *testing.T) {
	e := newEnv(t)
	var rows []testOrder
	for i, st := range []string{"not_synced", "not_synced", "in_progress", "delayed", "delayed", "failed", "synced", "needs_attention"} {
		o := order(uint64(i + 1))
		o.Status = st
		rows = append(rows, o)
	}
	ineligible := order(20)
	ineligible.Eligible = false // not_synced but not waiting: the rules skip it
	other := order(21)
	other.Shop = shopB
	e.insertOrders(append(rows, ineligible, other)...)
	var j map[string]int
	e.call("GET", "/api/shops/"+shopA+"/jobs", nil, 200, &j)
	want := map[string]int{"waiting": 2, "active": 1, "delayed": 2, "failed": 1, "needs_attention": 1}
	for k, v := range want {
		if j[k] != v {
			t.Errorf("%s = %d, want %d (%v)", k, j[k], v, j)
		}
	}
}

func TestSettings(t *testing.T) {
	e := newEnv(t)
	path := "/api/shops/" + shopA + "/settings"
	var got map[string]any
	e.call("GET", path, nil, 200, &got)
	if got["create"] != schemas.CreateDraftSaleOrder || got["auto_sync"] != true {
		t.Errorf("defaults: %v", got)
	}

	eb := e.expectError("PUT", path, map[string]any{
		"payment_statuses": []string{"paid", "bogus"},
		"create":           "nothing",
		"customer":         map[string]any{"mode": "single"},
		"date_from":        "2025-13-01",
	}, 400, "payment_statuses")
	for _, f := range []string{"create", "customer.partner_id", "date_from"} {
		if _, ok := eb.Fields[f]; !ok {
			t.Errorf("fields %v lack %s", eb.Fields, f)
		}
	}
	e.expectError("PUT", path, `{"auto_sync": true, "colour": "red"}`, 400, "colour")
	e.expectError("PUT", path, `{"auto_sync": "yes"}`, 400, "auto_sync")
	e.expectError("PUT", path, `not json`, 400, "")
	e.expectError("PUT", path, ``, 400, "")
	if len(e.settings.puts) != 0 {
		t.Fatalf("invalid settings were published: %+v", e.settings.puts)
	}

	want := schemas.DefaultSettings(shopA)
	want.PaymentStatuses = []string{"paid"}
	want.Create = schemas.CreateSaleOrderConfirmedInvoice
	want.OrderPrefix = "WEB-"
	want.DateFrom = "2025-01-01"
	e.call("PUT", path, want, 200, &got)
	if len(e.settings.puts) != 1 {
		t.Fatalf("%d puts", len(e.settings.puts))
	}
	put := e.settings.puts[0]
	if put.Shop != shopA || put.Create != want.Create || put.OrderPrefix != "WEB-" || !slices.Equal(put.PaymentStatuses, []string{"paid"}) {
		t.Errorf("published %+v", put)
	}
	e.call("GET", path, nil, 200, &got)
	if got["order_prefix"] != "WEB-" || got["create"] != want.Create || got["date_from"] != "2025-01-01" {
		t.Errorf("GET after PUT: %v", got)
	}
	// A field left out takes its default, as in the config file.
	e.call("PUT", path, map[string]any{"create": schemas.CreateDraftInvoice}, 200, &got)
	if got["order_prefix"] != "" || got["create"] != schemas.CreateDraftInvoice {
		t.Errorf("partial PUT: %v", got)
	}
	if r := e.settings.puts[1].Revision; r <= e.settings.puts[0].Revision {
		t.Errorf("revision did not grow: %d", r)
	}
	// The alpha token cannot change beta's settings.
	if code, _ := e.do("PUT", "/api/shops/"+shopB+"/settings", alphaToken, want); code != 404 {
		t.Errorf("alpha PUT on beta: %d", code)
	}
}

func TestSettingsPreview(t *testing.T) {
	e := newEnv(t)
	mk := func(id uint64, fin, ful, src string, created time.Time, eligible bool) testOrder {
		o := order(id)
		o.FinancialStatus, o.FulfillmentStatus, o.Source, o.CreatedAt, o.Eligible = fin, ful, src, created, eligible
		return o
	}
	jan := time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)
	mar := time.Date(2025, 3, 15, 12, 0, 0, 0, time.UTC)
	e.insertOrders(
		mk(1, "paid", "fulfilled", "web", mar, true),
		mk(2, "paid", "", "pos", mar, true),               // pos
		mk(3, "pending", "unfulfilled", "web", mar, true), // pending
		mk(4, "paid", "unfulfilled", "web", jan, false),   // before date_from now, stays out
		mk(5, "pending", "", "web", jan, false),
	)
	other := order(6)
	other.Shop = shopB
	e.insertOrders(other)
	path := "/api/shops/" + shopA + "/settings/preview"
	var p struct {
		Eligible   int `json:"eligible"`
		Ineligible int `json:"ineligible"`
		Changes    struct {
			BecomeEligible   int `json:"become_eligible"`
			BecomeIneligible int `json:"become_ineligible"`
		} `json:"changes"`
		Examples struct {
			BecomeEligible   []map[string]any `json:"become_eligible"`
			BecomeIneligible []map[string]any `json:"become_ineligible"`
		} `json:"examples"`
	}
	// Paid web orders from February: 1 (stays), 4 is January; 2 leaves (pos), 3 leaves (pending).
	e.call("POST", path, map[string]any{
		"payment_statuses": []string{"paid"}, "order_sources": []string{"web"}, "date_from": "2025-02-01",
	}, 200, &p)
	if p.Eligible != 1 || p.Ineligible != 4 || p.Changes.BecomeEligible != 0 || p.Changes.BecomeIneligible != 2 {
		t.Errorf("preview %+v", p)
	}
	// The orders that leave are listed, each with the reasons in the product's words.
	ex := p.Examples.BecomeIneligible
	if len(ex) != 2 || len(p.Examples.BecomeEligible) != 0 {
		t.Fatalf("examples %+v", p.Examples)
	}
	byID := map[string][]any{}
	for _, o := range ex {
		byID[o["order_id"].(string)] = o["reasons"].([]any)
		if o["name"] == "" {
			t.Errorf("example without a name: %v", o)
		}
	}
	if r := byID["2"]; len(r) != 1 || r[0] != "'POS' order source doesn't match sync rules" {
		t.Errorf("reasons of 2: %v", r)
	}
	if r := byID["3"]; len(r) != 1 || r[0] != "'PENDING' payment status doesn't match sync rules" {
		t.Errorf("reasons of 3: %v", r)
	}
	// Everything: 4 and 5 come in.
	e.call("POST", path, map[string]any{}, 200, &p)
	if p.Eligible != 5 || p.Ineligible != 0 || p.Changes.BecomeEligible != 2 || p.Changes.BecomeIneligible != 0 {
		t.Errorf("preview of the defaults %+v", p)
	}
	if ex := p.Examples.BecomeEligible; len(ex) != 2 || len(ex[0]["reasons"].([]any)) != 0 {
		t.Errorf("examples of the defaults %+v", p.Examples)
	}
	e.expectError("POST", path, map[string]any{"fulfillment_statuses": []string{"shipped"}}, 400, "fulfillment_statuses")
	if len(e.settings.puts) != 0 {
		t.Errorf("preview published settings")
	}
}

func TestViews(t *testing.T) {
	e := newEnv(t)
	a, b, c := order(1), order(2), order(3)
	a.Status = "failed"
	b.Status = "failed"
	b.Email = "vip@example.com"
	e.insertOrders(a, b, c)
	base := "/api/shops/" + shopA + "/views"

	type view struct {
		ID        string            `json:"id"`
		Name      string            `json:"name"`
		Filters   map[string]string `json:"filters"`
		UpdatedAt string            `json:"updated_at"`
	}
	var v view
	e.call("POST", base, map[string]any{"name": "  Failed  ", "filters": map[string]string{"status": "failed", "sort": "order", "dir": "asc"}}, 201, &v)
	if v.ID == "" || v.Name != "Failed" || v.Filters["status"] != "failed" || v.UpdatedAt == "" {
		t.Fatalf("created %+v", v)
	}
	e.expectError("POST", base, map[string]any{"name": ""}, 400, "name")
	e.expectError("POST", base, map[string]any{"name": "x", "filters": map[string]string{"tab": "nope"}}, 400, "filters.tab")
	e.expectError("POST", base, map[string]any{"name": "x", "filters": map[string]string{"colour": "red"}}, 400, "")
	e.expectError("POST", base, map[string]any{"name": strings.Repeat("n", 101)}, 400, "name")

	// The view's filters apply to the order table; explicit parameters refine them.
	p := e.list("view=" + v.ID)
	if !slices.Equal(p.ids(), []string{"1", "2"}) {
		t.Errorf("view applied: %v", p.ids())
	}
	if p := e.list("view=" + v.ID + "&q=vip"); !slices.Equal(p.ids(), []string{"2"}) {
		t.Errorf("view + q: %v", p.ids())
	}
	e.expectError("GET", "/api/shops/"+shopA+"/orders?view=nope", nil, 400, "view")

	var dup view
	e.call("POST", base+"/"+v.ID+"/duplicate", nil, 201, &dup)
	if dup.ID == v.ID || dup.Name != "Failed (copy)" || dup.Filters["status"] != "failed" {
		t.Errorf("duplicate %+v", dup)
	}
	var upd view
	e.call("PATCH", base+"/"+dup.ID, map[string]any{"name": "VIP failed"}, 200, &upd)
	if upd.Name != "VIP failed" || upd.Filters["status"] != "failed" {
		t.Errorf("rename kept filters? %+v", upd)
	}
	e.call("PATCH", base+"/"+dup.ID, map[string]any{"filters": map[string]string{"q": "vip"}}, 200, &upd)
	if upd.Name != "VIP failed" || upd.Filters["q"] != "vip" || upd.Filters["status"] != "" {
		t.Errorf("filters replaced? %+v", upd)
	}
	e.expectError("PATCH", base+"/"+dup.ID, map[string]any{"filters": map[string]string{"dir": "sideways"}}, 400, "filters.dir")
	e.expectError("PATCH", base+"/nope", map[string]any{"name": "x"}, 404, "")

	var list struct {
		Views []view `json:"views"`
	}
	e.call("GET", base, nil, 200, &list)
	if len(list.Views) != 2 || list.Views[0].Name != "Failed" || list.Views[1].Name != "VIP failed" {
		t.Errorf("list %+v", list)
	}
	e.call("DELETE", base+"/"+v.ID, nil, 204, nil)
	e.expectError("DELETE", base+"/"+v.ID, nil, 404, "")
	e.expectError("POST", base+"/"+v.ID+"/duplicate", nil, 404, "")
	e.call("GET", base, nil, 200, &list)
	if len(list.Views) != 1 || list.Views[0].ID != dup.ID {
		t.Errorf("after delete %+v", list)
	}
	// Views belong to their shop.
	e.call("GET", "/api/shops/"+shopB+"/views", nil, 200, &list)
	if len(list.Views) != 0 {
		t.Errorf("beta sees alpha's views: %+v", list)
	}
	e.expectError("PATCH", "/api/shops/"+shopB+"/views/"+dup.ID, map[string]any{"name": "x"}, 404, "")
	if code, _ := e.do("GET", base, alphaToken, nil); code != 200 {
		t.Errorf("alpha token on its views: %d", code)
	}
}
