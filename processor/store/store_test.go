package store

import (
	"testing"

	"github.com/synco-dev/synco/schemas"
)

func TestRollbackRestoresAndCommitKeeps(t *testing.T) {
	s := New()
	s.Load(0, map[string]*schemas.OrderState{"a": {Version: 1}})
	s.Put(0, "a", schemas.OrderState{Version: 2})
	s.Put(0, "b", schemas.OrderState{Version: 5})
	s.Put(0, "a", schemas.OrderState{Version: 3})
	s.Rollback()
	if got := s.Get(0, "a"); got == nil || got.Version != 1 {
		t.Errorf("a after rollback: %+v", got)
	}
	if got := s.Get(0, "b"); got != nil {
		t.Errorf("b after rollback: %+v", got)
	}
	s.Put(0, "a", schemas.OrderState{Version: 4})
	s.Commit()
	s.Rollback()
	if got := s.Get(0, "a"); got == nil || got.Version != 4 {
		t.Errorf("a after commit: %+v", got)
	}
}

func TestRollbackSkipsDroppedPartitions(t *testing.T) {
	s := New()
	s.Put(3, "x", schemas.OrderState{Version: 1})
	s.Drop(3)
	s.Rollback()
	if s.Len() != 0 {
		t.Fatalf("rollback resurrected a dropped partition: %d", s.Len())
	}
}
