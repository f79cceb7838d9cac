package odoo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// breaker is the circuit breaker of one Odoo endpoint (shops that share an Odoo share
// it). After BreakerFailures retriable failures in a row, or one call that timed out
// (a hanging Odoo), it opens: commands fail at once with a retriable error and go to
// the retry topics instead of waiting on a dead Odoo. After BreakerOpen one command
// is let through as a probe; its success closes the breaker, its failure opens it
// again for twice as long (at most 10 min).
type breaker struct {
	failures int           // in a row that open it
	openFor  time.Duration // first open period
	now      func() time.Time

	mu        sync.Mutex
	state     breakerState
	failed    int
	until     time.Time
	period    time.Duration
	probing   bool
	lastError string
}

type breakerState int

const (
	breakerClosed breakerState = iota
	breakerOpen
	breakerHalfOpen
)

func (s breakerState) String() string {
	return [...]string{"closed", "open", "half_open"}[s]
}

const maxBreakerOpen = 10 * time.Minute

func newBreaker(failures int, openFor time.Duration, now func() time.Time) *breaker {
	return &breaker{failures: max(failures, 1), openFor: openFor, period: openFor, now: now}
}

// blocked reports, without taking a probe, whether commands are being turned away.
func (b *breaker) blocked(endpoint string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == breakerOpen && b.now().Before(b.until) || b.state == breakerHalfOpen && b.probing {
		return b.openError(endpoint)
	}
	return nil
}

// allow says whether a command may call Odoo now; when not, the error to route.
func (b *breaker) allow(endpoint string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case breakerOpen:
		if b.now().Before(b.until) {
			return b.openError(endpoint)
		}
		b.state, b.probing = breakerHalfOpen, true
		return nil // this one is the probe
	case breakerHalfOpen:
		if b.probing {
			return b.openError(endpoint)
		}
		b.probing = true
		return nil
	}
	return nil
}

func (b *breaker) openError(endpoint string) error {
	return retriable("", "apply", 0, "", fmt.Sprintf("circuit open: the Odoo at %s failed (%s); next try at %s",
		endpoint, b.lastError, b.until.UTC().Format(time.RFC3339)))
}

// done records the outcome of a command that was allowed.
func (b *breaker) done(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if errors.Is(err, context.Canceled) {
		// We stopped (shutdown, rebalance): says nothing about Odoo.
		b.probing = false
		return
	}
	if !unreachable(err) {
		// Odoo answered (a validation error or a serialization conflict is an answer).
		b.state, b.failed, b.probing, b.period = breakerClosed, 0, false, b.openFor
		return
	}
	b.failed++
	b.lastError = err.Error()
	timedOut := errors.Is(err, context.DeadlineExceeded)
	if b.state == breakerHalfOpen {
		b.period = min(2*b.period, maxBreakerOpen)
	} else if b.failed < b.failures && !timedOut {
		return
	}
	b.state, b.probing, b.until = breakerOpen, false, b.now().Add(b.period)
}

// unreachable reports whether err says Odoo did not answer as Odoo: the network, a
// timeout, a proxy's 5xx page, an answer that is not Odoo's protocol. Faults and
// JSON-2 errors that name an exception are Odoo's answers, even when retriable.
func unreachable(err error) bool {
	var oe *Error
	if err == nil || !errors.As(err, &oe) || !oe.Retriable {
		return false
	}
	switch {
	case oe.CodeText != "", oe.Exception != "":
		return false
	case oe.Code == 0, oe.Code >= 500:
		return true
	}
	return false
}

// State is the breaker's state for metrics and logs.
func (b *breaker) State() breakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}
