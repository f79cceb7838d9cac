// Package server runs the ingest stage: the webhook endpoint, health and metrics,
// publishing to Kafka through the shared publisher.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/synco-dev/synco/ingest/webhook"
	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/platform/deadletter"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/metrics"
	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/platform/settings"
	"github.com/synco-dev/synco/schemas"
)

// Deps is what the ingest stage needs; main wires it.
type Deps struct {
	Config    *config.Config // the shops and their webhook secrets
	Ingest    Config
	Publisher *kafka.Publisher // readiness; webhooks too when ClientOpts is empty
	// ClientOpts (brokers, client id, logger) and Serde give the webhooks their own
	// group-committing producer (produce.go).
	ClientOpts []kgo.Opt
	Serde      *serde.Serde
	Metrics    *metrics.Registry
	Log        *slog.Logger
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

// Handler builds the ingest HTTP routes on net/http, publishing through the shared
// publisher.
func Handler(d Deps) http.Handler { return routes(d, newWebhook(d, kafkaPublisher{d.Publisher})) }

// FastHandler builds the same routes on fasthttp: the webhook natively, health,
// readiness and metrics through the net/http routes (rare, not worth a second copy).
func FastHandler(d Deps) fasthttp.RequestHandler {
	return fastRoutes(d, newWebhook(d, kafkaPublisher{d.Publisher}))
}

func newWebhook(d Deps, pub webhook.Publisher) *webhook.Handler {
	return webhook.New(d.WebhookSecret, pub, d.Log, webhook.Options{
		AckTimeout: d.Ingest.AckTimeout,
		Counter:    d.Metrics.Webhooks,
		Seconds:    d.Metrics.WebhookSeconds,
		ShopEvent:  d.ShopEvent,
	})
}

func routes(d Deps, wh *webhook.Handler) http.Handler {
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

func fastRoutes(d Deps, wh *webhook.Handler) fasthttp.RequestHandler {
	rest := fasthttpadaptor.NewFastHTTPHandler(routes(d, wh))
	return func(c *fasthttp.RequestCtx) {
		if string(c.Path()) == "/webhooks/shopify" {
			wh.ServeFastHTTP(c)
			return
		}
		rest(c)
	}
}

// Serve serves the ingest routes on ln until ctx ends, then drains for up to 5 s.
func Serve(ctx context.Context, ln net.Listener, d Deps) error {
	var pub webhook.Publisher = kafkaPublisher{d.Publisher}
	if len(d.ClientOpts) > 0 {
		g, err := newGroupProducer(d.ClientOpts, d.Serde, d.Metrics)
		if err != nil {
			return err
		}
		defer g.Close() // after the server has drained
		pub = g
	}
	return serve(ctx, ln, d, pub)
}

func serve(ctx context.Context, ln net.Listener, d Deps, pub webhook.Publisher) error {
	wh := newWebhook(d, pub)
	var (
		serve    func() error
		shutdown func(context.Context) error
	)
	switch d.Ingest.Server {
	case ServerNetHTTP:
		srv := &http.Server{Handler: routes(d, wh), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
		serve = func() error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}
		shutdown = srv.Shutdown
	default:
		srv := &fasthttp.Server{
			Handler:            fastRoutes(d, wh),
			MaxRequestBodySize: webhook.MaxBody,
			StreamRequestBody:  true, // bodies reach the handler as streams: over the limit, 413 there
			ReadTimeout:        30 * time.Second,
			// Over MaxBody (and other unreadable requests) the contract's answers.
			ErrorHandler: func(c *fasthttp.RequestCtx, err error) {
				topic := string(c.Request.Header.Peek("X-Shopify-Topic"))
				if errors.Is(err, fasthttp.ErrBodyTooLarge) {
					wh.WriteFast(c, topic, webhook.TooLarge)
				} else {
					wh.WriteFast(c, topic, webhook.Answer{Code: http.StatusBadRequest, Result: "read_error", Msg: "could not read request"})
				}
				c.SetConnectionClose()
			},
			NoDefaultServerHeader: true,
			CloseOnShutdown:       true,
		}
		serve = func() error { return srv.Serve(ln) }
		shutdown = srv.ShutdownWithContext
	}
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	d.Log.Info("ingest listening", "addr", ln.Addr().String(), "server", d.Ingest.Server)
	if d.Ingest.PprofAddr != "" {
		stop, err := servePprof(d.Ingest.PprofAddr, d.Log)
		if err != nil {
			shutdown(context.Background())
			return err
		}
		defer stop()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// servePprof serves Go's profiles on their own listener (ingest.pprof_addr).
func servePprof(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ingest pprof listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	log.Warn("ingest serves Go profiles (ingest.pprof_addr); for measuring only", "addr", ln.Addr().String())
	return func() { srv.Close() }, nil
}
