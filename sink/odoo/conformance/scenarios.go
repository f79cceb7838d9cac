package conformance

import (
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
)

// Scenario is one Shopify order (or a few) and what Odoo must hold for it.
type Scenario struct {
	Name  string
	Build func(e *Env) Case
}

var (
	created   = time.Date(2026, 11, 20, 23, 30, 0, 0, time.UTC)
	processed = time.Date(2026, 11, 21, 8, 15, 0, 0, time.UTC) // the invoice date: another day
)

const processedDate = "2026-11-21"

func tax(title, rate, price string) schemas.TaxLine {
	return schemas.TaxLine{Title: title, Rate: dec(rate), Price: dec(price)}
}

func item(sku, title string, qty int32, price string, taxes ...schemas.TaxLine) schemas.LineItem {
	return schemas.LineItem{ID: int64(len(title)*1000 + int(qty)), SKU: sku, Title: title, Quantity: qty, Price: dec(price),
		TotalDiscount: decimal.Zero, Taxable: len(taxes) > 0, RequiresShipping: true, TaxLines: taxes, VariantID: 0}
}

func shipping(price string, taxes ...schemas.TaxLine) schemas.ShippingLine {
	return schemas.ShippingLine{ID: 1, Title: "Standard", Code: "STD", Price: dec(price), DiscountedPrice: dec(price), TaxLines: taxes}
}

var nyBilling = schemas.Address{Name: "Jane Conformance", FirstName: "Jane", LastName: "Conformance", Company: "Conformance Inc",
	Address1: "350 Fifth Avenue", City: "New York", Zip: "10118", ProvinceCode: "NY", Province: "New York", CountryCode: "US",
	Country: "United States", Phone: "+1 212 555 0100"}

var caShipping = schemas.Address{Name: "John Receiver", FirstName: "John", LastName: "Receiver", Address1: "1 Infinite Loop",
	City: "Cupertino", Zip: "95014", ProvinceCode: "CA", Province: "California", CountryCode: "US", Country: "United States"}

// order is a USD order of Jane's (billing = shipping, New York) with the lines given;
// finish computes Shopify's totals.
func order(e *Env, n int, items []schemas.LineItem, ship ...schemas.ShippingLine) schemas.Order {
	id := e.OrderID(n)
	bill, shipTo := nyBilling, nyBilling
	p := processed
	o := schemas.Order{
		ID: id, Name: fmt.Sprintf("#C%d", id%100_000_000), OrderNumber: id % 100_000_000, Email: e.Email("jane"),
		Customer:  &schemas.Customer{ID: id + 1, Email: e.Email("jane"), FirstName: "Jane", LastName: "Conformance"},
		CreatedAt: created, UpdatedAt: created.Add(time.Duration(n) * time.Minute), ProcessedAt: &p,
		Currency: "USD", PresentmentCurrency: "USD", FinancialStatus: "paid", SourceName: "web",
		BillingAddress: &bill, ShippingAddress: &shipTo, LineItems: items, ShippingLines: ship,
	}
	return o
}

// finish sets Shopify's totals from the lines, as Shopify computes them: the lines
// after discounts, shipping after its discounts, the tax lines (added unless prices
// include them), duties, fees and tips; the presentment twins likewise; the current
// totals from the current quantities when the snapshot has them.
func finish(o schemas.Order) schemas.Order {
	sum := func(pres, current bool) (subtotal, tax, ship, disc decimal.Decimal) {
		pick := func(shop, p decimal.Decimal) decimal.Decimal {
			if pres {
				return p
			}
			return shop
		}
		for _, li := range o.LineItems {
			q := li.Quantity
			d := pick(li.TotalDiscount, li.TotalDiscountPresentment)
			if current {
				if q = li.Qty(); q < li.Quantity && li.Quantity > 0 {
					d = d.Mul(decimal.NewFromInt(int64(q))).Div(decimal.NewFromInt(int64(li.Quantity))).Round(2)
				}
			}
			subtotal = subtotal.Add(pick(li.Price, li.PricePresentment).Mul(decimal.NewFromInt(int64(q))).Sub(d))
			disc = disc.Add(d)
			if q > 0 {
				for _, tl := range li.TaxLines {
					tax = tax.Add(pick(tl.Price, tl.PricePresentment))
				}
			}
		}
		for _, sl := range o.ShippingLines {
			if sl.IsRemoved {
				continue
			}
			ship = ship.Add(pick(sl.DiscountedPrice, sl.DiscountedPricePresentment))
			for _, tl := range sl.TaxLines {
				tax = tax.Add(pick(tl.Price, tl.PricePresentment))
			}
		}
		return
	}
	total := func(subtotal, tax, ship, extra decimal.Decimal) decimal.Decimal {
		t := subtotal.Add(ship).Add(extra)
		if !o.TaxesIncluded && !o.TaxExempt {
			t = t.Add(tax)
		}
		return t
	}
	if o.TaxExempt {
		for i := range o.LineItems {
			o.LineItems[i].TaxLines = nil
		}
	}
	sub, tx, sh, di := sum(false, false)
	o.SubtotalPrice, o.TotalTax, o.TotalShipping, o.TotalDiscounts = sub, tx, sh, di
	o.TotalPrice = total(sub, tx, sh, o.TotalTipReceived.Add(o.TotalDuties).Add(o.TotalAdditionalFees))
	if o.PresentmentCurrency != "" && o.PresentmentCurrency != o.Currency {
		sub, tx, sh, di = sum(true, false)
		o.SubtotalPricePresentment, o.TotalTaxPresentment, o.TotalShippingPresentment, o.TotalDiscountsPresentment = sub, tx, sh, di
		o.TotalPricePresentment = total(sub, tx, sh, o.TotalDutiesPresentment.Add(o.TotalAdditionalFeesPresentment))
	} else {
		o.SubtotalPricePresentment, o.TotalTaxPresentment, o.TotalShippingPresentment, o.TotalDiscountsPresentment, o.TotalPricePresentment =
			o.SubtotalPrice, o.TotalTax, o.TotalShipping, o.TotalDiscounts, o.TotalPrice
	}
	current := false
	for _, li := range o.LineItems {
		current = current || li.CurrentQuantity != nil
	}
	if current {
		sub, tx, _, di = sum(false, true)
		o.CurrentSubtotalPrice, o.CurrentTotalTax, o.CurrentTotalDiscounts = sub, tx, di
		o.CurrentTotalPrice = total(sub, tx, sh, o.TotalTipReceived.Add(o.TotalDuties).Add(o.TotalAdditionalFees))
		o.CurrentTotalPricePresentment, o.CurrentTotalTaxPresentment = o.CurrentTotalPrice, o.CurrentTotalTax
	}
	return o
}

func one(o schemas.Order, so schemas.SaleOrderState, inv schemas.InvoiceState, settings func(*schemas.ShopSettings), x Expect) Case {
	return Case{Order: finish(o), Steps: []Step{{Settings: settings, SO: so, Inv: inv, Expect: x}}}
}

func qty(n int32) *int32 { return &n }

// The 15 % "Sales Tax" order used by the creation modes: 2 × 45.00 and 5.00 shipping.
func widgetOrder(e *Env) schemas.Order {
	return order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 2, "45.00", tax("Sales Tax", "0.15", "13.50"))}, shipping("5.00"))
}

var (
	janePartner   = &Partner{Name: "Jane Conformance", Street: "350 Fifth Avenue", City: "New York", Zip: "10118", Country: "US", State: "NY", Company: "Conformance Inc"}
	widgetLines   = []Line{{Code: "CONF-WIDGET", Qty: "2", Price: "45", Discount: "0", Subtotal: "90", Taxes: []Tax{{Percent: "15"}}}, {Code: odoo.ShippingCode, Qty: "1", Price: "5", Subtotal: "5"}}
	widgetExpectS = Expect{Model: "sale.order", Currency: "USD", Untaxed: "95", Tax: "13.5", Total: "108.5", Lines: widgetLines}
)

func withJane(e *Env, x Expect, state string) Expect {
	p := *janePartner
	p.Email = e.Email("jane")
	x.Partner, x.State = &p, state
	return x
}

// Scenarios are the conformance scenarios, in order.
func Scenarios() []Scenario {
	return append([]Scenario{
		// ---- creation modes
		{"draft sale order", func(e *Env) Case {
			return one(widgetOrder(e), schemas.SaleOrderDraft, schemas.InvoiceNone, nil, withJane(e, widgetExpectS, "draft"))
		}},
		{"confirmed sale order", func(e *Env) Case {
			return one(widgetOrder(e), schemas.SaleOrderConfirmed, schemas.InvoiceNone, nil, withJane(e, widgetExpectS, "sale"))
		}},
		{"draft invoice", func(e *Env) Case {
			x := widgetExpectS
			x.Model, x.Date = "account.move", processedDate
			return one(widgetOrder(e), schemas.SaleOrderNone, schemas.InvoiceDraft, nil, withJane(e, x, "draft"))
		}},
		{"posted invoice", func(e *Env) Case {
			x := widgetExpectS
			x.Model, x.Date = "account.move", processedDate
			return one(widgetOrder(e), schemas.SaleOrderNone, schemas.InvoicePosted, nil, withJane(e, x, "posted"))
		}},
		{"sale order and draft invoice", func(e *Env) Case {
			x := widgetExpectS
			x.Invoice = &Invoice{State: "draft", Date: processedDate}
			return one(widgetOrder(e), schemas.SaleOrderConfirmed, schemas.InvoiceDraft, nil, withJane(e, x, "sale"))
		}},
		{"sale order and posted invoice", func(e *Env) Case {
			x := widgetExpectS
			x.Invoice = &Invoice{State: "posted", Date: processedDate}
			return one(widgetOrder(e), schemas.SaleOrderConfirmed, schemas.InvoicePosted, nil, withJane(e, x, "sale"))
		}},

		// ---- taxes
		{"taxes included in the price", func(e *Env) Case {
			o := order(e, 0, []schemas.LineItem{item("CONF-TEA", "Tea", 1, "24.00", tax("VAT", "0.2", "4.00"))}, shipping("6.00", tax("VAT", "0.2", "1.00")))
			o.TaxesIncluded = true
			return one(o, schemas.SaleOrderConfirmed, schemas.InvoicePosted, nil, Expect{Model: "sale.order", State: "sale", Currency: "USD",
				Untaxed: "25", Tax: "5", Total: "30", Invoice: &Invoice{State: "posted"}, Lines: []Line{
					{Code: "CONF-TEA", Qty: "1", Price: "24", Subtotal: "20", Taxes: []Tax{{Percent: "20", Included: true}}},
					{Code: odoo.ShippingCode, Qty: "1", Price: "6", Subtotal: "5", Taxes: []Tax{{Percent: "20", Included: true}}}}})
		}},
		{"two taxes of one rate on a line (state and city)", func(e *Env) Case {
			o := order(e, 0, []schemas.LineItem{item("CONF-LAMP", "Lamp", 1, "100.00", tax("State Tax", "0.04", "4.00"), tax("City Tax", "0.04", "4.00"))})
			return one(o, schemas.SaleOrderConfirmed, schemas.InvoicePosted, nil, Expect{Model: "sale.order", State: "sale", Currency: "USD",
				Untaxed: "100", Tax: "8", Total: "108", Invoice: &Invoice{State: "posted"}, Lines: []Line{
					{Code: "CONF-LAMP", Qty: "1", Price: "100", Subtotal: "100", Taxes: []Tax{{Percent: "4"}, {Percent: "4"}}}}})
		}},
		{"shipping taxes", func(e *Env) Case {
			o := order(e, 0, []schemas.LineItem{item("CONF-MUG", "Mug", 1, "20.00", tax("County Tax", "0.08", "1.60"))}, shipping("10.00", tax("County Tax", "0.08", "0.80")))
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, nil, Expect{Model: "sale.order", Currency: "USD",
				Untaxed: "30", Tax: "2.4", Total: "32.4", Lines: []Line{
					{Code: "CONF-MUG", Subtotal: "20", Taxes: []Tax{{Percent: "8"}}},
					{Code: odoo.ShippingCode, Subtotal: "10", Taxes: []Tax{{Percent: "8"}}}}})
		}},
		{"tax-exempt order", func(e *Env) Case {
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 2, "45.00", tax("Sales Tax", "0.15", "0.00"))}, shipping("5.00"))
			o.TaxExempt = true
			return one(o, schemas.SaleOrderConfirmed, schemas.InvoicePosted, nil, Expect{Model: "sale.order", State: "sale", Currency: "USD",
				Untaxed: "95", Tax: "0", Total: "95", Invoice: &Invoice{State: "posted"}, Lines: []Line{
					{Code: "CONF-WIDGET", Subtotal: "90"}, {Code: odoo.ShippingCode, Subtotal: "5"}}})
		}},
		{"a new tax: a copy of the default sale tax, with its tax account", func(e *Env) Case {
			// A title no run had: the tax is made every time (on real Odoo too).
			title := e.Unique("Levy")
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 2, "45.00", tax(title, "0.025", "2.25"))})
			return Case{Order: finish(o), NoWarm: true, Steps: []Step{{SO: schemas.SaleOrderConfirmed, Inv: schemas.InvoicePosted,
				Expect: Expect{Model: "sale.order", State: "sale", Currency: "USD", Untaxed: "90", Tax: "2.25", Total: "92.25",
					Invoice: &Invoice{State: "posted"},
					Lines:   []Line{{Code: "CONF-WIDGET", Subtotal: "90", Taxes: []Tax{{Percent: "2.5", Name: title + " 2.5%"}}}},
					Check: func(e *Env, res odoo.Result) {
						so := e.read1("sale.order", res.ID, []string{"order_line"})
						taxField := "tax_id"
						if e.Version >= 19 {
							taxField = "tax_ids"
						}
						l := e.read1("sale.order.line", so.IDs("order_line")[0], []string{taxField})
						tx := e.read1("account.tax", l.IDs(taxField)[0], []string{"tax_group_id", "country_id", "company_id"})
						if g := m2oName(tx["tax_group_id"]); g != title {
							e.t.Errorf("tax group %q, want %q", g, title)
						}
						if tx.M2O("country_id") == 0 || tx.M2O("company_id") == 0 {
							e.t.Errorf("tax %v has no country or company", tx)
						}
					}}}}}
		}},
		{"a missing tax when creating taxes is forbidden", func(e *Env) Case {
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 1, "45.00", tax("Levy", "0.027183", "1.22"))})
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, func(s *schemas.ShopSettings) { s.CreateMissingTaxes = false },
				Expect{Err: "forbid creating taxes"})
		}},

		// ---- currencies
		{"presentment currency: EUR order of a USD shop", func(e *Env) Case {
			li := item("CONF-WIDGET", "Widget", 2, "45.00", schemas.TaxLine{Title: "Sales Tax", Rate: dec("0.15"), Price: dec("13.50"), PricePresentment: dec("12.42")})
			li.PricePresentment = dec("41.40")
			sl := shipping("5.00")
			sl.PricePresentment, sl.DiscountedPricePresentment = dec("4.60"), dec("4.60")
			o := order(e, 0, []schemas.LineItem{li}, sl)
			o.PresentmentCurrency = "EUR"
			return one(o, schemas.SaleOrderConfirmed, schemas.InvoicePosted, func(s *schemas.ShopSettings) { s.Currency = "presentment" },
				Expect{Model: "sale.order", State: "sale", Currency: "EUR", Untaxed: "87.4", Tax: "12.42", Total: "99.82",
					Invoice: &Invoice{State: "posted", Date: processedDate}, Lines: []Line{
						{Code: "CONF-WIDGET", Qty: "2", Price: "41.4", Subtotal: "82.8", Taxes: []Tax{{Percent: "15"}}},
						{Code: odoo.ShippingCode, Price: "4.6", Subtotal: "4.6"}}})
		}},
		{"the same order booked in the shop currency", func(e *Env) Case {
			li := item("CONF-WIDGET", "Widget", 2, "45.00", schemas.TaxLine{Title: "Sales Tax", Rate: dec("0.15"), Price: dec("13.50"), PricePresentment: dec("12.42")})
			li.PricePresentment = dec("41.40")
			o := order(e, 0, []schemas.LineItem{li}, shipping("5.00"))
			o.PresentmentCurrency = "EUR"
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, nil, widgetExpectS)
		}},
		{"a CAD shop in a USD company (GST and PST)", func(e *Env) Case {
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 2, "60.00", tax("GST", "0.05", "6.00"), tax("PST", "0.07", "8.40"))})
			o.Currency, o.PresentmentCurrency = "CAD", "CAD"
			bc := schemas.Address{Name: "Jane Conformance", Address1: "800 Robson St", City: "Vancouver", Zip: "V6Z 3B7", ProvinceCode: "BC", CountryCode: "CA"}
			o.BillingAddress, o.ShippingAddress = &bc, &bc
			return one(o, schemas.SaleOrderConfirmed, schemas.InvoicePosted, nil, Expect{Model: "sale.order", State: "sale", Currency: "CAD",
				Untaxed: "120", Tax: "14.4", Total: "134.4", Invoice: &Invoice{State: "posted"},
				Partner: &Partner{Name: "Jane Conformance", Email: e.Email("jane"), City: "Vancouver", Country: "CA", State: "BC"},
				Lines:   []Line{{Code: "CONF-WIDGET", Price: "60", Subtotal: "120", Taxes: []Tax{{Percent: "5"}, {Percent: "7"}}}}})
		}},

		// ---- customers, guests, addresses
		{"single customer for every order", func(e *Env) Case {
			p := e.Create("res.partner", map[string]any{"name": e.Unique("Shopify sales")})
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 1, "45.00")})
			o.ShippingAddress = &caShipping
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, func(s *schemas.ShopSettings) {
				s.Customer = schemas.CustomerSettings{Mode: "single", PartnerID: p}
			}, Expect{Model: "sale.order", Currency: "USD", Total: "45", Lines: []Line{{Code: "CONF-WIDGET", Subtotal: "45"}},
				Partner:  &Partner{ID: p},
				Shipping: &Partner{Type: "delivery", Name: "John Receiver", Street: "1 Infinite Loop", City: "Cupertino", Zip: "95014", Country: "US", State: "CA"}})
		}},
		{"single customer for guests: an order with a customer", func(e *Env) Case {
			p := e.Create("res.partner", map[string]any{"name": e.Unique("Shopify guests")})
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 1, "45.00")})
			x := withJane(e, Expect{Model: "sale.order", Currency: "USD", Total: "45", Lines: []Line{{Code: "CONF-WIDGET"}}}, "draft")
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, func(s *schemas.ShopSettings) {
				s.Customer = schemas.CustomerSettings{Mode: "single", PartnerID: p, GuestsOnly: true}
			}, x)
		}},
		{"single customer for guests: a guest order", func(e *Env) Case {
			p := e.Create("res.partner", map[string]any{"name": e.Unique("Shopify guests")})
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 1, "45.00")})
			o.Customer = nil
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, func(s *schemas.ShopSettings) {
				s.Customer = schemas.CustomerSettings{Mode: "single", PartnerID: p, GuestsOnly: true}
			}, Expect{Model: "sale.order", Currency: "USD", Total: "45", Lines: []Line{{Code: "CONF-WIDGET"}}, Partner: &Partner{ID: p},
				Shipping: &Partner{Type: "delivery", Name: "Jane Conformance", City: "New York", Country: "US", State: "NY"}})
		}},
		{"guest order with an email", func(e *Env) Case {
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 1, "45.00")})
			o.Customer = nil
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, nil,
				withJane(e, Expect{Model: "sale.order", Currency: "USD", Total: "45", Lines: []Line{{Code: "CONF-WIDGET"}}}, "draft"))
		}},
		{"guest order without email", func(e *Env) Case {
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 1, "45.00")})
			o.Customer, o.Email = nil, ""
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, nil, Expect{Model: "sale.order", Currency: "USD", Total: "45",
				Lines:    []Line{{Code: "CONF-WIDGET"}},
				Partner:  &Partner{Name: "Shopify guest (" + Shop + ")"},
				Shipping: &Partner{Type: "delivery", Name: "Jane Conformance", Street: "350 Fifth Avenue", Country: "US", State: "NY"}})
		}},
		{"repeat customer: email in another case, partner left as it is", func(e *Env) Case {
			p := e.Create("res.partner", map[string]any{"name": "Jane (already in Odoo)", "email": e.Email("jane"), "city": "Boston"})
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 1, "45.00")})
			o.Email = "  " + upper(e.Email("jane"))
			o.Customer.Email = upper(e.Email("jane"))
			// She moved: the goods go to her new address, a delivery contact.
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, nil, Expect{Model: "sale.order", Currency: "USD", Total: "45",
				Lines: []Line{{Code: "CONF-WIDGET"}}, Partner: &Partner{ID: p, Name: "Jane (already in Odoo)", City: "Boston"},
				Shipping: &Partner{Type: "delivery", Name: "Jane Conformance", Street: "350 Fifth Avenue", City: "New York", Country: "US", State: "NY"}})
		}},
		{"repeat customer at her address in Odoo", func(e *Env) Case {
			ny := e.Find("res.country.state", []any{[]any{"code", "=", "NY"}, []any{"country_id.code", "=", "US"}})
			us := e.Find("res.country", []any{[]any{"code", "=", "US"}})
			p := e.Create("res.partner", map[string]any{"name": "Jane Conformance", "email": e.Email("jane"), "street": "350 Fifth Avenue",
				"city": "New York", "zip": "10118", "country_id": us, "state_id": ny})
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 1, "45.00")})
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, nil, Expect{Model: "sale.order", Currency: "USD", Total: "45",
				Lines: []Line{{Code: "CONF-WIDGET"}}, Partner: &Partner{ID: p, City: "New York", State: "NY"}})
		}},
		{"delivery address differs from the billing address", func(e *Env) Case {
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 1, "45.00")})
			o.ShippingAddress = &caShipping
			ship := &Partner{Type: "delivery", Name: "John Receiver", Street: "1 Infinite Loop", City: "Cupertino", Zip: "95014", Country: "US", State: "CA"}
			x := withJane(e, Expect{Model: "sale.order", Currency: "USD", Total: "45", Lines: []Line{{Code: "CONF-WIDGET"}}, Shipping: ship}, "draft")
			// A second order of Jane's to the same place: the same contacts.
			again := *x.Partner
			again.Step = 1
			ship2 := *ship
			ship2.Step = 1
			x2 := x
			x2.Partner, x2.Shipping = &again, &ship2
			return Case{Order: finish(o), Steps: []Step{
				{SO: schemas.SaleOrderConfirmed, Inv: schemas.InvoicePosted, Expect: withInvoice(x, "sale", "posted")},
				{SO: schemas.SaleOrderDraft, Fresh: true, Order: func(o schemas.Order) schemas.Order { o.ID, o.Name = e.OrderID(1), o.Name+"-2"; return o }, Expect: x2},
			}}
		}},
		{"country and state by name", func(e *Env) Case {
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 1, "45.00")})
			a := schemas.Address{Name: "Jane Conformance", Address1: "1 Market St", City: "San Francisco", Zip: "94105", Province: "California", Country: "United States"}
			o.BillingAddress, o.ShippingAddress = &a, &a
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, nil, Expect{Model: "sale.order", Currency: "USD", Total: "45",
				Lines: []Line{{Code: "CONF-WIDGET"}}, Partner: &Partner{Name: "Jane Conformance", City: "San Francisco", Country: "US", State: "CA"}})
		}},

		// ---- discounts
		{"line discount to the cent", func(e *Env) Case {
			li := item("CONF-PEN", "Pen", 3, "19.99", tax("Sales Tax", "0.15", "8.25"))
			li.TotalDiscount = dec("5.00")
			o := order(e, 0, []schemas.LineItem{li})
			return one(o, schemas.SaleOrderConfirmed, schemas.InvoicePosted, nil, Expect{Model: "sale.order", State: "sale", Currency: "USD",
				Untaxed: "54.97", Tax: "8.25", Total: "63.22", Invoice: &Invoice{State: "posted"}, Lines: []Line{
					{Code: "CONF-PEN", Qty: "3", Price: "19.99", Discount: "8.34", Subtotal: "54.97", Taxes: []Tax{{Percent: "15"}}}}})
		}},
		{"order discount allocated across lines, with adjustments", func(e *Env) Case {
			var items []schemas.LineItem
			for i, d := range []string{"3.34", "3.33", "3.33"} {
				li := item("CONF-POD", "Pod", 1, "199.00", tax("State Tax", "0.06", "11.74"))
				li.ID, li.TotalDiscount = int64(100+i), dec(d)
				items = append(items, li)
			}
			o := order(e, 0, items)
			adj := Line{Code: odoo.RoundingCode, Qty: "1", Price: "-0.01", Subtotal: "-0.01", Taxes: []Tax{{Percent: "6"}}}
			pod := func(disc, sub string) Line {
				return Line{Code: "CONF-POD", Discount: disc, Subtotal: sub, Taxes: []Tax{{Percent: "6"}}}
			}
			// 1.67 % of 199.00 leaves 195.68 (195.6767), a cent more than Shopify's 195.67,
			// and no percent at 2 places gives 195.67: rounding per line, each such line
			// is followed by an adjustment; rounding globally (the total is rounded once),
			// one adjustment after the lines closes their sum (587.0102 → 587.00).
			lines := []Line{pod("1.68", "195.66"), pod("1.67", "195.68"), adj, pod("1.67", "195.68"), adj}
			if e.RoundGlobally() {
				lines = []Line{pod("1.68", "195.66"), pod("1.67", "195.68"), pod("1.67", "195.68"), adj}
			}
			return one(o, schemas.SaleOrderConfirmed, schemas.InvoicePosted, nil, Expect{Model: "sale.order", State: "sale", Currency: "USD",
				Untaxed: "587", Tax: "35.22", Total: "622.22", Invoice: &Invoice{State: "posted"}, Warnings: []string{"adjustment line"}, Lines: lines})
		}},
		{"shipping discount", func(e *Env) Case {
			sl := shipping("10.00")
			sl.DiscountedPrice = dec("2.50")
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 1, "45.00")}, sl)
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, nil, Expect{Model: "sale.order", Currency: "USD", Untaxed: "47.5", Total: "47.5",
				Lines: []Line{{Code: "CONF-WIDGET"}, {Code: odoo.ShippingCode, Price: "10", Discount: "75", Subtotal: "2.5"}}})
		}},

		// ---- lines
		{"lines without SKU: mapped variant, mapped product, custom item", func(e *Env) Case {
			vid, pid := e.OrderID(5), e.OrderID(6)
			pv := e.Product(e.Unique("MAPPED-V"), "Mapped variant", nil)
			pp := e.Product(e.Unique("MAPPED-P"), "Mapped product", nil)
			e.XMLID(fmt.Sprintf("shopify_variant_%d", vid), "product.product", pv)
			e.XMLID(fmt.Sprintf("shopify_product_%d", pid), "product.product", pp)
			a := item("", "Poster", 1, "30.00")
			a.VariantID, a.ProductID = vid, e.OrderID(7)
			b := item("", "Print", 1, "20.00")
			b.VariantID, b.ProductID = e.OrderID(8), pid
			c := item("", "Engraving", 1, "15.00")
			d := item("", "Unknown variant", 1, "5.00")
			d.VariantID, d.ProductID = e.OrderID(9), e.OrderID(9)+1
			o := order(e, 0, []schemas.LineItem{a, b, c, d})
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, nil, Expect{Model: "sale.order", Currency: "USD", Total: "70", Lines: []Line{
				{ProductID: pv, Name: "Poster", Subtotal: "30"}, {ProductID: pp, Name: "Print", Subtotal: "20"},
				{Code: odoo.CustomItemCode, Name: "Engraving", Subtotal: "15"}, {Code: odoo.CustomItemCode, Name: "Unknown variant", Subtotal: "5"}}})
		}},
		{"fallback product of the settings", func(e *Env) Case {
			fb := e.Product(e.Unique("FALLBACK"), "Shop's fallback product", nil)
			c := item("", "Engraving", 2, "15.00")
			o := order(e, 0, []schemas.LineItem{c})
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, func(s *schemas.ShopSettings) { s.Products.FallbackID = fb },
				Expect{Model: "sale.order", Currency: "USD", Total: "30", Lines: []Line{{ProductID: fb, Name: "Engraving", Qty: "2", Subtotal: "30"}}})
		}},
		{"current quantities after an edit", func(e *Env) Case {
			a := item("CONF-WIDGET", "Widget", 3, "10.00")
			a.TotalDiscount, a.CurrentQuantity = dec("3.00"), qty(1)
			b := item("CONF-MUG", "Mug", 2, "7.00")
			b.CurrentQuantity = qty(0)
			c := item("CONF-PEN", "Pen", 1, "5.00")
			c.CurrentQuantity = qty(1)
			o := order(e, 0, []schemas.LineItem{a, b, c})
			return one(o, schemas.SaleOrderDraft, schemas.InvoiceNone, nil, Expect{Model: "sale.order", Currency: "USD", Untaxed: "14", Total: "14", Lines: []Line{
				{Code: "CONF-WIDGET", Qty: "1", Price: "10", Discount: "10", Subtotal: "9"}, {Code: "CONF-PEN", Qty: "1", Subtotal: "5"}}})
		}},
		{"tips, duties and additional fees", func(e *Env) Case {
			o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 1, "45.00", tax("Sales Tax", "0.15", "6.75"))})
			o.TotalTipReceived, o.TotalDuties, o.TotalAdditionalFees = dec("5.00"), dec("12.00"), dec("3.00")
			return one(o, schemas.SaleOrderConfirmed, schemas.InvoicePosted, nil, Expect{Model: "sale.order", State: "sale", Currency: "USD",
				Untaxed: "65", Tax: "6.75", Total: "71.75", Invoice: &Invoice{State: "posted"}, Lines: []Line{
					{Code: "CONF-WIDGET", Subtotal: "45", Taxes: []Tax{{Percent: "15"}}},
					{Code: odoo.DutyCode, Subtotal: "12"}, {Code: odoo.FeeCode, Subtotal: "3"}, {Code: odoo.TipCode, Subtotal: "5"}}})
		}},
		{"gift card sold: a liability, not revenue", func(e *Env) Case {
			g := item("", "Gift Card", 1, "50.00")
			g.GiftCard, g.RequiresShipping = true, false
			o := order(e, 0, []schemas.LineItem{g, item("CONF-WIDGET", "Widget", 1, "45.00", tax("Sales Tax", "0.15", "6.75"))})
			lines := []Line{{Code: odoo.GiftCardCode, Subtotal: "50"}, {Code: "CONF-WIDGET", Subtotal: "45", Taxes: []Tax{{Percent: "15"}}}}
			invLines := []Line{{Code: odoo.GiftCardCode, Subtotal: "50", Account: "liability_current"}, {Code: "CONF-WIDGET", Subtotal: "45", Taxes: []Tax{{Percent: "15"}}, Account: "income"}}
			return one(o, schemas.SaleOrderConfirmed, schemas.InvoicePosted, nil, Expect{Model: "sale.order", State: "sale", Currency: "USD",
				Untaxed: "95", Tax: "6.75", Total: "101.75", Lines: lines, Invoice: &Invoice{State: "posted", Lines: invLines}})
		}},

		// ---- invoices
		{"sales journal, fixed income account, processed date", func(e *Env) Case {
			acc := e.Find("account.account", []any{[]any{"account_type", "=", "income_other"}})
			j := e.journal()
			o := widgetOrder(e)
			lines := []Line{{Code: "CONF-WIDGET", Subtotal: "90", Taxes: []Tax{{Percent: "15"}}, Account: "income_other"}, {Code: odoo.ShippingCode, Subtotal: "5", Account: "income_other"}}
			settings := func(s *schemas.ShopSettings) {
				s.SalesJournalID, s.IncomeAccount = j, schemas.IncomeAccount{Mode: "fixed", AccountID: acc}
			}
			x := widgetExpectS
			x.State, x.Invoice = "sale", &Invoice{State: "posted", Date: processedDate, Journal: j, Lines: lines}
			xd := x
			xd.Model, xd.State, xd.Invoice, xd.Lines, xd.Journal, xd.Date = "account.move", "posted", nil, lines, j, processedDate
			return Case{Order: finish(o), Steps: []Step{
				{Settings: settings, SO: schemas.SaleOrderConfirmed, Inv: schemas.InvoicePosted, Expect: x},
				{Settings: settings, SO: schemas.SaleOrderNone, Inv: schemas.InvoicePosted, Order: func(o schemas.Order) schemas.Order { o.ID = e.OrderID(1); return o }, Expect: xd},
			}}
		}},
		{"product invoiced on delivered quantities", func(e *Env) Case {
			code := e.Unique("DELIVERED")
			e.Product(code, "Delivered-policy product", map[string]any{"invoice_policy": "delivery"})
			o := order(e, 0, []schemas.LineItem{item(code, "Delivered-policy product", 2, "10.00")})
			return one(o, schemas.SaleOrderConfirmed, schemas.InvoicePosted, nil, Expect{Model: "sale.order", State: "sale", Currency: "USD",
				Untaxed: "20", Total: "20", Invoice: &Invoice{State: "posted"}, Warnings: []string{"invoices delivered quantities"},
				Lines: []Line{{Code: code, Qty: "2", Subtotal: "20"}}})
		}},

		// ---- the totals check
		{"totals check: Shopify's total is a cent off", func(e *Env) Case {
			return totalsCase(e, false)
		}},
		{"totals check: a rounding line closes it", func(e *Env) Case {
			return totalsCase(e, true)
		}},

		// ---- identity and a change of the creation mode
		{"create mode changed: a draft sale order then invoices", func(e *Env) Case {
			x := widgetExpectS
			x2 := withInvoice(x, "sale", "posted")
			x2.Warnings = []string{"confirmed so that it can be invoiced"}
			return Case{Order: finish(widgetOrder(e)), Steps: []Step{
				{SO: schemas.SaleOrderDraft, Expect: withJane(e, x, "draft")},
				{SO: schemas.SaleOrderNone, Inv: schemas.InvoicePosted, Fresh: true, Expect: x2},
			}}
		}},
		{"create mode changed: an invoice then sale orders", func(e *Env) Case {
			x := widgetExpectS
			x.Model = "account.move"
			x2 := x
			x2.Warnings = []string{"no sale order is made"}
			return Case{Order: finish(widgetOrder(e)), Steps: []Step{
				{SO: schemas.SaleOrderNone, Inv: schemas.InvoiceDraft, Expect: withJane(e, x, "draft")},
				{SO: schemas.SaleOrderConfirmed, Inv: schemas.InvoicePosted, Fresh: true, Expect: withJane(e, x2, "posted")},
			}}
		}},
		{"an order made before external ids is found by its origin", func(e *Env) Case {
			o := finish(widgetOrder(e))
			partner := e.Create("res.partner", map[string]any{"name": "Jane (older order)"})
			old := e.Create("sale.order", map[string]any{"partner_id": partner, "origin": odoo.StableKey(Shop, o.ID), "client_order_ref": o.Name})
			// It follows the order like any order Synco made: its lines and customer are
			// the snapshot's.
			return Case{Order: o, NoWarm: true, Steps: []Step{{SO: schemas.SaleOrderDraft, Expect: Expect{Model: "sale.order", State: "draft", Currency: "USD",
				Untaxed: "95", Tax: "13.5", Total: "108.5", Lines: widgetLines,
				Check: func(e *Env, res odoo.Result) {
					if res.ID != old {
						e.t.Errorf("sale order %d, want the older %d", res.ID, old)
					}
					e.registered(odoo.OrderXMLID(Shop, o.ID), "sale.order", old)
				}}}}}
		}},
	}, slices.Concat(lifeScenarios(), lifeEdits(), lifeReconcile(), sampleScenarios())...) // life_payments.go, life_edits.go, life_reconcile.go, shopify_samples.go
}

func withInvoice(x Expect, so, inv string) Expect {
	x.State, x.Invoice = so, &Invoice{State: inv}
	return x
}

// totalsCase is an EUR shop whose Shopify total (73.13, tax 9.55) is a cent more than
// what Odoo computes for its lines (63.58 + 15 % = 73.12).
func totalsCase(e *Env, rounding bool) Case {
	o := order(e, 0, []schemas.LineItem{item("CONF-WIDGET", "Widget", 1, "63.58", tax("Sales Tax", "0.15", "9.55"))})
	o.Currency, o.PresentmentCurrency = "EUR", "EUR"
	o = finish(o)
	x := Expect{Model: "sale.order", State: "sale", Currency: "EUR", Untaxed: "63.58", Tax: "9.54", Total: "73.12",
		Invoice:  &Invoice{State: "posted"},
		Warnings: []string{"Odoo total 73.12 EUR ≠ Shopify 73.13 EUR", "Odoo tax 9.54 EUR ≠ Shopify 9.55 EUR"},
		Lines:    []Line{{Code: "CONF-WIDGET", Subtotal: "63.58", Taxes: []Tax{{Percent: "15"}}}}}
	var settings func(*schemas.ShopSettings)
	if rounding {
		settings = func(s *schemas.ShopSettings) { s.RoundingLine = true }
		x.Untaxed, x.Total = "63.59", "73.13"
		x.Warnings = []string{"Odoo tax 9.54 EUR ≠ Shopify 9.55 EUR"}
		x.Lines = append(x.Lines, Line{Code: odoo.RoundingCode, Qty: "1", Price: "0.01", Subtotal: "0.01"})
	}
	return Case{Order: o, Steps: []Step{{Settings: settings, SO: schemas.SaleOrderConfirmed, Inv: schemas.InvoicePosted, Expect: x}}}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// journal is a second sales journal, "Conformance Sales" (made once per database).
func (e *Env) journal() int64 {
	e.t.Helper()
	got, err := odoo.SearchRead(e.ctx, e.c, "account.journal", []any{[]any{"name", "=", "Conformance Sales"}}, []string{"id"}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(got) > 0 {
		return got[0].ID()
	}
	return e.Create("account.journal", map[string]any{"name": "Conformance Sales", "code": "CONFS", "type": "sale"})
}

// RoundGlobally says whether the company rounds taxes globally (Odoo's
// tax_calculation_rounding_method; the default of a new database on 19) rather than
// per line.
func (e *Env) RoundGlobally() bool {
	e.t.Helper()
	got, err := odoo.SearchRead(e.ctx, e.c, "res.company", nil, []string{"tax_calculation_rounding_method"}, map[string]any{"limit": 1, "order": "id"})
	if err != nil || len(got) == 0 {
		e.t.Fatalf("read the company's rounding method: %v", err)
	}
	return got[0].String("tax_calculation_rounding_method") == "round_globally"
}

// registered checks that an external id names a record.
func (e *Env) registered(name, model string, id int64) {
	e.t.Helper()
	got, err := odoo.SearchRead(e.ctx, e.c, "ir.model.data", []any{[]any{"module", "=", odoo.XMLIDModule}, []any{"name", "=", name}},
		[]string{"model", "res_id"}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(got) != 1 || got[0].String("model") != model || got[0].Int("res_id") != id {
		e.t.Errorf("external id %s.%s: %v, want %s %d", odoo.XMLIDModule, name, got, model, id)
	}
}
