package odoosim

// Accounting: taxes, journals, payment terms, invoices (account.move),
// payments and credit notes, with the recorded 16/17 differences.

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

func (s *store) defineAccounting() {
	v := s.version
	tg := s.addModel("account.tax.group", "Tax Group", "AccountTaxGroup", "sequence asc, id",
		fld("name", "char", "Name").req(),
		fld("sequence", "integer", "Sequence").def(10),
		fld("company_id", "many2one", "Company").rel("res.company").ver(17, 0).req().def(1),
		fld("country_id", "many2one", "Country").rel("res.country").ver(17, 0).def(233),
		fld("tax_payable_account_id", "many2one", "Tax Payable Account").rel("account.account").ver(17, 0),
		fld("tax_receivable_account_id", "many2one", "Tax Receivable Account").rel("account.account").ver(17, 0),
	)
	tgID := 1 // the group of the default taxes and of new taxes
	if v <= 16 {
		// 16: "Taxes" (sequence 0) is the default group of a new tax; the 15 % taxes
		// are in "Tax 15%".
		tg.seed(1, Record{"name": "Taxes", "sequence": 0})
		tgID = 2
		tg.seed(2, Record{"name": "Tax 15%", "sequence": 10})
	} else {
		tg.seed(1, Record{"name": "Tax 15%", "sequence": 10, "company_id": 1, "country_id": 233, "tax_payable_account_id": 20, "tax_receivable_account_id": 9})
		if v >= 19 {
			tg.seed(2, Record{"name": "Tax 0%", "sequence": 10, "company_id": 1, "country_id": 233, "tax_payable_account_id": 20, "tax_receivable_account_id": 9})
		}
	}
	newTaxGroup := 1

	acc := s.addModel("account.account", "Account", "AccountAccount", "code",
		fld("name", "char", "Account Name").req(),
		fld("code", "char", "Code").req().size(64),
		fld("account_type", "selection", "Type").sel("asset_receivable", "asset_cash", "asset_current", "income", "income_other", "liability_payable", "liability_current", "expense").req(),
		fld("company_id", "many2one", "Company").rel("res.company").ver(0, 17).req().def(1),
		fld("company_ids", "many2many", "Companies").rel("res.company").ver(18, 0).def([]int{1}),
	)
	acc.display = codeName
	acc.seed(6, Record{"name": "Account Receivable", "code": "121000", "account_type": "asset_receivable", "company_id": 1})
	acc.seed(9, Record{"name": "Tax Receivable", "code": "132000", "account_type": "asset_current", "company_id": 1})
	acc.seed(13, Record{"name": "Current Liabilities", "code": "201000", "account_type": "liability_current", "company_id": 1})
	acc.seed(19, Record{"name": "Tax Received", "code": "251000", "account_type": "liability_current", "company_id": 1})
	acc.seed(20, Record{"name": "Tax Payable", "code": "252000", "account_type": "liability_current", "company_id": 1})
	acc.seed(24, Record{"name": "Product Sales", "code": "400000", "account_type": "income", "company_id": 1})
	acc.seed(28, Record{"name": "Other Income", "code": "450000", "account_type": "income_other", "company_id": 1})
	acc.seed(41, Record{"name": "Bank", "code": "101401", "account_type": "asset_cash", "company_id": 1})
	acc.seed(42, Record{"name": "Cash", "code": "101501", "account_type": "asset_cash", "company_id": 1})
	acc.seed(43, Record{"name": "Bank Suspense Account", "code": "101402", "account_type": "asset_current", "company_id": 1})
	if v >= 18 {
		for _, r := range acc.recs {
			delete(r, "company_id")
			r["company_ids"] = []int{1}
		}
	}

	taxName := "15%"
	if v <= 16 {
		taxName = "Tax 15%"
	}
	tax := s.addModel("account.tax", "Tax", "AccountTax", "sequence,id",
		fld("name", "char", "Tax Name").req(),
		fld("amount_type", "selection", "Tax Computation").sel("group", "fixed", "percent", "division").def("percent").req(),
		fld("amount", "float", "Amount").req().def(0.0),
		fld("type_tax_use", "selection", "Tax Type").sel("sale", "purchase", "none").def("sale").req(),
		priceInclude(v),
		fld("price_include_override", "selection", "Included in Price").sel("tax_included", "tax_excluded").ver(18, 0),
		fld("include_base_amount", "boolean", "Affect Base of Subsequent Taxes").def(false),
		fld("active", "boolean", "Active").def(true),
		fld("sequence", "integer", "Sequence").def(1),
		fld("description", "char", "Label on Invoices"),
		fld("company_id", "many2one", "Company").rel("res.company").req().def(1),
		fld("tax_group_id", "many2one", "Tax Group").rel("account.tax.group").req().def(newTaxGroup),
		fld("country_id", "many2one", "Country").rel("res.country").req().def(233),
		fld("repartition_line_ids", "one2many", "Distribution").rel("account.tax.repartition.line").inv("tax_id").ver(17, 0),
		fld("invoice_repartition_line_ids", "one2many", "Distribution for Invoices").rel("account.tax.repartition.line").comp(func(c *call, r Record) any {
			return c.repartition(asInt(r["id"]), "invoice")
		}),
		fld("refund_repartition_line_ids", "one2many", "Distribution for Refund Invoices").rel("account.tax.repartition.line").comp(func(c *call, r Record) any {
			return c.repartition(asInt(r["id"]), "refund")
		}),
	)
	tax.seed(1, Record{"name": taxName, "amount_type": "percent", "amount": 15.0, "type_tax_use": "sale", "price_include": false, "include_base_amount": false, "active": true, "sequence": 1, "company_id": 1, "tax_group_id": tgID, "country_id": 233})
	tax.seed(2, Record{"name": taxName, "amount_type": "percent", "amount": 15.0, "type_tax_use": "purchase", "price_include": false, "include_base_amount": false, "active": true, "sequence": 1, "company_id": 1, "tax_group_id": tgID, "country_id": 233})
	saleTax := 1
	if v <= 16 { // 16 numbered the sale tax 2
		tax.recs[1]["type_tax_use"], tax.recs[2]["type_tax_use"] = "purchase", "sale"
		saleTax = 2
	}
	if v >= 19 {
		tax.seed(3, Record{"name": "0% Exports", "amount_type": "percent", "amount": 0.0, "type_tax_use": "sale", "price_include": false, "include_base_amount": false, "active": true, "sequence": 1, "company_id": 1, "tax_group_id": 2, "country_id": 233})
		tax.seed(4, Record{"name": "0% Imports", "amount_type": "percent", "amount": 0.0, "type_tax_use": "purchase", "price_include": false, "include_base_amount": false, "active": true, "sequence": 1, "company_id": 1, "tax_group_id": 2, "country_id": 233})
	}
	rep := s.addModel("account.tax.repartition.line", "Tax Repartition Line", "AccountTaxRepartitionLine", "document_type, repartition_type, sequence, id",
		fld("tax_id", "many2one", "Tax").rel("account.tax"),
		fld("document_type", "selection", "Related to").sel("invoice", "refund").def("invoice"),
		fld("repartition_type", "selection", "Based On").sel("base", "tax").req().def("tax"),
		fld("factor_percent", "float", "%").def(100.0),
		fld("account_id", "many2one", "Account").rel("account.account"),
		fld("sequence", "integer", "Sequence").def(1),
		fld("invoice_tax_id", "many2one", "Invoice Tax").rel("account.tax").ver(0, 16).comp(func(c *call, r Record) any {
			if r["document_type"] == "invoice" {
				return r["tax_id"]
			}
			return nil
		}),
		fld("refund_tax_id", "many2one", "Refund Tax").rel("account.tax").ver(0, 16).comp(func(c *call, r Record) any {
			if r["document_type"] == "refund" {
				return r["tax_id"]
			}
			return nil
		}),
	)
	// The sale tax books collected tax on "Tax Received"; a tax created without
	// repartition lines gets lines without accounts (Odoo's defaults).
	n := 0
	for _, t := range tax.sortedIDs() {
		account := any(nil)
		if t == saleTax {
			account = 19
		}
		for _, doc := range []string{"invoice", "refund"} {
			for _, typ := range []string{"base", "tax"} {
				n++
				r := Record{"tax_id": t, "document_type": doc, "repartition_type": typ, "factor_percent": 100.0, "sequence": 1}
				if typ == "tax" && account != nil {
					r["account_id"] = account
				}
				rep.seed(n, r)
			}
		}
	}
	tax.afterCreate = func(c *call, r Record, _ map[string]any) error {
		from := asInt(c.ctx["__copy_of"])
		m := c.s.models["account.tax.repartition.line"]
		if from != 0 {
			for _, lid := range c.children("account.tax.repartition.line", "tax_id", from) {
				l := copyRec(m.recs[lid])
				delete(l, "id")
				l["tax_id"] = r["id"]
				c.insert(m, l)
			}
			return nil
		}
		for _, doc := range []string{"invoice", "refund"} {
			for _, typ := range []string{"base", "tax"} {
				c.insert(m, Record{"tax_id": r["id"], "document_type": doc, "repartition_type": typ, "factor_percent": 100.0, "sequence": 1})
			}
		}
		return nil
	}
	tax.beforeCreate = func(c *call, r Record, _ map[string]any) error {
		if c.version() <= 16 { // 16's unique key includes tax_scope (NULL): duplicates pass
			return nil
		}
		for _, o := range c.s.models["account.tax"].recs {
			if o["name"] == r["name"] && o["type_tax_use"] == r["type_tax_use"] && asInt(o["company_id"]) == asInt(r["company_id"]) && o["active"] != false {
				return validationError(fmt.Sprintf("Tax names must be unique!\n- %s in My Company", asStr(r["name"])))
			}
		}
		return nil
	}

	term := s.addModel("account.payment.term", "Payment Terms", "AccountPaymentTerm", "sequence, id",
		fld("name", "char", "Payment Terms").req(),
		fld("active", "boolean", "Active").def(true),
		fld("sequence", "integer", "Sequence").def(10),
		fld("note", "html", "Description on the Invoice"),
	)
	for i, n := range []string{"Immediate Payment", "15 Days", "21 Days", "30 Days", "45 Days", "End of Following Month"} {
		term.seed(i+1, Record{"name": n, "active": true, "sequence": 10})
	}

	pml := s.addModel("account.payment.method.line", "Payment Methods", "AccountPaymentMethodLine", "sequence, id",
		fld("name", "char", "Name"),
		fld("journal_id", "many2one", "Journal").rel("account.journal"),
		fld("payment_type", "selection", "Payment Type").sel("inbound", "outbound"),
		fld("sequence", "integer", "Sequence").def(10),
	)
	jtypes := []string{"sale", "purchase", "cash", "bank", "general"}
	jr := s.addModel("account.journal", "Journal", "AccountJournal", "sequence, type, code",
		fld("name", "char", "Journal Name").req(),
		fld("code", "char", "Short Code").req().size(5),
		fld("type", "selection", "Type").sel(jtypes...).req(),
		fld("active", "boolean", "Active").def(true),
		fld("sequence", "integer", "Sequence").def(10),
		fld("currency_id", "many2one", "Currency").rel("res.currency"),
		fld("company_id", "many2one", "Company").rel("res.company").req().def(1),
		fld("default_account_id", "many2one", "Default Account").rel("account.account"),
		fld("suspense_account_id", "many2one", "Suspense Account").rel("account.account"),
		fld("inbound_payment_method_line_ids", "one2many", "Inbound Payment Methods").rel("account.payment.method.line").comp(func(c *call, r Record) any {
			return c.pmLines(asInt(r["id"]), "inbound")
		}),
		fld("outbound_payment_method_line_ids", "one2many", "Outbound Payment Methods").rel("account.payment.method.line").comp(func(c *call, r Record) any {
			return c.pmLines(asInt(r["id"]), "outbound")
		}),
	)
	journals := []Record{
		{"id": 1, "name": "Customer Invoices", "code": "INV", "type": "sale", "default_account_id": 24},
		{"id": 2, "name": "Vendor Bills", "code": "BILL", "type": "purchase"},
		{"id": 3, "name": "Miscellaneous Operations", "code": "MISC", "type": "general"},
		{"id": 4, "name": "Exchange Difference", "code": "EXCH", "type": "general"},
		{"id": 5, "name": "Cash Basis Taxes", "code": "CABA", "type": "general"},
		{"id": 6, "name": "Bank", "code": "BNK1", "type": "bank", "default_account_id": 41, "suspense_account_id": 43},
		{"id": 7, "name": "Cash", "code": "CSH1", "type": "cash", "default_account_id": 42, "suspense_account_id": 43},
	}
	for _, j := range journals {
		j["active"], j["company_id"], j["sequence"] = true, 1, 10
		jr.seed(j["id"].(int), j)
	}
	pmID := 0
	for _, jid := range []int{6, 7} {
		for _, pt := range []string{"inbound", "outbound"} {
			pmID++
			pml.seed(pmID, Record{"name": "Manual", "journal_id": jid, "payment_type": pt, "sequence": 10})
		}
	}
	acc.next = 59
	jr.beforeCreate = func(c *call, r Record, _ map[string]any) error {
		if asStr(r["code"]) == "" && (r["type"] == "bank" || r["type"] == "cash") {
			prefix := map[any]string{"bank": "BNK", "cash": "CSH"}[r["type"]]
			for n := 1; ; n++ {
				code := fmt.Sprintf("%s%d", prefix, n)
				if !c.journalCodeUsed(code) {
					r["code"] = code
					break
				}
			}
		}
		if code := asStr(r["code"]); code != "" && c.journalCodeUsed(code) {
			return validationError("The operation cannot be completed: Journal codes must be unique per company.")
		}
		return nil
	}
	jr.afterCreate = func(c *call, r Record, _ map[string]any) error {
		if r["type"] != "bank" && r["type"] != "cash" {
			return nil
		}
		am := c.s.models["account.account"]
		if asInt(r["default_account_id"]) == 0 {
			aid := c.insert(am, Record{"name": r["name"], "code": fmt.Sprintf("1014%02d", am.next+1-40), "account_type": "asset_cash"})
			r["default_account_id"] = aid
		}
		r["suspense_account_id"] = 43
		for _, pt := range []string{"inbound", "outbound"} {
			c.insert(c.s.models["account.payment.method.line"], Record{"name": "Manual", "journal_id": r["id"], "payment_type": pt, "sequence": 10})
		}
		return nil
	}
	jr.beforeWrite = func(c *call, r Record, vals map[string]any) error {
		if code, ok := vals["code"]; ok && code != r["code"] && c.journalCodeUsed(asStr(code)) {
			return validationError("The operation cannot be completed: Journal codes must be unique per company.")
		}
		return nil
	}

	s.defineMoves()
	s.definePayments()
}

// repartition lists a tax's repartition lines of one document type.
func (c *call) repartition(tax int, doc string) []int {
	m := c.s.models["account.tax.repartition.line"]
	out := []int{}
	for _, id := range c.children("account.tax.repartition.line", "tax_id", tax) {
		if m.recs[id]["document_type"] == doc {
			out = append(out, id)
		}
	}
	return out
}

// deliveryAddress is address_get(['delivery']) of a partner: its first delivery
// contact, else itself.
func (c *call) deliveryAddress(partner int) int {
	for _, cid := range c.children("res.partner", "parent_id", partner) {
		if c.rec("res.partner", cid)["type"] == "delivery" {
			return cid
		}
	}
	return partner
}

func (c *call) journalCodeUsed(code string) bool {
	for _, j := range c.s.models["account.journal"].recs {
		if j["code"] == code {
			return true
		}
	}
	return false
}

func (c *call) pmLines(journal int, typ string) []int {
	m := c.s.models["account.payment.method.line"]
	out := []int{}
	for _, id := range m.sortedIDs() {
		if asInt(m.recs[id]["journal_id"]) == journal && m.recs[id]["payment_type"] == typ {
			out = append(out, id)
		}
	}
	return out
}

// ---------------------------------------------------------------- moves

var moveTypes = []string{"entry", "out_invoice", "out_refund", "in_invoice", "in_refund", "out_receipt", "in_receipt"}

func (s *store) defineMoves() {
	v := s.version
	mv := s.addModel("account.move", "Journal Entry", "AccountMove", "date desc, name desc, id desc",
		fld("name", "char", "Number").def("/"),
		fld("move_type", "selection", "Type").sel(moveTypes...).req().def("entry"),
		fld("state", "selection", "Status").sel("draft", "posted", "cancel").req().def("draft"),
		fld("partner_id", "many2one", "Partner").rel("res.partner"),
		fld("commercial_partner_id", "many2one", "Commercial Entity").rel("res.partner").comp(func(c *call, r Record) any { return c.commercialPartner(asInt(r["partner_id"])) }),
		fld("partner_shipping_id", "many2one", "Delivery Address").rel("res.partner"),
		fld("date", "date", "Date").req().deff(func(c *call) any { return c.s.today() }),
		fld("invoice_date", "date", "Invoice/Bill Date"),
		fld("invoice_date_due", "date", "Due Date").comp(func(c *call, r Record) any {
			if r["move_type"] == "entry" {
				return nil
			}
			if d := asStr(r["invoice_date"]); d != "" {
				return d
			}
			return c.s.today()
		}),
		fld("delivery_date", "date", "Delivery Date").ver(17, 0),
		fld("ref", "char", "Reference"),
		fld("payment_reference", "char", "Payment Reference"),
		fld("invoice_origin", "char", "Origin"),
		fld("narration", "html", "Terms and Conditions"),
		fld("journal_id", "many2one", "Journal").rel("account.journal").req(),
		fld("company_id", "many2one", "Company").rel("res.company").def(1),
		fld("currency_id", "many2one", "Currency").rel("res.currency").req(),
		fld("company_currency_id", "many2one", "Company Currency").rel("res.currency").comp(func(c *call, r Record) any { return asInt(c.rec("res.company", 1)["currency_id"]) }),
		fld("invoice_payment_term_id", "many2one", "Payment Terms").rel("account.payment.term"),
		fld("fiscal_position_id", "many2one", "Fiscal Position").rel("account.fiscal.position"),
		fld("invoice_user_id", "many2one", "Salesperson").rel("res.users").def(2),
		fld("invoice_line_ids", "one2many", "Invoice lines").rel("account.move.line").inv("move_id").keep(func(l Record) bool { return l["display_type"] != "payment_term" }),
		fld("line_ids", "one2many", "Journal Items").rel("account.move.line").inv("move_id"),
		fld("amount_untaxed", "monetary", "Untaxed Amount").comp(func(c *call, r Record) any { u, _ := c.moveTotals(r); return fl(u) }),
		fld("amount_tax", "monetary", "Tax").comp(func(c *call, r Record) any { _, t := c.moveTotals(r); return fl(t) }),
		fld("amount_total", "monetary", "Total").comp(func(c *call, r Record) any { u, t := c.moveTotals(r); return fl(u.Add(t)) }),
		fld("amount_residual", "monetary", "Amount Due").comp(func(c *call, r Record) any { return fl(c.moveResidual(r)) }),
		fld("amount_total_signed", "monetary", "Total Signed").comp(func(c *call, r Record) any {
			u, t := c.moveTotals(r)
			return c.signed(r, u.Add(t))
		}),
		fld("amount_residual_signed", "monetary", "Amount Due Signed").comp(func(c *call, r Record) any { return c.signed(r, c.moveResidual(r)) }),
		fld("payment_state", "selection", "Payment Status").sel("not_paid", "in_payment", "paid", "partial", "reversed", "invoicing_legacy").comp(func(c *call, r Record) any { return c.paymentState(r) }),
		fld("reversed_entry_id", "many2one", "Reversal of").rel("account.move"),
		fld("reversal_move_id", "one2many", "Reversal Move").rel("account.move").inv("reversed_entry_id"),
	)
	mv.display = moveDisplay
	mv.next = 0
	mv.beforeCreate = func(c *call, r Record, vals map[string]any) error {
		mt := asStr(r["move_type"])
		if asInt(r["journal_id"]) == 0 {
			jtype := "general"
			if strings.HasPrefix(mt, "out_") {
				jtype = "sale"
			} else if strings.HasPrefix(mt, "in_") {
				jtype = "purchase"
			}
			r["journal_id"] = c.firstJournal(jtype)
		}
		if asInt(r["currency_id"]) == 0 {
			r["currency_id"] = asInt(c.rec("res.company", 1)["currency_id"])
		}
		if mt != "entry" && asInt(r["partner_shipping_id"]) == 0 && asInt(r["partner_id"]) != 0 {
			// address_get(['delivery']): the partner's delivery contact, else itself
			r["partner_shipping_id"] = c.deliveryAddress(asInt(r["partner_id"]))
		}
		return nil
	}
	mv.beforeWrite = func(c *call, r Record, vals map[string]any) error {
		if r["state"] == "posted" {
			for _, k := range []string{"invoice_line_ids", "line_ids", "partner_id", "currency_id", "journal_id", "invoice_date", "move_type"} {
				if _, ok := vals[k]; ok && vals[k] != r[k] {
					return userError(fmt.Sprintf("You cannot edit the following fields due to restrict mode being activated on the journal: %s.", k))
				}
			}
		}
		return nil
	}
	mv.beforeUnlink = func(c *call, r Record) error {
		if r["state"] != "draft" && r["state"] != "cancel" {
			if c.paid(r).IsPositive() {
				return userError(fmt.Sprintf("You cannot do this modification on a reconciled journal entry. You can just change some non legal fields or you must unreconcile first.\nJournal Entry (id): %s (%d)", asStr(r["name"]), asInt(r["id"])))
			}
			return userError("You cannot delete an entry which has been posted once.")
		}
		return nil
	}
	mv.method(&Method{Name: "action_post", Multi: true, Fn: moveActionPost})
	mv.method(&Method{Name: "button_draft", Multi: true, Fn: moveButtonDraft})
	mv.method(&Method{Name: "button_cancel", Multi: true, Fn: moveButtonCancel})

	ml := s.addModel("account.move.line", "Journal Item", "AccountMoveLine", "date desc, move_name desc, id",
		fld("move_id", "many2one", "Journal Entry").rel("account.move").req(),
		fld("move_name", "char", "Number").comp(func(c *call, r Record) any { return c.rec("account.move", asInt(r["move_id"]))["name"] }),
		fld("date", "date", "Date").comp(func(c *call, r Record) any { return c.rec("account.move", asInt(r["move_id"]))["date"] }),
		fld("partner_id", "many2one", "Partner").rel("res.partner").comp(func(c *call, r Record) any { return c.rec("account.move", asInt(r["move_id"]))["partner_id"] }),
		fld("product_id", "many2one", "Product").rel("product.product"),
		fld("name", "char", "Label"),
		fld("display_type", "selection", "Display Type").sel("product", "cogs", "tax", "discount", "rounding", "payment_term", "line_section", "line_note", "epd").def("product"),
		fld("quantity", "float", "Quantity").def(1.0),
		fld("price_unit", "float", "Unit Price"),
		fld("discount", "float", "Discount (%)").def(0.0),
		fld("tax_ids", "many2many", "Taxes").rel("account.tax"),
		fld("account_id", "many2one", "Account").rel("account.account"),
		fld("product_uom_id", "many2one", "Unit of Measure").rel("uom.uom"),
		fld("currency_id", "many2one", "Currency").rel("res.currency").comp(func(c *call, r Record) any { return c.rec("account.move", asInt(r["move_id"]))["currency_id"] }),
		fld("price_subtotal", "monetary", "Subtotal").comp(func(c *call, r Record) any { u, _ := c.moveLineAmounts(r); return fl(u) }),
		fld("price_total", "monetary", "Total").comp(func(c *call, r Record) any { u, t := c.moveLineAmounts(r); return fl(u.Add(t)) }),
		fld("sale_line_ids", "many2many", "Sales Order Lines").rel("sale.order.line"),
		fld("sequence", "integer", "Sequence").def(10),
		fld("discount_percentage", "float", "Discount Percentage").ver(0, 16).comp(func(c *call, r Record) any { return asFloat(r["discount"]) }),
		fld("account_type", "selection", "Internal Type").sel("asset_receivable", "asset_cash", "asset_current", "income", "income_other", "liability_payable", "liability_current", "expense").comp(func(c *call, r Record) any {
			return c.rec("account.account", asInt(r["account_id"]))["account_type"]
		}),
		fld("amount_residual", "monetary", "Residual Amount").comp(func(c *call, r Record) any { return c.lineResidual(r, true) }),
		fld("amount_residual_currency", "monetary", "Residual Amount in Currency").comp(func(c *call, r Record) any { return c.lineResidual(r, false) }),
		fld("reconciled", "boolean", "Reconciled").comp(func(c *call, r Record) any { return c.lineReconciled(r) }),
	)
	ml.method(&Method{Name: "reconcile", Multi: true, Fn: lineReconcile})
	_ = v
	ml.beforeCreate = func(c *call, r Record, vals map[string]any) error {
		move := c.rec("account.move", asInt(r["move_id"]))
		if err := c.fillProductLine(r, vals, "quantity", "tax_ids", asInt(move["currency_id"]), false); err != nil {
			return err
		}
		if dt := asStr(r["display_type"]); (dt == "" || dt == "product") && asInt(r["account_id"]) == 0 {
			// the product's income account, else its category's, else the journal's
			acc := 0
			if p := c.rec("product.product", asInt(r["product_id"])); p != nil {
				if acc = asInt(p["property_account_income_id"]); acc == 0 {
					acc = asInt(c.rec("product.category", asInt(p["categ_id"]))["property_account_income_categ_id"])
				}
			}
			if acc == 0 {
				acc = asInt(c.rec("account.journal", asInt(move["journal_id"]))["default_account_id"])
			}
			if acc != 0 {
				r["account_id"] = acc
			}
		}
		return nil
	}
	ml.beforeWrite = func(c *call, r Record, vals map[string]any) error {
		if mvr := c.rec("account.move", asInt(r["move_id"])); mvr != nil && mvr["state"] == "posted" {
			return userError("You cannot modify a posted entry of this journal because it is in strict mode.")
		}
		return nil
	}
}

func moveDisplay(c *call, r Record) string {
	name := ""
	if r["state"] == "draft" {
		name = map[string]string{"out_invoice": "Draft Invoice", "out_refund": "Draft Credit Note", "in_invoice": "Draft Bill", "in_refund": "Draft Vendor Credit Note", "out_receipt": "Draft Sales Receipt", "in_receipt": "Draft Purchase Receipt", "entry": "Draft Entry"}[asStr(r["move_type"])] + " "
	}
	if n := asStr(r["name"]); n == "" || n == "/" {
		name += fmt.Sprintf("(* %d)", asInt(r["id"]))
	} else {
		name += n
	}
	if ref := asStr(r["ref"]); ref != "" {
		if len([]rune(ref)) > 50 {
			ref = string([]rune(ref)[:45]) + "[...]"
		}
		name += " (" + ref + ")"
	}
	return name
}

func (c *call) firstJournal(typ string) int {
	m := c.s.models["account.journal"]
	for _, id := range m.sortedIDs() {
		if m.recs[id]["type"] == typ && m.recs[id]["active"] != false {
			return id
		}
	}
	return 0
}

// fillProductLine defaults name, price and taxes of a sale/invoice line from
// its product, like the onchanges/computes do on create.
func (c *call) fillProductLine(r Record, vals map[string]any, qtyField, taxField string, currency int, _ bool) error {
	pid := asInt(r["product_id"])
	dt := asStr(r["display_type"])
	if dt == "line_note" || dt == "line_section" {
		return nil
	}
	if pid == 0 {
		return nil
	}
	p := c.rec("product.product", pid)
	if p == nil {
		return missingError("product.product", []int{pid})
	}
	if _, ok := vals["name"]; !ok {
		r["name"] = productDisplay(c, p)
	}
	if _, ok := vals["price_unit"]; !ok {
		r["price_unit"] = c.productPrice(p, currency)
	}
	if _, ok := vals[taxField]; !ok {
		var taxes []int
		for _, t := range asIDs(p["taxes_id"]) {
			taxes = append(taxes, t)
		}
		if taxes == nil {
			taxes = []int{}
		}
		r[taxField] = taxes
	}
	if _, ok := r["product_uom_id"]; !ok {
		r["product_uom_id"] = 1
	}
	return nil
}

// productPrice is the list price converted to the document currency.
func (c *call) productPrice(p Record, currency int) float64 {
	price := asFloat(p["list_price"])
	if currency != 0 {
		price *= c.rateOf(currency)
	}
	return round2f(price)
}

func (c *call) moveLineAmounts(r Record) (decimal.Decimal, decimal.Decimal) {
	if dt := asStr(r["display_type"]); dt != "product" && dt != "" {
		return decimal.Zero, decimal.Zero
	}
	return c.lineAmounts(asFloat(r["price_unit"]), asFloat(r["quantity"]), asFloat(r["discount"]), asIDs(r["tax_ids"]))
}

func (c *call) moveTotals(r Record) (decimal.Decimal, decimal.Decimal) {
	ml := c.s.models["account.move.line"]
	var lines []docLine
	for _, lid := range c.children("account.move.line", "move_id", asInt(r["id"])) {
		l := ml.recs[lid]
		if dt := asStr(l["display_type"]); dt != "product" && dt != "" {
			continue
		}
		lines = append(lines, docLine{asFloat(l["price_unit"]), asFloat(l["quantity"]), asFloat(l["discount"]), asIDs(l["tax_ids"])})
	}
	return c.documentTotals(lines)
}

func (c *call) paid(r Record) decimal.Decimal {
	if p, ok := r["__paid"].(decimal.Decimal); ok {
		return p
	}
	return decimal.Zero
}

func (c *call) moveResidual(r Record) decimal.Decimal {
	if r["move_type"] == "entry" || r["state"] == "cancel" {
		return decimal.Zero
	}
	u, t := c.moveTotals(r)
	res := u.Add(t).Sub(c.paid(r))
	if res.IsNegative() {
		return decimal.Zero
	}
	return res
}

func (c *call) signed(r Record, amount decimal.Decimal) float64 {
	rate := c.rateOf(asInt(r["currency_id"]))
	if rate != 0 && rate != 1 {
		amount = amount.Div(dec(rate))
	}
	if mt := asStr(r["move_type"]); mt == "out_refund" || mt == "in_invoice" {
		amount = amount.Neg()
	}
	return fl(amount)
}

// paymentState is _compute_payment_state: settled in full by credit notes alone, an
// invoice is "reversed"; with a payment among what settled it, "paid".
func (c *call) paymentState(r Record) string {
	if r["state"] != "posted" || r["move_type"] == "entry" {
		return "not_paid"
	}
	p := c.paid(r)
	if p.IsZero() {
		return "not_paid"
	}
	u, t := c.moveTotals(r)
	if p.GreaterThanOrEqual(u.Add(t)) {
		if r["move_type"] == "out_invoice" && r["__bypay"] != true && r["__bycredit"] == true {
			return "reversed"
		}
		return "paid"
	}
	return "partial"
}

func (c *call) moveSeqName(r Record) string {
	j := c.rec("account.journal", asInt(r["journal_id"]))
	code := asStr(j["code"])
	if r["move_type"] == "out_refund" || r["move_type"] == "in_refund" {
		code = "R" + code
	}
	date := asStr(r["invoice_date"])
	if date == "" {
		date = asStr(r["date"])
	}
	year := date[:4]
	key := code + "/" + year
	return fmt.Sprintf("%s/%05d", key, c.s.nextSeq(key))
}

func moveActionPost(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	for _, id := range ids {
		r := m.recs[id]
		if r["state"] != "draft" {
			if c.version() <= 16 && r["state"] == "posted" {
				return nil, userError(fmt.Sprintf("The entry %s (id %d) is already posted.", asStr(r["name"]), id))
			}
			return nil, userError(fmt.Sprintf("The entry %s (id %d) must be in draft.", asStr(r["name"]), id))
		}
		mt := asStr(r["move_type"])
		if mt != "entry" && asInt(r["partner_id"]) == 0 {
			label := map[string]string{"out_invoice": "Customer Invoice", "out_refund": "Customer Credit Note", "in_invoice": "Vendor Bill", "in_refund": "Vendor Credit Note"}[mt]
			who := "Customer"
			if strings.HasPrefix(mt, "in_") {
				who = "Vendor"
			}
			return nil, userError(fmt.Sprintf("The field '%s' is required, please complete it to validate the %s.", who, label))
		}
		if len(c.children("account.move.line", "move_id", id)) == 0 && mt != "entry" {
			return nil, userError("You need to add a line before posting.")
		}
		upd := Record{"state": "posted"}
		if mt != "entry" && asStr(r["invoice_date"]) == "" {
			upd["invoice_date"] = c.s.today()
			r2 := copyRec(r)
			r2["invoice_date"] = upd["invoice_date"]
			r = r2
		}
		if n := asStr(r["name"]); n == "" || n == "/" {
			upd["name"] = c.moveSeqName(r)
		}
		c.set(m, id, upd)
		c.ensureReceivable(id)
		// 17+: _post reconciles a credit note with the posted entry it reverses.
		if rev := c.rec("account.move", asInt(r["reversed_entry_id"])); c.version() >= 17 && rev != nil && rev["state"] == "posted" {
			c.settle(asInt(rev["id"]), id)
		}
	}
	return false, nil
}

func moveButtonDraft(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	for _, id := range ids {
		r := m.recs[id]
		if c.paid(r).IsPositive() {
			return nil, userError("You cannot modify a posted entry that has been reconciled.")
		}
		c.set(m, id, Record{"state": "draft"})
	}
	return false, nil
}

func moveButtonCancel(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	for _, id := range ids {
		if m.recs[id]["state"] != "draft" {
			return nil, userError("Only draft journal entries can be cancelled.")
		}
		c.set(m, id, Record{"state": "cancel"})
	}
	return false, nil
}

// priceInclude: stored up to 17; from 18 computed from price_include_override (the
// company default, tax excluded here, applies when it is empty).
func priceInclude(v int) *fb {
	if v >= 18 {
		return fld("price_include", "boolean", "Included in Price").comp(func(c *call, r Record) any { return taxIncluded(r) })
	}
	return fld("price_include", "boolean", "Included in Price").def(false)
}
