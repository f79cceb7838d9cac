package settings

import (
	"context"
	"testing"
	"time"

	"github.com/synco-dev/synco/platform/kafka/kafkatest"
	"github.com/synco-dev/synco/schemas"
)

func TestStoreMaterialisesAndFollows(t *testing.T) {
	ctx := context.Background()
	k := kafkatest.Start(t, schemas.TopicSettings)
	opts, sd, log := k.Opts, k.Serde, k.Log

	initial := schemas.DefaultSettings("a.myshopify.com")
	initial.OrderPrefix = "A-"
	s1, err := Open(ctx, opts, sd, log, []schemas.ShopSettings{initial})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := s1.Get("a.myshopify.com")
	if !ok || got.OrderPrefix != "A-" || got.Revision != 1 {
		t.Fatalf("initial settings: %+v %v", got, ok)
	}
	changed := got
	changed.OrderPrefix = "B-"
	if err := s1.Put(ctx, changed); err != nil {
		t.Fatal(err)
	}
	s1.Close()

	// A new store reads the stored settings; the config's initial ones no longer apply.
	s2, err := Open(ctx, opts, sd, log, []schemas.ShopSettings{initial})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, _ := s2.Get("a.myshopify.com"); got.OrderPrefix != "B-" || got.Revision != 2 {
		t.Fatalf("after restart: %+v", got)
	}
	// A change published elsewhere reaches a running store.
	s3, err := Open(ctx, opts, sd, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	next, _ := s3.Get("a.myshopify.com")
	next.OrderPrefix = "C-"
	if err := s3.Put(ctx, next); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got, _ := s2.Get("a.myshopify.com"); got.OrderPrefix == "C-" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("running store did not follow the change")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if d := s2.Effective("unknown.myshopify.com"); d.Create != schemas.CreateDraftSaleOrder {
		t.Errorf("defaults: %+v", d)
	}
}
