// Package api is the query service's HTTP API (CONTRACT.md, "Query HTTP") and the
// dashboard, over ClickHouse; it writes to Kafka only through SettingsStore and
// SyncRequester.
//
// Where the contract leaves room, the API does this:
//
//   - Auth: `Authorization: Bearer <token>`, compared in constant time against every
//     configured token; missing or wrong is 401 with WWW-Authenticate. A shop that is
//     not configured or not visible to the token is 404 (the same answer for both).
//   - GET /api/shops answers {"shops": [{"domain": "…"}]}.
//   - Order table tabs: synced = status synced; not_synced = any other status (not
//     in Odoo yet, including in progress, delayed and failed); eligible = the rules
//     say sync it (any status); sale_order = odoo_model sale.order; invoice = has an
//     invoice (invoice_id, or the record is an account.move).
//   - q without id_type matches order name, email, customer name and Odoo record name
//     (case-insensitive substrings) and, when numeric, the Odoo id, invoice id or
//     Shopify order id. id_type=odoo: the Odoo id (or, if not a number, the Odoo name);
//     id_type=invoice: the invoice id (a number, else 400).
//   - sort=order sorts by Shopify order id (which grows with the order number, and
//     sorts numerically unlike "#999"/"#1000"); customer is case-insensitive; ties are
//     broken by order id. Default sort=date; default dir desc, asc for customer.
//   - Cursors are opaque keyset positions bound to their sort and dir (another sort
//     with an old cursor is 400 on `cursor`). next_cursor / prev_cursor are null when
//     there is no such page. total counts every row matching the filters.
//   - view=<id>: the saved view's filters apply, and explicit parameters override them
//     one by one; an unknown view is 400 on `view`.
//   - GET /orders/{id} is the order object plus "history": its sync_events, oldest
//     first (at is RFC3339 UTC with milliseconds).
//   - POST /sync answers 202 {"queued": N, "request_id": "…"}; order ids may be
//     numbers or strings, duplicates count once; all_eligible counts eligible orders
//     whose status is not synced. The request goes out even when N is 0: ingest
//     decides from Shopify, ClickHouse may lag. A publish failure is 503.
//   - /jobs: waiting = eligible and not_synced; active = in_progress; delayed;
//     failed; needs_attention (Odoo refused the order's latest change). The "not
//     synced" tab (status != synced) holds needs_attention orders too, and
//     status=needs_attention filters them.
//   - GET /gateways answers {"gateways": ["manual", "shopify_payments"]}: the
//     payment gateways of the shop's orders, sorted, [] when none.
//   - PUT /settings and /settings/preview read the body like the config file does:
//     onto the defaults (a field left out takes its default value), unknown fields
//     400, then rules.Validate (400 naming each field). PUT answers the stored
//     settings. Preview compares with the eligibility stored for each order now.
//   - /odoo/journals (?type=sale,bank), /odoo/accounts (income accounts) and
//     /odoo/partners (?q, ?limit; customers, newest first, at most 2,000, truncated
//     true when Odoo may have more) answer the lists that sink/catalog last read from
//     the shop's Odoo, with refreshed_at (null and empty lists before the first read).
//     503 while the catalog topic is still being read (or not wired).
//   - Views: POST {"name", "filters"} → 201; PATCH changes name and/or replaces the
//     filters; DELETE → 204; duplicate → 201 "<name> (copy)". Filters are validated
//     like the order table's parameters (400 on `filters.<field>`).
//   - Errors are {"error": "…", "fields": {…}}, fields only when a field is to blame.
package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/platform/metrics"
	"github.com/synco-dev/synco/query/dashboard"
	"github.com/synco-dev/synco/query/orders"
	"github.com/synco-dev/synco/query/views"
	"github.com/synco-dev/synco/schemas"
)

// SettingsStore holds every shop's settings (implemented over the compacted
// synco.settings topic).
type SettingsStore interface {
	Get(shop string) (schemas.ShopSettings, bool)
	Put(ctx context.Context, s schemas.ShopSettings) error // publishes; Get reflects it soon after
}

// SyncRequester asks ingest to fetch orders from Shopify and send them through again
// (the synco.requests topic).
type SyncRequester interface {
	RequestSync(ctx context.Context, r schemas.SyncRequest) error
}

// Deps is what the API needs.
type Deps struct {
	CH       driver.Conn // ClickHouse, already migrated
	Tokens   []config.APIToken
	Shops    []string // configured shop domains
	Settings SettingsStore
	Requests SyncRequester
	Logger   *slog.Logger

	// Optional.
	OdooURL func(shop string) string // base URL of the shop's Odoo, for odoo_url; nil or "": odoo_url is empty
	Metrics http.Handler             // served on GET /metrics when set
	// Registry, when set, gets each request's latency by route (the route's
	// pattern, never the raw path: shop domains and ids stay out of label values).
	Registry *metrics.Registry
	Catalog  OdooCatalogs // journals, accounts, customers of each shop's Odoo; nil: /odoo/* answer 503
	Jobs     BackfillJobs // backfill progress (synco.jobs); nil: GET /backfill answers 503
	// ShopifyAPI says whether Synco can read a shop's orders from Shopify (it has an
	// Admin API token); nil: every shop can.
	ShopifyAPI func(shop string) bool
	Secrets    SecretStore // credentials stored through the API; nil: /credentials answer 503
}

type server struct {
	d      Deps
	log    *slog.Logger
	orders *orders.Store
	views  *views.Store
	tokens []tokenEntry
	shops  []string // lower case, configured order
}

type tokenEntry struct {
	sum  [sha256.Size]byte
	tok  config.APIToken
	name string // what a log or a SyncRequest may say about the token: a hash prefix
}

const localToken = "token"

// New builds the app with every route; the caller runs app.Listener(ln).
func New(d Deps) *fiber.App {
	s := &server{d: d, log: d.Logger, orders: orders.NewStore(d.CH), views: views.NewStore(d.CH)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, t := range d.Tokens {
		if t.Token == "" {
			continue // an empty token must never match an empty header
		}
		sum := sha256.Sum256([]byte(t.Token))
		s.tokens = append(s.tokens, tokenEntry{sum: sum, tok: t, name: "token:" + hex.EncodeToString(sum[:4])})
	}
	for _, sh := range d.Shops {
		s.shops = append(s.shops, strings.ToLower(sh))
	}

	app := fiber.New(fiber.Config{
		AppName:               "synco-query",
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		BodyLimit:             1 << 20,
	})
	app.Use(recover.New())
	app.Use(s.accessLog)

	app.Get("/", dashboard.Handler)
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", s.ready)
	if d.Metrics != nil {
		app.Get("/metrics", adaptor.HTTPHandler(d.Metrics))
	}

	api := app.Group("/api", s.auth)
	api.Get("/shops", s.listShops)
	sh := "/shops/:shop"
	api.Get(sh+"/orders", s.shop(s.listOrders))
	api.Get(sh+"/orders/:order_id", s.shop(s.getOrder))
	api.Post(sh+"/sync", s.shop(s.sync))
	api.Get(sh+"/jobs", s.shop(s.jobs))
	api.Get(sh+"/gateways", s.shop(s.gateways))
	api.Get(sh+"/settings", s.shop(s.getSettings))
	api.Put(sh+"/settings", s.shop(s.putSettings))
	api.Post(sh+"/settings/preview", s.shop(s.previewSettings))
	api.Get(sh+"/odoo/journals", s.shop(s.odooJournals))
	api.Get(sh+"/odoo/accounts", s.shop(s.odooAccounts))
	api.Get(sh+"/odoo/partners", s.shop(s.odooPartners))
	api.Get(sh+"/views", s.shop(s.listViews))
	api.Post(sh+"/views", s.shop(s.createView))
	api.Patch(sh+"/views/:id", s.shop(s.updateView))
	api.Delete(sh+"/views/:id", s.shop(s.deleteView))
	api.Post(sh+"/views/:id/duplicate", s.shop(s.duplicateView))
	s.backfillRoutes(api, sh)
	s.credentialRoutes(api, sh)
	api.Use(func(c *fiber.Ctx) error { return fail(c, fiber.StatusNotFound, "no such API route", nil) })
	return app
}

// apiError is the JSON every error answers with.
type apiError struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

func fail(c *fiber.Ctx, status int, msg string, fields map[string]string) error {
	return c.Status(status).JSON(apiError{Error: msg, Fields: fields})
}

func badRequest(c *fiber.Ctx, msg string, fields map[string]string) error {
	return fail(c, fiber.StatusBadRequest, msg, fields)
}

// internal logs err and answers 500 (503 when ClickHouse or Kafka timed out) without
// leaking details beyond a short reason.
func (s *server) internal(c *fiber.Ctx, what string, err error) error {
	s.log.Error(what, "path", c.Path(), "err", err)
	if errors.Is(err, context.DeadlineExceeded) {
		return fail(c, fiber.StatusServiceUnavailable, what+": timed out", nil)
	}
	return fail(c, fiber.StatusInternalServerError, what, nil)
}

func (s *server) errorHandler(c *fiber.Ctx, err error) error {
	code := fiber.StatusInternalServerError
	msg := "internal error"
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code, msg = fe.Code, fe.Message
	} else {
		s.log.Error("request failed", "path", c.Path(), "err", err)
	}
	return fail(c, code, msg, nil)
}

func (s *server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := s.errorHandler(c, err); herr != nil {
			return herr
		}
	}
	status := c.Response().StatusCode()
	lvl := slog.LevelDebug
	if status >= 500 {
		lvl = slog.LevelWarn
	}
	s.log.Log(c.UserContext(), lvl, "http", "method", c.Method(), "path", c.Path(), "status", status,
		"ms", time.Since(start).Milliseconds())
	if s.d.Registry != nil {
		// Fiber answers an unmatched path on a placeholder route "/".
		route := c.Route().Path
		if route == "/" && c.Path() != "/" {
			route = "unmatched"
		}
		s.d.Registry.HTTPSeconds.WithLabelValues("query", route, c.Method(), strconv.Itoa(status)).Observe(time.Since(start).Seconds())
	}
	return nil
}

func (s *server) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	if err := s.d.CH.Ping(ctx); err != nil {
		return fail(c, fiber.StatusServiceUnavailable, "clickhouse: "+err.Error(), nil)
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

// auth lets a request through only with a configured bearer token. Every token is
// compared (in constant time, over hashes so lengths do not leak) before deciding.
func (s *server) auth(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	scheme, tok, _ := strings.Cut(strings.TrimSpace(h), " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="synco"`)
		return fail(c, fiber.StatusUnauthorized, "missing bearer token (Authorization: Bearer <token>)", nil)
	}
	sum := sha256.Sum256([]byte(tok))
	found := -1
	for i := range s.tokens {
		if subtle.ConstantTimeCompare(sum[:], s.tokens[i].sum[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="synco", error="invalid_token"`)
		return fail(c, fiber.StatusUnauthorized, "invalid bearer token", nil)
	}
	c.Locals(localToken, &s.tokens[found])
	return c.Next()
}

func token(c *fiber.Ctx) *tokenEntry { return c.Locals(localToken).(*tokenEntry) }

// visibleShops are the configured shops the request's token may see.
func (s *server) visibleShops(c *fiber.Ctx) []string {
	t := token(c)
	out := []string{}
	for _, sh := range s.shops {
		if t.tok.Allows(sh) {
			out = append(out, sh)
		}
	}
	return out
}

// shop wraps a handler of /api/shops/{shop}/…: a shop that is not configured, or that
// the token may not see, is a 404 (the same answer, so a token cannot probe for shops).
func (s *server) shop(h func(c *fiber.Ctx, shop string) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		want := strings.ToLower(c.Params("shop"))
		for _, sh := range s.visibleShops(c) {
			if sh == want {
				return h(c, sh)
			}
		}
		return fail(c, fiber.StatusNotFound, "shop not found", nil)
	}
}

type shopInfo struct {
	Domain string `json:"domain"`
}

func (s *server) listShops(c *fiber.Ctx) error {
	out := []shopInfo{}
	for _, sh := range s.visibleShops(c) {
		out = append(out, shopInfo{Domain: sh})
	}
	return c.JSON(fiber.Map{"shops": out})
}

// ctx bounds a request's work on ClickHouse and Kafka.
func reqCtx(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), 30*time.Second)
}

func parseUint(s string) (uint64, bool) {
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n > 0
}
