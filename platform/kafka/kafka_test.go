package kafka

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/schemas"
)

func TestEnsureTopicsCreatesTheContract(t *testing.T) {
	e, err := StartEmbedded("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cl, err := kgo.NewClient(ClientOpts([]string{e.Addr}, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	created, err := EnsureTopics(ctx, cl, 6, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != len(Topics()) {
		t.Fatalf("created %v", created)
	}
	// A fresh client: kgo caches "all topics" metadata for a while.
	fresh := func() *kgo.Client {
		c, err := kgo.NewClient(ClientOpts([]string{e.Addr}, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	adm := kadm.NewClient(fresh())
	details, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range Topics() {
		d, ok := details[tp.Name]
		if !ok || len(d.Partitions) != 6 {
			t.Errorf("topic %s: %+v", tp.Name, d)
		}
	}
	cfgs, err := adm.DescribeTopicConfigs(ctx, schemas.TopicSettings, schemas.TopicOrders)
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range cfgs {
		for _, c := range rc.Configs {
			if c.Key != "cleanup.policy" {
				continue
			}
			want := "delete"
			if rc.Name == schemas.TopicSettings {
				want = "compact"
			}
			if c.MaybeValue() != want {
				t.Errorf("%s cleanup.policy = %q, want %q", rc.Name, c.MaybeValue(), want)
			}
		}
	}
	// A second run creates nothing and accepts what exists.
	if again, err := EnsureTopics(ctx, fresh(), 6, -1); err != nil || len(again) != 0 {
		t.Errorf("second run: %v %v", again, err)
	}
	// A partition count that differs is reported.
	if _, err := EnsureTopics(ctx, fresh(), 12, -1); err == nil {
		t.Error("partition count mismatch not reported")
	}
}
