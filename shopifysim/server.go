// Package shopifysim is a Shopify Admin API simulator for tests and the demo: the
// GraphQL operations Synco's client uses, validated against the pinned schema and
// answered in the schema's shapes, cursor pagination, bulk operations with their JSONL,
// the cost bucket with THROTTLED answers, metafieldsSet with compareDigest, webhook
// subscriptions, auth errors, and signed webhook deliveries. Orders are held in one
// canonical model (model.go) rendered both as REST/webhook JSON and as GraphQL. It must
// never accept what Shopify rejects; what it does not simulate it says so
// (NOT_SIMULATED) rather than answer wrongly.
package shopifysim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/synco-dev/synco/shopify/admin/schema"
)

// Options configure a simulator; zero values take Standard-plan defaults.
type Options struct {
	Shop   string // the shop's domain; default sim.myshopify.com
	Token  string // the Admin API access token it accepts; default "shpat_sim"
	Secret string // the app's webhook secret, to sign deliveries; default "sim-secret"
	// BucketSize and RestoreRate shape the cost bucket (default 2,000 points, 100 a
	// second: Shopify's Standard plan).
	BucketSize, RestoreRate float64
	// MaxQueryCost is the single-query limit (default 1,000).
	MaxQueryCost int
	// BulkPolls is how many polls a bulk operation stays RUNNING (default 1).
	BulkPolls int
	// AllowHTTPWebhooks lets subscriptions point at http:// (Shopify requires https);
	// for tests that deliver to a local server.
	AllowHTTPWebhooks bool
	// Zone is the shop's time zone for REST times (default UTC-05:00, as Shopify's
	// samples are written).
	Zone *time.Location
	// Now is the clock (default time.Now).
	Now func() time.Time
	// FirstID is the first id it hands out (default 2^53, Shopify-sized). A test
	// against a system that keeps its data across runs (a real Odoo) sets one of its
	// own, so each run's orders are new there.
	FirstID int64
}

// Sim is one simulated shop. Safe for concurrent use.
type Sim struct {
	opts   Options
	schema *ast.Schema
	zone   *time.Location
	now    func() time.Time
	ids    ids
	rng    *rand.Rand

	mu        sync.Mutex
	orders    map[int64]*Order
	bucket    bucket
	bulkOps   []*bulkOp
	bulkFiles map[string][]byte
	subs      []*subscription
	faults    []Fault
	counts    Counters
	dropNext  map[string]int // topic → webhook deliveries to drop
	baseURL   string
}

// Counters say what the simulator saw.
type Counters struct {
	Requests      int            // GraphQL requests answered (any status)
	ByOperation   map[string]int // by operation name
	Throttled     int            // THROTTLED answers
	Unauthorized  int            // 401 answers
	Rejected      int            // queries rejected by validation or cost
	Faults        int            // injected faults served
	PointsSpent   float64        // actual cost charged
	MinAvailable  float64        // the lowest the bucket went (never below 0)
	WebhooksSent  int
	WebhooksDrop  int
	BulkResultGet int
}

// Fault is a failure served instead of the next matching request.
type Fault struct {
	Op     string // operation name to match; "" matches any
	Status int    // HTTP status to answer (e.g. 500, 502, 503, 429)
	Body   string // body; default Shopify's for the status
	Close  bool   // drop the connection without an answer (a network error)
}

// New returns a simulator. Serve it with Handler (or Start for a loopback server).
func New(opts Options) (*Sim, error) {
	s, err := schema.Load()
	if err != nil {
		return nil, fmt.Errorf("shopifysim: schema: %w", err)
	}
	if opts.Shop == "" {
		opts.Shop = "sim.myshopify.com"
	}
	if opts.Token == "" {
		opts.Token = "shpat_sim"
	}
	if opts.Secret == "" {
		opts.Secret = "sim-secret"
	}
	if opts.BucketSize <= 0 {
		opts.BucketSize = 2000
	}
	if opts.RestoreRate <= 0 {
		opts.RestoreRate = 100
	}
	if opts.MaxQueryCost <= 0 {
		opts.MaxQueryCost = 1000
	}
	if opts.BulkPolls <= 0 {
		opts.BulkPolls = 1
	}
	if opts.Zone == nil {
		opts.Zone = time.FixedZone("-0500", -5*3600)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	sim := &Sim{opts: opts, schema: s, zone: opts.Zone, now: opts.Now, ids: ids{next: firstID(opts.FirstID)}, rng: rand.New(rand.NewPCG(1, 2)),
		orders: map[int64]*Order{}, bulkFiles: map[string][]byte{}, dropNext: map[string]int{}}
	sim.bucket = bucket{max: opts.BucketSize, available: opts.BucketSize, restore: opts.RestoreRate, at: opts.Now()}
	sim.counts = Counters{ByOperation: map[string]int{}, MinAvailable: opts.BucketSize}
	return sim, nil
}

// Shop, Token and Secret are what clients need to talk to this simulator.
func (s *Sim) Shop() string   { return s.opts.Shop }
func (s *Sim) Token() string  { return s.opts.Token }
func (s *Sim) Secret() string { return s.opts.Secret }

// Start serves the simulator on a loopback port until ctx ends; it returns the base
// URL (http://127.0.0.1:N).
func (s *Sim) Start(ctx context.Context) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	base := "http://" + ln.Addr().String()
	s.mu.Lock()
	s.baseURL = base
	s.mu.Unlock()
	return base, nil
}

// Endpoint is the GraphQL URL under base.
func Endpoint(base string) string { return base + "/admin/api/" + schema.Version + "/graphql.json" }

// NewID hands out a fresh Shopify-sized id (above 2^53).
func (s *Sim) NewID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids.id()
}

// AddOrder stores o (its id and timestamps as given). It returns o.
func (s *Sim) AddOrder(o *Order) *Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.ID == 0 {
		o.ID = s.ids.id()
	}
	s.orders[o.ID] = o
	return o
}

// AddSampleOrders adds n sample orders created one minute apart from start.
func (s *Sim) AddSampleOrders(n int, start time.Time) []*Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Order, 0, n)
	base := int64(len(s.orders))
	for i := 0; i < n; i++ {
		o := SampleOrder(s.rng, s.ids.id, base+int64(i)+1, start.Add(time.Duration(i)*time.Minute).UTC())
		s.orders[o.ID] = o
		out = append(out, o)
	}
	return out
}

// EditOrder changes an order under the lock and moves its updated_at to now (or later
// than before, so every edit is a newer version).
func (s *Sim) EditOrder(id int64, edit func(*Order)) (*Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return nil, fmt.Errorf("shopifysim: no order %d", id)
	}
	prev := o.UpdatedAt
	edit(o)
	if t := s.now().UTC().Truncate(time.Second); t.After(prev) {
		o.UpdatedAt = t
	} else {
		o.UpdatedAt = prev.Add(time.Second)
	}
	return o, nil
}

// Order returns the stored order (the simulator's own; edit through EditOrder).
func (s *Sim) Order(id int64) (*Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	return o, ok
}

// InjectFault queues faults served, in order, instead of matching requests.
func (s *Sim) InjectFault(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// Counters returns a copy of what the simulator counted.
func (s *Sim) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts
	c.ByOperation = map[string]int{}
	for k, v := range s.counts.ByOperation {
		c.ByOperation[k] = v
	}
	return c
}

// SetBucket changes the bucket's size and restore rate (and fills it).
func (s *Sim) SetBucket(size, restore float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucket = bucket{max: size, available: size, restore: restore, at: s.now()}
	s.counts.MinAvailable = size
}

// bucket is Shopify's leaky bucket for this app and shop.
type bucket struct {
	max, available, restore float64
	at                      time.Time
}

func (b *bucket) refill(now time.Time) {
	if d := now.Sub(b.at).Seconds(); d > 0 {
		b.available = math.Min(b.max, b.available+d*b.restore)
	}
	b.at = now
}

func (b *bucket) status() map[string]any {
	return map[string]any{"maximumAvailable": json.Number(fmt.Sprintf("%.1f", b.max)),
		"currentlyAvailable": int(math.Floor(b.available)), "restoreRate": json.Number(fmt.Sprintf("%.1f", b.restore))}
}

// Handler is the simulator's HTTP API: POST /admin/api/2025-10/graphql.json, and GET
// /bulk/<file>.jsonl for bulk results (pre-signed, no token, like Shopify's storage).
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/admin/api/{version}/graphql.json", s.serveGraphQL)
	mux.HandleFunc("GET /bulk/{file}", s.serveBulkFile)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errors":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

type request struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

func (s *Sim) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counts.Requests++
	s.mu.Unlock()
	if r.PathValue("version") != schema.Version {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"errors": "Method Not Allowed"})
		return
	}
	if tok := r.Header.Get("X-Shopify-Access-Token"); tok == "" || tok != s.opts.Token {
		s.mu.Lock()
		s.counts.Unauthorized++
		s.mu.Unlock()
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	var req request
	if err == nil {
		if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/graphql") {
			req.Query = string(body)
		} else {
			dec := json.NewDecoder(strings.NewReader(string(body)))
			dec.UseNumber()
			err = dec.Decode(&req)
		}
	}
	if err != nil || strings.TrimSpace(req.Query) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"query": "Required parameter missing or invalid"}})
		return
	}
	if f, ok := s.takeFault(req.OperationName); ok {
		if f.Close {
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
		}
		b := f.Body
		if b == "" {
			b = fmt.Sprintf(`{"errors":"%s"}`, http.StatusText(f.Status))
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(f.Status)
		io.WriteString(w, b)
		return
	}
	status, resp := s.execute(req)
	writeJSON(w, status, resp)
}

func (s *Sim) takeFault(op string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Op == "" || f.Op == op {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			s.counts.Faults++
			return f, true
		}
	}
	return Fault{}, false
}

// execute answers one GraphQL request, charging the bucket.
func (s *Sim) execute(req request) (int, map[string]any) {
	doc, errs := parseAndValidate(s.schema, req.Query)
	if errs != nil {
		s.mu.Lock()
		s.counts.Rejected++
		s.mu.Unlock()
		return http.StatusOK, map[string]any{"errors": errs}
	}
	op, gerr := operation(doc, req.OperationName)
	if gerr != nil {
		return http.StatusOK, map[string]any{"errors": []gqlError{*gerr}}
	}
	if op.Operation == ast.Subscription {
		return http.StatusOK, map[string]any{"errors": []gqlError{{Message: "Subscriptions are not supported", Extensions: map[string]any{"code": "BAD_REQUEST"}}}}
	}
	vars, gerr := coerceVariables(s.schema, op, req.Variables)
	if gerr != nil {
		return http.StatusOK, map[string]any{"errors": []gqlError{*gerr}}
	}
	// Variables keep their JSON form for resolvers that must tell null from absent
	// (metafieldsSet's compareDigest).
	for k, v := range req.Variables {
		if _, ok := vars[k]; ok {
			vars[k] = v
		}
	}
	ex := &executor{schema: s.schema, doc: doc, vars: vars}
	requested := ex.requestedCost(op)

	s.mu.Lock()
	name := op.Name
	if name == "" {
		name = "(anonymous)"
	}
	s.counts.ByOperation[name]++
	if requested > s.opts.MaxQueryCost {
		s.counts.Rejected++
		s.mu.Unlock()
		return http.StatusOK, map[string]any{"errors": []gqlError{{
			Message:    fmt.Sprintf("Query cost is %d, which exceeds the single query max cost limit (%d).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n", requested, s.opts.MaxQueryCost),
			Extensions: map[string]any{"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": s.opts.MaxQueryCost, "documentation": "https://shopify.dev/api/usage/rate-limits"}}}}
	}
	s.bucket.refill(s.now())
	if float64(requested) > s.bucket.available {
		s.counts.Throttled++
		cost := map[string]any{"requestedQueryCost": requested, "actualQueryCost": nil, "throttleStatus": s.bucket.status()}
		s.mu.Unlock()
		return http.StatusOK, map[string]any{
			"errors":     []gqlError{{Message: "Throttled", Extensions: map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}},
			"extensions": map[string]any{"cost": cost},
		}
	}
	s.bucket.available -= float64(requested)
	s.counts.MinAvailable = math.Min(s.counts.MinAvailable, s.bucket.available)
	root := s.root(ex, op.Operation)
	data := ex.run(op, root)
	actual := ex.actual
	if op.Operation == ast.Mutation {
		actual = requested
	}
	actual = min(actual, requested)
	// Shopify charges what the query actually cost and gives the rest back.
	s.bucket.available = math.Min(s.bucket.max, s.bucket.available+float64(requested-actual))
	s.counts.PointsSpent += float64(actual)
	cost := map[string]any{"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": s.bucket.status()}
	s.mu.Unlock()

	resp := map[string]any{"extensions": map[string]any{"cost": cost}}
	if data == nil {
		resp["data"] = nil
	} else {
		resp["data"] = data
	}
	if len(ex.errs) > 0 {
		resp["errors"] = ex.errs
	}
	return http.StatusOK, resp
}

// root is the query or mutation root. Called with s.mu held: resolvers read and write
// the shop's state directly.
func (s *Sim) root(ex *executor, kind ast.Operation) *node {
	if kind == ast.Mutation {
		return &node{typ: "Mutation", f: map[string]any{
			"bulkOperationRunQuery":     resolver(func(a map[string]any) (any, error) { return s.bulkRunQuery(a) }),
			"metafieldsSet":             resolver(func(a map[string]any) (any, error) { return s.metafieldsSet(ex, a) }),
			"webhookSubscriptionCreate": resolver(func(a map[string]any) (any, error) { return s.webhookCreate(a) }),
			"webhookSubscriptionDelete": resolver(func(a map[string]any) (any, error) { return s.webhookDelete(a) }),
		}}
	}
	return &node{typ: "QueryRoot", f: map[string]any{
		"order": resolver(func(a map[string]any) (any, error) {
			o, err := s.orderByGID(a["id"])
			if o == nil || err != nil {
				return nil, err
			}
			return s.gqlOrder(ex, o), nil
		}),
		"refund": resolver(func(a map[string]any) (any, error) {
			id, _ := a["id"].(string)
			for _, o := range s.orders {
				for i := range o.Refunds {
					if gid("Refund", o.Refunds[i].ID) == id {
						return s.gqlRefund(ex, o, &o.Refunds[i]), nil
					}
				}
			}
			return nil, checkGID(id, "Refund")
		}),
		"orders":               resolver(func(a map[string]any) (any, error) { return s.ordersConnection(ex, a) }),
		"node":                 resolver(func(a map[string]any) (any, error) { return s.nodeByID(ex, a["id"]) }),
		"currentBulkOperation": resolver(func(a map[string]any) (any, error) { return s.currentBulk(a) }),
		"webhookSubscriptions": resolver(func(a map[string]any) (any, error) { return s.webhookList(ex, a) }),
	}}
}

// checkGID answers a malformed id as Shopify does; a well-formed unknown id is null.
func checkGID(id, resource string) error {
	if !strings.HasPrefix(id, "gid://shopify/") {
		return errorf("", "Invalid global id '%s'", id)
	}
	return nil
}

func (s *Sim) orderByGID(v any) (*Order, error) {
	id, _ := v.(string)
	if err := checkGID(id, "Order"); err != nil {
		return nil, err
	}
	for _, o := range s.orders {
		if gid("Order", o.ID) == id {
			return o, nil
		}
	}
	return nil, nil
}

func (s *Sim) nodeByID(ex *executor, v any) (any, error) {
	id, _ := v.(string)
	if err := checkGID(id, ""); err != nil {
		return nil, err
	}
	if o, _ := s.orderByGID(id); o != nil {
		return s.gqlOrder(ex, o), nil
	}
	for _, b := range s.bulkOps {
		if b.gid() == id {
			return s.bulkNode(b), nil
		}
	}
	for _, sub := range s.subs {
		if sub.gid() == id {
			return sub.node(), nil
		}
	}
	return nil, nil
}

// digest is a metafield's compareDigest: a hash of what it holds and its version.
func digest(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%v\x00", p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// firstID is Options.FirstID, or 2^53.
func firstID(v int64) int64 {
	if v > 0 {
		return v
	}
	return 1 << 53
}
