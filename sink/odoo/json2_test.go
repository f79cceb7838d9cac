package odoo

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// json2Server follows JSON2.md: POST /json/2/<model>/<method>, bearer key, JSON body of
// named parameters, 200 with the JSON value or 4xx/5xx with {name, message, ...}. It
// also answers XML-RPC common.version() as a 19 server does.
type json2Server struct {
	t       *testing.T
	mu      sync.Mutex
	version string
	got     []map[string]any // request bodies
	paths   []string
	answer  func(model, method string, body map[string]any) (int, any)
}

func (s *json2Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/xmlrpc/2/common" {
		w.Header().Set("Connection", "close")
		io.WriteString(w, `<?xml version='1.0'?>
<methodResponse>
<params>
<param>
<value><struct>
<member>
<name>server_version</name>
<value><string>`+s.version+`</string></value>
</member>
<member>
<name>server_version_info</name>
<value><array><data>
<value><int>`+strings.Split(s.version, ".")[0]+`</int></value>
<value><int>0</int></value>
<value><int>0</int></value>
<value><string>final</string></value>
<value><int>0</int></value>
<value><string></string></value>
</data></array></value>
</member>
</struct></value>
</param>
</params>
</methodResponse>
`)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/json/2/")
	model, method, _ := strings.Cut(rest, "/")
	write := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	if !ok || r.Method != http.MethodPost {
		write(404, map[string]any{"name": "werkzeug.exceptions.NotFound", "message": "Not Found"})
		return
	}
	if r.Header.Get("Authorization") != "bearer good-key" {
		write(401, map[string]any{"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey", "arguments": []any{"Invalid apikey", 401}})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || r.Header.Get("X-Odoo-Database") != "synco" {
		s.t.Errorf("headers %v", r.Header)
	}
	var body map[string]any
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		write(400, map[string]any{"name": "werkzeug.exceptions.BadRequest", "message": err.Error()})
		return
	}
	s.mu.Lock()
	s.got = append(s.got, body)
	s.paths = append(s.paths, model+"/"+method)
	s.mu.Unlock()
	status, v := s.answer(model, method, body)
	write(status, v)
}

func TestJSON2NamedParamsAndAnswers(t *testing.T) {
	srv := &json2Server{t: t, version: "19.0", answer: func(model, method string, body map[string]any) (int, any) {
		switch method {
		case "search_read":
			return 200, []any{map[string]any{"id": 7, "name": "Jane", "list_price": 12.5, "uom_id": []any{1, "Units"}, "email": false}}
		case "create":
			return 200, []any{41, 42}
		case "write", "action_confirm":
			return 200, true
		case "action_post":
			return 200, nil
		case "read":
			return 200, []any{map[string]any{"id": 5, "state": "sale", "amount_total": 159.61}}
		case "create_invoices":
			return 422, map[string]any{"name": "odoo.exceptions.UserError", "message": "There is no invoiceable line.", "arguments": []any{"There is no invoiceable line."}, "context": map[string]any{}, "debug": "Traceback ..."}
		}
		return 500, map[string]any{"name": "builtins.AttributeError", "message": "no such method"}
	}}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx := context.Background()

	c, err := Dial(ctx, Config{URL: hs.URL, DB: "synco", Username: "bot", APIKey: "good-key", Protocol: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*JSON2); !ok {
		t.Fatalf("auto on 19 with a key chose %T", c)
	}
	if v, err := c.Version(ctx); err != nil || v != 19 {
		t.Fatalf("version %d %v", v, err)
	}

	recs, err := SearchRead(ctx, c, "res.partner", []any{[]any{"email", "=ilike", "jane@example.com"}}, []string{"id", "name"}, map[string]any{"limit": 1, "context": map[string]any{"active_test": false}})
	if err != nil || len(recs) != 1 || recs[0].ID() != 7 || recs[0].M2O("uom_id") != 1 || recs[0]["list_price"] != 12.5 || recs[0].String("email") != "" {
		t.Fatalf("search_read %v %v", recs, err)
	}
	ids, err := CreateMany(ctx, c, "product.product", []map[string]any{{"name": "A"}, {"name": "B"}}, nil)
	if err != nil || !reflect.DeepEqual(ids, []int64{41, 42}) {
		t.Fatalf("create %v %v", ids, err)
	}
	if err := Write(ctx, c, "sale.order", []int64{5}, map[string]any{"note": "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(ctx, c, "sale.order", []int64{5}, []string{"state", "amount_total"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call(ctx, "sale.order", "action_confirm", []any{[]int64{5}}, map[string]any{"context": map[string]any{"lang": "en_US"}}); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Call(ctx, "account.move", "action_post", []any{[]int64{9}}, nil); err != nil || v != nil {
		t.Fatalf("null answer: %v %v", v, err)
	}
	_, err = c.Call(ctx, "sale.advance.payment.inv", "create_invoices", []any{[]int64{3}}, nil)
	var oe *Error
	if !errors.As(err, &oe) || oe.Retriable || oe.Message != "There is no invoiceable line." || oe.Exception != "odoo.exceptions.UserError" || oe.Code != 422 {
		t.Fatalf("user error: %#v", err)
	}

	want := []struct {
		path string
		body string
	}{
		{"res.partner/search_read", `{"context":{"active_test":false},"domain":[["email","=ilike","jane@example.com"]],"fields":["id","name"],"limit":1}`},
		{"product.product/create", `{"vals_list":[{"name":"A"},{"name":"B"}]}`},
		{"sale.order/write", `{"ids":[5],"vals":{"note":"x"}}`},
		{"sale.order/read", `{"fields":["state","amount_total"],"ids":[5]}`},
		{"sale.order/action_confirm", `{"context":{"lang":"en_US"},"ids":[5]}`},
		{"account.move/action_post", `{"ids":[9]}`},
		{"sale.advance.payment.inv/create_invoices", `{"ids":[3]}`},
	}
	for i, w := range want {
		b, _ := json.Marshal(srv.got[i])
		if srv.paths[i] != w.path || string(b) != w.body {
			t.Errorf("request %d: %s %s\nwant %s %s", i, srv.paths[i], b, w.path, w.body)
		}
	}

	// A positional argument we cannot name is refused before anything is sent.
	if _, err := c.Call(ctx, "sale.order", "action_confirm", []any{[]int64{5}, "extra"}, nil); !IsPermanent(err) {
		t.Fatalf("unnamed positional: %v", err)
	}
}

func TestJSON2RejectedKeyIsPermanent(t *testing.T) {
	srv := &json2Server{t: t, version: "19.0", answer: func(string, string, map[string]any) (int, any) { return 200, true }}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c := NewJSON2(hs.URL, "synco", "expired-key")
	_, err := c.Call(context.Background(), "res.partner", "search_read", []any{[]any{}}, nil)
	var oe *Error
	if !errors.As(err, &oe) || oe.Retriable || !strings.HasPrefix(oe.Message, "Odoo API key rejected") || oe.Code != 401 {
		t.Fatalf("%#v", err)
	}
}

func TestDialAutoPicksXMLRPC(t *testing.T) {
	for _, c := range []struct {
		version string
		key     string
	}{{"17.0", "good-key"}, {"16.0", ""}, {"19.0", ""}} {
		srv := &json2Server{t: t, version: c.version}
		hs := httptest.NewServer(srv)
		cl, err := Dial(context.Background(), Config{URL: hs.URL, DB: "synco", Username: "admin", Password: "admin", APIKey: c.key, Protocol: "auto"})
		hs.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := cl.(*XMLRPC); !ok {
			t.Errorf("%s key=%q: %T", c.version, c.key, cl)
		}
	}
	if _, err := Dial(context.Background(), Config{URL: "http://x", Protocol: "soap"}); !IsPermanent(err) {
		t.Errorf("bad protocol: %v", err)
	}
}
