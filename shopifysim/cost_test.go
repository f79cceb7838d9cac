package shopifysim_test

import (
	"testing"

	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopifysim"
)

// TestEveryOperationFitsOneQuery: Shopify refuses a query whose requested cost is
// above 1,000 points; none of the client's may be.
func TestEveryOperationFitsOneQuery(t *testing.T) {
	sim, err := shopifysim.New(shopifysim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]string{
		"Order": admin.Order_Operation, "OrderLineItems": admin.OrderLineItems_Operation, "OrderShippingLines": admin.OrderShippingLines_Operation,
		"RefundDetail": admin.RefundDetail_Operation, "OrderTransactions": admin.OrderTransactions_Operation, "Orders": admin.Orders_Operation, "OrderMetafield": admin.OrderMetafield_Operation,
		"MetafieldsSet": admin.MetafieldsSet_Operation, "BulkOperationRunQuery": admin.BulkOperationRunQuery_Operation,
		"CurrentBulkOperation": admin.CurrentBulkOperation_Operation, "WebhookSubscriptions": admin.WebhookSubscriptions_Operation,
		"WebhookSubscriptionCreate": admin.WebhookSubscriptionCreate_Operation, "WebhookSubscriptionDelete": admin.WebhookSubscriptionDelete_Operation,
	}
	vars := map[string]any{"first": admin.PageSize}
	for name, q := range ops {
		c, err := sim.QueryCost(q, name, vars)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		t.Logf("%s: %d points", name, c)
		if c > 1000 || c <= 0 {
			t.Errorf("%s costs %d points; Shopify allows 1,000", name, c)
		}
	}
}
