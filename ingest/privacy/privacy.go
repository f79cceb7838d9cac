// Package privacy answers the webhooks about a shop and its customers rather than an
// order: app/uninstalled and Shopify's mandatory privacy topics.
//
//   - app/uninstalled: the shop's auto_sync is switched off (nothing more reaches Odoo
//     unless someone asks); everything Synco holds of the shop is kept.
//   - customers/data_request: logged for the merchant, who answers the customer (the
//     order table, searched by email, holds what Synco has: orders, amounts, statuses,
//     the email and name); Synco sends nothing to Shopify.
//   - customers/redact: the customer's personal data in what Synco stores goes: the
//     processor's stored snapshot of each of the customer's orders (a redacted record
//     replaces it in the compacted changelog, see processor/decide) and the email and
//     name in ClickHouse's rows.
//   - shop/redact (48 hours after an uninstall): the same for every order of the shop,
//     then its ClickHouse rows are deleted, its job records removed by tombstones, and
//     its settings (no personal data; auto sync off) lose the stored secrets.
//
// What cannot be redacted (README, "Privacy"): the topics with a delete policy
// (shopify.orders with the raw webhook bodies, odoo.commands and its retries,
// synco.outcomes, the dead letters) keep their records until their retention ends;
// Odoo's own records are the merchant's books and are not touched.
package privacy

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/synco-dev/synco/ingest/backfill"
	"github.com/synco-dev/synco/platform/settings"
	"github.com/synco-dev/synco/schemas"
)

// Topics this package answers.
const (
	AppUninstalled       = "app/uninstalled"
	CustomersDataRequest = "customers/data_request"
	CustomersRedact      = "customers/redact"
	ShopRedact           = "shop/redact"
)

// Settings are the shops' settings (platform/settings.Store).
type Settings interface {
	Effective(shop string) schemas.ShopSettings
	Put(ctx context.Context, st schemas.ShopSettings) error
	PutSecrets(ctx context.Context, shop string, s settings.ShopSecrets) error
}

// Stored is what Synco keeps in ClickHouse and in the jobs topic.
type Stored interface {
	// OrdersOf lists the shop's orders Synco knows, those of the email when not empty.
	OrdersOf(ctx context.Context, shop, email string) ([]int64, error)
	// DeleteShop removes every row of the shop.
	DeleteShop(ctx context.Context, shop string) error
	// DeleteJobs removes the shop's job records.
	DeleteJobs(ctx context.Context, shop string) error
}

// Handler answers the shop webhooks (ingest/webhook's ShopEvent).
type Handler struct {
	Settings Settings
	Stored   Stored
	Emit     backfill.Sink // to shopify.orders
	Log      *slog.Logger
	Now      func() time.Time
}

// body is what these topics carry (Shopify's payloads; ids may be numbers).
type body struct {
	Customer struct {
		ID    json.Number `json:"id"`
		Email string      `json:"email"`
	} `json:"customer"`
	OrdersToRedact  []json.Number `json:"orders_to_redact"`
	OrdersRequested []json.Number `json:"orders_requested"`
	DataRequest     struct {
		ID json.Number `json:"id"`
	} `json:"data_request"`
}

// Handle acts on one delivery; an error means nothing durable happened yet (Shopify
// retries).
func (h *Handler) Handle(ctx context.Context, shop, topic string, raw []byte) error {
	shop = strings.ToLower(shop)
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var b body
	if len(raw) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(&b); err != nil && topic != AppUninstalled {
			// Signed by Shopify yet unreadable: retrying will not help; say it.
			log.Error("privacy webhook unreadable; nothing redacted", "shop", shop, "topic", topic, "err", err)
			return nil
		}
	}
	switch topic {
	case AppUninstalled:
		if err := h.stopSync(ctx, shop); err != nil {
			return err
		}
		log.Warn("app uninstalled: the shop's auto sync is off, its data is kept", "shop", shop)
	case CustomersDataRequest:
		log.Warn("customer data request from Shopify: the order table holds what Synco has of the customer's orders (search by email)",
			"shop", shop, "customer", b.Customer.ID.String(), "orders", ids(b.OrdersRequested), "request", b.DataRequest.ID.String())
	case CustomersRedact:
		orders := ids(b.OrdersToRedact)
		if b.Customer.Email != "" {
			more, err := h.Stored.OrdersOf(ctx, shop, b.Customer.Email)
			if err != nil {
				return err
			}
			orders = union(orders, more)
		}
		if err := h.redact(ctx, shop, topic, orders); err != nil {
			return err
		}
		log.Warn("customer redacted", "shop", shop, "customer", b.Customer.ID.String(), "orders", len(orders))
	case ShopRedact:
		orders, err := h.Stored.OrdersOf(ctx, shop, "")
		if err != nil {
			return err
		}
		if err := h.redact(ctx, shop, topic, orders); err != nil {
			return err
		}
		if err := h.Stored.DeleteShop(ctx, shop); err != nil {
			return err
		}
		if err := h.Stored.DeleteJobs(ctx, shop); err != nil {
			return err
		}
		// The settings hold no personal data; they stay (auto sync off), without the
		// shop's stored secrets: a new record the compaction keeps instead.
		if err := h.stopSync(ctx, shop); err != nil {
			return err
		}
		if err := h.Settings.PutSecrets(ctx, shop, settings.ShopSecrets{}); err != nil {
			return err
		}
		log.Warn("shop redacted: its orders' personal data, ClickHouse rows, stored secrets and jobs are gone", "shop", shop, "orders", len(orders))
	default:
		return fmt.Errorf("privacy: topic %q is not one of this package's", topic)
	}
	return nil
}

// stopSync switches the shop's auto sync off.
func (h *Handler) stopSync(ctx context.Context, shop string) error {
	st := h.Settings.Effective(shop)
	if !st.AutoSync {
		return nil
	}
	st.AutoSync = false
	return h.Settings.Put(ctx, st)
}

// redact sends each order a redaction. The processor redacts its stored snapshot and
// says so in the outcome stream, where the ClickHouse sink redacts the order's rows in
// line with its other writes of the order: durable, once the events are in Kafka.
func (h *Handler) redact(ctx context.Context, shop, topic string, orders []int64) error {
	if len(orders) == 0 {
		return nil
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	at := now().UTC().Truncate(time.Millisecond)
	evs := make([]*schemas.OrderEvent, 0, len(orders))
	for _, id := range orders {
		evs = append(evs, &schemas.OrderEvent{
			EventID: fmt.Sprintf("privacy:%s:%d:%d", topic, id, at.UnixMilli()), Shop: shop, OrderID: id, Topic: topic,
			Origin: schemas.OriginPrivacy, ReceivedAt: at, Force: true,
			Order: schemas.Order{ID: id, NoteAttributes: []schemas.NoteAttribute{}, PaymentGatewayNames: []string{},
				LineItems: []schemas.LineItem{}, ShippingLines: []schemas.ShippingLine{}},
		})
	}
	return h.Emit(ctx, evs)
}

func ids(ns []json.Number) []int64 {
	out := make([]int64, 0, len(ns))
	for _, n := range ns {
		if v, err := n.Int64(); err == nil && v > 0 {
			out = append(out, v)
		}
	}
	return out
}

func union(a, b []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, x := range append(append([]int64{}, a...), b...) {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
