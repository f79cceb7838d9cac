package odoo

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/synco-dev/synco/schemas"
)

// money is the set of Shopify amounts a run books: the shop's (currency) or the
// buyer's (presentment_currency), as the shop's currency setting says. Every amount
// the sink sends to Odoo goes through of().
type money struct {
	presentment bool
	currency    string
	// withRefunds: the documents carry the quantities before refunds (refunds are
	// credit notes, refunds.go), so the expected totals add the refunded lines back.
	withRefunds bool
}

// chooseMoney picks the money set. Presentment amounts are used only when they
// differ from the shop's; an order without them (an older snapshot) is booked in the
// shop currency, with a warning.
func chooseMoney(o *schemas.Order, setting string) (money, string) {
	shop := money{currency: strings.ToUpper(strings.TrimSpace(o.Currency))}
	pc := strings.ToUpper(strings.TrimSpace(o.PresentmentCurrency))
	if setting != "presentment" || pc == "" || pc == shop.currency {
		return shop, ""
	}
	if o.TotalPricePresentment.IsZero() && !o.TotalPrice.IsZero() {
		return shop, fmt.Sprintf("the order has no %s amounts; booked in the shop currency %s", pc, shop.currency)
	}
	return money{presentment: true, currency: pc}, ""
}

// of picks the amount of the chosen set.
func (m money) of(shop, presentment decimal.Decimal) decimal.Decimal {
	if m.presentment {
		return presentment
	}
	return shop
}

// convert turns a shop amount that has no presentment twin (tips) into the chosen
// set at the order's own rate.
func (m money) convert(o *schemas.Order, shop decimal.Decimal) decimal.Decimal {
	if !m.presentment || o.TotalPrice.IsZero() {
		return shop
	}
	return shop.Mul(o.TotalPricePresentment).Div(o.TotalPrice).Round(2)
}

// hasCurrent says whether the snapshot carries the amounts after edits and refunds.
func hasCurrent(o *schemas.Order) bool {
	for i := range o.LineItems {
		if o.LineItems[i].CurrentQuantity != nil {
			return true
		}
	}
	return !o.CurrentTotalPrice.IsZero() || !o.CurrentTotalPricePresentment.IsZero()
}

// expected is what an accountant expects Odoo to hold for the order, in the chosen
// set: the total and the tax (after edits and refunds when the snapshot says).
func (m money) expected(o *schemas.Order) (total, tax decimal.Decimal) {
	if hasCurrent(o) {
		total, tax = m.of(o.CurrentTotalPrice, o.CurrentTotalPricePresentment), m.of(o.CurrentTotalTax, o.CurrentTotalTaxPresentment)
		if m.withRefunds {
			rt, rx := m.refundedLines(o)
			total, tax = total.Add(rt), tax.Add(rx)
		}
		return total, tax
	}
	return m.of(o.TotalPrice, o.TotalPricePresentment), m.of(o.TotalTax, o.TotalTaxPresentment)
}

// ---- company, currencies, pricelists ------------------------------------------------

// company is what the Syncer needs of the Odoo company it books into.
type company struct {
	id         int64
	currencyID int64
	currency   string
	saleTax    int64  // the default sale tax (its accounts are copied into new taxes)
	rounding   string // tax_calculation_rounding_method: round_per_line or round_globally
}

// company reads the user's company once per Syncer (a second call only in a database
// with several companies, to ask which one is the user's).
func (r *run) company(ctx context.Context) (company, error) {
	r.s.mu.Lock()
	c, ok := r.s.comp, r.s.compLoaded
	r.s.mu.Unlock()
	if ok {
		return c, nil
	}
	unlock := r.s.keys.lock("company")
	defer unlock()
	r.s.mu.Lock()
	c, ok = r.s.comp, r.s.compLoaded
	r.s.mu.Unlock()
	if ok {
		return c, nil
	}
	got, err := SearchRead(ctx, r.c, "res.company", nil, []string{"id", "currency_id", "account_sale_tax_id", "tax_calculation_rounding_method"}, map[string]any{"order": "id"})
	if err != nil {
		return c, err
	}
	if len(got) == 0 {
		return c, permanent("res.company", "search_read", 0, "", "the Odoo user sees no company")
	}
	pick := got[0]
	if len(got) > 1 {
		// positional: sale.order's default_get (UtmMixin's) names it fields, not fields_list
		def, err := r.c.Call(ctx, "sale.order", "default_get", []any{[]string{"company_id"}}, nil)
		if err != nil {
			return c, err
		}
		if m, ok := def.(map[string]any); ok {
			want := Record(m).M2O("company_id")
			for _, g := range got {
				if g.ID() == want {
					pick = g
				}
			}
		}
	}
	c = company{id: pick.ID(), currencyID: pick.M2O("currency_id"), saleTax: pick.M2O("account_sale_tax_id"), rounding: pick.String("tax_calculation_rounding_method")}
	if l, ok := pick["currency_id"].([]any); ok && len(l) > 1 {
		c.currency, _ = l[1].(string)
	}
	r.s.mu.Lock()
	r.s.comp, r.s.compLoaded = c, true
	r.s.mu.Unlock()
	return c, nil
}

// currencyInfo is an Odoo currency.
type currencyInfo struct {
	id      int64
	name    string
	digits  int32
	hasRate bool
}

// minor is the currency's smallest unit (0.01 for 2 decimals).
func (ci currencyInfo) minor() decimal.Decimal { return decimal.New(1, -ci.digits) }

// currency finds the Odoo currency of an ISO code, activating it when it is inactive
// (cached per Syncer).
func (r *run) currency(ctx context.Context, code string, comp company) (currencyInfo, error) {
	r.s.mu.Lock()
	ci, ok := r.s.currencies[code]
	r.s.mu.Unlock()
	if ok {
		return ci, nil
	}
	unlock := r.s.keys.lock("currency/" + code)
	defer unlock()
	r.s.mu.Lock()
	ci, ok = r.s.currencies[code]
	r.s.mu.Unlock()
	if ok {
		return ci, nil
	}
	got, err := SearchRead(ctx, r.c, "res.currency", []any{[]any{"name", "=", code}},
		[]string{"id", "name", "active", "decimal_places", "rate_ids"}, map[string]any{"context": map[string]any{"active_test": false}})
	if err != nil {
		return ci, err
	}
	if len(got) == 0 {
		return ci, permanent("res.currency", "search_read", 0, "", fmt.Sprintf("Odoo has no currency %s", code))
	}
	cur := got[0]
	ci = currencyInfo{id: cur.ID(), name: code, digits: int32(cur.Int("decimal_places")), hasRate: len(cur.IDs("rate_ids")) > 0 || cur.ID() == comp.currencyID}
	if _, ok := cur["decimal_places"]; !ok {
		ci.digits = 2
	}
	if !cur.Bool("active") {
		if err := Write(ctx, r.c, "res.currency", []int64{ci.id}, map[string]any{"active": true}); err != nil {
			return ci, err
		}
		r.s.log.Info("odoo: activated currency", "order", r.key, "currency", code)
		// Odoo 17+ creates a default pricelist when a second currency is activated.
		r.s.mu.Lock()
		r.s.pricelistsLoaded = false
		r.s.mu.Unlock()
	}
	r.s.mu.Lock()
	r.s.currencies[code] = ci
	r.s.mu.Unlock()
	return ci, nil
}

// pricelist finds the pricelist of a currency, creating "Shopify <CUR>" when there is
// none. For the company currency in a database without any pricelist it answers 0:
// the order then has the company currency without one.
func (r *run) pricelist(ctx context.Context, ci currencyInfo, comp company) (int64, error) {
	unlock := r.s.keys.lock("pricelists")
	defer unlock()
	r.s.mu.Lock()
	loaded := r.s.pricelistsLoaded
	r.s.mu.Unlock()
	if !loaded {
		got, err := SearchRead(ctx, r.c, "product.pricelist", []any{[]any{"company_id", "in", []any{false, comp.id}}},
			[]string{"id", "currency_id"}, map[string]any{"order": "sequence,id"})
		if err != nil {
			return 0, err
		}
		r.s.mu.Lock()
		r.s.pricelists = map[int64]int64{}
		r.s.anyPricelist = len(got) > 0
		for _, p := range got {
			if cid := p.M2O("currency_id"); r.s.pricelists[cid] == 0 {
				r.s.pricelists[cid] = p.ID()
			}
		}
		r.s.pricelistsLoaded = true
		r.s.mu.Unlock()
	}
	r.s.mu.Lock()
	id, anyPL := r.s.pricelists[ci.id], r.s.anyPricelist
	r.s.mu.Unlock()
	if id > 0 || (ci.id == comp.currencyID && !anyPL) {
		return id, nil
	}
	id, err := Create(ctx, r.c, "product.pricelist", map[string]any{"name": "Shopify " + ci.name, "currency_id": ci.id}, nil)
	if err != nil {
		return 0, err
	}
	r.s.log.Info("odoo: created pricelist", "order", r.key, "id", id, "currency", ci.name)
	r.s.mu.Lock()
	r.s.pricelists[ci.id] = id
	r.s.anyPricelist = true
	r.s.mu.Unlock()
	return id, nil
}

// precision is Odoo's decimal precision of line discounts and unit prices (read once
// per Syncer; 2 and 2 unless the merchant changed them).
func (r *run) precision(ctx context.Context) (discount, price int32, err error) {
	r.s.mu.Lock()
	d, p, ok := r.s.discDigits, r.s.priceDigits, r.s.precLoaded
	r.s.mu.Unlock()
	if ok {
		return d, p, nil
	}
	got, err := SearchRead(ctx, r.c, "decimal.precision", []any{[]any{"name", "in", []any{"Discount", "Product Price"}}}, []string{"name", "digits"}, nil)
	if err != nil {
		return 0, 0, err
	}
	d, p = 2, 2
	for _, g := range got {
		switch g.String("name") {
		case "Discount":
			d = int32(g.Int("digits"))
		case "Product Price":
			p = int32(g.Int("digits"))
		}
	}
	r.s.mu.Lock()
	r.s.discDigits, r.s.priceDigits, r.s.precLoaded = d, p, true
	r.s.mu.Unlock()
	return d, p, nil
}
