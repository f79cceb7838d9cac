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
	stored   func(domain string) (Credentials, error)
}

// Credentials are a shop's Odoo login stored through the API, over its config's.
type Credentials struct {
	Password string
	APIKey   string
}

type shop struct {
	domain string
	cfg    Config
	sem    chan struct{}
	brk    *breaker
	batch  *batcher

	mu     sync.Mutex // held while dialing: single flight per shop
	syncer *Syncer
	client Client
	login  string // the password and API key syncer was dialed with
	err    error
	errAt  time.Time
	said   string // the last stored-credentials problem logged
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

// WithStoredCredentials gives each shop's Odoo login stored through the API: when a
// password or API key is stored, it is used instead of the config's, and a change is
// dialed anew at the shop's next command (no restart).
func WithStoredCredentials(f func(domain string) (Credentials, error)) SinkOption {
	return func(s *Sink) { s.stored = f }
}

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
		sh := &shop{domain: d, cfg: c, sem: make(chan struct{}, max(c.Concurrency, 1)), brk: s.breakers[ep]}
		sh.batch = &batcher{size: max(c.BatchSize, 1), wait: c.BatchWait, run: func(b []*pending) { s.runBatch(sh, b) }}
		s.shops[strings.ToLower(d)] = sh
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

// Apply makes the shop's Odoo hold what cmd asks for. The command joins the shop's
// next batch (batch_size, batch_wait), which waits its turn among the shop's batches in
// flight (concurrency). Errors are *Error (see IsRetriable). Commands of one order must
// not be applied at once (the runner's lanes see to it).
func (s *Sink) Apply(ctx context.Context, cmd *schemas.OrderSync) (Result, error) {
	sh, err := s.shop(cmd.Shop)
	if err != nil {
		return Result{}, err
	}
	// A dead Odoo is not waited for: while its breaker is open, commands go to the
	// retry topics at once (checked again when the batch gets its slot).
	if err := sh.brk.blocked(sh.cfg.URL); err != nil {
		return Result{}, err
	}
	p := &pending{ctx: ctx, cmd: cmd, done: make(chan struct{})}
	sh.batch.submit(p)
	select {
	case <-p.done:
		return p.res, p.err
	case <-ctx.Done():
		// The batch may still apply it: the command is not finished for the caller,
		// who sees it again (Apply is idempotent).
		return Result{}, classifyTransport("", "apply", ctx.Err())
	}
}

// runBatch applies one batch of a shop's commands under one slot of the shop's
// concurrency: one look-up for all, the new orders made together (Batch.ApplyAll), then
// what is left of each command in turn.
func (s *Sink) runBatch(sh *shop, batch []*pending) {
	ctx, cancel := batchContext(batch)
	defer cancel()
	finish := func(p *pending, res Result, err error) {
		p.res, p.err = res, err
		close(p.done)
	}
	select {
	case sh.sem <- struct{}{}:
	case <-ctx.Done():
		for _, p := range batch {
			finish(p, Result{}, classifyTransport("", "apply", ctx.Err()))
		}
		return
	}
	defer func() { <-sh.sem }()
	defer s.observeBreaker(sh)
	if err := sh.brk.allow(sh.cfg.URL); err != nil {
		for _, p := range batch {
			finish(p, Result{}, err)
		}
		return
	}
	syncer, _, err := s.dial(ctx, sh)
	if err != nil {
		sh.brk.done(err)
		for _, p := range batch {
			finish(p, Result{}, err)
		}
		return
	}
	// Commands whose callers gave up (a shutdown) are left out: the caller sees them again.
	var live []*pending
	for _, p := range batch {
		if p.ctx.Err() != nil {
			finish(p, Result{}, classifyTransport("", "apply", p.ctx.Err()))
			continue
		}
		live = append(live, p)
	}
	if len(live) == 0 {
		return
	}
	cmds := make([]*schemas.OrderSync, len(live))
	for i, p := range live {
		cmds[i] = p.cmd
	}
	b, err := syncer.Prefetch(ctx, cmds)
	var results []Result
	var errs []error
	switch {
	case err == nil:
		// The batch's new orders go into Odoo together, the others one by one.
		results, errs = b.ApplyAll(ctx, cmds)
	case !IsRetriable(err) || !unreachable(err):
		// Odoo would not do the batch's look-up: each order finds its own records.
		s.log.Warn("odoo: batch look-up refused; each order looks up its own records", "shop", sh.domain, "orders", len(live), "err", err)
		results, errs = make([]Result, len(live)), make([]error, len(live))
		for i, p := range live {
			results[i], errs[i] = syncer.Apply(ctx, p.cmd)
		}
	default:
		sh.brk.done(err)
		for _, p := range live {
			finish(p, Result{}, err)
		}
		return
	}
	for i, p := range live {
		sh.brk.done(errs[i])
		if s.metrics != nil {
			s.metrics.OdooCallsPerOrder.WithLabelValues(sh.domain).Observe(float64(results[i].Calls))
		}
		finish(p, results[i], errs[i])
	}
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
	cfg := s.login(sh)
	login := cfg.Password + "\x00" + cfg.APIKey
	if sh.syncer != nil && sh.login == login {
		return sh.syncer, sh.client, nil
	}
	if sh.syncer != nil {
		// Stored credentials changed: the next commands use a client that logs in with
		// them (the old one's calls in flight finish as they are).
		s.log.Info("odoo credentials changed: dialing anew", "shop", sh.domain)
		sh.syncer, sh.client = nil, nil
	}
	if sh.err != nil && sh.login == login && s.now().Sub(sh.errAt) < dialMemory {
		return nil, nil, sh.err
	}
	sh.login = login
	if sh.cfg.URL == "" {
		// Simulator: true, and the wiring started none.
		return nil, nil, permanent("", "dial", 0, "", fmt.Sprintf("shop %s: odoo.simulator is set but no Odoo simulator runs in this process", sh.domain))
	}
	dctx, cancel := context.WithTimeout(ctx, 2*max(sh.cfg.ConnectTimeout, DefaultConnectTimeout))
	defer cancel()
	c, err := Dial(dctx, cfg, s.opts...)
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

// login is the shop's Odoo block with the password and API key stored through the API
// in place of the config's; a stored record that cannot be opened is logged once and the
// config's are used.
func (s *Sink) login(sh *shop) Config {
	cfg := sh.cfg
	if s.stored == nil {
		return cfg
	}
	cr, err := s.stored(sh.domain)
	if err != nil {
		if sh.said != err.Error() {
			sh.said = err.Error()
			s.log.Error("the shop's stored Odoo credentials cannot be read; using the config's", "shop", sh.domain, "err", err)
		}
		return cfg
	}
	sh.said = ""
	if cr.Password != "" || cr.APIKey != "" {
		// The stored login replaces the config's whole (XML-RPC takes the password
		// before the API key: a stored key must not lose to the config's password).
		cfg.Password, cfg.APIKey = cr.Password, cr.APIKey
	}
	return cfg
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
