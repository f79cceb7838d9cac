package leader_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/synco-dev/synco/platform/kafka/kafkatest"
	"github.com/synco-dev/synco/platform/leader"
	"github.com/synco-dev/synco/schemas"
)

// member is one process's elector with a job that says while it runs.
type member struct {
	name    string
	running atomic.Bool
	starts  atomic.Int32
	cancel  context.CancelFunc
	done    chan error
}

// Three members of one group: exactly one runs the job at a time; when the leader
// stops, another one takes over and the stopped one's job has returned; when every
// member has stopped, none runs.
func TestOneLeaderAndTakeover(t *testing.T) {
	env := kafkatest.Start(t)
	var mu sync.Mutex
	overlaps := 0
	var ms []*member
	running := func() (n int, who *member) {
		for _, m := range ms {
			if m.running.Load() {
				n++
				who = m
			}
		}
		return n, who
	}
	for _, name := range []string{"a", "b", "c"} {
		ms = append(ms, &member{name: name, done: make(chan error, 1)})
	}
	for _, m := range ms {
		ctx, cancel := context.WithCancel(context.Background())
		m.cancel = cancel
		e := &leader.Elector{Group: "test-leader", Topic: schemas.TopicJobs, Log: env.Log}
		go func() {
			m.done <- e.Run(ctx, env.Opts, func(ctx context.Context) error {
				m.starts.Add(1)
				m.running.Store(true)
				if n, _ := running(); n > 1 {
					mu.Lock()
					overlaps++
					mu.Unlock()
				}
				<-ctx.Done()
				m.running.Store(false)
				return nil
			})
		}()
	}
	lead := waitLeader(t, running)
	// Others keep joining and rebalancing: the lead stays with one member.
	time.Sleep(2 * time.Second)
	if n, _ := running(); n != 1 {
		t.Fatalf("%d members run the job", n)
	}

	lead.cancel()
	if err := <-lead.done; err != nil {
		t.Fatalf("leader %s: Run: %v", lead.name, err)
	}
	if lead.running.Load() {
		t.Fatalf("leader %s's job runs on after Run returned", lead.name)
	}
	next := waitLeader(t, running)
	if next == lead {
		t.Fatalf("the stopped member leads again")
	}

	for _, m := range ms {
		m.cancel()
	}
	for _, m := range ms {
		if m != lead {
			if err := <-m.done; err != nil {
				t.Errorf("member %s: Run: %v", m.name, err)
			}
		}
	}
	if n, _ := running(); n != 0 {
		t.Errorf("%d jobs run after every member stopped", n)
	}
	mu.Lock()
	defer mu.Unlock()
	// Clean hand-overs (a revoke ends the old turn before the new assignment) never
	// overlap.
	if overlaps != 0 {
		t.Errorf("%d times two members ran the job at once", overlaps)
	}
}

// A job that fails while its member still leads is started again (the member keeps
// partition 0, so no new assignment would come); Run goes on.
func TestFailedJobStartsAgain(t *testing.T) {
	env := kafkatest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{}, 8)
	done := make(chan error, 1)
	e := &leader.Elector{Group: "test-leader-err", Topic: schemas.TopicJobs, Log: env.Log, Retry: 200 * time.Millisecond}
	go func() {
		done <- e.Run(ctx, env.Opts, func(context.Context) error {
			started <- struct{}{}
			return context.DeadlineExceeded // any error
		})
	}()
	for i := range 3 {
		select {
		case <-started:
		case err := <-done:
			t.Fatalf("Run ended with its job: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatalf("the job started %d times, want 3", i)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func waitLeader(t *testing.T, running func() (int, *member)) *member {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if n, who := running(); n == 1 {
			return who
		} else if n > 1 {
			t.Fatalf("%d members run the job", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no member led within 60 s")
	return nil
}
