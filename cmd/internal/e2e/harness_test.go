package e2e

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/cmd/internal/app"
	"github.com/synco-dev/synco/ingest/shopify"
	"github.com/synco-dev/synco/odoosim"
	"github.com/synco-dev/synco/platform/chstore/chtest"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/registry"
	"github.com/synco-dev/synco/query/orders"
	"github.com/synco-dev/synco/shopifysim"
)

const (
	shopDomain = "e2e.myshopify.com"
	secret     = "e2e-webhook-secret"
	apiToken   = "e2e-api-token-0123456789"
	// waitFor is how long a poll waits for the pipeline: generous, for a busy 2-core CI
	// machine that runs every module's tests at once. It is a deadline, not a measure.
	waitFor = 45 * time.Second
)

// Stage names for harness.start.
const (
	stIngest     = "ingest"
	stProcessor  = "processor"
	stOdoo       = "odoo"
	stClickHouse = "clickhouse"
	stQuery      = "query"
	// What `synco ingest` runs beside the webhook endpoint.
	stRequests      = "requests"
	stSubscriptions = "subscriptions"
	stResume        = "resume"
)

var allStages = []string{stClickHouse, stProcessor, stOdoo, stQuery, stIngest}

// harness is one test's world: its own Kafka, registry, ClickHouse database and Odoo.
// Pipelines (a Runtime and some stages) come and go on top of it, as processes would.
type harness struct {
	t        *testing.T
	kafka    *kafka.Embedded
	srURL    string
	ch       *chtest.DB
	odoo     *odoosim.Server
	gate     *gate
	odooURL  string
	settings string // the shop's settings, YAML
	logs     *logSink
	admin    *kgo.Client

	mu        sync.Mutex
	ingestURL string
	queryURL  string
	running   []*pipeline
	cfg       *app.Config
	// retryDelays are given to the Odoo sink (nil: the defaults).
	retryDelays []time.Duration
	// others are more shops, each with its own Odoo.
	others []otherShop
	// shopify is the main shop's Shopify (withShopify): its Admin API and webhook
	// deliveries, and publicURL the stable address it delivers to (forwarded to
	// whichever ingest runs).
	shopify   *shopifysim.Sim
	adminURL  string
	publicURL string
	// configToken, when set, is the Admin API token the config gives the main shop
	// (instead of the simulator's own): a test then stores the right one in Synco.
	configToken string
	// secretKey is the config's secret_key (SYNCO_SECRET_KEY), when set.
	secretKey    string
	odooPassword string
	// odooDB and odooUser log the sink in (default synco and admin, the simulator's).
	odooDB, odooUser string
}

// otherShop is a shop beside the main one, with its own Odoo block (YAML flow map).
type otherShop struct {
	domain, secret, odoo string
}

// newHarness starts Kafka, the registry, a fresh ClickHouse database and the Odoo
// simulator for one test; settings is the shop's settings block (YAML, one field a line).
func newHarness(t *testing.T, settings string) *harness {
	t.Helper()
	return newHarnessWith(t, settings, "admin")
}

// newHarnessWith is newHarness with the main shop's Odoo password.
func newHarnessWith(t *testing.T, settings, odooPassword string) *harness {
	t.Helper()
	h := &harness{t: t, settings: settings, logs: newLogSink(), odooPassword: odooPassword}
	// Registered first, so it runs last: the logs of a failed test, after everything stopped.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pipeline logs (tail):\n%s", h.logs.tail(96<<10))
		}
	})
	k, err := kafka.StartEmbedded("127.0.0.1:0", filepath.Join(t.TempDir(), "kafka"))
	if err != nil {
		t.Fatalf("embedded kafka: %v", err)
	}
	t.Cleanup(k.Close)
	h.kafka = k
	url, closeSR, err := registry.StartEmbedded("127.0.0.1:0")
	if err != nil {
		t.Fatalf("embedded registry: %v", err)
	}
	t.Cleanup(closeSR)
	h.srURL = url
	h.ch = chtest.New(t)

	h.odoo = odoosim.New(odoosim.Options{Version: 17, Password: odooPassword})
	h.gate = &gate{next: h.odoo.Handler()}
	ln := listen(t)
	srv := &http.Server{Handler: h.gate, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() {
		h.gate.releaseAll()
		srv.Close()
	})
	h.odooURL = "http://" + ln.Addr().String()

	admin, err := kgo.NewClient(kgo.SeedBrokers(k.Addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	h.admin = admin
	return h
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return ln
}

// config builds the configuration from YAML through config.Parse, as a synco.yaml
// would be read. The environment is empty: CI's KAFKA_BROKERS and friends must not
// send a test elsewhere.
func (h *harness) config() *app.Config {
	h.t.Helper()
	yaml := h.yaml()
	cfg, err := app.Parse([]byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		h.t.Fatalf("config: %v\n%s", err, yaml)
	}
	return cfg
}

// yaml is the configuration as a synco.yaml holds it.
func (h *harness) yaml() string {
	var settings strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(h.settings), "\n") {
		if strings.TrimSpace(l) != "" {
			settings.WriteString("      " + strings.TrimSpace(l) + "\n")
		}
	}
	settingsBlock := ""
	if settings.Len() > 0 {
		settingsBlock = "    settings:\n" + settings.String()
	}
	chc := h.ch.Config
	yaml := fmt.Sprintf(`kafka:
  brokers: [%q]
  schema_registry_url: %q
  partitions: 4
clickhouse:
  addr: %q
  database: %q
  username: %q
  password: %q
data_dir: %q
log: {level: info, format: text}
api_tokens:
  - token: %q
    shops: ["*"]
shops:
  - domain: %s
    webhook_secret: %q
    odoo: {url: %q, db: %q, username: %q, password: %q}
%s%s%s%s`, h.kafka.Addr, h.srURL, chc.Addr, chc.Database, chc.Username, chc.Password, h.t.TempDir(),
		apiToken, shopDomain, secret, h.odooURL, cmp.Or(h.odooDB, "synco"), cmp.Or(h.odooUser, "admin"), h.odooPassword, h.shopifyBlock(), settingsBlock, h.otherShopsBlock(), h.sinkBlock())
	if h.secretKey != "" {
		yaml = fmt.Sprintf("secret_key: %q\n", h.secretKey) + yaml
	}
	return h.ingestBlock() + yaml
}

// otherShopsBlock lists the other shops under shops:.
func (h *harness) otherShopsBlock() string {
	var b strings.Builder
	for _, o := range h.others {
		fmt.Fprintf(&b, "  - domain: %s\n    webhook_secret: %q\n    odoo: %s\n", o.domain, o.secret, o.odoo)
	}
	return b.String()
}

// secretOf is a shop's webhook secret.
func (h *harness) secretOf(shop string) string {
	for _, o := range h.others {
		if o.domain == shop {
			return o.secret
		}
	}
	return secret
}

// sinkBlock is the config's sink: block (the retry delays a test asks for).
func (h *harness) sinkBlock() string {
	if len(h.retryDelays) == 0 {
		return ""
	}
	var ds []string
	for _, d := range h.retryDelays {
		ds = append(ds, d.String())
	}
	return "sink: {retry_delays: [" + strings.Join(ds, ", ") + "]}\n"
}

// pipeline is one "process": a Runtime and the stages it runs.
type pipeline struct {
	h      *harness
	name   string
	rt     *app.Runtime
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	once   sync.Once
}

// start boots a Runtime and runs the named stages, like `synco <stage>` would.
func (h *harness) start(stages ...string) *pipeline {
	h.t.Helper()
	cfg := h.config()
	level := slog.LevelInfo
	if os.Getenv("E2E_LOG") == "debug" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: level}))
	name := strings.Join(stages, "+")
	log = log.With("pipeline", name)
	bctx, bcancel := context.WithTimeout(context.Background(), time.Minute)
	defer bcancel()
	rt, err := app.Boot(bctx, cfg, log)
	if err != nil {
		h.t.Fatalf("boot %s: %v", name, err)
	}
	// A stop here is a crash: what is in flight is not finished.
	rt.Drain = 50 * time.Millisecond
	var run []app.Stage
	for _, s := range stages {
		switch s {
		case stIngest:
			ln := listen(h.t)
			h.mu.Lock()
			h.ingestURL = "http://" + ln.Addr().String()
			h.mu.Unlock()
			run = append(run, rt.Ingest(ln))
		case stQuery:
			ln := listen(h.t)
			h.mu.Lock()
			h.queryURL = "http://" + ln.Addr().String()
			h.mu.Unlock()
			run = append(run, rt.Query(ln))
		case stProcessor:
			run = append(run, rt.Processor())
		case stOdoo:
			run = append(run, rt.OdooSink())
		case stClickHouse:
			run = append(run, rt.ClickHouseSink())
		case stRequests:
			run = append(run, rt.Requests())
		case stSubscriptions:
			run = append(run, rt.Subscriptions())
		case stResume:
			run = append(run, rt.Resume())
		default:
			h.t.Fatalf("unknown stage %q", s)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &pipeline{h: h, name: name, rt: rt, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.err = app.RunStages(ctx, rt, run...)
	}()
	h.mu.Lock()
	h.cfg = cfg
	h.running = append(h.running, p)
	h.mu.Unlock()
	h.t.Cleanup(p.stop)
	if contains(stages, stIngest) {
		h.waitHTTP(h.ingestURL + "/healthz")
	}
	if contains(stages, stQuery) {
		h.waitHTTP(h.queryURL + "/healthz")
	}
	return p
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stop ends the pipeline's stages (as SIGTERM would) and closes its Runtime.
func (p *pipeline) stop() {
	p.once.Do(func() {
		p.cancel()
		select {
		case <-p.done:
		case <-time.After(time.Minute):
			p.h.t.Errorf("pipeline %s did not stop within a minute", p.name)
		}
		p.rt.Close()
		p.h.mu.Lock()
		for i, q := range p.h.running {
			if q == p {
				p.h.running = append(p.h.running[:i], p.h.running[i+1:]...)
				break
			}
		}
		p.h.mu.Unlock()
	})
}

// checkAlive fails the test when a running pipeline stopped by itself.
func (h *harness) checkAlive() {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.running {
		select {
		case <-p.done:
			h.t.Fatalf("pipeline %s stopped by itself: %v", p.name, p.err)
		default:
		}
	}
}

func (h *harness) waitHTTP(url string) {
	h.t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s not answering: %v", url, err)
		}
		h.checkAlive()
		time.Sleep(50 * time.Millisecond)
	}
}

// ---- webhooks ----------------------------------------------------------------------

type delivery struct {
	topic     string
	webhookID string
	body      []byte
	shop      string // default shopDomain
	signature string // default: signed with the shop's secret
	unsigned  bool
}

// deliver posts a webhook as Shopify does and returns the HTTP status and body.
func (h *harness) deliver(d delivery) (int, string) {
	h.t.Helper()
	h.mu.Lock()
	url := h.ingestURL
	h.mu.Unlock()
	req, err := http.NewRequest(http.MethodPost, url+"/webhooks/shopify", bytes.NewReader(d.body))
	if err != nil {
		h.t.Fatal(err)
	}
	shop := d.shop
	if shop == "" {
		shop = shopDomain
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", d.topic)
	req.Header.Set("X-Shopify-Shop-Domain", shop)
	req.Header.Set("X-Shopify-API-Version", "2025-10")
	if d.webhookID != "" {
		req.Header.Set("X-Shopify-Webhook-Id", d.webhookID)
	}
	req.Header.Set("X-Shopify-Triggered-At", time.Now().UTC().Format(time.RFC3339Nano))
	switch {
	case d.unsigned:
	case d.signature != "":
		req.Header.Set("X-Shopify-Hmac-Sha256", d.signature)
	default:
		req.Header.Set("X-Shopify-Hmac-Sha256", shopify.Sign(h.secretOf(shop), d.body))
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		h.t.Fatalf("POST webhook %s: %v", d.topic, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// webhook delivers a signed webhook and requires 200.
func (h *harness) webhook(topic, webhookID string, body []byte) {
	h.t.Helper()
	if code, msg := h.deliver(delivery{topic: topic, webhookID: webhookID, body: body}); code != http.StatusOK {
		h.t.Fatalf("webhook %s %s: %d %s", topic, webhookID, code, msg)
	}
}

// ---- the query API -------------------------------------------------------------------

func (h *harness) apiGet(path string, into any) int {
	h.t.Helper()
	h.mu.Lock()
	url := h.queryURL
	h.mu.Unlock()
	req, _ := http.NewRequest(http.MethodGet, url+path, nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK && into != nil {
		if err := json.Unmarshal(b, into); err != nil {
			h.t.Fatalf("GET %s: %v\n%s", path, err, b)
		}
	}
	return resp.StatusCode
}

// orderRows is the shop's order table as the API lists it.
func (h *harness) orderRows() []orders.Order { return h.orderRowsOf(shopDomain) }

// orderRowsOf is another shop's order table.
func (h *harness) orderRowsOf(shop string) []orders.Order {
	h.t.Helper()
	var page orders.Page
	if code := h.apiGet("/api/shops/"+shop+"/orders?limit=250", &page); code != http.StatusOK {
		h.t.Fatalf("GET orders: %d", code)
	}
	return page.Orders
}

type orderDetail struct {
	orders.Order
	History []orders.Event `json:"history"`
}

func (h *harness) orderDetail(id int64) orderDetail {
	h.t.Helper()
	var d orderDetail
	if code := h.apiGet(fmt.Sprintf("/api/shops/%s/orders/%d", shopDomain, id), &d); code != http.StatusOK {
		h.t.Fatalf("GET order %d: %d", id, code)
	}
	return d
}

// waitOrder polls the API until the order's row satisfies ok, and returns it.
func (h *harness) waitOrder(id int64, what string, ok func(orders.Order) bool) orders.Order {
	h.t.Helper()
	want := fmt.Sprint(id)
	deadline := time.Now().Add(waitFor)
	var last *orders.Order
	for {
		for _, o := range h.orderRows() {
			if o.OrderID == want {
				o := o
				last = &o
				if ok(o) {
					return o
				}
			}
		}
		if time.Now().After(deadline) {
			j, _ := json.MarshalIndent(last, "", "  ")
			h.t.Fatalf("order %d: not %s within %s; last row: %s", id, what, waitFor, j)
		}
		h.checkAlive()
		time.Sleep(100 * time.Millisecond)
	}
}

func status(s string) func(orders.Order) bool {
	return func(o orders.Order) bool { return o.Status == s }
}

// ---- Kafka -------------------------------------------------------------------------------

// readTopic reads every committed record of topic (read_committed, as the stages do).
func (h *harness) readTopic(topic string) []*kgo.Record {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	ends, err := kadm.NewClient(h.admin).ListEndOffsets(ctx, topic)
	if err != nil || ends.Error() != nil {
		h.t.Fatalf("end offsets of %s: %v %v", topic, err, ends.Error())
	}
	want := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			want[o.Partition] = o.Offset
		}
	})
	if len(want) == 0 {
		return nil
	}
	// Control records (transaction markers) take offsets too: keeping them lets the
	// reader know it reached the end offset of a transactional topic.
	cl, err := kgo.NewClient(kgo.SeedBrokers(h.kafka.Addr), kgo.ConsumeTopics(topic), kgo.KeepControlRecords(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		h.t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	next := map[int32]int64{}
	for {
		done := true
		for p, end := range want {
			if next[p] < end {
				done = false
			}
		}
		if done {
			return out
		}
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			h.t.Fatalf("reading %s: %d records read, at %v of %v: %v", topic, len(out), next, want, ctx.Err())
		}
		fs.EachRecord(func(r *kgo.Record) {
			next[r.Partition] = r.Offset + 1
			if !r.Attrs.IsControl() {
				out = append(out, r)
			}
		})
	}
}

// waitCaughtUp waits until group has committed every record of topic (which must not be
// transactional: then the end offset is the last record's plus one).
func (h *harness) waitCaughtUp(group, topic string) {
	h.t.Helper()
	adm := kadm.NewClient(h.admin)
	deadline := time.Now().Add(waitFor)
	for {
		behind, err := func() (int, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			committed, err := adm.FetchOffsets(ctx, group)
			if err != nil {
				return -1, err
			}
			ends, err := adm.ListEndOffsets(ctx, topic)
			if err != nil {
				return -1, err
			}
			n := 0
			ends.Each(func(e kadm.ListedOffset) {
				if e.Offset == 0 {
					return
				}
				if c, ok := committed.Lookup(topic, e.Partition); !ok || c.At < e.Offset {
					n++
				}
			})
			return n, nil
		}()
		if behind == 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("group %s did not catch up on %s within %s (%d partitions behind, err %v)", group, topic, waitFor, behind, err)
		}
		h.checkAlive()
		time.Sleep(100 * time.Millisecond)
	}
}

// ---- Odoo ----------------------------------------------------------------------------------

// recordsWhere returns model's records whose field equals v (many2one: its id).
func (h *harness) recordsWhere(model, field string, v any) []map[string]any {
	var out []map[string]any
	for _, r := range h.odoo.Records(model) {
		if sameValue(r[field], v) {
			out = append(out, r)
		}
	}
	return out
}

func sameValue(got, want any) bool {
	if m2o, ok := got.([]any); ok && len(m2o) == 2 {
		got = m2o[0]
	}
	return fmt.Sprint(got) == fmt.Sprint(want)
}

// m2oID is the id of a many2one value as read() answers it ([id, name] or false).
func m2oID(v any) int64 {
	if m2o, ok := v.([]any); ok && len(m2o) == 2 {
		switch id := m2o[0].(type) {
		case int:
			return int64(id)
		case int64:
			return id
		}
	}
	return 0
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return -1
}

// waitOdoo waits until cond holds for the simulator's records.
func (h *harness) waitOdoo(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("odoo: not %s within %s", what, waitFor)
		}
		h.checkAlive()
		time.Sleep(20 * time.Millisecond)
	}
}

// gate stands between the Odoo sink and the simulator: it forwards every request
// unchanged, but can hold the n-th execute_kw of one model.method until the test lets
// it go, which catches the sink between two Odoo calls without guessing at timing.
type gate struct {
	next  http.Handler
	mu    sync.Mutex
	holds []*hold
}

type hold struct {
	model, method string
	nth, seen     int
	forward       bool          // after release, pass the request on to Odoo (else answer 502)
	arrived       chan struct{} // closed when the held request is in
	release       chan struct{} // closed by let
	handled       chan struct{} // closed once the held request was answered
	once          sync.Once
}

// hold holds the nth (1-based) call of model.method from now on.
func (g *gate) hold(model, method string, nth int, forward bool) *hold {
	hd := &hold{model: model, method: method, nth: nth, forward: forward,
		arrived: make(chan struct{}), release: make(chan struct{}), handled: make(chan struct{})}
	g.mu.Lock()
	g.holds = append(g.holds, hd)
	g.mu.Unlock()
	return hd
}

// let releases the held call and waits until it was answered.
func (hd *hold) let() {
	hd.once.Do(func() { close(hd.release) })
	select {
	case <-hd.arrived:
		<-hd.handled
	default:
	}
}

func (g *gate) releaseAll() {
	g.mu.Lock()
	hs := append([]*hold(nil), g.holds...)
	g.mu.Unlock()
	for _, hd := range hs {
		hd.once.Do(func() { close(hd.release) })
	}
}

var xmlString = regexp.MustCompile(`<string>([^<]*)</string>`)

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var held *hold
	if r.URL.Path == "/xmlrpc/2/object" && bytes.Contains(body, []byte("<methodName>execute_kw</methodName>")) {
		// execute_kw(db, uid, password, model, method, ...): the strings are db,
		// password, model, method.
		if s := xmlString.FindAllSubmatch(body, 4); len(s) == 4 {
			model, method := string(s[2][1]), string(s[3][1])
			g.mu.Lock()
			for _, hd := range g.holds {
				if hd.model == model && hd.method == method {
					hd.seen++
					if hd.seen == hd.nth {
						held = hd
					}
				}
			}
			g.mu.Unlock()
		}
	}
	if held == nil {
		g.next.ServeHTTP(w, r)
		return
	}
	close(held.arrived)
	defer close(held.handled)
	<-held.release
	if held.forward {
		g.next.ServeHTTP(w, r)
		return
	}
	http.Error(w, "bad gateway", http.StatusBadGateway)
}

// ---- payloads ----------------------------------------------------------------------------------

var testdata = filepath.Join("..", "..", "..", "shopify", "order", "testdata")

// rawOrder is a Shopify sample payload, byte for byte.
func rawOrder(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// shopifyOrder is a Shopify payload as a map (numbers kept exact) to vary.
type shopifyOrder map[string]any

func loadOrder(t *testing.T, file string) shopifyOrder {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(rawOrder(t, file)))
	dec.UseNumber()
	var m shopifyOrder
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (o shopifyOrder) body(t *testing.T) []byte {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// clone is a deep copy.
func (o shopifyOrder) clone(t *testing.T) shopifyOrder {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(o.body(t)))
	dec.UseNumber()
	var m shopifyOrder
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (o shopifyOrder) id(t *testing.T) int64 {
	t.Helper()
	n, err := o["id"].(json.Number).Int64()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (o shopifyOrder) lines() []map[string]any {
	var out []map[string]any
	for _, l := range o["line_items"].([]any) {
		out = append(out, l.(map[string]any))
	}
	return out
}

// ---- logs ----------------------------------------------------------------------------------------

// logSink keeps the pipelines' logs (shown when a test fails; E2E_LOG=1 streams them).
type logSink struct {
	mu     sync.Mutex
	buf    []byte
	stream bool
}

func newLogSink() *logSink { return &logSink{stream: os.Getenv("E2E_LOG") != ""} }

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stream {
		os.Stderr.Write(p)
	}
	l.buf = append(l.buf, p...)
	if len(l.buf) > 8<<20 {
		l.buf = append([]byte(nil), l.buf[len(l.buf)-(4<<20):]...)
	}
	return len(p), nil
}

func (l *logSink) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > n {
		return "...\n" + string(l.buf[len(l.buf)-n:])
	}
	return string(l.buf)
}
