package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/synco-dev/synco/ingest/requests"
	"github.com/synco-dev/synco/ingest/server"
	"github.com/synco-dev/synco/odoosim"
	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/processor/stream"
	"github.com/synco-dev/synco/query/api"
	querycatalog "github.com/synco-dev/synco/query/catalog"
	"github.com/synco-dev/synco/schemas"
	chsink "github.com/synco-dev/synco/sink/clickhouse"
	"github.com/synco-dev/synco/sink/odoo"
	"github.com/synco-dev/synco/sink/runner"
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
		return server.Serve(ctx, ln, server.Deps{Config: rt.Cfg, Publisher: rt.Publisher, Metrics: rt.Metrics, Log: rt.Log.With("stage", "ingest")})
	}}
}

// Requests answers manual sync requests from the query API.
func (rt *Runtime) Requests() Stage {
	return Stage{"requests", func(ctx context.Context) error {
		return requests.Run(ctx, requests.Deps{ClientOpts: rt.ClientOpts("requests"), Serde: rt.Serde,
			Publisher: server.OrderPublisher(rt.Publisher), Log: rt.Log.With("stage", "ingest.requests")})
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
		})
		return p.Run(ctx)
	}}
}

// OdooSink applies commands to each shop's Odoo. Shops without an Odoo URL use the
// bundled simulator, started here once.
func (rt *Runtime) OdooSink(sim *Simulator, retryDelays []time.Duration) Stage {
	return Stage{"sink odoo", func(ctx context.Context) error {
		targets := &targets{rt: rt, sim: sim, byShop: map[string]runner.Target{}}
		return runner.RunOdoo(ctx, runner.OdooDeps{
			ClientOpts: rt.ClientOpts("sink-odoo"), Serde: rt.Serde, Publisher: rt.Publisher,
			Target: targets.get, Retriable: odoo.IsRetriable, RetryDelays: retryDelays,
			Log: rt.Log.With("stage", "sink.odoo"),
		})
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
		return runner.RunClickHouse(ctx, runner.ClickHouseDeps{
			ClientOpts: rt.ClientOpts("sink-clickhouse"), Serde: rt.Serde,
			Writer: chsink.NewWriter(conn, rt.Log.With("stage", "sink.clickhouse")), Log: rt.Log.With("stage", "sink.clickhouse"),
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
			Requests: requester{rt}, Logger: rt.Log.With("stage", "query"), Metrics: rt.Metrics.Handler(),
			OdooURL: rt.odooURL, Catalog: querycatalog.FollowKafka(ctx, rt.ClientOpts("query-catalog"), rt.Serde, rt.Log.With("stage", "query"))})
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

// odooURL is the base URL of a shop's Odoo for links in the order table.
func (rt *Runtime) odooURL(shop string) string {
	sc, ok := rt.Cfg.Shop(shop)
	if !ok {
		return ""
	}
	if sc.Odoo.Simulated() {
		return "http://" + rt.SimulatorAddr
	}
	return sc.Odoo.URL
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

// targets dials each shop's Odoo on first use.
type targets struct {
	rt     *Runtime
	sim    *Simulator
	mu     sync.Mutex
	byShop map[string]runner.Target
}

func (t *targets) get(shop string) (runner.Target, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tg, ok := t.byShop[shop]; ok {
		return tg, nil
	}
	sc, ok := t.rt.Cfg.Shop(shop)
	if !ok {
		return runner.Target{}, fmt.Errorf("shop %s is not in the config", shop)
	}
	oc := sc.Odoo
	if oc.Simulated() {
		if t.sim == nil {
			return runner.Target{}, fmt.Errorf("shop %s names no Odoo and no simulator runs in this process", shop)
		}
		url, err := t.sim.URL()
		if err != nil {
			return runner.Target{}, err
		}
		oc.URL = url
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := odoo.Dial(ctx, oc)
	if err != nil {
		return runner.Target{}, fmt.Errorf("odoo of %s: %w", shop, err)
	}
	tg := runner.Target{Applier: applier{odoo.NewSyncer(cl)}, Concurrency: oc.Concurrency}
	t.byShop[shop] = tg
	return tg, nil
}

// applier adapts the Odoo syncer to the runner.
type applier struct{ s *odoo.Syncer }

func (a applier) Apply(ctx context.Context, cmd *schemas.OrderSync) (runner.Applied, error) {
	r, err := a.s.Apply(ctx, cmd)
	return runner.Applied{Model: r.Model, ID: r.ID, Name: r.Name, InvoiceID: r.InvoiceID, Calls: r.Calls}, err
}

// Simulator is the bundled Odoo for shops that name none, started on first use.
type Simulator struct {
	Addr    string
	Version int
	once    sync.Once
	srv     *odoosim.Server
	url     string
	err     error
}

// URL starts the simulator if needed and returns its base URL.
func (s *Simulator) URL() (string, error) {
	s.once.Do(func() {
		s.srv = odoosim.New(odoosim.Options{Version: s.Version})
		s.url, s.err = s.srv.Start(s.Addr)
	})
	return s.url, s.err
}

// Server is the running simulator (nil before first use).
func (s *Simulator) Server() *odoosim.Server { return s.srv }

// Close stops it.
func (s *Simulator) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// SimulatorFor returns a simulator when some shop needs one.
func SimulatorFor(cfg *config.Config, addr string) *Simulator {
	for _, s := range cfg.Shops {
		if s.Odoo.Simulated() {
			return &Simulator{Addr: addr, Version: 17}
		}
	}
	return nil
}

func randomID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
