package order

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func isRefundBody(f string) bool {
	return strings.Contains(f, "refund") && !strings.Contains(f, "order_")
}

func TestParseEveryOrderPayload(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	parsed := 0
	for _, f := range files {
		if isRefundBody(f) {
			continue
		}
		o, err := FromWebhook(read(t, filepath.Base(f)))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		parsed++
		if o.ID <= 0 || o.CreatedAt.IsZero() || o.UpdatedAt.IsZero() || len(o.LineItems) == 0 {
			t.Errorf("%s: incomplete order %+v", f, o)
		}
	}
	if parsed < 7 {
		t.Fatalf("parsed %d order payloads, want at least 7", parsed)
	}
}

// moneyFields collects every decimal string of a payload whose key names money, with
// its JSON path, so a test can find each one again in the normalized order.
var numberish = regexp.MustCompile(`^-?\d+(\.\d+)?$`)

// TestEveryMoneyAmountSurvivesExactly checks that each amount in the shop and
// presentment money sets of every payload appears, exactly (same digits), in the
// normalized order or refund: nothing is rounded or lost on the way.
func TestEveryMoneyAmountSurvivesExactly(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, f := range files {
		body := read(t, filepath.Base(f))
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		collectMoney(v, "", want)
		if len(want) == 0 {
			t.Fatalf("%s: found only %d amounts; the walk misses the payload's money", f, len(want))
		}
		var out any
		if isRefundBody(f) {
			r, _, err := RefundFromWebhook(body)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out = r
		} else {
			o, err := FromWebhook(body)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out = o
		}
		got := map[string]bool{}
		js, _ := json.Marshal(out)
		var gv any
		_ = json.Unmarshal(js, &gv)
		collectStrings(gv, got)
		for amount := range want {
			if !got[amount] {
				t.Errorf("%s: amount %s of the payload is nowhere in the normalized record", f, amount)
			}
		}
	}
}

// collectMoney gathers the amounts of money sets whose object the normalizer reads.
// Parts Synco does not model (duties lists, line items repeated inside refund line
// items, total_unsettled_set, ...) are skipped by name.
func collectMoney(v any, path string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			switch k {
			case "duties", "line_item", "shipping_line", "total_unsettled_set", "total_duties_set", "total_additional_fees_set",
				"total_line_items_price_set", "total_cash_rounding_payment_adjustment_set", "total_cash_rounding_refund_adjustment_set",
				"current_total_duties_set", "current_total_additional_fees_set", "discount_codes", "discount_applications",
				"fulfillments", "customer", "default_address", "price_set_before_discounts", "shipping_lines_discount":
				continue
			}
			if k == "order_adjustments" {
				// REST's repeat of a refund shipping line (TestRefundFromWebhook).
				if rsl, _ := x["refund_shipping_lines"].([]any); len(rsl) > 0 {
					continue
				}
			}
			if k == "amount" && strings.HasSuffix(path, "_money") {
				if s, ok := c.(string); ok && numberish.MatchString(s) {
					out[canon(s)] = true
				}
				continue
			}
			collectMoney(c, path+"."+k, out)
		}
	case []any:
		for _, c := range x {
			collectMoney(c, path, out)
		}
	}
}

func collectStrings(v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			collectStrings(c, out)
		}
	case []any:
		for _, c := range x {
			collectStrings(c, out)
		}
	case string:
		if numberish.MatchString(x) {
			out[canon(x)] = true
		}
	}
}

// canon writes an amount without trailing zeros, the way decimal prints it.
func canon(s string) string { return decimal.RequireFromString(s).String() }

func TestParseOrderKeepsBigIDsAndDecimals(t *testing.T) {
	o, err := FromWebhook(read(t, "orders_create.json"))
	if err != nil {
		t.Fatal(err)
	}
	// 820982911946154508 > 2^53: a float would round it.
	if o.ID != 820982911946154508 {
		t.Errorf("id = %d", o.ID)
	}
	if o.LineItems[0].ID != 487817672276298554 {
		t.Errorf("line id = %d", o.LineItems[0].ID)
	}
	if o.TotalPrice.StringFixed(2) != "359.97" || !o.TotalPricePresentment.Equal(o.TotalPrice) {
		t.Errorf("total %s / %s, want 359.97", o.TotalPrice, o.TotalPricePresentment)
	}
	if o.Email != "jon@example.com" || o.Customer == nil || o.Customer.FirstName != "John" {
		t.Errorf("customer: %q %+v", o.Email, o.Customer)
	}
	if o.FulfillmentStatus != "" || o.FinancialStatus != "voided" {
		t.Errorf("statuses %q %q", o.FinancialStatus, o.FulfillmentStatus)
	}
	if o.CancelReason != "customer" || o.CancelledAt == nil {
		t.Errorf("cancel %q %v", o.CancelReason, o.CancelledAt)
	}
}

func TestParseOrderDiscountsTaxesAndRefunds(t *testing.T) {
	o, err := FromWebhook(read(t, "order_1001_partially_refunded.rest-2025-10.json"))
	if err != nil {
		t.Fatal(err)
	}
	li := o.LineItems[0]
	if li.SKU != "IPOD2008GREEN" || li.TotalDiscount.StringFixed(2) != "3.34" || li.TotalDiscountPresentment.StringFixed(2) != "3.34" {
		t.Errorf("line %+v", li)
	}
	if li.CurrentQuantity == nil || *li.CurrentQuantity != 0 || li.Qty() != 0 || li.Name != "IPod Nano - 8gb - green" {
		t.Errorf("line quantities/name %+v", li)
	}
	if len(li.TaxLines) != 1 || li.TaxLines[0].Rate.String() != "0.06" || li.TaxLines[0].Price.StringFixed(2) != "3.98" || li.TaxLines[0].PricePresentment.StringFixed(2) != "3.98" {
		t.Errorf("tax lines %+v", li.TaxLines)
	}
	if len(o.TaxLines) != 1 || o.TaxLines[0].Price.StringFixed(2) != "11.94" {
		t.Errorf("order tax lines %+v", o.TaxLines)
	}
	if len(o.NoteAttributes) != 2 || o.NoteAttributes[0].Value != "Happy Birthday" {
		t.Errorf("note attributes %+v", o.NoteAttributes)
	}
	if o.CurrentTotalPrice.StringFixed(2) != "199.65" || o.CurrentSubtotalPrice.StringFixed(2) != "195.67" || o.CurrentTotalTax.StringFixed(2) != "3.98" {
		t.Errorf("current totals %s %s %s", o.CurrentTotalPrice, o.CurrentSubtotalPrice, o.CurrentTotalTax)
	}
	if o.BillingAddress == nil || o.BillingAddress.FirstName != "Bob" || o.BillingAddress.Province != "Kentucky" || o.BillingAddress.CountryCode != "US" {
		t.Errorf("billing %+v", o.BillingAddress)
	}
	if len(o.Refunds) != 1 {
		t.Fatalf("refunds %+v", o.Refunds)
	}
	r := o.Refunds[0]
	if r.ID != 509562969 || !r.Restock || len(r.RefundLineItems) != 2 || len(r.Transactions) != 1 {
		t.Fatalf("refund %+v", r)
	}
	if rl := r.RefundLineItems[0]; rl.LineItemID != 703073504 || rl.RestockType != "legacy_restock" || rl.Subtotal.StringFixed(2) != "195.66" || rl.TotalTax.StringFixed(2) != "3.98" {
		t.Errorf("refund line %+v", rl)
	}
	if tx := r.Transactions[0]; tx.Kind != "refund" || tx.Status != "success" || tx.ParentID != 801038806 || tx.Amount.StringFixed(2) != "209.00" || tx.Currency != "USD" {
		t.Errorf("refund transaction %+v", tx)
	}
}

func TestRefundFromWebhook(t *testing.T) {
	r, orderID, err := RefundFromWebhook(read(t, "refunds_create.json"))
	if err != nil {
		t.Fatal(err)
	}
	if orderID != 820982911946154508 || r.ID != 890088186047892319 || r.Note != "Things were damaged" || r.Restock {
		t.Errorf("refund %d %+v", orderID, r)
	}
	if len(r.RefundLineItems) != 3 || r.RefundLineItems[0].RestockType != "no_restock" || r.RefundLineItems[0].Subtotal.StringFixed(2) != "89.99" {
		t.Errorf("refund lines %+v", r.RefundLineItems)
	}

	// Shipping refunded: the refund shipping line is the record; REST's repeat of it as
	// a shipping_refund adjustment is not counted twice.
	r, _, err = RefundFromWebhook(read(t, "refund_shipping_only.rest-2025-10.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.RefundShippingLines) != 1 || r.RefundShippingLines[0].ShippingLineID != 369256396 || r.RefundShippingLines[0].Amount.StringFixed(2) != "5.00" {
		t.Errorf("refund shipping %+v", r.RefundShippingLines)
	}
	if len(r.OrderAdjustments) != 0 {
		t.Errorf("shipping_refund adjustment kept beside its refund shipping line: %+v", r.OrderAdjustments)
	}
	if len(r.Transactions) != 1 || r.Transactions[0].Amount.StringFixed(2) != "5.00" || !r.Transactions[0].Test {
		t.Errorf("transactions %+v", r.Transactions)
	}

	// An older refund with only the adjustment keeps it.
	r, _, err = RefundFromWebhook([]byte(`{"id": 7, "order_id": 8, "refund_line_items": [], "order_adjustments": [{"id": 9, "kind": "shipping_refund", "reason": "Shipping refund", "amount": "-8.00", "tax_amount": "0.00"}], "transactions": []}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.OrderAdjustments) != 1 || r.OrderAdjustments[0].Kind != "shipping_refund" || r.OrderAdjustments[0].Reason != "shipping_refund" || r.OrderAdjustments[0].Amount.String() != "-8" {
		t.Errorf("adjustments %+v", r.OrderAdjustments)
	}

	for name, body := range map[string]string{"no order": `{"id": 1}`, "no id": `{"order_id": 1}`, "not json": `{`} {
		if _, _, err := RefundFromWebhook([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestForeignCurrencyTransactionKeepsPresentmentOnly(t *testing.T) {
	r, _, err := RefundFromWebhook([]byte(`{"id": 1, "order_id": 2,
	  "refund_line_items": [{"id": 3, "line_item_id": 4, "quantity": 1, "restock_type": "return",
	    "subtotal_set": {"shop_money": {"amount": "10.00", "currency_code": "USD"}, "presentment_money": {"amount": "9.20", "currency_code": "EUR"}},
	    "total_tax_set": {"shop_money": {"amount": "0.00", "currency_code": "USD"}, "presentment_money": {"amount": "0.00", "currency_code": "EUR"}}}],
	  "transactions": [{"id": 5, "kind": "refund", "status": "success", "amount": "9.20", "currency": "EUR"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tx := r.Transactions[0]
	if !tx.Amount.IsZero() || tx.AmountPresentment.String() != "9.2" || tx.Currency != "EUR" {
		t.Errorf("transaction %+v: want no shop amount, presentment 9.20 EUR", tx)
	}
	if rl := r.RefundLineItems[0]; rl.Subtotal.String() != "10" || rl.SubtotalPresentment.String() != "9.2" {
		t.Errorf("refund line %+v", rl)
	}
}

func TestParseOrderErrors(t *testing.T) {
	for name, body := range map[string]string{
		"not json":  `{"id": 1,`,
		"no id":     `{"name": "#1"}`,
		"string id": `{"id": "abc"}`,
		"float id":  `{"id": 1.5}`,
	} {
		if _, err := FromWebhook([]byte(body)); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func TestOrderIDOf(t *testing.T) {
	id, err := OrderIDOf("refunds/create", read(t, "refunds_create.json"))
	if err != nil || id != 820982911946154508 {
		t.Errorf("refund order id %d %v", id, err)
	}
	if id, err := OrderIDOf("orders/edited", []byte(`{"order_edit":{"id":5,"order_id":77}}`)); err != nil || id != 77 {
		t.Errorf("edit order id %d %v", id, err)
	}
	if _, err := OrderIDOf("refunds/create", []byte(`{"id":5}`)); err == nil {
		t.Error("refund without order_id accepted")
	}
}
