// Package app wires Synco's stages together explicitly: it resolves Kafka and the
// schema registry (embedded or configured), creates topics, and starts the stages a
// subcommand asks for. Nothing here holds business logic.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/metrics"
	"github.com/synco-dev/synco/platform/registry"
	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/platform/settings"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
)

// Runtime is what every stage shares in one process.
type Runtime struct {
	Cfg      *Config
	Log      *slog.Logger
	Brokers  []string
	Registry *sr.Client
	Serde    *serde.Serde
	Metrics  *metrics.Registry
	Settings *settings.Store
	// Shopify are the shops' Admin API clients (those with a token).
	Shopify *ShopifyClients
	// Publisher is an idempotent acks=all producer shared by the stages.
	Publisher *kafka.Publisher
	// Drain is how long a consumer's batch in flight may finish after a stop
	// (0: the consumer's default, 10 s); tests that crash a stage set it short.
	Drain   time.Duration
	closers []func()
}

// Boot resolves Kafka and the registry, creates missing topics, registers schemas and
// materialises the settings.
func Boot(ctx context.Context, cfg *Config, log *slog.Logger) (*Runtime, error) {
	rt := &Runtime{Cfg: cfg, Log: log, Metrics: metrics.New()}
	rt.Shopify = newShopifyClients(cfg, admin.NewLimiters(), log)
	keys, err := settings.ParseKeys(cfg.SecretKey)
	if err != nil {
		return nil, err // the config checked it
	}
	ok := false
	defer func() {
		if !ok {
			rt.Close()
		}
	}()
	brokers, closeKafka, err := kafka.Brokers(cfg.Kafka, cfg.DataDir, log)
	if err != nil {
		return nil, err
	}
	if cfg.Kafka.Embedded() {
		log.Warn("KAFKA IS THE EMBEDDED ONE: one in-process broker on this machine, for trials and development; set KAFKA_BROKERS for production", "addr", brokers[0], "data", cfg.DataDir)
	}
	rt.Brokers = brokers
	rt.closers = append(rt.closers, closeKafka)
	srcl, _, closeSR, err := registry.Resolve(cfg.Kafka.SchemaRegistryURL, log)
	if err != nil {
		return nil, err
	}
	if cfg.Kafka.SchemaRegistryURL == "" {
		log.Warn("THE SCHEMA REGISTRY IS THE EMBEDDED ONE: in memory, for trials and development; set SCHEMA_REGISTRY_URL for production")
	}
	rt.Registry = srcl
	rt.closers = append(rt.closers, closeSR)

	prod, err := kgo.NewClient(append(rt.ClientOpts("producer"), kafka.ProducerOpts()...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka producer: %w", err)
	}
	rt.closers = append(rt.closers, prod.Close)
	if err := prod.Ping(ctx); err != nil {
		return nil, fmt.Errorf("kafka at %v does not answer: %w", brokers, err)
	}
	created, err := kafka.EnsureTopics(ctx, prod, cfg.Kafka.Partitions, cfg.Kafka.ReplicationFactor)
	if err != nil {
		return nil, err
	}
	if len(created) > 0 {
		log.Info("topics created", "topics", created, "partitions", cfg.Kafka.Partitions)
	}
	set, err := schemas.Load()
	if err != nil {
		return nil, err
	}
	var topics []string
	for _, t := range kafka.Topics() {
		if t.Avro() {
			topics = append(topics, t.Name)
		}
	}
	if rt.Serde, err = serde.New(ctx, srcl, set, topics...); err != nil {
		return nil, err
	}
	rt.Publisher = kafka.NewPublisher(prod, rt.Serde)
	var initial []schemas.ShopSettings
	for _, s := range cfg.Shops {
		st := *s.Settings
		st.Shop = s.Domain
		initial = append(initial, st)
	}
	if rt.Settings, err = settings.Open(ctx, rt.ClientOpts("settings"), rt.Serde, log, initial, settings.WithKeys(keys)); err != nil {
		return nil, err
	}
	rt.Shopify.stored = rt.Settings.Secrets
	rt.closers = append(rt.closers, rt.Settings.Close)
	ok = true
	return rt, nil
}

// ClientOpts are the base franz-go options for one named client of this process.
func (rt *Runtime) ClientOpts(name string) []kgo.Opt {
	host, _ := os.Hostname()
	return kafka.ClientOpts(rt.Brokers, "synco-"+name+"-"+host, rt.Log)
}

// Close stops what Boot started, in reverse order.
func (rt *Runtime) Close() {
	for i := len(rt.closers) - 1; i >= 0; i-- {
		rt.closers[i]()
	}
	rt.closers = nil
}
