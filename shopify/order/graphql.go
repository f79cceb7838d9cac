package order

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
)

// FromGraphQL turns an order read through the Admin GraphQL API into the same
// schemas.Order its webhook body gives (TestGraphQLAndWebhookAgree proves it field by
// field). What only GraphQL says is kept too: the order's transactions, and the
// fulfillment states REST reports as null. GraphQL refunds have no processed_at: a
// refund's ProcessedAt is its createdAt (REST sets both alike); a refund's Restock is
// whether any of its line items was restocked.
func FromGraphQL(f *admin.FullOrder) (schemas.Order, error) {
	h := &f.OrderHeader
	id, err := admin.LegacyID(h.Id)
	if err != nil {
		return schemas.Order{}, fmt.Errorf("order: %w", err)
	}
	o := schemas.Order{
		ID:                  id,
		AdminGraphqlAPIID:   h.Id,
		Name:                h.Name,
		OrderNumber:         int64(h.Number),
		Email:               str(h.Email),
		Phone:               str(h.Phone),
		CreatedAt:           h.CreatedAt.UTC(),
		UpdatedAt:           h.UpdatedAt.UTC(),
		ProcessedAt:         utc(&h.ProcessedAt),
		CancelledAt:         utc(h.CancelledAt),
		ClosedAt:            utc(h.ClosedAt),
		Currency:            string(h.CurrencyCode),
		PresentmentCurrency: string(h.PresentmentCurrencyCode),
		TaxesIncluded:       h.TaxesIncluded,
		TaxExempt:           h.TaxExempt,
		FulfillmentStatus:   FulfillmentStatus(string(h.DisplayFulfillmentStatus)),
		SourceName:          str(h.SourceName),
		Tags:                strings.Join(h.Tags, ", "),
		Note:                str(h.Note),
		NoteAttributes:      make([]schemas.NoteAttribute, 0, len(h.CustomAttributes)),
		PaymentGatewayNames: append([]string{}, h.PaymentGatewayNames...),
		Test:                h.Test,
		BillingAddress:      addrGQL(h.BillingAddress),
		ShippingAddress:     addrGQL(h.ShippingAddress),
		LineItems:           make([]schemas.LineItem, 0, len(f.LineItems)),
		ShippingLines:       make([]schemas.ShippingLine, 0, len(f.ShippingLines)),
		TaxLines:            taxesGQL(h.TaxLines),
		Refunds:             make([]schemas.Refund, 0, len(f.Refunds)),
	}
	if h.CancelReason != nil {
		o.CancelReason = strings.ToLower(string(*h.CancelReason))
	}
	if h.DisplayFinancialStatus != nil {
		o.FinancialStatus = FinancialStatus(string(*h.DisplayFinancialStatus))
	}
	o.TotalPrice, o.TotalPricePresentment = bag(&h.TotalPriceSet)
	o.SubtotalPrice, o.SubtotalPricePresentment = bag(h.SubtotalPriceSet)
	o.TotalTax, o.TotalTaxPresentment = bag(h.TotalTaxSet)
	o.TotalDiscounts, o.TotalDiscountsPresentment = bag(h.TotalDiscountsSet)
	o.TotalShipping, o.TotalShippingPresentment = bag(&h.TotalShippingPriceSet)
	o.CurrentTotalPrice, o.CurrentTotalPricePresentment = bag(&h.CurrentTotalPriceSet)
	o.CurrentSubtotalPrice, o.CurrentSubtotalPricePresentment = bag(&h.CurrentSubtotalPriceSet)
	o.CurrentTotalTax, o.CurrentTotalTaxPresentment = bag(&h.CurrentTotalTaxSet)
	o.CurrentTotalDiscounts, o.CurrentTotalDiscountsPresentment = bag(&h.CurrentTotalDiscountsSet)
	o.TotalOutstanding, _ = bag(&h.TotalOutstandingSet)
	o.TotalTipReceived, _ = bag(&h.TotalTipReceivedSet)
	o.TotalDuties, o.TotalDutiesPresentment = bag(h.OriginalTotalDutiesSet)
	o.TotalAdditionalFees, o.TotalAdditionalFeesPresentment = bag(h.OriginalTotalAdditionalFeesSet)
	if c := h.Customer; c != nil {
		cid, err := admin.LegacyID(c.Id)
		if err != nil {
			return schemas.Order{}, fmt.Errorf("order %d customer: %w", id, err)
		}
		o.Customer = &schemas.Customer{ID: cid, FirstName: str(c.FirstName), LastName: str(c.LastName)}
		if c.DefaultEmailAddress != nil {
			o.Customer.Email = c.DefaultEmailAddress.EmailAddress
		}
		if c.DefaultPhoneNumber != nil {
			o.Customer.Phone = c.DefaultPhoneNumber.PhoneNumber
		}
		if o.Email == "" {
			o.Email = o.Customer.Email
		}
	}
	for _, a := range h.CustomAttributes {
		o.NoteAttributes = append(o.NoteAttributes, schemas.NoteAttribute{Name: a.Key, Value: str(a.Value)})
	}
	for i := range f.LineItems {
		li := &f.LineItems[i]
		lid, err := admin.LegacyID(li.Id)
		if err != nil {
			return schemas.Order{}, fmt.Errorf("order %d line item: %w", id, err)
		}
		cq := int32(li.CurrentQuantity)
		l := schemas.LineItem{ID: lid, SKU: str(li.Sku), Title: li.Title, Name: li.Name, VariantTitle: str(li.VariantTitle),
			Quantity: int32(li.Quantity), CurrentQuantity: &cq, Taxable: li.Taxable, RequiresShipping: li.RequiresShipping,
			GiftCard: li.IsGiftCard, TaxLines: taxesGQL(li.TaxLines)}
		if li.Product != nil {
			if l.ProductID, err = admin.LegacyID(li.Product.Id); err != nil {
				return schemas.Order{}, fmt.Errorf("order %d line %d product: %w", id, lid, err)
			}
		}
		if li.Variant != nil {
			if l.VariantID, err = admin.LegacyID(li.Variant.Id); err != nil {
				return schemas.Order{}, fmt.Errorf("order %d line %d variant: %w", id, lid, err)
			}
		}
		l.Price, l.PricePresentment = bag(&li.OriginalUnitPriceSet)
		// As for webhooks: the allocations carry the real per-line discount.
		l.TotalDiscount, l.TotalDiscountPresentment = bag(&li.TotalDiscountSet)
		if len(li.DiscountAllocations) > 0 {
			l.TotalDiscount, l.TotalDiscountPresentment = decimal.Zero, decimal.Zero
			for _, a := range li.DiscountAllocations {
				s, p := bag(&a.AllocatedAmountSet)
				l.TotalDiscount, l.TotalDiscountPresentment = l.TotalDiscount.Add(s), l.TotalDiscountPresentment.Add(p)
			}
		}
		o.LineItems = append(o.LineItems, l)
	}
	for i := range f.ShippingLines {
		sl := &f.ShippingLines[i]
		s := schemas.ShippingLine{Title: sl.Title, Code: str(sl.Code), IsRemoved: sl.IsRemoved, TaxLines: taxesGQL(sl.TaxLines)}
		if sl.Id != nil {
			if s.ID, err = admin.LegacyID(*sl.Id); err != nil {
				return schemas.Order{}, fmt.Errorf("order %d shipping line: %w", id, err)
			}
		}
		s.Price, s.PricePresentment = bag(&sl.OriginalPriceSet)
		s.DiscountedPrice, s.DiscountedPricePresentment = bag(&sl.DiscountedPriceSet)
		o.ShippingLines = append(o.ShippingLines, s)
	}
	if o.Transactions, err = transactionsGQL(f.Transactions); err != nil {
		return schemas.Order{}, fmt.Errorf("order %d: %w", id, err)
	}
	for i := range f.Refunds {
		r, err := RefundFromGraphQL(&f.Refunds[i])
		if err != nil {
			return schemas.Order{}, fmt.Errorf("order %d: %w", id, err)
		}
		o.Refunds = append(o.Refunds, r)
	}
	return o, nil
}

// RefundFromGraphQL turns one refund read through GraphQL into the refund record.
func RefundFromGraphQL(f *admin.FullRefund) (schemas.Refund, error) {
	rid, err := admin.LegacyID(f.Id)
	if err != nil {
		return schemas.Refund{}, fmt.Errorf("refund: %w", err)
	}
	r := schemas.Refund{ID: rid, CreatedAt: utc(f.CreatedAt), ProcessedAt: utc(f.CreatedAt), Note: str(f.Note),
		RefundLineItems:     make([]schemas.RefundLineItem, 0, len(f.RefundLineItems)),
		RefundShippingLines: make([]schemas.RefundShippingLine, 0, len(f.RefundShippingLines)),
		OrderAdjustments:    make([]schemas.OrderAdjustment, 0, len(f.OrderAdjustments)),
	}
	for i := range f.RefundLineItems {
		li := &f.RefundLineItems[i]
		x := schemas.RefundLineItem{Quantity: int32(li.Quantity), RestockType: strings.ToLower(string(li.RestockType))}
		if li.Id != nil {
			if x.ID, err = admin.LegacyID(*li.Id); err != nil {
				return schemas.Refund{}, fmt.Errorf("refund %d line: %w", rid, err)
			}
		}
		if x.LineItemID, err = admin.LegacyID(li.LineItem.Id); err != nil {
			return schemas.Refund{}, fmt.Errorf("refund %d line item: %w", rid, err)
		}
		x.Subtotal, x.SubtotalPresentment = bag(&li.SubtotalSet)
		x.TotalTax, x.TotalTaxPresentment = bag(&li.TotalTaxSet)
		r.Restock = r.Restock || li.Restocked
		r.RefundLineItems = append(r.RefundLineItems, x)
	}
	for i := range f.RefundShippingLines {
		sl := &f.RefundShippingLines[i]
		x := schemas.RefundShippingLine{}
		if x.ID, err = admin.LegacyID(sl.Id); err != nil {
			return schemas.Refund{}, fmt.Errorf("refund %d shipping line: %w", rid, err)
		}
		if sl.ShippingLine.Id != nil {
			if x.ShippingLineID, err = admin.LegacyID(*sl.ShippingLine.Id); err != nil {
				return schemas.Refund{}, fmt.Errorf("refund %d shipping line: %w", rid, err)
			}
		}
		x.Amount, x.AmountPresentment = bag(&sl.SubtotalAmountSet)
		x.Tax, x.TaxPresentment = bag(&sl.TaxAmountSet)
		r.RefundShippingLines = append(r.RefundShippingLines, x)
	}
	for i := range f.OrderAdjustments {
		a := &f.OrderAdjustments[i]
		// GraphQL's adjustments are all discrepancies (refunded shipping is a refund
		// shipping line there); the reason enum says which.
		x := schemas.OrderAdjustment{Kind: "refund_discrepancy"}
		if x.ID, err = admin.LegacyID(a.Id); err != nil {
			return schemas.Refund{}, fmt.Errorf("refund %d adjustment: %w", rid, err)
		}
		if a.Reason != nil {
			x.Reason = strings.ToLower(string(*a.Reason))
		}
		x.Amount, x.AmountPresentment = bag(&a.AmountSet)
		x.TaxAmount, x.TaxAmountPresentment = bag(&a.TaxAmountSet)
		r.OrderAdjustments = append(r.OrderAdjustments, x)
	}
	if r.Transactions, err = transactionsGQL(f.Transactions); err != nil {
		return schemas.Refund{}, fmt.Errorf("refund %d: %w", rid, err)
	}
	return r, nil
}

// Transactions converts transactions read over GraphQL (admin.Client.Transactions) as
// the normalizer does those of a whole order.
func Transactions(in []admin.TransactionFields) ([]schemas.Transaction, error) {
	return transactionsGQL(in)
}

func transactionsGQL(in []admin.TransactionFields) ([]schemas.Transaction, error) {
	out := make([]schemas.Transaction, 0, len(in))
	for i := range in {
		t := &in[i]
		tid, err := admin.LegacyID(t.Id)
		if err != nil {
			return nil, fmt.Errorf("transaction: %w", err)
		}
		x := schemas.Transaction{ID: tid, Kind: strings.ToLower(string(t.Kind)), Status: strings.ToLower(string(t.Status)),
			Gateway: str(t.Gateway), Currency: string(t.AmountSet.PresentmentMoney.CurrencyCode), ProcessedAt: utc(t.ProcessedAt), Test: t.Test}
		if t.ParentTransaction != nil {
			if x.ParentID, err = admin.LegacyID(t.ParentTransaction.Id); err != nil {
				return nil, fmt.Errorf("transaction %d parent: %w", tid, err)
			}
		}
		x.Amount, x.AmountPresentment = bag(&t.AmountSet)
		out = append(out, x)
	}
	return out, nil
}

func bag(m *admin.Money) (shop, presentment decimal.Decimal) {
	if m == nil {
		return decimal.Zero, decimal.Zero
	}
	return m.ShopMoney.Amount, m.PresentmentMoney.Amount
}

func taxesGQL(in []admin.TaxLineFields) []schemas.TaxLine {
	out := make([]schemas.TaxLine, 0, len(in))
	for i := range in {
		f := &in[i]
		x := schemas.TaxLine{Title: f.Title, ChannelLiable: f.ChannelLiable != nil && *f.ChannelLiable}
		if f.Rate != nil {
			x.Rate = *f.Rate
		}
		x.Price, x.PricePresentment = bag(&f.PriceSet)
		out = append(out, x)
	}
	return out
}

func addrGQL(a *admin.AddressFields) *schemas.Address {
	if a == nil {
		return nil
	}
	x := &schemas.Address{Name: str(a.Name), FirstName: str(a.FirstName), LastName: str(a.LastName), Company: str(a.Company),
		Address1: str(a.Address1), Address2: str(a.Address2), City: str(a.City), Zip: str(a.Zip),
		Province: str(a.Province), ProvinceCode: str(a.ProvinceCode), Country: str(a.Country), Phone: str(a.Phone)}
	if a.CountryCodeV2 != nil {
		x.CountryCode = string(*a.CountryCodeV2)
	}
	return x
}
