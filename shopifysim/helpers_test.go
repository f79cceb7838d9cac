package shopifysim_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopifysim"
)

// start runs a simulator on a loopback port for the test and returns it with a client
// that has its own limiters (tests must not share the process-wide buckets).
func start(t *testing.T, opts shopifysim.Options) (*shopifysim.Sim, *admin.Client, string) {
	t.Helper()
	sim, c := shopifysim.StartT(t, opts, admin.Config{BackoffBase: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond})
	return sim, c, shopifysim.BaseURL(sim)
}

func ptr[T any](v T) *T { return &v }

// richOrder has a bit of everything the normalizer reads: discounts, taxes (one
// channel-liable), a gift card and a custom line, a removed shipping line, duties,
// fees, tips, a cancellation, two refunds (lines with restock types, shipping, a
// discrepancy adjustment, transactions), in one or two currencies.
func richOrder(sim *shopifysim.Sim, lines int, pres string, rate string) *shopifysim.Order {
	id := sim.NewID
	r := decimal.RequireFromString(rate)
	m := func(s string) shopifysim.Money {
		d := decimal.RequireFromString(s)
		return shopifysim.Money{Shop: d, Presentment: d.Mul(r).Round(2)}
	}
	at := time.Date(2025, 10, 3, 9, 30, 0, 0, time.UTC)
	cancelled := at.Add(48 * time.Hour)
	vat := decimal.RequireFromString("0.19")
	o := &shopifysim.Order{
		ID: id(), Name: "#1042", Number: 1042, Email: "ada@example.com", Phone: "+4930123456",
		Customer:  &shopifysim.Customer{ID: id(), Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Phone: "+4930123456"},
		CreatedAt: at, UpdatedAt: at.Add(72 * time.Hour), ProcessedAt: at, CancelledAt: &cancelled, CancelReason: "CUSTOMER",
		Currency: "EUR", PresentmentCurrency: pres, TaxesIncluded: true, Test: true,
		FinancialStatus: "PARTIALLY_REFUNDED", FulfillmentStatus: "PARTIALLY_FULFILLED", SourceName: "web", Note: "leave at the door",
		Tags: []string{"vip", "wholesale"}, NoteAttributes: []shopifysim.Attribute{{Name: "gift", Value: "yes"}},
		PaymentGatewayNames: []string{"shopify_payments", "gift_card"},
		BillingAddress: &shopifysim.Address{Name: "Ada Lovelace", FirstName: "Ada", LastName: "Lovelace", Company: "Engines Ltd",
			Address1: "12 St James's Square", Address2: "Flat 2", City: "London", Zip: "SW1Y 4JH", Province: "England", ProvinceCode: "ENG",
			Country: "United Kingdom", CountryCode: "GB", Phone: "+44 20 7946 0000"},
		ShippingAddress: &shopifysim.Address{Name: "Charles Babbage", FirstName: "Charles", LastName: "Babbage", Address1: "1 Dorset St", City: "London", Zip: "W1U 4EG", Country: "United Kingdom", CountryCode: "GB"},
		TotalPrice:      m("1234.56"), SubtotalPrice: m("1100.10"), TotalTax: m("197.11"), TotalDiscounts: m("33.33"), TotalShipping: m("9.90"),
		CurrentTotalPrice: m("1000.01"), CurrentSubtotalPrice: m("900.02"), CurrentTotalTax: m("160.00"), CurrentTotalDiscounts: m("30.00"),
		TotalOutstanding: m("0.00"), TotalTipReceived: m("2.50"), TotalDuties: ptr(m("12.34")), TotalAdditionalFees: ptr(m("1.99")),
		TaxLines: []shopifysim.TaxLine{{Title: "VAT", Rate: vat, Price: m("197.11")}, {Title: "Marketplace VAT", Rate: decimal.RequireFromString("0.075"), Price: m("0.01"), ChannelLiable: ptr(true)}},
	}
	for i := 0; i < lines; i++ {
		l := shopifysim.LineItem{ID: id(), ProductID: id(), VariantID: id(), SKU: fmt.Sprintf("SKU-%03d", i), Title: fmt.Sprintf("Widget %d", i),
			VariantTitle: "Blue / L", Quantity: 3, CurrentQuantity: 2, Price: m("19.99"), TotalDiscount: m("0.00"),
			DiscountAllocations: []shopifysim.Money{m("1.11"), m("0.22")}, Taxable: true, RequiresShipping: true,
			TaxLines: []shopifysim.TaxLine{{Title: "VAT", Rate: vat, Price: m("9.15")}}}
		switch i {
		case 1:
			l = shopifysim.LineItem{ID: id(), Title: "Gift card", Quantity: 1, CurrentQuantity: 1, Price: m("50.00"), TotalDiscount: m("0.00"), GiftCard: true, TaxLines: []shopifysim.TaxLine{}}
		case 2:
			l.ProductID, l.VariantID, l.SKU, l.VariantTitle, l.TotalDiscount, l.DiscountAllocations = 0, 0, "", "", m("5.00"), nil // a custom item
		}
		o.LineItems = append(o.LineItems, l)
	}
	o.ShippingLines = []shopifysim.ShippingLine{
		{ID: id(), Title: "Express", Code: "EXP", Price: m("9.90"), DiscountedPrice: m("9.90"), TaxLines: []shopifysim.TaxLine{{Title: "VAT", Rate: vat, Price: m("1.58")}}},
		{ID: id(), Title: "Standard", Code: "STD", Price: m("4.90"), DiscountedPrice: m("0.00"), IsRemoved: true, TaxLines: []shopifysim.TaxLine{}},
	}
	sale := id()
	o.Transactions = []shopifysim.Transaction{
		{ID: sale, Kind: "SALE", Status: "SUCCESS", Gateway: "shopify_payments", Amount: m("1184.56"), ProcessedAt: &at},
		{ID: id(), Kind: "SALE", Status: "SUCCESS", Gateway: "gift_card", Amount: m("50.00"), ProcessedAt: &at},
	}
	refundAt := at.Add(24 * time.Hour)
	o.Refunds = []shopifysim.Refund{
		{ID: id(), CreatedAt: refundAt, Note: "too big",
			RefundLineItems: []shopifysim.RefundLineItem{
				{ID: id(), LineItemID: o.LineItems[0].ID, Quantity: 1, RestockType: "RETURN", Subtotal: m("18.66"), TotalTax: m("2.98")},
			},
			RefundShippingLines: []shopifysim.RefundShippingLine{{ID: id(), ShippingLineID: o.ShippingLines[0].ID, Subtotal: m("8.32"), Tax: m("1.58")}},
			OrderAdjustments:    []shopifysim.OrderAdjustment{{ID: id(), Reason: "REFUND_DISCREPANCY", Amount: m("-0.01"), TaxAmount: m("0.00")}},
			Transactions:        []shopifysim.Transaction{{ID: id(), ParentID: sale, Kind: "REFUND", Status: "SUCCESS", Gateway: "shopify_payments", Amount: m("31.53"), ProcessedAt: &refundAt}},
		},
		{ID: id(), CreatedAt: refundAt.Add(time.Hour),
			RefundLineItems: []shopifysim.RefundLineItem{
				{ID: id(), LineItemID: o.LineItems[len(o.LineItems)-1].ID, Quantity: 1, RestockType: "NO_RESTOCK", Subtotal: m("18.66"), TotalTax: m("2.98")},
			},
			Transactions: []shopifysim.Transaction{{ID: id(), ParentID: sale, Kind: "REFUND", Status: "SUCCESS", Gateway: "shopify_payments", Amount: m("21.64"), ProcessedAt: &refundAt}},
		},
	}
	return o
}

// diff names every field where a and b differ, by path.
func diff(a, b reflect.Value, path string, out *[]string) {
	if a.Type() == reflect.TypeOf(decimal.Decimal{}) {
		if !a.Interface().(decimal.Decimal).Equal(b.Interface().(decimal.Decimal)) {
			*out = append(*out, fmt.Sprintf("%s: %v != %v", path, a.Interface(), b.Interface()))
		}
		return
	}
	if a.Type() == reflect.TypeOf(time.Time{}) {
		if !a.Interface().(time.Time).Equal(b.Interface().(time.Time)) {
			*out = append(*out, fmt.Sprintf("%s: %v != %v", path, a.Interface(), b.Interface()))
		}
		return
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				*out = append(*out, fmt.Sprintf("%s: nil %v != nil %v", path, a.IsNil(), b.IsNil()))
			}
			return
		}
		diff(a.Elem(), b.Elem(), path, out)
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			diff(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name, out)
		}
	case reflect.Slice:
		if a.Len() != b.Len() {
			*out = append(*out, fmt.Sprintf("%s: %d elements != %d", path, a.Len(), b.Len()))
			return
		}
		for i := 0; i < a.Len(); i++ {
			diff(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			*out = append(*out, fmt.Sprintf("%s: %#v != %#v", path, a.Interface(), b.Interface()))
		}
	}
}

// fieldCount counts the leaf fields diff compares, so a test can show it compared many.
func fieldCount(v reflect.Value) int {
	switch {
	case v.Type() == reflect.TypeOf(decimal.Decimal{}) || v.Type() == reflect.TypeOf(time.Time{}):
		return 1
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			return 1
		}
		return fieldCount(v.Elem())
	case v.Kind() == reflect.Struct:
		n := 0
		for i := 0; i < v.NumField(); i++ {
			n += fieldCount(v.Field(i))
		}
		return n
	case v.Kind() == reflect.Slice:
		n := 0
		for i := 0; i < v.Len(); i++ {
			n += fieldCount(v.Index(i))
		}
		return n
	}
	return 1
}
