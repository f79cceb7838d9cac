package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Config says how to reach one shop.
type Config struct {
	// Shop is the shop's domain (demo.myshopify.com); it keys the cost bucket.
	Shop string
	// Token is the shop's Admin API access token, sent as X-Shopify-Access-Token.
	Token string
	// Endpoint is the GraphQL URL; empty means https://<Shop>/admin/api/<APIVersion>/
	// graphql.json. A URL naming another API version is refused: the generated code
	// speaks APIVersion only.
	Endpoint string
	// HTTP is the HTTP client; nil means one with a 60 s timeout.
	HTTP *http.Client
	// Limiters hold the per-shop buckets; nil means Shared (process-wide).
	Limiters *Limiters
	// MaxAttempts bounds tries of one call for transient failures (5xx, network); 0
	// means 6. Waiting on THROTTLED does not count against it (it is bounded by
	// MaxThrottleWaits and by ctx).
	MaxAttempts int
	// MaxThrottleWaits bounds the THROTTLED answers one call accepts; 0 means 20.
	MaxThrottleWaits int
	// BackoffBase and BackoffMax shape the exponential backoff with full jitter
	// between transient failures; 0 means 500 ms and 30 s.
	BackoffBase, BackoffMax time.Duration
	// UserAgent is sent with each request; empty means "synco".
	UserAgent string
}

// Client calls one shop's Admin GraphQL API. It implements genqlient's graphql.Client,
// so the generated functions take it; the methods in this package are the typed
// operations Synco uses. Safe for concurrent use.
type Client struct {
	cfg      Config
	endpoint string
	http     *http.Client
	bucket   *Bucket
	sleep    func(context.Context, time.Duration) error
}

var _ graphql.Client = (*Client)(nil)

var versionInPath = regexp.MustCompile(`/admin/api/([^/]+)/graphql\.json$`)

// New returns a client for cfg.Shop.
func New(cfg Config) (*Client, error) {
	if cfg.Shop == "" {
		return nil, errors.New("shopify admin: shop is required")
	}
	if cfg.Token == "" {
		return nil, fmt.Errorf("shopify admin %s: access token is required", cfg.Shop)
	}
	ep := cfg.Endpoint
	if ep == "" {
		ep = "https://" + cfg.Shop + "/admin/api/" + APIVersion + "/graphql.json"
	}
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("shopify admin %s: endpoint %q is not an http(s) URL", cfg.Shop, ep)
	}
	if m := versionInPath.FindStringSubmatch(u.Path); m != nil && m[1] != APIVersion {
		return nil, fmt.Errorf("shopify admin %s: endpoint names API version %s; Synco speaks %s", cfg.Shop, m[1], APIVersion)
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.Limiters == nil {
		cfg.Limiters = Shared
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.MaxThrottleWaits <= 0 {
		cfg.MaxThrottleWaits = 20
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = 500 * time.Millisecond
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 30 * time.Second
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "synco"
	}
	return &Client{cfg: cfg, endpoint: ep, http: cfg.HTTP, bucket: cfg.Limiters.For(cfg.Shop), sleep: cfg.Limiters.sleep}, nil
}

// Shop is the shop this client calls.
func (c *Client) Shop() string { return c.cfg.Shop }

// Bucket is the shop's cost bucket (shared with every other client of the shop).
func (c *Client) Bucket() *Bucket { return c.bucket }

// envelope is a GraphQL answer as Shopify sends it. errors is an array of GraphQL
// errors, or a plain string on HTTP-level failures ({"errors":"[API] Invalid API key
// or access token ..."}).
type envelope struct {
	Data       json.RawMessage `json:"data"`
	Errors     json.RawMessage `json:"errors"`
	Extensions struct {
		Cost *Cost `json:"cost"`
	} `json:"extensions"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// MakeRequest sends one operation, waiting for the shop's bucket, retrying transient
// failures with backoff and THROTTLED answers after the wait Shopify's numbers ask for.
// Errors are *Error.
func (c *Client) MakeRequest(ctx context.Context, req *graphql.Request, resp *graphql.Response) error {
	body, err := json.Marshal(req)
	if err != nil {
		return &Error{Shop: c.cfg.Shop, Op: req.OpName, Message: "encode request: " + err.Error()}
	}
	attempt, throttled := 0, 0
	for {
		attempt++
		reserved, err := c.bucket.acquire(ctx, req.OpName)
		if err != nil {
			return transportError(c.cfg.Shop, req.OpName, err)
		}
		env, retryAfter, callErr := c.roundTrip(ctx, req.OpName, body)
		var cost *Cost
		if env != nil {
			cost = env.Extensions.Cost
		}
		c.bucket.release(req.OpName, reserved, cost)
		if callErr == nil {
			callErr = c.decode(req.OpName, env, resp)
		}
		if callErr == nil {
			return nil
		}
		var se *Error
		if !errors.As(callErr, &se) || !se.Retriable {
			return callErr
		}
		if se.Code == CodeThrottled && cost != nil {
			throttled++
			attempt-- // waiting for points is not a failed attempt
			if throttled > c.cfg.MaxThrottleWaits {
				return callErr
			}
			if err := c.bucket.waitFor(ctx, cost.RequestedQueryCost); err != nil {
				return transportError(c.cfg.Shop, req.OpName, err)
			}
			continue
		}
		if attempt >= c.cfg.MaxAttempts {
			return callErr
		}
		wait := c.backoff(attempt)
		if retryAfter > wait {
			wait = retryAfter
		}
		if err := c.sleep(ctx, wait); err != nil {
			return transportError(c.cfg.Shop, req.OpName, err)
		}
	}
}

// backoff is the full-jitter exponential delay before try attempt+1.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.BackoffBase << min(attempt-1, 20)
	if d <= 0 || d > c.cfg.BackoffMax {
		d = c.cfg.BackoffMax
	}
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

const maxResponse = 256 << 20

// roundTrip posts body and reads the envelope. A non-nil error is classified; env may
// be set alongside it (a 5xx with a JSON body).
func (c *Client) roundTrip(ctx context.Context, op string, body []byte) (*envelope, time.Duration, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, 0, &Error{Shop: c.cfg.Shop, Op: op, Message: "build request: " + err.Error()}
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("X-Shopify-Access-Token", c.cfg.Token)
	hreq.Header.Set("User-Agent", c.cfg.UserAgent)
	hresp, err := c.http.Do(hreq)
	if err != nil {
		return nil, 0, transportError(c.cfg.Shop, op, scrub(err, c.cfg.Token))
	}
	defer hresp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(hresp.Body, maxResponse))
	if err != nil {
		return nil, 0, transportError(c.cfg.Shop, op, err)
	}
	retryAfter := parseRetryAfter(hresp.Header.Get("Retry-After"))
	var env envelope
	jerr := json.Unmarshal(raw, &env)
	if hresp.StatusCode != http.StatusOK {
		e := &Error{Shop: c.cfg.Shop, Op: op, Status: hresp.StatusCode, Retriable: retriableStatus(hresp.StatusCode)}
		e.Message = httpErrorMessage(hresp.StatusCode, &env, jerr, raw)
		if jerr != nil {
			return nil, retryAfter, e
		}
		return &env, retryAfter, e
	}
	if jerr != nil {
		// A 200 that is not JSON is a proxy or an outage page: worth another try.
		return nil, 0, &Error{Shop: c.cfg.Shop, Op: op, Status: 200, Message: "response is not JSON: " + jerr.Error(), Retriable: true}
	}
	return &env, 0, nil
}

// decode fills resp from env, turning GraphQL errors into an *Error.
func (c *Client) decode(op string, env *envelope, resp *graphql.Response) error {
	if len(env.Errors) > 0 && string(env.Errors) != "null" {
		var list []gqlError
		if err := json.Unmarshal(env.Errors, &list); err != nil {
			var s string
			_ = json.Unmarshal(env.Errors, &s)
			return &Error{Shop: c.cfg.Shop, Op: op, Status: 200, Message: s}
		}
		if len(list) > 0 {
			e := &Error{Shop: c.cfg.Shop, Op: op, Status: 200, Message: list[0].Message}
			if code, ok := list[0].Extensions["code"].(string); ok {
				e.Code = code
			}
			e.Retriable = retriableCode(e.Code)
			if len(list) > 1 {
				e.Message = fmt.Sprintf("%s (and %d more errors)", e.Message, len(list)-1)
			}
			for _, g := range list {
				resp.Errors = append(resp.Errors, &gqlerror.Error{Message: g.Message, Extensions: g.Extensions})
			}
			return e
		}
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return &Error{Shop: c.cfg.Shop, Op: op, Status: 200, Message: "response has no data", Retriable: true}
	}
	if err := json.Unmarshal(env.Data, resp.Data); err != nil {
		// The schema says what comes back; an answer that does not fit is a bug here or
		// there, not something a retry fixes.
		return &Error{Shop: c.cfg.Shop, Op: op, Status: 200, Message: "decode data: " + err.Error()}
	}
	return nil
}

func httpErrorMessage(status int, env *envelope, jerr error, raw []byte) string {
	if jerr == nil && len(env.Errors) > 0 {
		var s string
		if json.Unmarshal(env.Errors, &s) == nil {
			return s
		}
		var list []gqlError
		if json.Unmarshal(env.Errors, &list) == nil && len(list) > 0 {
			return list[0].Message
		}
	}
	msg := strings.TrimSpace(string(raw))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return msg
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 {
		return time.Duration(f * float64(time.Second))
	}
	return 0
}

// scrub keeps the token out of a transport error's text (a URL in an error never
// carries it, but a proxy's message could echo headers).
func scrub(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "[token]"))
}
