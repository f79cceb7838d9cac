package shopifysim

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// GraphQL rendering of the canonical model: each object becomes a node whose fields
// carry the schema's wire forms: ID as a global id, DateTime as UTC ISO 8601, Decimal
// and Money as strings ("5.0", as Shopify prints them), Float as a number,
// UnsignedInt64 as a string, enums by name.

func gid(resource string, id int64) string {
	return "gid://shopify/" + resource + "/" + strconv.FormatInt(id, 10)
}

func gqlTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func gqlTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return gqlTime(*t)
}

// gqlDecimal prints a Decimal the way Shopify does: at least one decimal place.
func gqlDecimal(d decimal.Decimal) string {
	s := d.String()
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func strOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (o *Order) moneyBag(m Money) *node {
	return &node{typ: "MoneyBag", f: map[string]any{
		"shopMoney":        &node{typ: "MoneyV2", f: map[string]any{"amount": gqlDecimal(m.Shop), "currencyCode": o.Currency}},
		"presentmentMoney": &node{typ: "MoneyV2", f: map[string]any{"amount": gqlDecimal(m.Presentment), "currencyCode": o.PresentmentCurrency}},
	}}
}

func (o *Order) gqlTaxLines(in []TaxLine) []any {
	out := make([]any, 0, len(in))
	for _, t := range in {
		var cl any
		if t.ChannelLiable != nil {
			cl = *t.ChannelLiable
		}
		pct := t.Rate.Mul(decimal.NewFromInt(100))
		out = append(out, &node{typ: "TaxLine", f: map[string]any{"title": t.Title, "rate": json.Number(t.Rate.String()),
			"ratePercentage": json.Number(pct.String()), "priceSet": o.moneyBag(t.Price), "channelLiable": cl, "source": nil}})
	}
	return out
}

func gqlAddress(a *Address) any {
	if a == nil {
		return nil
	}
	return &node{typ: "MailingAddress", f: map[string]any{"id": "gid://shopify/MailingAddress/1?model_name=Address",
		"name": strOrNil(a.Name), "firstName": strOrNil(a.FirstName), "lastName": strOrNil(a.LastName), "company": strOrNil(a.Company),
		"address1": strOrNil(a.Address1), "address2": a.Address2, "city": strOrNil(a.City), "zip": strOrNil(a.Zip),
		"province": strOrNil(a.Province), "provinceCode": strOrNil(a.ProvinceCode), "country": strOrNil(a.Country),
		"countryCodeV2": strOrNil(a.CountryCode), "countryCode": strOrNil(a.CountryCode), "phone": strOrNil(a.Phone)}}
}

func (o *Order) gqlLineItem(l *LineItem) *node {
	allocs := make([]any, 0, len(l.DiscountAllocations))
	for _, a := range l.DiscountAllocations {
		allocs = append(allocs, &node{typ: "DiscountAllocation", f: map[string]any{"allocatedAmountSet": o.moneyBag(a)}})
	}
	var product, variant any
	if l.ProductID != 0 {
		product = &node{typ: "Product", f: map[string]any{"id": gid("Product", l.ProductID)}}
	}
	if l.VariantID != 0 {
		variant = &node{typ: "ProductVariant", f: map[string]any{"id": gid("ProductVariant", l.VariantID)}}
	}
	return &node{typ: "LineItem", f: map[string]any{
		"id": gid("LineItem", l.ID), "name": l.Name(), "title": l.Title, "variantTitle": strOrNil(l.VariantTitle), "sku": strOrNil(l.SKU),
		"quantity": l.Quantity, "currentQuantity": l.CurrentQuantity, "isGiftCard": l.GiftCard, "taxable": l.Taxable,
		"requiresShipping": l.RequiresShipping, "product": product, "variant": variant,
		"originalUnitPriceSet": o.moneyBag(l.Price), "totalDiscountSet": o.moneyBag(l.TotalDiscount), "discountAllocations": allocs,
		"taxLines": resolver(func(args map[string]any) (any, error) { return o.gqlTaxLines(l.TaxLines), nil }),
	}}
}

func (o *Order) gqlShippingLine(sl *ShippingLine) *node {
	return &node{typ: "ShippingLine", f: map[string]any{
		"id": gid("ShippingLine", sl.ID), "title": sl.Title, "code": strOrNil(sl.Code), "isRemoved": sl.IsRemoved,
		"originalPriceSet": o.moneyBag(sl.Price), "discountedPriceSet": o.moneyBag(sl.DiscountedPrice), "taxLines": o.gqlTaxLines(sl.TaxLines),
	}}
}

func (o *Order) gqlTransaction(t *Transaction) *node {
	var parent any
	if t.ParentID != 0 {
		parent = &node{typ: "OrderTransaction", f: map[string]any{"id": gid("OrderTransaction", t.ParentID)}}
	}
	return &node{typ: "OrderTransaction", f: map[string]any{
		"id": gid("OrderTransaction", t.ID), "parentTransaction": parent, "kind": t.Kind, "status": t.Status, "gateway": strOrNil(t.Gateway),
		"amountSet": o.moneyBag(t.Amount), "processedAt": gqlTimePtr(t.ProcessedAt), "test": t.Test,
	}}
}

func (s *Sim) gqlRefund(ex *executor, o *Order, r *Refund) *node {
	return &node{typ: "Refund", f: map[string]any{
		"id": gid("Refund", r.ID), "legacyResourceId": strconv.FormatInt(r.ID, 10), "createdAt": gqlTime(r.CreatedAt), "note": strOrNil(r.Note),
		"refundLineItems": resolver(func(args map[string]any) (any, error) {
			items := make([]item, 0, len(r.RefundLineItems))
			for i, l := range r.RefundLineItems {
				var line any
				for j := range o.LineItems {
					if o.LineItems[j].ID == l.LineItemID {
						line = o.gqlLineItem(&o.LineItems[j])
					}
				}
				items = append(items, item{indexKey(i), &node{typ: "RefundLineItem", f: map[string]any{
					"id": gid("RefundLineItem", l.ID), "lineItem": line, "quantity": l.Quantity, "restockType": l.RestockType,
					"restocked": l.Restocked(), "subtotalSet": o.moneyBag(l.Subtotal), "totalTaxSet": o.moneyBag(l.TotalTax),
				}}})
			}
			return ex.connection("RefundLineItemConnection", items, args)
		}),
		"refundShippingLines": resolver(func(args map[string]any) (any, error) {
			items := make([]item, 0, len(r.RefundShippingLines))
			for i, l := range r.RefundShippingLines {
				var line any
				for j := range o.ShippingLines {
					if o.ShippingLines[j].ID == l.ShippingLineID {
						line = o.gqlShippingLine(&o.ShippingLines[j])
					}
				}
				items = append(items, item{indexKey(i), &node{typ: "RefundShippingLine", f: map[string]any{
					"id": gid("RefundShippingLine", l.ID), "shippingLine": line, "subtotalAmountSet": o.moneyBag(l.Subtotal), "taxAmountSet": o.moneyBag(l.Tax),
				}}})
			}
			return ex.connection("RefundShippingLineConnection", items, args)
		}),
		"orderAdjustments": resolver(func(args map[string]any) (any, error) {
			items := make([]item, 0, len(r.OrderAdjustments))
			for i, a := range r.OrderAdjustments {
				items = append(items, item{indexKey(i), &node{typ: "OrderAdjustment", f: map[string]any{
					"id": gid("OrderAdjustment", a.ID), "reason": strOrNil(a.Reason), "amountSet": o.moneyBag(a.Amount), "taxAmountSet": o.moneyBag(a.TaxAmount),
				}}})
			}
			return ex.connection("OrderAdjustmentConnection", items, args)
		}),
		"transactions": resolver(func(args map[string]any) (any, error) {
			items := make([]item, 0, len(r.Transactions))
			for i := range r.Transactions {
				items = append(items, item{indexKey(i), o.gqlTransaction(&r.Transactions[i])})
			}
			return ex.connection("OrderTransactionConnection", items, args)
		}),
	}}
}

func firstN[T any](in []T, args map[string]any) []T {
	if n, ok := toInt(args["first"]); ok && n < len(in) {
		return in[:n]
	}
	return in
}

func (s *Sim) gqlOrder(ex *executor, o *Order) *node {
	var customer any
	if c := o.Customer; c != nil {
		var email, phone any
		if c.Email != "" {
			email = &node{typ: "CustomerEmailAddress", f: map[string]any{"emailAddress": c.Email}}
		}
		if c.Phone != "" {
			phone = &node{typ: "CustomerPhoneNumber", f: map[string]any{"phoneNumber": c.Phone}}
		}
		customer = &node{typ: "Customer", f: map[string]any{"id": gid("Customer", c.ID), "firstName": strOrNil(c.FirstName),
			"lastName": strOrNil(c.LastName), "email": strOrNil(c.Email), "phone": strOrNil(c.Phone),
			"defaultEmailAddress": email, "defaultPhoneNumber": phone}}
	}
	attrs := make([]any, 0, len(o.NoteAttributes))
	for _, a := range o.NoteAttributes {
		attrs = append(attrs, &node{typ: "Attribute", f: map[string]any{"key": a.Name, "value": a.Value}})
	}
	opt := func(m *Money) any {
		if m == nil {
			return nil
		}
		return o.moneyBag(*m)
	}
	tags := make([]any, 0, len(o.Tags))
	for _, t := range o.Tags {
		tags = append(tags, t)
	}
	gateways := make([]any, 0, len(o.PaymentGatewayNames))
	for _, g := range o.PaymentGatewayNames {
		gateways = append(gateways, g)
	}
	return &node{typ: "Order", f: map[string]any{
		"id": gid("Order", o.ID), "legacyResourceId": strconv.FormatInt(o.ID, 10), "name": o.Name, "number": o.Number,
		"email": strOrNil(o.Email), "phone": strOrNil(o.Phone), "customer": customer,
		"createdAt": gqlTime(o.CreatedAt), "updatedAt": gqlTime(o.UpdatedAt), "processedAt": gqlTime(o.ProcessedAt),
		"cancelledAt": gqlTimePtr(o.CancelledAt), "closedAt": gqlTimePtr(o.ClosedAt), "closed": o.ClosedAt != nil, "cancelReason": strOrNil(o.CancelReason),
		"currencyCode": o.Currency, "presentmentCurrencyCode": o.PresentmentCurrency,
		"taxesIncluded": o.TaxesIncluded, "taxExempt": o.TaxExempt, "test": o.Test,
		"displayFinancialStatus": strOrNil(o.FinancialStatus), "displayFulfillmentStatus": o.FulfillmentStatus,
		"sourceName": strOrNil(o.SourceName), "tags": tags, "note": strOrNil(o.Note), "customAttributes": attrs,
		"paymentGatewayNames": gateways, "billingAddress": gqlAddress(o.BillingAddress), "shippingAddress": gqlAddress(o.ShippingAddress),
		"totalPriceSet": o.moneyBag(o.TotalPrice), "subtotalPriceSet": o.moneyBag(o.SubtotalPrice), "totalTaxSet": o.moneyBag(o.TotalTax),
		"totalDiscountsSet": o.moneyBag(o.TotalDiscounts), "totalShippingPriceSet": o.moneyBag(o.TotalShipping),
		"currentTotalPriceSet": o.moneyBag(o.CurrentTotalPrice), "currentSubtotalPriceSet": o.moneyBag(o.CurrentSubtotalPrice),
		"currentTotalTaxSet": o.moneyBag(o.CurrentTotalTax), "currentTotalDiscountsSet": o.moneyBag(o.CurrentTotalDiscounts),
		"totalOutstandingSet": o.moneyBag(o.TotalOutstanding), "totalTipReceivedSet": o.moneyBag(o.TotalTipReceived),
		"originalTotalDutiesSet": opt(o.TotalDuties), "currentTotalDutiesSet": opt(o.TotalDuties),
		"originalTotalAdditionalFeesSet": opt(o.TotalAdditionalFees), "currentTotalAdditionalFeesSet": opt(o.TotalAdditionalFees),
		"taxLines": o.gqlTaxLines(o.TaxLines),
		"lineItems": resolver(func(args map[string]any) (any, error) {
			items := make([]item, 0, len(o.LineItems))
			for i := range o.LineItems {
				items = append(items, item{indexKey(i), o.gqlLineItem(&o.LineItems[i])})
			}
			return ex.connection("LineItemConnection", items, args)
		}),
		"shippingLines": resolver(func(args map[string]any) (any, error) {
			incl, _ := args["includeRemovals"].(bool)
			items := make([]item, 0, len(o.ShippingLines))
			for i := range o.ShippingLines {
				if o.ShippingLines[i].IsRemoved && !incl {
					continue
				}
				items = append(items, item{indexKey(i), o.gqlShippingLine(&o.ShippingLines[i])})
			}
			return ex.connection("ShippingLineConnection", items, args)
		}),
		"transactions": resolver(func(args map[string]any) (any, error) {
			out := []any{}
			for i := range firstN(o.Transactions, args) {
				out = append(out, o.gqlTransaction(&o.Transactions[i]))
			}
			return out, nil
		}),
		"transactionsCount": &node{typ: "Count", f: map[string]any{"count": len(o.Transactions), "precision": "EXACT"}},
		"refunds": resolver(func(args map[string]any) (any, error) {
			out := []any{}
			for i := range firstN(o.Refunds, args) {
				out = append(out, s.gqlRefund(ex, o, &o.Refunds[i]))
			}
			return out, nil
		}),
		"metafield": resolver(func(args map[string]any) (any, error) {
			ns, _ := args["namespace"].(string)
			if ns == "" {
				ns = "$app" // Shopify's default: the app's reserved namespace
			}
			key, _ := args["key"].(string)
			for _, m := range o.Metafields {
				if m.Namespace == ns && m.Key == key {
					return gqlMetafield(o, m), nil
				}
			}
			return nil, nil
		}),
	}}
}

func gqlMetafield(o *Order, m *Metafield) *node {
	return &node{typ: "Metafield", f: map[string]any{"id": gid("Metafield", m.ID), "legacyResourceId": strconv.FormatInt(m.ID, 10),
		"namespace": m.Namespace, "key": m.Key, "type": m.Type, "value": m.Value, "compareDigest": m.Digest(),
		"createdAt": gqlTime(m.CreatedAt), "updatedAt": gqlTime(m.UpdatedAt), "ownerType": "ORDER",
		"jsonValue": json.RawMessage(mustJSON(m.Value))}}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// orderKey is an order's place under sortKey (fixed-width, so keys sort as strings).
func orderKey(o *Order, sortKey string) string {
	id := fmt.Sprintf("%020d", o.ID)
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000") }
	switch sortKey {
	case "CREATED_AT":
		return ts(o.CreatedAt) + "|" + id
	case "UPDATED_AT":
		return ts(o.UpdatedAt) + "|" + id
	case "ORDER_NUMBER":
		return fmt.Sprintf("%020d|%s", o.Number, id)
	case "ID":
		return id
	default: // PROCESSED_AT, Shopify's default
		return ts(o.ProcessedAt) + "|" + id
	}
}

// sortedOrders are the orders matching filter, ascending by sortKey.
func sortedOrders(orders []*Order, sortKey string, match func(*Order) bool) []*Order {
	out := make([]*Order, 0, len(orders))
	for _, o := range orders {
		if match(o) {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return orderKey(out[i], sortKey) < orderKey(out[j], sortKey) })
	return out
}
