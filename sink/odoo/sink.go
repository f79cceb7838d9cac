package odoo

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

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
	log   *slog.Logger
	opts  []Option
	now   func() time.Time
	mu    sync.Mutex
	shops map[string]*shop // by lower-case domain
}

type shop struct {
	domain string
	cfg    Config
	sem    chan struct{}

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

// WithSinkLogger logs what the Syncers create and change.
func WithSinkLogger(l *slog.Logger) SinkOption { return func(s *Sink) { s.log = l } }

// NewSink serves the shops given (domain → its Odoo block, defaults applied).
func NewSink(shops map[string]Config, opts ...SinkOption) *Sink {
	s := &Sink{log: slog.New(slog.DiscardHandler), now: time.Now, shops: map[string]*shop{}}
	for _, o := range opts {
		o(s)
	}
	for d, c := range shops {
		s.shops[strings.ToLower(d)] = &shop{domain: d, cfg: c, sem: make(chan struct{}, max(c.Concurrency, 1))}
	}
	return s
}

// Apply makes the shop's Odoo hold what cmd asks for, waiting its turn among the
// shop's orders in flight. Errors are *Error (see IsRetriable).
func (s *Sink) Apply(ctx context.Context, cmd *schemas.OrderSync) (Result, error) {
	sh, err := s.shop(cmd.Shop)
	if err != nil {
		return Result{}, err
	}
	select {
	case sh.sem <- struct{}{}:
	case <-ctx.Done():
		return Result{}, classifyTransport("", "apply", ctx.Err())
	}
	defer func() { <-sh.sem }()
	syncer, _, err := s.dial(ctx, sh)
	if err != nil {
		return Result{}, err
	}
	return syncer.Apply(ctx, cmd)
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
