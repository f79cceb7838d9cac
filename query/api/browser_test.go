package api_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/synco-dev/synco/rules"
	"github.com/synco-dev/synco/schemas"
)

// The dashboard's tests run the page in headless Chromium (driven over the DevTools
// protocol by chromedp) against the real query service on a real ClickHouse with
// seeded rows. Each leaves screenshots in the artifacts folder (SYNCO_ARTIFACTS, else
// .data/artifacts/dashboard at the repository root, git-ignored), named in the log.
// Without Chromium they fail and say what to install (`make test` installs it).

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

func artifactsDir(t *testing.T) string {
	dir := os.Getenv("SYNCO_ARTIFACTS")
	if dir == "" {
		wd, _ := os.Getwd()
		root := wd
		for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
				root = d
				break
			}
		}
		dir = filepath.Join(root, ".data", "artifacts", "dashboard")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts folder: %v", err)
	}
	return dir
}

// fetchLog records every fetch the page makes, before any of its scripts run.
const fetchLog = `window.__calls = [];
(function () {
  const f = window.fetch;
  window.fetch = function (input, init) {
    window.__calls.push({ url: String(input), method: (init && init.method) || "GET", at: Date.now() });
    return f.apply(this, arguments);
  };
})();`

type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
}

// newBrowser serves e's API on loopback and opens a Chromium tab of w×h CSS pixels.
func newBrowser(t *testing.T, e *env, w, h int64) *browser {
	t.Helper()
	chromium := findChromium()
	if chromium == "" {
		t.Fatal("Chromium is not installed: run `apt-get install chromium` (make test does it)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	t.Cleanup(func() { _ = e.app.ShutdownWithTimeout(5 * time.Second) })

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(w), int(h)))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	b := &browser{t: t, ctx: ctx, base: "http://" + ln.Addr().String(), dir: artifactsDir(t)}
	b.do(chromedp.EmulateViewport(w, h),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fetchLog})
			return err
		}))
	return b
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("chromium: %v", err)
	}
}

// open loads the dashboard signed in, with hash (e.g. "page=settings"), and waits for
// the screen to have its data.
func (b *browser) open(hash string) {
	b.t.Helper()
	url := b.base + "/#token=" + adminToken
	if hash != "" {
		url += "&" + hash
	}
	b.do(chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("app")))
	if strings.Contains(hash, "page=settings") {
		b.waitJS(`document.getElementById("save-state").textContent === "All changes saved"`, "the settings form loads")
	} else {
		b.waitJS(`document.getElementById("count").textContent !== ""`, "the order table loads")
	}
}

// evalAs runs a JavaScript expression and decodes its JSON value.
func evalAs[T any](b *browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %.200q: %v", js, err)
	}
	return v
}

func (b *browser) str(js string) string { b.t.Helper(); return evalAs[string](b, js) }

// exec runs JavaScript statements.
func (b *browser) exec(js string) {
	b.t.Helper()
	evalAs[bool](b, "(() => { "+js+"; return true; })()")
}

// waitJS waits until a JavaScript condition holds (the page works asynchronously).
func (b *browser) waitJS(cond, what string) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(90*time.Second)))
	if err != nil {
		html, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		b.t.Fatalf("%s: %q never held (%v)\nbody: %.3000s", what, cond, err, html)
	}
}

// click clicks the first (visible) element matching a CSS selector.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel)))
}

// setValue sets a form control's value as a person would pick it, change event included.
func (b *browser) setValue(sel, v string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS(sel), v))
	b.exec(fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event("change", { bubbles: true }))`, sel))
}

func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	b.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// shot keeps a screenshot of the viewport (full: the whole page) as name.png.
func (b *browser) shot(name string, full bool) {
	b.t.Helper()
	act := chromedp.CaptureScreenshot()
	if full {
		act = chromedp.FullScreenshot(100)
	}
	buf, err := chromedp.Run(b.ctx, act)
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if len(buf) < 5_000 {
		b.t.Errorf("screenshot %s is only %d bytes", p, len(buf))
	}
	b.t.Logf("screenshot: %s", p)
}

// calls counts the page's fetches whose URL contains part (and method, if not empty).
func (b *browser) calls(method, part string) int {
	b.t.Helper()
	return evalAs[int](b, fmt.Sprintf(`window.__calls.filter((c) => c.url.includes(%q) && (%q === "" || c.method === %q)).length`, part, method, method))
}

// outsideViewport lists the visible elements that stick out of the viewport, except
// inside a box that scrolls on its own (the table).
const outsideViewport = `(() => {
  const w = document.documentElement.clientWidth, out = [];
  for (const e of document.querySelectorAll("body *")) {
    const cs = getComputedStyle(e);
    if (cs.display === "none" || cs.visibility === "hidden" || e.closest(".scroll, .hidden, script, style")) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > w + 0.5 || r.left < -0.5) out.push((e.id ? "#" + e.id : e.tagName.toLowerCase() + "." + e.className) + " [" + Math.round(r.left) + "," + Math.round(r.right) + "]");
  }
  if (document.documentElement.scrollWidth > w) out.push("document scrollWidth " + document.documentElement.scrollWidth + " > " + w);
  return out;
})()`

// drawerIn: the drawer is open, has the order, and has slid fully in.
const drawerIn = `document.querySelector("#drawer.open .full-error") !== null && Math.abs(document.getElementById("drawer").getBoundingClientRect().right - document.documentElement.clientWidth) < 1`

const xssName = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>Eve`

// seedTable puts one order of every kind the table shows into ClickHouse.
func seedTable(e *env, retryIn time.Duration) (delayedRetry time.Time) {
	e.t.Helper()
	synced := order(5531234)
	synced.Name, synced.Total, synced.Status, synced.OdooModel, synced.OdooID, synced.OdooName, synced.InvoiceID = "#1001", "123.45", "synced", "sale.order", 42, "S00042", 7
	synced.InvoiceState, synced.PaymentState, synced.RefundedAmount = "posted", "partial", "23.45"
	direct := order(5531235)
	direct.Name, direct.Status, direct.OdooModel, direct.OdooID, direct.OdooName = "#1002", "synced", "account.move", 9, "INV/2026/00009"
	failed := order(5531236)
	failed.Name, failed.Status, failed.Error = "#1003", "failed", "Odoo: The partner's VAT number is invalid.\nAccess to field 'vat' on res.partner refused: check the fiscal position of the customer before syncing again."
	delayed := order(5531237)
	retry := time.Now().Add(retryIn).Truncate(time.Second)
	delayed.Name, delayed.Status, delayed.Total, delayed.Currency, delayed.RetryAt, delayed.Error, delayed.Attempt = "#1004", "delayed", "1500", "JPY", &retry, "Odoo timed out", 1
	waiting := order(5531238)
	waiting.Name = "#1005"
	skipped := order(5531239)
	skipped.Name, skipped.Eligible, skipped.FinancialStatus, skipped.Source = "#1006", false, "pending", "pos"
	skipped.Reasons = []string{"'PENDING' payment status doesn't match sync rules", "'POS' order source doesn't match sync rules"}
	evil := order(5531240)
	evil.Name, evil.Customer, evil.Status, evil.OdooModel, evil.OdooID = "#1007", xssName, "synced", "sale.order", 43
	attention := order(5531241)
	attention.Name, attention.Status, attention.OdooModel, attention.OdooID, attention.OdooName = "#1008", "needs_attention", "sale.order", 44, "S00044"
	attention.Error = "odoo: sale.order.write: fault 2: sale order S00044 refused the order's edit: The ordered quantity of a sale order line cannot be decreased below the amount already delivered. Instead, create a return in your inventory."
	all := []*testOrder{&synced, &direct, &failed, &delayed, &waiting, &skipped, &evil, &attention}
	for i, o := range all {
		o.CreatedAt = baseTime.Add(time.Duration(len(all)-i) * 37 * time.Minute)
	}
	e.insertOrders(synced, direct, failed, delayed, waiting, skipped, evil, attention)
	t0 := baseTime.Add(3 * time.Hour)
	e.insertEvents(
		testEvent{OutcomeID: "o1", OrderID: failed.ID, Stage: "processor", At: t0, Status: "in_progress"},
		testEvent{OutcomeID: "o2", OrderID: failed.ID, Stage: "sink.odoo", At: t0.Add(time.Second), Status: "delayed", Error: "Odoo timed out", Attempt: 1},
		testEvent{OutcomeID: "o3", OrderID: failed.ID, Stage: "sink.odoo", At: t0.Add(time.Minute), Status: "failed", Error: failed.Error, Attempt: 2},
	)
	return retry
}

func rowJS(id, expr string) string {
	return fmt.Sprintf(`(() => { const r = document.querySelector('#rows tr[data-id="%s"]'); return r ? %s : null; })()`, id, expr)
}

// retrySeconds reads "Retrying in 2 min" / "Retrying in 59 s" as seconds.
func retrySeconds(t *testing.T, s string) int {
	t.Helper()
	f := strings.Fields(strings.TrimPrefix(s, "Retrying in "))
	if len(f) != 2 {
		t.Fatalf("delayed badge %q is not \"Retrying in X min\"", s)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		t.Fatalf("delayed badge %q: %v", s, err)
	}
	if f[1] == "min" {
		return n * 60
	}
	return n
}

// TestDashboardOrderTable: every status as the product names it, the reasons and the
// failure in tooltips, the full failure in the drawer, Odoo links per ID type, the
// row's Sync button, a delayed row counting down, polling while jobs are delayed, and
// a customer name full of markup shown as text.
func TestDashboardOrderTable(t *testing.T) {
	e := newEnv(t)
	seedTable(e, 64*time.Second)
	b := newBrowser(t, e, 1280, 800)
	b.open("")
	b.shot("orders-1280", false)

	badges := evalAs[map[string]string](b, `Object.fromEntries([...document.querySelectorAll("#rows tr")].map((r) => [r.dataset.id, r.querySelector(".badge").textContent]))`)
	for id, want := range map[string]string{"5531234": "Synced", "5531235": "Synced", "5531236": "Failed", "5531238": "Not Synced", "5531239": "Not Synced",
		"5531241": "Needs attention"} {
		if badges[id] != want {
			t.Errorf("order %s badge %q, want %q", id, badges[id], want)
		}
	}
	first := badges["5531237"]
	if !strings.HasPrefix(first, "Retrying in ") {
		t.Fatalf("delayed badge %q", first)
	}

	// The failure's reason is the Failed badge's tooltip.
	if got := b.str(rowJS("5531236", `r.querySelector(".badge").title`)); !strings.HasPrefix(got, "Odoo: The partner's VAT number is invalid.") || !strings.Contains(got, "fiscal position") {
		t.Errorf("failed badge tooltip %q", got)
	}
	// Odoo's refusal of the order's change is the Needs attention badge's tooltip.
	if got := b.str(rowJS("5531241", `r.querySelector(".badge").title`)); !strings.Contains(got, "cannot be decreased below the amount already delivered") {
		t.Errorf("needs attention badge tooltip %q", got)
	}
	// The eligibility warning: an icon whose tooltip lists the reasons, in the product's words.
	if got := b.str(rowJS("5531239", `r.querySelector(".warn-icon").title`)); got != "'PENDING' payment status doesn't match sync rules\n'POS' order source doesn't match sync rules" {
		t.Errorf("warning tooltip %q", got)
	}
	if warned := evalAs[int](b, `document.querySelectorAll("#rows .warn-icon").length`); warned != 1 {
		t.Errorf("%d warning icons, want only the ineligible order's", warned)
	}
	// A Sync button on every Not Synced, Failed and Needs attention row, and on no other.
	withButton := evalAs[[]string](b, `[...document.querySelectorAll("#rows tr")].filter((r) => r.querySelector("button.sync-row")).map((r) => r.dataset.id).sort()`)
	if want := []string{"5531236", "5531238", "5531239", "5531241"}; !slices.Equal(withButton, want) {
		t.Errorf("rows with a Sync button %v, want %v", withButton, want)
	}
	// Odoo ID links to the record in the shop's Odoo.
	if got := b.str(rowJS("5531234", `r.cells[8].querySelector("a").href`)); got != "http://odoo.test:8069/web#id=42&model=sale.order&view_type=form" {
		t.Errorf("sale order link %q", got)
	}
	// What Odoo holds is under the id: invoice state, payment, credit notes.
	if got := b.str(rowJS("5531234", `r.cells[8].querySelector(".odoo-state").textContent`)); got != "Posted invoice · Partially paid · Refunded 23.45" {
		t.Errorf("odoo state of the synced order %q", got)
	}
	if n := evalAs[int](b, `document.querySelectorAll("#rows .odoo-state").length`); n != 1 {
		t.Errorf("%d rows with an Odoo state, want only the one whose invoice Odoo reported", n)
	}
	// Markup in a customer name is text: nothing ran, nothing was parsed.
	if got := b.str(rowJS("5531240", `r.querySelector(".customer-name").textContent`)); got != xssName {
		t.Errorf("customer name shown as %q", got)
	}
	if xss := b.str(`JSON.stringify([window.__xss === undefined, document.querySelectorAll("#rows img, #rows script").length])`); xss != "[true,0]" {
		t.Errorf("the customer name's markup ran or was parsed: __xss and elements %v", xss)
	}

	// The row's Sync button asks for that order.
	b.click(`#rows tr[data-id="5531236"] button.sync-row`)
	b.waitJS(`window.__calls.some((c) => c.method === "POST" && c.url.endsWith("/sync"))`, "the Sync button posts /sync")
	b.waitJS(`document.getElementById("toast").textContent === "Queued 1 order for sync"`, "the sync is answered")
	reqs := e.requests.all()
	if len(reqs) != 1 || !slices.Equal(reqs[0].OrderIDs, []int64{5531236}) || reqs[0].AllEligible {
		t.Errorf("sync requests %+v, want order 5531236 only", reqs)
	}

	// The delayed row counts down by itself (no reload), and jobs are polled while
	// one is delayed.
	b.waitJS(rowJS("5531237", fmt.Sprintf(`r.querySelector(".badge").textContent !== %q`, first)), "the delayed badge counts down")
	second := b.str(rowJS("5531237", `r.querySelector(".badge").textContent`))
	if retrySeconds(t, second) >= retrySeconds(t, first) {
		t.Errorf("delayed badge went from %q to %q", first, second)
	}
	b.waitJS(`window.__calls.filter((c) => c.url.includes("/jobs")).length >= 2`, "jobs polled while one is delayed")
	if live := b.str(`document.getElementById("live").textContent`); live != "live" {
		t.Errorf("live indicator %q while a job is delayed", live)
	}

	// The ID type "invoice": the column shows and links the invoice.
	b.setValue("#id_type", "invoice")
	b.waitJS(`document.getElementById("odoo-head").textContent === "Invoice ID"`, "the Odoo ID column follows the ID type")
	b.waitJS(rowJS("5531234", `r.cells[8].querySelector("a") !== null && r.cells[8].querySelector("a").textContent === "7"`), "the invoice id shows")
	for id, want := range map[string]string{"5531234": "http://odoo.test:8069/web#id=7&model=account.move&view_type=form", "5531235": "http://odoo.test:8069/web#id=9&model=account.move&view_type=form"} {
		if got := b.str(rowJS(id, `r.cells[8].querySelector("a").href`)); got != want {
			t.Errorf("order %s invoice link %q, want %q", id, got, want)
		}
	}

	// The failed order's drawer has the whole failure text and the history.
	b.click(`#rows tr[data-id="5531236"] td:nth-child(3)`)
	b.waitJS(drawerIn, "the drawer opens")
	if got := b.str(`document.querySelector("#drawer .full-error").textContent`); !strings.HasSuffix(got, "before syncing again.") || !strings.Contains(got, "\n") {
		t.Errorf("drawer failure text %q", got)
	}
	if h := b.str(`document.querySelector("#drawer .timeline").textContent`); !strings.Contains(h, "attempt 2") || !strings.Contains(h, "Odoo timed out") {
		t.Errorf("drawer history %q", h)
	}
	b.shot("order-failed-1280", false)
}

// TestDashboardPollingStops: with no job waiting, active or delayed the page asks for
// the jobs once and then stays quiet.
func TestDashboardPollingStops(t *testing.T) {
	e := newEnv(t)
	synced := order(1)
	synced.Status, synced.OdooModel, synced.OdooID = "synced", "sale.order", 1
	failed := order(2)
	failed.Status, failed.Error = "failed", "Odoo: no"
	skipped := order(3)
	skipped.Eligible, skipped.Reasons = false, []string{rules.ReasonOutsideDates}
	e.insertOrders(synced, failed, skipped)
	b := newBrowser(t, e, 1280, 800)
	b.open("")
	// Two and a bit polling intervals: a poll would have happened twice.
	b.do(chromedp.Sleep(11 * time.Second))
	if n := b.calls("GET", "/jobs"); n != 1 {
		t.Errorf("%d requests for the jobs with nothing to wait for, want the first one only", n)
	}
	if n := b.calls("GET", "/orders?"); n != 1 {
		t.Errorf("%d requests for the orders, want 1", n)
	}
	if live := b.str(`document.getElementById("live").textContent`); live != "idle" {
		t.Errorf("live indicator %q", live)
	}
}

// TestDashboardPhone: at 390×844 nothing sticks out of the viewport: the header wraps
// and the table scrolls inside its own box; the settings form fits too.
func TestDashboardPhone(t *testing.T) {
	e := newEnv(t)
	seedTable(e, 10*time.Minute)
	e.catalogs.put(testCatalog())
	b := newBrowser(t, e, 390, 844)
	b.open("")
	if out := evalAs[[]string](b, outsideViewport); len(out) > 0 {
		t.Errorf("outside the 390 px viewport: %v", out)
	}
	box := evalAs[struct{ Scroll, Client int }](b, `(() => { const e = document.getElementById("table-box"); return { Scroll: e.scrollWidth, Client: e.clientWidth }; })()`)
	if box.Scroll <= box.Client || box.Client > 390 {
		t.Errorf("the table box is %d wide showing %d: it should scroll inside the viewport", box.Scroll, box.Client)
	}
	if headerH := evalAs[float64](b, `document.querySelector("header").getBoundingClientRect().height`); headerH < 60 {
		t.Errorf("header %.0f px high: it should wrap onto more lines at 390 px", headerH)
	}
	b.shot("orders-390", false)
	b.exec(`document.getElementById("table-box").scrollLeft = 10000`)
	b.shot("orders-390-scrolled", false)

	b.click(`#rows tr[data-id="5531236"] td:nth-child(3)`)
	b.waitJS(drawerIn, "the drawer opens")
	if out := evalAs[[]string](b, outsideViewport); len(out) > 0 {
		t.Errorf("outside the viewport with the drawer open: %v", out)
	}
	b.shot("order-failed-390", false)
	b.click("#drawer-close")
	b.waitJS(`getComputedStyle(document.getElementById("drawer")).visibility === "hidden"`, "the drawer closes")

	b.click(`#pages button[data-page="settings"]`)
	b.waitJS(`document.getElementById("save-state").textContent === "All changes saved"`, "the settings form loads")
	// Show every optional part of the form.
	b.exec(`for (const [n, v] of [["income_mode", "fixed"], ["payments_mode", "per_gateway"], ["customer_mode", "single"]]) { const r = document.querySelector('input[name="' + n + '"][value="' + v + '"]'); r.checked = true; r.dispatchEvent(new Event("change", { bubbles: true })); }`)
	if out := evalAs[[]string](b, outsideViewport); len(out) > 0 {
		t.Errorf("settings outside the 390 px viewport: %v", out)
	}
	b.shot("settings-390", true)
	// The same a screen at a time, as a person scrolls through it.
	height := evalAs[int](b, `document.documentElement.scrollHeight`)
	for i, y := 0, 0; y < height; i, y = i+1, y+800 {
		b.exec(fmt.Sprintf("window.scrollTo(0, %d)", y))
		b.shot(fmt.Sprintf("settings-390-%d", i+1), false)
	}
}

func testCatalog() schemas.OdooCatalog {
	return schemas.OdooCatalog{Shop: shopA, RefreshedAt: time.Now().UTC().Truncate(time.Second), OdooVersion: 17, PartnersLimit: 2000,
		Journals: []schemas.OdooJournal{{ID: 1, Name: "Customer Invoices", Code: "INV", Type: "sale"}, {ID: 2, Name: "Vendor Bills", Code: "BILL", Type: "purchase"},
			{ID: 6, Name: "Bank", Code: "BNK1", Type: "bank"}, {ID: 7, Name: "Cash", Code: "CSH1", Type: "cash"}},
		IncomeAccounts: []schemas.OdooAccount{{ID: 24, Code: "400000", Name: "Product Sales"}, {ID: 28, Code: "450000", Name: "Other Income"}},
		Partners: []schemas.OdooPartner{{ID: 9, Name: "Shopify Guests", Email: "guests@shop.example"}, {ID: 8, Name: "Jane Doe", Email: "jane@example.com"},
			{ID: 5, Name: "John Roe", Email: ""}},
	}
}

// TestDashboardSettings: the Order Settings form loads every field from the API and
// its pickers from the Odoo catalog, shows the API's field error beside its field,
// previews the change, saves it, and the order table then shows the new eligibility.
func TestDashboardSettings(t *testing.T) {
	e := newEnv(t)
	paidWeb := order(101)
	paidWeb.Name = "#2001"
	pendingWeb := order(102)
	pendingWeb.Name, pendingWeb.FinancialStatus = "#2002", "pending"
	paidPOS := order(103)
	paidPOS.Name, paidPOS.Source = "#2003", "pos"
	seeded := []testOrder{paidWeb, pendingWeb, paidPOS}
	e.insertOrders(seeded...)
	e.catalogs.put(testCatalog())
	b := newBrowser(t, e, 1280, 800)
	b.open("page=settings")

	// Loaded: the defaults, and Odoo's lists in the pickers.
	loaded := evalAs[struct {
		AutoSync, PaymentAll bool
		Create               string
		Journals, Partners   []string
	}](b, `({ AutoSync: document.getElementById("f-auto_sync").checked,
		PaymentAll: document.querySelector('#f-payment_statuses input[value="all"]').checked,
		Create: document.querySelector('input[name="create"]:checked').value,
		Journals: [...document.querySelectorAll("#f-sales_journal_id option")].map((o) => o.textContent),
		Partners: [...document.querySelectorAll("#f-partner option")].map((o) => o.textContent) })`)
	if !loaded.AutoSync || !loaded.PaymentAll || loaded.Create != schemas.CreateDraftSaleOrder {
		t.Errorf("form loaded %+v", loaded)
	}
	if !slices.Equal(loaded.Journals, []string{"Odoo's default sales journal", "Customer Invoices (INV)"}) {
		t.Errorf("sales journals offered %q", loaded.Journals)
	}
	if !slices.Contains(loaded.Partners, "Jane Doe <jane@example.com>") || !slices.Contains(loaded.Partners, "John Roe") {
		t.Errorf("customers offered %q", loaded.Partners)
	}
	b.shot("settings-1280", false)

	set := func(js string) {
		t.Helper()
		b.exec(js + `; document.getElementById("settings-form").dispatchEvent(new Event("change"))`)
	}
	// An end before the start: the API's field error shows beside the end date.
	set(`document.getElementById("f-date_from").value = "2025-05-01"; document.getElementById("f-date_to").value = "2025-04-01"`)
	b.click("#save")
	b.waitJS(`document.querySelector('[data-field="date_to"] .field-error') !== null`, "the field error shows")
	if msg := b.str(`document.querySelector('[data-field="date_to"] .field-error').textContent`); msg != "The end date is before the start date." {
		t.Errorf("date_to error %q", msg)
	}
	if got := b.str(`document.getElementById("form-error").textContent`); !strings.Contains(got, "marked below") {
		t.Errorf("form error %q", got)
	}
	if len(e.settings.puts) != 0 {
		t.Fatalf("invalid settings were saved: %+v", e.settings.puts)
	}
	b.shot("settings-field-error", false)

	// Paid orders only, no date range: the preview says one order leaves, and why.
	set(`document.getElementById("f-date_from").value = ""; document.getElementById("f-date_to").value = "";
		document.querySelector('#f-payment_statuses input[value="paid"]').click()`)
	b.click("#preview-btn")
	b.waitJS(`!document.getElementById("preview").classList.contains("hidden")`, "the preview shows")
	if n := b.str(`document.getElementById("preview-become-ineligible").textContent`); n != "1" {
		t.Errorf("preview: %s become ineligible, want 1", n)
	}
	if p := b.str(`document.getElementById("preview").textContent`); !strings.Contains(p, "#2002 — 'PENDING' payment status doesn't match sync rules") {
		t.Errorf("preview lists %q", p)
	}
	if len(e.settings.puts) != 0 {
		t.Errorf("the preview saved something")
	}
	b.shot("settings-preview", false)

	// More of the form: invoice mode, a fixed income account, payments per gateway,
	// one customer for guests, picked from Odoo's lists.
	set(`document.querySelector('input[name="create"][value="sale_order_confirmed_invoice"]').checked = true;
		document.querySelector('input[name="invoice_for"][value="paid"]').checked = true;
		document.querySelector('input[name="income_mode"][value="fixed"]').checked = true`)
	set(`document.getElementById("f-income_account").value = "24";
		document.getElementById("f-sales_journal_id").value = "1";
		document.querySelector('input[name="payments_mode"][value="per_gateway"]').checked = true;
		document.querySelector('input[name="customer_mode"][value="single"]').checked = true;
		document.querySelector('input[name="guests_only"][value="true"]').checked = true;
		document.getElementById("f-order_prefix").value = "WEB-";
		document.getElementById("f-sync_refunds").checked = true;
		document.getElementById("f-include_tags").checked = true`)
	b.typeInto("#f-custom-gateway", "shopify_payments")
	b.click("#add-gateway")
	b.waitJS(`document.querySelector('select[data-gateway="shopify_payments"]') !== null`, "the gateway row appears")
	b.setValue(`select[data-gateway="shopify_payments"]`, "6")
	b.typeInto("#f-partner-q", "guests")
	b.waitJS(`document.querySelectorAll("#f-partner option").length === 1`, "the customer search narrows")
	b.setValue("#f-partner", "9")
	if v := b.str(`document.getElementById("f-posted_invoice_edits").value`); v != "warn" {
		t.Errorf("posted invoice edits shown as %q, want the default warn", v)
	}
	b.setValue("#f-posted_invoice_edits", "credit_and_reissue")
	if st := b.str(`document.getElementById("save-state").textContent`); st != "Unsaved changes" {
		t.Errorf("save state %q", st)
	}
	b.shot("settings-filled", true)

	b.click("#save")
	b.waitJS(`document.getElementById("save-state").textContent === "All changes saved"`, "the settings save")
	if len(e.settings.puts) != 1 {
		t.Fatalf("%d settings saved", len(e.settings.puts))
	}
	got := e.settings.puts[0]
	if !slices.Equal(got.PaymentStatuses, []string{"paid"}) || got.DateFrom != "" || got.DateTo != "" ||
		got.Create != schemas.CreateSaleOrderConfirmedInvoice || got.InvoiceFor != "paid" || got.SalesJournalID != 1 ||
		got.IncomeAccount != (schemas.IncomeAccount{Mode: "fixed", AccountID: 24}) ||
		got.Payments.Mode != "per_gateway" || got.Payments.Gateways["shopify_payments"] != 6 || len(got.Payments.Gateways) != 1 ||
		got.Customer != (schemas.CustomerSettings{Mode: "single", PartnerID: 9, GuestsOnly: true}) ||
		got.OrderPrefix != "WEB-" || !got.SyncRefunds || !got.Include.Tags || got.Include.NoteAttributes || !got.AutoSync ||
		!slices.Equal(got.OrderSources, []string{"all"}) || !slices.Equal(got.FulfillmentStatuses, []string{"all"}) ||
		got.PostedInvoiceEdits != schemas.PostedInvoiceCreditAndReissue {
		t.Errorf("saved %+v", got)
	}

	// What the pipeline does with saved settings (the processor applies the rules to
	// the orders, the ClickHouse sink writes the outcome): here, the same rules applied
	// to the seeded rows, written as their next version.
	for i := range seeded {
		o := &seeded[i]
		d := rules.Evaluate(&got, &schemas.Order{FinancialStatus: o.FinancialStatus, FulfillmentStatus: o.FulfillmentStatus, SourceName: o.Source, CreatedAt: o.CreatedAt})
		o.Eligible, o.Reasons, o.Version = d.Eligible, d.Reasons, o.Version+1
	}
	e.insertOrders(seeded...)

	b.click(`#pages button[data-page="orders"]`)
	b.waitJS(rowJS("102", `r.querySelector(".warn-icon") !== null`), "the order table shows the new eligibility")
	if got := b.str(rowJS("102", `r.querySelector(".warn-icon").title`)); got != "'PENDING' payment status doesn't match sync rules" {
		t.Errorf("warning after the change %q", got)
	}
	if others := evalAs[int](b, `document.querySelectorAll("#rows .warn-icon").length`); others != 1 {
		t.Errorf("%d orders warned, want only #2002", others)
	}
	b.shot("settings-saved-table", false)
}
