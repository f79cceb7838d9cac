package odoosim

// Sales: orders, lines, confirm/cancel/lock, the cancel wizard and invoicing
// from orders (sale.advance.payment.inv), with the recorded quirks.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

func (s *store) defineSale() {
	v := s.version
	states := []string{"draft", "sent", "sale", "cancel"}
	if v <= 16 {
		states = []string{"draft", "sent", "sale", "done", "cancel"}
	}
	so := s.addModel("sale.order", "Sales Order", "SaleOrder", "date_order desc, id desc",
		fld("name", "char", "Order Reference").req().def("New"),
		fld("partner_id", "many2one", "Customer").rel("res.partner").req(),
		fld("partner_invoice_id", "many2one", "Invoice Address").rel("res.partner").req(),
		fld("partner_shipping_id", "many2one", "Delivery Address").rel("res.partner").req(),
		fld("state", "selection", "Status").sel(states...).def("draft"),
		fld("locked", "boolean", "Locked").ver(17, 0).def(false),
		fld("client_order_ref", "char", "Customer Reference"),
		fld("origin", "char", "Source Document"),
		fld("note", "html", "Terms and conditions"),
		fld("date_order", "datetime", "Order Date").req().deff(func(c *call) any { return c.s.nowStr() }),
		fld("validity_date", "date", "Expiration").deff(func(c *call) any {
			if c.version() <= 16 { // 16 leaves it empty without a quotation validity setting
				return nil
			}
			return c.s.now().AddDate(0, 0, 30).UTC().Format(dateLayout)
		}),
		fld("commitment_date", "datetime", "Delivery Date"),
		fld("pricelist_id", "many2one", "Pricelist").rel("product.pricelist").reqIf(v <= 16),
		fld("currency_id", "many2one", "Currency").rel("res.currency").comp(func(c *call, r Record) any { return c.orderCurrency(r) }),
		fld("payment_term_id", "many2one", "Payment Terms").rel("account.payment.term"),
		fld("fiscal_position_id", "many2one", "Fiscal Position").rel("account.fiscal.position"),
		fld("journal_id", "many2one", "Invoicing Journal").rel("account.journal").ver(17, 0),
		fld("tag_ids", "many2many", "Tags").rel("crm.tag"),
		fld("company_id", "many2one", "Company").rel("res.company").req().def(1),
		fld("user_id", "many2one", "Salesperson").rel("res.users").def(2),
		fld("order_line", "one2many", "Order Lines").rel("sale.order.line").inv("order_id"),
		fld("amount_untaxed", "monetary", "Untaxed Amount").comp(func(c *call, r Record) any { u, _ := c.orderTotals(r); return fl(u) }),
		fld("amount_tax", "monetary", "Taxes").comp(func(c *call, r Record) any { _, t := c.orderTotals(r); return fl(t) }),
		fld("amount_total", "monetary", "Total").comp(func(c *call, r Record) any { u, t := c.orderTotals(r); return fl(u.Add(t)) }),
		fld("invoice_ids", "many2many", "Invoices").rel("account.move").comp(func(c *call, r Record) any { return c.orderInvoices(asInt(r["id"])) }),
		fld("invoice_count", "integer", "Invoice Count").comp(func(c *call, r Record) any { return len(c.orderInvoices(asInt(r["id"]))) }),
		fld("invoice_status", "selection", "Invoice Status").sel("upselling", "invoiced", "to invoice", "no").comp(func(c *call, r Record) any { return c.invoiceStatus(r) }),
		fld("picking_ids", "one2many", "Transfers").rel("stock.picking").inv("sale_id"),
		fld("delivery_count", "integer", "Delivery Orders").comp(func(c *call, r Record) any { return len(c.children("stock.picking", "sale_id", asInt(r["id"]))) }),
		fld("delivery_status", "selection", "Delivery Status").sel("pending", "started", "partial", "full").comp(func(c *call, r Record) any { return c.deliveryStatus(r) }),
	)
	so.beforeCreate = func(c *call, r Record, vals map[string]any) error {
		if n := asStr(r["name"]); n == "" || n == "New" {
			r["name"] = fmt.Sprintf("S%05d", c.s.nextSeq("sale.order"))
		}
		pid := asInt(r["partner_id"])
		if p := c.rec("res.partner", pid); p != nil {
			if asInt(r["partner_invoice_id"]) == 0 {
				r["partner_invoice_id"] = pid
			}
			if asInt(r["partner_shipping_id"]) == 0 {
				r["partner_shipping_id"] = pid
				for _, cid := range c.children("res.partner", "parent_id", pid) {
					if c.rec("res.partner", cid)["type"] == "delivery" {
						r["partner_shipping_id"] = cid
						break
					}
				}
			}
			if _, ok := vals["payment_term_id"]; !ok && asInt(p["property_payment_term_id"]) != 0 {
				r["payment_term_id"] = p["property_payment_term_id"]
			}
			if _, ok := vals["pricelist_id"]; !ok {
				r["pricelist_id"] = c.get(c.s.models["res.partner"], p, "property_product_pricelist")
			}
		}
		return nil
	}
	so.beforeWrite = func(c *call, r Record, vals map[string]any) error {
		if _, ok := vals["order_line"]; ok && r["state"] == "cancel" {
			return nil
		}
		return nil
	}
	so.method(&Method{Name: "action_confirm", Multi: true, Fn: soConfirm})
	so.method(&Method{Name: "action_cancel", Multi: true, Fn: soCancel})
	so.method(&Method{Name: "action_draft", Multi: true, Fn: soDraft})
	so.method(&Method{Name: "action_quotation_sent", Multi: true, Fn: func(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
		for _, id := range ids {
			if m.recs[id]["state"] == "draft" {
				c.set(m, id, Record{"state": "sent"})
			}
		}
		return true, nil
	}})
	if v >= 17 {
		so.method(&Method{Name: "action_lock", Multi: true, Fn: soSetLocked(true)})
		so.method(&Method{Name: "action_unlock", Multi: true, Fn: soSetLocked(false)})
	} else {
		so.method(&Method{Name: "action_done", Multi: true, Fn: func(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
			for _, id := range ids {
				c.set(m, id, Record{"state": "done"})
			}
			return none{}, nil
		}})
		so.method(&Method{Name: "action_unlock", Multi: true, Fn: func(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
			for _, id := range ids {
				c.set(m, id, Record{"state": "sale"})
			}
			return none{}, nil
		}})
	}

	taxField := "tax_id"
	if v >= 19 {
		taxField = "tax_ids"
	}
	uomField := "product_uom"
	if v >= 19 {
		uomField = "product_uom_id"
	}
	sol := s.addModel("sale.order.line", "Sales Order Line", "SaleOrderLine", "order_id, sequence, id",
		fld("order_id", "many2one", "Order Reference").rel("sale.order").req(),
		fld("sequence", "integer", "Sequence").def(10),
		fld("product_id", "many2one", "Product").rel("product.product"),
		fld("product_template_id", "many2one", "Product Template").rel("product.template").comp(func(c *call, r Record) any {
			if p := c.rec("product.product", asInt(r["product_id"])); p != nil {
				return p["product_tmpl_id"]
			}
			return nil
		}),
		fld("name", "text", "Description").req(),
		fld("display_type", "selection", "Display Type").sel("line_section", "line_note"),
		fld("product_uom_qty", "float", "Quantity").req().def(1.0),
		fld(uomField, "many2one", "Unit of Measure").rel("uom.uom"),
		fld("price_unit", "float", "Unit Price").req(),
		fld("discount", "float", "Discount (%)").def(0.0),
		fld(taxField, "many2many", "Taxes").rel("account.tax"),
		fld("price_subtotal", "monetary", "Subtotal").comp(func(c *call, r Record) any { u, _ := c.solAmounts(r); return fl(u) }),
		fld("price_tax", "float", "Total Tax").comp(func(c *call, r Record) any { _, t := c.solAmounts(r); return fl(t) }),
		fld("price_total", "monetary", "Total").comp(func(c *call, r Record) any { u, t := c.solAmounts(r); return fl(u.Add(t)) }),
		fld("price_reduce", "float", "Price Reduce").ver(0, 16).comp(func(c *call, r Record) any {
			return round2f(asFloat(r["price_unit"]) * (1 - asFloat(r["discount"])/100))
		}),
		fld("qty_delivered", "float", "Delivery Quantity").comp(func(c *call, r Record) any { return c.qtyDelivered(asInt(r["id"])) }),
		fld("qty_invoiced", "float", "Invoiced Quantity").comp(func(c *call, r Record) any { return c.qtyInvoiced(asInt(r["id"])) }),
		fld("qty_to_invoice", "float", "Quantity To Invoice").comp(func(c *call, r Record) any { return c.qtyToInvoice(r) }),
		fld("state", "selection", "Order Status").sel(states...).comp(func(c *call, r Record) any { return c.rec("sale.order", asInt(r["order_id"]))["state"] }),
		fld("currency_id", "many2one", "Currency").rel("res.currency").comp(func(c *call, r Record) any { return c.orderCurrency(c.rec("sale.order", asInt(r["order_id"]))) }),
		fld("company_id", "many2one", "Company").rel("res.company").def(1),
		fld("invoice_lines", "many2many", "Invoice Lines").rel("account.move.line").comp(func(c *call, r Record) any { return c.solInvoiceLines(asInt(r["id"])) }),
	)
	sol.display = func(c *call, r Record) string {
		return asStr(c.rec("sale.order", asInt(r["order_id"]))["name"]) + " - " + firstLine(asStr(r["name"]))
	}
	sol.beforeCreate = func(c *call, r Record, vals map[string]any) error {
		order := c.rec("sale.order", asInt(r["order_id"]))
		if order == nil {
			return nil // the FK check reports it
		}
		if err := c.fillProductLine(r, vals, "product_uom_qty", taxField, c.orderCurrency(order), true); err != nil {
			return err
		}
		if asStr(r["display_type"]) == "" {
			if asInt(r["product_id"]) == 0 {
				return validationError("The operation cannot be completed: Missing required fields on accountable sale order line.")
			}
			if _, ok := r[uomField]; !ok {
				r[uomField] = 1
			}
		} else {
			if asInt(r["product_id"]) != 0 || asFloat(r["price_unit"]) != 0 || asFloat(r["product_uom_qty"]) != 0 {
				return validationError("The operation cannot be completed: Forbidden values on non-accountable sale order line")
			}
			if r["price_unit"] == nil {
				r["price_unit"] = 0.0
			}
		}
		return nil
	}
	sol.beforeWrite = func(c *call, r Record, vals map[string]any) error {
		order := c.rec("sale.order", asInt(r["order_id"]))
		if order != nil && asStr(r["display_type"]) == "" {
			// sale: a locked order's protected fields are refused (17+: locked; 16:
			// state done), with their labels.
			if locked := (c.version() >= 17 && truthy(order["locked"])) || (c.version() <= 16 && order["state"] == "done"); locked {
				var labels []string
				for _, f := range []string{"product_id", "name", "price_unit", uomField, "product_uom_qty", taxField} {
					if _, ok := vals[f]; ok {
						labels = append(labels, c.s.models["sale.order.line"].fields[f].Label)
					}
				}
				if len(labels) > 0 {
					return userError("It is forbidden to modify the following fields in a locked order:\n" + strings.Join(labels, "\n"))
				}
			}
			// sale_stock: a confirmed line's quantity never goes below what was delivered.
			if q, ok := vals["product_uom_qty"]; ok && (order["state"] == "sale" || order["state"] == "done") {
				p := c.rec("product.product", asInt(r["product_id"]))
				if p != nil && p["type"] != "service" && asFloat(q) < c.qtyDelivered(asInt(r["id"]))-0.00001 {
					return userError("The ordered quantity of a sale order line cannot be decreased below the amount already delivered. Instead, create a return in your inventory.")
				}
			}
		}
		// Recorded quirk: a quantity (or product) change without a price
		// recomputes price_unit from the pricelist.
		_, q := vals["product_uom_qty"]
		_, p := vals["product_id"]
		if _, hasPrice := vals["price_unit"]; (q || p) && !hasPrice && asStr(r["display_type"]) == "" {
			pid := asInt(r["product_id"])
			if p {
				pid = asInt(vals["product_id"])
			}
			if prod := c.rec("product.product", pid); prod != nil {
				vals["price_unit"] = c.productPrice(prod, c.orderCurrency(c.rec("sale.order", asInt(r["order_id"]))))
			}
		}
		return nil
	}

	sol.beforeUnlink = func(c *call, r Record) error {
		order := c.rec("sale.order", asInt(r["order_id"]))
		if order != nil && (order["state"] == "sale" || order["state"] == "done") && asStr(r["display_type"]) == "" {
			return userError("Once a sales order is confirmed, you can't remove one of its lines (we need to track if something gets invoiced or delivered).\nSet the quantity to 0 instead.")
		}
		return nil
	}
	// sale_stock: a confirmed order's delivery follows its lines' quantities.
	sol.afterWrite = func(c *call, r Record, vals map[string]any) error {
		if _, ok := vals["product_uom_qty"]; ok {
			c.followDelivery(asInt(r["id"]))
		}
		return nil
	}
	sol.afterCreate = func(c *call, r Record, _ map[string]any) error {
		c.followDelivery(asInt(r["id"]))
		return nil
	}

	cw := s.addModel("sale.order.cancel", "Sales Order Cancel", "SaleOrderCancel", "id",
		fld("order_id", "many2one", "Sale Order").rel("sale.order").req(),
		fld("subject", "char", "Subject"),
		fld("body", "html", "Contents"),
	)
	cw.method(&Method{Name: "action_cancel", Multi: true, Fn: func(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
		for _, id := range ids {
			oid := asInt(m.recs[id]["order_id"])
			c.ctx["disable_cancel_warning"] = true
			if _, err := soCancel(c, c.s.models["sale.order"], []int{oid}, nil); err != nil {
				return nil, err
			}
		}
		return true, nil
	}})

	adv := s.addModel("sale.advance.payment.inv", "Sales Advance Payment Invoice", "SaleAdvancePaymentInv", "id",
		fld("advance_payment_method", "selection", "Create Invoice").sel("delivered", "percentage", "fixed").req().def("delivered"),
		fld("sale_order_ids", "many2many", "Sale Order").rel("sale.order"),
		fld("deduct_down_payments", "boolean", "Deduct down payments").def(true),
		fld("amount", "float", "Down Payment"),
		fld("fixed_amount", "monetary", "Down Payment Amount (Fixed)"),
	)
	adv.beforeCreate = func(c *call, r Record, vals map[string]any) error {
		if _, ok := vals["sale_order_ids"]; !ok && c.ctx["active_model"] == "sale.order" {
			r["sale_order_ids"] = asIDs(c.ctx["active_ids"])
		}
		return nil
	}
	adv.method(&Method{Name: "create_invoices", Multi: true, Fn: advCreateInvoices})
}

// reqIf marks a field required on some versions only.
func (b *fb) reqIf(cond bool) *fb { b.f.Required = cond; return b }

func firstLine(s string) string {
	for i, ch := range s {
		if ch == '\n' {
			return s[:i]
		}
	}
	return s
}

// none is a method result of Python None: fine for JSON-2, the "cannot
// marshal None" fault on XML-RPC (after the change is committed).
type none struct{}

func (c *call) orderCurrency(r Record) int {
	if r == nil {
		return 0
	}
	if pl := c.rec("product.pricelist", asInt(r["pricelist_id"])); pl != nil {
		return asInt(pl["currency_id"])
	}
	return asInt(c.rec("res.company", 1)["currency_id"])
}

func (c *call) solTaxField() string {
	if c.version() >= 19 {
		return "tax_ids"
	}
	return "tax_id"
}

func (c *call) solAmounts(r Record) (decimal.Decimal, decimal.Decimal) {
	if asStr(r["display_type"]) != "" {
		return decimal.Zero, decimal.Zero
	}
	return c.lineAmounts(asFloat(r["price_unit"]), asFloat(r["product_uom_qty"]), asFloat(r["discount"]), asIDs(r[c.solTaxField()]))
}

func (c *call) orderTotals(r Record) (decimal.Decimal, decimal.Decimal) {
	m := c.s.models["sale.order.line"]
	var lines []docLine
	for _, lid := range c.children("sale.order.line", "order_id", asInt(r["id"])) {
		l := m.recs[lid]
		if asStr(l["display_type"]) != "" {
			continue
		}
		lines = append(lines, docLine{asFloat(l["price_unit"]), asFloat(l["product_uom_qty"]), asFloat(l["discount"]), asIDs(l[c.solTaxField()])})
	}
	return c.documentTotals(lines)
}

func (c *call) solInvoiceLines(lineID int) []int {
	ml := c.s.models["account.move.line"]
	out := []int{}
	for _, id := range ml.sortedIDs() {
		if containsInt(asIDs(ml.recs[id]["sale_line_ids"]), lineID) {
			out = append(out, id)
		}
	}
	return out
}

func (c *call) orderInvoices(orderID int) []int {
	out := []int{}
	for _, lid := range c.children("sale.order.line", "order_id", orderID) {
		for _, aml := range c.solInvoiceLines(lid) {
			mid := asInt(c.rec("account.move.line", aml)["move_id"])
			if !containsInt(out, mid) {
				out = append(out, mid)
			}
		}
	}
	sort.Ints(out)
	return out
}

func (c *call) qtyInvoiced(lineID int) float64 {
	q := 0.0
	for _, aml := range c.solInvoiceLines(lineID) {
		l := c.rec("account.move.line", aml)
		mv := c.rec("account.move", asInt(l["move_id"]))
		if mv == nil || mv["state"] == "cancel" {
			continue
		}
		switch mv["move_type"] {
		case "out_invoice":
			q += asFloat(l["quantity"])
		case "out_refund":
			if mv["state"] == "posted" {
				q -= asFloat(l["quantity"])
			}
		}
	}
	return q
}

func (c *call) qtyToInvoice(r Record) float64 {
	if asStr(r["display_type"]) != "" {
		return 0
	}
	order := c.rec("sale.order", asInt(r["order_id"]))
	if order == nil || (order["state"] != "sale" && order["state"] != "done") {
		return 0
	}
	p := c.rec("product.product", asInt(r["product_id"]))
	base := asFloat(r["product_uom_qty"])
	if p != nil && p["invoice_policy"] == "delivery" {
		base = c.qtyDelivered(asInt(r["id"]))
	}
	return base - c.qtyInvoiced(asInt(r["id"]))
}

func (c *call) invoiceStatus(r Record) string {
	if r["state"] != "sale" && r["state"] != "done" {
		return "no"
	}
	lines := c.children("sale.order.line", "order_id", asInt(r["id"]))
	m := c.s.models["sale.order.line"]
	allInvoiced, any := true, false
	for _, lid := range lines {
		l := m.recs[lid]
		if asStr(l["display_type"]) != "" {
			continue
		}
		any = true
		if c.qtyToInvoice(l) > 0.0001 {
			return "to invoice"
		}
		if c.qtyInvoiced(lid) < asFloat(l["product_uom_qty"]) {
			allInvoiced = false
		}
	}
	if any && allInvoiced {
		return "invoiced"
	}
	return "no"
}

func (c *call) deliveryStatus(r Record) any {
	picks := c.children("stock.picking", "sale_id", asInt(r["id"]))
	if len(picks) == 0 {
		return nil
	}
	done, open := 0, 0
	for _, pid := range picks {
		switch c.rec("stock.picking", pid)["state"] {
		case "done":
			done++
		case "cancel":
		default:
			open++
		}
	}
	switch {
	case done > 0 && open == 0:
		return "full"
	case done > 0:
		return "partial"
	case open > 0:
		return "pending"
	}
	return nil
}

func soConfirm(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	for _, id := range ids {
		st := m.recs[id]["state"]
		if st != "draft" && st != "sent" {
			if c.version() >= 17 {
				return nil, userError("Some orders are not in a state requiring confirmation.")
			}
			if st == "done" || st == "cancel" {
				return nil, userError("It is not allowed to confirm an order in the following states: Locked, Cancelled")
			}
		}
	}
	for _, id := range ids {
		c.set(m, id, Record{"state": "sale", "date_order": c.s.nowStr()})
		if err := c.createDelivery(id); err != nil {
			return nil, err
		}
	}
	return true, nil
}

func soCancel(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	for _, id := range ids {
		r := m.recs[id]
		if c.version() >= 17 && truthy(r["locked"]) {
			return nil, userError("You cannot cancel a locked order. Please unlock it first.")
		}
	}
	if !truthy(c.ctx["disable_cancel_warning"]) {
		for _, id := range ids {
			if m.recs[id]["state"] == "sale" {
				ctx := newOMap()
				if c.version() <= 16 {
					ctx.Set("default_use_template", true)
				}
				ctx.Set("default_template_id", 14)
				ctx.Set("default_order_id", id)
				ctx.Set("mark_so_as_canceled", true)
				ctx.Set("default_email_layout_xmlid", "mail.mail_notification_layout_with_responsible_signature")
				ctx.Set("model_description", "Sales Order")
				viewID := 1062
				if c.version() <= 16 {
					viewID = 988
				}
				return om("name", "Cancel Sales Order", "view_mode", "form", "res_model", "sale.order.cancel", "view_id", viewID,
					"type", "ir.actions.act_window", "context", ctx, "target", "new"), nil
			}
		}
	}
	for _, id := range ids {
		// draft invoices go with the order, posted ones stay
		for _, inv := range c.orderInvoices(id) {
			if c.rec("account.move", inv)["state"] == "draft" {
				c.set(c.s.models["account.move"], inv, Record{"state": "cancel"})
			}
		}
		for _, pk := range c.children("stock.picking", "sale_id", id) {
			if st := c.rec("stock.picking", pk)["state"]; st != "done" && st != "cancel" {
				c.cancelPicking(pk)
			}
		}
		c.set(m, id, Record{"state": "cancel"})
	}
	return true, nil
}

func soDraft(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	for _, id := range ids {
		if st := m.recs[id]["state"]; st == "cancel" || st == "sent" {
			c.set(m, id, Record{"state": "draft"})
		}
	}
	return true, nil
}

func soSetLocked(lock bool) func(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	return func(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
		for _, id := range ids {
			c.set(m, id, Record{"locked": lock})
		}
		return none{}, nil
	}
}

func advCreateInvoices(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	var invoices []int
	var lastOrder Record
	for _, id := range ids {
		w := m.recs[id]
		for _, oid := range asIDs(w["sale_order_ids"]) {
			order := c.rec("sale.order", oid)
			if order == nil {
				return nil, missingError("sale.order", []int{oid})
			}
			inv, err := c.invoiceOrder(order)
			if err != nil {
				return nil, err
			}
			invoices = append(invoices, inv)
			lastOrder = order
		}
	}
	if len(invoices) == 0 {
		return nil, c.nothingToInvoice()
	}
	if c.version() <= 16 {
		return om("type", "ir.actions.act_window_close"), nil
	}
	term := lastOrder["payment_term_id"]
	var termV any = none{}
	if asInt(term) != 0 {
		termV = asInt(term)
	} else if p := c.rec("res.partner", asInt(lastOrder["partner_id"])); p != nil && asInt(p["property_payment_term_id"]) != 0 {
		termV = asInt(p["property_payment_term_id"])
	}
	ctx := om("default_move_type", "out_invoice", "default_partner_id", asInt(lastOrder["partner_id"]),
		"default_partner_shipping_id", asInt(lastOrder["partner_shipping_id"]), "default_invoice_payment_term_id", termV,
		"default_invoice_origin", asStr(lastOrder["name"]))
	act := om("id", 254, "name", "Invoices", "type", "ir.actions.act_window", "xml_id", "account.action_move_out_invoice_type",
		"help", "<p class=\"o_view_nocontent_smiling_face\">\n                Create a customer invoice\n              </p><p>\n                Create invoices, register payments and keep track of the discussions with your customers.\n              </p>\n            ",
		"binding_model_id", false, "binding_type", "action", "binding_view_types", "list,form", "display_name", "Invoices",
		"view_id", []any{674, "account.out.invoice.tree"}, "domain", "[('move_type', '=', 'out_invoice')]", "context", ctx)
	if len(invoices) == 1 {
		act.Set("res_id", invoices[0])
	}
	act.Set("res_model", "account.move")
	act.Set("target", "current")
	act.Set("view_mode", "tree,kanban,form,activity")
	act.Set("mobile_view_mode", "kanban")
	act.Set("views", []any{[]any{681, "form"}, []any{674, "tree"}, []any{false, "kanban"}, []any{false, "activity"}})
	act.Set("limit", 80)
	act.Set("groups_id", []any{})
	act.Set("search_view_id", []any{684, "account.invoice.select"})
	act.Set("filter", false)
	return act, nil
}

func (c *call) nothingToInvoice() error {
	if c.version() <= 16 {
		return userError("There is no invoiceable line. If a product has a Delivered quantities invoicing policy, please make sure that a quantity has been delivered.")
	}
	return userError("Cannot create an invoice. No items are available to invoice.\n\nTo resolve this issue, please ensure that:\n   • The products have been delivered before attempting to invoice them.\n   • The invoicing policy of the product is configured correctly.\n\nIf you want to invoice based on ordered quantities instead:\n   • For consumable or storable products, open the product, go to the 'General Information' tab and change the 'Invoicing Policy' from 'Delivered Quantities' to 'Ordered Quantities'.\n   • For services (and other products), change the 'Invoicing Policy' to 'Prepaid/Fixed Price'.\n")
}

// invoiceOrder creates the draft customer invoice of what is to invoice.
func (c *call) invoiceOrder(order Record) (int, error) {
	oid := asInt(order["id"])
	sol := c.s.models["sale.order.line"]
	var lines []any
	hasProduct := false
	for _, lid := range c.children("sale.order.line", "order_id", oid) {
		l := sol.recs[lid]
		if dt := asStr(l["display_type"]); dt != "" {
			lines = append(lines, []any{0, 0, map[string]any{"display_type": dt, "name": l["name"], "sale_line_ids": []any{[]any{6, 0, []any{lid}}}}})
			continue
		}
		q := c.qtyToInvoice(l)
		if q <= 0.0001 {
			continue
		}
		hasProduct = true
		lines = append(lines, []any{0, 0, map[string]any{"product_id": l["product_id"], "name": l["name"], "quantity": q, "price_unit": l["price_unit"],
			"discount": l["discount"], "tax_ids": []any{[]any{6, 0, intsToAny(asIDs(l[c.solTaxField()]))}}, "account_id": 24,
			"sale_line_ids": []any{[]any{6, 0, []any{lid}}}}})
	}
	if !hasProduct {
		return 0, c.nothingToInvoice()
	}
	vals := map[string]any{"move_type": "out_invoice", "partner_id": order["partner_invoice_id"], "partner_shipping_id": order["partner_shipping_id"],
		"currency_id": c.orderCurrency(order), "invoice_origin": order["name"], "journal_id": c.firstJournal("sale"),
		"invoice_line_ids": lines}
	if ref := asStr(order["client_order_ref"]); ref != "" {
		vals["ref"] = ref
	}
	if t := asInt(order["payment_term_id"]); t != 0 {
		vals["invoice_payment_term_id"] = t
	}
	return c.createIn("account.move", vals)
}
