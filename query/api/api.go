// Package api is the query service's HTTP API (CONTRACT.md, "Query HTTP") and the
// dashboard, over ClickHouse; it writes to Kafka only through SettingsStore and
// SyncRequester.
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
	api.Get(sh+"/settings", s.shop(s.getSettings))
	api.Put(sh+"/settings", s.shop(s.putSettings))
	api.Post(sh+"/settings/preview", s.shop(s.previewSettings))
	api.Get(sh+"/views", s.shop(s.listViews))
	api.Post(sh+"/views", s.shop(s.createView))
	api.Patch(sh+"/views/:id", s.shop(s.updateView))
	api.Delete(sh+"/views/:id", s.shop(s.deleteView))
	api.Post(sh+"/views/:id/duplicate", s.shop(s.duplicateView))
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
