// Package webhook receives Shopify's webhook deliveries: it verifies the HMAC, finds
// the order each is about, keeps the body whole in an OrderEvent and answers 200 only
// once Kafka has it.
package webhook

import (
	"bytes"
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
	seconds    *prometheus.HistogramVec
	shopEvent  ShopEvent
}

// ShopEvent acts on a webhook about the shop or its customers rather than an order
// (app/uninstalled and the privacy topics); it returns once the action is durable.
type ShopEvent func(ctx context.Context, shop, topic string, body []byte) error

// Options tune a Handler; zero values take the contract's defaults.
type Options struct {
	AckTimeout time.Duration            // 4 s: Shopify waits 5 s
	Counter    *prometheus.CounterVec   // labels: topic, result
	Seconds    *prometheus.HistogramVec // label: topic; arrival to answer
	ShopEvent  ShopEvent                // nil: those topics are only acknowledged
}

// New returns the webhook handler.
func New(secrets Secrets, pub Publisher, log *slog.Logger, opts Options) *Handler {
	if opts.AckTimeout == 0 {
		opts.AckTimeout = 4 * time.Second
	}
	return &Handler{secrets: secrets, pub: pub, log: log, ackTimeout: opts.AckTimeout, seen: newRecent(100_000), now: time.Now,
		counter: opts.Counter, seconds: opts.Seconds, shopEvent: opts.ShopEvent}
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

// Delivery is one webhook as received, whichever HTTP server read it.
type Delivery struct {
	Topic, Shop, HMAC, WebhookID, EventID, TriggeredAt string
	// Body is valid only during Handle (servers reuse their buffers): whatever must
	// outlive the call (a dead letter's value) is copied.
	Body []byte
	// ShopifyHeaders lists the delivery's X-Shopify-* headers, sorted by name (kept
	// with a dead letter; called only then).
	ShopifyHeaders func() []kgo.RecordHeader
}

// Answer is what a delivery is answered: the HTTP status, the result label of
// webhooks_total and a short text.
type Answer struct {
	Code   int
	Result string
	Msg    string
}

// Handle answers one delivery; it returns 200 only once Kafka has what the delivery
// brought (or it is a duplicate, or nothing to act on).
func (h *Handler) Handle(ctx context.Context, d *Delivery) Answer {
	topic := d.Topic
	shop := strings.ToLower(strings.TrimSpace(d.Shop))
	secret, ok := h.secrets(shop)
	if !ok {
		h.log.Warn("webhook from a shop not in the config", "shop", shop, "topic", topic)
		return Answer{http.StatusUnauthorized, "unknown_shop", "unknown shop"}
	}
	if !shopify.Verify(secret, d.Body, d.HMAC) {
		h.log.Warn("webhook with a missing or wrong HMAC", "shop", shop, "topic", topic)
		return Answer{http.StatusUnauthorized, "bad_hmac", "invalid HMAC"}
	}
	webhookID, eventID := d.WebhookID, d.EventID
	if eventID == "" {
		eventID = webhookID
	}
	if eventID == "" {
		sum := sha256.Sum256(append([]byte(topic+"\n"), d.Body...))
		eventID = "sha256:" + hex.EncodeToString(sum[:16])
	}
	dedupeKey := shop + "|" + topic + "|" + eventID
	if h.seen.has(dedupeKey) {
		return Answer{http.StatusOK, "duplicate", "duplicate"}
	}
	ctx, cancel := context.WithTimeout(ctx, h.ackTimeout)
	defer cancel()
	switch {
	case orderTopics[topic], refTopics[topic]:
	case ackTopics[topic] && h.shopEvent != nil:
		// d.Body is the server's buffer: the hook gets its own copy (rare topics).
		if err := h.shopEvent(ctx, shop, topic, bytes.Clone(d.Body)); err != nil {
			h.log.Error("shop webhook not handled; Shopify will retry", "shop", shop, "topic", topic, "err", err)
			return Answer{http.StatusServiceUnavailable, "unavailable", "try again"}
		}
		h.seen.add(dedupeKey)
		return Answer{http.StatusOK, "accepted", "ok"}
	case ackTopics[topic]:
		h.log.Info("webhook acknowledged, nothing to sync", "shop", shop, "topic", topic)
		return Answer{http.StatusOK, "ignored", "ok"}
	default:
		h.log.Info("webhook topic Synco does not act on", "shop", shop, "topic", topic)
		return Answer{http.StatusOK, "ignored", "ok"}
	}

	ev, perr := h.event(shop, topic, eventID, webhookID, d.TriggeredAt, d.Body)
	if perr != nil {
		// Signed by Shopify but unreadable: keep it whole with the reason, answer 200
		// so Shopify does not retry something that will never parse.
		now := h.now()
		var hs []kgo.RecordHeader
		if d.ShopifyHeaders != nil {
			hs = d.ShopifyHeaders()
		}
		dl := deadletter.Letter{Topic: schemas.TopicOrdersDLQ, Key: []byte(shop), Value: bytes.Clone(d.Body), Shop: shop,
			Headers: hs, Reason: perr.Error(), Stage: "ingest",
			OriginTopic: "webhook " + topic, OriginPartition: -1, FirstFailedAt: now, FailedAt: now}
		if err := h.pub.PublishDeadLetter(ctx, dl); err != nil {
			h.log.Error("dead letter not acknowledged by kafka", "shop", shop, "topic", topic, "err", err)
			return Answer{http.StatusServiceUnavailable, "kafka_unavailable", "try again"}
		}
		h.log.Warn("unreadable webhook kept in the dead-letter topic", "shop", shop, "topic", topic, "reason", perr)
		h.seen.add(dedupeKey)
		return Answer{http.StatusOK, "dead_letter", "kept as dead letter: " + perr.Error()}
	}
	if err := h.pub.PublishOrder(ctx, ev); err != nil {
		h.log.Error("order event not acknowledged by kafka; Shopify will retry", "shop", shop, "topic", topic, "order", ev.OrderID, "err", err)
		return Answer{http.StatusServiceUnavailable, "kafka_unavailable", "try again"}
	}
	h.seen.add(dedupeKey)
	// Debug: at flash-sale rates a line per delivery costs more than the delivery;
	// webhooks_total counts them.
	h.log.Debug("webhook accepted", "shop", shop, "topic", topic, "order", ev.OrderID, "event", eventID)
	return Answer{http.StatusOK, "accepted", "ok"}
}

// Count adds one delivery that arrived at since to webhooks_total and its time to
// webhook_duration_seconds.
func (h *Handler) Count(topic, result string, since time.Time) {
	if h.counter != nil {
		h.counter.WithLabelValues(topic, result).Inc()
	}
	if h.seconds != nil {
		h.seconds.WithLabelValues(topic).Observe(time.Since(since).Seconds())
	}
}

// ServeHTTP serves POST /webhooks/shopify on net/http (tests, and any server that
// wants a net/http handler); server.Serve uses ServeFastHTTP.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	topic := r.Header.Get("X-Shopify-Topic")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.write(w, topic, start, Answer{http.StatusMethodNotAllowed, "method", "POST only"})
		return
	}
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= MaxBody {
		buf.Grow(int(n) + bytes.MinRead) // one allocation, not a doubling series
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBody))
	body := buf.Bytes()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.write(w, topic, start, TooLarge)
			return
		}
		h.write(w, topic, start, Answer{http.StatusBadRequest, "read_error", "could not read body"})
		return
	}
	a := h.Handle(r.Context(), &Delivery{Topic: topic, Shop: r.Header.Get("X-Shopify-Shop-Domain"),
		HMAC: r.Header.Get("X-Shopify-Hmac-Sha256"), WebhookID: r.Header.Get("X-Shopify-Webhook-Id"),
		EventID: r.Header.Get("X-Shopify-Event-Id"), TriggeredAt: r.Header.Get("X-Shopify-Triggered-At"), Body: body,
		ShopifyHeaders: func() []kgo.RecordHeader { return shopifyHeaders(r.Header) }})
	h.write(w, topic, start, a)
}

// TooLarge is the answer to a body over MaxBody.
var TooLarge = Answer{http.StatusRequestEntityTooLarge, "too_large", "body over 10 MiB"}

func (h *Handler) write(w http.ResponseWriter, topic string, start time.Time, a Answer) {
	h.Count(topic, a.Result, start)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(a.Code)
	io.WriteString(w, a.Msg+"\n")
}

// event builds the OrderEvent of a delivery. Only what must be known before Kafka
// acknowledges is read here: the order's id (the record key) and, for a whole order,
// its version; the body is kept whole in Raw and the processor decodes the order from
// it (DecodeRaw), where the work spreads over partitions instead of holding up the
// webhook. A body that is not JSON, or names no order, is an error (dead letter).
func (h *Handler) event(shop, topic, eventID, webhookID, triggered string, body []byte) (*schemas.OrderEvent, error) {
	ev := &schemas.OrderEvent{EventID: eventID, Shop: shop, Topic: topic, Origin: schemas.OriginWebhook, WebhookID: webhookID,
		ReceivedAt: h.now().UTC().Truncate(time.Millisecond), Raw: body}
	if t, err := time.Parse(time.RFC3339Nano, triggered); err == nil {
		u := t.UTC()
		ev.TriggeredAt = &u
	}
	var (
		k   order.Key
		err error
	)
	if orderTopics[topic] {
		k, err = order.ScanOrder(body)
		ev.DecodeRaw = true
	} else {
		k, err = order.ScanRef(topic, body)
	}
	if err != nil {
		return nil, err
	}
	ev.OrderID = k.OrderID
	if !k.UpdatedAt.IsZero() {
		ev.Version = k.UpdatedAt.UnixMilli()
	}
	// Refunds, edits and deletes carry no snapshot: the order's own webhook brings it.
	ev.Order = schemas.Order{ID: k.OrderID, NoteAttributes: []schemas.NoteAttribute{}, PaymentGatewayNames: []string{},
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
