package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// The example Grafana dashboard (deploy/grafana) asks only for metrics Synco has: a
// renamed family fails here, not on an operator's screen.
func TestDashboardNamesRegisteredMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/grafana/synco-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	r := New()
	known := map[string]bool{}
	descs := make(chan *prometheus.Desc, 256)
	go func() { r.Describe(descs); close(descs) }()
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range descs {
		if m := fq.FindStringSubmatch(d.String()); m != nil {
			known[m[1]] = true
		}
	}
	metric := regexp.MustCompile(`\b(synco_[a-z_]+|go_[a-z_]+)\b`)
	n := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, name := range metric.FindAllString(tg.Expr, -1) {
				n++
				base := name
				for _, suf := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(name, suf); ok && known[b] {
						base = b
					}
				}
				if !known[base] {
					t.Errorf("panel %q asks for %s, which Synco does not register", p.Title, name)
				}
			}
		}
	}
	if n < 15 {
		t.Errorf("only %d metric references in the dashboard", n)
	}
}
