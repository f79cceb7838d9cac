package odoosim

import (
	"strings"
	"testing"
)

// A confirmed order's lines as sale and sale_stock guard them (recorded behaviour of
// 16 and 17): a quantity never goes below what was delivered, a line is never
// deleted (its quantity goes to 0), a locked order's protected fields are refused
// with their labels, and the open delivery follows the quantities (a new line joins
// it; a line at 0 cancels its move).
func TestConfirmedOrderLinesAreGuarded(t *testing.T) {
	for _, v := range []int{16, 17} {
		s, url := start(t, Options{Version: v})
		call := func(model, method string, args []any, kw map[string]any) any {
			t.Helper()
			res, f := rpc(t, url, model, method, args, kw)
			if f != nil && !strings.Contains(f.String, "cannot marshal None unless allow_none is enabled") {
				t.Fatalf("%d %s.%s: %s", v, model, method, f.String)
			}
			return res
		}
		refused := func(model, method string, args []any, want string) {
			t.Helper()
			if _, f := rpc(t, url, model, method, args, nil); f == nil || f.Code != 2 || !strings.Contains(f.String, want) {
				t.Fatalf("%d %s.%s: want the user error %q, got %+v", v, model, method, want, f)
			}
		}
		pid := call("res.partner", "create", []any{map[string]any{"name": "Buyer"}}, nil).(int)
		kind := "detailed_type"
		if v >= 18 {
			kind = "type"
		}
		prod := call("product.product", "create", []any{map[string]any{"name": "Box", kind: "consu", "invoice_policy": "order"}}, nil).(int)
		so := call("sale.order", "create", []any{map[string]any{"partner_id": pid, "order_line": []any{
			[]any{0, 0, map[string]any{"product_id": prod, "product_uom_qty": 3.0, "price_unit": 10.0}},
			[]any{0, 0, map[string]any{"product_id": prod, "product_uom_qty": 1.0, "price_unit": 5.0}}}}}, nil).(int)
		call("sale.order", "action_confirm", []any{[]any{so}}, nil)
		var lines []int
		for _, l := range s.Records("sale.order.line") {
			if l["order_id"].([]any)[0] == so {
				lines = append(lines, l["id"].(int))
			}
		}
		// A line is set to 0, never deleted; its move is cancelled.
		refused("sale.order", "write", []any{[]any{so}, map[string]any{"order_line": []any{[]any{2, lines[1]}}}}, "Set the quantity to 0 instead.")
		call("sale.order", "write", []any{[]any{so}, map[string]any{"order_line": []any{[]any{1, lines[1], map[string]any{"product_uom_qty": 0.0, "price_unit": 5.0}}}}}, nil)
		open := func() (qty float64, moves int) {
			for _, m := range s.Records("stock.move") {
				if st := m["state"]; st != "done" && st != "cancel" {
					moves++
					qty += m["product_uom_qty"].(float64)
				}
			}
			return
		}
		if q, n := open(); q != 3 || n != 1 {
			t.Fatalf("%d: open moves %v units in %d moves, want 3 in 1", v, q, n)
		}
		// A new line joins the open delivery.
		call("sale.order", "write", []any{[]any{so}, map[string]any{"order_line": []any{[]any{0, 0, map[string]any{"product_id": prod, "product_uom_qty": 2.0, "price_unit": 7.0}}}}}, nil)
		if q, n := open(); q != 5 || n != 2 {
			t.Fatalf("%d: open moves %v units in %d moves after a new line, want 5 in 2", v, q, n)
		}
		// Deliver everything, then lowering below it is refused.
		for _, p := range s.Records("stock.picking") {
			if v <= 16 {
				for _, m := range s.Records("stock.move") {
					if m["picking_id"].([]any)[0] == p["id"] {
						call("stock.move", "write", []any{[]any{m["id"]}, map[string]any{"quantity_done": m["product_uom_qty"]}}, nil)
					}
				}
			}
			call("stock.picking", "button_validate", []any{[]any{p["id"]}}, map[string]any{"context": map[string]any{"skip_sms": true}})
		}
		refused("sale.order", "write", []any{[]any{so}, map[string]any{"order_line": []any{[]any{1, lines[0], map[string]any{"product_uom_qty": 2.0, "price_unit": 10.0}}}}},
			"cannot be decreased below the amount already delivered")
		// A locked order refuses its protected fields, naming them.
		if v >= 17 {
			call("sale.order", "action_lock", []any{[]any{so}}, nil)
		} else {
			call("sale.order", "action_done", []any{[]any{so}}, nil)
		}
		refused("sale.order", "write", []any{[]any{so}, map[string]any{"order_line": []any{[]any{1, lines[0], map[string]any{"price_unit": 11.0}}}}},
			"It is forbidden to modify the following fields in a locked order:\nUnit Price")
	}
}
