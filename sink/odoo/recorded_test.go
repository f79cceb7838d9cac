package odoo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/synco-dev/synco/xmlrpc"
	rec "github.com/synco-dev/synco/xmlrpc/recorded"
)

// recorded is one call recorded from real Odoo (xmlrpc/recorded).
type recorded = rec.Call

// loadRecorded returns the calls of one version that kept their raw XML, without the
// fields_get steps (trimmed by the recorder) and the timing set-up.
func loadRecorded(t testing.TB, version int) []recorded {
	t.Helper()
	all, err := rec.Load(version)
	if err != nil {
		t.Fatal(err)
	}
	var out []recorded
	for _, c := range all {
		if c.RawResponse == "" || strings.Contains(c.Step, "fields_get") || strings.Contains(c.Step, "timing") {
			continue
		}
		out = append(out, c)
	}
	return out
}

// decodeCall reads a methodCall (the server side), for comparing requests.
func decodeCall(t testing.TB, body []byte) (string, []any) {
	t.Helper()
	name, params, err := xmlrpc.DecodeCall(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("bad methodCall: %v\n%s", err, body)
	}
	return name, params
}

// replayServer answers each request with the next recorded call's raw response,
// after checking that the request says the same thing as the recorded one.
type replayServer struct {
	t    testing.TB
	db   string
	mu   sync.Mutex
	want []recorded
	seen int
}

func (s *replayServer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body, _ := io.ReadAll(req.Body)
	if s.seen >= len(s.want) {
		s.t.Errorf("unexpected extra request to %s:\n%s", req.URL.Path, body)
		http.Error(w, "no more", 500)
		return
	}
	r := s.want[s.seen]
	s.seen++
	if req.URL.Path != r.Endpoint {
		s.t.Errorf("%d %s: path %s, want %s", r.Seq, r.Step, req.URL.Path, r.Endpoint)
	}
	name, params := decodeCall(s.t, body)
	if name != r.Method {
		s.t.Errorf("%d %s: method %s, want %s", r.Seq, r.Step, name, r.Method)
	}
	want := r.Params
	if r.Model != "" {
		want = []any{s.db, int64(2), "admin", r.Model, r.ModelMethod, r.Args, r.Kwargs}
		if want[6] == nil {
			want[6] = map[string]any{}
		}
	}
	if want == nil {
		want = []any{}
	}
	if params == nil {
		params = []any{}
	}
	if !reflect.DeepEqual(params, want) {
		s.t.Errorf("%d %s: request params\n got %#v\nwant %#v", r.Seq, r.Step, params, want)
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Connection", "close")
	io.WriteString(w, r.RawResponse)
}

func pick(recs []recorded, seqs ...int64) []recorded {
	var out []recorded
	for _, s := range seqs {
		for _, r := range recs {
			if r.Seq == s {
				out = append(out, r)
			}
		}
	}
	return out
}

// The XML-RPC client replays the whole recorded 17 and 16 sessions: version, one
// authenticate, then every execute_kw made with the right credentials, each request
// matching the recorded one and each answer decoding to the recorded result or fault.
func TestXMLRPCReplaysRecordedSession(t *testing.T) {
	for _, v := range []int{16, 17} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			all := loadRecorded(t, v)
			var calls []recorded
			for _, r := range all {
				if r.Model == "" || r.Endpoint != "/xmlrpc/2/object" || r.Step == "01.object.execute_kw.wrong_password" {
					continue
				}
				calls = append(calls, r)
			}
			db := map[int]string{16: "synco16", 17: "synco"}[v]
			srv := &replayServer{t: t, db: db, want: append(pick(all, 1, 2), calls...)}
			hs := httptest.NewServer(srv)
			defer hs.Close()
			c := NewXMLRPC(hs.URL, db, "admin", "admin")
			ctx := context.Background()
			if got, err := c.Version(ctx); err != nil || got != v {
				t.Fatalf("Version = %d, %v", got, err)
			}
			for _, r := range calls {
				got, err := c.Call(ctx, r.Model, r.ModelMethod, r.Args, r.Kwargs)
				if r.Fault != nil {
					var oe *Error
					if !errors.As(err, &oe) {
						t.Errorf("%d %s: want a fault, got %v, %v", r.Seq, r.Step, got, err)
						continue
					}
					if oe.Model != r.Model || oe.Method != r.ModelMethod {
						t.Errorf("%d: error names %s.%s", r.Seq, oe.Model, oe.Method)
					}
					continue
				}
				if err != nil {
					t.Errorf("%d %s: %v", r.Seq, r.Step, err)
					continue
				}
				if !reflect.DeepEqual(got, r.Result) {
					t.Errorf("%d %s:\n got %#v\nwant %#v", r.Seq, r.Step, got, r.Result)
				}
			}
			if srv.seen != len(srv.want) {
				t.Errorf("made %d requests, want %d", srv.seen, len(srv.want))
			}
		})
	}
}

func TestXMLRPCLoginFailedIsPermanent(t *testing.T) {
	all := loadRecorded(t, 17)
	wrong := pick(all, 3)[0] // authenticate with a wrong password answers False
	wrong.Params = []any{"synco", "admin", "admin", map[string]any{}}
	hs := httptest.NewServer(&replayServer{t: t, db: "synco", want: []recorded{wrong}})
	defer hs.Close()
	_, err := NewXMLRPC(hs.URL, "synco", "admin", "admin", KnownVersion(17)).Call(context.Background(), "res.partner", "search", []any{[]any{}}, nil)
	var oe *Error
	if !errors.As(err, &oe) || oe.Retriable || oe.Message != "Odoo login failed for user admin on db synco" {
		t.Fatalf("err = %#v", err)
	}
}

// Authenticate happens once however many calls run at once.
func TestXMLRPCAuthenticatesOnce(t *testing.T) {
	all := loadRecorded(t, 17)
	auth := pick(all, 2)[0]
	count := pick(all, 7)[0] // a search_count answer: an int
	var mu sync.Mutex
	n := map[string]int{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		name, _ := decodeCall(t, body)
		mu.Lock()
		n[name]++
		mu.Unlock()
		w.Header().Set("Connection", "close")
		if name == "authenticate" {
			io.WriteString(w, auth.RawResponse)
			return
		}
		io.WriteString(w, count.RawResponse)
	}))
	defer hs.Close()
	c := NewXMLRPC(hs.URL, "synco", "admin", "admin", KnownVersion(17), MaxInFlight(3))
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Call(context.Background(), "sale.order", "search_count", []any{[]any{}}, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n["authenticate"] != 1 || n["execute_kw"] != 20 {
		t.Fatalf("calls %v", n)
	}
}
