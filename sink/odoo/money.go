package odoo

import (
	"github.com/shopspring/decimal"
)

// Money stays decimal from Shopify to here. Odoo's monetary and float fields take
// doubles on the wire, so odooFloat is the one place a decimal becomes a float64, right
// before a value is put into a call.
func odooFloat(d decimal.Decimal) float64 {
	f, _ := d.Float64()
	return f
}

// fromOdooNumber reads a number Odoo answered (a double or an int on the wire) as a
// decimal; the way back from odooFloat.
func fromOdooNumber(v any) decimal.Decimal {
	switch n := v.(type) {
	case float64:
		return decimal.NewFromFloat(n)
	case int64:
		return decimal.NewFromInt(n)
	}
	return decimal.Zero
}

var hundred = decimal.NewFromInt(100)

// odooLineNet is what Odoo makes of a line before rounding: price × (1 −
// discount/100) × qty.
func odooLineNet(price decimal.Decimal, qty int64, discount decimal.Decimal) decimal.Decimal {
	return price.Mul(decimal.NewFromInt(qty)).Mul(hundred.Sub(discount)).Div(hundred)
}

// lineDiscount is Odoo's line discount (a percent at Odoo's precision, digits) for
// totalDiscount off price × qty, searched around the exact percent. perLine is Odoo's
// rounding method "round per line": the line's total is rounded to the cent, so the
// percent must make it Shopify's to the cent; with "round globally" (the order's total
// is rounded once) the percent whose unrounded total is nearest to Shopify's is best.
// It answers the percent and the line's unrounded total in Odoo; with perLine, a
// total that no percent rounds to Shopify's leaves a difference (Shopify − Odoo, to
// the cent) for an adjustment line.
func lineDiscount(price decimal.Decimal, qty int64, totalDiscount decimal.Decimal, digits int32, perLine bool) (pct, net, diff decimal.Decimal) {
	gross := price.Mul(decimal.NewFromInt(qty))
	if gross.Sign() <= 0 || totalDiscount.Sign() <= 0 {
		return decimal.Zero, gross, decimal.Zero
	}
	want := gross.Sub(totalDiscount).Round(2)
	exact := totalDiscount.Mul(hundred).DivRound(gross, digits+6)
	if exact.GreaterThanOrEqual(hundred) {
		return hundred, decimal.Zero, want
	}
	p0 := exact.Round(digits)
	step := decimal.New(1, -digits)
	best, bestNet := p0, odooLineNet(price, qty, p0)
	for k := int64(0); k <= 50; k++ {
		for _, p := range []decimal.Decimal{p0.Add(step.Mul(decimal.NewFromInt(k))), p0.Sub(step.Mul(decimal.NewFromInt(k)))} {
			if p.Sign() < 0 || p.GreaterThan(hundred) {
				continue
			}
			n := odooLineNet(price, qty, p)
			if perLine && n.Round(2).Equal(want) {
				return p, n, decimal.Zero
			}
			if !perLine && n.Sub(want).Abs().LessThan(bestNet.Sub(want).Abs()) {
				best, bestNet = p, n
			}
		}
	}
	if !perLine {
		return best, bestNet, decimal.Zero
	}
	return p0, bestNet, want.Sub(bestNet.Round(2))
}

// taxPercent is a Shopify tax rate (0.075) as Odoo's percent amount (7.5), to Odoo's 4
// places.
func taxPercent(rate decimal.Decimal) decimal.Decimal { return rate.Mul(hundred).Round(4) }
