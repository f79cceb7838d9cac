package shopifysim_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopifysim"
)

// realKeys gathers, per object path (order, order.line_items, ...), the keys Shopify's
// own payloads use.
func realKeys(t *testing.T) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if out[path] == nil {
				out[path] = map[string]bool{}
			}
			for k, c := range x {
				out[path][k] = true
				walk(path+"."+k, c)
			}
		case []any:
			for _, c := range x {
				walk(path, c)
			}
		}
	}
	files, _ := filepath.Glob("../shopify/order/testdata/*.json")
	if len(files) < 8 {
		t.Fatalf("payloads not found: %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		if o, ok := v["order"]; ok {
			v = o.(map[string]any)
		}
		root := "order"
		if _, ok := v["order_id"]; ok {
			root = "order.refunds"
		}
		walk(root, v)
	}
	return out
}

// TestRESTShapeIsShopifys: every key the simulator writes in a REST order (at every
// level) is one Shopify's own payloads have: it invents nothing.
func TestRESTShapeIsShopifys(t *testing.T) {
	real := realKeys(t)
	sim, err := shopifysim.New(shopifysim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := richOrder(sim, 3, "USD", "1.2")
	var v map[string]any
	if err := json.Unmarshal(sim.RESTOrderJSON(o), &v); err != nil {
		t.Fatal(err)
	}
	var bad []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if real[path] != nil && !real[path][k] {
					bad = append(bad, path+"."+k)
				}
				walk(path+"."+k, c)
			}
		case []any:
			for _, c := range x {
				walk(path, c)
			}
		}
	}
	walk("order", v)
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Fatalf("keys Shopify's payloads do not have:\n%s", strings.Join(bad, "\n"))
	}
}

// TestBulkJSONLShape: the bulk file is JSONL as Shopify writes it: one object a line,
// connections moved out of their parent into lines naming it in __parentId, children
// after their parent when grouped.
func TestBulkJSONLShape(t *testing.T) {
	sim, c, _ := start(t, shopifysim.Options{})
	sim.AddSampleOrders(3, time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC))
	q, _ := admin.BulkOrdersQuery(admin.Window{})
	op, err := c.RunBulkQuery(ctx, q, true)
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.WaitBulk(ctx, op.Id, time.Millisecond, nil)
	if err != nil || done.Url == nil {
		t.Fatalf("%+v %v", done, err)
	}
	resp, err := http.Get(*done.Url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	seen := map[string]bool{}
	orders, children := 0, 0
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not JSON: %s", sc.Text())
		}
		id, _ := line["id"].(string)
		switch line["__typename"] {
		case "Order":
			orders++
			if _, ok := line["__parentId"]; ok {
				t.Errorf("a root line with __parentId: %s", sc.Text())
			}
			for _, k := range []string{"lineItems", "shippingLines"} {
				if _, ok := line[k]; ok {
					t.Errorf("connection %s left inline in the order line", k)
				}
			}
			if _, ok := line["transactions"].([]any); !ok {
				t.Errorf("list field transactions not inline: %s", sc.Text())
			}
		default:
			children++
			p, _ := line["__parentId"].(string)
			if !seen[p] {
				t.Errorf("child before (or without) its parent %q", p)
			}
		}
		seen[id] = true
	}
	if orders != 3 || children < 6 {
		t.Fatalf("%d orders, %d children", orders, children)
	}
	if done.RootObjectCount != "3" {
		t.Errorf("rootObjectCount %s", done.RootObjectCount)
	}
}
