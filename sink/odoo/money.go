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

// discountPercent is Odoo's line discount (percent) that takes totalDiscount off
// price × qty, to 6 places (Odoo then rounds to its "Discount" precision, 2 by default).
func discountPercent(price decimal.Decimal, qty int64, totalDiscount decimal.Decimal) decimal.Decimal {
	gross := price.Mul(decimal.NewFromInt(qty))
	if gross.Sign() <= 0 || totalDiscount.Sign() <= 0 {
		return decimal.Zero
	}
	p := totalDiscount.Mul(hundred).DivRound(gross, 6)
	if p.GreaterThan(hundred) {
		return hundred
	}
	return p
}

// discountExact reports whether a discount rounded to Odoo's 2 decimals still takes
// exactly totalDiscount (to the cent) off price × qty.
func discountExact(price decimal.Decimal, qty int64, totalDiscount decimal.Decimal) bool {
	gross := price.Mul(decimal.NewFromInt(qty))
	p := discountPercent(price, qty, totalDiscount).Round(2)
	return gross.Mul(p).Div(hundred).Round(2).Equal(totalDiscount.Round(2))
}

// taxPercent is a Shopify tax rate (0.075) as Odoo's percent amount (7.5), to Odoo's 4
// places.
func taxPercent(rate decimal.Decimal) decimal.Decimal { return rate.Mul(hundred).Round(4) }
