// Command load posts signed Shopify orders/create webhooks to a running Synco on
// loopback, waits until the query API shows them synced, and prints webhook latency,
// accepted throughput, end-to-end time to synced and Odoo RPC calls per order.
//
// It is bounded: at most -n orders (capped at 100 000), posting stops at -timeout,
// waiting for the sync stops at -sync-timeout. It talks only to loopback addresses.
//
//	go run ./load -n 2000 -rate 0 -concurrency 16
//
// Per-order times to synced and RPC calls come from ClickHouse's sync_events (through
// clickhouse-client, as the simulator's call counter is not reachable over HTTP);
// without clickhouse-client only the drain time is printed.
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxOrders bounds -n.
const maxOrders = 100_000

//go:embed order_template.json
var template []byte // Shopify's documented orders/create sample (~12 KB)

type options struct {
	ingest, query, shop, secret, token string
	n, concurrency, customers, skus    int
	rate                               float64
	timeout, syncTimeout, poll         time.Duration
	chClient, chPort, chDB             string
}

func main() {
	var o options
	flag.StringVar(&o.ingest, "url", "http://127.0.0.1:8080", "ingest base URL (loopback only)")
	flag.StringVar(&o.query, "query", "http://127.0.0.1:8090", "query API base URL (loopback only)")
	flag.StringVar(&o.shop, "shop", "demo.myshopify.com", "shop domain")
	flag.StringVar(&o.secret, "secret", "demo-webhook-secret", "the shop's webhook secret")
	flag.StringVar(&o.token, "token", "synco-dev-token-change-me", "query API token")
	flag.IntVar(&o.n, "n", 2000, fmt.Sprintf("orders to post (at most %d)", maxOrders))
	flag.Float64Var(&o.rate, "rate", 0, "orders per second (0: as fast as -concurrency allows)")
	flag.IntVar(&o.concurrency, "concurrency", 8, "webhooks in flight at once")
	flag.IntVar(&o.customers, "customers", 100, "distinct customers (the rest are repeat customers)")
	flag.IntVar(&o.skus, "skus", 20, "distinct SKUs")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "stop posting after this long")
	flag.DurationVar(&o.syncTimeout, "sync-timeout", 5*time.Minute, "stop waiting for the orders to be synced after this long")
	flag.DurationVar(&o.poll, "poll", 500*time.Millisecond, "query API poll interval")
	flag.StringVar(&o.chClient, "clickhouse-client", "clickhouse-client", "clickhouse-client binary (empty: do not read sync_events)")
	flag.StringVar(&o.chPort, "clickhouse-port", "19000", "ClickHouse native port (loopback)")
	flag.StringVar(&o.chDB, "clickhouse-db", "synco", "ClickHouse database")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// delivery is one posted webhook.
type delivery struct {
	id         int64
	sent, done time.Time
	status     int
	err        error
}

func run(o options) error {
	if o.n < 1 || o.n > maxOrders {
		return fmt.Errorf("-n %d: want 1..%d", o.n, maxOrders)
	}
	if o.concurrency < 1 || o.concurrency > 256 {
		return fmt.Errorf("-concurrency %d: want 1..256", o.concurrency)
	}
	for _, u := range []string{o.ingest, o.query} {
		if err := loopback(u); err != nil {
			return err
		}
	}
	// Order ids of this run: far from the demo generator's (unix ms) and from
	// earlier runs; below 2^53 so the dashboard's JavaScript keeps them exact.
	run := time.Now().Unix() % 100_000
	base := int64(5_000_000_000_000) + run*int64(maxOrders)
	tag := fmt.Sprintf("load%05d", run)
	fmt.Printf("run %s: %d orders (ids %d..%d) to %s, rate %s, concurrency %d, %d customers, %d SKUs\n",
		tag, o.n, base, base+int64(o.n)-1, o.ingest, rateString(o.rate), o.concurrency, o.customers, o.skus)

	bodies := make([][]byte, o.n)
	rng := rand.New(rand.NewPCG(uint64(run), 1))
	now := time.Now().UTC()
	for i := range bodies {
		b, err := order(base+int64(i), i, tag, o, rng, now)
		if err != nil {
			return err
		}
		bodies[i] = b
	}

	ds := post(o, base, bodies)
	var lat []time.Duration
	var accepted int
	codes := map[string]int{}
	var first, last time.Time
	for _, d := range ds {
		if d.sent.IsZero() {
			codes["not sent (timeout)"]++
			continue
		}
		if first.IsZero() {
			first, last = d.sent, d.done
		}
		first = minTime(first, d.sent)
		last = maxTime(last, d.done)
		switch {
		case d.err != nil:
			codes["error: "+shortErr(d.err)]++
		case d.status == http.StatusOK:
			accepted++
			lat = append(lat, d.done.Sub(d.sent))
		default:
			codes[strconv.Itoa(d.status)]++
		}
	}
	postTime := last.Sub(first)
	fmt.Printf("\nwebhooks: %d accepted of %d in %s: %.0f accepted/s\n", accepted, o.n, postTime.Round(time.Millisecond), float64(accepted)/postTime.Seconds())
	for k, v := range codes {
		fmt.Printf("  not accepted: %d × %s\n", v, k)
	}
	if len(lat) > 0 {
		fmt.Printf("  webhook latency: p50 %s  p95 %s  p99 %s  max %s\n", pct(lat, 50), pct(lat, 95), pct(lat, 99), pct(lat, 100))
	}
	if accepted == 0 {
		return errors.New("no webhook was accepted")
	}

	synced, drained, err := waitSynced(o, tag, accepted, first)
	if err != nil {
		return err
	}
	if synced < accepted {
		fmt.Printf("\nsync: only %d of %d accepted orders synced within %s\n", synced, accepted, o.syncTimeout)
	} else {
		fmt.Printf("\nsync: all %d orders synced %s after the first post (%.0f orders/s end to end)\n",
			synced, drained.Round(time.Millisecond), float64(synced)/drained.Seconds())
	}
	for _, st := range []string{"failed", "delayed", "in_progress", "not_synced"} {
		if n, err := count(o, tag, st); err == nil && n > 0 {
			fmt.Printf("  %s: %d\n", st, n)
		}
	}

	if o.chClient == "" {
		return nil
	}
	if err := fromClickHouse(o, base, ds); err != nil {
		fmt.Printf("\n(no per-order figures from ClickHouse: %v)\n", err)
	}
	return nil
}

// loopback refuses any address that is not this machine.
func loopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", raw)
	}
	h := u.Hostname()
	if h == "localhost" {
		return nil
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address: this load generator only talks to this machine", raw)
}

type product struct{ sku, title, price string }

// order builds an orders/create body from the sample: one to three lines from the
// SKU pool, a customer from the customer pool, no tax, shipping 4.90.
func order(id int64, i int, tag string, o options, rng *rand.Rand, at time.Time) ([]byte, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(template))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("order template: %w", err)
	}
	c := rng.IntN(max(o.customers, 1))
	email := fmt.Sprintf("buyer%d@%s.example", c, tag)
	nLines := 1 + rng.IntN(3)
	var lines []any
	cents := int64(0)
	for l := 0; l < nLines; l++ {
		k := rng.IntN(max(o.skus, 1))
		price := int64(499 + 250*k)
		qty := 1 + rng.IntN(3)
		cents += price * int64(qty)
		lines = append(lines, map[string]any{
			"id": id*10 + int64(l), "product_id": 9000 + k, "variant_id": 9100 + k, "sku": fmt.Sprintf("LOAD-SKU-%03d", k),
			"title": fmt.Sprintf("Load item %d", k), "name": fmt.Sprintf("Load item %d", k), "quantity": qty,
			"price": money(price), "total_discount": "0.00", "taxable": true, "requires_shipping": true,
			"tax_lines": []any{}, "discount_allocations": []any{},
		})
	}
	const shipping = 490
	stamp := at.Format(time.RFC3339)
	m["id"] = id
	m["admin_graphql_api_id"] = fmt.Sprintf("gid://shopify/Order/%d", id)
	m["name"] = fmt.Sprintf("#%s-%d", tag, i)
	m["order_number"] = 100000 + i
	m["number"] = 99000 + i
	m["email"], m["contact_email"] = email, email
	m["created_at"], m["updated_at"], m["processed_at"] = stamp, stamp, stamp
	m["cancelled_at"], m["cancel_reason"], m["closed_at"] = nil, nil, nil
	m["financial_status"] = "paid"
	m["fulfillment_status"] = nil
	m["source_name"] = "web"
	m["currency"], m["presentment_currency"] = "USD", "USD"
	m["total_price"] = money(cents + shipping)
	m["subtotal_price"] = money(cents)
	m["total_tax"], m["total_discounts"] = "0.00", "0.00"
	m["line_items"] = lines
	m["shipping_lines"] = []any{map[string]any{"id": id, "title": "Standard", "code": "STANDARD", "price": money(shipping),
		"discounted_price": money(shipping), "tax_lines": []any{}}}
	m["total_shipping_price_set"] = map[string]any{"shop_money": map[string]any{"amount": money(shipping), "currency_code": "USD"},
		"presentment_money": map[string]any{"amount": money(shipping), "currency_code": "USD"}}
	m["customer"] = map[string]any{"id": 8000 + c, "email": email, "first_name": "Buyer", "last_name": strconv.Itoa(c)}
	m["refunds"] = []any{}
	m["fulfillments"] = []any{}
	return json.Marshal(m)
}

func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

// sign is Shopify's webhook signature: base64(HMAC-SHA256(secret, body)), as
// ingest/shopify.Sign computes it.
func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// post delivers every body with -concurrency workers, paced by -rate, until all are
// sent or -timeout passes. Bodies are signed before the clock of each request starts.
func post(o options, base int64, bodies [][]byte) []delivery {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency, MaxConnsPerHost: o.concurrency}}
	sigs := make([]string, len(bodies))
	for i, b := range bodies {
		sigs[i] = sign(o.secret, b)
	}
	ds := make([]delivery, len(bodies))
	next := make(chan int)
	go func() {
		defer close(next)
		var tick <-chan time.Time
		if o.rate > 0 {
			t := time.NewTicker(time.Duration(float64(time.Second) / o.rate))
			defer t.Stop()
			tick = t.C
		}
		for i := range bodies {
			if tick != nil {
				select {
				case <-tick:
				case <-ctx.Done():
					return
				}
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var done atomic.Int64
	stopProgress := progress("posted", &done, len(bodies))
	var wg sync.WaitGroup
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				d := &ds[i]
				d.id = base + int64(i)
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(o.ingest, "/")+"/webhooks/shopify", bytes.NewReader(bodies[i]))
				if err != nil {
					d.err = err
					continue
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Shopify-Topic", "orders/create")
				req.Header.Set("X-Shopify-Shop-Domain", o.shop)
				req.Header.Set("X-Shopify-Hmac-Sha256", sigs[i])
				req.Header.Set("X-Shopify-Webhook-Id", fmt.Sprintf("load-%d", d.id))
				d.sent = time.Now()
				req.Header.Set("X-Shopify-Triggered-At", d.sent.UTC().Format(time.RFC3339Nano))
				resp, err := cl.Do(req)
				if err != nil {
					d.done, d.err = time.Now(), err
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d.done, d.status = time.Now(), resp.StatusCode
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	stopProgress()
	return ds
}

// progress prints a line every 2 s until stopped.
func progress(what string, n *atomic.Int64, total int) func() {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fmt.Printf("  %s %d/%d\n", what, n.Load(), total)
			case <-stop:
				return
			}
		}
	}()
	return func() { close(stop); wg.Wait() }
}

// count asks the query API how many of this run's orders have the status.
func count(o options, tag, status string) (int, error) {
	q := url.Values{"q": {tag}, "limit": {"1"}}
	if status != "" {
		q.Set("status", status)
	}
	u := fmt.Sprintf("%s/api/shops/%s/orders?%s", strings.TrimRight(o.query, "/"), url.PathEscape(o.shop), q.Encode())
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+o.token)
	cl := &http.Client{Timeout: 10 * time.Second}
	resp, err := cl.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("query API answered %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	var page struct {
		Total int `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return 0, err
	}
	return page.Total, nil
}

// waitSynced polls the query API until want orders of the run are synced or
// -sync-timeout passes; it returns how many were and when the last one was seen,
// counted from start.
func waitSynced(o options, tag string, want int, start time.Time) (int, time.Duration, error) {
	deadline := time.Now().Add(o.syncTimeout)
	var n atomic.Int64
	stopProgress := progress("synced", &n, want)
	defer stopProgress()
	fails := 0
	for {
		got, err := count(o, tag, "synced")
		if err != nil {
			if fails++; fails > 10 {
				return int(n.Load()), 0, fmt.Errorf("polling the query API: %w", err)
			}
		} else {
			n.Store(int64(got))
			if got >= want {
				return got, time.Since(start), nil
			}
		}
		if time.Now().After(deadline) {
			return int(n.Load()), time.Since(start), nil
		}
		time.Sleep(o.poll)
	}
}

// fromClickHouse reads, per order of the run, when the processor and the Odoo sink
// recorded their outcomes and how many RPC calls the sink made.
func fromClickHouse(o options, base int64, ds []delivery) error {
	where := fmt.Sprintf("shop = '%s' AND order_id >= %d AND order_id < %d", strings.ReplaceAll(o.shop, "'", ""), base, base+int64(len(ds)))
	rows, err := clickhouse(o, fmt.Sprintf(`SELECT order_id, stage,
		minIf(at_ms, status = 'synced' OR stage = 'processor'), argMinIf(rpc_calls, at_ms, status = 'synced'),
		argMinIf(latency_ms, at_ms, status = 'synced'), countIf(stage = 'sink.odoo' AND status != 'synced')
		FROM %s.sync_events WHERE %s AND stage IN ('processor', 'sink.odoo') GROUP BY order_id, stage FORMAT TabSeparated`, o.chDB, where))
	if err != nil {
		return err
	}
	type times struct {
		processor, synced int64
		calls, sinkMs     int64
		notSynced         int64
	}
	byID := map[int64]*times{}
	for _, r := range rows {
		if len(r) != 6 {
			continue
		}
		id, _ := strconv.ParseInt(r[0], 10, 64)
		at, _ := strconv.ParseInt(r[2], 10, 64)
		t := byID[id]
		if t == nil {
			t = &times{}
			byID[id] = t
		}
		if r[1] == "processor" {
			t.processor = at
			continue
		}
		t.synced = at
		t.calls, _ = strconv.ParseInt(r[3], 10, 64)
		t.sinkMs, _ = strconv.ParseInt(r[4], 10, 64)
		t.notSynced, _ = strconv.ParseInt(r[5], 10, 64)
	}
	var e2e, toProc, procToSynced, sink []time.Duration
	calls := map[int64]int{}
	var sumCalls, nCalls, retries int64
	for _, d := range ds {
		t := byID[d.id]
		if d.sent.IsZero() || t == nil {
			continue
		}
		retries += t.notSynced
		if t.processor > 0 {
			toProc = append(toProc, time.UnixMilli(t.processor).Sub(d.sent))
		}
		if t.synced == 0 {
			continue
		}
		e2e = append(e2e, time.UnixMilli(t.synced).Sub(d.sent))
		if t.processor > 0 {
			procToSynced = append(procToSynced, time.Duration(t.synced-t.processor)*time.Millisecond)
		}
		sink = append(sink, time.Duration(t.sinkMs)*time.Millisecond)
		calls[t.calls]++
		sumCalls += t.calls
		nCalls++
	}
	if len(e2e) == 0 {
		return errors.New("no sink.odoo synced rows for this run's orders in sync_events")
	}
	fmt.Printf("\nfrom ClickHouse %s.sync_events (%d orders with a synced row):\n", o.chDB, len(e2e))
	fmt.Printf("  time to synced (webhook sent → sink.odoo outcome): p50 %s  p95 %s  p99 %s  max %s\n", pct(e2e, 50), pct(e2e, 95), pct(e2e, 99), pct(e2e, 100))
	if len(toProc) > 0 {
		fmt.Printf("    webhook sent → processor outcome:               p50 %s  p95 %s\n", pct(toProc, 50), pct(toProc, 95))
	}
	if len(procToSynced) > 0 {
		fmt.Printf("    processor outcome → sink.odoo outcome:         p50 %s  p95 %s\n", pct(procToSynced, 50), pct(procToSynced, 95))
	}
	fmt.Printf("    sink.odoo apply (latency_ms):                   p50 %s  p95 %s\n", pct(sink, 50), pct(sink, 95))
	fmt.Printf("  Odoo RPC calls per order: %.2f on average", float64(sumCalls)/float64(nCalls))
	keys := make([]int64, 0, len(calls))
	for k := range calls {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d calls × %d", k, calls[k]))
	}
	fmt.Printf(" (%s)\n", strings.Join(parts, ", "))
	if retries > 0 {
		fmt.Printf("  sink.odoo outcomes other than synced (failed/delayed attempts): %d\n", retries)
	}
	return nil
}

// clickhouse runs one query through clickhouse-client on loopback.
func clickhouse(o options, q string) ([][]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.chClient, "--host", "127.0.0.1", "--port", o.chPort, "-q", q)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("clickhouse-client: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows, nil
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	i = min(max(i, 0), len(s)-1)
	return roundDur(s[i])
}

func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	default:
		return d.Round(10 * time.Microsecond)
	}
}

func rateString(r float64) string {
	if r <= 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%.0f/s", r)
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
