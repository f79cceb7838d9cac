package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/synco-dev/synco/ingest/events"
	"github.com/synco-dev/synco/ingest/known"
	"github.com/synco-dev/synco/ingest/privacy"
	"github.com/synco-dev/synco/ingest/requests"
	"github.com/synco-dev/synco/ingest/server"
	"github.com/synco-dev/synco/ingest/subscriptions"
	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/leader"
	"github.com/synco-dev/synco/processor/stream"
	"github.com/synco-dev/synco/query/api"
	querycatalog "github.com/synco-dev/synco/query/catalog"
	queryjobs "github.com/synco-dev/synco/query/jobs"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/catalog"
	chsink "github.com/synco-dev/synco/sink/clickhouse"
	"github.com/synco-dev/synco/sink/odoo"
	"github.com/synco-dev/synco/sink/runner"
	"github.com/synco-dev/synco/sink/transactions"
	"github.com/synco-dev/synco/sink/writeback"
)

// Stage is one long-running part of Synco.
type Stage struct {
	Name string
	Run  func(ctx context.Context) error
}

// Ingest serves the webhook endpoint on ln, or on the configured address when ln is
// nil (tests pass listeners on ":0").
func (rt *Runtime) Ingest(ln net.Listener) Stage {
	return Stage{"ingest", func(ctx context.Context) error {
		if ln == nil {
			var err error
			if ln, err = net.Listen("tcp", rt.Cfg.Ingest.Addr); err != nil {
				return fmt.Errorf("ingest listen %s: %w", rt.Cfg.Ingest.Addr, err)
			}
		}
		seen := rt.known()
		defer seen.Close()
		shopEvents := &privacy.Handler{Settings: rt.Settings, Emit: events.Emitter(rt.Publisher), Log: rt.Log.With("stage", "ingest.privacy"),
			Stored: privacy.Kept{Conn: seen.Conn, ClientOpts: rt.ClientOpts("privacy"), Publisher: rt.Publisher}}
		return server.Serve(ctx, ln, server.Deps{Config: rt.Cfg.Config, Ingest: rt.Cfg.Ingest, Publisher: rt.Publisher, ShopEvent: shopEvents.Handle,
			ClientOpts: rt.ClientOpts("ingest"), Serde: rt.Serde, Metrics: rt.Metrics, Log: rt.Log.With("stage", "ingest"), Stored: rt.Settings.Secrets})
	}}
}

// The groups that elect the one ingest process running the subscription keeper and
// the one running the periodic reconciliation.
const (
	SubscriptionsGroup  = "synco-ingest-subscriptions"
	ReconciliationGroup = "synco-ingest-reconcile"
	// ResumeGroup elects the one that asks again for abandoned backfills.
	ResumeGroup = "synco-ingest-resume"
)

// Subscriptions keeps each shop's webhook subscriptions in step with its auto_sync
// switch; it runs with ingest.
func (rt *Runtime) Subscriptions() Stage {
	return Stage{"subscriptions", func(ctx context.Context) error {
		shops := make([]string, 0, len(rt.Cfg.Shops))
		for _, s := range rt.Cfg.Shops {
			shops = append(shops, s.Domain)
		}
		log := rt.Log.With("stage", "ingest.subscriptions")
		m := &subscriptions.Manager{Shops: shops, Clients: rt.Shopify, Settings: rt.Settings, PublicURL: rt.Cfg.Ingest.PublicURL,
			Log: log}
		// One keeper among the ingest processes: each would make the same calls.
		e := &leader.Elector{Group: SubscriptionsGroup, Topic: schemas.TopicJobs, Log: log}
		return e.Run(ctx, rt.ClientOpts("subscriptions"), m.Run)
	}}
}

// Requests answers manual sync requests from the query API.
func (rt *Runtime) Requests() Stage {
	return Stage{"requests", func(ctx context.Context) error {
		seen := rt.known()
		defer seen.Close()
		return requests.Run(ctx, requests.Deps{ClientOpts: rt.ClientOpts("requests"), Serde: rt.Serde,
			Publisher: rt.Publisher, Drain: rt.Drain, Metrics: rt.Metrics, Log: rt.Log.With("stage", "ingest.requests"),
			Clients: rt.Shopify, Settings: rt.Settings, Known: seen, Threshold: rt.Cfg.Ingest.BulkThreshold})
	}}
}

// Processor applies the rules.
func (rt *Runtime) Processor() Stage {
	return Stage{"processor", func(ctx context.Context) error {
		host, _ := os.Hostname()
		p := stream.New(stream.Deps{
			ClientOpts:    rt.ClientOpts("processor"),
			TransactionID: "synco-processor-" + host + "-" + randomID(),
			Serde:         rt.Serde, Settings: rt.Settings, Log: rt.Log.With("stage", "processor"),
			StateDir:   cmp.Or(rt.Cfg.Processor.StateDir, filepath.Join(rt.Cfg.DataDir, "processor")),
			CacheBytes: int64(rt.Cfg.Processor.CacheMB) << 20, MemTableBytes: int64(rt.Cfg.Processor.MemTableMB) << 20, TransactionEvents: rt.Cfg.Processor.TransactionEvents,
			Metrics: rt.Metrics,
		})
		return p.Run(ctx)
	}}
}

// OdooSink applies commands to each shop's Odoo. A shop whose config asks for the
// bundled simulator must have had its URL filled by the caller (UseSimulator).
func (rt *Runtime) OdooSink(clientOpts ...odoo.Option) Stage {
	return Stage{"sink odoo", func(ctx context.Context) error {
		shops := map[string]odoo.Config{}
		for i := range rt.Cfg.Shops {
			shops[rt.Cfg.Shops[i].Domain] = *odoo.ShopConfig(&rt.Cfg.Shops[i])
		}
		log := rt.Log.With("stage", "sink.odoo")
		sink := odoo.NewSink(shops, odoo.WithSinkLogger(log), odoo.WithClientOptions(clientOpts...), odoo.WithMetrics(rt.Metrics),
			odoo.WithStoredCredentials(func(domain string) (odoo.Credentials, error) {
				sec, err := rt.Settings.Secrets(domain)
				return odoo.Credentials{Password: sec.OdooPassword, APIKey: sec.OdooAPIKey}, err
			}))
		// Beside the commands, the catalog the settings screen picks journals,
		// accounts and customers from, read from each shop's Odoo.
		cat := catalog.New(catalog.Deps{Shops: sink.Shops(), Dial: sink.Client, Publisher: rt.Publisher,
			Log: rt.Log.With("stage", "sink.catalog")})
		return RunStages(ctx, rt,
			Stage{"sink odoo commands", func(ctx context.Context) error {
				return runner.RunOdoo(ctx, runner.OdooDeps{
					ClientOpts: rt.ClientOpts("sink-odoo"), Serde: rt.Serde, Publisher: rt.Publisher,
					Sink: sink, WriteBack: writeback.New(rt.Shopify, log), Transactions: transactions.New(rt.Shopify), RetryDelays: rt.Cfg.Sink.RetryDelays, Drain: rt.Drain, Metrics: rt.Metrics, Log: log,
				})
			}},
			Stage{"sink odoo catalog", cat.Run})
	}}
}

// ClickHouseSink streams outcomes into ClickHouse.
func (rt *Runtime) ClickHouseSink() Stage {
	return Stage{"sink clickhouse", func(ctx context.Context) error {
		conn, err := rt.openClickHouse(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		log := rt.Log.With("stage", "sink.clickhouse")
		return runner.RunClickHouse(ctx, runner.ClickHouseDeps{
			ClientOpts: rt.ClientOpts("sink-clickhouse"), Serde: rt.Serde, Publisher: rt.Publisher,
			Writer: chsink.NewWriter(conn, log).WithMetrics(rt.Metrics), Drain: rt.Drain, Metrics: rt.Metrics, Log: log,
		})
	}}
}

// Query serves the API and the dashboard.
func (rt *Runtime) Query(ln net.Listener) Stage {
	return Stage{"query", func(ctx context.Context) error {
		conn, err := rt.openClickHouse(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if ln == nil {
			if ln, err = net.Listen("tcp", rt.Cfg.Query.Addr); err != nil {
				return fmt.Errorf("query listen %s: %w", rt.Cfg.Query.Addr, err)
			}
		}
		shops := make([]string, 0, len(rt.Cfg.Shops))
		for _, s := range rt.Cfg.Shops {
			shops = append(shops, s.Domain)
		}
		a := api.New(api.Deps{CH: conn, Tokens: rt.Cfg.APITokens, Shops: shops, Settings: rt.Settings,
			Requests: requester{rt}, Logger: rt.Log.With("stage", "query"), Metrics: rt.Metrics.Handler(), Registry: rt.Metrics,
			OdooURL: func(shop string) string { return rt.Cfg.ShopOdoo(shop).URL }, Catalog: querycatalog.FollowKafka(ctx, rt.ClientOpts("query-catalog"), rt.Serde, rt.Log.With("stage", "query")),
			Jobs:       queryjobs.FollowKafka(ctx, querycatalog.KafkaFeed{Opts: rt.ClientOpts("query-jobs"), Log: rt.Log.With("stage", "query")}, rt.Serde, rt.Log.With("stage", "query")),
			ShopifyAPI: func(shop string) bool { _, ok := rt.Shopify.Client(shop); return ok }, Secrets: rt.Settings})
		errc := make(chan error, 1)
		go func() { errc <- a.Listener(ln) }()
		rt.Log.Info("query listening", "addr", ln.Addr().String())
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
			return a.ShutdownWithTimeout(5 * time.Second)
		}
	}}
}

// known is what Synco has seen of the shops' orders, from ClickHouse, connected on
// first use: ingest serves webhooks whether or not ClickHouse is up.
func (rt *Runtime) known() *known.Lazy {
	return &known.Lazy{Open: rt.openClickHouse}
}

func (rt *Runtime) openClickHouse(ctx context.Context) (driver.Conn, error) {
	conn, err := chstore.Open(ctx, rt.Cfg.ClickHouse)
	if err != nil {
		return nil, err
	}
	if err := chstore.Migrate(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// requester publishes manual and bulk sync requests for ingest to answer.
type requester struct{ rt *Runtime }

func (r requester) RequestSync(ctx context.Context, req schemas.SyncRequest) error {
	if req.RequestID == "" {
		req.RequestID = randomID()
	}
	if req.RequestedAt.IsZero() {
		req.RequestedAt = time.Now().UTC()
	}
	return r.rt.Publisher.Publish(ctx, schemas.TopicRequests, []byte(req.Shop), &req)
}

func randomID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
