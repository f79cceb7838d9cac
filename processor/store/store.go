// Package store is the processor's local state: per partition, the latest changelog
// value of every order key, kept on disk in Pebble together with the changelog offset
// the data reflects (the goka / Kafka Streams pattern). The changelog topic stays the
// source of truth: a partition's store is caught up from its tail on assignment and
// rebuilt from the whole changelog when it is missing, corrupt or from another topic.
//
// Changes made while a Kafka transaction is open live in a map per partition that
// reads see; Commit writes them, the new offset last, once Kafka committed, Rollback
// discards them, so the store never holds what Kafka did not commit. Memory is bounded
// by the options (block cache shared by every partition, memtables per partition) and
// the transaction's size, not by the number of orders.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Defaults for Options left zero.
const (
	DefaultCacheBytes    = 64 << 20
	DefaultMemTableBytes = 2 << 20
	DefaultLockWait      = 10 * time.Second
)

// ErrNotLoaded is returned for a partition that is not open in this store.
var ErrNotLoaded = errors.New("partition not loaded")

// Options configure a Store.
type Options struct {
	// Dir holds one database per partition, in Dir/<partition>.
	Dir string
	// CacheBytes bounds the block cache that every partition shares.
	CacheBytes int64
	// MemTableBytes is each partition's write buffer; a partition holds at most two
	// (one filling, one being flushed), so memory is about CacheBytes + partitions ×
	// 2 × MemTableBytes.
	MemTableBytes int64
	// LockWait is how long Load waits for another process to release a partition's
	// directory (a rebalance between two processes on one machine) before it uses a
	// private directory that is rebuilt from the changelog and removed on Drop.
	LockWait time.Duration
	Log      *slog.Logger
}

// Checkpoint says what a partition's data reflects.
type Checkpoint struct {
	TopicID [16]byte // the changelog topic the data came from (Kafka's topic id)
	Next    int64    // changelog offset after the last record applied
}

// Change is one changelog record: Value nil deletes the key (a tombstone).
type Change struct {
	Key, Value []byte
}

// Store is safe for concurrent use.
type Store struct {
	opts  Options
	cache *pebble.Cache

	mu    sync.Mutex
	parts map[int32]*partition
}

type partition struct {
	// mu guards db's life: a read holds it shared outside Store.mu (taken while
	// Store.mu is held, so a partition found in the map is open until released);
	// closing or replacing db takes it exclusively.
	mu      sync.RWMutex
	db      *pebble.DB
	lock    *pebble.Lock
	dir     string
	private bool // a fallback directory of this process, removed on drop
	// tx is the open transaction's changes, by key: the newest value of each, as the
	// caller gave it (the same bytes go to the changelog, so they are not copied).
	// A map rather than an indexed batch: a key read back is found without a walk,
	// a key written twice in a transaction is held once, and a key not in it is read
	// from db without holding the map's lock (txMu).
	txMu sync.Mutex
	tx   map[string][]byte
	cp   Checkpoint
}

// Keys: data under 'd'+key, the checkpoint under "m", so no record key can collide.
var metaKey = []byte("m")

const (
	dataPrefix    = 'd'
	metaVersion   = 1
	privateSuffix = ".private-"
)

// Open prepares a store under opts.Dir. Private directories left by processes that
// are gone are removed.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("store: no directory")
	}
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = DefaultCacheBytes
	}
	if opts.MemTableBytes <= 0 {
		opts.MemTableBytes = DefaultMemTableBytes
	}
	if opts.LockWait <= 0 {
		opts.LockWait = DefaultLockWait
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("store directory: %w", err)
	}
	s := &Store{opts: opts, cache: pebble.NewCache(opts.CacheBytes), parts: map[int32]*partition{}}
	s.removeAbandoned()
	return s, nil
}

func (s *Store) removeAbandoned() {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.Contains(e.Name(), privateSuffix) {
			continue
		}
		dir := filepath.Join(s.opts.Dir, e.Name())
		l, err := pebble.LockDirectory(dir, vfs.Default)
		if err != nil {
			continue // its process still runs
		}
		l.Close()
		if err := os.RemoveAll(dir); err == nil {
			s.opts.Log.Info("processor store: removed an abandoned private directory", "dir", dir)
		}
	}
}

// Close closes every partition (flushing what they hold) and releases the cache.
func (s *Store) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for part, p := range s.parts {
		s.closePartition(part, p)
	}
	if s.cache != nil {
		s.cache.Unref()
		s.cache = nil
	}
}

// Load opens partition part (if it is not open yet) and returns its checkpoint. A
// database that cannot be opened (corrupt, or written by an unknown format) is
// removed and started empty: the zero checkpoint, read the changelog from its start.
func (s *Store) Load(part int32) (Checkpoint, error) {
	s.mu.Lock()
	if p, ok := s.parts[part]; ok {
		defer s.mu.Unlock()
		return p.cp, nil
	}
	s.mu.Unlock()
	// Opening may wait for another process's lock: not under mu, so the loop's
	// other partitions (and Drop) are not held up.
	p, err := s.open(part)
	if err != nil {
		return Checkpoint{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.parts[part]; ok { // a concurrent Load won
		s.closePartition(-1, p)
		return old.cp, nil
	}
	s.parts[part] = p
	return p.cp, nil
}

func (s *Store) open(part int32) (*partition, error) {
	dir := filepath.Join(s.opts.Dir, strconv.Itoa(int(part)))
	lock, err := s.lockDir(dir)
	private := false
	if err != nil {
		s.opts.Log.Warn("processor store: partition directory is held by another process; using a private one rebuilt from the changelog",
			"partition", part, "dir", dir, "err", err)
		dir = fmt.Sprintf("%s%s%d-%d", dir, privateSuffix, os.Getpid(), time.Now().UnixNano())
		private = true
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store partition %d: %w", part, err)
		}
		if lock, err = pebble.LockDirectory(dir, vfs.Default); err != nil {
			return nil, fmt.Errorf("store partition %d: lock %s: %w", part, dir, err)
		}
	}
	p := &partition{dir: dir, lock: lock, private: private}
	p.db, err = pebble.Open(dir, s.pebbleOptions(lock))
	if err == nil {
		p.cp, err = readCheckpoint(p.db)
		if err != nil {
			p.db.Close()
		}
	}
	if err != nil {
		s.opts.Log.Error("processor store: partition database unreadable; rebuilding it from the changelog", "partition", part, "dir", dir, "err", err)
		if p.db, err = s.recreate(dir, lock); err != nil {
			lock.Close()
			return nil, fmt.Errorf("store partition %d: %w", part, err)
		}
		p.cp = Checkpoint{}
	}
	return p, nil
}

// lockDir takes the directory's lock, waiting up to LockWait for another holder.
func (s *Store) lockDir(dir string) (*pebble.Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(s.opts.LockWait)
	for {
		l, err := pebble.LockDirectory(dir, vfs.Default)
		if err == nil || time.Now().After(deadline) {
			return l, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// recreate empties dir (keeping the held lock file) and opens a fresh database there.
func (s *Store) recreate(dir string, lock *pebble.Lock) (*pebble.DB, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Name() == "LOCK" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return nil, err
		}
	}
	return pebble.Open(dir, s.pebbleOptions(lock))
}

func (s *Store) pebbleOptions(lock *pebble.Lock) *pebble.Options {
	o := &pebble.Options{
		Cache:                       s.cache,
		Lock:                        lock,
		MemTableSize:                uint64(s.opts.MemTableBytes),
		MemTableStopWritesThreshold: 2,
		// The changelog is the log: a checkpoint is written with or after the data it
		// covers (commitTx, Restore), and a memtable lost in a crash is only a longer
		// tail to read back. Drop and Close flush.
		DisableWAL:         true,
		MaxOpenFiles:       256,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{s.opts.Log},
	}
	for i := range o.Levels {
		// A new order misses every level; the filter answers without reading blocks.
		o.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	return o
}

func readCheckpoint(db *pebble.DB) (Checkpoint, error) {
	v, closer, err := db.Get(metaKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return Checkpoint{}, nil
	}
	if err != nil {
		return Checkpoint{}, err
	}
	defer closer.Close()
	if len(v) != 1+16+8 || v[0] != metaVersion {
		return Checkpoint{}, fmt.Errorf("checkpoint of unknown format (%d bytes)", len(v))
	}
	var cp Checkpoint
	copy(cp.TopicID[:], v[1:17])
	cp.Next = int64(binary.BigEndian.Uint64(v[17:]))
	return cp, nil
}

func (cp Checkpoint) encode() []byte {
	b := make([]byte, 1+16+8)
	b[0] = metaVersion
	copy(b[1:17], cp.TopicID[:])
	binary.BigEndian.PutUint64(b[17:], uint64(cp.Next))
	return b
}

// Reset empties partition part and sets its checkpoint (the changelog is read again
// from the start, or the store held another topic's data).
func (s *Store) Reset(part int32, cp Checkpoint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.parts[part]
	if !ok {
		return fmt.Errorf("reset partition %d: %w", part, ErrNotLoaded)
	}
	s.discard(p)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.db.Close(); err != nil {
		s.opts.Log.Warn("processor store: close before reset", "partition", part, "err", err)
	}
	db, err := s.recreate(p.dir, p.lock)
	if err != nil {
		p.lock.Close()
		delete(s.parts, part)
		return fmt.Errorf("reset partition %d: %w", part, err)
	}
	p.db, p.cp = db, Checkpoint{}
	if err := db.Set(metaKey, cp.encode(), pebble.NoSync); err != nil {
		return fmt.Errorf("reset partition %d: %w", part, err)
	}
	p.cp = cp
	return nil
}

// Restore applies changelog records read back from Kafka, with the checkpoint they
// bring the partition to, in one atomic write (outside any transaction).
func (s *Store) Restore(part int32, changes []Change, cp Checkpoint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.parts[part]
	if !ok {
		return fmt.Errorf("restore partition %d: %w", part, ErrNotLoaded)
	}
	b := p.db.NewBatch()
	defer b.Close()
	var k []byte // scratch: the batch copies keys
	for _, c := range changes {
		k = append(append(k[:0], dataPrefix), c.Key...)
		var err error
		if c.Value == nil {
			err = b.Delete(k, nil)
		} else {
			err = b.Set(k, c.Value, nil)
		}
		if err != nil {
			return fmt.Errorf("restore partition %d: %w", part, err)
		}
	}
	if err := b.Set(metaKey, cp.encode(), nil); err != nil {
		return fmt.Errorf("restore partition %d: %w", part, err)
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("restore partition %d: %w", part, err)
	}
	p.cp = cp
	return nil
}

func dataKey(key []byte) []byte {
	k := make([]byte, 0, 1+len(key))
	return append(append(k, dataPrefix), key...)
}

// Get returns key's value on partition part as the open transaction sees it, or nil
// when the key is absent or the partition not loaded. The caller must not modify it.
// Gets and Puts of different keys run in parallel: the database is read under the
// partition's shared lock only (the loop decides a partition's orders in lanes).
func (s *Store) Get(part int32, key []byte) ([]byte, error) {
	s.mu.Lock()
	p, ok := s.parts[part]
	if !ok {
		s.mu.Unlock()
		return nil, nil
	}
	p.mu.RLock()
	s.mu.Unlock()
	defer p.mu.RUnlock()
	p.txMu.Lock()
	v, ok := p.tx[string(key)]
	p.txMu.Unlock()
	if ok {
		return v, nil
	}
	v, closer, err := p.db.Get(dataKey(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store get partition %d: %w", part, err)
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, nil
}

// Put sets key's value inside the open transaction, keeping value (the caller must not
// modify it afterwards). A partition not loaded (revoked while the transaction ran: it
// will abort) is ignored.
func (s *Store) Put(part int32, key, value []byte) error {
	s.mu.Lock()
	p, ok := s.parts[part]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	p.txMu.Lock()
	defer p.txMu.Unlock()
	if p.tx == nil {
		p.tx = map[string][]byte{}
	}
	p.tx[string(key)] = value
	return nil
}

// Commit applies each partition's open transaction, with next[part] (the changelog
// offset after the records the transaction wrote) as its new checkpoint: Kafka has
// committed them. A partition whose write fails is closed and forgotten, and its
// number is in the error (*CommitError): the caller loads and restores it again,
// from the checkpoint it still has on disk.
func (s *Store) Commit(next map[int32]int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var failed CommitError
	for part, p := range s.parts {
		n, moved := next[part]
		p.txMu.Lock()
		tx := p.tx
		p.tx = nil
		p.txMu.Unlock()
		if tx == nil && !moved {
			continue
		}
		cp := p.cp
		if moved && n > cp.Next {
			cp.Next = n
		}
		err := commitTx(p.db, tx, cp, int(s.opts.MemTableBytes/4))
		if err != nil {
			failed.Parts = append(failed.Parts, part)
			failed.Errs = append(failed.Errs, err)
			s.closePartition(part, p)
			continue
		}
		p.cp = cp
	}
	if len(failed.Parts) > 0 {
		return &failed
	}
	return nil
}

// commitTx writes a transaction's changes, then the checkpoint they reach, in batches
// of at most chunk bytes. One batch for a large transaction would be larger than a
// memtable, which Pebble keeps whole in the Go heap until it is flushed (~11 MB a
// partition for 8192 events); in chunks each goes through the memtable. A crash
// between chunks leaves data ahead of the old checkpoint: values of a transaction
// Kafka committed, which the restore from that checkpoint writes again, the same.
func commitTx(db *pebble.DB, tx map[string][]byte, cp Checkpoint, chunk int) error {
	b := db.NewBatch()
	defer func() { b.Close() }()
	var k []byte // scratch: the batch copies keys
	for key, v := range tx {
		if b.Len() > 0 && b.Len()+len(key)+len(v) > chunk {
			if err := b.Commit(pebble.NoSync); err != nil {
				return err
			}
			b.Close()
			b = db.NewBatch()
		}
		k = append(append(k[:0], dataPrefix), key...)
		if err := b.Set(k, v, nil); err != nil {
			return err
		}
	}
	if err := b.Set(metaKey, cp.encode(), nil); err != nil {
		return err
	}
	return b.Commit(pebble.NoSync)
}

// CommitError names the partitions whose transaction could not be applied.
type CommitError struct {
	Parts []int32
	Errs  []error
}

func (e *CommitError) Error() string {
	return fmt.Sprintf("store commit failed on partitions %v: %v", e.Parts, errors.Join(e.Errs...))
}

// Rollback discards what the open transaction changed.
func (s *Store) Rollback() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.parts {
		s.discard(p)
	}
}

func (s *Store) discard(p *partition) {
	p.txMu.Lock()
	p.tx = nil
	p.txMu.Unlock()
}

// Drop closes a partition this instance no longer owns, discarding its open
// transaction. Its data stays on disk for a later assignment (a private directory is
// removed).
func (s *Store) Drop(part int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.parts[part]; ok {
		s.closePartition(part, p)
	}
}

// closePartition flushes (the WAL is off) and closes p, under mu. part < 0: p was
// never in the map.
func (s *Store) closePartition(part int32, p *partition) {
	p.mu.Lock() // no read is left on db
	defer p.mu.Unlock()
	s.discard(p)
	if err := p.db.Flush(); err != nil {
		s.opts.Log.Warn("processor store: flush on close", "partition", part, "err", err)
	}
	if err := p.db.Close(); err != nil {
		s.opts.Log.Warn("processor store: close", "partition", part, "err", err)
	}
	p.lock.Close()
	if p.private {
		os.RemoveAll(p.dir)
	}
	if part >= 0 {
		delete(s.parts, part)
	}
}

// Loaded reports whether partition part is open.
func (s *Store) Loaded(part int32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.parts[part]
	return ok
}

// Checkpoint returns partition part's checkpoint as last committed.
func (s *Store) Checkpoint(part int32) (Checkpoint, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.parts[part]
	if !ok {
		return Checkpoint{}, false
	}
	return p.cp, true
}

// Each calls f with every committed key and value of partition part, in key order
// (for tests and tools; values are only valid during the call).
func (s *Store) Each(part int32, f func(key, value []byte) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.parts[part]
	if !ok {
		return fmt.Errorf("each partition %d: %w", part, ErrNotLoaded)
	}
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: []byte{dataPrefix}, UpperBound: []byte{dataPrefix + 1}})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		if err := f(it.Key()[1:], it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	return it.Close()
}

// Stats is what the store holds in memory and on disk, for metrics and benchmarks.
type Stats struct {
	Partitions    int
	CacheBytes    int64 // block cache in use (shared)
	MemTableBytes uint64
	DiskBytes     uint64
}

// Stats sums every open partition.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Partitions: len(s.parts)}
	for _, p := range s.parts {
		m := p.db.Metrics()
		st.MemTableBytes += m.MemTable.Size
		st.DiskBytes += m.DiskSpaceUsage()
	}
	if s.cache != nil {
		st.CacheBytes = s.cache.Size()
	}
	return st
}

// pebbleLogger sends Pebble's messages to slog: its informational chatter at debug.
type pebbleLogger struct{ log *slog.Logger }

func (l pebbleLogger) Infof(format string, args ...any) {
	l.log.Debug("pebble: " + fmt.Sprintf(format, args...))
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error("pebble: " + fmt.Sprintf(format, args...))
}

func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := "pebble: " + fmt.Sprintf(format, args...)
	l.log.Error(msg)
	panic(msg) // Pebble expects Fatalf not to return
}
