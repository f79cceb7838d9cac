// Package webhook receives Shopify's webhook deliveries: it verifies the HMAC,
// turns order payloads into OrderEvents and answers 200 only once Kafka has them.
package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/ingest/shopify"
	"github.com/synco-dev/synco/platform/deadletter"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/order"
)

// MaxBody is the largest webhook body accepted (CONTRACT: 413 above it).
const MaxBody = 10 << 20

// Publisher takes events to Kafka; it returns only once Kafka acknowledged.
type Publisher interface {
	PublishOrder(ctx context.Context, ev *schemas.OrderEvent) error
	PublishDeadLetter(ctx context.Context, dl deadletter.Letter) error
}

// Secrets returns a configured shop's webhook secret.
type Secrets func(shop string) (secret string, ok bool)

// Handler serves POST /webhooks/shopify.
type Handler struct {
	secrets    Secrets
	pub        Publisher
	log        *slog.Logger
	ackTimeout time.Duration
	seen       *recent
	now        func() time.Time
	counter    *prometheus.CounterVec
	shopEvent  ShopEvent
}

// ShopEvent acts on a webhook about the shop or its customers rather than an order
// (app/uninstalled and the privacy topics); it returns once the action is durable.
type ShopEvent func(ctx context.Context, shop, topic string, body []byte) error

// Options tune a Handler; zero values take the contract's defaults.
type Options struct {
	AckTimeout time.Duration          // 4 s: Shopify waits 5 s
	Counter    *prometheus.CounterVec // labels: topic, result
	ShopEvent  ShopEvent              // nil: those topics are only acknowledged
}

// New returns the webhook handler.
func New(secrets Secrets, pub Publisher, log *slog.Logger, opts Options) *Handler {
	if opts.AckTimeout == 0 {
		opts.AckTimeout = 4 * time.Second
	}
	return &Handler{secrets: secrets, pub: pub, log: log, ackTimeout: opts.AckTimeout, seen: newRecent(100_000), now: time.Now, counter: opts.Counter,
		shopEvent: opts.ShopEvent}
}

// orderTopics carry a whole order in the body.
var orderTopics = map[string]bool{
	"orders/create": true, "orders/updated": true, "orders/paid": true, "orders/cancelled": true,
	"orders/fulfilled": true, "orders/partially_fulfilled": true,
}

// refTopics carry only a reference to an order; the processor fetches or waits for
// the order's snapshot.
var refTopics = map[string]bool{"refunds/create": true, "orders/delete": true, "orders/edited": true}

// ackTopics are acknowledged without an order event.
var ackTopics = map[string]bool{"app/uninstalled": true, "customers/data_request": true, "customers/redact": true, "shop/redact": true}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.answer(w, "", "method", http.StatusMethodNotAllowed, "POST only")
		return
	}
	topic := r.Header.Get("X-Shopify-Topic")
	shop := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Shopify-Shop-Domain")))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.answer(w, topic, "too_large", http.StatusRequestEntityTooLarge, "body over 10 MiB")
			return
		}
		h.answer(w, topic, "read_error", http.StatusBadRequest, "could not read body")
		return
	}
	secret, ok := h.secrets(shop)
	if !ok {
		h.log.Warn("webhook from a shop not in the config", "shop", shop, "topic", topic)
		h.answer(w, topic, "unknown_shop", http.StatusUnauthorized, "unknown shop")
		return
	}
	if !shopify.Verify(secret, body, r.Header.Get("X-Shopify-Hmac-Sha256")) {
		h.log.Warn("webhook with a missing or wrong HMAC", "shop", shop, "topic", topic)
		h.answer(w, topic, "bad_hmac", http.StatusUnauthorized, "invalid HMAC")
		return
	}
	webhookID := r.Header.Get("X-Shopify-Webhook-Id")
	eventID := r.Header.Get("X-Shopify-Event-Id")
	if eventID == "" {
		eventID = webhookID
	}
	if eventID == "" {
		sum := sha256.Sum256(append([]byte(topic+"\n"), body...))
		eventID = "sha256:" + hex.EncodeToString(sum[:16])
	}
	dedupeKey := shop + "|" + topic + "|" + eventID
	if h.seen.has(dedupeKey) {
		h.answer(w, topic, "duplicate", http.StatusOK, "duplicate")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.ackTimeout)
	defer cancel()

	switch {
	case orderTopics[topic], refTopics[topic]:
	case ackTopics[topic] && h.shopEvent != nil:
		if err := h.shopEvent(ctx, shop, topic, body); err != nil {
			h.log.Error("shop webhook not handled; Shopify will retry", "shop", shop, "topic", topic, "err", err)
			h.answer(w, topic, "unavailable", http.StatusServiceUnavailable, "try again")
			return
		}
		h.seen.add(dedupeKey)
		h.answer(w, topic, "accepted", http.StatusOK, "ok")
		return
	case ackTopics[topic]:
		h.log.Info("webhook acknowledged, nothing to sync", "shop", shop, "topic", topic)
		h.answer(w, topic, "ignored", http.StatusOK, "ok")
		return
	default:
		h.log.Info("webhook topic Synco does not act on", "shop", shop, "topic", topic)
		h.answer(w, topic, "ignored", http.StatusOK, "ok")
		return
	}

	ev, perr := h.event(shop, topic, eventID, webhookID, r.Header.Get("X-Shopify-Triggered-At"), body)
	if perr != nil {
		// Signed by Shopify but unreadable: keep it whole with the reason, answer 200
		// so Shopify does not retry something that will never parse.
		now := h.now()
		dl := deadletter.Letter{Topic: schemas.TopicOrdersDLQ, Key: []byte(shop), Value: body, Shop: shop,
			Headers: shopifyHeaders(r.Header), Reason: perr.Error(), Stage: "ingest",
			OriginTopic: "webhook " + topic, OriginPartition: -1, FirstFailedAt: now, FailedAt: now}
		if err := h.pub.PublishDeadLetter(ctx, dl); err != nil {
			h.log.Error("dead letter not acknowledged by kafka", "shop", shop, "topic", topic, "err", err)
			h.answer(w, topic, "kafka_unavailable", http.StatusServiceUnavailable, "try again")
			return
		}
		h.log.Warn("unreadable webhook kept in the dead-letter topic", "shop", shop, "topic", topic, "reason", perr)
		h.seen.add(dedupeKey)
		h.answer(w, topic, "dead_letter", http.StatusOK, "kept as dead letter: "+perr.Error())
		return
	}
	if err := h.pub.PublishOrder(ctx, ev); err != nil {
		h.log.Error("order event not acknowledged by kafka; Shopify will retry", "shop", shop, "topic", topic, "order", ev.OrderID, "err", err)
		h.answer(w, topic, "kafka_unavailable", http.StatusServiceUnavailable, "try again")
		return
	}
	h.seen.add(dedupeKey)
	h.log.Info("webhook accepted", "shop", shop, "topic", topic, "order", ev.OrderID, "event", eventID)
	h.answer(w, topic, "accepted", http.StatusOK, "ok")
}

func (h *Handler) event(shop, topic, eventID, webhookID, triggered string, body []byte) (*schemas.OrderEvent, error) {
	ev := &schemas.OrderEvent{EventID: eventID, Shop: shop, Topic: topic, Origin: schemas.OriginWebhook, WebhookID: webhookID,
		ReceivedAt: h.now().UTC().Truncate(time.Millisecond), Raw: body}
	if t, err := time.Parse(time.RFC3339Nano, triggered); err == nil {
		u := t.UTC()
		ev.TriggeredAt = &u
	}
	if orderTopics[topic] {
		o, err := order.FromWebhook(body)
		if err != nil {
			return nil, err
		}
		ev.Order, ev.OrderID = o, o.ID
		return ev, nil
	}
	id, err := order.OrderIDOf(topic, body)
	if err != nil {
		return nil, err
	}
	ev.OrderID = id
	ev.Order = schemas.Order{ID: id, NoteAttributes: []schemas.NoteAttribute{}, PaymentGatewayNames: []string{},
		LineItems: []schemas.LineItem{}, ShippingLines: []schemas.ShippingLine{}}
	return ev, nil
}

// shopifyHeaders keeps a delivery's X-Shopify-* headers with its dead letter.
func shopifyHeaders(hs http.Header) []kgo.RecordHeader {
	var out []kgo.RecordHeader
	for k, vs := range hs {
		if strings.HasPrefix(k, "X-Shopify-") && len(vs) > 0 {
			out = append(out, kgo.RecordHeader{Key: k, Value: []byte(vs[0])})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func (h *Handler) answer(w http.ResponseWriter, topic, result string, code int, msg string) {
	if h.counter != nil {
		h.counter.WithLabelValues(topic, result).Inc()
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	io.WriteString(w, msg+"\n")
}

// recent remembers the last n delivery keys, so a redelivery Kafka already has is
// answered 200 without a second event (the processor drops any that slip through).
type recent struct {
	mu   sync.Mutex
	keys map[string]struct{}
	ring []string
	next int
}

func newRecent(n int) *recent {
	return &recent{keys: make(map[string]struct{}, n), ring: make([]string, n)}
}

func (r *recent) has(k string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.keys[k]
	return ok
}

func (r *recent) add(k string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.keys[k]; ok {
		return
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.keys, old)
	}
	r.ring[r.next] = k
	r.keys[k] = struct{}{}
	r.next = (r.next + 1) % len(r.ring)
}
