package store

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// BenchmarkStore: the store's part of one event in the loop, on one partition: read
// the order's state, write the new one in the open transaction, commit every 1000
// events (a busy poll). new_order: orders with rising ids (a shop's new orders);
// update: uniform over 100,000 known orders (the worst case for an LSM: every flush
// overlaps everything). Values are 1.2 KB, an order state's size. Sub-benchmarks
// per memtable size show what memory buys.
func BenchmarkStore(b *testing.B) {
	for _, mem := range []int64{2 << 20, 4 << 20, 8 << 20} {
		for _, c := range []struct {
			name   string
			update bool
		}{{"new_order", false}, {"update", true}} {
			b.Run(fmt.Sprintf("memtable=%dMiB/%s", mem>>20, c.name), func(b *testing.B) {
				s, err := Open(Options{Dir: b.TempDir(), MemTableBytes: mem})
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
				cpu0 := cpuTime(b)
				b.ResetTimer()
				for i := range b.N {
					var k []byte
					if c.update {
						k = keys[(i*7919)%len(keys)]
					} else {
						k = fmt.Appendf(nil, "shop-%d.myshopify.com/%d", i%7, 6_000_000_000+i)
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
				b.StopTimer()
				b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
