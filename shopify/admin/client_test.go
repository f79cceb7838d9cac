package admin

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const okOrder = `{"data":{"order":null},"extensions":{"cost":{"requestedQueryCost":5,"actualQueryCost":1,"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":999,"restoreRate":50.0}}}}`

// scripted answers the i-th request with answers[i] (status, body, headers).
type answer struct {
	status int
	body   string
	header map[string]string
}

func scripted(t *testing.T, answers ...answer) (*Client, *atomic.Int32, *[]http.Header) {
	t.Helper()
	var n atomic.Int32
	var headers []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		headers = append(headers, r.Header.Clone())
		if i >= len(answers) {
			i = len(answers) - 1
		}
		a := answers[i]
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Shop: "t.myshopify.com", Token: "shpat_secret_token", Endpoint: srv.URL + "/admin/api/" + APIVersion + "/graphql.json",
		Limiters: NewLimiters(), BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, MaxAttempts: 4})
	if err != nil {
		t.Fatal(err)
	}
	return c, &n, &headers
}

func TestClassification(t *testing.T) {
	for name, c := range map[string]struct {
		answers   []answer
		ok        bool
		requests  int32
		retriable bool
		code      string
	}{
		"429 then ok":         {[]answer{{429, `{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}`, map[string]string{"Retry-After": "0.01"}}, {200, okOrder, nil}}, true, 2, false, ""},
		"502 html then ok":    {[]answer{{502, `<html>Bad Gateway</html>`, nil}, {200, okOrder, nil}}, true, 2, false, ""},
		"200 not json":        {[]answer{{200, `<html>`, nil}, {200, okOrder, nil}}, true, 2, false, ""},
		"internal then ok":    {[]answer{{200, `{"errors":[{"message":"Internal error. Looks like something went wrong on our end.","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`, nil}, {200, okOrder, nil}}, true, 2, false, ""},
		"500 until the end":   {[]answer{{500, `{"errors":"Internal Server Error"}`, nil}}, false, 4, true, ""},
		"max cost":            {[]answer{{200, `{"errors":[{"message":"Query cost is 1200, which exceeds the single query max cost limit (1000).","extensions":{"code":"MAX_COST_EXCEEDED","cost":1200,"maxCost":1000}}]}`, nil}}, false, 1, false, CodeMaxCostExceeded},
		"access denied":       {[]answer{{200, `{"errors":[{"message":"Access denied for order field.","extensions":{"code":"ACCESS_DENIED"}}]}`, nil}}, false, 1, false, CodeAccessDenied},
		"401":                 {[]answer{{401, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`, nil}}, false, 1, false, ""},
		"402 frozen shop":     {[]answer{{402, `{"errors":"Unavailable Shop"}`, nil}}, false, 1, false, ""},
		"404 no such version": {[]answer{{404, `{"errors":"Not Found"}`, nil}}, false, 1, false, ""},
	} {
		t.Run(name, func(t *testing.T) {
			cl, n, headers := scripted(t, c.answers...)
			_, err := Order(context.Background(), cl, OrderGID(1))
			if (err == nil) != c.ok || n.Load() != c.requests {
				t.Fatalf("err %v after %d requests; want ok=%v after %d", err, n.Load(), c.ok, c.requests)
			}
			if err != nil {
				var se *Error
				if !errors.As(err, &se) || se.Retriable != c.retriable || IsRetriable(err) != c.retriable || se.Code != c.code {
					t.Fatalf("%#v: want retriable %v code %q", err, c.retriable, c.code)
				}
				if strings.Contains(err.Error(), "shpat_secret_token") {
					t.Fatal("token in the error")
				}
			}
			if h := (*headers)[0]; h.Get("X-Shopify-Access-Token") != "shpat_secret_token" || h.Get("Content-Type") != "application/json" {
				t.Fatalf("headers %v", h)
			}
		})
	}
}

func TestThrottledWaitsForPoints(t *testing.T) {
	throttled := `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":300,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":200,"restoreRate":1000.0}}}}`
	cl, n, _ := scripted(t, answer{200, throttled, nil}, answer{200, throttled, nil}, answer{200, okOrder, nil})
	if _, err := Order(context.Background(), cl, OrderGID(1)); err != nil || n.Load() != 3 {
		t.Fatalf("%v after %d", err, n.Load())
	}
	if cl.Bucket().Waited() == 0 {
		t.Fatal("retried THROTTLED without waiting")
	}
	if _, max, rate := cl.Bucket().Status(); max != 1000 || rate != 50 { // the last answer's numbers
		t.Fatalf("bucket not corrected from extensions.cost: %v %v", max, rate)
	}
}

func TestCancelledContextIsNotRetried(t *testing.T) {
	cl, _, _ := scripted(t, answer{500, `{}`, nil})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Order(ctx, cl, OrderGID(1))
	if err == nil || IsRetriable(err) {
		t.Fatalf("%v retriable=%v", err, IsRetriable(err))
	}
}

func TestNewRefusesAnotherVersion(t *testing.T) {
	if _, err := New(Config{Shop: "s.myshopify.com", Token: "t", Endpoint: "https://s.myshopify.com/admin/api/2024-01/graphql.json"}); err == nil {
		t.Fatal("2024-01 accepted")
	}
	for _, bad := range []Config{{Token: "t"}, {Shop: "s"}, {Shop: "s", Token: "t", Endpoint: "ftp://x"}} {
		if _, err := New(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	c, err := New(Config{Shop: "s.myshopify.com", Token: "t"})
	if err != nil || c.endpoint != "https://s.myshopify.com/admin/api/"+APIVersion+"/graphql.json" || c.Bucket() != Shared.For("s.myshopify.com") {
		t.Fatalf("%v %+v", err, c)
	}
}

func TestBulkResultGetsNoToken(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		io.WriteString(w, "{}\n")
	}))
	defer srv.Close()
	c, _ := New(Config{Shop: "s.myshopify.com", Token: "shpat_x", Endpoint: srv.URL + "/admin/api/" + APIVersion + "/graphql.json", Limiters: NewLimiters()})
	body, err := c.BulkResult(context.Background(), srv.URL+"/file.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	body.Close()
	if got.Get("X-Shopify-Access-Token") != "" {
		t.Fatal("the access token went to the storage URL")
	}
}

func TestReadBulkOrdersRejectsOrphans(t *testing.T) {
	in := `{"__typename":"LineItem","id":"gid://shopify/LineItem/1","__parentId":"gid://shopify/Order/9"}` + "\n"
	if err := ReadBulkOrders(strings.NewReader(in), true, func(*FullOrder) error { return nil }); err == nil {
		t.Fatal("a line item of no order accepted")
	}
}
