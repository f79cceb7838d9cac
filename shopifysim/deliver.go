package shopifysim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/synco-dev/synco/shopify/admin/schema"
)

// restTopic is the header form of a subscription topic: ORDERS_PARTIALLY_FULFILLED is
// orders/partially_fulfilled.
func restTopic(t string) string {
	s := strings.ToLower(t)
	for _, res := range []string{"app", "customers", "orders", "refunds", "shop"} {
		if strings.HasPrefix(s, res+"_") {
			return res + "/" + s[len(res)+1:]
		}
	}
	if i := strings.IndexByte(s, '_'); i >= 0 {
		return s[:i] + "/" + s[i+1:]
	}
	return s
}

// Sign is the X-Shopify-Hmac-Sha256 of body under the app's secret.
func (s *Sim) Sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(s.opts.Secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Delivery is one webhook POST the simulator made (or dropped).
type Delivery struct {
	Topic, URL, WebhookID, EventID string
	Status                         int // 0 when dropped or the POST failed
	Dropped                        bool
	Err                            error
}

// DropNext makes the next n deliveries of topic (REST form, e.g. orders/updated) get
// lost, as Shopify sometimes loses them.
func (s *Sim) DropNext(topic string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropNext[topic] += n
}

// Deliver POSTs body as topic (REST form) to every subscription of that topic, signed
// with the app's secret and with Shopify's headers. It returns what happened to each.
func (s *Sim) Deliver(ctx context.Context, topic string, body []byte) []Delivery {
	s.mu.Lock()
	var targets []string
	for _, w := range s.subs {
		if restTopic(w.topic) == topic {
			targets = append(targets, w.uri)
		}
	}
	eventID := fmt.Sprintf("%d", s.ids.id())
	s.mu.Unlock()
	out := make([]Delivery, 0, len(targets))
	for _, u := range targets {
		out = append(out, s.DeliverTo(ctx, u, topic, eventID, body))
	}
	return out
}

// DeliverOrder sends the order's REST body as topic (orders/create, orders/updated, ...).
func (s *Sim) DeliverOrder(ctx context.Context, topic string, id int64) ([]Delivery, error) {
	s.mu.Lock()
	o, ok := s.orders[id]
	var body []byte
	if ok {
		body = s.RESTOrderJSON(o)
	}
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("shopifysim: no order %d", id)
	}
	return s.Deliver(ctx, topic, body), nil
}

// DeliverTo POSTs one webhook to url, whether or not a subscription names it.
func (s *Sim) DeliverTo(ctx context.Context, url, topic, eventID string, body []byte) Delivery {
	s.mu.Lock()
	webhookID := fmt.Sprintf("sim-%d", s.ids.id())
	if eventID == "" {
		eventID = fmt.Sprintf("%d", s.ids.id())
	}
	d := Delivery{Topic: topic, URL: url, WebhookID: webhookID, EventID: eventID}
	if s.dropNext[topic] > 0 {
		s.dropNext[topic]--
		s.counts.WebhooksDrop++
		s.mu.Unlock()
		d.Dropped = true
		return d
	}
	s.counts.WebhooksSent++
	now := s.now().UTC()
	s.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		d.Err = err
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Shop-Domain", s.opts.Shop)
	req.Header.Set("X-Shopify-Hmac-Sha256", s.Sign(body))
	req.Header.Set("X-Shopify-Webhook-Id", webhookID)
	req.Header.Set("X-Shopify-Event-Id", eventID)
	req.Header.Set("X-Shopify-Triggered-At", now.Format(time.RFC3339Nano))
	req.Header.Set("X-Shopify-API-Version", schema.Version)
	// Shopify waits five seconds for an answer.
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		d.Err = err
		return d
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d.Status = resp.StatusCode
	return d
}

// RefundJSON is the refunds/create body of an order's refund.
func (s *Sim) RefundJSON(orderID, refundID int64) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok {
		return nil, fmt.Errorf("shopifysim: no order %d", orderID)
	}
	for i := range o.Refunds {
		if o.Refunds[i].ID == refundID {
			return json.Marshal(s.RESTRefund(o, &o.Refunds[i]))
		}
	}
	return nil, fmt.Errorf("shopifysim: order %d has no refund %d", orderID, refundID)
}
