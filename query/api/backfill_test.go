package api_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/query/api"
	"github.com/synco-dev/synco/schemas"
)

type fakeJobs struct {
	mu       sync.Mutex
	m        map[string]schemas.Job
	notReady bool
}

func (f *fakeJobs) Latest(shop, kind string) (schemas.Job, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.m[shop+"/"+kind]
	return j, ok
}

func (f *fakeJobs) Ready() bool { f.mu.Lock(); defer f.mu.Unlock(); return !f.notReady }

// backfillEnv is an API without ClickHouse (the backfill routes do not read it).
func backfillEnv(t *testing.T) (*env, *fakeJobs) {
	jobs := &fakeJobs{m: map[string]schemas.Job{}}
	e := &env{t: t, requests: &fakeRequester{}}
	e.app = api.New(api.Deps{
		Tokens:     []config.APIToken{{Token: adminToken, Shops: []string{"*"}}, {Token: alphaToken, Shops: []string{shopA}}},
		Shops:      []string{shopA, shopB},
		Settings:   &fakeSettings{m: map[string]schemas.ShopSettings{}},
		Requests:   e.requests,
		Jobs:       jobs,
		ShopifyAPI: func(shop string) bool { return shop == shopA },
	})
	return e, jobs
}

func TestBackfillStartAndProgress(t *testing.T) {
	e, jobs := backfillEnv(t)
	var got struct {
		JobID  string  `json:"job_id"`
		Status string  `json:"status"`
		To     *string `json:"to"`
	}
	e.call("POST", "/api/shops/"+shopA+"/backfill", map[string]any{"from": "2026-01-01", "to": "2026-01-31"}, 202, &got)
	if got.JobID != "2026-01-01_2026-01-31" || got.Status != "queued" || got.To == nil || *got.To != "2026-01-31" {
		t.Errorf("answer %+v", got)
	}
	reqs := e.requests.all()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Kind != schemas.RequestBackfill || r.RequestID != got.JobID || r.Shop != shopA || r.From == nil || r.To == nil ||
		!r.From.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || !r.To.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) || r.RequestedBy == "" {
		t.Errorf("request %+v", r)
	}
	// Open-ended.
	e.call("POST", "/api/shops/"+shopA+"/backfill", map[string]any{"from": "2026-03-01"}, 202, &got)
	if got.JobID != "2026-03-01_open" || got.To != nil || e.requests.all()[1].To != nil {
		t.Errorf("open-ended: %+v", got)
	}
	e.expectError("POST", "/api/shops/"+shopA+"/backfill", map[string]any{"to": "2026-01-31"}, 400, "from")
	e.expectError("POST", "/api/shops/"+shopA+"/backfill", map[string]any{"from": "yesterday"}, 400, "from")
	e.expectError("POST", "/api/shops/"+shopA+"/backfill", map[string]any{"from": "2026-02-01", "to": "2026-01-01"}, 400, "to")
	e.expectError("POST", "/api/shops/"+shopA+"/backfill", map[string]any{"from": "2026-02-01", "until": "x"}, 400, "")
	e.expectError("POST", "/api/shops/"+shopB+"/backfill", map[string]any{"from": "2026-02-01"}, 409, "")
	if code, _ := e.do("POST", "/api/shops/"+shopB+"/backfill", alphaToken, map[string]any{"from": "2026-02-01"}); code != 404 {
		t.Errorf("another shop's token: %d", code)
	}

	var view struct {
		Job *struct {
			JobID      string  `json:"job_id"`
			Status     string  `json:"status"`
			To         *string `json:"to"`
			Fraction   float64 `json:"fraction"`
			Processed  int64   `json:"processed"`
			ETASeconds *int64  `json:"eta_seconds"`
			Rate       float64 `json:"orders_per_second"`
			By         string  `json:"requested_by"`
		} `json:"job"`
	}
	e.call("GET", "/api/shops/"+shopA+"/backfill", nil, 200, &view)
	if view.Job != nil {
		t.Errorf("before any job: %+v", view.Job)
	}
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	cp := from.Add(to.Sub(from) / 4)
	start := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	jobs.m[shopA+"/backfill"] = schemas.Job{JobID: "2026-01-01_2026-01-31", Shop: shopA, Kind: schemas.JobBackfill, Status: schemas.JobRunning,
		From: &from, To: &to, Checkpoint: &cp, Mode: "bulk", Processed: 500, StartedAt: start, UpdatedAt: start.Add(100 * time.Second),
		RequestedBy: "dev"}
	e.call("GET", "/api/shops/"+shopA+"/backfill", nil, 200, &view)
	if j := view.Job; j == nil || j.Status != "running" || j.Fraction != 0.25 || j.Processed != 500 || j.Rate != 5 || j.ETASeconds == nil || *j.ETASeconds != 300 || j.To == nil || *j.To != "2026-01-31" ||
		j.By != "dev" {
		t.Errorf("running job %+v", view.Job)
	}
	jobs.notReady = true
	e.expectError("GET", "/api/shops/"+shopA+"/backfill", nil, 503, "")
}

// TestDashboardBackfillPanel: the settings screen shows the shop's import of past
// orders and starts one.
func TestDashboardBackfillPanel(t *testing.T) {
	e := newEnv(t)
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	cp := from.Add(to.Sub(from) / 4)
	start := time.Now().Add(-time.Minute)
	e.jobs.m[shopA+"/backfill"] = schemas.Job{JobID: "2026-01-01_2026-01-31", Shop: shopA, Kind: schemas.JobBackfill, Status: schemas.JobRunning,
		From: &from, To: &to, Checkpoint: &cp, Mode: "bulk", Processed: 1234, StartedAt: start, UpdatedAt: start.Add(30 * time.Second)}
	b := newBrowser(t, e, 1280, 800)
	b.open("page=settings")
	b.waitJS(`document.getElementById("bf-state").textContent.startsWith("Importing 2026-01-01 to 2026-01-31: 25%")`, "the running import shown")
	if got := b.str(`document.getElementById("bf-state").textContent`); !strings.Contains(got, "1,234 orders (bulk)") || !strings.Contains(got, "min left") {
		t.Errorf("panel says %q", got)
	}
	b.setValue("#bf-from", "2025-06-01")
	b.click("#bf-start")
	b.waitJS(`document.getElementById("bf-state").textContent.includes("queued") || document.getElementById("bf-state").textContent.startsWith("Importing")`, "the import queued")
	reqs := e.requests.all()
	if len(reqs) != 1 || reqs[0].Kind != schemas.RequestBackfill || reqs[0].RequestID != "2025-06-01_open" {
		t.Errorf("requests %+v", reqs)
	}
	b.shot("settings-backfill", true)

	// Interrupted: one started here resumes by itself; one of the CLI by its command.
	for by, want := range map[string]string{"dev": "Synco resumes it within a minute", "cli": "run the same synco backfill command again"} {
		e.jobs.mu.Lock() // the page may be polling
		e.jobs.m[shopA+"/backfill"] = schemas.Job{JobID: "2026-01-01_2026-01-31", Shop: shopA, Kind: schemas.JobBackfill, Status: schemas.JobInterrupted,
			From: &from, To: &to, Checkpoint: &cp, Mode: "pages", Processed: 1234, StartedAt: start, UpdatedAt: start.Add(30 * time.Second), RequestedBy: by}
		e.jobs.mu.Unlock()
		b.open("page=settings")
		b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("app"))) // the same URL: load it anew
		b.waitJS(`document.getElementById("bf-state").textContent.includes(`+strconv.Quote(want)+`)`, "the interrupted import of "+by)
	}
}
