package odoosim

// Receivable lines and their reconciliation. A posted customer invoice or credit
// note holds one receivable line (display_type payment_term, invoice_line_ids leaves
// it out); its residual is the move's. account.move.line.reconcile settles the
// smaller residual of an invoice and a credit note on both, as Odoo's partials do.
// 17+ reconcile a credit note with the invoice it reverses when it is posted (_post
// calls _reconcile_reversed_moves); 16 leaves that to the caller.
//
// reconcile's answer: 16 returns a dict of recordsets (Fault 1 "cannot marshal
// <class 'odoo.api.account.partial.reconcile'> objects"), 17+ None (the None fault);
// both after the commit. Lines already reconciled: Fault 2 up to 18, left out on 19.

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// receivableAccount is the sim's "121000 Account Receivable".
const receivableAccount = 6

// unmarshalable is a result Python's marshaller refuses (a recordset), after the
// method committed.
type unmarshalable struct{ class string }

func unmarshalableFault(class string) *Fault {
	msg := fmt.Sprintf("cannot marshal <class '%s'> objects", class)
	s := tbHead + tbMarshal + `  File "/usr/lib/python3/xmlrpc/client.py", line 607, in dump_struct
    dump(v, write)
  File "/usr/lib/python3/xmlrpc/client.py", line 532, in __dump
    raise TypeError("cannot marshal %s objects" % type(value))
TypeError: ` + msg + "\n"
	return &Fault{Code: 1, String: s, Exception: "builtins.TypeError", Message: msg, Status: 500}
}

// ensureReceivable gives a posted customer invoice or credit note its receivable line.
func (c *call) ensureReceivable(move int) {
	mv := c.rec("account.move", move)
	switch mv["move_type"] {
	case "out_invoice", "out_refund", "out_receipt":
	default:
		return
	}
	ml := c.s.models["account.move.line"]
	for _, lid := range c.children("account.move.line", "move_id", move) {
		if ml.recs[lid]["display_type"] == "payment_term" {
			return
		}
	}
	c.insert(ml, Record{"move_id": move, "display_type": "payment_term", "account_id": receivableAccount, "name": "",
		"quantity": 1.0, "price_unit": 0.0, "discount": 0.0, "tax_ids": []int{}, "sale_line_ids": []int{}, "sequence": 10})
}

func (c *call) isReceivable(l Record) bool {
	return c.rec("account.account", asInt(l["account_id"]))["account_type"] == "asset_receivable"
}

// lineResidual is a receivable line's residual (debit positive), in the company
// currency or the move's; other lines' is 0 (not reconcilable).
func (c *call) lineResidual(l Record, company bool) float64 {
	if !c.isReceivable(l) {
		return 0
	}
	mv := c.rec("account.move", asInt(l["move_id"]))
	res := c.moveResidual(mv)
	if company {
		return c.signed(mv, res)
	}
	if mv["move_type"] == "out_refund" {
		res = res.Neg()
	}
	return fl(res)
}

func (c *call) lineReconciled(l Record) bool {
	if !c.isReceivable(l) {
		return false
	}
	mv := c.rec("account.move", asInt(l["move_id"]))
	return mv["state"] == "posted" && c.moveResidual(mv).IsZero()
}

// settle reconciles an invoice with a credit note: the smaller residual is taken off
// both.
func (c *call) settle(inv, cn int) {
	m := c.s.models["account.move"]
	a, b := m.recs[inv], m.recs[cn]
	amount := decimal.Min(c.moveResidual(a), c.moveResidual(b))
	if !amount.IsPositive() {
		return
	}
	c.set(m, inv, Record{"__paid": c.paid(a).Add(amount), "__bycredit": true})
	c.set(m, cn, Record{"__paid": c.paid(b).Add(amount), "__bycredit": true})
}

func lineReconcile(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	var debit, credit []int // moves of the lines, by side
	for _, id := range ids {
		l := m.recs[id]
		mv := c.rec("account.move", asInt(l["move_id"]))
		if mv["state"] != "posted" {
			return nil, userError("You can only reconcile posted entries.")
		}
		if !c.isReceivable(l) {
			acc := c.rec("account.account", asInt(l["account_id"]))
			return nil, userError(fmt.Sprintf("Account %s does not allow reconciliation. First change the configuration of this account to allow it.", codeName(c, acc)))
		}
		if c.lineReconciled(l) {
			if c.version() >= 19 {
				continue
			}
			return nil, userError("You are trying to reconcile some entries that are already reconciled.")
		}
		if mv["move_type"] == "out_refund" {
			credit = append(credit, asInt(mv["id"]))
		} else {
			debit = append(debit, asInt(mv["id"]))
		}
	}
	for _, d := range debit {
		for _, cr := range credit {
			c.settle(d, cr)
		}
	}
	if c.version() <= 16 {
		return unmarshalable{class: "odoo.api.account.partial.reconcile"}, nil
	}
	return none{}, nil
}
