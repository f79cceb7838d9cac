// Package server runs the ingest stage: the webhook endpoint, health and metrics,
// publishing to Kafka through the shared publisher.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/synco-dev/synco/ingest/webhook"
	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/platform/deadletter"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/metrics"
	"github.com/synco-dev/synco/platform/settings"
	"github.com/synco-dev/synco/schemas"
)

// Deps is what the ingest stage needs; main wires it.
type Deps struct {
	Config    *config.Config // the shops and their webhook secrets
	Ingest    Config
	Publisher *kafka.Publisher
	Metrics   *metrics.Registry
	Log       *slog.Logger
	// Stored, when set, opens a shop's secrets stored through the API: a stored
	// webhook secret is used over the config's.
	Stored func(shop string) (settings.ShopSecrets, error)
	// ShopEvent, when set, acts on app/uninstalled and the privacy topics
	// (ingest/privacy); nil: they are only acknowledged.
	ShopEvent webhook.ShopEvent
}

// WebhookSecret is the shop's webhook secret: the stored one if any (a stored value
// that cannot be opened is logged and the config's used), else the config's.
func (d Deps) WebhookSecret(shop string) (string, bool) {
	s, ok := d.Config.Shop(shop)
	if !ok {
		return "", false
	}
	if d.Stored != nil {
		sec, err := d.Stored(shop)
		if err != nil {
			d.Log.Error("the shop's stored webhook secret cannot be read; using the config's", "shop", shop, "err", err)
		} else if sec.WebhookSecret != "" {
			return sec.WebhookSecret, true
		}
	}
	return s.WebhookSecret, true
}

type kafkaPublisher struct{ p *kafka.Publisher }

// OrderPublisher publishes order events keyed by order on shopify.orders.
func OrderPublisher(p *kafka.Publisher) interface {
	PublishOrder(ctx context.Context, ev *schemas.OrderEvent) error
} {
	return kafkaPublisher{p}
}

func (k kafkaPublisher) PublishOrder(ctx context.Context, ev *schemas.OrderEvent) error {
	return k.p.Publish(ctx, schemas.TopicOrders, schemas.OrderKey(ev.Shop, ev.OrderID), ev)
}

func (k kafkaPublisher) PublishDeadLetter(ctx context.Context, dl deadletter.Letter) error {
	return k.p.PublishRecord(ctx, dl.Record())
}

// Handler builds the ingest HTTP routes.
func Handler(d Deps) http.Handler {
	wh := webhook.New(d.WebhookSecret, kafkaPublisher{d.Publisher}, d.Log, webhook.Options{
		AckTimeout: d.Ingest.AckTimeout,
		Counter:    d.Metrics.Webhooks,
		ShopEvent:  d.ShopEvent,
	})
	mux := http.NewServeMux()
	mux.Handle("/webhooks/shopify", wh)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := d.Publisher.Client().Ping(ctx); err != nil {
			http.Error(w, "kafka: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", d.Metrics.Handler())
	return mux
}

// Serve serves the ingest routes on ln until ctx ends, then drains for up to 5 s.
func Serve(ctx context.Context, ln net.Listener, d Deps) error {
	srv := &http.Server{Handler: Handler(d), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	d.Log.Info("ingest listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
