package api_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// findChromium returns a headless-capable Chromium, or "".
func findChromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "headless_shell"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// TestDashboardInBrowser loads the dashboard in headless Chromium against the real API
// and checks what a person would see: the orders, status chips, errors, Odoo links.
// It leaves a screenshot in $SYNCO_ARTIFACTS (or the test's temp dir).
// Without Chromium it fails and says what to install (`make test` installs it).
func TestDashboardInBrowser(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		t.Fatal("Chromium is not installed: run `apt-get install chromium` (make test does it)")
	}
	e := newEnv(t)
	synced := order(5531234)
	synced.Name, synced.Total, synced.Status, synced.OdooModel, synced.OdooID, synced.OdooName = "#1001", "123.45", "synced", "sale.order", 42, "WEB-1001"
	failed := order(5531235)
	failed.Name, failed.Status, failed.Error = "#1002", "failed", "Odoo: The partner VAT number is invalid"
	delayed := order(5531236)
	delayed.Name, delayed.Status, delayed.Total, delayed.Currency = "#1003", "delayed", "1500", "JPY"
	skipped := order(5531237)
	skipped.Name, skipped.Eligible, skipped.Reasons, skipped.FinancialStatus = "#1004", false, []string{"'PENDING' payment status doesn't match sync rules"}, "pending"
	for i, o := range []*testOrder{&synced, &failed, &delayed, &skipped} {
		o.CreatedAt = baseTime.Add(time.Duration(i) * 37 * time.Minute)
	}
	e.insertOrders(synced, failed, delayed, skipped)
	t0 := baseTime.Add(3 * time.Hour)
	e.insertEvents(
		testEvent{OutcomeID: "o1", OrderID: failed.ID, Stage: "processor", At: t0, Status: "in_progress"},
		testEvent{OutcomeID: "o2", OrderID: failed.ID, Stage: "sink.odoo", At: t0.Add(time.Second), Status: "delayed", Error: "Odoo timed out", Attempt: 1},
		testEvent{OutcomeID: "o3", OrderID: failed.ID, Stage: "sink.odoo", At: t0.Add(time.Minute), Status: "failed", Error: failed.Error, Attempt: 2},
	)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	t.Cleanup(func() { _ = e.app.ShutdownWithTimeout(5 * time.Second) })

	dir := os.Getenv("SYNCO_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	shot, _ := filepath.Abs(filepath.Join(dir, "dashboard.png"))
	url := "http://" + ln.Addr().String() + "/#token=" + adminToken
	run := func(url string, args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
			"--user-data-dir=" + t.TempDir(), "--window-size=1440,900", "--virtual-time-budget=3000"}
		out, err := exec.CommandContext(ctx, chromium, append(append(base, args...), url)...).Output()
		if err != nil {
			t.Fatalf("chromium: %v", err)
		}
		return string(out)
	}
	dom := run(url, "--dump-dom")
	for _, want := range []string{
		"#1001", "#1002", "#1003", "#1004", // every order
		"123.45 EUR", "1500 JPY", // totals with their currency's decimals
		`class="chip synced"`, `class="chip failed"`, `class="chip delayed"`, "ineligible",
		"Odoo: The partner VAT number is invalid", // the error in the row
		"WEB-1001", "http://odoo.test:8069/web#id=42", // the Odoo record, linked
		"https://" + shopA + "/admin/orders/5531234",
		"4 orders", "failed <b>1</b>", // the count and the jobs
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if strings.Contains(dom, adminToken) {
		t.Error("the token stays visible in the page")
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
	run(url, "--screenshot="+shot)
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10_000 {
		t.Errorf("no screenshot at %s: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)

	// A link to one order opens its drawer with the sync history.
	orderURL := url + "&order=5531235"
	dom = run(orderURL, "--dump-dom")
	for _, want := range []string{`id="drawer" aria-label="Order details" class="open"`, "Sync history", "Odoo timed out", "attempt 2", "Sync this order"} {
		if !strings.Contains(dom, want) {
			t.Errorf("order drawer lacks %q", want)
		}
	}
	detail := strings.TrimSuffix(shot, ".png") + "-order.png"
	run(orderURL, "--screenshot="+detail)
	t.Logf("screenshot: %s", detail)
}
