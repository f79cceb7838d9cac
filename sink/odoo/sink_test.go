package odoo

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/synco-dev/synco/odoosim"
	"github.com/synco-dev/synco/schemas"
)

// countingHandler counts the version() calls (one per dial) in front of a simulator.
type countingHandler struct {
	next     http.Handler
	versions atomic.Int32
}

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/xmlrpc/2/common" {
		c.versions.Add(1)
	}
	c.next.ServeHTTP(w, r)
}

// Twenty orders arriving at once for a shop dial its Odoo once, and are applied.
func TestSinkDialsOncePerShop(t *testing.T) {
	sim := odoosim.New(odoosim.Options{})
	h := &countingHandler{next: sim.Handler()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	defer srv.Close()
	s := NewSink(map[string]Config{testShop: {URL: "http://" + ln.Addr().String(), DB: "synco", Username: "admin", Password: "admin", Protocol: ProtocolAuto, Concurrency: 4}})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := order1001()
			o.ID += int64(i)
			if _, err := s.Apply(context.Background(), command(o, schemas.SaleOrderDraft, schemas.InvoiceNone)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// version() once for the dial, authenticate once for the login.
	if n := h.versions.Load(); n != 2 {
		t.Errorf("%d calls to /xmlrpc/2/common for 20 orders, want 2 (version, authenticate)", n)
	}
	if n := len(sim.Records("sale.order")); n != 20 {
		t.Errorf("%d sale orders, want 20", n)
	}
}

// A shop whose Odoo is down fails its dial, retriably; the failure is remembered a
// short while so the commands behind it fail fast instead of each dialing again.
func TestSinkRemembersAFailedDialBriefly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close() // a proxy in front of a dead Odoo: the connection ends at once
		}
	}()
	defer ln.Close()
	s := NewSink(map[string]Config{testShop: {URL: "http://" + ln.Addr().String(), DB: "synco", Username: "admin", Password: "admin", Protocol: ProtocolAuto, Concurrency: 2}})
	now := time.Now()
	s.now = func() time.Time { return now }
	cmd := command(order1001(), schemas.SaleOrderDraft, schemas.InvoiceNone)
	_, err1 := s.Apply(context.Background(), cmd)
	if !IsRetriable(err1) || !strings.Contains(err1.Error(), testShop) {
		t.Fatalf("first apply: %v, want a retriable error naming the shop", err1)
	}
	first := accepted.Load()
	for range 5 {
		if _, err := s.Apply(context.Background(), cmd); !IsRetriable(err) {
			t.Fatalf("remembered failure: %v", err)
		}
	}
	if accepted.Load() != first {
		t.Errorf("the failed dial was retried by every command (%d connections, %d after the first)", accepted.Load(), first)
	}
	now = now.Add(max(dialMemory, DefaultBreakerOpen) + time.Second) // past the memory and the breaker
	s.Apply(context.Background(), cmd)
	if accepted.Load() == first {
		t.Error("the dial is never tried again after the memory expired")
	}
}

// A shop that asks for the simulator without one running fails clearly, not silently.
func TestSinkSimulatorShopWithoutSimulator(t *testing.T) {
	s := NewSink(map[string]Config{testShop: {Simulator: true, Concurrency: 1}})
	_, err := s.Apply(context.Background(), command(order1001(), schemas.SaleOrderDraft, schemas.InvoiceNone))
	if !IsPermanent(err) || !strings.Contains(err.Error(), "no Odoo simulator runs") {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.Apply(context.Background(), &schemas.OrderSync{Shop: "other.myshopify.com", OrderID: 1}); !IsPermanent(err) {
		t.Fatalf("unknown shop: %v", err)
	}
}

// Orders arriving together share one look-up of what Odoo holds: the batch's external
// ids are searched once, not once per order; each order is still made once.
func TestSinkBatchesTheLookup(t *testing.T) {
	sim := odoosim.New(odoosim.Options{})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	s := NewSink(map[string]Config{testShop: {URL: url, DB: "synco", Username: "admin", Password: "admin", Protocol: ProtocolXMLRPC,
		Concurrency: 1, BatchSize: 20, BatchWait: 5 * time.Second}})
	// Warm: dial and the caches of the first order.
	if _, err := s.Apply(context.Background(), command(order1001(), schemas.SaleOrderDraft, schemas.InvoiceNone)); err != nil {
		t.Fatal(err)
	}
	sim.ResetCalls()
	const n = 20
	var wg sync.WaitGroup
	calls := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := order1001()
			o.ID += int64(1 + i)
			res, err := s.Apply(context.Background(), command(o, schemas.SaleOrderDraft, schemas.InvoiceNone))
			if err != nil {
				t.Error(err)
			}
			calls[i] = res.Calls
		}()
	}
	wg.Wait()
	got := sim.Calls()
	if n := got["ir.model.data.search_read"]; n > 3 || n == 0 {
		t.Errorf("ir.model.data searched %d times for %d orders arriving together, want one per batch", n, 20)
	}
	if c := got["sale.order.create"]; c != 1 {
		t.Errorf("%d sale.order.create calls for %d new orders arriving together, want 1", c, n)
	}
	if c := len(sim.Records("sale.order")); c != n+1 {
		t.Errorf("%d sale orders for %d orders", c, n+1)
	}
	total := 0
	for _, c := range calls {
		total += c
	}
	simTotal := 0
	for k, v := range got {
		if !strings.HasPrefix(k, "common.") {
			simTotal += v
		}
	}
	if total != simTotal {
		t.Errorf("the results count %d calls, Odoo saw %d: the batch's look-up must be counted once", total, simTotal)
	}
}

// A password stored through the API is used instead of the config's; when it changes,
// the shop's next command logs in with the new one (no restart); removed, the
// config's applies again.
func TestSinkUsesStoredCredentials(t *testing.T) {
	sim := odoosim.New(odoosim.Options{Password: "rotated-1"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: sim.Handler()}
	go srv.Serve(ln)
	defer srv.Close()
	var mu sync.Mutex
	stored := Credentials{Password: "rotated-1"}
	s := NewSink(map[string]Config{testShop: {URL: "http://" + ln.Addr().String(), DB: "synco", Username: "admin", Password: "config-password",
		Protocol: ProtocolXMLRPC, Concurrency: 1}}, WithStoredCredentials(func(domain string) (Credentials, error) {
		mu.Lock()
		defer mu.Unlock()
		if domain != testShop {
			t.Errorf("credentials asked for %q", domain)
		}
		return stored, nil
	}))
	apply := func(id int64) error {
		o := order1001()
		o.ID = id
		_, err := s.Apply(context.Background(), command(o, schemas.SaleOrderDraft, schemas.InvoiceNone))
		return err
	}
	if err := apply(1); err != nil {
		t.Fatalf("with the stored password: %v", err)
	}
	// Rotated in Odoo and in Synco: the next command dials anew with it.
	sim.SetPassword("rotated-2")
	mu.Lock()
	stored = Credentials{Password: "rotated-2"}
	mu.Unlock()
	if err := apply(2); err != nil {
		t.Fatalf("after the rotation: %v", err)
	}
	// Removed from Synco: the config's password applies, which Odoo refuses.
	mu.Lock()
	stored = Credentials{}
	mu.Unlock()
	err = apply(3)
	if err == nil || !strings.Contains(err.Error(), "login failed") {
		t.Fatalf("with the config's wrong password: %v", err)
	}
	if n := len(sim.Records("sale.order")); n != 2 {
		t.Errorf("%d sale orders, want 2", n)
	}
}
