package odoosim

// Amounts are computed with decimals and rounded half-up to the currency's
// 0.01 like Odoo's float_round, with taxes rounded per line (Odoo's default
// "round_per_line").

import "github.com/shopspring/decimal"

func dec(f float64) decimal.Decimal { return decimal.NewFromFloat(f) }

func round2(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

func round2f(f float64) float64 { v, _ := dec(f).Round(2).Float64(); return v }

func fl(d decimal.Decimal) float64 { v, _ := d.Round(2).Float64(); return v }

// lineAmounts returns subtotal (tax excluded) and tax of a line.
func (c *call) lineAmounts(priceUnit, qty, discount float64, taxIDs []int) (decimal.Decimal, decimal.Decimal) {
	hundred := decimal.NewFromInt(100)
	base := dec(priceUnit).Mul(decimal.NewFromInt(1).Sub(dec(discount).Div(hundred))).Mul(dec(qty))
	type tx struct {
		amount  decimal.Decimal
		typ     string
		include bool
	}
	var taxes []tx
	for _, id := range taxIDs {
		t := c.rec("account.tax", id)
		if t == nil {
			continue
		}
		typ := asStr(t["amount_type"])
		if typ == "" {
			typ = "percent"
		}
		taxes = append(taxes, tx{dec(asFloat(t["amount"])), typ, taxIncluded(t)})
	}
	subtotal := round2(base)
	tax := decimal.Zero
	inclRate := decimal.Zero
	for _, t := range taxes {
		if t.include && t.typ == "percent" {
			inclRate = inclRate.Add(t.amount)
		}
	}
	if !inclRate.IsZero() {
		excl := base.Div(decimal.NewFromInt(1).Add(inclRate.Div(hundred)))
		for _, t := range taxes {
			if t.include && t.typ == "percent" {
				tax = tax.Add(round2(excl.Mul(t.amount).Div(hundred)))
			}
		}
		subtotal = round2(base).Sub(tax)
	}
	for _, t := range taxes {
		if t.include && t.typ == "percent" {
			continue
		}
		switch t.typ {
		case "fixed":
			tax = tax.Add(round2(t.amount.Mul(dec(qty))))
		case "division":
			tax = tax.Add(round2(subtotal.Div(decimal.NewFromInt(1).Sub(t.amount.Div(hundred))).Sub(subtotal)))
		default:
			tax = tax.Add(round2(subtotal.Mul(t.amount).Div(hundred)))
		}
	}
	return subtotal, tax
}

// rateOf is the latest rate (units per company currency) of a currency.
func (c *call) rateOf(currencyID int) float64 {
	if cmp := c.rec("res.company", 1); cmp != nil && asInt(cmp["currency_id"]) == currencyID {
		return 1
	}
	m := c.s.models["res.currency.rate"]
	best, bestDate := 1.0, ""
	today := c.s.today()
	for _, r := range m.recs {
		if asInt(r["currency_id"]) != currencyID {
			continue
		}
		d := asStr(r["name"])
		if d <= today && d >= bestDate {
			best, bestDate = asFloat(r["rate"]), d
		}
	}
	return best
}

// taxIncluded reads a tax's price-included flag on every version (stored up to 17,
// price_include_override from 18).
func taxIncluded(t Record) bool {
	if o, ok := t["price_include_override"]; ok && o != nil && o != false {
		return o == "tax_included"
	}
	return truthy(t["price_include"])
}
