package odoosim

// Payment registration and credit note wizards. Both read the target moves
// from the context (active_model/active_ids) as Odoo's default_get does.

import (
	"fmt"

	"github.com/shopspring/decimal"
)

func (c *call) activeMoves() ([]int, error) {
	if c.ctx["active_model"] != "account.move" {
		return nil, userError("The register payment wizard should only be called on account.move or account.move.line records.")
	}
	ids := asIDs(c.ctx["active_ids"])
	if len(ids) == 0 && truthy(c.ctx["active_id"]) {
		ids = []int{asInt(c.ctx["active_id"])}
	}
	if err := c.checkExist(c.s.models["account.move"], ids); err != nil {
		return nil, err
	}
	return ids, nil
}

func (s *store) definePayments() {
	reg := s.addModel("account.payment.register", "Register Payment", "AccountPaymentRegister", "id",
		fld("payment_date", "date", "Payment Date").req().deff(func(c *call) any { return c.s.today() }),
		fld("amount", "monetary", "Amount"),
		fld("communication", "char", "Memo"),
		fld("currency_id", "many2one", "Currency").rel("res.currency"),
		fld("journal_id", "many2one", "Journal").rel("account.journal"),
		fld("payment_method_line_id", "many2one", "Payment Method").rel("account.payment.method.line"),
		fld("payment_type", "selection", "Payment Type").sel("outbound", "inbound"),
		fld("partner_type", "selection", "Partner Type").sel("customer", "supplier"),
		fld("partner_id", "many2one", "Customer/Vendor").rel("res.partner"),
		fld("payment_difference", "monetary", "Payment Difference").comp(func(c *call, r Record) any {
			total := decimal.Zero
			for _, id := range asIDs(r["__moves"]) {
				total = total.Add(c.moveResidual(c.rec("account.move", id)))
			}
			return fl(total.Sub(dec(asFloat(r["amount"]))))
		}),
		fld("payment_difference_handling", "selection", "Payment Difference Handling").sel("open", "reconcile").def("open"),
		fld("group_payment", "boolean", "Group Payments").def(true),
	)
	reg.beforeCreate = func(c *call, r Record, vals map[string]any) error {
		ids, err := c.activeMoves()
		if err != nil {
			return err
		}
		residual := decimal.Zero
		var first Record
		for _, id := range ids {
			mv := c.rec("account.move", id)
			if mv["state"] != "posted" {
				return userError("You can only register payment for posted journal entries.")
			}
			if first == nil {
				first = mv
			}
			residual = residual.Add(c.moveResidual(mv))
		}
		if first == nil || residual.IsZero() {
			return userError("You can't register a payment because there is nothing left to pay on the selected journal items.")
		}
		r["__moves"] = ids
		if _, ok := vals["amount"]; !ok {
			r["amount"] = fl(residual)
		}
		if asInt(r["journal_id"]) == 0 {
			r["journal_id"] = c.firstJournal("bank")
		}
		if asInt(r["currency_id"]) == 0 {
			r["currency_id"] = first["currency_id"]
		}
		pt := "inbound"
		if first["move_type"] == "out_refund" || first["move_type"] == "in_invoice" {
			pt = "outbound"
		}
		if _, ok := vals["payment_type"]; !ok {
			r["payment_type"] = pt
		}
		r["partner_type"] = "customer"
		r["partner_id"] = c.commercialPartner(asInt(first["partner_id"]))
		if asInt(r["payment_method_line_id"]) == 0 {
			if l := c.pmLines(asInt(r["journal_id"]), asStr(r["payment_type"])); len(l) > 0 {
				r["payment_method_line_id"] = l[0]
			}
		}
		if _, ok := vals["communication"]; !ok {
			comm := asStr(first["payment_reference"])
			if comm == "" && first["move_type"] == "out_refund" {
				comm = asStr(first["ref"])
			}
			if comm == "" {
				comm = asStr(first["name"])
			}
			r["communication"] = comm
		}
		if j := c.rec("account.journal", asInt(r["journal_id"])); j == nil || (j["type"] != "bank" && j["type"] != "cash") {
			if j != nil {
				return userError("The journal must be a bank or cash journal.")
			}
		}
		return nil
	}
	reg.method(&Method{Name: "action_create_payments", Multi: true, Fn: regCreatePayments})

	pay := s.addModel("account.payment", "Payments", "AccountPayment", "date desc, name desc",
		fld("name", "char", "Number").def("/"),
		fld("move_id", "many2one", "Journal Entry").rel("account.move"),
		fld("amount", "monetary", "Amount"),
		fld("currency_id", "many2one", "Currency").rel("res.currency"),
		fld("state", "selection", "Status").sel("draft", "posted", "cancel").def("draft"),
		fld("journal_id", "many2one", "Journal").rel("account.journal"),
		fld("payment_type", "selection", "Payment Type").sel("outbound", "inbound").def("inbound").req(),
		fld("partner_type", "selection", "Partner Type").sel("customer", "supplier").def("customer"),
		fld("partner_id", "many2one", "Customer/Vendor").rel("res.partner"),
		fld("ref", "char", "Memo").ver(0, 17),
		fld("memo", "char", "Memo").ver(18, 0),
		fld("date", "date", "Date").deff(func(c *call) any { return c.s.today() }),
		fld("is_reconciled", "boolean", "Is Reconciled").def(false),
		fld("reconciled_invoice_ids", "many2many", "Reconciled Invoices").rel("account.move"),
		fld("payment_method_line_id", "many2one", "Payment Method").rel("account.payment.method.line"),
	)
	pay.display = func(c *call, r Record) string { return asStr(r["name"]) }

	rev := s.addModel("account.move.reversal", "Account Move Reversal", "AccountMoveReversal", "id",
		fld("move_ids", "many2many", "Move").rel("account.move"),
		fld("reason", "char", reasonLabel(s.version)),
		fld("date", "date", "Reversal date").deff(func(c *call) any { return c.s.today() }),
		fld("refund_method", "selection", "Credit Method").sel("refund", "cancel", "modify").def("refund").req().ver(0, 16),
		fld("date_mode", "selection", "Date Mode").sel("custom", "entry").def("custom").req().ver(0, 16),
		fld("journal_id", "many2one", reversalJournalLabel(s.version)).rel("account.journal").req(),
		fld("company_id", "many2one", "Company").rel("res.company").def(1),
		fld("new_move_ids", "many2many", "New Move").rel("account.move"),
	)
	rev.beforeCreate = func(c *call, r Record, vals map[string]any) error {
		if _, ok := vals["move_ids"]; !ok && c.ctx["active_model"] == "account.move" {
			ids := asIDs(c.ctx["active_ids"])
			for _, id := range ids {
				mv := c.rec("account.move", id)
				if mv == nil {
					return missingError("account.move", []int{id})
				}
				if mv["state"] != "posted" {
					return userError("You can only reverse posted moves.")
				}
			}
			r["move_ids"] = ids
		}
		return nil
	}
	if s.version >= 17 {
		rev.method(&Method{Name: "refund_moves", Multi: true, Fn: reverseMoves})
		rev.method(&Method{Name: "modify_moves", Multi: true, Fn: func(c *call, m *Model, ids []int, a map[string]any) (any, error) {
			a["is_modify"] = true
			return reverseMoves(c, m, ids, a)
		}})
	}
	rev.method(&Method{Name: "reverse_moves", Multi: true, Params: []string{"is_modify"}, Fn: reverseMoves})
	if s.version <= 16 {
		rev.methods["reverse_moves"].Params = nil
	}
}

func reasonLabel(v int) string {
	if v <= 16 {
		return "Reason"
	}
	return "Reason displayed on Credit Note"
}

func reversalJournalLabel(v int) string {
	if v <= 16 {
		return "Use Specific Journal"
	}
	return "Journal"
}

func regCreatePayments(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	var last int
	for _, id := range ids {
		w := m.recs[id]
		amount := dec(asFloat(w["amount"]))
		moves := asIDs(w["__moves"])
		jr := c.rec("account.journal", asInt(w["journal_id"]))
		date := asStr(w["payment_date"])
		key := "P" + asStr(jr["code"]) + "/" + date[:4]
		name := fmt.Sprintf("%s/%05d", key, c.s.nextSeq(key))
		comm := asStr(w["communication"])
		entryRef := name
		if comm != "" {
			entryRef = comm
		}
		mvID, err := c.createIn("account.move", map[string]any{"move_type": "entry", "journal_id": jr["id"], "date": date, "ref": entryRef, "partner_id": w["partner_id"], "currency_id": w["currency_id"]})
		if err != nil {
			return nil, err
		}
		c.set(c.s.models["account.move"], mvID, Record{"name": name, "state": "posted"})
		// allocate the amount over the invoices in order
		left := amount
		var reconciled []int
		for _, mid := range moves {
			mv := c.rec("account.move", mid)
			res := c.moveResidual(mv)
			if res.IsZero() || !left.IsPositive() {
				continue
			}
			take := decimal.Min(res, left)
			c.set(c.s.models["account.move"], mid, Record{"__paid": c.paid(mv).Add(take), "__bypay": true})
			left = left.Sub(take)
			reconciled = append(reconciled, mid)
		}
		if reconciled == nil {
			reconciled = []int{}
		}
		vals := map[string]any{"name": name, "move_id": mvID, "amount": asFloat(w["amount"]), "currency_id": w["currency_id"], "state": "posted",
			"journal_id": jr["id"], "payment_type": w["payment_type"], "partner_type": w["partner_type"], "partner_id": w["partner_id"],
			"date": date, "is_reconciled": len(reconciled) > 0, "reconciled_invoice_ids": []any{[]any{6, 0, intsToAny(reconciled)}},
			"payment_method_line_id": w["payment_method_line_id"]}
		if c.version() >= 18 {
			vals["memo"] = comm
		} else {
			vals["ref"] = comm
		}
		pid, err := c.createIn("account.payment", vals)
		if err != nil {
			return nil, err
		}
		last = pid
	}
	return om("name", "Payments", "type", "ir.actions.act_window", "res_model", "account.payment", "context", om("create", false), "view_mode", "form", "res_id", last), nil
}

func intsToAny(ids []int) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func reverseMoves(c *call, m *Model, ids []int, a map[string]any) (any, error) {
	var created []int
	var mtype string
	for _, id := range ids {
		w := m.recs[id]
		for _, mid := range asIDs(w["move_ids"]) {
			mv := c.rec("account.move", mid)
			if mv == nil {
				return nil, missingError("account.move", []int{mid})
			}
			rtype := map[string]string{"out_invoice": "out_refund", "out_refund": "out_invoice", "in_invoice": "in_refund", "in_refund": "in_invoice"}[asStr(mv["move_type"])]
			if rtype == "" {
				rtype = "entry"
			}
			mtype = rtype
			ref := "Reversal of: " + asStr(mv["name"])
			if reason := asStr(w["reason"]); reason != "" {
				ref += ", " + reason
			}
			var lines []any
			ml := c.s.models["account.move.line"]
			for _, lid := range c.children("account.move.line", "move_id", mid) {
				l := ml.recs[lid]
				if l["display_type"] == "payment_term" {
					continue // the reversal gets its own receivable line when posted
				}
				lv := map[string]any{"name": l["name"], "quantity": l["quantity"], "price_unit": l["price_unit"], "discount": l["discount"],
					"display_type": l["display_type"], "tax_ids": []any{[]any{6, 0, intsToAny(asIDs(l["tax_ids"]))}},
					"sale_line_ids": []any{[]any{6, 0, intsToAny(asIDs(l["sale_line_ids"]))}}}
				if p := asInt(l["product_id"]); p != 0 {
					lv["product_id"] = p
				}
				if acc := asInt(l["account_id"]); acc != 0 {
					lv["account_id"] = acc
				}
				lines = append(lines, []any{0, 0, lv})
			}
			date := asStr(w["date"])
			if date == "" {
				date = c.s.today()
			}
			vals := map[string]any{"move_type": rtype, "partner_id": mv["partner_id"], "journal_id": w["journal_id"], "currency_id": mv["currency_id"],
				"ref": ref, "invoice_origin": mv["invoice_origin"], "invoice_date": date, "date": date, "reversed_entry_id": mid,
				"invoice_line_ids": lines}
			nid, err := c.createIn("account.move", vals)
			if err != nil {
				return nil, err
			}
			if truthy(a["is_modify"]) {
				// full refund: post and reconcile with the original
				if _, err := moveActionPost(c, c.s.models["account.move"], []int{nid}, nil); err != nil {
					return nil, err
				}
				if c.version() <= 16 { // 17+: posting reconciled them
					c.settle(mid, nid)
				}
			}
			created = append(created, nid)
		}
		c.set(m, id, Record{"new_move_ids": created})
	}
	act := om("name", "Reverse Moves", "type", "ir.actions.act_window", "res_model", "account.move")
	if len(created) == 1 {
		act.Set("view_mode", "form")
		act.Set("res_id", created[0])
	} else {
		act.Set("view_mode", "tree,form")
		act.Set("domain", []any{[]any{"id", "in", intsToAny(created)}})
	}
	if mtype == "" {
		mtype = "out_refund"
	}
	act.Set("context", om("default_move_type", mtype))
	return act, nil
}
