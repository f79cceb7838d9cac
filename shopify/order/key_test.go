package order

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every order body of the testdata gives the key FromWebhook gives: same id, same
// version (what the processor will decide with).
func TestScanOrderAgreesWithTheNormalizer(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	n := 0
	for _, f := range files {
		if strings.Contains(f, "refund") && !strings.Contains(f, "order_") {
			continue
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		o, err := FromWebhook(body)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		k, err := ScanOrder(body)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if k.OrderID != o.ID || !k.UpdatedAt.Equal(o.UpdatedAt) || k.UpdatedAt.IsZero() {
			t.Errorf("%s: scanned %d %v, parsed %d %v", f, k.OrderID, k.UpdatedAt, o.ID, o.UpdatedAt)
		}
		n++
	}
	if n < 6 {
		t.Fatalf("scanned %d order bodies, want at least 6", n)
	}
}

// The key of every topic the contract acts on: the six order topics carry the order
// itself; refunds/create and orders/edited name it by order_id; orders/delete by id.
func TestScanEveryWebhookTopic(t *testing.T) {
	whole, _ := os.ReadFile("testdata/orders_create.json")
	refund, _ := os.ReadFile("testdata/refunds_create.json")
	edited := []byte(`{"order_edit":{"id":78912328,"app_id":null,"created_at":"2024-01-01T00:00:00Z","notify_customer":false,"order_id":820982911946154508,"staff_note":"","user_id":null,"line_items":{"additions":[{"id":1}],"removals":[]}}}`)
	deleted := []byte(`{"id":820982911946154508}`)
	for _, topic := range []string{"orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled", "orders/partially_fulfilled"} {
		k, err := ScanOrder(whole)
		if err != nil || k.OrderID != 820982911946154508 || k.UpdatedAt.IsZero() {
			t.Errorf("%s: %+v %v", topic, k, err)
		}
	}
	for topic, body := range map[string][]byte{"refunds/create": refund, "orders/edited": edited, "orders/delete": deleted} {
		k, err := ScanRef(topic, body)
		want, werr := OrderIDOf(topic, body)
		if err != nil || werr != nil || k.OrderID != 820982911946154508 || k.OrderID != want || !k.UpdatedAt.IsZero() {
			t.Errorf("%s: scanned %+v %v, OrderIDOf %d %v", topic, k, err, want, werr)
		}
	}
	// A refund's own id is not an order id, even for orders/delete's rule.
	if k, err := ScanRef("refunds/create", []byte(`{"id":5,"order_id":null}`)); err == nil {
		t.Errorf("refund without order_id gave %+v", k)
	}
}

func TestScanOrderFindsTheOrdersOwnID(t *testing.T) {
	for name, c := range map[string]struct {
		body string
		id   int64
	}{
		// Nested ids (customer, line items, addresses) before the order's own.
		"nested first": {`{"customer":{"id":111,"default_address":{"id":222}},"line_items":[{"id":333,"tax_lines":[{"id":444}]}],"id":820982911946154508,"updated_at":"2024-05-01T10:00:00Z"}`, 820982911946154508},
		"nested after": {`{"id":7,"line_items":[{"id":8}],"refunds":[{"id":9,"order_id":7}]}`, 7},
		// Above 2^53: a float64 would round 9007199254740993 to ...992.
		"2^53+1":                   {`{"id":9007199254740993}`, 9007199254740993},
		"max int64":                {`{"id":9223372036854775807}`, 9223372036854775807},
		"wrapped":                  {`{"order":{"line_items":[{"id":1}],"id":820982911946154508}}`, 820982911946154508},
		"order null is no wrapper": {`{"order":null,"id":42}`, 42},
		"last of a repeated key":   {`{"id":1,"id":2}`, 2},
		"id in a string value":     {`{"note":"\"id\": 99, {[","id":3}`, 3},
		"escapes and unicode":      {`{"note":"caf\u00e9 \\ \/ \n ü","id":4,"tags":"a\"b"}`, 4},
		"whitespace":               {" \n\t{ \"id\" :\r 5 , \"x\" : [ ] , \"y\" : { } } \n", 5},
	} {
		k, err := ScanOrder([]byte(c.body))
		if err != nil || k.OrderID != c.id {
			t.Errorf("%s: %+v %v, want id %d", name, k, err, c.id)
		}
		if o, err := FromWebhook([]byte(c.body)); err == nil && o.ID != k.OrderID {
			t.Errorf("%s: FromWebhook says %d", name, o.ID)
		}
	}
}

func TestScanOrderVersion(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v.UTC() }
	for name, c := range map[string]struct {
		body string
		want time.Time
	}{
		"updated_at":              {`{"id":1,"created_at":"2024-05-01T09:00:00-05:00","updated_at":"2024-05-01T10:00:00.123-05:00"}`, at("2024-05-01T15:00:00.123Z")},
		"missing updated_at":      {`{"id":1,"created_at":"2024-05-01T09:00:00-05:00"}`, at("2024-05-01T14:00:00Z")},
		"null updated_at":         {`{"id":1,"created_at":"2024-05-01T09:00:00Z","updated_at":null}`, at("2024-05-01T09:00:00Z")},
		"neither":                 {`{"id":1}`, time.Time{}},
		"nested updated_at only":  {`{"id":1,"line_items":[{"updated_at":"2030-01-01T00:00:00Z"}]}`, time.Time{}},
		"wrapped order's version": {`{"order":{"id":1,"updated_at":"2024-05-01T10:00:00Z"},"updated_at":"1999-01-01T00:00:00Z"}`, at("2024-05-01T10:00:00Z")},
	} {
		k, err := ScanOrder([]byte(c.body))
		if err != nil || !k.UpdatedAt.Equal(c.want) {
			t.Errorf("%s: %v %v, want %v", name, k.UpdatedAt, err, c.want)
		}
		if o, err := FromWebhook([]byte(c.body)); err != nil || !o.UpdatedAt.Equal(k.UpdatedAt) {
			t.Errorf("%s: FromWebhook says %v %v", name, o.UpdatedAt, err)
		}
	}
}

// Bodies FromWebhook refuses are refused here too (the webhook keeps them as dead
// letters): not JSON, cut short, an id that is no 64-bit integer, no id, a bad time.
func TestScanOrderRefusesMalformedBodies(t *testing.T) {
	good, _ := os.ReadFile("testdata/orders_create.json")
	for name, body := range map[string]string{
		"empty":            ``,
		"not json":         `id=1`,
		"cut short":        string(good[:len(good)/2]),
		"cut in a string":  `{"id":1,"note":"abc`,
		"trailing garbage": `{"id":1} x`,
		"two objects":      `{"id":1}{"id":2}`,
		"array":            `[{"id":1}]`,
		"missing colon":    `{"id" 1}`,
		"missing comma":    `{"id":1 "x":2}`,
		"trailing comma":   `{"id":1,}`,
		"bad literal":      `{"id":1,"x":tru}`,
		"bad escape":       `{"id":1,"x":"\q"}`,
		"bad unicode":      `{"id":1,"x":"\u12G4"}`,
		"control char":     "{\"id\":1,\"x\":\"a\x01b\"}",
		"leading zero":     `{"id":01}`,
		"id string":        `{"id":"820982911946154508"}`,
		"id float":         `{"id":1.5}`,
		"id exponent":      `{"id":1e3}`,
		"id overflow":      `{"id":9223372036854775808}`,
		"id object":        `{"id":{"n":1}}`,
		"no id":            `{"name":"#1001"}`,
		"id null":          `{"id":null}`,
		"id zero":          `{"id":0}`,
		"id negative":      `{"id":-5}`,
		"bad updated_at":   `{"id":1,"updated_at":"yesterday"}`,
		"updated_at num":   `{"id":1,"updated_at":1714557600}`,
		"bad created_at":   `{"id":1,"created_at":"2024-13-01T00:00:00Z"}`,
		"order not object": `{"order":5,"id":1}`,
		"unclosed array":   `{"id":1,"x":[1,2}`,
	} {
		if k, err := ScanOrder([]byte(body)); err == nil {
			t.Errorf("%s: accepted as %+v", name, k)
		}
		if _, err := FromWebhook([]byte(body)); err == nil {
			t.Errorf("%s: FromWebhook accepts it, so the scanner should too", name)
		}
	}
	deep := strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1)
	if _, err := ScanOrder([]byte(deep)); err == nil {
		t.Error("nesting beyond encoding/json's limit accepted")
	}
}

func TestScanRefRefusesMalformedBodies(t *testing.T) {
	for name, c := range map[string]struct{ topic, body string }{
		"cut short":           {"refunds/create", `{"id":1,"order_id":82098291194`},
		"order_id string":     {"refunds/create", `{"order_id":"5"}`},
		"no order_id":         {"refunds/create", `{"id":5}`},
		"edit without id":     {"orders/edited", `{"order_edit":{"id":5}}`},
		"edit not an object":  {"orders/edited", `{"order_edit":5}`},
		"delete without id":   {"orders/delete", `{}`},
		"delete id too large": {"orders/delete", `{"id":99999999999999999999}`},
	} {
		if k, err := ScanRef(c.topic, []byte(c.body)); err == nil {
			t.Errorf("%s: accepted as %+v", name, k)
		}
		if _, err := OrderIDOf(c.topic, []byte(c.body)); err == nil {
			t.Errorf("%s: OrderIDOf accepts it", name)
		}
	}
}

// FuzzScanOrder: the scanner accepts only JSON, and wherever FromWebhook (encoding/json)
// reads an order from a body the scanner reads the same id and version. Bodies whose
// keys differ from Shopify's only by case or escapes are left out: encoding/json
// matches those loosely, the scanner exactly.
func FuzzScanOrder(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	for _, s := range []string{`{"id":1}`, `{"order":{"id":2}}`, `{"id":1,"updated_at":"2024-05-01T10:00:00Z"}`, `{"a":[{"id":3}],"id":4}`, `[]`, `{"id":1e3}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkScan)
}

// Mutations of every testdata body (bytes replaced, cut short), deterministic: the
// property FuzzScanOrder checks, on what a fuzzing session would start from.
func TestScanOrderOnMutatedBodies(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	r := rand.New(rand.NewSource(1))
	n := 0
	for _, f := range files {
		seed, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 300 {
			b := bytes.Clone(seed)
			if i%3 == 0 {
				b = b[:r.Intn(len(b))]
			}
			for range 1 + r.Intn(3) {
				if len(b) > 0 {
					const alphabet = " {}[]\",:0123456789.-eE\\nulltrue"
					b[r.Intn(len(b))] = alphabet[r.Intn(len(alphabet))]
				}
			}
			checkScan(t, b)
			n++
		}
	}
	if n < 3000 {
		t.Fatalf("checked %d mutations", n)
	}
}

func checkScan(t *testing.T, body []byte) {
	{
		k, err := ScanOrder(body)
		if err == nil && !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		if bytes.Contains(body, []byte(`\`)) {
			return
		}
		lower := bytes.ToLower(body)
		for _, key := range []string{`"id"`, `"order"`, `"updated_at"`, `"created_at"`} {
			if bytes.Count(lower, []byte(key)) != bytes.Count(body, []byte(key)) {
				return
			}
		}
		o, perr := FromWebhook(body)
		if perr != nil {
			return
		}
		if err != nil {
			t.Fatalf("FromWebhook reads order %d from %q, the scanner fails: %v", o.ID, body, err)
		}
		if k.OrderID != o.ID || !k.UpdatedAt.Equal(o.UpdatedAt) {
			t.Fatalf("%q: scanned %d %v, parsed %d %v", body, k.OrderID, k.UpdatedAt, o.ID, o.UpdatedAt)
		}
	}
}
