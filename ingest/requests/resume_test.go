package requests

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/ingest/events"
	"github.com/synco-dev/synco/platform/kafka"
	"github.com/synco-dev/synco/platform/kafka/kafkatest"
	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
)

var rt0 = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func job(id, status, by string, updated time.Time) schemas.Job {
	from, to, cp := rt0.Add(-72*time.Hour), rt0.Add(-time.Hour), rt0.Add(-48*time.Hour)
	return schemas.Job{JobID: id, Shop: "r.myshopify.com", Kind: schemas.JobBackfill, Status: status, From: &from, To: &to,
		Checkpoint: &cp, Counts: map[string]int64{}, StartedAt: rt0.Add(-time.Hour), UpdatedAt: updated, RequestedBy: by}
}

// Only backfills started through the API that no process runs any more are resumed.
func TestAbandoned(t *testing.T) {
	stale, fresh := rt0.Add(-StaleAfter), rt0.Add(-StaleAfter+time.Second)
	reconcile := job("rec", schemas.JobInterrupted, "api", stale)
	reconcile.Kind = schemas.JobReconcile
	noStart := job("nostart", schemas.JobInterrupted, "api", stale)
	noStart.From = nil
	jobs := []schemas.Job{
		job("interrupted", schemas.JobInterrupted, "dev", fresh),     // its ingest stopped: yes
		job("dead", schemas.JobRunning, "dev", stale),                // no progress for StaleAfter: its ingest died
		job("alive", schemas.JobRunning, "dev", fresh),               // still saving progress
		job("cli", schemas.JobInterrupted, schemas.JobByCLI, stale),  // the terminal's own
		job("cli-dead", schemas.JobRunning, schemas.JobByCLI, stale), // the terminal's own
		job("failed", schemas.JobFailed, "dev", stale),               // a person reads the error
		job("done", schemas.JobDone, "dev", stale),                   // done
		reconcile, noStart,
	}
	var got []string
	for _, j := range Abandoned(jobs, rt0) {
		got = append(got, j.JobID)
	}
	if want := []string{"interrupted", "dead"}; !slices.Equal(got, want) {
		t.Errorf("abandoned %v, want %v", got, want)
	}
}

// The Resumer reads synco.jobs, asks again for each abandoned backfill with its own
// range and id (so it resumes from its checkpoint), marks it so that the next round
// does not ask twice while the request waits, and leaves the others alone.
func TestResumerAsksAgainOnce(t *testing.T) {
	env := kafkatest.Start(t, schemas.TopicJobs)
	ctx := context.Background()
	cl, err := kgo.NewClient(append(env.Opts, kafka.ProducerOpts()...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	pub := kafka.NewPublisher(cl, env.Serde)
	older := job("dead", schemas.JobRunning, "dev", rt0.Add(-time.Hour))
	older.Checkpoint = nil // an earlier record of the same job: only the latest counts
	for _, j := range []schemas.Job{older, job("dead", schemas.JobRunning, "dev", rt0.Add(-10*time.Minute)),
		job("alive", schemas.JobRunning, "dev", rt0.Add(-time.Second)), job("cli", schemas.JobInterrupted, schemas.JobByCLI, rt0),
		job("stopped", schemas.JobInterrupted, "dev", rt0.Add(-time.Second))} {
		if err := events.SaveJob(ctx, pub, &j); err != nil {
			t.Fatal(err)
		}
	}
	// An unreadable record is left out, not a reason to resume nothing.
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: schemas.TopicJobs, Key: []byte("r.myshopify.com/backfill/junk"), Value: []byte("not avro")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var asked []schemas.SyncRequest
	r := &Resumer{ClientOpts: env.Opts, Decoder: env.Serde, Log: env.Log,
		Now: func() time.Time { return rt0 },
		Request: func(_ context.Context, req schemas.SyncRequest) error {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, req)
			return nil
		}}
	n, err := r.Once(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Once: %d, %v; want 2 asked again", n, err)
	}
	ids := []string{asked[0].RequestID, asked[1].RequestID}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"dead", "stopped"}) {
		t.Fatalf("asked again for %v", ids)
	}
	want := job("x", "", "", rt0)
	for _, q := range asked {
		// RequestedAt is the job's own last time: a copy that arrives after the run
		// finished is served, not run again.
		last := map[string]time.Time{"dead": rt0.Add(-10 * time.Minute), "stopped": rt0.Add(-time.Second)}[q.RequestID]
		if q.Kind != schemas.RequestBackfill || q.Shop != "r.myshopify.com" || !q.From.Equal(*want.From) || q.To == nil ||
			!q.To.Equal(*want.To) || q.RequestedBy != "dev" || !q.RequestedAt.Equal(last) {
			t.Errorf("request %+v", q)
		}
	}
	// The Resumer writes no job record (only a backfill's own run does), and the next
	// round asks for nothing: the requests wait for their turn.
	jobs, err := events.LoadJobs(ctx, env.Opts, env.Serde, nil, func(string, error) {})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 4 {
		t.Errorf("%d jobs, want the 4 saved", len(jobs))
	}
	for _, j := range jobs {
		if j.JobID == "dead" && (j.Status != schemas.JobRunning || !j.UpdatedAt.Equal(rt0.Add(-10*time.Minute))) ||
			j.JobID == "stopped" && j.Status != schemas.JobInterrupted {
			t.Errorf("the Resumer changed job %+v", j)
		}
	}
	if n, err := r.Once(ctx); err != nil || n != 0 {
		t.Errorf("second round: %d asked, %v", n, err)
	}
	// StaleAfter later nothing moved: the two (their requests never started) are asked
	// for again, and "alive", which stopped saving too.
	r.Now = func() time.Time { return rt0.Add(StaleAfter) }
	if n, err := r.Once(ctx); err != nil || n != 3 {
		t.Errorf("after StaleAfter: %d asked, %v; want 3", n, err)
	}
}

// blockingClients holds each long request at its first step until released, and
// counts the requests that ran.
type blockingClients struct {
	release chan struct{}
	mu      sync.Mutex
	ran     []string
}

func (c *blockingClients) Client(shop string) (*admin.Client, bool) {
	<-c.release
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ran = append(c.ran, shop)
	return nil, false // no token: the request ends here
}

// The same backfill asked for again while it is queued or running here is the same
// run; another range queues behind it; once it has run, the same range runs again.
func TestBackgroundTakesABackfillOnce(t *testing.T) {
	c := &blockingClients{release: make(chan struct{})}
	b := &background{d: Deps{Clients: c, Log: slog.New(slog.DiscardHandler)}, queues: map[string]chan *schemas.SyncRequest{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); b.wait() }()
	req := func(id string) *schemas.SyncRequest {
		return &schemas.SyncRequest{RequestID: id, Shop: "r.myshopify.com", Kind: schemas.RequestBackfill}
	}
	b.start(ctx, req("2026-11-01_open"))
	b.start(ctx, req("2026-11-01_open")) // while the first is queued or running
	b.start(ctx, req("2026-10-01_open"))
	b.start(ctx, req("2026-11-01_open"))
	close(c.release)
	ran := func() int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.ran)
	}
	deadline := time.Now().Add(10 * time.Second)
	for ran() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // a third run, if it were queued, would have come
	if n := ran(); n != 2 {
		t.Fatalf("%d runs, want 2 (the same range asked thrice while in hand is one run)", n)
	}
	for time.Now().Before(deadline) {
		b.mu.Lock()
		idle := len(b.pending) == 0
		b.mu.Unlock()
		if idle {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.start(ctx, req("2026-11-01_open"))
	for ran() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := ran(); n != 3 {
		t.Errorf("%d runs, want 3: the same range asked after its run did not run", n)
	}
}
