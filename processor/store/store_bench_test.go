package store

import (
	"fmt"
	"testing"
)

// BenchmarkStore: the store's part of one event in the loop: read the order's state
// (absent for a new order, present for an update), write the new state in the open
// transaction; one commit per 1000 events, as a busy poll would.
func BenchmarkStore(b *testing.B) {
	for _, c := range []struct {
		name   string
		update bool
	}{{"new_order", false}, {"update", true}} {
		b.Run(c.name, func(b *testing.B) {
			s, err := Open(Options{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Load(0); err != nil {
				b.Fatal(err)
			}
			val := make([]byte, 1200)
			keys := make([][]byte, 100000)
			for i := range keys {
				keys[i] = fmt.Appendf(nil, "shop-%d.myshopify.com/%d", i%7, 5_000_000_000+i)
			}
			if c.update {
				for i, k := range keys {
					s.Put(0, k, val)
					if i%1000 == 999 {
						s.Commit(map[int32]int64{0: int64(i)})
					}
				}
				s.Commit(nil)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				k := keys[i%len(keys)]
				if !c.update {
					k = fmt.Appendf(k[:0:0], "new/%d", i)
				}
				v, err := s.Get(0, k)
				if err != nil || (v == nil) == c.update {
					b.Fatalf("get %s: %v %v", k, len(v), err)
				}
				if err := s.Put(0, k, val); err != nil {
					b.Fatal(err)
				}
				if i%1000 == 999 {
					if err := s.Commit(map[int32]int64{0: int64(i)}); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
