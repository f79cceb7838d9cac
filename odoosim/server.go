// Package odoosim is an in-memory Odoo 16-19 server speaking XML-RPC (and
// JSON-2 on 19) for tests and the demo. It never accepts what real Odoo
// rejects, and answers with the result shapes, fault codes and texts
// recorded from real Odoo 16/17 servers (see testdata/).
package odoosim

import (
	"errors"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

type Options struct {
	Version   int    // 16, 17 (default), 18, 19
	DB        string // default "synco"
	Login     string // default "admin"
	Password  string // default "admin"; also the JSON-2 API key on 19 unless APIKey is set
	APIKey    string
	AuthDelay time.Duration // simulated password-hash cost of authenticate
}

type Server struct {
	opts Options

	mu sync.Mutex // guards st: one transaction at a time, like a single Odoo worker
	st *store

	fmu      sync.Mutex // fault injection and counters
	latency  time.Duration
	errRate  float64
	rng      *rand.Rand
	down     bool
	hang     chan struct{}       // non-nil: requests wait for it to close (a hung Odoo)
	failNext map[string][]*Fault // injected faults per model.method, in order
	calls    map[string]int

	lmu  sync.Mutex
	srv  *http.Server
	ln   net.Listener
	addr string
}

func New(opts Options) *Server {
	if opts.Version == 0 {
		opts.Version = 17
	}
	if opts.DB == "" {
		opts.DB = "synco"
	}
	if opts.Login == "" {
		opts.Login = "admin"
	}
	if opts.Password == "" {
		opts.Password = "admin"
	}
	st := newStore(opts.Version, opts.Login)
	st.now = time.Now
	return &Server{opts: opts, st: st, failNext: map[string][]*Fault{}, calls: map[string]int{}, rng: rand.New(rand.NewSource(1))}
}

func (s *Server) apiKey() string {
	if s.opts.APIKey != "" {
		return s.opts.APIKey
	}
	return s.password()
}

func (s *Server) password() string {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.opts.Password
}

// SetPassword changes the user's password, as in Odoo's preferences: the old one is
// refused from then on (by authenticate and by every call that carries it).
func (s *Server) SetPassword(pw string) {
	s.fmu.Lock()
	s.opts.Password = pw
	s.fmu.Unlock()
}

// Handler serves /xmlrpc/2/{common,object,db}, the legacy /xmlrpc/*, and on
// 19 /json/2/<model>/<method>.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.fmu.Lock()
	down, lat, hang := s.down, s.latency, s.hang
	s.fmu.Unlock()
	if hang != nil {
		// Accepts the connection and the request, then answers nothing until released
		// (or the client gives up): what an Odoo stuck on a lock or a dead worker does.
		select {
		case <-hang:
		case <-r.Context().Done():
			return
		}
	}
	if down {
		// what the reverse proxy in front of a stopped Odoo answers
		body := "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
		w.Header().Set("Server", "nginx")
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(body))
		return
	}
	if lat > 0 {
		time.Sleep(lat)
	}
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/xmlrpc/2/") && r.Method == http.MethodPost:
		s.serveXMLRPC(w, r, strings.TrimPrefix(p, "/xmlrpc/2/"), false)
	case strings.HasPrefix(p, "/xmlrpc/") && r.Method == http.MethodPost:
		s.serveXMLRPC(w, r, strings.TrimPrefix(p, "/xmlrpc/"), true)
	case strings.HasPrefix(p, "/json/2/") && s.opts.Version >= 19:
		s.serveJSON2(w, r, strings.TrimPrefix(p, "/json/2/"))
	case p == "/web/version" && s.opts.Version >= 19:
		s.writeJSON(w, http.StatusOK, om("version_info", []any{s.opts.Version, 0, 0, "final", 0, ""}, "version", fmt.Sprintf("%d.0", s.opts.Version)))
	default:
		s.headers(w, "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n"))
	}
}

func (s *Server) headers(w http.ResponseWriter, ctype string) {
	h := w.Header()
	h.Set("Server", "Werkzeug/2.2.2 Python/3.11.2")
	h.Set("Content-Type", ctype)
	if s.opts.Version >= 17 {
		h.Set("X-Content-Type-Options", "nosniff")
	}
	// Odoo closes every connection after the response (recorded).
	h.Set("Connection", "close")
}

// Start listens on addr and serves in the background.
func (s *Server) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	s.lmu.Lock()
	defer s.lmu.Unlock()
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.srv, s.ln = srv, ln
	s.addr = ln.Addr().String()
	// srv, not s.srv: a Close before this goroutine runs sets s.srv to nil.
	go func() { _ = srv.Serve(ln) }()
	port := ln.Addr().(*net.TCPAddr).Port
	return fmt.Sprintf("http://127.0.0.1:%d", port), nil
}

func (s *Server) Close() error {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if s.srv == nil {
		return nil
	}
	err := s.srv.Close()
	s.srv, s.ln = nil, nil
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// ---------------------------------------------------------------- fault injection

func (s *Server) SetLatency(d time.Duration) {
	s.fmu.Lock()
	s.latency = d
	s.fmu.Unlock()
}

// SetErrorRate makes that fraction of execute_kw (and JSON-2) calls answer
// the transient SerializationFailure fault without applying the change.
func (s *Server) SetErrorRate(p float64, seed int64) {
	s.fmu.Lock()
	s.errRate = p
	s.rng = rand.New(rand.NewSource(seed))
	s.fmu.Unlock()
}

// SetDown refuses connections (when started with Start) and answers 502 to
// requests that still reach the handler.
func (s *Server) SetDown(down bool) {
	s.fmu.Lock()
	was := s.down
	s.down = down
	s.fmu.Unlock()
	if was == down {
		return
	}
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if s.srv == nil {
		return
	}
	if down {
		if s.ln != nil {
			_ = s.ln.Close()
			s.ln = nil
		}
		return
	}
	for i := 0; i < 50; i++ {
		ln, err := net.Listen("tcp", s.addr)
		if err == nil {
			s.ln = ln
			srv := s.srv
			go func() { _ = srv.Serve(ln) }()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// SetHang makes every request hang (accepted, never answered) until SetHang(false),
// which lets the waiting requests go on.
func (s *Server) SetHang(hang bool) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	switch {
	case hang && s.hang == nil:
		s.hang = make(chan struct{})
	case !hang && s.hang != nil:
		close(s.hang)
		s.hang = nil
	}
}

// FailNext makes the next n calls of model.method fail transiently (the
// SerializationFailure a busy Odoo answers), without applying them.
func (s *Server) FailNext(model, method string, n int) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	for range n {
		s.failNext[model+"."+method] = append(s.failNext[model+"."+method], serializationFault())
	}
}

// RefuseNext makes the next n calls of model.method fail as Odoo refuses what a
// person must fix (a UserError with msg, Fault 2), without applying them.
func (s *Server) RefuseNext(model, method string, n int, msg string) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	for range n {
		s.failNext[model+"."+method] = append(s.failNext[model+"."+method], userError(msg))
	}
}

// countAndInject counts the call and returns the fault it must answer, if any.
func (s *Server) countAndInject(key string, object bool) *Fault {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.calls[key]++
	if !object {
		return nil
	}
	if q := s.failNext[key]; len(q) > 0 {
		s.failNext[key] = q[1:]
		return q[0]
	}
	if s.errRate > 0 && s.rng.Float64() < s.errRate {
		return serializationFault()
	}
	return nil
}

func (s *Server) count(key string) {
	s.fmu.Lock()
	s.calls[key]++
	s.fmu.Unlock()
}

// Calls returns "model.method" (and "common.authenticate", "db.list" ...)
// call counts.
func (s *Server) Calls() map[string]int {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

func (s *Server) ResetCalls() {
	s.fmu.Lock()
	s.calls = map[string]int{}
	s.fmu.Unlock()
}

// Records returns the stored records of a model as read() with all fields
// answers them (many2one as [id, name], false for empty), ordered by id.
func (s *Server) Records(model string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.st.models[model]
	if m == nil {
		return nil
	}
	c := s.st.newCall(nil)
	names, _ := c.fieldNames(m, nil)
	ids := m.sortedIDs()
	sort.Ints(ids)
	var out []map[string]any
	for _, row := range c.readRecs(m, ids, names) {
		out = append(out, row.(*OMap).Plain())
	}
	return out
}

// ---------------------------------------------------------------- object calls

// execute runs model.method inside one transaction. Shared by XML-RPC and
// JSON-2; the caller encodes the result.
func (s *Server) execute(model, method string, args []any, kwargs map[string]any, json2 bool) (res any, err error) {
	v := s.opts.Version
	if f := s.countAndInject(model+"."+method, true); f != nil {
		return nil, f
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.st.models[model]
	if m == nil {
		msg := fmt.Sprintf("Object %s doesn't exist", model)
		return nil, &Fault{Code: 2, String: msg, Exception: "odoo.exceptions.UserError", Message: msg, Status: http.StatusNotFound}
	}
	if strings.HasPrefix(method, "_") {
		return nil, accessError(fmt.Sprintf("Private methods (such as %s) cannot be called remotely.", method))
	}
	mt := m.methods[method]
	if mt == nil || mt.Fn == nil || !mt.inVersion(v) {
		var f *Fault
		if v <= 16 {
			f = pyErr("builtins.AttributeError", fmt.Sprintf("AttributeError: The method '%s' does not exist on the model '%s'", method, model))
		} else {
			f = pyErr("builtins.AttributeError", fmt.Sprintf("AttributeError: type object '%s' has no attribute '%s'", model, method))
		}
		f.Status = http.StatusNotFound
		return nil, f
	}
	ctx := map[string]any{}
	if kc, ok := kwargs["context"].(map[string]any); ok {
		for k, val := range kc {
			ctx[k] = val
		}
	}
	ids, a, err := mt.bind(m, args, kwargs)
	if err != nil {
		return nil, err
	}
	if json2 && method == "create" {
		if d, ok := a["vals_list"].(map[string]any); ok {
			a["vals_list"] = []any{d}
		}
	}
	c := s.st.newCall(ctx)
	if mt.Multi && !mt.NoCheck {
		if err := c.checkExist(m, ids); err != nil {
			return nil, err
		}
	}
	// A simulator bug must not leave half a transaction behind.
	defer func() {
		if p := recover(); p != nil {
			c.rollback()
			res, err = nil, pyErr("builtins.Exception", fmt.Sprintf("Exception: odoosim internal error: %v", p))
		}
	}()
	res, err = mt.Fn(c, m, ids, a)
	if err != nil {
		c.rollback()
		return nil, err
	}
	return res, nil
}
