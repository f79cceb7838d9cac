package odoo

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/synco-dev/synco/odoosim"
	"github.com/synco-dev/synco/schemas"
)

const testShop = "demo.myshopify.com"

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// startSim starts an Odoo simulator of the given version and a client for it.
func startSim(t *testing.T, version int) (*odoosim.Server, Client) {
	t.Helper()
	sim := odoosim.New(odoosim.Options{Version: version, DB: "synco", Login: "admin", Password: "admin"})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("odoo simulator does not start: %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	c, err := Dial(context.Background(), Config{URL: url, DB: "synco", Username: "admin", Password: "admin", Protocol: "auto"})
	if err != nil {
		t.Fatalf("dial simulator: %v", err)
	}
	return sim, c
}

// order1001 is a typical order: two SKU lines (one discounted), a line without SKU, a
// custom item, 7.5 % tax, shipping.
func order1001() schemas.Order {
	vat := []schemas.TaxLine{{Title: "Sales Tax", Rate: dec("0.075"), Price: dec("6.75")}}
	return schemas.Order{
		ID: 5531234001, Name: "#1001", OrderNumber: 1001, Email: "Jane.Doe@Example.com", Phone: "+1 555 0100",
		Customer:  &schemas.Customer{ID: 77, Email: "Jane.Doe@Example.com", FirstName: "Jane", LastName: "Doe"},
		CreatedAt: time.Date(2026, 11, 26, 15, 28, 7, 0, time.UTC), UpdatedAt: time.Date(2026, 11, 26, 15, 28, 7, 0, time.UTC),
		Currency: "USD", TotalPrice: dec("124.38"), TotalTax: dec("7.88"), FinancialStatus: "paid", SourceName: "web", Note: "Leave at the door",
		BillingAddress: &schemas.Address{Name: "Jane Doe", Address1: "1 Main St", City: "Springfield", Zip: "62701", CountryCode: "US"},
		LineItems: []schemas.LineItem{
			{ID: 1, VariantID: 11, SKU: "WIDGET-1", Title: "Widget", VariantTitle: "Blue", Quantity: 2, Price: dec("45.00"), TotalDiscount: dec("9.00"), Taxable: true, TaxLines: vat},
			{ID: 2, VariantID: 12, SKU: "MUG-1", Title: "Mug", Quantity: 1, Price: dec("24.00"), TotalDiscount: dec("0"), Taxable: true, TaxLines: vat},
			{ID: 3, VariantID: 13, Title: "Sticker", Quantity: 3, Price: dec("1.50"), TotalDiscount: dec("0")},
			{ID: 4, Title: "Gift wrap", Quantity: 1, Price: dec("2.00"), TotalDiscount: dec("0")},
		},
		ShippingLines: []schemas.ShippingLine{{ID: 9, Title: "Standard", Code: "STD", Price: dec("5.00"), DiscountedPrice: dec("5.00")}},
	}
}

func command(o schemas.Order, so schemas.SaleOrderState, inv schemas.InvoiceState) *schemas.OrderSync {
	st := schemas.DefaultSettings(testShop)
	return &schemas.OrderSync{
		CommandID: fmt.Sprint("cmd-", o.ID), Shop: testShop, OrderID: o.ID, Version: o.UpdatedAt.UnixMilli(),
		SaleOrder: so, Invoice: inv, OdooName: "WEB-" + strings.TrimPrefix(o.Name, "#"), Settings: st, Order: o,
	}
}

func byID(recs []map[string]any) map[int64]map[string]any {
	out := map[int64]map[string]any{}
	for _, r := range recs {
		out[toInt(r["id"])] = r
	}
	return out
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case float64:
		return int64(x)
	case []any:
		if len(x) > 0 {
			return toInt(x[0])
		}
	}
	return 0
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	return 0
}

func toIDs(v any) []int64 {
	var out []int64
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			out = append(out, toInt(e))
		}
	case []int:
		for _, e := range x {
			out = append(out, int64(e))
		}
	case []int64:
		out = x
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ours filters records we made (the simulator starts with its own partners, products
// and taxes).
func ours(recs []map[string]any, field, prefix string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if s, _ := r[field].(string); strings.HasPrefix(s, prefix) {
			out = append(out, r)
		}
	}
	return out
}

func TestDraftSaleOrderAgainstSimulator(t *testing.T) {
	for _, v := range []int{16, 17} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			sim, c := startSim(t, v)
			s := NewSyncer(c)
			ctx := context.Background()
			partnersBefore, productsBefore, taxesBefore := len(sim.Records("res.partner")), len(sim.Records("product.product")), len(sim.Records("account.tax"))

			cmd := command(order1001(), schemas.SaleOrderDraft, schemas.InvoiceNone)
			res, err := s.Apply(ctx, cmd)
			if err != nil {
				t.Fatal(err)
			}
			if res.Model != "sale.order" || res.ID == 0 || res.Name != "WEB-1001" {
				t.Fatalf("result %+v", res)
			}
			// fullFlow (scenarios_test.go) up to the create, then read the totals and
			// register the external ids.
			if want := slices.Index(fullFlow, "sale.order.create") + 3; res.Calls != want {
				t.Errorf("calls = %d, want %d (%v)", res.Calls, want, sim.Calls())
			}
			if len(res.Warnings) != 0 || res.Currency != "USD" || !res.Total.Equal(dec("124.38")) {
				t.Errorf("result %+v", res)
			}

			sos := sim.Records("sale.order")
			if len(sos) != 1 {
				t.Fatalf("%d sale orders", len(sos))
			}
			so := sos[0]
			if so["name"] != "WEB-1001" || so["client_order_ref"] != "#1001" || so["origin"] != "shopify:demo.myshopify.com/5531234001" || so["state"] != "draft" {
				t.Errorf("sale order %v", so)
			}
			if so["date_order"] != "2026-11-26 15:28:07" {
				t.Errorf("date_order %v", so["date_order"])
			}

			partners := sim.Records("res.partner")
			if len(partners) != partnersBefore+1 {
				t.Fatalf("%d partners, want %d", len(partners), partnersBefore+1)
			}
			p := byID(partners)[toInt(so["partner_id"])]
			if p["name"] != "Jane Doe" || p["email"] != "Jane.Doe@Example.com" || toInt(p["customer_rank"]) != 1 || p["phone"] != "+1 555 0100" ||
				p["street"] != "1 Main St" || p["city"] != "Springfield" || p["zip"] != "62701" || p["country_code"] != "US" {
				t.Errorf("partner %v", p)
			}
			if toInt(so["partner_shipping_id"]) != toInt(p["id"]) {
				t.Errorf("delivery address %v, want the partner", so["partner_shipping_id"])
			}

			prods := sim.Records("product.product")
			if len(prods) != productsBefore+4 {
				t.Fatalf("%d products, want %d", len(prods), productsBefore+4)
			}
			codes := map[string]map[string]any{}
			for _, pr := range prods {
				if code, ok := pr["default_code"].(string); ok {
					codes[code] = pr
				}
			}
			for code, typ := range map[string]string{"WIDGET-1": "consu", "MUG-1": "consu", CustomItemCode: "consu", ShippingCode: "service"} {
				pr := codes[code]
				if pr == nil {
					t.Errorf("no product %s", code)
					continue
				}
				if pr["detailed_type"] != typ || pr["invoice_policy"] != "order" {
					t.Errorf("product %s: %v / %v", code, pr["detailed_type"], pr["invoice_policy"])
				}
			}
			if codes["WIDGET-1"]["name"] != "Widget - Blue" || toFloat(codes["WIDGET-1"]["list_price"]) != 45 {
				t.Errorf("widget %v", codes["WIDGET-1"])
			}

			taxes := sim.Records("account.tax")
			if len(taxes) != taxesBefore+1 {
				t.Fatalf("%d taxes, want %d", len(taxes), taxesBefore+1)
			}
			tax := taxes[len(taxes)-1]
			if toFloat(tax["amount"]) != 7.5 || tax["price_include"] != false || tax["type_tax_use"] != "sale" || tax["name"] != "Sales Tax 7.5%" {
				t.Errorf("tax %v", tax)
			}
			// A copy of the default sale tax: collected tax goes to its tax account.
			reps := byID(sim.Records("account.tax.repartition.line"))
			for _, id := range toIDs(tax["invoice_repartition_line_ids"]) {
				if reps[id]["repartition_type"] == "tax" && toInt(reps[id]["account_id"]) == 0 {
					t.Errorf("the new tax books tax without an account: %v", reps[id])
				}
			}

			lines := byID(sim.Records("sale.order.line"))
			var got []string
			for _, id := range toIDs(so["order_line"]) {
				l := lines[id]
				pid := toInt(l["product_id"])
				var code string
				for cd, pr := range codes {
					if toInt(pr["id"]) == pid {
						code = cd
					}
				}
				got = append(got, fmt.Sprintf("%s|%s|%v|%v|%v|%v", code, l["name"], toFloat(l["product_uom_qty"]), toFloat(l["price_unit"]), toFloat(l["discount"]), toIDs(l["tax_id"])))
			}
			tid := toInt(tax["id"])
			want := []string{
				fmt.Sprintf("WIDGET-1|Widget - Blue|2|45|10|[%d]", tid),
				fmt.Sprintf("MUG-1|Mug|1|24|0|[%d]", tid),
				CustomItemCode + "|Sticker|3|1.5|0|[]",
				CustomItemCode + "|Gift wrap|1|2|0|[]",
				ShippingCode + "|Shipping: Standard|1|5|0|[]",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("lines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// 2×45 −10 % = 81, +24, +4.5, +2, +5 = 116.5 untaxed; tax 7.5 % of 105 = 7.88.
			if toFloat(so["amount_untaxed"]) != 116.5 || toFloat(so["amount_tax"]) != 7.88 {
				t.Errorf("amounts %v %v %v", so["amount_untaxed"], so["amount_tax"], so["amount_total"])
			}

			// The same command again: three reads (external ids, the order, its lines),
			// nothing created or written.
			res2, err := s.Apply(ctx, cmd)
			if err != nil {
				t.Fatal(err)
			}
			if res2.ID != res.ID || res2.Calls != 3 || len(sim.Records("sale.order")) != 1 {
				t.Errorf("second apply %+v, %d orders", res2, len(sim.Records("sale.order")))
			}
			// And from a fresh Syncer (a restarted sink): still one order, unchanged (the
			// look-up, then what comparing it with the snapshot needs: the customer,
			// precisions, company, products and taxes, read once per sink).
			res3, err := NewSyncer(c).Apply(ctx, cmd)
			if err != nil || res3.ID != res.ID || res3.Calls != 10 || len(sim.Records("sale.order")) != 1 {
				t.Errorf("fresh syncer %+v %v", res3, err)
			}
		})
	}
}
