package api_test

import (
	"net/http"
	"testing"
)

// TestOdooLinks: odoo_url opens the synced record, invoice_url the invoice (the same
// record for a direct invoice), in the shop's own Odoo; a shop without a known Odoo
// URL has no links; the detail answers the same.
func TestOdooLinks(t *testing.T) {
	e := newEnv(t)
	so := order(1)
	so.Status, so.OdooModel, so.OdooID, so.OdooName, so.InvoiceID = "synced", "sale.order", 42, "S00042", 7
	inv := order(2)
	inv.Status, inv.OdooModel, inv.OdooID, inv.OdooName = "synced", "account.move", 9, "INV/2026/00009"
	plain := order(3)
	beta := order(4)
	beta.Shop, beta.Status, beta.OdooModel, beta.OdooID, beta.InvoiceID = shopB, "synced", "sale.order", 5, 6
	e.insertOrders(so, inv, plain, beta)

	byID := map[string]map[string]any{}
	for _, o := range e.list("").Orders {
		byID[o["order_id"].(string)] = o
	}
	const base = "http://odoo.test:8069/web#"
	for id, want := range map[string][2]string{
		"1": {base + "id=42&model=sale.order&view_type=form", base + "id=7&model=account.move&view_type=form"},
		"2": {base + "id=9&model=account.move&view_type=form", base + "id=9&model=account.move&view_type=form"},
		"3": {"", ""},
	} {
		if got := [2]any{byID[id]["odoo_url"], byID[id]["invoice_url"]}; got != [2]any{want[0], want[1]} {
			t.Errorf("order %s: odoo_url, invoice_url = %q, want %q", id, got, want)
		}
	}
	var d map[string]any
	e.call("GET", "/api/shops/"+shopA+"/orders/1", nil, http.StatusOK, &d)
	if d["invoice_url"] != base+"id=7&model=account.move&view_type=form" || d["history"] == nil {
		t.Errorf("detail: %v", d)
	}
	var p orderPage
	e.call("GET", "/api/shops/"+shopB+"/orders", nil, http.StatusOK, &p)
	if len(p.Orders) != 1 || p.Orders[0]["odoo_url"] != "" || p.Orders[0]["invoice_url"] != "" {
		t.Errorf("beta has no Odoo URL configured: %v", p.Orders)
	}
	if p.Total != 1 || p.NextCursor != nil {
		t.Errorf("page fields beside the rows: total %d next %v", p.Total, p.NextCursor)
	}
}
