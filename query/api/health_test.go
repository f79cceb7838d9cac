package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/synco-dev/synco/query/api"
)

func TestMetricsAndReadiness(t *testing.T) {
	// ClickHouse that does not answer: the service is alive but not ready.
	dead, err := clickhouse.Open(&clickhouse.Options{Addr: []string{"127.0.0.1:1"}, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	app := api.New(api.Deps{
		CH:       dead,
		Settings: &fakeSettings{},
		Requests: &fakeRequester{},
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "synco_up 1\n")
		}),
	})
	get := func(path string) (int, string) {
		resp, err := app.Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 {
		t.Errorf("healthz %d %s", code, body)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, `"error"`) {
		t.Errorf("readyz with ClickHouse down: %d %s", code, body)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "synco_up 1") {
		t.Errorf("metrics: %d %s", code, body)
	}
	// No tokens configured: every API call is refused.
	if code, _ := get("/api/shops"); code != 401 {
		t.Errorf("no tokens: %d", code)
	}
}
