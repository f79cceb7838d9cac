// Package store is the processor's local state: the latest OrderState of every order
// on the partitions this instance owns, rebuilt from the changelog on assignment.
// Changes made while a transaction is open can be rolled back when it aborts, so
// memory never runs ahead of what Kafka committed.
package store

import (
	"sync"

	"github.com/synco-dev/synco/schemas"
)

// Store is safe for concurrent use.
type Store struct {
	mu    sync.Mutex
	parts map[int32]map[string]*schemas.OrderState
	undo  map[undoKey]*schemas.OrderState // value before the open transaction; nil: absent
}

type undoKey struct {
	part int32
	key  string
}

// New returns an empty store.
func New() *Store {
	return &Store{parts: map[int32]map[string]*schemas.OrderState{}, undo: map[undoKey]*schemas.OrderState{}}
}

// Get returns the state of key on partition part, or nil.
func (s *Store) Get(part int32, key string) *schemas.OrderState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.parts[part][key]
}

// Put sets key's state inside the open transaction.
func (s *Store) Put(part int32, key string, st schemas.OrderState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.parts[part]
	if m == nil {
		m = map[string]*schemas.OrderState{}
		s.parts[part] = m
	}
	k := undoKey{part, key}
	if _, saved := s.undo[k]; !saved {
		s.undo[k] = m[key]
	}
	m[key] = &st
}

// Commit forgets the undo log: the transaction's changes are durable in Kafka.
func (s *Store) Commit() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.undo)
}

// Rollback restores what the open transaction changed, on partitions still owned.
func (s *Store) Rollback() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, old := range s.undo {
		m, owned := s.parts[k.part]
		if !owned {
			continue
		}
		if old == nil {
			delete(m, k.key)
		} else {
			m[k.key] = old
		}
	}
	clear(s.undo)
}

// Load replaces a partition's state (after reading its changelog).
func (s *Store) Load(part int32, states map[string]*schemas.OrderState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.parts[part] = states
}

// Drop forgets a partition this instance no longer owns.
func (s *Store) Drop(part int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.parts, part)
}

// Len counts the orders held, for metrics and tests.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.parts {
		n += len(m)
	}
	return n
}
