package order

import (
	"bytes"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/schemas"
)

// The REST/webhook shapes below name only what Synco reads. Ids are int64 (Shopify's
// ids exceed 2^53, so never a float); money is decimal (strings, or numbers in a few
// legacy fields). The plain field is the shop amount; its *_set twin gives the
// presentment amount (and the shop amount where a payload has no plain field).

type money struct {
	Amount       decimal.NullDecimal `json:"amount"`
	CurrencyCode string              `json:"currency_code"`
}

type moneySet struct {
	ShopMoney        money `json:"shop_money"`
	PresentmentMoney money `json:"presentment_money"`
}

type taxLine struct {
	Title         string              `json:"title"`
	Rate          decimal.NullDecimal `json:"rate"`
	Price         decimal.NullDecimal `json:"price"`
	PriceSet      *moneySet           `json:"price_set"`
	ChannelLiable *bool               `json:"channel_liable"`
}

type discountAllocation struct {
	Amount    decimal.NullDecimal `json:"amount"`
	AmountSet *moneySet           `json:"amount_set"`
}

type lineItem struct {
	ID                  int64                `json:"id"`
	ProductID           *int64               `json:"product_id"`
	VariantID           *int64               `json:"variant_id"`
	SKU                 *string              `json:"sku"`
	Title               string               `json:"title"`
	Name                string               `json:"name"`
	VariantTitle        *string              `json:"variant_title"`
	Quantity            int32                `json:"quantity"`
	CurrentQuantity     *int32               `json:"current_quantity"`
	Price               decimal.NullDecimal  `json:"price"`
	PriceSet            *moneySet            `json:"price_set"`
	TotalDiscount       decimal.NullDecimal  `json:"total_discount"`
	TotalDiscountSet    *moneySet            `json:"total_discount_set"`
	Taxable             bool                 `json:"taxable"`
	RequiresShipping    bool                 `json:"requires_shipping"`
	GiftCard            bool                 `json:"gift_card"`
	TaxLines            []taxLine            `json:"tax_lines"`
	DiscountAllocations []discountAllocation `json:"discount_allocations"`
}

type shippingLine struct {
	ID                 int64               `json:"id"`
	Title              string              `json:"title"`
	Code               *string             `json:"code"`
	Price              decimal.NullDecimal `json:"price"`
	PriceSet           *moneySet           `json:"price_set"`
	DiscountedPrice    decimal.NullDecimal `json:"discounted_price"`
	DiscountedPriceSet *moneySet           `json:"discounted_price_set"`
	TaxLines           []taxLine           `json:"tax_lines"`
	IsRemoved          bool                `json:"is_removed"`
}

type address struct {
	Name         *string `json:"name"`
	FirstName    *string `json:"first_name"`
	LastName     *string `json:"last_name"`
	Company      *string `json:"company"`
	Address1     *string `json:"address1"`
	Address2     *string `json:"address2"`
	City         *string `json:"city"`
	Zip          *string `json:"zip"`
	Province     *string `json:"province"`
	ProvinceCode *string `json:"province_code"`
	Country      *string `json:"country"`
	CountryCode  *string `json:"country_code"`
	Phone        *string `json:"phone"`
}

type customer struct {
	ID        int64   `json:"id"`
	Email     *string `json:"email"`
	FirstName *string `json:"first_name"`
	LastName  *string `json:"last_name"`
	Phone     *string `json:"phone"`
}

type transaction struct {
	ID          int64               `json:"id"`
	ParentID    *int64              `json:"parent_id"`
	Kind        string              `json:"kind"`
	Status      string              `json:"status"`
	Gateway     *string             `json:"gateway"`
	Amount      decimal.NullDecimal `json:"amount"`
	AmountSet   *moneySet           `json:"amount_set"`
	Currency    string              `json:"currency"`
	ProcessedAt *time.Time          `json:"processed_at"`
	Test        bool                `json:"test"`
}

type refundLineItem struct {
	ID          int64               `json:"id"`
	LineItemID  int64               `json:"line_item_id"`
	Quantity    int32               `json:"quantity"`
	RestockType string              `json:"restock_type"`
	Subtotal    decimal.NullDecimal `json:"subtotal"`
	SubtotalSet *moneySet           `json:"subtotal_set"`
	TotalTax    decimal.NullDecimal `json:"total_tax"`
	TotalTaxSet *moneySet           `json:"total_tax_set"`
}

type refundShippingLine struct {
	ID                int64     `json:"id"`
	ShippingLineID    int64     `json:"shipping_line_id"`
	SubtotalAmountSet *moneySet `json:"subtotal_amount_set"`
	TaxAmountSet      *moneySet `json:"tax_amount_set"`
}

type orderAdjustment struct {
	ID           int64               `json:"id"`
	Kind         string              `json:"kind"`
	Reason       *string             `json:"reason"`
	Amount       decimal.NullDecimal `json:"amount"`
	AmountSet    *moneySet           `json:"amount_set"`
	TaxAmount    decimal.NullDecimal `json:"tax_amount"`
	TaxAmountSet *moneySet           `json:"tax_amount_set"`
}

type refund struct {
	ID                  *int64               `json:"id"`
	OrderID             *int64               `json:"order_id"`
	CreatedAt           *time.Time           `json:"created_at"`
	ProcessedAt         *time.Time           `json:"processed_at"`
	Note                *string              `json:"note"`
	Restock             bool                 `json:"restock"`
	RefundLineItems     []refundLineItem     `json:"refund_line_items"`
	RefundShippingLines []refundShippingLine `json:"refund_shipping_lines"`
	OrderAdjustments    []orderAdjustment    `json:"order_adjustments"`
	Transactions        []transaction        `json:"transactions"`
}

type order struct {
	ID                             *int64              `json:"id"`
	AdminGraphqlAPIID              string              `json:"admin_graphql_api_id"`
	Name                           string              `json:"name"`
	OrderNumber                    int64               `json:"order_number"`
	Email                          *string             `json:"email"`
	ContactEmail                   *string             `json:"contact_email"`
	Phone                          *string             `json:"phone"`
	Customer                       *customer           `json:"customer"`
	CreatedAt                      *time.Time          `json:"created_at"`
	UpdatedAt                      *time.Time          `json:"updated_at"`
	ProcessedAt                    *time.Time          `json:"processed_at"`
	CancelledAt                    *time.Time          `json:"cancelled_at"`
	ClosedAt                       *time.Time          `json:"closed_at"`
	CancelReason                   *string             `json:"cancel_reason"`
	Currency                       string              `json:"currency"`
	PresentmentCurrency            string              `json:"presentment_currency"`
	TotalPrice                     decimal.NullDecimal `json:"total_price"`
	TotalPriceSet                  *moneySet           `json:"total_price_set"`
	SubtotalPrice                  decimal.NullDecimal `json:"subtotal_price"`
	SubtotalPriceSet               *moneySet           `json:"subtotal_price_set"`
	TotalTax                       decimal.NullDecimal `json:"total_tax"`
	TotalTaxSet                    *moneySet           `json:"total_tax_set"`
	TotalDiscounts                 decimal.NullDecimal `json:"total_discounts"`
	TotalDiscountsSet              *moneySet           `json:"total_discounts_set"`
	TotalShippingPriceSet          *moneySet           `json:"total_shipping_price_set"`
	CurrentTotalPrice              decimal.NullDecimal `json:"current_total_price"`
	CurrentTotalPriceSet           *moneySet           `json:"current_total_price_set"`
	CurrentSubtotalPrice           decimal.NullDecimal `json:"current_subtotal_price"`
	CurrentSubtotalPriceSet        *moneySet           `json:"current_subtotal_price_set"`
	CurrentTotalTax                decimal.NullDecimal `json:"current_total_tax"`
	CurrentTotalTaxSet             *moneySet           `json:"current_total_tax_set"`
	CurrentTotalDiscounts          decimal.NullDecimal `json:"current_total_discounts"`
	CurrentTotalDiscountsSet       *moneySet           `json:"current_total_discounts_set"`
	TotalOutstanding               decimal.NullDecimal `json:"total_outstanding"`
	TotalTipReceived               decimal.NullDecimal `json:"total_tip_received"`
	OriginalTotalDutiesSet         *moneySet           `json:"original_total_duties_set"`
	OriginalTotalAdditionalFeesSet *moneySet           `json:"original_total_additional_fees_set"`
	TaxesIncluded                  bool                `json:"taxes_included"`
	TaxExempt                      bool                `json:"tax_exempt"`
	FinancialStatus                *string             `json:"financial_status"`
	FulfillmentStatus              *string             `json:"fulfillment_status"`
	SourceName                     *string             `json:"source_name"`
	Tags                           string              `json:"tags"`
	Note                           *string             `json:"note"`
	NoteAttributes                 []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"note_attributes"`
	PaymentGatewayNames []string       `json:"payment_gateway_names"`
	Test                bool           `json:"test"`
	BillingAddress      *address       `json:"billing_address"`
	ShippingAddress     *address       `json:"shipping_address"`
	LineItems           []lineItem     `json:"line_items"`
	ShippingLines       []shippingLine `json:"shipping_lines"`
	TaxLines            []taxLine      `json:"tax_lines"`
	Refunds             []refund       `json:"refunds"`
	Transactions        []transaction  `json:"transactions"`
}

// ErrNoOrderID is returned for an order payload without an id.
var ErrNoOrderID = errors.New("order payload has no id")

// ErrNoRefundID is returned for a refund payload without an id or order id.
var ErrNoRefundID = errors.New("refund payload has no id or order_id")

// wrappedREST reports whether body's first key is "order" ({"order": {...}}).
func wrappedREST(body []byte) bool {
	i := 0
	skip := func() {
		for i < len(body) && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t') {
			i++
		}
	}
	skip()
	if i >= len(body) || body[i] != '{' {
		return false
	}
	i++
	skip()
	return bytes.HasPrefix(body[i:], []byte(`"order"`))
}

// FromWebhook reads an order webhook body (orders/create, updated, paid, cancelled,
// fulfilled, partially_fulfilled) or a REST order, optionally wrapped as {"order": ...}.
// Webhook bodies carry no order transactions: Transactions is empty unless the body
// has them. The fulfillment status says only what REST's fulfillment_status tells
// (FulfillmentStatus).
func FromWebhook(body []byte) (schemas.Order, error) {
	if err := Valid(body); err != nil {
		return schemas.Order{}, fmt.Errorf("order payload: %w", err)
	}
	// Only a REST answer is wrapped, and its one key comes first: looking there spares
	// webhook bodies a second pass over the whole body.
	if wrappedREST(body) {
		var wrapped struct {
			Order *json.RawMessage `json:"order"`
		}
		if err := json.Unmarshal(body, &wrapped); err == nil && wrapped.Order != nil {
			body = *wrapped.Order
		}
	}
	var p order
	if err := json.Unmarshal(body, &p); err != nil {
		return schemas.Order{}, fmt.Errorf("order payload: %w", err)
	}
	if p.ID == nil || *p.ID <= 0 {
		return schemas.Order{}, ErrNoOrderID
	}
	cur, pcur := p.Currency, p.PresentmentCurrency
	o := schemas.Order{
		ID:                  *p.ID,
		AdminGraphqlAPIID:   p.AdminGraphqlAPIID,
		Name:                p.Name,
		OrderNumber:         p.OrderNumber,
		Email:               str(p.Email),
		Phone:               str(p.Phone),
		ProcessedAt:         utc(p.ProcessedAt),
		CancelledAt:         utc(p.CancelledAt),
		ClosedAt:            utc(p.ClosedAt),
		CancelReason:        strings.ToLower(str(p.CancelReason)),
		Currency:            cur,
		PresentmentCurrency: pcur,
		TaxesIncluded:       p.TaxesIncluded,
		TaxExempt:           p.TaxExempt,
		FinancialStatus:     FinancialStatusFromREST(str(p.FinancialStatus)),
		FulfillmentStatus:   FulfillmentStatusFromREST(p.FulfillmentStatus),
		SourceName:          str(p.SourceName),
		Tags:                p.Tags,
		Note:                str(p.Note),
		NoteAttributes:      []schemas.NoteAttribute{},
		PaymentGatewayNames: p.PaymentGatewayNames,
		Test:                p.Test,
		BillingAddress:      addr(p.BillingAddress),
		ShippingAddress:     addr(p.ShippingAddress),
		LineItems:           make([]schemas.LineItem, 0, len(p.LineItems)),
		ShippingLines:       make([]schemas.ShippingLine, 0, len(p.ShippingLines)),
		TaxLines:            taxes(p.TaxLines, cur, pcur),
		Transactions:        transactions(p.Transactions, cur),
		Refunds:             make([]schemas.Refund, 0, len(p.Refunds)),
	}
	if o.AdminGraphqlAPIID == "" {
		o.AdminGraphqlAPIID = fmt.Sprintf("gid://shopify/Order/%d", o.ID)
	}
	if o.Email == "" {
		o.Email = str(p.ContactEmail)
	}
	if o.PaymentGatewayNames == nil {
		o.PaymentGatewayNames = []string{}
	}
	if p.CreatedAt != nil {
		o.CreatedAt = p.CreatedAt.UTC()
	}
	if p.UpdatedAt != nil {
		o.UpdatedAt = p.UpdatedAt.UTC()
	} else {
		o.UpdatedAt = o.CreatedAt
	}
	o.TotalPrice, o.TotalPricePresentment = amounts(p.TotalPrice, p.TotalPriceSet, cur, pcur)
	o.SubtotalPrice, o.SubtotalPricePresentment = amounts(p.SubtotalPrice, p.SubtotalPriceSet, cur, pcur)
	o.TotalTax, o.TotalTaxPresentment = amounts(p.TotalTax, p.TotalTaxSet, cur, pcur)
	o.TotalDiscounts, o.TotalDiscountsPresentment = amounts(p.TotalDiscounts, p.TotalDiscountsSet, cur, pcur)
	o.TotalShipping, o.TotalShippingPresentment = amounts(decimal.NullDecimal{}, p.TotalShippingPriceSet, cur, pcur)
	o.CurrentTotalPrice, o.CurrentTotalPricePresentment = amounts(p.CurrentTotalPrice, p.CurrentTotalPriceSet, cur, pcur)
	o.CurrentSubtotalPrice, o.CurrentSubtotalPricePresentment = amounts(p.CurrentSubtotalPrice, p.CurrentSubtotalPriceSet, cur, pcur)
	o.CurrentTotalTax, o.CurrentTotalTaxPresentment = amounts(p.CurrentTotalTax, p.CurrentTotalTaxSet, cur, pcur)
	o.CurrentTotalDiscounts, o.CurrentTotalDiscountsPresentment = amounts(p.CurrentTotalDiscounts, p.CurrentTotalDiscountsSet, cur, pcur)
	o.TotalDuties, o.TotalDutiesPresentment = amounts(decimal.NullDecimal{}, p.OriginalTotalDutiesSet, cur, pcur)
	o.TotalAdditionalFees, o.TotalAdditionalFeesPresentment = amounts(decimal.NullDecimal{}, p.OriginalTotalAdditionalFeesSet, cur, pcur)
	o.TotalOutstanding = dec(p.TotalOutstanding)
	o.TotalTipReceived = dec(p.TotalTipReceived)
	if c := p.Customer; c != nil {
		o.Customer = &schemas.Customer{ID: c.ID, Email: str(c.Email), FirstName: str(c.FirstName), LastName: str(c.LastName), Phone: str(c.Phone)}
		if o.Email == "" {
			o.Email = o.Customer.Email
		}
	}
	for _, na := range p.NoteAttributes {
		v := ""
		if na.Value != nil {
			v = fmt.Sprint(na.Value)
		}
		o.NoteAttributes = append(o.NoteAttributes, schemas.NoteAttribute{Name: na.Name, Value: v})
	}
	for _, li := range p.LineItems {
		l := schemas.LineItem{
			ID: li.ID, ProductID: i64(li.ProductID), VariantID: i64(li.VariantID), SKU: str(li.SKU),
			Title: li.Title, Name: li.Name, VariantTitle: str(li.VariantTitle), Quantity: li.Quantity,
			CurrentQuantity: li.CurrentQuantity, Taxable: li.Taxable, RequiresShipping: li.RequiresShipping,
			GiftCard: li.GiftCard, TaxLines: taxes(li.TaxLines, cur, pcur),
		}
		l.Price, l.PricePresentment = amounts(li.Price, li.PriceSet, cur, pcur)
		// total_discount is deprecated and often 0 while the discount allocations carry
		// the real per-line discount.
		l.TotalDiscount, l.TotalDiscountPresentment = amounts(li.TotalDiscount, li.TotalDiscountSet, cur, pcur)
		if len(li.DiscountAllocations) > 0 {
			l.TotalDiscount, l.TotalDiscountPresentment = decimal.Zero, decimal.Zero
			for _, a := range li.DiscountAllocations {
				s, pr := amounts(a.Amount, a.AmountSet, cur, pcur)
				l.TotalDiscount, l.TotalDiscountPresentment = l.TotalDiscount.Add(s), l.TotalDiscountPresentment.Add(pr)
			}
		}
		o.LineItems = append(o.LineItems, l)
	}
	for _, sl := range p.ShippingLines {
		s := schemas.ShippingLine{ID: sl.ID, Title: sl.Title, Code: str(sl.Code), IsRemoved: sl.IsRemoved, TaxLines: taxes(sl.TaxLines, cur, pcur)}
		s.Price, s.PricePresentment = amounts(sl.Price, sl.PriceSet, cur, pcur)
		s.DiscountedPrice, s.DiscountedPricePresentment = amounts(sl.DiscountedPrice, sl.DiscountedPriceSet, cur, pcur)
		o.ShippingLines = append(o.ShippingLines, s)
	}
	for _, r := range p.Refunds {
		rf, err := refundFrom(r, cur, pcur)
		if err != nil {
			return schemas.Order{}, err
		}
		o.Refunds = append(o.Refunds, rf)
	}
	return o, nil
}

// RefundFromWebhook reads a refunds/create body (a REST refund) into the refund record
// the processor merges into the order, and the id of that order.
func RefundFromWebhook(body []byte) (schemas.Refund, int64, error) {
	var p refund
	if err := json.Unmarshal(body, &p); err != nil {
		return schemas.Refund{}, 0, fmt.Errorf("refund payload: %w", err)
	}
	if p.OrderID == nil || *p.OrderID <= 0 {
		return schemas.Refund{}, 0, ErrNoRefundID
	}
	// A refund body does not say the order's currencies; its money sets do.
	cur, pcur := currenciesOf(p)
	r, err := refundFrom(p, cur, pcur)
	return r, *p.OrderID, err
}

func refundFrom(p refund, cur, pcur string) (schemas.Refund, error) {
	if p.ID == nil || *p.ID <= 0 {
		return schemas.Refund{}, ErrNoRefundID
	}
	r := schemas.Refund{
		ID: *p.ID, CreatedAt: utc(p.CreatedAt), ProcessedAt: utc(p.ProcessedAt), Note: str(p.Note), Restock: p.Restock,
		RefundLineItems:     make([]schemas.RefundLineItem, 0, len(p.RefundLineItems)),
		RefundShippingLines: make([]schemas.RefundShippingLine, 0, len(p.RefundShippingLines)),
		OrderAdjustments:    make([]schemas.OrderAdjustment, 0, len(p.OrderAdjustments)),
		Transactions:        transactions(p.Transactions, cur),
	}
	for _, li := range p.RefundLineItems {
		x := schemas.RefundLineItem{ID: li.ID, LineItemID: li.LineItemID, Quantity: li.Quantity, RestockType: strings.ToLower(li.RestockType)}
		x.Subtotal, x.SubtotalPresentment = amounts(li.Subtotal, li.SubtotalSet, cur, pcur)
		x.TotalTax, x.TotalTaxPresentment = amounts(li.TotalTax, li.TotalTaxSet, cur, pcur)
		r.RefundLineItems = append(r.RefundLineItems, x)
	}
	// REST's refund shipping line carries no tax: the shipping_refund adjustment that
	// repeats it (the same amount, negative) does. Each line takes the tax of an unused
	// adjustment of its amount.
	used := make([]bool, len(p.OrderAdjustments))
	for _, sl := range p.RefundShippingLines {
		x := schemas.RefundShippingLine{ID: sl.ID, ShippingLineID: sl.ShippingLineID}
		x.Amount, x.AmountPresentment = amounts(decimal.NullDecimal{}, sl.SubtotalAmountSet, cur, pcur)
		if sl.TaxAmountSet != nil {
			x.Tax, x.TaxPresentment = amounts(decimal.NullDecimal{}, sl.TaxAmountSet, cur, pcur)
		} else {
			for i, a := range p.OrderAdjustments {
				amt, _ := amounts(a.Amount, a.AmountSet, cur, pcur)
				if used[i] || strings.ToLower(a.Kind) != "shipping_refund" || !amt.Neg().Equal(x.Amount) {
					continue
				}
				used[i] = true
				t, tp := amounts(a.TaxAmount, a.TaxAmountSet, cur, pcur)
				x.Tax, x.TaxPresentment = t.Neg(), tp.Neg()
				break
			}
		}
		r.RefundShippingLines = append(r.RefundShippingLines, x)
	}
	for _, a := range p.OrderAdjustments {
		kind := strings.ToLower(a.Kind)
		// REST repeats a refunded shipping line as a shipping_refund adjustment; GraphQL
		// (and so one order, read either way) has it once, as the refund shipping line.
		// Without refund shipping lines (older refunds) the adjustment is the only record.
		if kind == "shipping_refund" && len(p.RefundShippingLines) > 0 {
			continue
		}
		x := schemas.OrderAdjustment{ID: a.ID, Kind: kind, Reason: reasonCode(str(a.Reason))}
		x.Amount, x.AmountPresentment = amounts(a.Amount, a.AmountSet, cur, pcur)
		x.TaxAmount, x.TaxAmountPresentment = amounts(a.TaxAmount, a.TaxAmountSet, cur, pcur)
		r.OrderAdjustments = append(r.OrderAdjustments, x)
	}
	return r, nil
}

// currenciesOf finds the shop and presentment currencies in a refund's money sets.
func currenciesOf(p refund) (shop, presentment string) {
	var sets []*moneySet
	for _, li := range p.RefundLineItems {
		sets = append(sets, li.SubtotalSet, li.TotalTaxSet)
	}
	for _, sl := range p.RefundShippingLines {
		sets = append(sets, sl.SubtotalAmountSet, sl.TaxAmountSet)
	}
	for _, a := range p.OrderAdjustments {
		sets = append(sets, a.AmountSet, a.TaxAmountSet)
	}
	for _, s := range sets {
		if s != nil && s.ShopMoney.CurrencyCode != "" {
			return s.ShopMoney.CurrencyCode, s.PresentmentMoney.CurrencyCode
		}
	}
	// A refund of money only (no lines, no adjustments): its transactions are in the
	// presentment currency, and nothing says the shop's.
	for _, t := range p.Transactions {
		return "", t.Currency
	}
	return "", ""
}

// transactions reads REST transactions. REST gives each amount in the transaction's
// currency (the presentment currency) only: the shop amount is known when that is the
// shop's currency (or the body has amount_set); otherwise Amount stays zero and
// AmountPresentment with Currency is what Shopify said.
func transactions(in []transaction, shopCurrency string) []schemas.Transaction {
	out := make([]schemas.Transaction, 0, len(in))
	for _, t := range in {
		x := schemas.Transaction{ID: t.ID, ParentID: i64(t.ParentID), Kind: strings.ToLower(t.Kind), Status: strings.ToLower(t.Status),
			Gateway: str(t.Gateway), Currency: t.Currency, ProcessedAt: utc(t.ProcessedAt), Test: t.Test}
		x.AmountPresentment = dec(t.Amount)
		switch {
		case t.AmountSet != nil && t.AmountSet.ShopMoney.Amount.Valid:
			x.Amount = t.AmountSet.ShopMoney.Amount.Decimal
			if t.AmountSet.PresentmentMoney.Amount.Valid {
				x.AmountPresentment = t.AmountSet.PresentmentMoney.Amount.Decimal
				x.Currency = t.AmountSet.PresentmentMoney.CurrencyCode
			}
		case t.Currency != "" && t.Currency == shopCurrency:
			x.Amount = x.AmountPresentment
		}
		out = append(out, x)
	}
	return out
}

// reasonCode turns REST's adjustment reason ("Refund discrepancy") into the code
// GraphQL names it by (REFUND_DISCREPANCY), lower case: refund_discrepancy.
func reasonCode(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), " ", "_")
}

// amounts is a money field's shop and presentment amounts: the shop amount from the
// plain field (REST's shop money) or, where a payload has none, from the set; the
// presentment amount from the set, or the shop amount when the order is in one
// currency.
func amounts(plain decimal.NullDecimal, set *moneySet, cur, pcur string) (shop, presentment decimal.Decimal) {
	switch {
	case plain.Valid:
		shop = plain.Decimal
	case set != nil && set.ShopMoney.Amount.Valid:
		shop = set.ShopMoney.Amount.Decimal
	}
	switch {
	case set != nil && set.PresentmentMoney.Amount.Valid:
		presentment = set.PresentmentMoney.Amount.Decimal
	case pcur == "" || pcur == cur:
		presentment = shop
	}
	return shop, presentment
}

func taxes(in []taxLine, cur, pcur string) []schemas.TaxLine {
	out := make([]schemas.TaxLine, 0, len(in))
	for _, t := range in {
		x := schemas.TaxLine{Title: t.Title, Rate: dec(t.Rate), ChannelLiable: t.ChannelLiable != nil && *t.ChannelLiable}
		x.Price, x.PricePresentment = amounts(t.Price, t.PriceSet, cur, pcur)
		out = append(out, x)
	}
	return out
}

func addr(a *address) *schemas.Address {
	if a == nil {
		return nil
	}
	return &schemas.Address{Name: str(a.Name), FirstName: str(a.FirstName), LastName: str(a.LastName), Company: str(a.Company),
		Address1: str(a.Address1), Address2: str(a.Address2), City: str(a.City), Zip: str(a.Zip),
		Province: str(a.Province), ProvinceCode: str(a.ProvinceCode), Country: str(a.Country), CountryCode: str(a.CountryCode), Phone: str(a.Phone)}
}

func dec(d decimal.NullDecimal) decimal.Decimal {
	if !d.Valid {
		return decimal.Zero
	}
	return d.Decimal
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func i64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// OrderIDOf reads the order id a non-order payload refers to: refunds carry
// order_id, orders/edited carries order_edit.order_id, orders/delete carries id.
func OrderIDOf(topic string, body []byte) (int64, error) {
	var p struct {
		ID        *int64 `json:"id"`
		OrderID   *int64 `json:"order_id"`
		OrderEdit *struct {
			OrderID *int64 `json:"order_id"`
		} `json:"order_edit"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return 0, fmt.Errorf("%s payload: %w", topic, err)
	}
	if p.OrderEdit != nil && p.OrderEdit.OrderID != nil && *p.OrderEdit.OrderID > 0 {
		return *p.OrderEdit.OrderID, nil
	}
	if p.OrderID != nil && *p.OrderID > 0 {
		return *p.OrderID, nil
	}
	if topic == "orders/delete" && p.ID != nil && *p.ID > 0 {
		return *p.ID, nil
	}
	return 0, fmt.Errorf("%s payload has no order id", topic)
}
