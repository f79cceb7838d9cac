package shopify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseEveryOrderPayload(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	parsed := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(f, "refund") && !strings.Contains(f, "order_") {
			continue
		}
		o, err := ParseOrder(body)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		parsed++
		if o.ID <= 0 || o.CreatedAt.IsZero() || o.UpdatedAt.IsZero() || len(o.LineItems) == 0 {
			t.Errorf("%s: incomplete order %+v", f, o)
		}
	}
	if parsed < 6 {
		t.Fatalf("parsed %d order payloads, want at least 6", parsed)
	}
}

func TestParseOrderKeepsBigIDsAndDecimals(t *testing.T) {
	body, _ := os.ReadFile("testdata/orders_create.json")
	o, err := ParseOrder(body)
	if err != nil {
		t.Fatal(err)
	}
	// 820982911946154508 > 2^53: a float would round it.
	if o.ID != 820982911946154508 {
		t.Errorf("id = %d", o.ID)
	}
	if o.LineItems[0].ID != 487817672276298554 {
		t.Errorf("line id = %d", o.LineItems[0].ID)
	}
	if o.TotalPrice.StringFixed(2) != "359.97" {
		t.Errorf("total %s, want 359.97", o.TotalPrice)
	}
	if o.Email != "jon@example.com" || o.Customer == nil || o.Customer.FirstName != "John" {
		t.Errorf("customer: %q %+v", o.Email, o.Customer)
	}
	if o.FulfillmentStatus != "" || o.FinancialStatus != "voided" {
		t.Errorf("statuses %q %q", o.FinancialStatus, o.FulfillmentStatus)
	}
}

func TestParseOrderDiscountAllocationsAndTaxRates(t *testing.T) {
	body, _ := os.ReadFile("testdata/order_1001_partially_refunded.rest-2025-10.json")
	o, err := ParseOrder(body)
	if err != nil {
		t.Fatal(err)
	}
	li := o.LineItems[0]
	if li.SKU != "IPOD2008GREEN" || li.TotalDiscount.StringFixed(2) != "3.34" {
		t.Errorf("line %+v", li)
	}
	if len(li.TaxLines) != 1 || li.TaxLines[0].Rate.String() != "0.06" || li.TaxLines[0].Price.StringFixed(2) != "3.98" {
		t.Errorf("tax lines %+v", li.TaxLines)
	}
	if len(o.NoteAttributes) != 2 || o.NoteAttributes[0].Value != "Happy Birthday" {
		t.Errorf("note attributes %+v", o.NoteAttributes)
	}
}

func TestParseOrderErrors(t *testing.T) {
	for name, body := range map[string]string{
		"not json":  `{"id": 1,`,
		"no id":     `{"name": "#1"}`,
		"string id": `{"id": "abc"}`,
		"float id":  `{"id": 1.5}`,
	} {
		if _, err := ParseOrder([]byte(body)); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func TestOrderIDOf(t *testing.T) {
	body, _ := os.ReadFile("testdata/refunds_create.json")
	id, err := OrderIDOf("refunds/create", body)
	if err != nil || id != 820982911946154508 {
		t.Errorf("refund order id %d %v", id, err)
	}
	if id, err := OrderIDOf("orders/edited", []byte(`{"order_edit":{"id":5,"order_id":77}}`)); err != nil || id != 77 {
		t.Errorf("edit order id %d %v", id, err)
	}
	if _, err := OrderIDOf("refunds/create", []byte(`{"id":5}`)); err == nil {
		t.Error("refund without order_id accepted")
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":1}`)
	sig := Sign("s3cret", body)
	if !Verify("s3cret", body, sig) {
		t.Error("good signature rejected")
	}
	for name, c := range map[string][2]string{
		"wrong secret": {"other", sig},
		"missing":      {"s3cret", ""},
		"not base64":   {"s3cret", "%%%"},
		"empty secret": {"", sig},
	} {
		if Verify(c[0], body, c[1]) {
			t.Errorf("%s: accepted", name)
		}
	}
	if Verify("s3cret", []byte(`{"id":2}`), sig) {
		t.Error("tampered body accepted")
	}
}
