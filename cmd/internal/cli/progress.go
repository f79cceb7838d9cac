package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress shows a long command's progress: a bar redrawn in place on a terminal, a
// plain line every few seconds otherwise (a log file, CI).
type progress struct {
	w     io.Writer
	tty   bool
	every time.Duration
	now   func() time.Time

	mu    sync.Mutex
	last  time.Time
	drawn bool
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, tty: isTerminal(w), every: 5 * time.Second, now: time.Now}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// state is one reading of a long command's progress.
type state struct {
	what     string        // "backfill a.myshopify.com"
	count    int64         // orders so far
	total    int64         // 0: unknown
	fraction float64       // 0..1, of the work (by count when total is known, else by time range)
	rate     float64       // orders a second
	eta      time.Duration // 0: unknown
}

// update shows s: always on a terminal, at most every few seconds otherwise.
func (p *progress) update(s state) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r"+bar(s)+"\x1b[K")
		p.drawn = true
		return
	}
	if now := p.now(); now.Sub(p.last) >= p.every {
		p.last = now
		fmt.Fprintln(p.w, line(s))
	}
}

// done ends the display with the final state (always shown).
func (p *progress) done(s state) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r"+bar(s)+"\x1b[K\n")
		return
	}
	fmt.Fprintln(p.w, line(s))
}

const barWidth = 30

// bar is the terminal form: "backfill a.myshopify.com [=========>      ]  42%  1,234 orders  56.3/s  ETA 1m20s".
func bar(s state) string {
	f := min(max(s.fraction, 0), 1)
	n := int(f * barWidth)
	b := strings.Repeat("=", n)
	if n < barWidth {
		b += ">" + strings.Repeat(" ", barWidth-n-1)
	}
	return fmt.Sprintf("%s [%s] %3.0f%%  %s  %s  ETA %s", s.what, b, f*100, count(s), rate(s.rate), eta(s.eta))
}

// line is the plain form: "backfill a.myshopify.com: 42%, 1,234 orders, 56.3/s, ETA 1m20s".
func line(s state) string {
	return fmt.Sprintf("%s: %.0f%%, %s, %s, ETA %s", s.what, min(max(s.fraction, 0), 1)*100, count(s), rate(s.rate), eta(s.eta))
}

func count(s state) string {
	if s.total > 0 {
		return thousands(s.count) + "/" + thousands(s.total) + " orders"
	}
	return thousands(s.count) + " orders"
}

func rate(r float64) string { return fmt.Sprintf("%.1f/s", r) }

func eta(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return d.Round(time.Second).String()
}

// thousands writes n with comma separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
