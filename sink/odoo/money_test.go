package odoo

import "testing"

func TestDiscountPercent(t *testing.T) {
	for _, c := range []struct {
		price    string
		qty      int64
		discount string
		pct      string
		exact    bool
	}{
		{"45.00", 2, "9.00", "10", true},
		{"24.00", 1, "0", "0", true},
		{"1.00", 1000, "0.07", "0.007", false},
		{"10.00", 3, "10.00", "33.333333", true}, // 33.33 % of 30 is 9.999 → 10.00
		{"19.99", 7, "13.99", "9.997856", true},
		{"5.00", 1, "6.00", "100", false}, // more than the line: capped
		{"0", 1, "1.00", "0", false},
	} {
		got := discountPercent(dec(c.price), c.qty, dec(c.discount))
		if !got.Equal(dec(c.pct)) {
			t.Errorf("%s×%d −%s: %s%%, want %s%%", c.price, c.qty, c.discount, got, c.pct)
		}
		if discountExact(dec(c.price), c.qty, dec(c.discount)) != c.exact {
			t.Errorf("%s×%d −%s: exact = %v", c.price, c.qty, c.discount, !c.exact)
		}
	}
	if !discountExact(dec("10.00"), 3, dec("10.00")) {
		t.Error("33.33 % of 30.00 rounds back to 10.00")
	}
	if !discountExact(dec("19.99"), 7, dec("13.99")) {
		t.Error("10.00 % of 139.93 is 13.99")
	}
	// 0.07 off 1000 × 1.00 is 0.007 %, which Odoo keeps as 0.01 %: 0.10 off.
	if discountExact(dec("1.00"), 1000, dec("0.07")) {
		t.Error("0.007 % is not exact at 2 places")
	}
	if f := odooFloat(dec("159.61")); f != 159.61 {
		t.Errorf("odooFloat %v", f)
	}
	if p := taxPercent(dec("0.075")); p.String() != "7.5" {
		t.Errorf("taxPercent %s", p)
	}
}
