package odoosim

// Stock, simplified: one warehouse, a delivery picking per confirmed order,
// validation (with the stock_sms wizard on the first validation unless
// skip_sms), returns and on-hand quantities.

import "fmt"

func (s *store) defineStock() {
	v := s.version
	loc := s.addModel("stock.location", "Inventory Locations", "Location", "complete_name, id",
		fld("name", "char", "Location Name").req(),
		fld("complete_name", "char", "Full Location Name"),
		fld("usage", "selection", "Location Type").sel("supplier", "view", "internal", "customer", "inventory", "production", "transit"),
	)
	loc.display = func(c *call, r Record) string { return asStr(r["complete_name"]) }
	loc.seed(4, Record{"name": "Vendors", "complete_name": "Partners/Vendors", "usage": "supplier"})
	loc.seed(5, Record{"name": "Customers", "complete_name": "Partners/Customers", "usage": "customer"})
	loc.seed(8, Record{"name": "Stock", "complete_name": "WH/Stock", "usage": "internal"})
	loc.seed(14, Record{"name": "Inventory adjustment", "complete_name": "Virtual Locations/Inventory adjustment", "usage": "inventory"})

	pt := s.addModel("stock.picking.type", "Picking Type", "PickingType", "sequence, id",
		fld("name", "char", "Operation Type").req(),
		fld("code", "selection", "Type of Operation").sel("incoming", "outgoing", "internal"),
		fld("sequence_code", "char", "Sequence Prefix"),
		fld("warehouse_id", "many2one", "Warehouse").rel("stock.warehouse"),
	)
	pt.display = func(c *call, r Record) string { return "My Company: " + asStr(r["name"]) }
	pt.seed(1, Record{"name": "Receipts", "code": "incoming", "sequence_code": "IN", "warehouse_id": 1})
	pt.seed(2, Record{"name": "Delivery Orders", "code": "outgoing", "sequence_code": "OUT", "warehouse_id": 1})
	retType := 1
	if v <= 16 {
		pt.seed(6, Record{"name": "Returns", "code": "incoming", "sequence_code": "RET", "warehouse_id": 1})
		retType = 6
	}
	wh := s.addModel("stock.warehouse", "Warehouse", "Warehouse", "sequence,id",
		fld("name", "char", "Warehouse").req(),
		fld("code", "char", "Short Name").req().size(5),
		fld("lot_stock_id", "many2one", "Location Stock").rel("stock.location"),
		fld("out_type_id", "many2one", "Out Type").rel("stock.picking.type"),
		fld("in_type_id", "many2one", "In Type").rel("stock.picking.type"),
		fld("company_id", "many2one", "Company").rel("res.company").def(1),
	)
	wh.seed(1, Record{"name": "My Company", "code": "WH", "lot_stock_id": 8, "out_type_id": 2, "in_type_id": 1, "company_id": 1})

	pk := s.addModel("stock.picking", "Transfer", "Picking", "priority desc, scheduled_date asc, id desc",
		fld("name", "char", "Reference").def("/"),
		fld("origin", "char", "Source Document"),
		fld("state", "selection", "Status").sel("draft", "waiting", "confirmed", "assigned", "done", "cancel").def("draft"),
		fld("picking_type_id", "many2one", "Operation Type").rel("stock.picking.type").req(),
		fld("picking_type_code", "selection", "Type of Operation").sel("incoming", "outgoing", "internal").comp(func(c *call, r Record) any {
			return c.rec("stock.picking.type", asInt(r["picking_type_id"]))["code"]
		}),
		fld("partner_id", "many2one", "Contact").rel("res.partner"),
		fld("location_id", "many2one", "Source Location").rel("stock.location").req(),
		fld("location_dest_id", "many2one", "Destination Location").rel("stock.location").req(),
		fld("move_ids", "one2many", "Stock Moves").rel("stock.move").inv("picking_id"),
		fld("sale_id", "many2one", "Sales Order").rel("sale.order"),
		fld("scheduled_date", "datetime", "Scheduled Date").deff(func(c *call) any { return c.s.nowStr() }),
		fld("date_done", "datetime", "Date of Transfer"),
		fld("priority", "selection", "Priority").sel("0", "1").def("0"),
		fld("return_id", "many2one", "Return of").rel("stock.picking").ver(17, 0),
	)
	pk.next = 0
	pk.method(&Method{Name: "button_validate", Multi: true, Fn: pickingValidate})
	pk.method(&Method{Name: "action_cancel", Multi: true, Fn: func(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
		for _, id := range ids {
			c.cancelPicking(id)
		}
		return true, nil
	}})
	pk.method(&Method{Name: "action_assign", Multi: true, Fn: func(c *call, m *Model, ids []int, _ map[string]any) (any, error) { return true, nil }})

	mvFields := []*fb{
		fld("name", "char", "Description"),
		fld("picking_id", "many2one", "Transfer").rel("stock.picking"),
		fld("product_id", "many2one", "Product").rel("product.product").req(),
		fld("product_uom_qty", "float", "Demand").req().def(0.0),
		fld("product_uom", "many2one", "UoM").rel("uom.uom").def(1),
		fld("state", "selection", "Status").sel("draft", "waiting", "confirmed", "partially_available", "assigned", "done", "cancel").def("draft"),
		fld("location_id", "many2one", "Source Location").rel("stock.location").req(),
		fld("location_dest_id", "many2one", "Destination Location").rel("stock.location").req(),
		fld("sale_line_id", "many2one", "Sale Line").rel("sale.order.line"),
		fld("origin_returned_move_id", "many2one", "Origin return move").rel("stock.move"),
		fld("to_refund", "boolean", "Update quantities on SO/PO").def(false),
		fld("move_line_ids", "one2many", "Move Line").rel("stock.move.line").inv("move_id"),
	}
	if v >= 17 {
		mvFields = append(mvFields, fld("quantity", "float", "Quantity"), fld("picked", "boolean", "Picked").def(false))
	} else {
		mvFields = append(mvFields, fld("quantity_done", "float", "Quantity Done").def(0.0),
			fld("reserved_availability", "float", "Quantity Reserved").comp(func(c *call, r Record) any {
				if r["state"] == "assigned" {
					return asFloat(r["product_uom_qty"])
				}
				return 0.0
			}))
	}
	sm := s.addModel("stock.move", "Stock Move", "StockMove", "sequence, id", mvFields...)
	sm.display = func(c *call, r Record) string {
		name := ""
		if p := c.rec("stock.picking", asInt(r["picking_id"])); p != nil && asStr(p["origin"]) != "" {
			name = asStr(p["origin"]) + "/"
		}
		if p := c.rec("product.product", asInt(r["product_id"])); p != nil && asStr(p["default_code"]) != "" {
			name += asStr(p["default_code"]) + ": "
		}
		return name + asStr(c.rec("stock.location", asInt(r["location_id"]))["name"]) + ">" + asStr(c.rec("stock.location", asInt(r["location_dest_id"]))["name"])
	}
	sm.next = 0
	mlFields := []*fb{
		fld("move_id", "many2one", "Stock Operation").rel("stock.move"),
		fld("product_id", "many2one", "Product").rel("product.product"),
	}
	if v >= 17 {
		mlFields = append(mlFields, fld("quantity", "float", "Quantity"), fld("picked", "boolean", "Picked"))
	} else {
		mlFields = append(mlFields, fld("qty_done", "float", "Done"), fld("reserved_uom_qty", "float", "Reserved").req())
	}
	s.addModel("stock.move.line", "Product Moves (Stock Move Line)", "StockMoveLine", "id", mlFields...)

	q := s.addModel("stock.quant", "Quants", "StockQuant", "id",
		fld("product_id", "many2one", "Product").rel("product.product").req(),
		fld("location_id", "many2one", "Location").rel("stock.location").req(),
		fld("quantity", "float", "Quantity").def(0.0),
		fld("inventory_quantity", "float", "Counted Quantity"),
	)
	q.method(&Method{Name: "action_apply_inventory", Multi: true, Fn: func(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
		for _, id := range ids {
			r := m.recs[id]
			c.set(m, id, Record{"quantity": asFloat(r["inventory_quantity"]), "inventory_quantity": 0.0})
		}
		return none{}, nil
	}})
	cq := s.addModel("stock.change.product.qty", "Change Product Quantity", "ProductChangeQuantity", "id",
		fld("product_id", "many2one", "Product").rel("product.product").req(),
		fld("product_tmpl_id", "many2one", "Template").rel("product.template").req(),
		fld("new_quantity", "float", "New Quantity on Hand").req().def(1.0),
	)
	cq.method(&Method{Name: "change_product_qty", Multi: true, Fn: func(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
		for _, id := range ids {
			r := m.recs[id]
			c.setOnHand(asInt(r["product_id"]), asFloat(r["new_quantity"]))
		}
		return om("type", "ir.actions.act_window_close"), nil
	}})

	sms := s.addModel("confirm.stock.sms", "Confirm Stock SMS", "ConfirmStockSms", "id",
		fld("pick_ids", "many2many", "Pick").rel("stock.picking"))
	smsDone := func(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
		c.s.smsAsked = true
		var picks []int
		for _, id := range ids {
			picks = append(picks, asIDs(m.recs[id]["pick_ids"])...)
		}
		c.ctx["skip_sms"] = true
		return pickingValidate(c, c.s.models["stock.picking"], picks, nil)
	}
	sms.method(&Method{Name: "send_sms", Multi: true, Fn: smsDone})
	sms.method(&Method{Name: "dont_send_sms", Multi: true, Fn: smsDone})

	rp := s.addModel("stock.return.picking", "Return Picking", "ReturnPicking", "id",
		fld("picking_id", "many2one", "Picking").rel("stock.picking"),
		fld("product_return_moves", "one2many", "Moves").rel("stock.return.picking.line").inv("wizard_id"),
		fld("location_id", "many2one", "Return Location").rel("stock.location"),
	)
	s.addModel("stock.return.picking.line", "Product Return Moves", "ReturnPickingLine", "id",
		fld("product_id", "many2one", "Product").rel("product.product").req(),
		fld("quantity", "float", "Quantity").req().def(0.0),
		fld("move_id", "many2one", "Move").rel("stock.move"),
		fld("wizard_id", "many2one", "Wizard").rel("stock.return.picking"),
		fld("to_refund", "boolean", "Update quantities on SO/PO").def(true),
	)
	rp.beforeCreate = func(c *call, r Record, vals map[string]any) error {
		if asInt(r["picking_id"]) == 0 && c.ctx["active_model"] == "stock.picking" {
			r["picking_id"] = asInt(c.ctx["active_id"])
		}
		p := c.rec("stock.picking", asInt(r["picking_id"]))
		if p != nil && p["state"] != "done" {
			return userError("You may only return Done pickings.")
		}
		return nil
	}
	rp.afterCreate = func(c *call, r Record, vals map[string]any) error {
		// 17 computes lines and location on create; 16 only in an onchange
		if c.version() <= 16 {
			return nil
		}
		if _, ok := vals["location_id"]; !ok {
			if p := c.rec("stock.picking", asInt(r["picking_id"])); p != nil {
				c.set(c.s.models["stock.return.picking"], asInt(r["id"]), Record{"location_id": p["location_id"]})
			}
		}
		if _, ok := vals["product_return_moves"]; ok {
			return nil
		}
		for _, mid := range c.children("stock.move", "picking_id", asInt(r["picking_id"])) {
			mv := c.rec("stock.move", mid)
			if _, err := c.createIn("stock.return.picking.line", map[string]any{"wizard_id": r["id"], "product_id": mv["product_id"], "quantity": c.moveDoneQty(mv), "move_id": mid}); err != nil {
				return err
			}
		}
		return nil
	}
	// 18 renamed create_returns to action_create_returns (real 18 has no create_returns).
	createName := "create_returns"
	if v >= 18 {
		createName = "action_create_returns"
	}
	rp.method(&Method{Name: createName, Multi: true, Fn: func(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
		return c.createReturns(ids[0], retType)
	}})

	if v <= 16 {
		it := s.addModel("stock.immediate.transfer", "Immediate Transfer", "StockImmediateTransfer", "id",
			fld("pick_ids", "many2many", "Pick").rel("stock.picking"))
		it.beforeCreate = func(c *call, r Record, vals map[string]any) error {
			if _, ok := vals["pick_ids"]; !ok {
				r["pick_ids"] = asIDs(c.ctx["button_validate_picking_ids"])
			}
			return nil
		}
		it.method(&Method{Name: "process", Multi: true, Fn: func(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
			for _, id := range ids {
				for _, pid := range asIDs(m.recs[id]["pick_ids"]) {
					for _, mid := range c.children("stock.move", "picking_id", pid) {
						mv := c.rec("stock.move", mid)
						c.set(c.s.models["stock.move"], mid, Record{"quantity_done": mv["product_uom_qty"]})
					}
					c.ctx["skip_immediate"] = true
					if res, err := pickingValidate(c, c.s.models["stock.picking"], []int{pid}, nil); err != nil || res != true {
						return res, err
					}
				}
			}
			return true, nil
		}})
	}
}

func (c *call) moveDoneQty(mv Record) float64 {
	if c.version() >= 17 {
		return asFloat(mv["quantity"])
	}
	return asFloat(mv["quantity_done"])
}

// createDelivery makes the outgoing picking of a confirmed order.
func (c *call) createDelivery(orderID int) error {
	order := c.rec("sale.order", orderID)
	sol := c.s.models["sale.order.line"]
	var lines []int
	for _, lid := range c.children("sale.order.line", "order_id", orderID) {
		l := sol.recs[lid]
		p := c.rec("product.product", asInt(l["product_id"]))
		if p == nil || p["type"] == "service" || p["type"] == "combo" {
			continue
		}
		lines = append(lines, lid)
	}
	if len(lines) == 0 {
		return nil
	}
	name := fmt.Sprintf("WH/OUT/%05d", c.s.nextSeq("WH/OUT"))
	pid := c.insert(c.s.models["stock.picking"], Record{"name": name, "origin": order["name"], "state": "assigned", "picking_type_id": 2,
		"partner_id": order["partner_shipping_id"], "location_id": 8, "location_dest_id": 5, "sale_id": orderID,
		"scheduled_date": c.s.nowStr(), "priority": "0", "create_date": c.s.nowStr(), "write_date": c.s.nowStr()})
	for _, lid := range lines {
		l := sol.recs[lid]
		mv := Record{"name": l["name"], "picking_id": pid, "product_id": l["product_id"], "product_uom_qty": asFloat(l["product_uom_qty"]), "product_uom": 1,
			"state": "assigned", "location_id": 8, "location_dest_id": 5, "sale_line_id": lid, "create_date": c.s.nowStr(), "write_date": c.s.nowStr()}
		if c.version() >= 17 {
			mv["quantity"], mv["picked"] = asFloat(l["product_uom_qty"]), false
		} else {
			mv["quantity_done"] = 0.0
		}
		c.reserveLine(c.insert(c.s.models["stock.move"], mv), mv)
	}
	return nil
}

// followDelivery makes a confirmed order's open outgoing move of a line carry what is
// left to deliver: changed in place, cancelled at 0, or added to the order's open
// delivery (a new one when every delivery is done), as sale_stock does on a
// quantity change or a new line.
func (c *call) followDelivery(lineID int) {
	l := c.rec("sale.order.line", lineID)
	if l == nil {
		return
	}
	orderID := asInt(l["order_id"])
	order := c.rec("sale.order", orderID)
	p := c.rec("product.product", asInt(l["product_id"]))
	if order == nil || order["state"] != "sale" || p == nil || p["type"] == "service" || p["type"] == "combo" || asStr(l["display_type"]) != "" {
		return
	}
	want := asFloat(l["product_uom_qty"]) - c.qtyDelivered(lineID)
	mm := c.s.models["stock.move"]
	for _, id := range mm.sortedIDs() {
		mv := mm.recs[id]
		if asInt(mv["sale_line_id"]) != lineID || mv["state"] == "done" || mv["state"] == "cancel" || asInt(mv["location_dest_id"]) != 5 {
			continue
		}
		upd := Record{"product_uom_qty": want}
		if c.version() >= 17 {
			upd["quantity"] = want
		}
		if want <= 0 {
			upd = Record{"state": "cancel"}
		}
		c.set(mm, id, upd)
		return
	}
	if want <= 0 {
		return
	}
	pid := 0
	for _, pk := range c.children("stock.picking", "sale_id", orderID) {
		if st := c.rec("stock.picking", pk)["state"]; st != "done" && st != "cancel" {
			pid = pk
			break
		}
	}
	if pid == 0 {
		name := fmt.Sprintf("WH/OUT/%05d", c.s.nextSeq("WH/OUT"))
		pid = c.insert(c.s.models["stock.picking"], Record{"name": name, "origin": order["name"], "state": "assigned", "picking_type_id": 2,
			"partner_id": order["partner_shipping_id"], "location_id": 8, "location_dest_id": 5, "sale_id": orderID,
			"scheduled_date": c.s.nowStr(), "priority": "0", "create_date": c.s.nowStr(), "write_date": c.s.nowStr()})
	}
	mv := Record{"name": l["name"], "picking_id": pid, "product_id": l["product_id"], "product_uom_qty": want, "product_uom": 1,
		"state": "assigned", "location_id": 8, "location_dest_id": 5, "sale_line_id": lineID, "create_date": c.s.nowStr(), "write_date": c.s.nowStr()}
	if c.version() >= 17 {
		mv["quantity"], mv["picked"] = want, false
	} else {
		mv["quantity_done"] = 0.0
	}
	c.reserveLine(c.insert(mm, mv), mv)
}

// reserveLine creates the move line of a reserved move (17 shows one).
func (c *call) reserveLine(moveID int, mv Record) {
	ml := Record{"move_id": moveID, "product_id": mv["product_id"]}
	if c.version() >= 17 {
		ml["quantity"], ml["picked"] = mv["product_uom_qty"], false
	} else {
		ml["qty_done"], ml["reserved_uom_qty"] = 0.0, mv["product_uom_qty"]
	}
	c.insert(c.s.models["stock.move.line"], ml)
}

func (c *call) cancelPicking(id int) {
	c.set(c.s.models["stock.picking"], id, Record{"state": "cancel"})
	for _, mid := range c.children("stock.move", "picking_id", id) {
		c.set(c.s.models["stock.move"], mid, Record{"state": "cancel"})
	}
}

func pickingValidate(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	for _, id := range ids {
		st := m.recs[id]["state"]
		if st == "done" || st == "cancel" {
			return nil, userError("You cannot validate a transfer if no quantities are reserved nor done. To force the transfer, switch in edit mode and encode the done quantities.")
		}
	}
	if c.version() <= 16 && !truthy(c.ctx["skip_immediate"]) {
		allZero := true
		for _, id := range ids {
			for _, mid := range c.children("stock.move", "picking_id", id) {
				if asFloat(c.rec("stock.move", mid)["quantity_done"]) > 0 {
					allZero = false
				}
			}
		}
		if allZero {
			ctx := newOMap()
			for _, k := range sortedKeys(c.ctx) {
				ctx.Set(k, c.ctx[k])
			}
			ctx.Set("button_validate_picking_ids", intsToAny(ids))
			ctx.Set("default_show_transfers", false)
			picks := []any{}
			for _, id := range ids {
				picks = append(picks, []any{4, id})
			}
			ctx.Set("default_pick_ids", picks)
			return om("name", "Immediate Transfer?", "type", "ir.actions.act_window", "view_mode", "form", "res_model", "stock.immediate.transfer", "views", []any{[]any{786, "form"}}, "view_id", 786, "target", "new", "context", ctx), nil
		}
	}
	outgoing := false
	for _, id := range ids {
		if c.get(m, m.recs[id], "picking_type_code") == "outgoing" {
			outgoing = true
		}
	}
	if outgoing && !c.s.smsAsked && !truthy(c.ctx["skip_sms"]) {
		wid, err := c.createIn("confirm.stock.sms", map[string]any{"pick_ids": []any{[]any{6, 0, intsToAny(ids)}}})
		if err != nil {
			return nil, err
		}
		view := 1044
		if c.version() <= 16 {
			view = 957
		}
		return om("name", "SMS", "type", "ir.actions.act_window", "view_mode", "form", "res_model", "confirm.stock.sms", "views", []any{[]any{view, "form"}},
			"view_id", view, "target", "new", "res_id", wid, "context", om("button_validate_picking_ids", intsToAny(ids))), nil
	}
	for _, id := range ids {
		for _, mid := range c.children("stock.move", "picking_id", id) {
			mv := c.rec("stock.move", mid)
			if mv["state"] == "cancel" {
				continue
			}
			qty := c.moveDoneQty(mv)
			upd := Record{"state": "done"}
			if c.version() >= 17 {
				upd["picked"] = true
				if qty == 0 {
					qty = asFloat(mv["product_uom_qty"])
					upd["quantity"] = qty
				}
			} else if qty == 0 {
				qty = asFloat(mv["product_uom_qty"])
				upd["quantity_done"] = qty
			}
			c.set(c.s.models["stock.move"], mid, upd)
			pid := asInt(mv["product_id"])
			if asInt(mv["location_id"]) == 8 {
				c.setOnHand(pid, c.onHand(pid)-qty)
			} else if asInt(mv["location_dest_id"]) == 8 {
				c.setOnHand(pid, c.onHand(pid)+qty)
			}
		}
		c.set(m, id, Record{"state": "done", "date_done": c.s.nowStr()})
	}
	return true, nil
}

func (c *call) createReturns(wizID, retType int) (any, error) {
	w := c.rec("stock.return.picking", wizID)
	orig := c.rec("stock.picking", asInt(w["picking_id"]))
	lines := c.children("stock.return.picking.line", "wizard_id", wizID)
	total := 0.0
	for _, lid := range lines {
		total += asFloat(c.rec("stock.return.picking.line", lid)["quantity"])
	}
	if orig == nil || total <= 0 {
		return nil, userError("Please specify at least one non-zero quantity.")
	}
	if asInt(w["location_id"]) == 0 {
		return nil, mandatoryFault("Transfer", "stock.picking", "Destination Location", "location_dest_id")
	}
	prefix := "WH/IN"
	if retType == 6 {
		prefix = "WH/RET"
	}
	name := fmt.Sprintf("%s/%05d", prefix, c.s.nextSeq(prefix))
	rec := Record{"name": name, "origin": "Return of " + asStr(orig["name"]), "state": "assigned", "picking_type_id": retType,
		"partner_id": orig["partner_id"], "location_id": orig["location_dest_id"], "location_dest_id": w["location_id"], "sale_id": orig["sale_id"],
		"scheduled_date": c.s.nowStr(), "priority": "0", "create_date": c.s.nowStr(), "write_date": c.s.nowStr()}
	if c.version() >= 17 {
		rec["return_id"] = orig["id"]
	}
	pid := c.insert(c.s.models["stock.picking"], rec)
	for _, lid := range lines {
		l := c.rec("stock.return.picking.line", lid)
		q := asFloat(l["quantity"])
		if q <= 0 {
			continue
		}
		om := c.rec("stock.move", asInt(l["move_id"]))
		mv := Record{"name": c.displayName("product.product", asInt(l["product_id"])), "picking_id": pid, "product_id": l["product_id"], "product_uom_qty": q, "product_uom": 1,
			"state": "assigned", "location_id": orig["location_dest_id"], "location_dest_id": w["location_id"], "origin_returned_move_id": l["move_id"],
			"to_refund": truthy(l["to_refund"]), "create_date": c.s.nowStr(), "write_date": c.s.nowStr()}
		if om != nil && truthy(l["to_refund"]) {
			mv["sale_line_id"] = om["sale_line_id"]
		}
		if c.version() >= 17 {
			mv["quantity"], mv["picked"] = q, false
		} else {
			mv["quantity_done"] = 0.0
		}
		c.reserveLine(c.insert(c.s.models["stock.move"], mv), mv)
	}
	ctx := newOMap()
	for _, k := range []string{"active_id", "active_ids", "active_model"} {
		if v, ok := c.ctx[k]; ok {
			ctx.Set(k, v)
		}
	}
	ctx.Set("default_partner_id", asInt(orig["partner_id"]))
	ctx.Set("search_default_picking_type_id", retType)
	for _, k := range []string{"draft", "assigned", "confirmed", "ready", "planning_issues", "available"} {
		ctx.Set("search_default_"+k, false)
	}
	return om("name", "Returned Picking", "view_mode", "form,tree,calendar", "res_model", "stock.picking", "res_id", pid, "type", "ir.actions.act_window", "context", ctx), nil
}

// qtyDelivered: done outgoing moves minus done returns of a sale line.
func (c *call) qtyDelivered(lineID int) float64 {
	m := c.s.models["stock.move"]
	q := 0.0
	for _, id := range m.sortedIDs() {
		mv := m.recs[id]
		if asInt(mv["sale_line_id"]) != lineID || mv["state"] != "done" {
			continue
		}
		qty := c.moveDoneQty(mv)
		if asInt(mv["location_dest_id"]) == 5 {
			q += qty
		} else if truthy(mv["to_refund"]) {
			q -= qty
		}
	}
	return q
}

func (c *call) onHand(productID int) float64 {
	qm := c.s.models["stock.quant"]
	total := 0.0
	for _, r := range qm.recs {
		if asInt(r["product_id"]) == productID && asInt(r["location_id"]) == 8 {
			total += asFloat(r["quantity"])
		}
	}
	return total
}

func (c *call) setOnHand(productID int, qty float64) {
	qm := c.s.models["stock.quant"]
	for _, id := range qm.sortedIDs() {
		r := qm.recs[id]
		if asInt(r["product_id"]) == productID && asInt(r["location_id"]) == 8 {
			c.set(qm, id, Record{"quantity": qty})
			return
		}
	}
	c.insert(qm, Record{"product_id": productID, "location_id": 8, "quantity": qty})
}

func (c *call) productIDsOf(r Record, tmpl bool) []int {
	if tmpl {
		return c.children("product.product", "product_tmpl_id", asInt(r["id"]))
	}
	return []int{asInt(r["id"])}
}

func (c *call) qtyOnHand(r Record, tmpl bool) float64 {
	t := 0.0
	for _, pid := range c.productIDsOf(r, tmpl) {
		t += c.onHand(pid)
	}
	return t
}

func (c *call) qtyReserved(r Record, tmpl bool) float64 {
	t := 0.0
	m := c.s.models["stock.move"]
	for _, pid := range c.productIDsOf(r, tmpl) {
		for _, mv := range m.recs {
			if asInt(mv["product_id"]) == pid && mv["state"] != "done" && mv["state"] != "cancel" && asInt(mv["location_id"]) == 8 {
				t += asFloat(mv["product_uom_qty"])
			}
		}
	}
	return t
}
