package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/synco-dev/synco/query/orders"
	"github.com/synco-dev/synco/schemas"
)

const (
	defaultLimit = 50
	maxLimit     = 250
	maxSyncIDs   = 10000
)

func (s *server) odooBase(shop string) string {
	if s.d.OdooURL == nil {
		return ""
	}
	return s.d.OdooURL(shop)
}

func (s *server) withOdooURL(shop string, o *orders.Order) {
	if o.OdooID != nil {
		o.OdooURL = orders.OdooURL(s.odooBase(shop), o.OdooModel, *o.OdooID)
	}
}

// order is a row as the API answers it: the table's columns plus invoice_url, the
// invoice's form in Odoo (the record itself when it is an account.move), for the
// Odoo ID column when the ID Type filter says invoice.
type order struct {
	orders.Order
	InvoiceURL string `json:"invoice_url"`
}

func (s *server) apiOrder(shop string, o orders.Order) order {
	s.withOdooURL(shop, &o)
	out := order{Order: o}
	switch {
	case o.OdooModel == "account.move":
		out.InvoiceURL = o.OdooURL
	case o.InvoiceID != nil:
		out.InvoiceURL = orders.OdooURL(s.odooBase(shop), "account.move", *o.InvoiceID)
	}
	return out
}

// page is orders.Page with the API's rows (its Orders shadows the embedded one).
type page struct {
	*orders.Page
	Orders []order `json:"orders"`
}

// GET /api/shops/{shop}/orders
func (s *server) listOrders(c *fiber.Ctx, shop string) error {
	ctx, cancel := reqCtx(c)
	defer cancel()
	params := orders.Filter{
		Tab: c.Query("tab"), Status: c.Query("status"), IDType: c.Query("id_type"),
		Q: c.Query("q"), Sort: c.Query("sort"), Dir: c.Query("dir"),
	}
	fields := map[string]string{}
	limit := defaultLimit
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			fields["limit"] = fmt.Sprintf("must be a whole number from 1 to %d", maxLimit)
		}
		limit = n
	}
	f := orders.Filter{}
	if id := c.Query("view"); id != "" {
		v, ok, err := s.views.Get(ctx, shop, id)
		switch {
		case err != nil:
			return s.internal(c, "could not read the saved view", err)
		case !ok:
			fields["view"] = "no saved view with this id"
		default:
			f = v.Filters
		}
	}
	// A view's filters apply; explicit parameters refine them.
	f = f.Override(params)
	for k, v := range f.Validate() {
		fields[k] = v
	}
	if len(fields) > 0 {
		return badRequest(c, "invalid order table parameters", fields)
	}
	pg, err := s.orders.List(ctx, shop, f, limit, c.Query("cursor"))
	var fe orders.FieldErrors
	if errors.As(err, &fe) {
		return badRequest(c, "invalid order table parameters", fe)
	}
	if err != nil {
		return s.internal(c, "could not read orders", err)
	}
	out := page{Page: pg, Orders: make([]order, len(pg.Orders))}
	for i, o := range pg.Orders {
		out.Orders[i] = s.apiOrder(shop, o)
	}
	return c.JSON(out)
}

type orderDetail struct {
	order
	History []orders.Event `json:"history"`
}

// GET /api/shops/{shop}/orders/{order_id}
func (s *server) getOrder(c *fiber.Ctx, shop string) error {
	id, ok := parseUint(c.Params("order_id"))
	if !ok {
		return badRequest(c, "invalid order id", map[string]string{"order_id": "must be a Shopify order id (a number)"})
	}
	ctx, cancel := reqCtx(c)
	defer cancel()
	o, found, err := s.orders.Get(ctx, shop, id)
	if err != nil {
		return s.internal(c, "could not read the order", err)
	}
	if !found {
		return fail(c, fiber.StatusNotFound, "order not found", nil)
	}
	h, err := s.orders.History(ctx, shop, id)
	if err != nil {
		return s.internal(c, "could not read the order's history", err)
	}
	return c.JSON(orderDetail{order: s.apiOrder(shop, o), History: h})
}

// decodeStrict reads body as exactly one JSON value into v, refusing unknown fields.
// The error names the bad field where it can.
func decodeStrict(body []byte, v any) (map[string]string, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("request body is empty: send JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return map[string]string{te.Field: "must be " + jsonType(te.Type.Kind().String())}, errors.New("invalid JSON value")
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name = strings.Trim(name, `"`)
			return map[string]string{name: "unknown field"}, errors.New("unknown field " + strconv.Quote(name))
		}
		return nil, fmt.Errorf("request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, errors.New("request body has data after the JSON value")
	}
	return nil, nil
}

func jsonType(kind string) string {
	switch kind {
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "slice", "array":
		return "a list"
	case "map", "struct":
		return "an object"
	default:
		return "a number"
	}
}

type syncBody struct {
	OrderIDs    []json.RawMessage `json:"order_ids"`
	AllEligible bool              `json:"all_eligible"`
}

// POST /api/shops/{shop}/sync
func (s *server) sync(c *fiber.Ctx, shop string) error {
	var b syncBody
	if fields, err := decodeStrict(c.Body(), &b); err != nil {
		return badRequest(c, err.Error(), fields)
	}
	switch {
	case b.AllEligible && len(b.OrderIDs) > 0:
		return badRequest(c, "give order_ids or all_eligible, not both", map[string]string{"order_ids": "must be empty when all_eligible is true"})
	case !b.AllEligible && len(b.OrderIDs) == 0:
		return badRequest(c, `give {"order_ids": [...]} or {"all_eligible": true}`, map[string]string{"order_ids": "must list at least one order id"})
	case len(b.OrderIDs) > maxSyncIDs:
		return badRequest(c, "too many orders", map[string]string{"order_ids": fmt.Sprintf("at most %d per request; use all_eligible", maxSyncIDs)})
	}
	seen := map[int64]bool{}
	ids := []int64{}
	for i, raw := range b.OrderIDs {
		// Ids come back from the order table as strings; numbers are fine too.
		var txt string
		if json.Unmarshal(raw, &txt) != nil {
			txt = string(raw)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(txt), 10, 64)
		if err != nil || n <= 0 {
			return badRequest(c, "invalid order id", map[string]string{fmt.Sprintf("order_ids[%d]", i): "must be a Shopify order id"})
		}
		if !seen[n] {
			seen[n] = true
			ids = append(ids, n)
		}
	}
	ctx, cancel := reqCtx(c)
	defer cancel()
	queued := uint64(len(ids))
	if b.AllEligible {
		n, err := s.orders.CountEligibleUnsynced(ctx, shop)
		if err != nil {
			return s.internal(c, "could not count eligible orders", err)
		}
		queued = n
	}
	req := schemas.SyncRequest{
		RequestID:   uuid.NewString(),
		Shop:        shop,
		OrderIDs:    ids,
		AllEligible: b.AllEligible,
		RequestedBy: token(c).name,
		RequestedAt: time.Now().UTC().Truncate(time.Millisecond),
	}
	if err := s.d.Requests.RequestSync(ctx, req); err != nil {
		s.log.Error("sync request not published", "shop", shop, "err", err)
		return fail(c, fiber.StatusServiceUnavailable, "could not queue the sync, try again: "+err.Error(), nil)
	}
	s.log.Info("sync requested", "shop", shop, "request_id", req.RequestID, "orders", len(ids), "all_eligible", b.AllEligible, "by", req.RequestedBy)
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"queued": queued, "request_id": req.RequestID})
}

// GET /api/shops/{shop}/jobs
func (s *server) jobs(c *fiber.Ctx, shop string) error {
	ctx, cancel := reqCtx(c)
	defer cancel()
	j, err := s.orders.Jobs(ctx, shop)
	if err != nil {
		return s.internal(c, "could not count jobs", err)
	}
	return c.JSON(j)
}

// GET /api/shops/{shop}/gateways: the payment gateways the shop's orders have used
// (for the settings screen's gateway → journal mapping).
func (s *server) gateways(c *fiber.Ctx, shop string) error {
	ctx, cancel := reqCtx(c)
	defer cancel()
	g, err := s.orders.Gateways(ctx, shop)
	if err != nil {
		return s.internal(c, "could not read the payment gateways", err)
	}
	return c.JSON(fiber.Map{"gateways": g})
}
