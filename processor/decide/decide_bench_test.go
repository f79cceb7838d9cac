package decide

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/synco-dev/synco/schemas"
)

// benchOrder is a typical web order: three SKU lines with tax, shipping, a customer.
// It is built from JSON (as the schemas types are) so the money stays decimal.
func benchOrder(id int64, updated time.Time) schemas.Order {
	line := func(i int, sku string) string {
		return fmt.Sprintf(`{"id":%d,"variant_id":%d,"sku":%q,"title":%q,"quantity":%d,"price":"19.90","total_discount":"0",
			"taxable":true,"tax_lines":[{"title":"VAT","rate":"0.2","price":"4.00"}]}`, id*10+int64(i), 9100+i, sku, sku, 1+i)
	}
	js := fmt.Sprintf(`{"id":%d,"name":"#%d","order_number":%d,"email":"ada@example.com",
		"customer":{"id":7001,"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace"},
		"created_at":%q,"updated_at":%q,"currency":"EUR","total_price":"103.49","subtotal_price":"98.59","total_tax":"12.00",
		"financial_status":"paid","source_name":"web","tags":"vip, newsletter",
		"note_attributes":[{"name":"gift","value":"yes"}],"payment_gateway_names":["shopify_payments"],
		"billing_address":{"name":"Ada Lovelace","address1":"12 St James's Sq","city":"London","zip":"SW1Y 4JH","country_code":"GB"},
		"shipping_lines":[{"id":1,"title":"Standard","code":"STD","price":"4.90","discounted_price":"4.90"}],
		"line_items":[%s,%s,%s]}`, id, id, id, t0.Format(time.RFC3339), updated.Format(time.RFC3339),
		line(0, "SYN-TEE-BLK-M"), line(1, "SYN-MUG-01"), line(2, "SYN-CAP-NVY"))
	var o schemas.Order
	if err := json.Unmarshal([]byte(js), &o); err != nil {
		panic(err)
	}
	return o
}

// BenchmarkDecide is the processor's per-event decision (rules included) for the
// cases a partition sees most: a new order, a newer snapshot of a known order, and a
// redelivery that is dropped.
func BenchmarkDecide(b *testing.B) {
	const shop = "s.myshopify.com"
	settings := schemas.DefaultSettings(shop)
	first := &schemas.OrderEvent{EventID: "e1", Shop: shop, OrderID: 7, Topic: "orders/create", Order: benchOrder(7, t0)}
	if len(first.Order.LineItems) != 3 || first.Order.TotalPrice.String() != "103.49" {
		b.Fatalf("bench order did not parse: %+v", first.Order)
	}
	prev := Event(nil, first, &settings, t0).State
	for i := 2; i <= recentEvents; i++ { // a known order with a full dedupe window
		prev.RecentEventIDs = append(prev.RecentEventIDs, fmt.Sprint("old-", i))
	}
	update := &schemas.OrderEvent{EventID: "e2", Shop: shop, OrderID: 7, Topic: "orders/paid", Order: benchOrder(7, t0.Add(time.Minute))}
	for _, c := range []struct {
		name string
		prev *schemas.OrderState
		ev   *schemas.OrderEvent
		want string // "command" or "drop"
	}{
		{"new_order", nil, first, "command"},
		{"update", &prev, update, "command"},
		{"duplicate", &prev, first, "drop"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := Event(c.prev, c.ev, &settings, t0)
				if (r.Drop != "") != (c.want == "drop") || (c.want == "command" && r.Command == nil) {
					b.Fatalf("%s: %+v", c.name, r)
				}
			}
		})
	}
}
