package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressForms(t *testing.T) {
	s := state{what: "backfill a.myshopify.com", count: 1234, fraction: 0.42, rate: 56.25, eta: 80 * time.Second}
	if got, want := bar(s), "backfill a.myshopify.com [============>                 ]  42%  1,234 orders  56.2/s  ETA 1m20s"; got != want {
		t.Errorf("bar\n got %q\nwant %q", got, want)
	}
	s.total = 2000
	if got, want := line(s), "backfill a.myshopify.com: 42%, 1,234/2,000 orders, 56.2/s, ETA 1m20s"; got != want {
		t.Errorf("line\n got %q\nwant %q", got, want)
	}
	if got := bar(state{what: "x", fraction: 1}); !strings.Contains(got, "["+strings.Repeat("=", barWidth)+"]") || !strings.Contains(got, "100%") || !strings.Contains(got, "ETA -") {
		t.Errorf("full bar %q", got)
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1500: "-1,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q", n, got)
		}
	}
}

// Not a terminal: plain lines, at most one every few seconds, and the last one always.
func TestProgressPlainLines(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf)
	if p.tty {
		t.Fatal("a buffer taken for a terminal")
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return now }
	for i := 0; i < 10; i++ {
		p.update(state{what: "w", count: int64(i)})
		now = now.Add(time.Second)
	}
	p.done(state{what: "w", count: 10, fraction: 1})
	out := buf.String()
	if strings.Contains(out, "\r") || strings.Count(out, "\n") != 3 || !strings.HasSuffix(out, "w: 100%, 10 orders, 0.0/s, ETA -\n") {
		t.Errorf("plain output:\n%s", out)
	}
}
