package shopifysim

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// REST/webhook rendering, in the shape of Shopify's order webhook bodies (see
// shared/shopify/webhooks): amounts as strings with two decimals, every money field
// with its *_set twin, enums lower case, ids as numbers, times in the shop's zone.

type obj = map[string]any

func (s *Sim) restTime(t time.Time) string { return t.In(s.zone).Format(time.RFC3339) }

func (s *Sim) restTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.restTime(*t)
}

func amount(d decimal.Decimal) string { return d.StringFixed(2) }

func (o *Order) moneySet(m Money) obj {
	return obj{
		"shop_money":        obj{"amount": amount(m.Shop), "currency_code": o.Currency},
		"presentment_money": obj{"amount": amount(m.Presentment), "currency_code": o.PresentmentCurrency},
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func idOrNull(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func (o *Order) restTaxLines(in []TaxLine) []any {
	out := make([]any, 0, len(in))
	for _, t := range in {
		var cl any
		if t.ChannelLiable != nil {
			cl = *t.ChannelLiable
		}
		// REST sends the rate as a JSON number, as Shopify does.
		out = append(out, obj{"title": t.Title, "rate": json.Number(t.Rate.String()), "price": amount(t.Price.Shop),
			"price_set": o.moneySet(t.Price), "channel_liable": cl})
	}
	return out
}

func (s *Sim) restAddress(a *Address) any {
	if a == nil {
		return nil
	}
	return obj{"name": a.Name, "first_name": a.FirstName, "last_name": a.LastName, "company": nullable(a.Company),
		"address1": a.Address1, "address2": a.Address2, "city": a.City, "zip": a.Zip, "province": nullable(a.Province),
		"province_code": nullable(a.ProvinceCode), "country": a.Country, "country_code": a.CountryCode, "phone": nullable(a.Phone)}
}

func (s *Sim) restLineItem(o *Order, l *LineItem) obj {
	allocs := make([]any, 0, len(l.DiscountAllocations))
	for _, a := range l.DiscountAllocations {
		allocs = append(allocs, obj{"amount": amount(a.Shop), "amount_set": o.moneySet(a), "discount_application_index": 0})
	}
	return obj{
		"id": l.ID, "admin_graphql_api_id": gid("LineItem", l.ID), "product_id": idOrNull(l.ProductID), "variant_id": idOrNull(l.VariantID),
		"sku": nullable(l.SKU), "title": l.Title, "variant_title": nullable(l.VariantTitle), "name": l.Name(),
		"quantity": l.Quantity, "current_quantity": l.CurrentQuantity, "fulfillable_quantity": l.CurrentQuantity,
		"price": amount(l.Price.Shop), "price_set": o.moneySet(l.Price),
		"total_discount": amount(l.TotalDiscount.Shop), "total_discount_set": o.moneySet(l.TotalDiscount),
		"taxable": l.Taxable, "requires_shipping": l.RequiresShipping, "gift_card": l.GiftCard,
		"tax_lines": o.restTaxLines(l.TaxLines), "discount_allocations": allocs, "duties": []any{}, "properties": []any{},
		"fulfillment_status": nil, "vendor": nil, "product_exists": l.ProductID != 0,
	}
}

func (s *Sim) restShippingLine(o *Order, sl *ShippingLine) obj {
	return obj{"id": sl.ID, "title": sl.Title, "code": nullable(sl.Code), "source": "shopify",
		"price": amount(sl.Price.Shop), "price_set": o.moneySet(sl.Price),
		"discounted_price": amount(sl.DiscountedPrice.Shop), "discounted_price_set": o.moneySet(sl.DiscountedPrice),
		"tax_lines": o.restTaxLines(sl.TaxLines), "is_removed": sl.IsRemoved, "discount_allocations": []any{},
		"carrier_identifier": nil, "phone": nil}
}

// restTransaction: REST gives a transaction's amount in its own (presentment) currency
// only, as Shopify does.
func (s *Sim) restTransaction(o *Order, t *Transaction) obj {
	return obj{"id": t.ID, "admin_graphql_api_id": gid("OrderTransaction", t.ID), "order_id": o.ID, "parent_id": idOrNull(t.ParentID),
		"kind": strings.ToLower(t.Kind), "status": strings.ToLower(t.Status), "gateway": t.Gateway,
		"amount": amount(t.Amount.Presentment), "currency": o.PresentmentCurrency, "processed_at": s.restTimePtr(t.ProcessedAt),
		"created_at": s.restTimePtr(t.ProcessedAt), "test": t.Test, "receipt": obj{}, "error_code": nil}
}

// RESTRefund renders a refund as the refunds/create body.
func (s *Sim) RESTRefund(o *Order, r *Refund) obj {
	rlis := make([]any, 0, len(r.RefundLineItems))
	for _, l := range r.RefundLineItems {
		x := obj{"id": l.ID, "line_item_id": l.LineItemID, "quantity": l.Quantity, "restock_type": strings.ToLower(l.RestockType),
			"subtotal": json.Number(amount(l.Subtotal.Shop)), "subtotal_set": o.moneySet(l.Subtotal),
			"total_tax": json.Number(amount(l.TotalTax.Shop)), "total_tax_set": o.moneySet(l.TotalTax), "location_id": nil}
		for i := range o.LineItems {
			if o.LineItems[i].ID == l.LineItemID {
				x["line_item"] = s.restLineItem(o, &o.LineItems[i])
			}
		}
		rlis = append(rlis, x)
	}
	rsls := make([]any, 0, len(r.RefundShippingLines))
	adjs := make([]any, 0, len(r.OrderAdjustments)+len(r.RefundShippingLines))
	for _, l := range r.RefundShippingLines {
		// REST's refund shipping line has no tax; its shipping_refund adjustment (money
		// back is negative) repeats the amount and carries the tax, as Shopify's refund
		// bodies show.
		rsls = append(rsls, obj{"id": l.ID, "shipping_line_id": l.ShippingLineID, "subtotal_amount_set": o.moneySet(l.Subtotal)})
		neg := Money{l.Subtotal.Shop.Neg(), l.Subtotal.Presentment.Neg()}
		negTax := Money{l.Tax.Shop.Neg(), l.Tax.Presentment.Neg()}
		adjs = append(adjs, obj{"id": l.ID + 1, "order_id": o.ID, "refund_id": r.ID, "kind": "shipping_refund", "reason": "Shipping refund",
			"amount": amount(neg.Shop), "amount_set": o.moneySet(neg), "tax_amount": amount(negTax.Shop), "tax_amount_set": o.moneySet(negTax)})
	}
	for _, a := range r.OrderAdjustments {
		reason := strings.ReplaceAll(strings.ToLower(a.Reason), "_", " ")
		if reason != "" {
			reason = strings.ToUpper(reason[:1]) + reason[1:]
		}
		adjs = append(adjs, obj{"id": a.ID, "order_id": o.ID, "refund_id": r.ID, "kind": "refund_discrepancy", "reason": reason,
			"amount": amount(a.Amount.Shop), "amount_set": o.moneySet(a.Amount), "tax_amount": amount(a.TaxAmount.Shop), "tax_amount_set": o.moneySet(a.TaxAmount)})
	}
	txs := make([]any, 0, len(r.Transactions))
	for i := range r.Transactions {
		txs = append(txs, s.restTransaction(o, &r.Transactions[i]))
	}
	return obj{"id": r.ID, "admin_graphql_api_id": gid("Refund", r.ID), "order_id": o.ID, "created_at": s.restTime(r.CreatedAt),
		"processed_at": s.restTime(r.CreatedAt), "note": nullable(r.Note), "restock": r.Restocked(), "user_id": nil,
		"refund_line_items": rlis, "refund_shipping_lines": rsls, "order_adjustments": adjs, "transactions": txs,
		"duties": []any{}, "return": nil}
}

// RESTOrder renders an order as its orders/* webhook body. It has no order
// transactions (webhook bodies carry none); fulfillment_status says only what REST
// can: null, fulfilled, partial, restocked.
func (s *Sim) RESTOrder(o *Order) obj {
	lines := make([]any, 0, len(o.LineItems))
	for i := range o.LineItems {
		lines = append(lines, s.restLineItem(o, &o.LineItems[i]))
	}
	ships := make([]any, 0, len(o.ShippingLines))
	for i := range o.ShippingLines {
		ships = append(ships, s.restShippingLine(o, &o.ShippingLines[i]))
	}
	refunds := make([]any, 0, len(o.Refunds))
	for i := range o.Refunds {
		refunds = append(refunds, s.RESTRefund(o, &o.Refunds[i]))
	}
	attrs := make([]any, 0, len(o.NoteAttributes))
	for _, a := range o.NoteAttributes {
		attrs = append(attrs, obj{"name": a.Name, "value": a.Value})
	}
	var customer any
	if c := o.Customer; c != nil {
		customer = obj{"id": c.ID, "email": nullable(c.Email), "first_name": nullable(c.FirstName), "last_name": nullable(c.LastName),
			"phone": nullable(c.Phone), "admin_graphql_api_id": gid("Customer", c.ID), "state": "disabled", "tax_exempt": false}
	}
	var fin any
	if o.FinancialStatus != "" {
		fin = strings.ToLower(o.FinancialStatus)
	}
	optSet := func(m *Money) any {
		if m == nil {
			return nil
		}
		return o.moneySet(*m)
	}
	gateways := o.PaymentGatewayNames
	if gateways == nil {
		gateways = []string{}
	}
	return obj{
		"id": o.ID, "admin_graphql_api_id": gid("Order", o.ID), "name": o.Name, "order_number": o.Number, "number": o.Number - 1000,
		"email": nullable(o.Email), "contact_email": nullable(o.Email), "phone": nullable(o.Phone), "customer": customer,
		"created_at": s.restTime(o.CreatedAt), "updated_at": s.restTime(o.UpdatedAt), "processed_at": s.restTime(o.ProcessedAt),
		"cancelled_at": s.restTimePtr(o.CancelledAt), "closed_at": s.restTimePtr(o.ClosedAt), "cancel_reason": nullable(strings.ToLower(o.CancelReason)),
		"currency": o.Currency, "presentment_currency": o.PresentmentCurrency,
		"total_price": amount(o.TotalPrice.Shop), "total_price_set": o.moneySet(o.TotalPrice),
		"subtotal_price": amount(o.SubtotalPrice.Shop), "subtotal_price_set": o.moneySet(o.SubtotalPrice),
		"total_tax": amount(o.TotalTax.Shop), "total_tax_set": o.moneySet(o.TotalTax),
		"total_discounts": amount(o.TotalDiscounts.Shop), "total_discounts_set": o.moneySet(o.TotalDiscounts),
		"total_shipping_price_set": o.moneySet(o.TotalShipping),
		"current_total_price":      amount(o.CurrentTotalPrice.Shop), "current_total_price_set": o.moneySet(o.CurrentTotalPrice),
		"current_subtotal_price": amount(o.CurrentSubtotalPrice.Shop), "current_subtotal_price_set": o.moneySet(o.CurrentSubtotalPrice),
		"current_total_tax": amount(o.CurrentTotalTax.Shop), "current_total_tax_set": o.moneySet(o.CurrentTotalTax),
		"current_total_discounts": amount(o.CurrentTotalDiscounts.Shop), "current_total_discounts_set": o.moneySet(o.CurrentTotalDiscounts),
		"total_outstanding": amount(o.TotalOutstanding.Shop), "total_tip_received": amount(o.TotalTipReceived.Shop),
		"original_total_duties_set": optSet(o.TotalDuties), "current_total_duties_set": optSet(o.TotalDuties),
		"original_total_additional_fees_set": optSet(o.TotalAdditionalFees), "current_total_additional_fees_set": optSet(o.TotalAdditionalFees),
		"taxes_included": o.TaxesIncluded, "tax_exempt": o.TaxExempt, "test": o.Test,
		"financial_status": fin, "fulfillment_status": restFulfillment(o.FulfillmentStatus),
		"source_name": o.SourceName, "tags": strings.Join(o.Tags, ", "), "note": nullable(o.Note), "note_attributes": attrs,
		"payment_gateway_names": gateways, "billing_address": s.restAddress(o.BillingAddress), "shipping_address": s.restAddress(o.ShippingAddress),
		"line_items": lines, "shipping_lines": ships, "tax_lines": o.restTaxLines(o.TaxLines), "refunds": refunds,
		"discount_codes": []any{}, "discount_applications": []any{}, "fulfillments": []any{},
	}
}

// restFulfillment is REST's fulfillment_status for GraphQL's display status: REST knows
// fulfilled, partial and restocked; everything else is null.
func restFulfillment(display string) any {
	switch display {
	case "FULFILLED":
		return "fulfilled"
	case "PARTIALLY_FULFILLED":
		return "partial"
	case "RESTOCKED":
		return "restocked"
	}
	return nil
}

// RESTOrderJSON is RESTOrder encoded, as a webhook body.
func (s *Sim) RESTOrderJSON(o *Order) []byte {
	b, err := json.Marshal(s.RESTOrder(o))
	if err != nil {
		panic(fmt.Sprintf("shopifysim: encode order %d: %v", o.ID, err)) // only our own values are encoded
	}
	return b
}
