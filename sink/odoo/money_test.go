package odoo

import "testing"

func TestLineDiscount(t *testing.T) {
	for _, c := range []struct {
		price    string
		qty      int64
		discount string
		perLine  bool
		pct      string
		diff     string
	}{
		{"45.00", 2, "9.00", true, "10", "0"},
		{"24.00", 1, "0", true, "0", "0"},
		{"10.00", 3, "10.00", true, "33.33", "0"}, // 33.33 % of 30 is 20.001 → 20.00
		{"19.99", 7, "13.99", true, "10", "0"},    // 9.997856 % → 10 % leaves 125.937 → 125.94
		{"19.99", 3, "5.00", true, "8.34", "0"},
		// 0.07 off 1000 × 1.00 is 0.007 %: 0.01 % takes 0.10, 0 % nothing; no percent
		// at 2 places gives 999.93, so an adjustment carries what is left.
		{"1.00", 1000, "0.07", true, "0.01", "0.03"},
		{"199.00", 1, "3.33", true, "1.67", "-0.01"}, // 195.6767 → 195.68, Shopify 195.67
		{"199.00", 1, "3.33", false, "1.67", "0"},    // round globally: the nearest unrounded total
		{"5.00", 1, "6.00", true, "100", "-1.00"},    // more than the line: capped, the rest adjusts
		{"0", 1, "1.00", true, "0", "0"},
	} {
		p, net, diff := lineDiscount(dec(c.price), c.qty, dec(c.discount), 2, c.perLine)
		if !p.Equal(dec(c.pct)) || !diff.Equal(dec(c.diff)) {
			t.Errorf("%s×%d −%s (per line %v): %s%% leaving %s, diff %s; want %s%%, diff %s", c.price, c.qty, c.discount, c.perLine, p, net, diff, c.pct, c.diff)
		}
		if c.perLine && diff.IsZero() && c.discount != "0" && dec(c.price).Sign() > 0 {
			if got := odooLineNet(dec(c.price), c.qty, p).Round(2); !got.Equal(dec(c.price).Mul(dec(itoa(c.qty))).Sub(dec(c.discount))) {
				t.Errorf("%s×%d at %s%% is %s in Odoo", c.price, c.qty, p, got)
			}
		}
	}
	if f := odooFloat(dec("159.61")); f != 159.61 {
		t.Errorf("odooFloat %v", f)
	}
	if p := taxPercent(dec("0.075")); p.String() != "7.5" {
		t.Errorf("taxPercent %s", p)
	}
}
