// Package cli is the synco command line: subcommands, the global --config flag
// (before or after the subcommand), help per command, and exit codes (0 ok, 1
// runtime failure, 2 bad usage or bad config).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/cmd/internal/app"
	"github.com/synco-dev/synco/cmd/internal/demo"
	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/logging"
)

// Version is set at build time (-ldflags "-X .../cli.Version=...").
var Version = "dev"

const usage = `synco keeps Odoo in step with Shopify.

Usage: synco <command> [flags] [--config FILE]

Commands:
  all                  ingest, processor, both sinks and query in one process
  ingest               the webhook endpoint (and manual sync requests)
  processor            the rules
  sink odoo            applies commands to Odoo
  sink clickhouse      streams outcomes into ClickHouse
  query                the API and the dashboard
  topics               creates or checks the topics
  backfill --shop D --from DATE [--to DATE]
  reconcile --shop D [--from DATE] [--to DATE]
  replay --shop D [--from DATE] [--to DATE] [--force]
  odoo-sim [--addr A] [--version 16|17|18|19]
  version
  help [command]       this text, or one command's

Global flag, before or after the command: --config FILE (env SYNCO_CONFIG, default
./synco.yaml). Without a config file synco runs the demo store on embedded Kafka and
the bundled Odoo simulator.
`

// help is each command's own text (synco help <command>).
var help = map[string]string{
	"all": `synco all [--demo] [--odoo-sim-addr A]

Runs ingest, the processor, both sinks and the query service in one process. With no
config file it runs the demo stores, each with a simulated Shopify (Admin API and
signed webhooks) that sample orders are created in and delivered from (--demo
delivers such orders to a configured first shop too, whose Admin API stays its
own). Shops whose odoo block says "simulator: true" are served by the bundled Odoo
simulator on --odoo-sim-addr (default ` + demo.SimulatorAddr + `).`,
	"ingest":          "synco ingest\n\nServes POST /webhooks/shopify (SYNCO_INGEST_ADDR, ingest.addr) and answers manual sync requests.",
	"processor":       "synco processor\n\nApplies each shop's rules to order events; run as many as there are partitions to share.",
	"sink odoo":       "synco sink odoo [--odoo-sim-addr A]\n\nApplies commands to each shop's Odoo, with delayed retries (sink.retry_delays) and dead letters.",
	"sink clickhouse": "synco sink clickhouse\n\nStreams every outcome into ClickHouse (CLICKHOUSE_ADDR).",
	"query":           "synco query\n\nServes the API and the dashboard (SYNCO_QUERY_ADDR, query.addr).",
	"topics":          "synco topics\n\nCreates missing topics and checks the partitions and cleanup policy of existing ones.",
	"backfill": `synco backfill --shop D --from YYYY-MM-DD [--to YYYY-MM-DD]

Pulls the orders created on those days (UTC, to inclusive; no --to: until now) from
Shopify's Admin API into the pipeline (origin backfill): one at a time below
ingest.bulk_threshold orders, with a bulk operation above. Progress goes to stderr.
Interrupted (Ctrl-C), it keeps its checkpoint in the synco.jobs topic: the same command
again resumes. A second run changes nothing in Odoo. Needs the shop's admin_api_token.`,
	"reconcile": `synco reconcile --shop D [--from YYYY-MM-DD] [--to YYYY-MM-DD]

Lists the orders Shopify updated in the window (default: the last two days, the
overlap of the periodic reconciliation) and re-emits every one Synco never saw or saw
only in an older version; prints the counts. Needs the shop's admin_api_token.`,
	"replay": `synco replay --shop D [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--force]

Sends the shop's stored orders (the latest snapshot of each, from the processor's
changelog), created on those days, through the current rules again: after a rule
change, orders that now pass are synced. Orders already sent to Odoo are left as they
are unless --force.`,
	"odoo-sim": "synco odoo-sim [--addr A] [--version 16|17|18|19]\n\nThe Odoo simulator on its own (db synco, login admin, password admin; JSON-2 on 19).",
	"version":  "synco version\n\nVersion and build information.",
}

// exitError carries an exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func usageErr(format string, a ...any) error {
	return &exitError{2, fmt.Errorf(format, a...)}
}

// Main runs synco with args and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	err := run(args, stdout, stderr)
	if err == nil {
		return 0
	}
	code := 1
	var ee *exitError
	var ce *config.Error
	var ces config.Errors
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case errors.As(err, &ce), errors.As(err, &ces):
		code = 2
	}
	fmt.Fprintln(stderr, "synco:", err)
	if code == 2 && !errors.As(err, &ce) && !errors.As(err, &ces) {
		fmt.Fprint(stderr, "\n"+usage)
	}
	return code
}

// globals takes the global flags out of args, wherever they stand.
func globals(args []string) (cfgPath string, explicit bool, rest []string, err error) {
	cfgPath = os.Getenv("SYNCO_CONFIG")
	explicit = cfgPath != ""
	if cfgPath == "" {
		cfgPath = "synco.yaml"
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "config" {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return "", false, nil, usageErr("--config needs a file")
			}
			i++
			value = args[i]
		}
		cfgPath, explicit = value, true
	}
	return cfgPath, explicit, rest, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	cfgPath, explicit, rest, err := globals(args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usageErr("no command given")
	}
	cmd, rest := rest[0], rest[1:]
	if cmd == "sink" {
		if len(rest) == 0 || (rest[0] != "odoo" && rest[0] != "clickhouse") {
			return usageErr("sink needs odoo or clickhouse")
		}
		cmd, rest = "sink "+rest[0], rest[1:]
	}
	switch cmd {
	case "version":
		return printVersion(stdout)
	case "help", "-h", "--help":
		return printHelp(stdout, rest)
	case "odoo-sim":
		return runSim(rest, stderr)
	case "all", "ingest", "processor", "sink odoo", "sink clickhouse", "query", "topics", "backfill", "reconcile", "replay":
	default:
		return usageErr("unknown command %q", cmd)
	}

	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	demoFlag := fs.Bool("demo", false, "post signed sample orders to ingest (all only)")
	simAddr := fs.String("odoo-sim-addr", demo.SimulatorAddr, "where the bundled Odoo simulator listens")
	shop := fs.String("shop", "", "shop domain (backfill, reconcile, replay)")
	from := fs.String("from", "", "first date YYYY-MM-DD (backfill, reconcile, replay)")
	to := fs.String("to", "", "last date YYYY-MM-DD (backfill, reconcile, replay)")
	force := fs.Bool("force", false, "replay orders already sent to Odoo too (replay)")
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return printHelp(stdout, []string{cmd})
		}
		return usageErr("%s: %v", cmd, err)
	}
	if fs.NArg() > 0 {
		return usageErr("%s: unexpected arguments %v", cmd, fs.Args())
	}

	cfg, usingDemo, err := loadConfig(cfgPath, explicit)
	if err != nil {
		return err
	}
	log := logging.New(stderr, cfg.Log)

	var job *jobArgs
	switch cmd {
	case "backfill", "reconcile", "replay":
		if job, err = checkJob(cfg, cmd, *shop, *from, *to, *force); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if cmd == "topics" {
		return runTopics(ctx, cfg, log, stdout)
	}

	// Shops that ask for the bundled simulator get it; the process that applies
	// commands runs it (the query process only links to it).
	var sim *demo.Simulator
	if shops := cfg.SimulatedShops(); len(shops) > 0 {
		cfg.UseSimulator("http://" + *simAddr)
		if cmd == "all" || cmd == "sink odoo" {
			if sim, err = demo.StartSimulator(*simAddr, 17); err != nil {
				return err
			}
			defer sim.Close()
			log.Warn("THE BUNDLED ODOO SIMULATOR SERVES SHOPS: in memory, what it holds is lost when synco stops; give each shop its odoo.url for real use", "shops", shops, "url", sim.URL)
		}
	}

	// The demo stores get a simulated Shopify (in this process: its orders are the
	// ones the demo delivers), so the sink reads their payments and writes the Odoo
	// ids back, and manual syncs and the reconciliation have an Admin API to ask.
	var shopify demo.Shopify
	if usingDemo && cmd == "all" {
		if shopify, err = demo.StartShopify(ctx, cfg, "http://"+cfg.Ingest.Addr); err != nil {
			return err
		}
	}

	rt, err := app.Boot(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer rt.Close()
	if job != nil {
		return job.run(ctx, rt, stdout, stderr)
	}
	var stages []app.Stage
	switch cmd {
	case "all":
		stages = []app.Stage{rt.ClickHouseSink(), rt.Processor(), rt.OdooSink(), rt.Query(nil), rt.Ingest(nil), rt.Requests(), rt.Subscriptions(), rt.Reconciliation(), rt.Resume()}
		if *demoFlag || usingDemo {
			shops := cfg.Shops[:1]
			if usingDemo {
				shops = cfg.Shops
			}
			stages = append(stages, app.Stage{Name: "demo", Run: func(ctx context.Context) error {
				return demo.Generate(ctx, demo.Options{IngestURL: "http://" + cfg.Ingest.Addr, Shops: shops, Shopify: shopify, Sim: sim, Log: log.With("stage", "demo")})
			}})
		}
		printWelcome(stdout, cfg, usingDemo)
	case "ingest":
		stages = []app.Stage{rt.Ingest(nil), rt.Requests(), rt.Subscriptions(), rt.Reconciliation(), rt.Resume()}
	case "processor":
		stages = []app.Stage{rt.Processor()}
	case "sink odoo":
		stages = []app.Stage{rt.OdooSink()}
	case "sink clickhouse":
		stages = []app.Stage{rt.ClickHouseSink()}
	case "query":
		stages = []app.Stage{rt.Query(nil)}
	}
	return app.RunStages(ctx, rt, stages...)
}

func printHelp(w io.Writer, topic []string) error {
	if len(topic) == 0 {
		fmt.Fprint(w, usage)
		return nil
	}
	name := strings.Join(topic, " ")
	h, ok := help[name]
	if !ok {
		return usageErr("help: unknown command %q", name)
	}
	fmt.Fprintln(w, h)
	fmt.Fprintln(w, "\nGlobal flag: --config FILE (env SYNCO_CONFIG, default ./synco.yaml).")
	return nil
}

// loadConfig reads the config file; without one (and none named explicitly) it
// returns the demo configuration.
func loadConfig(path string, explicit bool) (*app.Config, bool, error) {
	if _, err := os.Stat(path); err != nil && !explicit {
		cfg, err := demo.Config(os.LookupEnv)
		return cfg, true, err
	}
	cfg, err := app.Load(path, true, nil)
	return cfg, false, err
}

func printWelcome(w io.Writer, cfg *app.Config, usingDemo bool) {
	fmt.Fprintf(w, "\nSynco is running.\n  dashboard: http://%s/\n  webhooks:  http://%s/webhooks/shopify\n", cfg.Query.Addr, cfg.Ingest.Addr)
	if usingDemo && len(cfg.APITokens) > 0 {
		fmt.Fprintf(w, "  dev API token: %s\n  try: curl -H 'Authorization: Bearer %s' http://%s/api/shops/%s/orders\n",
			cfg.APITokens[0].Token, cfg.APITokens[0].Token, cfg.Query.Addr, cfg.Shops[0].Domain)
		fmt.Fprintln(w, "  demo stores: "+cfg.Shops[0].Domain+" (USD) and "+cfg.Shops[len(cfg.Shops)-1].Domain+" (EUR); sample orders are created in a simulated Shopify and delivered every few seconds; Odoo is the bundled simulator")
	}
	fmt.Fprintln(w)
}

func printVersion(w io.Writer) error {
	fmt.Fprintf(w, "synco %s\n", Version)
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(w, "go %s\n", bi.GoVersion)
		for _, s := range bi.Settings {
			if strings.HasPrefix(s.Key, "vcs.") || s.Key == "GOOS" || s.Key == "GOARCH" {
				fmt.Fprintf(w, "%s %s\n", s.Key, s.Value)
			}
		}
	}
	return nil
}

func runTopics(ctx context.Context, cfg *app.Config, log *slog.Logger, stdout io.Writer) error {
	brokers, closeKafka, err := kafka.Brokers(cfg.Kafka, cfg.DataDir, log)
	if err != nil {
		return err
	}
	defer closeKafka()
	cl, err := kgo.NewClient(kafka.ClientOpts(brokers, "synco-topics", log)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	created, err := kafka.EnsureTopics(ctx, cl, cfg.Kafka.Partitions, cfg.Kafka.ReplicationFactor)
	for _, t := range created {
		fmt.Fprintf(stdout, "created %s\n", t)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d topics ok (%d partitions)\n", len(kafka.Topics()), cfg.Kafka.Partitions)
	return nil
}

func runSim(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("odoo-sim", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:8069", "listen address")
	version := fs.Int("version", 17, "Odoo version to answer as: 16, 17, 18 or 19")
	if err := fs.Parse(args); err != nil {
		return usageErr("odoo-sim: %v", err)
	}
	switch *version {
	case 16, 17, 18, 19:
	default:
		return usageErr("odoo-sim: --version %d is not 16, 17, 18 or 19", *version)
	}
	sim, err := demo.StartSimulator(*addr, *version)
	if err != nil {
		return err
	}
	defer sim.Close()
	fmt.Fprintf(stderr, "odoo simulator (Odoo %d) at %s — db synco, login admin, password admin\n", *version, sim.URL)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
