package catalog_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/kafka/kafkatest"
	"github.com/synco-dev/synco/query/catalog"
	"github.com/synco-dev/synco/schemas"
)

// eventually waits for cond (what the topic delivers arrives asynchronously).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFollowKafka: the store reads what is on the topic before it says ready, then
// follows new records and tombstones; an unreadable record leaves the shop as it was.
func TestFollowKafka(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k := kafkatest.Start(t, schemas.TopicOdooCatalog)
	opts, sd, log := k.Opts, k.Serde, k.Log
	prod, err := kgo.NewClient(append(opts, kafka.ProducerOpts()...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	pub := kafka.NewPublisher(prod, sd)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	put := func(shop string, at time.Time, journal string) {
		t.Helper()
		c := schemas.OdooCatalog{Shop: shop, RefreshedAt: at, OdooVersion: 17,
			Journals:       []schemas.OdooJournal{{ID: 1, Name: journal, Code: "INV", Type: "sale"}},
			IncomeAccounts: []schemas.OdooAccount{}, Partners: []schemas.OdooPartner{{ID: 7, Name: "Jane", Email: "j@example.com"}}}
		if err := pub.Publish(ctx, schemas.TopicOdooCatalog, []byte(shop), &c); err != nil {
			t.Fatal(err)
		}
	}
	put("a.myshopify.com", at, "old")
	put("a.myshopify.com", at.Add(time.Minute), "Customer Invoices")
	put("b.myshopify.com", at, "Sales")

	s := catalog.FollowKafka(ctx, opts, sd, log)
	eventually(t, "ready", s.Ready)
	a, ok := s.Get("A.myshopify.com")
	if !ok || a.Journals[0].Name != "Customer Invoices" || a.Partners[0].Email != "j@example.com" || !a.RefreshedAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("a after catch-up: %+v %v", a, ok)
	}
	if b, ok := s.Get("b.myshopify.com"); !ok || b.Journals[0].Name != "Sales" {
		t.Fatalf("b after catch-up: %+v %v", b, ok)
	}
	if _, ok := s.Get("c.myshopify.com"); ok {
		t.Fatal("a shop without a catalog has one")
	}

	// Followed: a newer catalog, junk (kept out), a tombstone.
	put("a.myshopify.com", at.Add(2*time.Minute), "Invoices")
	eventually(t, "newer catalog", func() bool { c, _ := s.Get("a.myshopify.com"); return c.Journals[0].Name == "Invoices" })
	if err := prod.ProduceSync(ctx, &kgo.Record{Topic: schemas.TopicOdooCatalog, Key: []byte("a.myshopify.com"), Value: []byte("junk")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := prod.ProduceSync(ctx, &kgo.Record{Topic: schemas.TopicOdooCatalog, Key: []byte("b.myshopify.com")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "tombstone", func() bool { _, ok := s.Get("b.myshopify.com"); return !ok })
	if c, ok := s.Get("a.myshopify.com"); !ok || c.Journals[0].Name != "Invoices" {
		t.Errorf("junk replaced a's catalog: %+v %v", c, ok)
	}
}

// TestNotReadyWithoutKafka: with no broker the store never says ready (the API then
// answers 503) and stops when its context ends.
func TestNotReadyWithoutKafka(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := catalog.FollowKafka(ctx, kafka.ClientOpts([]string{"127.0.0.1:1"}, "test", log), nil, log)
	time.Sleep(200 * time.Millisecond)
	if s.Ready() {
		t.Fatal("ready without Kafka")
	}
	cancel()
}
