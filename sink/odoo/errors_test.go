package odoo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/synco-dev/synco/xmlrpc"
)

// Every fault the real servers gave, classified: all of them need a person (none is
// retriable), the None fault is recognised, and the message is Odoo's without the
// traceback.
func TestClassifyRecordedFaults(t *testing.T) {
	want := map[string]struct {
		code int    // 0: the legacy endpoint's string code
		msg  string // exact message, or prefix when it ends in "…"
		none bool
	}{
		"01.object.execute_kw.wrong_password":                                  {3, "Access Denied", false},
		"04.stock.quant.action_apply_inventory":                                {1, "TypeError: cannot marshal None unless allow_none is enabled", true},
		"13.sale.order.action_done (16: lock = state done)":                    {1, "TypeError: cannot marshal None unless allow_none is enabled", true},
		"09.sale.advance.payment.inv.create_invoices WITHOUT payment term":     {1, "TypeError: cannot marshal None unless allow_none is enabled", true},
		"15.error unknown field on create":                                     {1, "ValueError: Invalid field 'no_such_field' on model 'res.partner'", false},
		"15.error bad selection value":                                         {1, "ValueError: Wrong value for product.template.detailed_type: 'nope'", false},
		"15.error missing required field (sale.order w/o partner_id)":          {2, "The operation cannot be completed:\n- Create/update: a mandatory field is not set.…", false},
		"15.error unknown model":                                               {2, "Object no.such.model doesn't exist", false},
		"15.error missing record: write id 99999999":                           {2, "Record does not exist or has been deleted.\n(Record: res.partner(99999999,), User: 2)", false},
		"15.error private method (_create_invoices)":                           {4, "Private methods (such as _create_invoices) cannot be called remotely.", false},
		"15.error type error: many2one given a string":                         {1, "psycopg2.errors.InvalidTextRepresentation: invalid input syntax for type integer: \"not-an-id\"", false},
		"15.error non-existent database (execute_kw)":                          {1, "psycopg2.OperationalError: connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  database \"no_such_db_synco\" does not exist", false},
		"15.error legacy /xmlrpc/object endpoint (string faultCode) UserError": {0, "The entry INV/2026/000…", false},
		"15.error unique constraint: second res.currency.rate same day":        {2, "The operation cannot be completed: Only one currency rate per day allowed!", false},
	}
	seen := 0
	for _, v := range []int{16, 17} {
		for _, r := range loadRecorded(t, v) {
			if r.Fault == nil {
				continue
			}
			_, f, err := xmlrpc.DecodeResponse([]byte(r.RawResponse))
			if err != nil || f == nil {
				t.Fatalf("%d/%d: %v", v, r.Seq, err)
			}
			e := classifyFault(r.Model, r.ModelMethod, f)
			if e.Retriable {
				t.Errorf("%d/%d %s: %+v not permanent", v, r.Seq, r.Step, e)
			}
			if e.Message == "" || strings.Contains(e.Message, "Traceback") {
				t.Errorf("%d/%d %s: message %q", v, r.Seq, r.Step, e.Message)
			}
			if legacy := e.CodeText != ""; r.Fault.IsTraceback && !legacy && e.Message != r.Fault.Exception {
				t.Errorf("%d/%d %s: message %q, want the exception line %q", v, r.Seq, r.Step, e.Message, r.Fault.Exception)
			}
			if got := IsNoneFault(e); got != strings.Contains(r.Fault.LastLine, "cannot marshal None") {
				t.Errorf("%d/%d %s: IsNoneFault = %v", v, r.Seq, r.Step, got)
			}
			w, ok := want[r.Step]
			if !ok {
				continue
			}
			seen++
			if w.code == 0 {
				if e.Code != 0 || !strings.HasPrefix(e.CodeText, "warning -- UserError") {
					t.Errorf("%d/%d: code %d %q", v, r.Seq, e.Code, e.CodeText)
				}
			} else if e.Code != w.code {
				t.Errorf("%d/%d %s: code %#v, want %v", v, r.Seq, r.Step, e.Code, w.code)
			}
			if p, prefix := strings.CutSuffix(w.msg, "…"); prefix && !strings.HasPrefix(e.Message, p) || !prefix && e.Message != w.msg {
				t.Errorf("%d/%d %s: message\n%q\nwant\n%q", v, r.Seq, r.Step, e.Message, w.msg)
			}
			if IsNoneFault(e) != w.none {
				t.Errorf("%d/%d: none fault %v", v, r.Seq, !w.none)
			}
		}
	}
	if seen < len(want) {
		t.Errorf("only %d of %d expectations met a recording", seen, len(want))
	}
}

// What real Odoo says under contention or when its database is away, and what sits in
// front of it, is retriable.
func TestClassifyRetriable(t *testing.T) {
	tb := func(exc string) string {
		return "Traceback (most recent call last):\n  File \"/opt/odoo/odoo/sql_db.py\", line 1, in execute\n    x()\n" + exc + "\n"
	}
	for _, c := range []struct {
		name string
		e    *Error
	}{
		{"serialization", classifyFault("sale.order", "action_confirm", &xmlrpc.Fault{Code: 1, String: tb("psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update")})},
		{"deadlock", classifyFault("sale.order", "action_confirm", &xmlrpc.Fault{Code: 1, String: tb("psycopg2.errors.DeadlockDetected: deadlock detected\nDETAIL:  Process 1 waits")})},
		{"pg down", classifyFault("res.partner", "search_read", &xmlrpc.Fault{Code: 1, String: tb("psycopg2.OperationalError: server closed the connection unexpectedly")})},
		{"fault 2 concurrent", classifyFault("stock.quant", "write", &xmlrpc.Fault{Code: 2, String: "could not serialize access due to concurrent update"})},
		{"502", classifyHTTP("", "version", 502, "<html>Bad Gateway</html>")},
		{"503", classifyHTTP("", "version", 503, "")},
		{"429", classifyHTTP("", "version", 429, "")},
		{"json2 500 unknown", classifyJSON2("sale.order", "create", 500, []byte(`{"name":"werkzeug.exceptions.InternalServerError","message":"boom"}`))},
		{"json2 serialization", classifyJSON2("sale.order", "action_confirm", 500, []byte(`{"name":"psycopg2.errors.SerializationFailure","message":"could not serialize access due to concurrent update"}`))},
		{"json2 503 html", classifyJSON2("sale.order", "create", 503, []byte(`<html>down</html>`))},
		{"refused", classifyTransport("sale.order", "create", &net.OpError{Op: "dial", Err: errors.New("connection refused")})},
		{"timeout", classifyTransport("sale.order", "create", context.DeadlineExceeded)},
	} {
		if !c.e.Retriable {
			t.Errorf("%s: %+v", c.name, c.e)
		}
	}
	if !strings.Contains(classifyTransport("m", "x", context.DeadlineExceeded).Message, "timeout") {
		t.Error("timeout not named")
	}
	if e := classifyFault("sale.order", "action_confirm", &xmlrpc.Fault{Code: 1, String: tb("psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update")}); e.Message != "psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update" || e.Exception != "psycopg2.errors.SerializationFailure" {
		t.Errorf("%+v", e)
	}
}

func TestClassifyJSON2Permanent(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		msg    string
	}{
		{401, `{"name":"werkzeug.exceptions.Unauthorized","message":"Invalid apikey","arguments":["Invalid apikey",401]}`, "Odoo API key rejected (Invalid apikey)"},
		{422, `{"name":"odoo.exceptions.UserError","message":"The entry INV/1 must be in draft."}`, "The entry INV/1 must be in draft."},
		{422, `{"name":"odoo.exceptions.ValidationError","message":"Tax names must be unique!"}`, "Tax names must be unique!"},
		{403, `{"name":"odoo.exceptions.AccessError","message":"You are not allowed"}`, "You are not allowed"},
		{404, `{"name":"odoo.exceptions.MissingError","message":"Record does not exist or has been deleted."}`, "Record does not exist or has been deleted."},
		{422, `{"name":"werkzeug.exceptions.UnprocessableEntity","message":"unexpected keyword argument 'bogus'"}`, "unexpected keyword argument 'bogus'"},
		{500, `{"name":"builtins.ValueError","message":"Invalid field 'x' on model 'res.partner'"}`, "Invalid field 'x' on model 'res.partner'"},
		{500, `{"name":"odoo.exceptions.UserError","message":"nope"}`, "nope"},
	} {
		e := classifyJSON2("res.partner", "create", c.status, []byte(c.body))
		if e.Retriable || e.Message != c.msg || e.Code != c.status {
			t.Errorf("%d %s: %+v", c.status, c.body, e)
		}
	}
}

// A network failure reaches the caller as a retriable *Error that still wraps the cause.
func TestTransportErrorsAreRetriable(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	url := hs.URL
	hs.Close() // nothing listens any more
	for _, c := range []Client{
		NewXMLRPC(url, "synco", "admin", "admin", KnownVersion(17)),
		NewJSON2(url, "synco", "key", KnownVersion(19)),
	} {
		_, err := c.Call(context.Background(), "res.partner", "search_read", []any{[]any{}}, nil)
		var oe *Error
		if !errors.As(err, &oe) || !oe.Retriable || oe.Err == nil || !IsRetriable(err) || IsPermanent(err) {
			t.Errorf("%T: %#v", c, err)
		}
	}
	// A proxy's 502 page in front of XML-RPC.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>Bad Gateway</html>", http.StatusBadGateway)
	}))
	defer bad.Close()
	_, err := NewXMLRPC(bad.URL, "synco", "admin", "admin").Version(context.Background())
	if !IsRetriable(err) || !strings.Contains(fmt.Sprint(err), "HTTP 502") {
		t.Errorf("502: %v", err)
	}
}
