package shopify

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/schemas"
)

// The payload shapes below name only what Synco reads. Ids are int64 (Shopify's ids
// exceed 2^53, so never a float); money is decimal (strings, or numbers for rates).

type money struct {
	Amount       decimal.Decimal `json:"amount"`
	CurrencyCode string          `json:"currency_code"`
}

type moneySet struct {
	ShopMoney        money `json:"shop_money"`
	PresentmentMoney money `json:"presentment_money"`
}

type taxLine struct {
	Title string          `json:"title"`
	Rate  decimal.Decimal `json:"rate"`
	Price decimal.Decimal `json:"price"`
}

type discountAllocation struct {
	Amount decimal.Decimal `json:"amount"`
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
	Price               decimal.Decimal      `json:"price"`
	TotalDiscount       decimal.Decimal      `json:"total_discount"`
	Taxable             bool                 `json:"taxable"`
	RequiresShipping    bool                 `json:"requires_shipping"`
	TaxLines            []taxLine            `json:"tax_lines"`
	DiscountAllocations []discountAllocation `json:"discount_allocations"`
}

type shippingLine struct {
	ID              int64           `json:"id"`
	Title           string          `json:"title"`
	Code            *string         `json:"code"`
	Price           decimal.Decimal `json:"price"`
	DiscountedPrice decimal.Decimal `json:"discounted_price"`
	TaxLines        []taxLine       `json:"tax_lines"`
}

type address struct {
	Name         *string `json:"name"`
	Company      *string `json:"company"`
	Address1     *string `json:"address1"`
	Address2     *string `json:"address2"`
	City         *string `json:"city"`
	Zip          *string `json:"zip"`
	ProvinceCode *string `json:"province_code"`
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

type order struct {
	ID                    *int64          `json:"id"`
	AdminGraphqlAPIID     string          `json:"admin_graphql_api_id"`
	Name                  string          `json:"name"`
	OrderNumber           int64           `json:"order_number"`
	Email                 *string         `json:"email"`
	ContactEmail          *string         `json:"contact_email"`
	Phone                 *string         `json:"phone"`
	Customer              *customer       `json:"customer"`
	CreatedAt             *time.Time      `json:"created_at"`
	UpdatedAt             *time.Time      `json:"updated_at"`
	ProcessedAt           *time.Time      `json:"processed_at"`
	CancelledAt           *time.Time      `json:"cancelled_at"`
	CancelReason          *string         `json:"cancel_reason"`
	Currency              string          `json:"currency"`
	PresentmentCurrency   string          `json:"presentment_currency"`
	TotalPrice            decimal.Decimal `json:"total_price"`
	SubtotalPrice         decimal.Decimal `json:"subtotal_price"`
	TotalTax              decimal.Decimal `json:"total_tax"`
	TotalDiscounts        decimal.Decimal `json:"total_discounts"`
	TotalShippingPriceSet *moneySet       `json:"total_shipping_price_set"`
	TaxesIncluded         bool            `json:"taxes_included"`
	FinancialStatus       *string         `json:"financial_status"`
	FulfillmentStatus     *string         `json:"fulfillment_status"`
	SourceName            *string         `json:"source_name"`
	Tags                  string          `json:"tags"`
	Note                  *string         `json:"note"`
	NoteAttributes        []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"note_attributes"`
	PaymentGatewayNames []string       `json:"payment_gateway_names"`
	Test                bool           `json:"test"`
	BillingAddress      *address       `json:"billing_address"`
	ShippingAddress     *address       `json:"shipping_address"`
	LineItems           []lineItem     `json:"line_items"`
	ShippingLines       []shippingLine `json:"shipping_lines"`
}

// ErrNoOrderID is returned for an order payload without an id.
var ErrNoOrderID = errors.New("order payload has no id")

// ParseOrder reads an order webhook body (or a REST order, optionally wrapped as
// {"order": {...}}).
func ParseOrder(body []byte) (schemas.Order, error) {
	var wrapped struct {
		Order *json.RawMessage `json:"order"`
	}
	if err := json.Unmarshal(body, &wrapped); err == nil && wrapped.Order != nil {
		body = *wrapped.Order
	}
	var p order
	if err := json.Unmarshal(body, &p); err != nil {
		return schemas.Order{}, fmt.Errorf("order payload: %w", err)
	}
	if p.ID == nil || *p.ID <= 0 {
		return schemas.Order{}, ErrNoOrderID
	}
	o := schemas.Order{
		ID:                  *p.ID,
		AdminGraphqlAPIID:   p.AdminGraphqlAPIID,
		Name:                p.Name,
		OrderNumber:         p.OrderNumber,
		Email:               str(p.Email),
		Phone:               str(p.Phone),
		ProcessedAt:         utc(p.ProcessedAt),
		CancelledAt:         utc(p.CancelledAt),
		CancelReason:        str(p.CancelReason),
		Currency:            p.Currency,
		PresentmentCurrency: p.PresentmentCurrency,
		TotalPrice:          p.TotalPrice,
		SubtotalPrice:       p.SubtotalPrice,
		TotalTax:            p.TotalTax,
		TotalDiscounts:      p.TotalDiscounts,
		TaxesIncluded:       p.TaxesIncluded,
		FinancialStatus:     str(p.FinancialStatus),
		FulfillmentStatus:   str(p.FulfillmentStatus),
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
	switch {
	case p.UpdatedAt != nil:
		o.UpdatedAt = p.UpdatedAt.UTC()
	default:
		o.UpdatedAt = o.CreatedAt
	}
	if p.TotalShippingPriceSet != nil {
		o.TotalShipping = p.TotalShippingPriceSet.ShopMoney.Amount
	}
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
		disc := li.TotalDiscount
		// total_discount is deprecated and often 0 while discount allocations carry
		// the real per-line discount.
		if len(li.DiscountAllocations) > 0 {
			disc = decimal.Zero
			for _, a := range li.DiscountAllocations {
				disc = disc.Add(a.Amount)
			}
		}
		o.LineItems = append(o.LineItems, schemas.LineItem{
			ID: li.ID, ProductID: i64(li.ProductID), VariantID: i64(li.VariantID), SKU: str(li.SKU),
			Title: li.Title, VariantTitle: str(li.VariantTitle), Quantity: li.Quantity, Price: li.Price,
			TotalDiscount: disc, Taxable: li.Taxable, RequiresShipping: li.RequiresShipping, TaxLines: taxes(li.TaxLines),
		})
	}
	for _, sl := range p.ShippingLines {
		o.ShippingLines = append(o.ShippingLines, schemas.ShippingLine{
			ID: sl.ID, Title: sl.Title, Code: str(sl.Code), Price: sl.Price, DiscountedPrice: sl.DiscountedPrice, TaxLines: taxes(sl.TaxLines),
		})
	}
	return o, nil
}

func taxes(in []taxLine) []schemas.TaxLine {
	out := make([]schemas.TaxLine, 0, len(in))
	for _, t := range in {
		out = append(out, schemas.TaxLine{Title: t.Title, Rate: t.Rate, Price: t.Price})
	}
	return out
}

func addr(a *address) *schemas.Address {
	if a == nil {
		return nil
	}
	return &schemas.Address{Name: str(a.Name), Company: str(a.Company), Address1: str(a.Address1), Address2: str(a.Address2),
		City: str(a.City), Zip: str(a.Zip), ProvinceCode: str(a.ProvinceCode), CountryCode: str(a.CountryCode), Phone: str(a.Phone)}
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
// order_id, orders/delete carries id.
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
