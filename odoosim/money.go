package odoosim

// Amounts are computed with decimals and rounded half-up to the currency's
// 0.01 like Odoo's float_round, with taxes rounded per line (Odoo's default
// "round_per_line").

import "github.com/shopspring/decimal"

func dec(f float64) decimal.Decimal { return decimal.NewFromFloat(f) }

func round2(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

func round2f(f float64) float64 { v, _ := dec(f).Round(2).Float64(); return v }

func fl(d decimal.Decimal) float64 { v, _ := d.Round(2).Float64(); return v }

type taxSpec struct {
	id      int
	amount  decimal.Decimal
	typ     string
	include bool
}

func (c *call) taxSpecs(taxIDs []int) []taxSpec {
	var taxes []taxSpec
	for _, id := range taxIDs {
		t := c.rec("account.tax", id)
		if t == nil {
			continue
		}
		typ := asStr(t["amount_type"])
		if typ == "" {
			typ = "percent"
		}
		taxes = append(taxes, taxSpec{id, dec(asFloat(t["amount"])), typ, taxIncluded(t)})
	}
	return taxes
}

// lineAmounts returns subtotal (tax excluded) and tax of a line, each rounded per
// line (Odoo's "round per line"; a line's price_subtotal is always this).
func (c *call) lineAmounts(priceUnit, qty, discount float64, taxIDs []int) (decimal.Decimal, decimal.Decimal) {
	hundred := decimal.NewFromInt(100)
	base := dec(priceUnit).Mul(decimal.NewFromInt(1).Sub(dec(discount).Div(hundred))).Mul(dec(qty))
	taxes := c.taxSpecs(taxIDs)
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

// lineParts returns a line's unrounded untaxed amount and its unrounded tax per tax
// (for "round globally").
func (c *call) lineParts(priceUnit, qty, discount float64, taxIDs []int) (decimal.Decimal, map[int]decimal.Decimal) {
	hundred := decimal.NewFromInt(100)
	base := dec(priceUnit).Mul(decimal.NewFromInt(1).Sub(dec(discount).Div(hundred))).Mul(dec(qty))
	taxes := c.taxSpecs(taxIDs)
	inclRate := decimal.Zero
	for _, t := range taxes {
		if t.include && t.typ == "percent" {
			inclRate = inclRate.Add(t.amount)
		}
	}
	excl := base.Div(decimal.NewFromInt(1).Add(inclRate.Div(hundred)))
	out := map[int]decimal.Decimal{}
	for _, t := range taxes {
		switch t.typ {
		case "fixed":
			out[t.id] = out[t.id].Add(t.amount.Mul(dec(qty)))
		case "division":
			out[t.id] = out[t.id].Add(excl.Div(decimal.NewFromInt(1).Sub(t.amount.Div(hundred))).Sub(excl))
		default:
			out[t.id] = out[t.id].Add(excl.Mul(t.amount).Div(hundred))
		}
	}
	return excl, out
}

// roundsGlobally says whether the company computes taxes "round globally": a
// document's untaxed amount and each tax are rounded once over all its lines (the
// default of a new 19 database).
func (c *call) roundsGlobally() bool {
	return c.rec("res.company", 1)["tax_calculation_rounding_method"] == "round_globally"
}

// docLine is a line of a sale order or invoice for the document's totals.
type docLine struct {
	price, qty, discount float64
	taxes                []int
}

// documentTotals are a document's untaxed amount and tax, by the company's rounding
// method.
func (c *call) documentTotals(lines []docLine) (decimal.Decimal, decimal.Decimal) {
	u, t := decimal.Zero, decimal.Zero
	if !c.roundsGlobally() {
		for _, l := range lines {
			lu, lt := c.lineAmounts(l.price, l.qty, l.discount, l.taxes)
			u, t = u.Add(lu), t.Add(lt)
		}
		return u, t
	}
	perTax := map[int]decimal.Decimal{}
	var order []int
	for _, l := range lines {
		b, taxes := c.lineParts(l.price, l.qty, l.discount, l.taxes)
		u = u.Add(b)
		for id, a := range taxes {
			if _, ok := perTax[id]; !ok {
				order = append(order, id)
			}
			perTax[id] = perTax[id].Add(a)
		}
	}
	for _, id := range order {
		t = t.Add(round2(perTax[id]))
	}
	return round2(u), t
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
