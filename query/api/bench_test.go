package api_test

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkOrderTable is one dashboard refresh (a page with its total, and the job
// counts) over a shop with 200k orders, a tenth of them in two versions as before a
// merge, so FINAL has work to do.
func BenchmarkOrderTable(b *testing.B) {
	e := newEnv(b)
	const n = 200_000
	statuses := []string{"synced", "synced", "synced", "not_synced", "failed", "delayed", "in_progress"}
	rows := make([]testOrder, 0, n+n/10)
	for i := uint64(1); i <= n; i++ {
		o := order(i)
		o.CreatedAt = baseTime.Add(time.Duration(i) * time.Second)
		o.Status = statuses[i%uint64(len(statuses))]
		o.Total = fmt.Sprintf("%d.%02d", i%997, i%100)
		rows = append(rows, o)
		if i%10 == 0 {
			o.Version, o.Status = 2, "synced"
			rows = append(rows, o)
		}
	}
	for len(rows) > 0 {
		k := min(len(rows), 50_000)
		e.insertOrders(rows[:k]...)
		rows = rows[k:]
	}
	for _, q := range []string{"", "tab=not_synced&sort=total&dir=asc", "q=buyer1234", "status=failed&sort=customer"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				p := e.list(q)
				if len(p.Orders) == 0 {
					b.Fatal("empty page")
				}
				e.call("GET", "/api/shops/"+shopA+"/jobs", nil, 200, nil)
			}
		})
	}
}
