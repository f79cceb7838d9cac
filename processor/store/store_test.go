package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir, LockWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func load(t *testing.T, s *Store, part int32) Checkpoint {
	t.Helper()
	cp, err := s.Load(part)
	if err != nil {
		t.Fatalf("load %d: %v", part, err)
	}
	return cp
}

func get(t *testing.T, s *Store, part int32, key string) string {
	t.Helper()
	v, err := s.Get(part, []byte(key))
	if err != nil {
		t.Fatalf("get %d/%s: %v", part, key, err)
	}
	if v == nil {
		return "<absent>"
	}
	return string(v)
}

func put(t *testing.T, s *Store, part int32, key, val string) {
	t.Helper()
	if err := s.Put(part, []byte(key), []byte(val)); err != nil {
		t.Fatal(err)
	}
}

var topicA = [16]byte{1, 2, 3}

func TestRollbackDiscardsAndCommitKeeps(t *testing.T) {
	s := open(t, t.TempDir())
	load(t, s, 0)
	if err := s.Restore(0, []Change{{Key: []byte("a"), Value: []byte("v1")}}, Checkpoint{TopicID: topicA, Next: 3}); err != nil {
		t.Fatal(err)
	}
	put(t, s, 0, "a", "v2")
	put(t, s, 0, "b", "v5")
	put(t, s, 0, "a", "v3")
	if got := get(t, s, 0, "a"); got != "v3" {
		t.Errorf("the open transaction reads its own write: a = %s", got)
	}
	s.Rollback()
	if got := get(t, s, 0, "a"); got != "v1" {
		t.Errorf("a after rollback: %s", got)
	}
	if got := get(t, s, 0, "b"); got != "<absent>" {
		t.Errorf("b after rollback: %s", got)
	}
	put(t, s, 0, "a", "v4")
	if err := s.Commit(map[int32]int64{0: 10}); err != nil {
		t.Fatal(err)
	}
	s.Rollback()
	if got := get(t, s, 0, "a"); got != "v4" {
		t.Errorf("a after commit: %s", got)
	}
	if cp, _ := s.Checkpoint(0); cp.Next != 10 || cp.TopicID != topicA {
		t.Errorf("checkpoint after commit: %+v", cp)
	}
}

func TestCommitMovesOnlyForward(t *testing.T) {
	s := open(t, t.TempDir())
	load(t, s, 1)
	if err := s.Commit(map[int32]int64{1: 7}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(map[int32]int64{1: 5}); err != nil {
		t.Fatal(err)
	}
	if cp, _ := s.Checkpoint(1); cp.Next != 7 {
		t.Errorf("checkpoint: %+v, want 7", cp)
	}
}

func TestRollbackSkipsDroppedPartitions(t *testing.T) {
	s := open(t, t.TempDir())
	load(t, s, 3)
	put(t, s, 3, "x", "1")
	s.Drop(3)
	s.Rollback()
	if err := s.Commit(map[int32]int64{3: 9}); err != nil {
		t.Fatal(err)
	}
	if s.Loaded(3) {
		t.Fatal("commit reloaded a dropped partition")
	}
	if cp := load(t, s, 3); cp.Next != 0 {
		t.Errorf("uncommitted change moved the checkpoint: %+v", cp)
	}
	if got := get(t, s, 3, "x"); got != "<absent>" {
		t.Errorf("uncommitted change of a dropped partition kept: %s", got)
	}
}

func TestDataAndCheckpointSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	load(t, s, 2)
	if err := s.Restore(2, []Change{{Key: []byte("k"), Value: []byte("old")}, {Key: []byte("gone"), Value: []byte("x")}}, Checkpoint{TopicID: topicA, Next: 40}); err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(2, []Change{{Key: []byte("gone")}}, Checkpoint{TopicID: topicA, Next: 41}); err != nil {
		t.Fatal(err)
	}
	put(t, s, 2, "k", "new")
	if err := s.Commit(map[int32]int64{2: 44}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2 := open(t, dir)
	if cp := load(t, s2, 2); cp != (Checkpoint{TopicID: topicA, Next: 44}) {
		t.Errorf("checkpoint after reopen: %+v", cp)
	}
	if got := get(t, s2, 2, "k"); got != "new" {
		t.Errorf("k after reopen: %s", got)
	}
	if got := get(t, s2, 2, "gone"); got != "<absent>" {
		t.Errorf("a tombstone was not applied: %s", got)
	}
	n := 0
	if err := s2.Each(2, func(k, v []byte) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("Each: %d keys, %v", n, err)
	}
}

func TestCorruptPartitionStartsEmpty(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	load(t, s, 0)
	if err := s.Restore(0, []Change{{Key: []byte("k"), Value: []byte("v")}}, Checkpoint{TopicID: topicA, Next: 5}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "0", "MANIFEST-*"))
	if len(files) == 0 {
		t.Fatal("no MANIFEST written")
	}
	for _, f := range files {
		if err := os.WriteFile(f, []byte("garbage, not a manifest"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s2 := open(t, dir)
	if cp := load(t, s2, 0); cp != (Checkpoint{}) {
		t.Errorf("a corrupt partition kept its checkpoint: %+v", cp)
	}
	if got := get(t, s2, 0, "k"); got != "<absent>" {
		t.Errorf("a corrupt partition kept data: %s", got)
	}
}

func TestPartitionHeldByAnotherStoreGetsPrivateDirectory(t *testing.T) {
	dir := t.TempDir()
	a, b := open(t, dir), open(t, dir)
	load(t, a, 0)
	if err := a.Restore(0, []Change{{Key: []byte("k"), Value: []byte("a's")}}, Checkpoint{TopicID: topicA, Next: 1}); err != nil {
		t.Fatal(err)
	}
	if cp := load(t, b, 0); cp != (Checkpoint{}) {
		t.Errorf("the second store shares the first's data: %+v", cp)
	}
	if got := get(t, b, 0, "k"); got != "<absent>" {
		t.Errorf("private directory is not empty: %s", got)
	}
	private, _ := filepath.Glob(filepath.Join(dir, "0"+privateSuffix+"*"))
	if len(private) != 1 {
		t.Fatalf("private directories: %v", private)
	}
	b.Drop(0)
	if _, err := os.Stat(private[0]); !os.IsNotExist(err) {
		t.Errorf("private directory not removed on drop: %v", err)
	}
	if got := get(t, a, 0, "k"); got != "a's" {
		t.Errorf("the first store's data: %s", got)
	}
}

func TestAbandonedPrivateDirectoryIsRemoved(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "4"+privateSuffix+"999-1")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	open(t, dir)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("abandoned private directory kept: %v", err)
	}
}

func TestResetEmptiesAndSetsCheckpoint(t *testing.T) {
	s := open(t, t.TempDir())
	load(t, s, 0)
	if err := s.Restore(0, []Change{{Key: []byte("k"), Value: []byte("v")}}, Checkpoint{TopicID: topicA, Next: 5}); err != nil {
		t.Fatal(err)
	}
	put(t, s, 0, "open", "tx")
	other := [16]byte{9}
	if err := s.Reset(0, Checkpoint{TopicID: other}); err != nil {
		t.Fatal(err)
	}
	if cp, _ := s.Checkpoint(0); cp != (Checkpoint{TopicID: other}) {
		t.Errorf("checkpoint after reset: %+v", cp)
	}
	for _, k := range []string{"k", "open"} {
		if got := get(t, s, 0, k); got != "<absent>" {
			t.Errorf("%s after reset: %s", k, got)
		}
	}
	if err := s.Reset(7, Checkpoint{}); err == nil || !strings.Contains(err.Error(), "not loaded") {
		t.Errorf("reset of an unloaded partition: %v", err)
	}
}

// The loop decides one partition's orders in parallel lanes: Gets and Puts of different
// keys on one partition, concurrently, while a Drop of another partition closes its
// database (run with -race). Every key reads back its own newest value.
func TestConcurrentLanesOnOnePartition(t *testing.T) {
	s := open(t, t.TempDir())
	load(t, s, 0)
	load(t, s, 1)
	// Keys committed before, so that Gets also read the database, not only the
	// transaction.
	for k := range 200 {
		if err := s.Put(0, []byte(fmt.Sprint("k", k)), []byte("old")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit(map[int32]int64{0: 1}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for lane := range 4 {
		wg.Go(func() {
			for k := lane; k < 200; k += 4 {
				key := []byte(fmt.Sprint("k", k))
				for round := range 5 {
					v, err := s.Get(0, key)
					want := "old"
					if round > 0 {
						want = fmt.Sprint("v", round-1)
					}
					if err != nil || string(v) != want {
						t.Errorf("key %s round %d: got %q, %v; want %q", key, round, v, err, want)
						return
					}
					if err := s.Put(0, key, []byte(fmt.Sprint("v", round))); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Go(func() { s.Drop(1) })
	wg.Wait()
	if err := s.Commit(map[int32]int64{0: 2}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{0, 77, 199} {
		if got := get(t, s, 0, fmt.Sprint("k", k)); got != "v4" {
			t.Errorf("k%d after commit = %q, want v4", k, got)
		}
	}
	if s.Loaded(1) {
		t.Error("partition 1 still loaded after Drop")
	}
}

// A transaction larger than a memtable commits in chunks (commitTx): every value and
// the checkpoint are there afterwards, and after a reopen.
func TestLargeTransactionCommitsWhole(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, MemTableBytes: 1 << 20, LockWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	load(t, s, 3)
	value := []byte(strings.Repeat("v", 1000))
	for k := range 3000 { // ~3 MB: twelve chunks of a quarter memtable
		if err := s.Put(3, []byte(fmt.Sprint("order-", k)), fmt.Appendf(nil, "%s%d", value, k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit(map[int32]int64{3: 3000}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dir)
	if cp := load(t, s, 3); cp.Next != 3000 {
		t.Fatalf("checkpoint after reopen %d, want 3000", cp.Next)
	}
	n := 0
	if err := s.Each(3, func(key, v []byte) error {
		n++
		if want := string(value) + strings.TrimPrefix(string(key), "order-"); string(v) != want {
			return fmt.Errorf("key %s: value of %d bytes, not its own", key, len(v))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 3000 {
		t.Fatalf("%d keys after reopen, want 3000", n)
	}
}

// A revoke while a batch runs: the partition the lanes read and write is dropped,
// loaded again and reset under them (run with -race). No read touches a closed
// database (Get holds the partition's lock shared), each read sees the committed
// value, its lane's own or none, and after the aborted batch's Rollback nothing of it
// is left.
func TestDropAndResetUnderConcurrentLanes(t *testing.T) {
	s := open(t, t.TempDir())
	load(t, s, 0)
	if err := s.Put(0, []byte("k"), []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(map[int32]int64{0: 1}); err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		churn atomic.Bool // the lanes run until the churn is done
	)
	churn.Store(true)
	for lane := range 4 {
		wg.Go(func() {
			key := []byte(fmt.Sprint("k", lane))
			for round := 0; churn.Load() || round < 100; round++ {
				v, err := s.Get(0, []byte("k"))
				if err != nil || (v != nil && string(v) != "old") {
					t.Errorf("lane %d round %d: committed key read %q, %v", lane, round, v, err)
					return
				}
				if v, err := s.Get(0, key); err != nil || (v != nil && string(v) != fmt.Sprint("v", round-1)) {
					t.Errorf("lane %d round %d: own key read %q, %v", lane, round, v, err)
					return
				}
				if err := s.Put(0, key, []byte(fmt.Sprint("v", round))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		defer churn.Store(false)
		for range 20 {
			s.Drop(0)
			if _, err := s.Load(0); err != nil {
				t.Error(err)
				return
			}
		}
		if err := s.Reset(0, Checkpoint{Next: 7}); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	s.Rollback() // a revoke aborts the transaction
	for _, k := range []string{"k", "k0", "k3"} {
		if got := get(t, s, 0, k); got != "<absent>" {
			t.Errorf("%s after the reset and the rollback = %q, want absent", k, got)
		}
	}
	if cp, _ := s.Checkpoint(0); cp.Next != 7 {
		t.Errorf("checkpoint after the reset %d, want 7", cp.Next)
	}
}
