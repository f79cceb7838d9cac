// Package odoo owns everything the sink knows about Odoo: each shop's Odoo config
// block (Config), dialing and the per-shop client cache (Sink, the one type the Kafka
// runner calls), the two ways of talking to Odoo behind one Client (XML-RPC for every
// version through the shared codec, JSON-2 for 19 and later), the classification of
// every Odoo failure as retriable or not, and the Syncer that finds or creates
// customers, products, taxes, sale orders and invoices idempotently.
package odoo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Client is one connection to one Odoo database. Values going in are Go strings, bools,
// ints, float64s, slices and string-keyed maps (never nil, never decimals: see
// money.go); values coming back are normalised the same way by both implementations:
// int64, float64, bool, string, []any, map[string]any (and nil from JSON-2 only).
// Every failure is an *Error. Implementations are safe for concurrent use.
type Client interface {
	// Version is the server's major version (16, 17, ... 19), asked once and cached.
	Version(ctx context.Context) (int, error)
	// Call runs model.method as execute_kw would: positional args and keyword kwargs
	// (kwargs may hold "context").
	Call(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error)
}

// Option tunes a client.
type Option func(*options)

type options struct {
	http        *http.Client
	maxInFlight int
	timeout     time.Duration
	version     int
	userAgent   string
}

// WithHTTPClient sets the HTTP client (transport, proxies, TLS).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.http = c } }

// MaxInFlight bounds the calls in flight to this Odoo at once (config odoo.concurrency);
// 0 means no bound.
func MaxInFlight(n int) Option { return func(o *options) { o.maxInFlight = n } }

// CallTimeout bounds each call (default DefaultCallTimeout).
func CallTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// KnownVersion skips asking the server for its version.
func KnownVersion(major int) Option { return func(o *options) { o.version = major } }

func buildOptions(opts []Option) options {
	o := options{timeout: DefaultCallTimeout, userAgent: "synco-sink-odoo"}
	for _, f := range opts {
		f(&o)
	}
	if o.http == nil {
		o.http = &http.Client{}
	}
	return o
}

// limiter is a counting semaphore; a nil limiter does not limit.
type limiter chan struct{}

func newLimiter(n int) limiter {
	if n <= 0 {
		return nil
	}
	return make(limiter, n)
}

func (l limiter) acquire(ctx context.Context) error {
	if l == nil {
		return nil
	}
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l limiter) release() {
	if l != nil {
		<-l
	}
}

// Dial makes the client a shop's Odoo config asks for. With protocol auto it asks
// common.version() over XML-RPC (no credentials needed) and uses JSON-2 on 19+ when an
// API key is configured, XML-RPC otherwise. Dial does not log in: the XML-RPC client
// authenticates on its first call. Options given win over the config's.
func Dial(ctx context.Context, cfg Config, opts ...Option) (Client, error) {
	url := strings.TrimRight(cfg.URL, "/")
	base := []Option{WithHTTPClient(httpClient(cfg.ConnectTimeout))}
	if cfg.Concurrency > 0 {
		base = append(base, MaxInFlight(cfg.Concurrency))
	}
	if cfg.CallTimeout > 0 {
		base = append(base, CallTimeout(cfg.CallTimeout))
	}
	opts = append(base, opts...)
	key := cfg.APIKey
	if key == "" {
		key = cfg.Password
	}
	switch strings.ToLower(cfg.Protocol) {
	case ProtocolXMLRPC:
		return NewXMLRPC(url, cfg.DB, cfg.Username, passwordOrKey(cfg), opts...), nil
	case ProtocolJSON2:
		return NewJSON2(url, cfg.DB, key, opts...), nil
	case ProtocolAuto, "":
		x := NewXMLRPC(url, cfg.DB, cfg.Username, passwordOrKey(cfg), opts...)
		v, err := x.Version(ctx)
		if err != nil {
			return nil, err
		}
		if v >= 19 && cfg.APIKey != "" {
			return NewJSON2(url, cfg.DB, cfg.APIKey, append(opts, KnownVersion(v))...), nil
		}
		return x, nil
	}
	return nil, permanent("", "dial", 0, "", fmt.Sprintf("unknown Odoo protocol %q (auto, xmlrpc or json2)", cfg.Protocol))
}

// httpClient has a short connect timeout: a down Odoo answers "no" in seconds, and
// the call timeout bounds the rest. Odoo closes every connection (Connection: close),
// so keep-alive buys nothing.
func httpClient(connect time.Duration) *http.Client {
	if connect <= 0 {
		connect = DefaultConnectTimeout
	}
	return &http.Client{Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: connect,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
	}}
}

// passwordOrKey: XML-RPC takes an API key in place of the password too.
func passwordOrKey(cfg Config) string {
	if cfg.Password != "" {
		return cfg.Password
	}
	return cfg.APIKey
}

// post sends one call's body under the in-flight limit and the call timeout, and
// returns the HTTP status and body. Its error is a transport failure, classified.
func post(ctx context.Context, o *options, lim limiter, url string, headers map[string]string, body []byte, model, method string) (int, []byte, error) {
	if err := lim.acquire(ctx); err != nil {
		return 0, nil, classifyTransport(model, method, err)
	}
	defer lim.release()
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, permanent(model, method, 0, "", err.Error())
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", o.userAgent)
	resp, err := o.http.Do(req)
	if err != nil {
		return 0, nil, classifyTransport(model, method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, classifyTransport(model, method, err)
	}
	return resp.StatusCode, data, nil
}
