package odoosim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/synco-dev/synco/xmlrpc"
)

// rpc sends one execute_kw call through the real XML-RPC endpoint.
func rpc(t *testing.T, url, model, method string, args []any, kw map[string]any) (any, *Fault) {
	t.Helper()
	if args == nil {
		args = []any{}
	}
	if kw == nil {
		kw = map[string]any{}
	}
	body, err := xmlrpc.EncodeCall("execute_kw", []any{"synco", 2, "admin", model, method, args, kw})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url+"/xmlrpc/2/object", "text/xml", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, &Fault{Code: -resp.StatusCode, String: string(body)}
	}
	v, f, err := decodeResponse(body)
	if err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return v, f
}

func start(t *testing.T, opts Options) (*Server, string) {
	s := New(opts)
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url
}

func TestFaultInjectionAndCalls(t *testing.T) {
	s, url := start(t, Options{})
	partner := map[string]any{"name": "A", "email": "a@example.com"}

	s.FailNext("res.partner", "create", 2)
	for i := 0; i < 2; i++ {
		_, f := rpc(t, url, "res.partner", "create", []any{partner}, nil)
		if f == nil || f.Code != 1 || lastLine(f.String) != TransientFaultLine {
			t.Fatalf("call %d: want transient fault, got %+v", i, f)
		}
	}
	if n := len(s.Records("res.partner")); n != 3 { // seeded company, bot, admin
		t.Fatalf("injected failures must not apply changes: %d partners", n)
	}
	if v, f := rpc(t, url, "res.partner", "create", []any{partner}, nil); f != nil || v.(int) == 0 {
		t.Fatalf("third call should pass: %v %+v", v, f)
	}
	if got := s.Calls()["res.partner.create"]; got != 3 {
		t.Fatalf("Calls()[res.partner.create] = %d, want 3", got)
	}
	s.ResetCalls()
	if len(s.Calls()) != 0 {
		t.Fatal("ResetCalls did not reset")
	}

	// error rate: deterministic per seed, roughly the asked fraction
	s.SetErrorRate(0.5, 42)
	fails := 0
	for i := 0; i < 40; i++ {
		if _, f := rpc(t, url, "res.partner", "search_count", []any{[]any{}}, nil); f != nil {
			if lastLine(f.String) != TransientFaultLine {
				t.Fatalf("unexpected fault %s", f.String)
			}
			fails++
		}
	}
	if fails < 8 || fails > 32 {
		t.Fatalf("error rate 0.5 gave %d/40 failures", fails)
	}
	s.SetErrorRate(0, 0)

	// latency
	s.SetLatency(50 * time.Millisecond)
	t0 := time.Now()
	rpc(t, url, "res.partner", "search_count", []any{[]any{}}, nil)
	if time.Since(t0) < 50*time.Millisecond {
		t.Fatal("latency not applied")
	}
	s.SetLatency(0)

	// down: connections refused, then back on the same address
	s.SetDown(true)
	if _, err := http.Post(url+"/xmlrpc/2/common", "text/xml", strings.NewReader("x")); err == nil {
		t.Fatal("want connection refused while down")
	}
	rec := &captureWriter{header: http.Header{}}
	req, _ := http.NewRequest("POST", "/xmlrpc/2/common", strings.NewReader(""))
	s.Handler().ServeHTTP(rec, req)
	if rec.status != http.StatusBadGateway {
		t.Fatalf("handler while down: %d, want 502", rec.status)
	}
	s.SetDown(false)
	if _, f := rpc(t, url, "res.partner", "search_count", []any{[]any{}}, nil); f != nil {
		t.Fatalf("after SetDown(false): %+v", f)
	}
}

type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *captureWriter) Header() http.Header         { return w.header }
func (w *captureWriter) Write(b []byte) (int, error) { return w.body.Write(b) }
func (w *captureWriter) WriteHeader(code int)        { w.status = code }

// A call that faults half-way leaves nothing behind (one transaction).
func TestRollbackOnFault(t *testing.T) {
	s, url := start(t, Options{})
	pid, _ := rpc(t, url, "res.partner", "create", []any{map[string]any{"name": "B"}}, nil)
	_, f := rpc(t, url, "sale.order", "create", []any{map[string]any{"partner_id": pid, "order_line": []any{
		[]any{0, 0, map[string]any{"display_type": "line_note", "name": "ok", "product_uom_qty": 0}},
		[]any{0, 0, map[string]any{"product_id": 999999}},
	}}}, nil)
	if f == nil || f.Code != 2 {
		t.Fatalf("want fault 2 for a missing product, got %+v", f)
	}
	if len(s.Records("sale.order")) != 0 || len(s.Records("sale.order.line")) != 0 {
		t.Fatal("failed create left records behind")
	}
}

// Field names follow the version: old names on newer versions are rejected.
func TestVersionFieldNames(t *testing.T) {
	for _, tc := range []struct {
		v               int
		taxField, other string
		productTypeOK   string
		productTypeBad  string
	}{
		{16, "tax_id", "tax_ids", "detailed_type", "is_storable"},
		{17, "tax_id", "tax_ids", "detailed_type", "is_storable"},
		{18, "tax_id", "tax_ids", "is_storable", "detailed_type"},
		{19, "tax_ids", "tax_id", "is_storable", "detailed_type"},
	} {
		s, url := start(t, Options{Version: tc.v})
		_ = s
		val := any("product")
		if tc.productTypeOK == "is_storable" {
			val = true
		}
		prod, f := rpc(t, url, "product.product", "create", []any{map[string]any{"name": "P", tc.productTypeOK: val}}, nil)
		if f != nil {
			t.Fatalf("v%d: %s: %s", tc.v, tc.productTypeOK, lastLine(f.String))
		}
		_, f = rpc(t, url, "product.product", "create", []any{map[string]any{"name": "P", tc.productTypeBad: val}}, nil)
		if f == nil || f.Code != 1 || !strings.Contains(lastLine(f.String), "Invalid field '"+tc.productTypeBad+"'") {
			t.Fatalf("v%d: want Invalid field for %s, got %+v", tc.v, tc.productTypeBad, f)
		}
		pid, _ := rpc(t, url, "res.partner", "create", []any{map[string]any{"name": "C"}}, nil)
		line := func(field string) map[string]any {
			return map[string]any{"product_id": prod, "product_uom_qty": 2, "price_unit": 10.0, field: []any{[]any{6, 0, []any{1}}}}
		}
		so, f := rpc(t, url, "sale.order", "create", []any{map[string]any{"partner_id": pid, "order_line": []any{[]any{0, 0, line(tc.taxField)}}}}, nil)
		if f != nil {
			t.Fatalf("v%d: order with %s: %s", tc.v, tc.taxField, lastLine(f.String))
		}
		_, f = rpc(t, url, "sale.order", "create", []any{map[string]any{"partner_id": pid, "order_line": []any{[]any{0, 0, line(tc.other)}}}}, nil)
		if f == nil || !strings.Contains(lastLine(f.String), "Invalid field '"+tc.other+"' on model 'sale.order.line'") {
			t.Fatalf("v%d: want Invalid field for %s, got %+v", tc.v, tc.other, f)
		}
		rows, _ := rpc(t, url, "sale.order", "read", []any{[]any{so}, []any{"amount_untaxed", "amount_tax", "amount_total"}}, nil)
		r := rows.([]any)[0].(map[string]any)
		if r["amount_untaxed"] != 20.0 || r["amount_tax"] != 3.0 || r["amount_total"] != 23.0 {
			t.Fatalf("v%d: totals %v", tc.v, r)
		}
	}
}

func json2(t *testing.T, url, path, key, ctype string, body any) (int, map[string]any, any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url+path, bytes.NewReader(b))
	if key != "" {
		req.Header.Set("Authorization", "bearer "+key)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: not JSON: %s", path, raw)
	}
	m, _ := v.(map[string]any)
	return resp.StatusCode, m, v
}

func TestJSON2(t *testing.T) {
	s, url := start(t, Options{Version: 19, APIKey: "k3y"})
	const ct = "application/json; charset=utf-8"

	st, m, _ := json2(t, url, "/json/2/res.partner/search_read", "wrong", ct, map[string]any{})
	if st != 401 || m["name"] != "werkzeug.exceptions.Unauthorized" || m["message"] != "Invalid apikey" {
		t.Fatalf("bad key: %d %v", st, m)
	}
	for _, k := range []string{"name", "message", "arguments", "context", "debug"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("error body lacks %q: %v", k, m)
		}
	}
	if st, _, _ := json2(t, url, "/json/2/res.partner/search_read", "k3y", "text/plain", map[string]any{}); st != 415 {
		t.Fatalf("wrong content type: %d", st)
	}
	st, _, v := json2(t, url, "/json/2/res.partner/create", "k3y", ct, map[string]any{"vals_list": []any{map[string]any{"name": "J", "email": "J@X.io"}}})
	ids, _ := v.([]any)
	if st != 200 || len(ids) != 1 {
		t.Fatalf("create: %d %v", st, v)
	}
	st, _, v = json2(t, url, "/json/2/res.partner/search_read", "k3y", ct, map[string]any{"domain": []any{[]any{"email", "=ilike", "j@x.io"}}, "fields": []any{"name", "email_normalized"}})
	rows, _ := v.([]any)
	if st != 200 || len(rows) != 1 || rows[0].(map[string]any)["email_normalized"] != "j@x.io" {
		t.Fatalf("search_read: %d %v", st, v)
	}
	st, m, _ = json2(t, url, "/json/2/res.partner/search_read", "k3y", ct, map[string]any{"bogus": 1})
	if st != 422 || !strings.Contains(asStr(m["message"]), "unexpected keyword argument 'bogus'") {
		t.Fatalf("unexpected kwarg: %d %v", st, m)
	}
	st, m, _ = json2(t, url, "/json/2/res.partner/write", "k3y", ct, map[string]any{"ids": []any{99999}, "vals": map[string]any{"name": "x"}})
	if st != 404 || m["name"] != "odoo.exceptions.MissingError" {
		t.Fatalf("missing record: %d %v", st, m)
	}
	// None results are fine on JSON-2 (no marshalling fault)
	pid := int(ids[0].(float64))
	_, _, v = json2(t, url, "/json/2/sale.order/create", "k3y", ct, map[string]any{"vals_list": []any{map[string]any{"partner_id": pid}}})
	so := v.([]any)[0]
	st, _, v = json2(t, url, "/json/2/sale.order/action_lock", "k3y", ct, map[string]any{"ids": []any{so}})
	if st != 200 || v != nil {
		t.Fatalf("action_lock: %d %v", st, v)
	}
	if got := s.Calls()["sale.order.action_lock"]; got != 1 {
		t.Fatalf("calls: %d", got)
	}
	// the XML-RPC side still works on 19 and sees the same store
	rowsX, f := rpc(t, url, "sale.order", "read", []any{[]any{so}, []any{"locked"}}, nil)
	if f != nil || rowsX.([]any)[0].(map[string]any)["locked"] != true {
		t.Fatalf("xml-rpc view of the JSON-2 change: %v %+v", rowsX, f)
	}
	// and not on 17
	_, url17 := start(t, Options{Version: 17})
	resp, _ := http.Post(url17+"/json/2/res.partner/search_read", "application/json", strings.NewReader("{}"))
	if resp.StatusCode != 404 {
		t.Fatalf("JSON-2 on 17: %d", resp.StatusCode)
	}
	resp.Body.Close()
}

// Real Odoo refuses to delete a product an order line uses (ondelete restrict).
func TestUnlinkProductInUseIsRefused(t *testing.T) {
	_, url := start(t, Options{})
	pid, _ := rpc(t, url, "product.product", "create", []any{map[string]any{"name": "Mug", "default_code": "MUG"}}, nil)
	partner, _ := rpc(t, url, "res.partner", "create", []any{map[string]any{"name": "Ada"}}, nil)
	if _, f := rpc(t, url, "sale.order", "create", []any{map[string]any{"partner_id": partner, "order_line": []any{
		[]any{0, 0, map[string]any{"product_id": pid, "product_uom_qty": 1.0, "price_unit": 5.0}}}}}, nil); f != nil {
		t.Fatalf("order: %+v", f)
	}
	_, f := rpc(t, url, "product.product", "unlink", []any{[]any{pid}}, nil)
	if f == nil || f.Code != 2 || !strings.Contains(f.String, "another model requires the record being deleted") {
		t.Fatalf("unlink of a product in use: %+v", f)
	}
	free, _ := rpc(t, url, "product.product", "create", []any{map[string]any{"name": "Unused"}}, nil)
	if _, f := rpc(t, url, "product.product", "unlink", []any{[]any{free}}, nil); f != nil {
		t.Fatalf("unlink of an unused product faulted: %+v", f)
	}
}

// 18 moved "included in price" to price_include_override; 17 does not know it.
func TestTaxPriceIncludeByVersion(t *testing.T) {
	_, u17 := start(t, Options{Version: 17})
	if _, f := rpc(t, u17, "account.tax", "create", []any{map[string]any{"name": "VAT 20%", "amount": 20.0, "price_include_override": "tax_included"}}, nil); f == nil || f.Code != 1 {
		t.Fatalf("17 accepted price_include_override: %+v", f)
	}
	_, u18 := start(t, Options{Version: 18})
	id, f := rpc(t, u18, "account.tax", "create", []any{map[string]any{"name": "VAT 20%", "amount": 20.0, "price_include_override": "tax_included"}}, nil)
	if f != nil {
		t.Fatalf("18 create: %+v", f)
	}
	got, f := rpc(t, u18, "account.tax", "read", []any{[]any{id}, []any{"price_include"}}, nil)
	if f != nil {
		t.Fatal(f)
	}
	if recs, _ := got.([]any); len(recs) != 1 || recs[0].(map[string]any)["price_include"] != true {
		t.Fatalf("18 price_include not computed from the override: %v", got)
	}
}

// A hung simulator takes the request and answers nothing until released; a client
// that gives up is let go.
func TestHangMode(t *testing.T) {
	s, url := start(t, Options{})
	s.SetHang(true)
	answered := make(chan struct{})
	go func() {
		rpc(t, url, "res.partner", "search_count", []any{[]any{}}, nil)
		close(answered)
	}()
	select {
	case <-answered:
		t.Fatal("a hung Odoo answered")
	case <-time.After(200 * time.Millisecond):
	}
	s.SetHang(false)
	<-answered
	s.SetHang(true)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/xmlrpc/2/common", strings.NewReader("<methodCall><methodName>version</methodName></methodCall>"))
	errc := make(chan error)
	go func() { _, err := http.DefaultClient.Do(req); errc <- err }()
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("a cancelled request to a hung Odoo got an answer")
	}
	s.SetHang(false)
}
