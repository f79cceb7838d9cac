package orders

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestFormatMoney(t *testing.T) {
	for _, tc := range []struct{ amount, currency, want string }{
		{"123.45", "EUR", "123.45"},
		{"123.4500", "EUR", "123.45"},
		{"0.1", "USD", "0.10"},
		{"0", "USD", "0.00"},
		{"1500.0000", "JPY", "1500"},
		{"1500", "jpy", "1500"},
		{"1.234", "KWD", "1.234"},
		{"1.2", "BHD", "1.200"},
		{"10.125", "EUR", "10.125"}, // finer than the minor unit: kept, not rounded
		{"10.1250", "EUR", "10.125"},
		{"0.5", "JPY", "0.5"},
		{"-5.5", "EUR", "-5.50"},
		{"99999999999999.9999", "EUR", "99999999999999.9999"},
		{"12.34", "", "12.34"},
	} {
		if got := FormatMoney(decimal.RequireFromString(tc.amount), tc.currency); got != tc.want {
			t.Errorf("FormatMoney(%s, %q) = %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
	}
}

func TestCursorRoundTripAndTampering(t *testing.T) {
	f := Filter{Sort: "total", Dir: "asc"}
	c := cursor{Sort: "total", Dir: "asc", Key: "10.5", ID: 42, Before: true}
	got, err := decodeCursor(c.encode(), f)
	if err != nil || got != c {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for name, s := range map[string]string{
		"not base64":   "%%%",
		"not json":     "bm90IGpzb24",
		"no id":        cursor{Sort: "total", Dir: "asc", Key: "1"}.encode(),
		"bad key":      cursor{Sort: "total", Dir: "asc", Key: "ten", ID: 1}.encode(),
		"other sort":   cursor{Sort: "date", Dir: "asc", Key: "1", ID: 1}.encode(),
		"other dir":    cursor{Sort: "total", Dir: "desc", Key: "1", ID: 1}.encode(),
		"empty string": "",
	} {
		if _, err := decodeCursor(s, f); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := decodeCursor(cursor{Sort: "date", Dir: "desc", Key: "x", ID: 1}.encode(), Filter{Sort: "date", Dir: "desc"}); err == nil {
		t.Error("a date cursor with a non-numeric key is accepted")
	}
}

func TestFilterValidateAndDefaults(t *testing.T) {
	if fe := (Filter{}).Validate(); fe != nil {
		t.Errorf("empty filter: %v", fe)
	}
	fe := Filter{Tab: "x", Status: "y", IDType: "z", Sort: "w", Dir: "v"}.Validate()
	for _, k := range []string{"tab", "status", "id_type", "sort", "dir"} {
		if fe[k] == "" {
			t.Errorf("%s not named: %v", k, fe)
		}
	}
	n := Filter{Sort: "customer", Q: "  anna "}.Normalized()
	if n.Tab != "all" || n.Dir != "asc" || n.Q != "anna" {
		t.Errorf("normalized %+v", n)
	}
	if n := (Filter{}).Normalized(); n.Sort != "date" || n.Dir != "desc" {
		t.Errorf("defaults %+v", n)
	}
	o := Filter{Tab: "synced", Status: "failed"}.Override(Filter{Status: "delayed", Q: "x"})
	if o.Tab != "synced" || o.Status != "delayed" || o.Q != "x" {
		t.Errorf("override %+v", o)
	}
}

func TestOdooURL(t *testing.T) {
	if got := OdooURL("https://erp.example.com/", "sale.order", 42); got != "https://erp.example.com/web#id=42&model=sale.order&view_type=form" {
		t.Errorf("OdooURL = %q", got)
	}
	if OdooURL("", "sale.order", 42) != "" || OdooURL("https://x", "", 42) != "" || OdooURL("https://x", "sale.order", 0) != "" {
		t.Error("OdooURL without base, model or id is not empty")
	}
}
