package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/synco-dev/synco/query/orders"
	"github.com/synco-dev/synco/sink/odoo"
)

// draftSaleOrders are the settings of most tests: a draft sale order per order, named
// with a prefix and Shopify's number.
const draftSaleOrders = `
create: draft_sale_order
order_prefix: "WEB-"
`

func stableKey(id int64) string { return fmt.Sprintf("shopify:%s/%d", shopDomain, id) }

// TestOneOrderEndToEnd: Shopify's own orders/create sample, signed, goes in at the
// webhook and comes out as one sale order in Odoo and a synced row in the API.
func TestOneOrderEndToEnd(t *testing.T) {
	h := newHarness(t, draftSaleOrders)
	h.start(allStages...)

	body := rawOrder(t, "orders_create.json")
	o := loadOrder(t, "orders_create.json")
	id := o.id(t)
	if code, msg := h.deliver(delivery{topic: "orders/create", webhookID: "wh-create-1", body: body}); code != 200 {
		t.Fatalf("ingest answered %d %s, want 200", code, msg)
	}
	row := h.waitOrder(id, "synced", status("synced"))

	sos := h.odoo.Records("sale.order")
	if len(sos) != 1 {
		t.Fatalf("odoo holds %d sale orders, want 1", len(sos))
	}
	so := sos[0]
	soID := toInt64(so["id"])
	checkRow(t, row, orders.Order{Name: "#9999", Email: "jon@example.com", Total: "359.97", Currency: "USD",
		FinancialStatus: "voided", Source: "web", Status: "synced", OdooModel: "sale.order", OdooName: "WEB-9999"})
	if row.OdooID == nil || int64(*row.OdooID) != soID {
		t.Errorf("API odoo_id = %v, odoo's sale order is %d", row.OdooID, soID)
	}
	if row.Error != nil {
		t.Errorf("API error = %q on a synced order", *row.Error)
	}
	checkSaleOrder(t, h, so, o, "WEB-9999", "draft")
}

// checkRow compares the fields of want that are set with the API's row.
func checkRow(t *testing.T, got, want orders.Order) {
	t.Helper()
	cmp := func(field, g, w string) {
		if w != "" && g != w {
			t.Errorf("API row %s = %q, want %q", field, g, w)
		}
	}
	cmp("name", got.Name, want.Name)
	cmp("email", got.Email, want.Email)
	cmp("total", got.Total, want.Total)
	cmp("currency", got.Currency, want.Currency)
	cmp("financial_status", got.FinancialStatus, want.FinancialStatus)
	cmp("source", got.Source, want.Source)
	cmp("status", got.Status, want.Status)
	cmp("odoo_model", got.OdooModel, want.OdooModel)
	cmp("odoo_name", got.OdooName, want.OdooName)
}

// checkSaleOrder compares Odoo's sale order with the Shopify order it was made from:
// reference, name, state, customer and every line (products by SKU, quantities,
// prices, shipping).
func checkSaleOrder(t *testing.T, h *harness, so map[string]any, o shopifyOrder, name, state string) {
	t.Helper()
	id := o.id(t)
	if so["origin"] != stableKey(id) {
		t.Errorf("sale order origin = %v, want %s", so["origin"], stableKey(id))
	}
	if so["client_order_ref"] != o["name"] {
		t.Errorf("sale order client_order_ref = %v, want %v", so["client_order_ref"], o["name"])
	}
	if so["name"] != name {
		t.Errorf("sale order name = %v, want %s", so["name"], name)
	}
	if so["state"] != state {
		t.Errorf("sale order state = %v, want %s", so["state"], state)
	}
	partner := h.recordsWhere("res.partner", "id", m2oID(so["partner_id"]))
	if len(partner) != 1 || !strings.EqualFold(fmt.Sprint(partner[0]["email"]), fmt.Sprint(o["email"])) {
		t.Errorf("sale order partner %v is not the customer %v: %v", so["partner_id"], o["email"], partner)
	}

	type line struct {
		code  string
		qty   string
		price string
	}
	var want []line
	for _, l := range o.lines() {
		want = append(want, line{fmt.Sprint(l["sku"]), fmt.Sprint(l["quantity"]), fmt.Sprint(l["price"])})
	}
	for _, s := range o["shipping_lines"].([]any) {
		want = append(want, line{odoo.ShippingCode, "1", fmt.Sprint(s.(map[string]any)["price"])})
	}
	var got []line
	for _, l := range h.recordsWhere("sale.order.line", "order_id", toInt64(so["id"])) {
		prod := h.recordsWhere("product.product", "id", m2oID(l["product_id"]))
		code := "?"
		if len(prod) == 1 {
			code = fmt.Sprint(prod[0]["default_code"])
		}
		got = append(got, line{code, money(l["product_uom_qty"], 0), money(l["price_unit"], 2)})
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sale order lines (code qty price):\n got %v\nwant %v", got, want)
	}
}

func money(v any, places int) string {
	switch n := v.(type) {
	case float64:
		return fmt.Sprintf("%.*f", places, n)
	}
	return fmt.Sprint(v)
}
