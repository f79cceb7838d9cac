package schemas_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/synco-dev/synco/schemas"
)

var allNames = []string{"order.avsc", "shop_settings.avsc", "order_event.avsc", "order_sync.avsc", "sync_outcome.avsc", "dead_letter.avsc", "sync_request.avsc", "order_state.avsc", "odoo_catalog.avsc", "job.avsc"}

// TestBackwardCompatible: the current schemas must read everything any shipped
// version wrote (new fields need defaults, no type changes).
func TestBackwardCompatible(t *testing.T) {
	current, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	versions, _ := filepath.Glob("history/v*")
	if len(versions) == 0 {
		t.Fatal("no history/v* folders: the compatibility test has nothing to compare")
	}
	for _, dir := range versions {
		var present []string
		for _, n := range allNames {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				present = append(present, n)
			}
		}
		old, err := schemas.LoadFS(os.DirFS("."), dir, present)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, name := range old.Names() {
			reader := current.Schema(name)
			if reader == nil {
				t.Errorf("%s: schema %s was removed", dir, name)
				continue
			}
			if err := avro.NewSchemaCompatibility().Compatible(reader, old.Schema(name)); err != nil {
				t.Errorf("%s: current %s cannot read data written by this version: %v", dir, name, err)
			}
		}
	}
}

// TestCompatibilityCheckerCatches proves the check above can fail: a required field
// without default added to the reader breaks reading old data.
func TestCompatibilityCheckerCatches(t *testing.T) {
	old := avro.MustParse(`{"type":"record","name":"X","fields":[{"name":"a","type":"string"}]}`)
	broken := avro.MustParse(`{"type":"record","name":"X","fields":[{"name":"a","type":"string"},{"name":"b","type":"long"}]}`)
	if err := avro.NewSchemaCompatibility().Compatible(broken, old); err == nil {
		t.Fatal("adding a field without default was judged compatible")
	}
}

func TestEveryTopicHasASchema(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	topics := append([]string{schemas.TopicOrders, schemas.TopicSettings, schemas.TopicRequests,
		schemas.TopicCommands, schemas.TopicOutcomes, schemas.TopicProcessorState, schemas.TopicOdooCatalog, schemas.TopicJobs}, schemas.RetryTopics...)
	for _, tp := range []string{schemas.TopicOrdersDLQ, schemas.TopicCommandsDLQ, schemas.TopicOutcomesDLQ, schemas.TopicRequestsDLQ} {
		if name := schemas.SchemaForTopic(tp); name != "" {
			t.Errorf("dead-letter topic %s has a schema (%s): dead letters keep the original bytes", tp, name)
		}
	}
	for _, tp := range topics {
		name := schemas.SchemaForTopic(tp)
		if name == "" || set.Schema(name) == nil {
			t.Errorf("topic %s has no schema (%q)", tp, name)
		}
	}
}
