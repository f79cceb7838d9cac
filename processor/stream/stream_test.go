package stream

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/synco-dev/synco/processor/decide"
	"github.com/synco-dev/synco/schemas"
)

const waitFor = 45 * time.Second // a deadline for a busy CI machine, not a measure

// rounds returns webhook number n of orders from..to.
func rounds(from, to int64, ns ...int) []*schemas.OrderEvent {
	var evs []*schemas.OrderEvent
	for _, n := range ns {
		for id := from; id <= to; id++ {
			evs = append(evs, event(id, n, nil))
		}
	}
	return evs
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	stop := time.Now().Add(waitFor)
	for !ok() {
		if time.Now().After(stop) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func checkVersions(t *testing.T, got map[string]schemas.OrderState, from, to int64, n int) {
	t.Helper()
	if len(got) != int(to-from+1) {
		t.Errorf("store holds %d orders, want %d", len(got), to-from+1)
	}
	for id := from; id <= to; id++ {
		want := fmt.Sprintf("v%d/seq%d", t0.Add(time.Duration(n)*time.Minute).UnixMilli(), n+1)
		if v := versions(got)[key(id)]; v != want {
			t.Errorf("order %d: %s, want %s", id, v, want)
		}
	}
}

// TestRestoreAfterDeletingTheStore: the local store is deleted while the processor is
// down; the next start rebuilds it from the whole changelog, equal to what it was, and
// redeliveries are still recognised.
func TestRestoreAfterDeletingTheStore(t *testing.T) {
	e := newEnv(t, 4, slog.LevelInfo)
	dir := t.TempDir()
	a := e.start("a", dir)
	e.produce(rounds(1, 40, 0, 1)...)
	e.waitProcessed(waitFor)
	a.stop()
	before := e.stateOf(dir)
	checkVersions(t, before, 1, 40, 1)

	if err := os.RemoveAll(filepath.Join(dir, Group)); err != nil {
		t.Fatal(err)
	}
	b := e.start("b", dir)
	waitUntil(t, "the changelog is restored", func() bool { return b.p.restored.Load() >= 80 })
	e.produce(rounds(1, 40, 1)...) // Shopify delivers the last webhooks again
	e.waitProcessed(waitFor)
	b.stop()
	if got := b.p.restored.Load(); got != 80 {
		t.Errorf("restore applied %d changelog records, want all 80", got)
	}
	after := e.stateOf(dir)
	if !reflect.DeepEqual(after, before) {
		t.Errorf("state after restore differs:\nbefore %v\nafter  %v", versions(before), versions(after))
	}
	for k, n := range e.outcomes() {
		if n != 2 {
			t.Errorf("%s: %d outcomes, want 2 (the redelivery is a duplicate)", k, n)
		}
	}
}

// TestRestartWithKeptStoreReadsOnlyTheTail: a processor whose store was kept reads only
// the changelog records written after its checkpoint (here by another instance while
// it was down).
func TestRestartWithKeptStoreReadsOnlyTheTail(t *testing.T) {
	e := newEnv(t, 4, slog.LevelInfo)
	dirA, dirB := t.TempDir(), t.TempDir()
	a := e.start("a", dirA)
	e.produce(rounds(1, 40, 0, 1)...)
	e.waitProcessed(waitFor)
	a.stop()

	b := e.start("b", dirB)
	e.produce(append(rounds(41, 50, 0), rounds(1, 5, 2)...)...)
	e.waitProcessed(waitFor)
	b.stop()
	if got := b.p.restored.Load(); got != 80 {
		t.Errorf("a new store restored %d records, want 80", got)
	}

	a2 := e.start("a2", dirA)
	waitUntil(t, "the tail is restored", func() bool { return a2.p.restored.Load() >= 15 })
	e.produce(rounds(41, 50, 0)...) // redeliveries: a2 must know these orders
	e.waitProcessed(waitFor)
	a2.stop()
	if got := a2.p.restored.Load(); got != 15 {
		t.Errorf("restart with a kept store applied %d changelog records, want only the tail's 15", got)
	}
	gotA, gotB := e.stateOf(dirA), e.stateOf(dirB)
	if !reflect.DeepEqual(gotA, gotB) || len(gotA) != 50 {
		t.Errorf("kept store caught up from the tail differs from the one that wrote it:\n%v\n%v", versions(gotA), versions(gotB))
	}
	if n := len(e.readAll(schemas.TopicOutcomes)); n != 95 {
		t.Errorf("%d outcomes, want 95 (redeliveries dropped)", n)
	}
}

// TestStoreOfAnotherChangelogIsRebuilt: a store kept from another Kafka (its changelog
// topic has another id) is not trusted.
func TestStoreOfAnotherChangelogIsRebuilt(t *testing.T) {
	dir := t.TempDir()
	e1 := newEnv(t, 4, slog.LevelInfo)
	a := e1.start("a", dir)
	e1.produce(rounds(1, 20, 0, 1)...)
	e1.waitProcessed(waitFor)
	a.stop()

	e2 := newEnv(t, 4, slog.LevelInfo)
	e2.produce(rounds(1, 20, 0)...)
	b := e2.start("b", dir)
	e2.waitProcessed(waitFor)
	b.stop()
	checkVersions(t, e2.stateOf(dir), 1, 20, 0)
	if n := len(e2.readAll(schemas.TopicOutcomes)); n != 20 {
		t.Errorf("%d outcomes on the new Kafka, want 20 (the old store must not hide its orders)", n)
	}
	if e2.logged("does not match the changelog") == 0 {
		t.Error("the mismatch was not logged")
	}
}

// TestAbortRollsBackTheStore: the broker refuses the changelog records, the
// transaction aborts, and the store forgets what the transaction changed; once the
// broker accepts again the events are applied exactly once.
func TestAbortRollsBackTheStore(t *testing.T) {
	e := newEnv(t, 4, slog.LevelInfo)
	dir := t.TempDir()
	a := e.start("a", dir)
	e.produce(event(1, 0, nil))
	e.waitProcessed(waitFor)

	var failing atomic.Bool
	var refused atomic.Int64
	failing.Store(true)
	changelogID := e.topicID(schemas.TopicProcessorState) // not from inside the control: kfake's loop runs it
	e.cluster.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		e.cluster.KeepControl()
		req := kreq.(*kmsg.ProduceRequest)
		if !failing.Load() || !producesTo(req, schemas.TopicProcessorState, changelogID) {
			return nil, nil, false
		}
		refused.Add(1)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition, sp.ErrorCode = rp.Partition, kerr.InvalidRecord.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	e.produce(event(1, 1, nil), event(2, 0, nil))
	// The retry of an aborted batch decides its events again (and is refused again):
	// had the store kept the aborted changes, it would drop them as duplicates and
	// commit the input offsets without their changelog, commands and outcomes.
	waitUntil(t, "a retried transaction is aborted too", func() bool {
		return refused.Load() >= 2 && e.logged("processor batch not committed") >= 2
	})
	a.stop()
	if got := versions(e.stateOf(dir)); len(got) != 1 || got[key(1)] != fmt.Sprintf("v%d/seq1", t0.UnixMilli()) {
		t.Fatalf("store after the abort: %v, want only order 1 as first committed", got)
	}

	failing.Store(false)
	b := e.start("b", dir)
	e.waitProcessed(waitFor)
	b.stop()
	got := versions(e.stateOf(dir))
	if want := fmt.Sprintf("v%d/seq2", t0.Add(time.Minute).UnixMilli()); got[key(1)] != want || len(got) != 2 {
		t.Errorf("store after the retry: %v, want order 1 at %s and order 2", got, want)
	}
	if n := e.outcomes(); n[key(1)] != 2 || n[key(2)] != 1 {
		t.Errorf("outcomes %v: the aborted transaction's must not show", n)
	}
}

func producesTo(req *kmsg.ProduceRequest, topic string, id [16]byte) bool {
	for _, t := range req.Topics {
		if t.Topic == topic || (t.Topic == "" && t.TopicID == id) {
			return true
		}
	}
	return false
}

func (e *env) topicID(topic string) [16]byte {
	e.tb.Helper()
	d, err := e.adm.ListTopics(context.Background(), topic)
	if err != nil {
		e.tb.Fatal(err)
	}
	return d[topic].ID
}

// TestRebalanceDropsAndReloadsPartitions: a second processor takes some partitions
// and gives them back when it stops; each side drops what it loses and catches up
// what it gains, so no event is decided twice and the final state is complete. On one
// machine both share the state directory (a partition's store passes from one process
// to the other); on two machines each has its own (the gained partitions are read
// from the changelog).
func TestRebalanceDropsAndReloadsPartitions(t *testing.T) {
	for _, shared := range []bool{true, false} {
		name := "own state dirs"
		if shared {
			name = "one state dir"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, 4, slog.LevelInfo)
			dirA, dirB := t.TempDir(), t.TempDir()
			if shared {
				dirB = dirA
			}
			a := e.start("a", dirA)
			e.produce(rounds(1, 40, 0)...)
			e.waitProcessed(waitFor)

			b := e.start("b", dirB)
			e.waitMembers(2)
			e.produce(rounds(1, 40, 1)...)
			e.waitProcessed(waitFor)
			e.produce(rounds(1, 40, 1)...) // redeliveries, wherever their partition now is
			e.waitProcessed(waitFor)
			if e.logged(`assigned" processor=b`) == 0 {
				t.Fatal("the second processor took no partition")
			}
			if got := b.p.restored.Load(); !shared && got == 0 {
				t.Error("the second processor's own store restored nothing from the changelog")
			}

			restoredA := a.p.restored.Load()
			b.stop()
			e.waitMembers(1)
			e.produce(append(rounds(1, 40, 1), rounds(1, 40, 2)...)...)
			e.waitProcessed(waitFor)
			a.stop()
			if got := a.p.restored.Load() - restoredA; !shared && got == 0 {
				t.Error("the first processor did not read what the second wrote on the partitions it got back")
			}

			checkVersions(t, e.stateOf(dirA), 1, 40, 2)
			outs := e.outcomes()
			for id := int64(1); id <= 40; id++ {
				if n := outs[key(id)]; n != 3 {
					t.Errorf("order %d: %d outcomes, want 3 (one per new snapshot)", id, n)
				}
			}
		})
	}
}

// waitMembers waits until the processor group is stable with n members owning every
// input partition.
func (e *env) waitMembers(n int) {
	e.tb.Helper()
	stop := time.Now().Add(waitFor)
	for {
		gs, err := e.adm.DescribeGroups(context.Background(), Group)
		if err == nil {
			g := gs[Group]
			assigned := g.AssignedPartitions()[schemas.TopicOrders]
			if g.State == "Stable" && len(g.Members) == n && len(assigned) == int(e.parts) {
				return
			}
		}
		if time.Now().After(stop) {
			e.tb.Fatalf("group did not settle with %d members: %+v %v", n, gs, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStateAndCommandShareTheSnapshot: record encodes the order snapshot once for the
// changelog state and the command, which holds only while decide puts the same
// snapshot in both (new, newer, forced re-sync of a known order).
func TestStateAndCommandShareTheSnapshot(t *testing.T) {
	settings := schemas.DefaultSettings(shop)
	first := event(1, 0, nil)
	r1 := decide.Event(nil, first, &settings, t0)
	newer := decide.Event(&r1.State, event(1, 1, nil), &settings, t0)
	forced := &schemas.OrderEvent{EventID: "manual-1", Shop: shop, OrderID: 1, Topic: "manual", Force: true}
	resync := decide.Event(&newer.State, forced, &settings, t0)
	for name, r := range map[string]decide.Result{"new": r1, "newer": newer, "forced": resync} {
		if r.Command == nil {
			t.Fatalf("%s: no command", name)
		}
		if !reflect.DeepEqual(r.State.Order, r.Command.Order) {
			t.Errorf("%s: the command's snapshot is not the state's", name)
		}
	}
}

// TestEventInMirrorsOrderEvent: the processor decodes events into eventIn (no raw
// body); a field added to schemas.OrderEvent must be added there too, or decide would
// silently not see it.
func TestEventInMirrorsOrderEvent(t *testing.T) {
	full, mirror := reflect.TypeFor[schemas.OrderEvent](), reflect.TypeFor[eventIn]()
	for i := range full.NumField() {
		f := full.Field(i)
		if f.Name == "Raw" {
			continue
		}
		m, ok := mirror.FieldByName(f.Name)
		if !ok || m.Type != f.Type || m.Tag != f.Tag {
			t.Errorf("eventIn.%s does not mirror schemas.OrderEvent.%s (%s %s)", f.Name, f.Name, f.Type, f.Tag)
		}
	}
	if mirror.NumField() != full.NumField()-1 {
		t.Errorf("eventIn has %d fields, schemas.OrderEvent %d (all but Raw)", mirror.NumField(), full.NumField())
	}
	ev := event(7, 1, []byte("raw"))
	ev.Force, ev.Origin, ev.WebhookID, ev.Attempt = true, "manual", "w", 2
	in := eventIn{EventID: ev.EventID, Shop: ev.Shop, OrderID: ev.OrderID, Topic: ev.Topic, Origin: ev.Origin,
		WebhookID: ev.WebhookID, TriggeredAt: ev.TriggeredAt, ReceivedAt: ev.ReceivedAt, Force: ev.Force, Order: ev.Order,
		Attempt: ev.Attempt}
	want := *ev
	want.Raw = nil
	if got := in.event(); !reflect.DeepEqual(got, want) {
		t.Errorf("event() = %+v, want %+v", got, want)
	}
}

// TestSnapshotTailFitsStateAndCommand: both the changelog state and the command end
// with the order snapshot, so record encodes it once (else it falls back, slower).
func TestSnapshotTailFitsStateAndCommand(t *testing.T) {
	e := newEnv(t, 1, slog.LevelWarn)
	settings := schemas.DefaultSettings(shop)
	r := decide.Event(nil, event(1, 0, nil), &settings, t0)
	tail, err := e.serde.EncodeTail(schemas.TopicProcessorState, &r.State.Order)
	if err != nil {
		t.Fatal(err)
	}
	for topic, v := range map[string]any{schemas.TopicProcessorState: &r.State, schemas.TopicCommands: r.Command} {
		got, err := e.serde.EncodeWithTail(topic, v, tail)
		if err != nil {
			t.Fatalf("%s: %v", topic, err)
		}
		want, _ := e.serde.Encode(topic, v)
		if string(got) != string(want) {
			t.Errorf("%s: head + snapshot differs from the whole encoding", topic)
		}
	}
}

// TestWebhookDecidesWithoutTheStoredSnapshot: for a webhook the stream hands decide
// the previous state without its order snapshot (needsSnapshot); decide must then
// decide exactly as with the whole state.
func TestWebhookDecidesWithoutTheStoredSnapshot(t *testing.T) {
	on := schemas.DefaultSettings(shop)
	off := on
	off.AutoSync = false
	prev := decide.Event(nil, event(1, 0, nil), &on, t0).State
	prev = decide.Event(&prev, event(1, 2, nil), &on, t0).State // version of webhook 2
	prev.Order.Transactions = []schemas.Transaction{{ID: 9, Kind: "sale", Status: "success"}}
	head := prev
	head.Order = schemas.Order{}
	noSnapshot := event(1, 3, nil)
	noSnapshot.Topic, noSnapshot.Order = "refunds/create", schemas.Order{ID: 1}
	for name, c := range map[string]struct {
		ev       *schemas.OrderEvent
		settings *schemas.ShopSettings
	}{
		"newer":                {event(1, 3, nil), &on},
		"same version":         {event(1, 2, []byte("again")), &on},
		"older":                {event(1, 1, []byte("late")), &on},
		"same event":           {event(1, 2, nil), &on},
		"no snapshot":          {noSnapshot, &on},
		"newer, auto sync off": {event(1, 4, nil), &off},
	} {
		if needsSnapshot(c.ev) {
			t.Fatalf("%s: a webhook reads the whole state", name)
		}
		if name == "same version" || name == "older" {
			c.ev.EventID += "-redelivered"
		}
		full := decide.Event(&prev, c.ev, c.settings, t0)
		light := decide.Event(&head, c.ev, c.settings, t0)
		if !reflect.DeepEqual(full, light) {
			t.Errorf("%s: decided differently without the stored snapshot:\nwith    %+v\nwithout %+v", name, full, light)
		}
	}
	// The control: an Admin API read of the held version, with one transaction (as
	// many as held), is a duplicate only when decide sees the stored snapshot.
	api := event(1, 2, nil)
	api.EventID, api.Origin = "backfill-1", schemas.OriginBackfill
	api.Order.Transactions = []schemas.Transaction{{ID: 9, Kind: "sale", Status: "success"}}
	if full, light := decide.Event(&prev, api, &on, t0), decide.Event(&head, api, &on, t0); reflect.DeepEqual(full, light) {
		t.Error("the control decided alike with and without the snapshot: the comparison above proves nothing")
	}
	for _, origin := range []string{schemas.OriginBackfill, schemas.OriginManual, schemas.OriginReconcile, schemas.OriginPrivacy, schemas.OriginRetry} {
		if ev := (&schemas.OrderEvent{Origin: origin}); !needsSnapshot(ev) {
			t.Errorf("origin %s decided without the stored snapshot", origin)
		}
	}
}
