// Package kafka configures franz-go clients in one place from Synco's config, hosts
// the embedded kfake cluster, and creates the topics of the contract.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/schemas"
)

// Embedded is an in-process Kafka (kfake: the real wire protocol) with its data on disk,
// so a restart keeps events and committed offsets.
type Embedded struct {
	cluster *kfake.Cluster
	Addr    string
}

// StartEmbedded listens on addr ("host:port"; port 0 picks one) and keeps data under dataDir.
// If dataDir is empty the data lives in memory only.
func StartEmbedded(addr, dataDir string) (*Embedded, error) {
	_, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("embedded kafka address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("embedded kafka port %q: %w", portStr, err)
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.DefaultNumPartitions(12)}
	if port != 0 {
		opts = append(opts, kfake.Ports(port))
	} else {
		opts = append(opts, kfake.Ports(freePort()))
	}
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("embedded kafka data dir: %w", err)
		}
		opts = append(opts, kfake.DataDir(dataDir), kfake.SyncWrites())
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded kafka on %s: %w", addr, err)
	}
	return &Embedded{cluster: c, Addr: c.ListenAddrs()[0]}, nil
}

// Close stops the cluster, flushing its data.
func (e *Embedded) Close() { e.cluster.Close() }

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Listening reports whether something accepts connections at addr (another Synco
// process hosting the embedded cluster, say).
func Listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Brokers resolves where Kafka is: configured brokers, or the embedded cluster,
// started here unless another process already serves it at the embedded address.
// The returned closer stops what was started (a no-op otherwise).
func Brokers(cfg config.Kafka, dataDir string, log *slog.Logger) ([]string, func(), error) {
	if !cfg.Embedded() {
		return cfg.Brokers, func() {}, nil
	}
	if Listening(cfg.EmbeddedAddr) {
		log.Info("using the embedded kafka another synco process serves", "addr", cfg.EmbeddedAddr)
		return []string{cfg.EmbeddedAddr}, func() {}, nil
	}
	e, err := StartEmbedded(cfg.EmbeddedAddr, filepath.Join(dataDir, "kafka"))
	if err != nil {
		return nil, nil, err
	}
	log.Info("embedded kafka started", "addr", e.Addr, "data", filepath.Join(dataDir, "kafka"))
	return []string{e.Addr}, e.Close, nil
}

// ClientOpts are the options every Synco client shares.
func ClientOpts(brokers []string, clientID string, log *slog.Logger) []kgo.Opt {
	return []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.ClientID(clientID),
		kgo.WithLogger(kgoLogger{log}),
		kgo.RetryTimeout(30 * time.Second),
		// Short long-polls: a partition picked up after a rebalance starts flowing
		// within a second instead of the 5 s default.
		kgo.FetchMaxWait(time.Second),
	}
}

// ProducerOpts: acks=all and idempotence (franz-go's defaults, stated so nobody
// weakens them by accident), no linger for low latency at webhook time.
func ProducerOpts() []kgo.Opt {
	return []kgo.Opt{
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.ProducerBatchMaxBytes(16 << 20),
	}
}

// GroupCommitOpts are ProducerOpts for a client whose owner flushes it itself
// (kgo.ManualFlushing), one request at a time, so that records arriving while a
// request is at the broker share the next one (ingest's group commit). Records are
// still acknowledged one by one (acks=all, idempotent).
func GroupCommitOpts() []kgo.Opt {
	return append(ProducerOpts(), kgo.ManualFlushing())
}

// Topic describes one topic of the contract.
type Topic struct {
	Name    string
	Compact bool
}

// Avro reports whether the topic's values are Avro (dead letters keep raw bytes).
func (t Topic) Avro() bool { return schemas.SchemaForTopic(t.Name) != "" }

// Topics lists every topic Synco uses.
func Topics() []Topic {
	ts := []Topic{
		{Name: schemas.TopicOrders},
		{Name: schemas.TopicOrdersDLQ},
		{Name: schemas.TopicSettings, Compact: true},
		{Name: schemas.TopicRequests},
		{Name: schemas.TopicCommands},
		{Name: schemas.TopicCommandsDLQ},
		{Name: schemas.TopicOutcomes},
		{Name: schemas.TopicOutcomesDLQ},
		{Name: schemas.TopicRequestsDLQ},
		{Name: schemas.TopicProcessorState, Compact: true},
		{Name: schemas.TopicOdooCatalog, Compact: true},
		{Name: schemas.TopicJobs, Compact: true},
	}
	for _, r := range schemas.RetryTopics {
		ts = append(ts, Topic{Name: r})
	}
	return ts
}

// EnsureTopics creates missing topics with the configured partition count and checks
// existing ones (a partition count that differs breaks co-partitioning of the
// processor's changelog: it is reported, not silently accepted).
func EnsureTopics(ctx context.Context, cl *kgo.Client, partitions int32, rf int16) ([]string, error) {
	adm := kadm.NewClient(cl)
	var created []string
	existing, err := adm.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	var problems []error
	for _, t := range Topics() {
		if d, ok := existing[t.Name]; ok {
			if got := int32(len(d.Partitions)); got != partitions {
				problems = append(problems, fmt.Errorf("topic %s has %d partitions, config says %d", t.Name, got, partitions))
			}
			continue
		}
		cfgs := map[string]*string{"cleanup.policy": ptr("delete")}
		if t.Compact {
			cfgs["cleanup.policy"] = ptr("compact")
		}
		resp, err := adm.CreateTopic(ctx, partitions, rf, cfgs, t.Name)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) { // a concurrent creator won
			return created, fmt.Errorf("create topic %s: %w", t.Name, err)
		}
		created = append(created, t.Name)
	}
	return created, errors.Join(problems...)
}

func ptr(s string) *string { return &s }

type kgoLogger struct{ l *slog.Logger }

func (k kgoLogger) Level() kgo.LogLevel {
	if k.l.Enabled(context.Background(), slog.LevelDebug) {
		return kgo.LogLevelInfo
	}
	return kgo.LogLevelWarn
}

func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lv := slog.LevelInfo
	switch level {
	case kgo.LogLevelError:
		lv = slog.LevelError
	case kgo.LogLevelWarn:
		lv = slog.LevelWarn
	case kgo.LogLevelDebug:
		lv = slog.LevelDebug
	}
	k.l.Log(context.Background(), lv, "kafka: "+msg, keyvals...)
}
