package odoo

import (
	"context"
	"fmt"
	"slices"

	"github.com/synco-dev/synco/schemas"
)

// Returns: the refunded items Shopify restocks (restock_type return, cancel or
// legacy_restock) come back through a return of the order's validated delivery (the
// stock.return.picking wizard, as the Return button does), in the refunded
// quantities, validated so the stock is on hand again. One per refund: registered
// under ReturnXMLID once validated; a return of the delivery that no refund of the
// order claims is taken as the one a crash left unregistered. A delivery not yet
// validated is left as it is, with a warning; no_restock makes no return.

// restocked is what a refund puts back, by Shopify line item.
func restocked(rf schemas.Refund) map[int64]int64 {
	out := map[int64]int64{}
	for _, rl := range rf.RefundLineItems {
		if restocks(rl.RestockType) && rl.Quantity > 0 {
			out[rl.LineItemID] += int64(rl.Quantity)
		}
	}
	return out
}

// ReturnCreate is the return wizard's method: create_returns up to 17,
// action_create_returns from 18.
func (d dialect) ReturnCreate() string {
	if d.version >= 18 {
		return "action_create_returns"
	}
	return "create_returns"
}

// MoveQty is the stock.move field of the quantity moved: quantity_done on 16,
// quantity from 17.
func (d dialect) MoveQty() string {
	if d.version <= 16 {
		return "quantity_done"
	}
	return "quantity"
}

func (r *run) returns(ctx context.Context, l *life, so int64, refunds []schemas.Refund) error {
	var want []schemas.Refund
	claimed := map[int64]bool{}
	for _, rf := range refunds {
		ref := l.refs[ReturnXMLID(r.cmd.Shop, rf.ID)]
		if ref.id > 0 {
			claimed[ref.resID] = true
			continue
		}
		if len(restocked(rf)) > 0 {
			want = append(want, rf)
		}
	}
	if len(want) == 0 {
		return nil
	}
	picks, err := SearchRead(ctx, r.c, "stock.picking", []any{[]any{"sale_id", "=", so}},
		[]string{"id", "name", "state", "picking_type_code", "origin", "location_id", "move_ids"}, map[string]any{"order": "id"})
	if err != nil {
		return err
	}
	var delivery Record
	outgoing := 0
	for _, p := range picks {
		if p.String("picking_type_code") != "outgoing" {
			continue
		}
		outgoing++
		if delivery == nil && p.String("state") == "done" {
			delivery = p
		}
	}
	if delivery == nil {
		if outgoing > 0 {
			r.warn("Shopify restocks items of %d refund(s) but the order's delivery is not validated in Odoo: no stock return made", len(want))
		}
		return nil
	}
	// Returns of the delivery no refund of this order claims: made before a crash.
	var orphans []Record
	for _, p := range picks {
		if p.String("origin") == "Return of "+delivery.String("name") && p.String("picking_type_code") == "incoming" && !claimed[p.ID()] && p.String("state") != "cancel" {
			orphans = append(orphans, p)
		}
	}
	lines, err := r.invoiceLines(ctx, l)
	if err != nil {
		return err
	}
	moves, err := Read(ctx, r.c, "stock.move", delivery.IDs("move_ids"), []string{"id", "product_id", r.d.MoveQty(), "state"})
	if err != nil {
		return err
	}
	for _, rf := range want {
		var pid int64
		state := ""
		if len(orphans) > 0 {
			pid, state = orphans[0].ID(), orphans[0].String("state")
			orphans = orphans[1:]
		} else {
			var cmds []any
			for liID, qty := range restocked(rf) {
				il, li := r.invoiceLineOf(lines, liID)
				if il == nil {
					if li != nil {
						r.warn("Shopify refund %d restocks %q, which is not on the invoice: not returned", rf.ID, itemTitle(li))
					}
					continue
				}
				i := slices.IndexFunc(moves, func(m Record) bool {
					return m.M2O("product_id") == il.M2O("product_id") && m.String("state") == "done"
				})
				if i < 0 {
					continue // a service, or not delivered
				}
				v := map[string]any{"product_id": il.M2O("product_id"), "quantity": float64(qty), "move_id": moves[i].ID()}
				if r.d.version <= 17 {
					v["to_refund"] = true
				}
				cmds = append(cmds, []any{0, 0, v})
			}
			if len(cmds) == 0 {
				continue
			}
			wctx := map[string]any{"active_id": delivery.ID(), "active_ids": []int64{delivery.ID()}, "active_model": "stock.picking"}
			vals := map[string]any{"product_return_moves": cmds}
			if r.d.version <= 16 {
				// 16 fills the lines and the location by an onchange only
				vals["location_id"] = delivery.M2O("location_id")
			}
			wiz, err := Create(ctx, r.c, "stock.return.picking", vals, map[string]any{"context": wctx})
			if err != nil {
				return err
			}
			ans, err := r.c.Call(ctx, "stock.return.picking", r.d.ReturnCreate(), []any{[]int64{wiz}}, map[string]any{"context": wctx})
			if err != nil {
				return err
			}
			if act, ok := ans.(map[string]any); ok {
				pid = Record(act).Int("res_id")
			}
			if pid == 0 {
				return permanent("stock.return.picking", r.d.ReturnCreate(), 0, "", fmt.Sprintf("Odoo made no return of %s", delivery.String("name")))
			}
			r.s.log.Info("odoo: created stock return", "order", r.key, "refund", rf.ID, "picking", pid)
		}
		if state != "done" {
			if err := r.validatePicking(ctx, pid); err != nil {
				return err
			}
		}
		// Registered once validated: a return left unvalidated by a crash stays an orphan
		// and is validated by the next run.
		r.register(ReturnXMLID(r.cmd.Shop, rf.ID), "stock.picking", pid, xmlRef{})
	}
	return nil
}

// validatePicking validates a picking with its reserved quantities, answering the
// wizards Odoo may put in between (16's immediate transfer; the SMS confirmation is
// skipped by context).
func (r *run) validatePicking(ctx context.Context, id int64) error {
	if r.d.version <= 16 {
		// 16 validates done quantities; its immediate transfer would take the reserved
		// ones, which a return need not have.
		pk, err := Read(ctx, r.c, "stock.picking", []int64{id}, []string{"move_ids"})
		if err != nil {
			return err
		}
		if len(pk) > 0 {
			mvs, err := Read(ctx, r.c, "stock.move", pk[0].IDs("move_ids"), []string{"id", "product_uom_qty"})
			if err != nil {
				return err
			}
			for _, mv := range mvs {
				if err := Write(ctx, r.c, "stock.move", []int64{mv.ID()}, map[string]any{"quantity_done": mv["product_uom_qty"]}); err != nil {
					return err
				}
			}
		}
	}
	pctx := map[string]any{"skip_sms": true}
	ans, err := r.c.Call(ctx, "stock.picking", "button_validate", []any{[]int64{id}}, map[string]any{"context": pctx})
	if err != nil && !IsNoneFault(err) {
		return err
	}
	for range 3 {
		act, ok := ans.(map[string]any)
		if !ok {
			return nil
		}
		model, _ := act["res_model"].(string)
		wctx, _ := act["context"].(map[string]any)
		if wctx == nil {
			wctx = map[string]any{}
		}
		var method string
		switch model {
		case "stock.immediate.transfer", "stock.backorder.confirmation":
			method = "process"
		case "":
			return nil
		default:
			return permanent("stock.picking", "button_validate", 0, "", fmt.Sprintf("validating the return asks %s, which Synco does not answer", model))
		}
		vals := map[string]any{}
		if model == "stock.immediate.transfer" {
			vals["pick_ids"] = []any{[]any{4, id}}
		}
		wiz, err := Create(ctx, r.c, model, vals, map[string]any{"context": wctx})
		if err != nil {
			return err
		}
		if ans, err = r.c.Call(ctx, model, method, []any{[]int64{wiz}}, map[string]any{"context": wctx}); err != nil && !IsNoneFault(err) {
			return err
		}
	}
	return nil
}
