package odoo

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/synco-dev/synco/xmlrpc"
)

func TestBreakerOpensProbesAndCloses(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	b := newBreaker(3, 30*time.Second, func() time.Time { return now })
	down := retriable("sale.order", "create", 0, "", "connection refused")
	for i := range 3 {
		if err := b.allow("o"); err != nil {
			t.Fatalf("call %d refused while closed: %v", i, err)
		}
		b.done(down)
	}
	if err := b.allow("o"); !IsRetriable(err) || b.State() != breakerOpen {
		t.Fatalf("after 3 failures: %v, state %v", err, b.State())
	}
	// A validation error is an answer: it would have closed it; an open breaker stays
	// open until its time is up.
	now = now.Add(31 * time.Second)
	if err := b.allow("o"); err != nil {
		t.Fatalf("probe refused: %v", err)
	}
	if err := b.allow("o"); err == nil {
		t.Fatal("a second command let through while the probe runs")
	}
	b.done(down) // the probe fails: open for twice as long
	now = now.Add(31 * time.Second)
	if b.allow("o") == nil {
		t.Fatal("reopened breaker let a command through after the first period")
	}
	now = now.Add(30 * time.Second)
	if err := b.allow("o"); err != nil {
		t.Fatalf("second probe refused: %v", err)
	}
	b.done(permanent("sale.order", "create", 2, "", "Invalid field"))
	if b.State() != breakerClosed || b.allow("o") != nil {
		t.Fatalf("an answer from Odoo did not close it: %v", b.State())
	}
	// A serialization conflict is retriable, but it is Odoo answering: never opens it.
	for range 5 {
		b.done(classifyFault("sale.order", "create", &xmlrpc.Fault{Code: 1, String: "psycopg2.errors.SerializationFailure: could not serialize access"}))
	}
	if b.State() != breakerClosed {
		t.Fatalf("Odoo's own retriable answers opened it")
	}
	// A proxy's 502 in front of a stopped Odoo counts.
	for range 3 {
		b.done(classifyHTTP("", "version", 502, "<html>Bad Gateway</html>"))
	}
	if b.State() != breakerOpen {
		t.Fatalf("three 502s left it %v", b.State())
	}
}

func TestBreakerOpensOnOneTimeout(t *testing.T) {
	b := newBreaker(3, time.Minute, time.Now)
	b.allow("o")
	b.done(classifyTransport("sale.order", "create", context.DeadlineExceeded))
	if b.State() != breakerOpen {
		t.Fatalf("a hanging Odoo's timeout left it %v", b.State())
	}
	// Our own cancellation says nothing about Odoo.
	c := newBreaker(1, time.Minute, time.Now)
	c.allow("o")
	c.done(classifyTransport("sale.order", "create", context.Canceled))
	if c.State() != breakerClosed {
		t.Fatalf("a cancelled call opened it")
	}
	if !errors.Is(classifyTransport("m", "x", context.DeadlineExceeded), context.DeadlineExceeded) {
		t.Fatal("a transport error must keep its cause")
	}
}
