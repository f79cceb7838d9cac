package schemas_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/synco-dev/synco/schemas"
)

// TestJobAndRequestRoundTrip: the Go types of synco.jobs and the new request fields
// agree with their .avsc field by field.
func TestJobAndRequestRoundTrip(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 123e6, time.UTC)
	to := at.Add(48 * time.Hour)
	job := schemas.Job{JobID: "j1", Shop: "a.myshopify.com", Kind: schemas.JobBackfill, Status: schemas.JobRunning,
		From: &at, To: &to, Checkpoint: &at, Mode: "bulk", Processed: 7, Emitted: 6, Counts: map[string]int64{"listed": 3},
		StartedAt: at, UpdatedAt: to, Error: "x", RequestedBy: "cli", Owner: "host:1"}
	req := schemas.SyncRequest{RequestID: "r", Shop: "a.myshopify.com", OrderIDs: []int64{}, RequestedAt: at, Kind: schemas.RequestBackfill, From: &at}
	for _, c := range []struct {
		topic   string
		in, out any
	}{{schemas.TopicJobs, &job, &schemas.Job{}}, {schemas.TopicRequests, &req, &schemas.SyncRequest{}}} {
		sc := set.Schema(schemas.SchemaForTopic(c.topic))
		b, err := avro.Marshal(sc, c.in)
		if err != nil {
			t.Fatal(err)
		}
		if err := avro.Unmarshal(sc, b, c.out); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c.in, c.out) {
			t.Errorf("%s round trip\n got %+v\nwant %+v", c.topic, c.out, c.in)
		}
	}
}
