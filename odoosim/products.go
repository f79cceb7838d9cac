package odoosim

// Products: product.product is stored with the template fields it inherits;
// product.template mirrors it (one variant per template), both ways.

import "fmt"

var productMirror = []string{"name", "default_code", "list_price", "standard_price", "detailed_type", "type", "is_storable", "invoice_policy", "taxes_id", "supplier_taxes_id", "uom_id", "uom_po_id", "categ_id", "sale_ok", "purchase_ok", "active", "barcode", "description_sale", "property_account_income_id"}

func (s *store) productFields(tmpl bool) []*fb {
	v := s.version
	own := func(b *fb) *fb { return b.owner("product.template", "Product") }
	types := []string{"consu", "service", "product"}
	if v >= 18 {
		types = []string{"consu", "service", "combo"}
	}
	fs := []*fb{
		own(fld("name", "char", "Name").req()),
		fld("default_code", "char", "Internal Reference"),
		fld("barcode", "char", "Barcode"),
		fld("list_price", "float", "Sales Price").def(1.0),
		fld("standard_price", "float", "Cost").def(0.0),
		own(fld("detailed_type", "selection", "Product Type").sel("consu", "service", "product").def("consu").ver(0, 17)),
		own(fld("type", "selection", "Type").sel(types...).def("consu")),
		fld("is_storable", "boolean", "Track Inventory").ver(18, 0).def(false),
		own(fld("invoice_policy", "selection", "Invoicing Policy").sel("order", "delivery").def("order")),
		fld("taxes_id", "many2many", "Customer Taxes").rel("account.tax").deff(func(c *call) any { return []int{c.defaultSaleTax()} }),
		fld("supplier_taxes_id", "many2many", "Vendor Taxes").rel("account.tax").def([]int{}),
		fld("uom_id", "many2one", "Unit of Measure").rel("uom.uom").def(1),
		fld("uom_po_id", "many2one", "Purchase Unit of Measure").rel("uom.uom").def(1).ver(0, 18),
		fld("categ_id", "many2one", "Product Category").rel("product.category").def(1),
		fld("sale_ok", "boolean", "Can be Sold").def(true),
		fld("purchase_ok", "boolean", "Can be Purchased").def(true),
		fld("active", "boolean", "Active").def(true),
		fld("description_sale", "text", "Sales Description"),
		fld("property_account_income_id", "many2one", "Income Account").rel("account.account"),
		fld("company_id", "many2one", "Company").rel("res.company"),
		fld("qty_available", "float", "Quantity On Hand").comp(func(c *call, r Record) any { return c.qtyOnHand(r, tmpl) }),
		fld("virtual_available", "float", "Forecasted Quantity").comp(func(c *call, r Record) any { return c.qtyOnHand(r, tmpl) - c.qtyReserved(r, tmpl) }),
	}
	if tmpl {
		fs = append(fs, fld("product_variant_ids", "one2many", "Products").rel("product.product").inv("product_tmpl_id"),
			fld("product_variant_id", "many2one", "Product").rel("product.product").comp(func(c *call, r Record) any {
				ids := c.children("product.product", "product_tmpl_id", asInt(r["id"]))
				if len(ids) > 0 {
					return ids[0]
				}
				return nil
			}))
	} else {
		fs = append(fs, fld("product_tmpl_id", "many2one", "Product Template").rel("product.template"))
	}
	return fs
}

func productDisplay(c *call, r Record) string {
	if code := asStr(r["default_code"]); code != "" {
		return "[" + code + "] " + asStr(r["name"])
	}
	return asStr(r["name"])
}

func (c *call) defaultSaleTax() int {
	if c.version() <= 16 {
		return 2
	}
	return 1
}

// syncProductType keeps detailed_type (16/17) and type consistent.
func (c *call) syncProductType(r Record, vals map[string]any) {
	if c.version() >= 18 {
		return
	}
	if _, ok := vals["detailed_type"]; ok {
		if r["detailed_type"] == "product" || r["detailed_type"] == "consu" || r["detailed_type"] == "service" {
			r["type"] = r["detailed_type"]
		}
	} else if _, ok := vals["type"]; ok {
		r["detailed_type"] = r["type"]
	}
}

func (c *call) isStorable(productID int) bool {
	p := c.rec("product.product", productID)
	if p == nil {
		return false
	}
	if c.version() >= 18 {
		return truthy(p["is_storable"])
	}
	return p["type"] == "product"
}

func (s *store) defineProducts() {
	uom := s.addModel("uom.uom", "Product Unit of Measure", "UoM", "factor DESC, id",
		fld("name", "char", "Unit of Measure").req(),
		fld("factor", "float", "Ratio").def(1.0),
	)
	uom.seed(1, Record{"name": "Units", "factor": 1.0})
	uom.seed(2, Record{"name": "Dozens", "factor": 1.0 / 12})
	categ := s.addModel("product.category", "Product Category", "ProductCategory", "complete_name",
		fld("name", "char", "Name").req(),
		fld("complete_name", "char", "Complete Name").comp(func(c *call, r Record) any { return r["name"] }),
		fld("property_account_income_categ_id", "many2one", "Income Account").rel("account.account"),
	)
	categ.seed(1, Record{"name": "All", "property_account_income_categ_id": 24})

	pl := s.addModel("product.pricelist", "Pricelist", "Pricelist", "sequence asc, id asc",
		fld("name", "char", "Pricelist Name").req(),
		fld("currency_id", "many2one", "Currency").rel("res.currency").req().deff(func(c *call) any { return asInt(c.rec("res.company", 1)["currency_id"]) }),
		fld("active", "boolean", "Active").def(true),
		fld("sequence", "integer", "Sequence").def(16),
		fld("discount_policy", "selection", "Discount Policy").sel("with_discount", "without_discount").def("with_discount").ver(0, 17),
		fld("company_id", "many2one", "Company").rel("res.company"),
		fld("item_ids", "one2many", "Pricelist Rules").rel("product.pricelist.item").inv("pricelist_id"),
	)
	pl.display = func(c *call, r Record) string {
		return fmt.Sprintf("%s (%s)", asStr(r["name"]), c.displayName("res.currency", asInt(r["currency_id"])))
	}
	// 16 starts with its Public Pricelist; 17-19 with none until a second currency is
	// activated (ensureDefaultPricelist).
	if s.version <= 16 {
		pl.seed(1, Record{"name": "Public Pricelist", "currency_id": 2, "active": true, "sequence": 1, "discount_policy": "with_discount"})
	}
	pl.beforeCreate = func(c *call, r Record, vals map[string]any) error {
		if _, ok := vals["company_id"]; !ok && c.version() >= 18 {
			r["company_id"] = 1 // 18+ default the company
		}
		return nil
	}
	s.addModel("product.pricelist.item", "Pricelist Rule", "PricelistItem", "id",
		fld("pricelist_id", "many2one", "Pricelist").rel("product.pricelist").req(),
		fld("fixed_price", "float", "Fixed Price"),
	)

	tmpl := s.addModel("product.template", "Product", "ProductTemplate", "priority desc, name", s.productFields(true)...)
	tmpl.display = productDisplay
	prod := s.addModel("product.product", "Product Variant", "ProductProduct", "priority desc, default_code, name, id", s.productFields(false)...)
	prod.display = productDisplay
	// Products keep an internal "priority" for ordering like Odoo (all 0).
	tmpl.order, prod.order = "name", "default_code, name, id"

	// sale.order.line and account.move.line reference products with ondelete
	// 'restrict': PostgreSQL refuses the delete and Odoo reports it as below.
	prod.beforeUnlink = func(c *call, r Record) error {
		for _, ref := range []struct{ model, label, constraint string }{
			{"sale.order.line", "Sales Order Line", "sale_order_line_product_id_fkey"},
			{"account.move.line", "Journal Item", "account_move_line_product_id_fkey"},
		} {
			if len(c.children(ref.model, "product_id", asInt(r["id"]))) > 0 {
				return userError(fmt.Sprintf("The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: %s (%s)\nConstraint: %s\n", ref.label, ref.model, ref.constraint))
			}
		}
		return nil
	}
	prod.beforeCreate = func(c *call, r Record, vals map[string]any) error {
		c.syncProductType(r, vals)
		return nil
	}
	prod.afterCreate = func(c *call, r Record, vals map[string]any) error {
		if asInt(r["product_tmpl_id"]) != 0 {
			return nil
		}
		t := Record{}
		for _, f := range productMirror {
			if v, ok := r[f]; ok {
				t[f] = v
			}
		}
		t["create_date"], t["write_date"] = r["create_date"], r["write_date"]
		tid := c.insert(c.s.models["product.template"], t)
		r["product_tmpl_id"] = tid
		return nil
	}
	prod.beforeWrite = func(c *call, r Record, vals map[string]any) error {
		c.syncProductType(vals, vals)
		return nil
	}
	prod.afterWrite = func(c *call, r Record, vals map[string]any) error {
		if tid := asInt(r["product_tmpl_id"]); tid != 0 {
			upd := Record{}
			for _, f := range productMirror {
				if _, ok := vals[f]; ok {
					upd[f] = r[f]
				}
			}
			if _, ok := vals["detailed_type"]; ok {
				upd["type"] = r["type"]
			}
			if len(upd) > 0 {
				c.set(c.s.models["product.template"], tid, upd)
			}
		}
		return nil
	}
	tmpl.beforeCreate = func(c *call, r Record, vals map[string]any) error {
		c.syncProductType(r, vals)
		return nil
	}
	tmpl.afterCreate = func(c *call, r Record, vals map[string]any) error {
		p := Record{"product_tmpl_id": r["id"]}
		for _, f := range productMirror {
			if v, ok := r[f]; ok {
				p[f] = v
			}
		}
		p["create_date"], p["write_date"] = r["create_date"], r["write_date"]
		c.insert(c.s.models["product.product"], p)
		return nil
	}
	tmpl.beforeWrite = func(c *call, r Record, vals map[string]any) error {
		c.syncProductType(vals, vals)
		return nil
	}
	tmpl.afterWrite = func(c *call, r Record, vals map[string]any) error {
		for _, pid := range c.children("product.product", "product_tmpl_id", asInt(r["id"])) {
			upd := Record{}
			for _, f := range productMirror {
				if _, ok := vals[f]; ok {
					upd[f] = r[f]
				}
			}
			if len(upd) > 0 {
				c.set(c.s.models["product.product"], pid, upd)
			}
		}
		return nil
	}
}

// defaultPricelist is the pricelist a partner gets: the first active one of the
// company (or of no company), by sequence.
func (c *call) defaultPricelist() int {
	m := c.s.models["product.pricelist"]
	best, bestSeq := 0, 0
	for _, id := range m.sortedIDs() {
		r := m.recs[id]
		if r["active"] == false || (asInt(r["company_id"]) != 0 && asInt(r["company_id"]) != 1) {
			continue
		}
		if seq := asInt(r["sequence"]); best == 0 || seq < bestSeq {
			best, bestSeq = id, seq
		}
	}
	return best
}

// ensureDefaultPricelist makes the company's pricelist in its own currency when it
// has none ("Default USD pricelist" on 17, "Default" from 18).
func (c *call) ensureDefaultPricelist() {
	m := c.s.models["product.pricelist"]
	usd := asInt(c.rec("res.company", 1)["currency_id"])
	for _, r := range m.recs {
		if asInt(r["currency_id"]) == usd && (asInt(r["company_id"]) == 0 || asInt(r["company_id"]) == 1) {
			return
		}
	}
	name := "Default"
	if c.version() <= 17 {
		name = "Default " + asStr(c.rec("res.currency", usd)["name"]) + " pricelist"
	}
	c.insert(m, Record{"name": name, "currency_id": usd, "company_id": 1, "active": true, "sequence": 10, "discount_policy": "with_discount",
		"create_date": c.s.nowStr(), "write_date": c.s.nowStr()})
}
