package odoo

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/synco-dev/synco/odoosim"
	"github.com/synco-dev/synco/schemas"
)

// benchSim starts an Odoo 17 simulator and an XML-RPC client to it over real HTTP on
// loopback, with at most inFlight calls at once (0: unlimited).
func benchSim(b *testing.B, latency time.Duration, inFlight int) (*odoosim.Server, Client) {
	b.Helper()
	sim := odoosim.New(odoosim.Options{Version: 17, DB: "synco", Login: "admin", Password: "admin"})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		b.Fatalf("odoo simulator does not start: %v", err)
	}
	b.Cleanup(func() { sim.Close() })
	c, err := Dial(context.Background(), Config{URL: url, DB: "synco", Username: "admin", Password: "admin", Protocol: "xmlrpc", Concurrency: inFlight})
	if err != nil {
		b.Fatalf("dial simulator: %v", err)
	}
	sim.SetLatency(latency)
	return sim, c
}

// benchScenario is one kind of order the sink applies.
type benchScenario struct {
	name string
	so   schemas.SaleOrderState
	inv  schemas.InvoiceState
	// newCustomer gives every order a new email and two new SKUs.
	newCustomer bool
	// again applies the same command a second time (nothing to do) and measures that.
	again bool
}

var benchScenarios = []benchScenario{
	{name: "new_customer_new_products", so: schemas.SaleOrderDraft, newCustomer: true},
	{name: "repeat_customer", so: schemas.SaleOrderDraft},
	{name: "confirmed", so: schemas.SaleOrderConfirmed},
	{name: "confirmed_posted_invoice", so: schemas.SaleOrderConfirmed, inv: schemas.InvoicePosted},
	{name: "direct_posted_invoice", so: schemas.SaleOrderNone, inv: schemas.InvoicePosted},
	{name: "already_synced", so: schemas.SaleOrderDraft, again: true},
}

// benchCommand is order1001 as order id, for a repeat customer buying known products,
// or (newCustomer) a new customer buying two SKUs Odoo does not have yet.
func benchCommand(sc benchScenario, id int64) *schemas.OrderSync {
	o := order1001()
	o.ID, o.Name, o.OrderNumber = id, fmt.Sprintf("#%d", id), id
	if sc.newCustomer {
		o.Email = fmt.Sprintf("buyer%d@example.com", id)
		o.Customer = &schemas.Customer{ID: id, Email: o.Email, FirstName: "Buyer", LastName: fmt.Sprint(id)}
		o.LineItems[0].SKU = fmt.Sprintf("NEW-%d-A", id)
		o.LineItems[1].SKU = fmt.Sprintf("NEW-%d-B", id)
	}
	return command(o, sc.so, sc.inv)
}

// BenchmarkSyncerApply applies one order per op to the Odoo simulator over XML-RPC
// and reports rpc/op from Result.Calls. The Syncer's caches are warm (a first order
// with the same customer, products and tax ran before the clock): the once-per-Syncer
// look-ups are not per-order costs.
//
// latency=0 is the sink's own cost (encoding, HTTP, the simulator); latency=5ms gives
// every call the round trip of a nearby Odoo, and the time per order becomes
// ≈ rpc/op × 5 ms: the calls decide throughput. parallel=8 runs 8 orders at once
// through one client limited to the default 2 calls in flight (config odoo.concurrency),
// which is the ceiling of one shop's Odoo: 2 / (rpc/op × latency).
//
// Use a fixed -benchtime (e.g. 200x): the simulator scans its tables, so an op gets
// slower as b.N orders pile up in it.
func BenchmarkSyncerApply(b *testing.B) {
	for _, latency := range []time.Duration{0, 5 * time.Millisecond} {
		for _, sc := range benchScenarios {
			b.Run(fmt.Sprintf("latency=%s/%s", latency, sc.name), func(b *testing.B) {
				benchApply(b, latency, sc)
			})
		}
	}
	for _, sc := range []benchScenario{benchScenarios[1], benchScenarios[3]} {
		b.Run(fmt.Sprintf("latency=5ms/parallel=8/inflight=2/%s", sc.name), func(b *testing.B) {
			benchApplyParallel(b, 5*time.Millisecond, 2, sc)
		})
	}
}

func warm(b *testing.B, s *Syncer) {
	b.Helper()
	if _, err := s.Apply(context.Background(), command(order1001(), schemas.SaleOrderDraft, schemas.InvoiceNone)); err != nil {
		b.Fatalf("warm-up order: %v", err)
	}
}

// simCalls is every call the simulator answered (logins and version reads too).
func simCalls(sim *odoosim.Server) int {
	n := 0
	for _, v := range sim.Calls() {
		n += v
	}
	return n
}

func benchApply(b *testing.B, latency time.Duration, sc benchScenario) {
	sim, c := benchSim(b, latency, 0)
	s := NewSyncer(c)
	warm(b, s)
	ctx := context.Background()
	id := int64(100_000)
	calls := 0
	var again *schemas.OrderSync
	if sc.again {
		again = benchCommand(sc, id)
		if _, err := s.Apply(ctx, again); err != nil {
			b.Fatal(err)
		}
	}
	before := simCalls(sim)
	for b.Loop() {
		cmd := again
		if cmd == nil {
			id++
			cmd = benchCommand(sc, id)
		}
		res, err := s.Apply(ctx, cmd)
		if err != nil {
			b.Fatalf("%s: %v", sc.name, err)
		}
		calls += res.Calls
	}
	b.ReportMetric(float64(calls)/float64(b.N), "rpc/op")
	// What Odoo saw: equal to rpc/op unless the sink makes calls it does not count.
	b.ReportMetric(float64(simCalls(sim)-before)/float64(b.N), "odoo-rpc/op")
}

func benchApplyParallel(b *testing.B, latency time.Duration, inFlight int, sc benchScenario) {
	_, c := benchSim(b, latency, inFlight)
	s := NewSyncer(c)
	warm(b, s)
	ctx := context.Background()
	var id, calls atomic.Int64
	id.Store(100_000)
	b.SetParallelism(4) // 8 goroutines on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := s.Apply(ctx, benchCommand(sc, id.Add(1)))
			if err != nil {
				b.Errorf("%s: %v", sc.name, err)
				return
			}
			calls.Add(int64(res.Calls))
		}
	})
	b.ReportMetric(float64(calls.Load())/float64(b.N), "rpc/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}
