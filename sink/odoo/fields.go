package odoo

// dialect is what differs between Odoo versions for the calls the Syncer makes.
type dialect struct {
	version int
}

// SaleLineTax is the taxes field of sale.order.line: tax_id up to 18, tax_ids from 19.
func (d dialect) SaleLineTax() string {
	if d.version >= 19 {
		return "tax_ids"
	}
	return "tax_id"
}

// SaleLineUoM is the unit field of sale.order.line: product_uom up to 18,
// product_uom_id from 19.
func (d dialect) SaleLineUoM() string {
	if d.version >= 19 {
		return "product_uom_id"
	}
	return "product_uom"
}

// ProductKind sets a product's type: "consu" (goods without stock tracking) or
// "service". 16 and 17 use detailed_type; 18 dropped it for type (+ is_storable, which
// stays false for a consumable).
func (d dialect) ProductKind(vals map[string]any, kind string) {
	if d.version >= 18 {
		vals["type"] = kind
		return
	}
	vals["detailed_type"] = kind
}

// TaxPriceInclude sets whether a new tax is included in the price: price_include up to
// 17; from 18 price_include is computed and price_include_override is written.
func (d dialect) TaxPriceInclude(vals map[string]any, included bool) {
	if d.version >= 18 {
		if included {
			vals["price_include_override"] = "tax_included"
		} else {
			vals["price_include_override"] = "tax_excluded"
		}
		return
	}
	vals["price_include"] = included
}

// SaleOrderFields are what the Syncer reads of an existing order. 17 added the locked
// boolean (16 locks with state "done").
func (d dialect) SaleOrderFields() []string {
	f := []string{"id", "name", "state", "invoice_ids"}
	if d.version >= 17 {
		f = append(f, "locked")
	}
	return f
}
