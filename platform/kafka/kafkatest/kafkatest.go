// Package kafkatest gives tests an embedded Kafka with Synco's topics and a fake schema
// registry, the setup the settings and catalog stores' tests share.
package kafkatest

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/schemas"
)

// Env is one test's Kafka; it is closed when the test ends.
type Env struct {
	Opts  []kgo.Opt    // kafka.ClientOpts for the broker, client id "test"
	Serde *serde.Serde // for the topics Start was given, on a fake registry
	Log   *slog.Logger // discards
}

// Start runs an embedded broker with every Synco topic (3 partitions each) and a fake
// schema registry, and returns a serde for topics.
func Start(t testing.TB, topics ...string) *Env {
	t.Helper()
	ctx := t.Context()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := kafka.StartEmbedded("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	opts := kafka.ClientOpts([]string{e.Addr}, "test", log)
	admin, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := kafka.EnsureTopics(ctx, admin, 3, -1); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(srfake.New().Handler())
	t.Cleanup(srv.Close)
	srcl, err := sr.NewClient(sr.URLs(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	sd, err := serde.New(ctx, srcl, set, topics...)
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Opts: opts, Serde: sd, Log: log}
}
