package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/gofiber/fiber/v2"
	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/chstore/chtest"
	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/query/api"
	"github.com/synco-dev/synco/schemas"
)

const (
	shopA      = "alpha.myshopify.com"
	shopB      = "beta.myshopify.com"
	adminToken = "admin-token-0123456789abcdef"
	alphaToken = "alpha-token-0123456789abcdef"
)

// fakeSettings is the settings topic as the API sees it: an outside collaborator.
type fakeSettings struct {
	mu   sync.Mutex
	m    map[string]schemas.ShopSettings
	puts []schemas.ShopSettings
}

func (f *fakeSettings) Get(shop string) (schemas.ShopSettings, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.m[shop]
	return s, ok
}

func (f *fakeSettings) Put(_ context.Context, s schemas.ShopSettings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[s.Shop] = s
	f.puts = append(f.puts, s)
	return nil
}

// fakeRequester records the sync requests the API publishes.
type fakeRequester struct {
	mu   sync.Mutex
	reqs []schemas.SyncRequest
	err  error
}

func (f *fakeRequester) RequestSync(_ context.Context, r schemas.SyncRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.reqs = append(f.reqs, r)
	return nil
}

func (f *fakeRequester) all() []schemas.SyncRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]schemas.SyncRequest(nil), f.reqs...)
}

// fakeCatalogs is the materialised synco.odoo.catalog topic (query/catalog has its own tests).
type fakeCatalogs struct {
	mu       sync.Mutex
	m        map[string]schemas.OdooCatalog
	notReady bool
}

func (f *fakeCatalogs) Get(shop string) (schemas.OdooCatalog, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.m[shop]
	return c, ok
}

func (f *fakeCatalogs) Ready() bool { f.mu.Lock(); defer f.mu.Unlock(); return !f.notReady }

func (f *fakeCatalogs) put(c schemas.OdooCatalog) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[c.Shop] = c
}

type env struct {
	t        testing.TB
	ch       driver.Conn
	app      *fiber.App
	settings *fakeSettings
	requests *fakeRequester
	catalogs *fakeCatalogs
	jobs     *fakeJobs
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{
		t:        t,
		ch:       chtest.New(t).Conn,
		settings: &fakeSettings{m: map[string]schemas.ShopSettings{}},
		requests: &fakeRequester{},
		catalogs: &fakeCatalogs{m: map[string]schemas.OdooCatalog{}},
		jobs:     &fakeJobs{m: map[string]schemas.Job{}},
	}
	e.app = api.New(api.Deps{
		Catalog: e.catalogs,
		Jobs:    e.jobs,
		CH:      e.ch,
		Tokens: []config.APIToken{
			{Token: adminToken, Shops: []string{"*"}},
			{Token: alphaToken, Shops: []string{shopA}},
		},
		Shops:    []string{shopA, shopB},
		Settings: e.settings,
		Requests: e.requests,
		OdooURL: func(shop string) string {
			if shop == shopA {
				return "http://odoo.test:8069/"
			}
			return ""
		},
	})
	return e
}

// do sends a request with token (empty: none) and body (nil, a string, or a value sent
// as JSON), returning the status and body.
func (e *env) do(method, path, token string, body any) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.app.Test(req, -1)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// call is do expecting want, decoding the JSON answer into out (when not nil).
func (e *env) call(method, path string, body any, want int, out any) []byte {
	e.t.Helper()
	code, b := e.do(method, path, adminToken, body)
	if code != want {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, code, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return b
}

type errBody struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields"`
}

// badRequest calls expecting a 400 that names field (when not empty).
func (e *env) expectError(method, path string, body any, want int, field string) errBody {
	e.t.Helper()
	var eb errBody
	e.call(method, path, body, want, &eb)
	if eb.Error == "" {
		e.t.Errorf("%s %s: error message is empty", method, path)
	}
	if field != "" {
		if _, ok := eb.Fields[field]; !ok {
			e.t.Errorf("%s %s: fields %v do not name %q", method, path, eb.Fields, field)
		}
	}
	return eb
}

// testOrder is a row of the orders table.
type testOrder struct {
	Shop              string
	ID                uint64
	Name              string
	CreatedAt         time.Time
	Email             string
	Customer          string
	Total             string
	Currency          string
	FinancialStatus   string
	FulfillmentStatus string
	Source            string
	Eligible          bool
	Reasons           []string
	Status            string
	OdooModel         string
	OdooID            uint64
	OdooName          string
	InvoiceID         uint64
	Error             string
	RetryAt           *time.Time
	Attempt           uint32
	UpdatedAt         time.Time
	Version           uint64
	Warnings          []string
	InvoiceState      string
	PaymentState      string
	RefundedAmount    string // decimal; empty: 0
	Cancelled         bool
	PaymentGateways   []string
}

var baseTime = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// order returns a plain eligible, not-synced order of shopA with id.
func order(id uint64) testOrder {
	return testOrder{
		Shop: shopA, ID: id, Name: "#" + itoa(id), CreatedAt: baseTime.Add(time.Duration(id) * time.Minute),
		Email: "buyer" + itoa(id) + "@example.com", Customer: "Buyer " + itoa(id), Total: "10.00", Currency: "EUR",
		FinancialStatus: "paid", FulfillmentStatus: "unfulfilled", Source: "web", Eligible: true,
		Status: "not_synced", UpdatedAt: baseTime.Add(time.Hour), Version: 1,
	}
}

func itoa(n uint64) string { return decimal.NewFromUint64(n).String() }

// insertOrders makes each row the live state of its order (chstore.ReplaceOrders).
func (e *env) insertOrders(os ...testOrder) {
	e.t.Helper()
	rows := make([]chstore.OrderRow, len(os))
	for i, o := range os {
		var el, cancelled uint8
		if o.Eligible {
			el = 1
		}
		if o.Cancelled {
			cancelled = 1
		}
		refunded := decimal.Zero
		if o.RefundedAmount != "" {
			refunded = decimal.RequireFromString(o.RefundedAmount)
		}
		rows[i] = chstore.OrderRow{Shop: o.Shop, OrderID: o.ID, UpdatedAt: o.UpdatedAt, Version: o.Version,
			OrderState: chstore.OrderState{OrderName: o.Name, CreatedAt: o.CreatedAt, Email: o.Email,
				Customer: o.Customer, Total: decimal.RequireFromString(o.Total), Currency: o.Currency,
				FinancialStatus: o.FinancialStatus, FulfillmentStatus: o.FulfillmentStatus, Source: o.Source,
				Eligible: el, IneligibleReasons: nonNil(o.Reasons), Status: o.Status, OdooModel: o.OdooModel,
				OdooID: o.OdooID, OdooName: o.OdooName, InvoiceID: o.InvoiceID, Error: o.Error, RetryAt: o.RetryAt,
				Attempt: o.Attempt},
			OrderFacts: chstore.OrderFacts{Warnings: nonNil(o.Warnings), InvoiceState: o.InvoiceState,
				PaymentState: o.PaymentState, RefundedAmount: refunded, Cancelled: cancelled,
				PaymentGateways: nonNil(o.PaymentGateways)}}
	}
	if err := chstore.ReplaceOrders(context.Background(), e.ch, rows); err != nil {
		e.t.Fatal(err)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type testEvent struct {
	OutcomeID string
	OrderID   uint64
	Stage     string
	At        time.Time
	Status    string
	OdooID    uint64
	Error     string
	Attempt   uint32
}

func (e *env) insertEvents(evs ...testEvent) {
	e.t.Helper()
	rows := make([]chstore.EventRow, len(evs))
	for i, ev := range evs {
		model := ""
		if ev.OdooID > 0 {
			model = "sale.order"
		}
		rows[i] = chstore.EventRow{OutcomeID: ev.OutcomeID, Shop: shopA, OrderID: ev.OrderID, Version: 1, Stage: ev.Stage, At: ev.At,
			AtMs: uint64(ev.At.UnixMilli()), RPCCalls: 3, LatencyMs: 120,
			OrderState: chstore.OrderState{OrderName: "#" + itoa(ev.OrderID), CreatedAt: baseTime,
				Email: "x@example.com", Customer: "X", Total: decimal.RequireFromString("1.00"), Currency: "EUR",
				FinancialStatus: "paid", FulfillmentStatus: "unfulfilled", Source: "web", Eligible: 1,
				IneligibleReasons: []string{}, Status: ev.Status, OdooModel: model, OdooID: ev.OdooID,
				Error: ev.Error, Attempt: ev.Attempt},
			OrderFacts: chstore.OrderFacts{Warnings: []string{}, RefundedAmount: decimal.Zero,
				PaymentGateways: []string{}}}
	}
	if err := chstore.InsertEventRows(context.Background(), e.ch, rows); err != nil {
		e.t.Fatal(err)
	}
}

// orderPage mirrors the API's answer, with raw orders to check JSON types too.
type orderPage struct {
	Orders     []map[string]any `json:"orders"`
	NextCursor *string          `json:"next_cursor"`
	PrevCursor *string          `json:"prev_cursor"`
	Total      int              `json:"total"`
}

func (p orderPage) ids() []string {
	out := make([]string, len(p.Orders))
	for i, o := range p.Orders {
		out[i] = o["order_id"].(string)
	}
	return out
}

func (e *env) list(query string) orderPage {
	e.t.Helper()
	var p orderPage
	e.call("GET", "/api/shops/"+shopA+"/orders?"+query, nil, http.StatusOK, &p)
	return p
}

var errBoom = errors.New("kafka is down")

func decimalOf(s string) decimal.Decimal { return decimal.RequireFromString(s) }
