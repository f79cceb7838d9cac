package odoo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/synco-dev/synco/platform/metrics"
	"github.com/synco-dev/synco/schemas"
)

// dialMemory is how long a failed dial is remembered: the commands of a shop whose
// Odoo is down fail fast for a while instead of each waiting for its own connect.
const dialMemory = 10 * time.Second

// Sink makes each shop's Odoo match the commands it is given. It dials a shop's Odoo
// on first use — outside any global lock, once per shop however many commands
// arrive together, a failed dial remembered briefly — keeps one Syncer (with its
// caches) per shop, and bounds the orders in flight per shop. Safe for concurrent use.
type Sink struct {
	log      *slog.Logger
	opts     []Option
	metrics  *metrics.Registry
	now      func() time.Time
	mu       sync.Mutex
	shops    map[string]*shop    // by lower-case domain
	breakers map[string]*breaker // by Odoo endpoint (URL and database)
}

type shop struct {
	domain string
	cfg    Config
	sem    chan struct{}
	brk    *breaker

	mu     sync.Mutex // held while dialing: single flight per shop
	syncer *Syncer
	client Client
	err    error
	errAt  time.Time
}

// SinkOption tunes a Sink.
type SinkOption func(*Sink)

// WithClientOptions adds options to every client the Sink dials (tests: an HTTP
// client in front of a simulator, a known version).
func WithClientOptions(opts ...Option) SinkOption {
	return func(s *Sink) { s.opts = append(s.opts, opts...) }
}

// WithMetrics records every RPC call (by shop, model, method and result), the calls
// per command and each breaker's state.
func WithMetrics(m *metrics.Registry) SinkOption { return func(s *Sink) { s.metrics = m } }

// WithSinkLogger logs what the Syncers create and change.
func WithSinkLogger(l *slog.Logger) SinkOption { return func(s *Sink) { s.log = l } }

// NewSink serves the shops given (domain → its Odoo block, defaults applied).
func NewSink(shops map[string]Config, opts ...SinkOption) *Sink {
	s := &Sink{log: slog.New(slog.DiscardHandler), now: time.Now, shops: map[string]*shop{}, breakers: map[string]*breaker{}}
	for _, o := range opts {
		o(s)
	}
	now := func() time.Time { return s.now() }
	for d, c := range shops {
		c.Defaults()
		ep := Endpoint(c)
		if s.breakers[ep] == nil {
			s.breakers[ep] = newBreaker(c.BreakerFailures, c.BreakerOpen, now)
		}
		s.shops[strings.ToLower(d)] = &shop{domain: d, cfg: c, sem: make(chan struct{}, max(c.Concurrency, 1)), brk: s.breakers[ep]}
	}
	return s
}

// Endpoint names an Odoo (one breaker each): its URL and database.
func Endpoint(c Config) string { return strings.TrimRight(c.URL, "/") + "#" + c.DB }

// BreakerStates reports each endpoint's circuit breaker state (closed, open,
// half_open), for metrics.
func (s *Sink) BreakerStates() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for ep, b := range s.breakers {
		out[ep] = b.State().String()
	}
	return out
}

// Apply makes the shop's Odoo hold what cmd asks for, waiting its turn among the
// shop's orders in flight. Errors are *Error (see IsRetriable).
func (s *Sink) Apply(ctx context.Context, cmd *schemas.OrderSync) (Result, error) {
	sh, err := s.shop(cmd.Shop)
	if err != nil {
		return Result{}, err
	}
	// A dead Odoo is not waited for: while its breaker is open, commands go to the
	// retry topics at once (checked again after waiting for a slot).
	if err := sh.brk.blocked(sh.cfg.URL); err != nil {
		return Result{}, err
	}
	select {
	case sh.sem <- struct{}{}:
	case <-ctx.Done():
		return Result{}, classifyTransport("", "apply", ctx.Err())
	}
	defer func() { <-sh.sem }()
	if err := sh.brk.allow(sh.cfg.URL); err != nil {
		return Result{}, err
	}
	defer s.observeBreaker(sh)
	syncer, _, err := s.dial(ctx, sh)
	if err == nil {
		var res Result
		res, err = syncer.Apply(ctx, cmd)
		sh.brk.done(err)
		if s.metrics != nil {
			s.metrics.OdooCallsPerOrder.WithLabelValues(sh.domain).Observe(float64(res.Calls))
		}
		return res, err
	}
	sh.brk.done(err)
	return Result{}, err
}

func (s *Sink) observeBreaker(sh *shop) {
	if s.metrics == nil {
		return
	}
	cur, ep := sh.brk.State(), Endpoint(sh.cfg)
	for _, st := range []breakerState{breakerClosed, breakerOpen, breakerHalfOpen} {
		v := 0.0
		if st == cur {
			v = 1
		}
		s.metrics.OdooBreaker.WithLabelValues(ep, st.String()).Set(v)
	}
}

// observed times every call of a shop's client for the metrics.
type observed struct {
	Client
	shop string
	m    *metrics.Registry
}

func (o observed) Call(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
	start := time.Now()
	res, err := o.Client.Call(ctx, model, method, args, kwargs)
	result := "ok"
	var oe *Error
	switch {
	case err == nil:
	case errors.As(err, &oe) && (oe.Code != 0 || oe.CodeText != "" || oe.Exception != ""):
		result = "fault" // Odoo answered with an error
	default:
		result = "error"
	}
	o.m.OdooRPCSeconds.WithLabelValues(o.shop, model, method, result).Observe(time.Since(start).Seconds())
	return res, err
}

// Client is the shop's Odoo client (dialed on first use), for readers other than the
// Syncer (the catalog of journals, accounts and partners).
func (s *Sink) Client(ctx context.Context, domain string) (Client, error) {
	sh, err := s.shop(domain)
	if err != nil {
		return nil, err
	}
	_, c, err := s.dial(ctx, sh)
	return c, err
}

// Shops lists the domains served.
func (s *Sink) Shops() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.shops))
	for _, sh := range s.shops {
		out = append(out, sh.domain)
	}
	return out
}

func (s *Sink) shop(domain string) (*shop, error) {
	s.mu.Lock()
	sh := s.shops[strings.ToLower(domain)]
	s.mu.Unlock()
	if sh == nil {
		return nil, permanent("", "dial", 0, "", fmt.Sprintf("shop %s has no Odoo configured", domain))
	}
	return sh, nil
}

func (s *Sink) dial(ctx context.Context, sh *shop) (*Syncer, Client, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.syncer != nil {
		return sh.syncer, sh.client, nil
	}
	if sh.err != nil && s.now().Sub(sh.errAt) < dialMemory {
		return nil, nil, sh.err
	}
	if sh.cfg.URL == "" {
		// Simulator: true, and the wiring started none.
		return nil, nil, permanent("", "dial", 0, "", fmt.Sprintf("shop %s: odoo.simulator is set but no Odoo simulator runs in this process", sh.domain))
	}
	dctx, cancel := context.WithTimeout(ctx, 2*max(sh.cfg.ConnectTimeout, DefaultConnectTimeout))
	defer cancel()
	c, err := Dial(dctx, sh.cfg, s.opts...)
	if err != nil {
		sh.err, sh.errAt = wrapDial(sh.domain, err), s.now()
		return nil, nil, sh.err
	}
	if s.metrics != nil {
		c = observed{Client: c, shop: sh.domain, m: s.metrics}
	}
	sh.client, sh.err = c, nil
	sh.syncer = NewSyncer(c, WithLogger(s.log.With("shop", sh.domain)))
	return sh.syncer, c, nil
}

// wrapDial names the shop in a dial failure, keeping its classification.
func wrapDial(domain string, err error) error {
	if oe, ok := err.(*Error); ok {
		e := *oe
		e.Message = "odoo of " + domain + ": " + e.Message
		return &e
	}
	return fmt.Errorf("odoo of %s: %w", domain, err)
}
