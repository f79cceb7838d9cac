package shopifysim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shopspring/decimal"
)

// The canonical order: one model the simulator renders both as REST/webhook JSON
// (rest.go) and as GraphQL (graphql.go), so one order read either way is the same
// order. Statuses and enums are held as GraphQL names (PAID, PARTIALLY_FULFILLED,
// CUSTOMER, RETURN, ...); REST rendering lower-cases them as Shopify does.

// Money is an amount in the shop's and the buyer's (presentment) currency.
type Money struct {
	Shop, Presentment decimal.Decimal
}

// M is Money in one currency.
func M(s string) Money {
	d := decimal.RequireFromString(s)
	return Money{Shop: d, Presentment: d}
}

// M2 is Money in two currencies.
func M2(shop, presentment string) Money {
	return Money{Shop: decimal.RequireFromString(shop), Presentment: decimal.RequireFromString(presentment)}
}

func (m Money) add(o Money) Money { return Money{m.Shop.Add(o.Shop), m.Presentment.Add(o.Presentment)} }

// Order is one order of the simulated shop.
type Order struct {
	ID                  int64
	Name                string
	Number              int64 // REST order_number and GraphQL number (1001, ...)
	Email, Phone        string
	Customer            *Customer
	CreatedAt           time.Time
	UpdatedAt           time.Time
	ProcessedAt         time.Time
	CancelledAt         *time.Time
	ClosedAt            *time.Time
	CancelReason        string // CUSTOMER, FRAUD, ...; "" when not cancelled
	Currency            string
	PresentmentCurrency string

	TotalPrice, SubtotalPrice, TotalTax, TotalDiscounts, TotalShipping              Money
	CurrentTotalPrice, CurrentSubtotalPrice, CurrentTotalTax, CurrentTotalDiscounts Money
	TotalOutstanding, TotalTipReceived                                              Money
	TotalDuties, TotalAdditionalFees                                                *Money // nil: none
	TaxesIncluded, TaxExempt, Test                                                  bool
	FinancialStatus                                                                 string // GraphQL OrderDisplayFinancialStatus; "" is null
	FulfillmentStatus                                                               string // GraphQL OrderDisplayFulfillmentStatus
	SourceName, Note                                                                string
	Tags                                                                            []string
	NoteAttributes                                                                  []Attribute
	PaymentGatewayNames                                                             []string
	BillingAddress, ShippingAddress                                                 *Address
	LineItems                                                                       []LineItem
	ShippingLines                                                                   []ShippingLine
	TaxLines                                                                        []TaxLine
	Transactions                                                                    []Transaction
	Refunds                                                                         []Refund
	Metafields                                                                      []*Metafield
}

type Customer struct {
	ID                         int64
	Email, FirstName, LastName string
	Phone                      string
}

type Attribute struct{ Name, Value string }

type Address struct {
	Name, FirstName, LastName, Company, Address1, Address2, City, Zip string
	Province, ProvinceCode, Country, CountryCode, Phone               string
}

type TaxLine struct {
	Title         string
	Rate          decimal.Decimal
	Price         Money
	ChannelLiable *bool // nil: Shopify says null
}

type LineItem struct {
	ID, ProductID, VariantID  int64 // 0: none (custom item)
	SKU, Title, VariantTitle  string
	Quantity, CurrentQuantity int
	Price                     Money // unit price
	TotalDiscount             Money // the deprecated per-line field
	DiscountAllocations       []Money
	Taxable, RequiresShipping bool
	GiftCard                  bool
	TaxLines                  []TaxLine
}

// Name is the line's name as Shopify composes it.
func (l *LineItem) Name() string {
	if l.VariantTitle == "" {
		return l.Title
	}
	return l.Title + " - " + l.VariantTitle
}

type ShippingLine struct {
	ID              int64
	Title, Code     string
	Price           Money
	DiscountedPrice Money
	TaxLines        []TaxLine
	IsRemoved       bool
}

type Transaction struct {
	ID, ParentID int64
	Kind         string // GraphQL OrderTransactionKind: SALE, REFUND, ...
	Status       string // SUCCESS, ...
	Gateway      string
	Amount       Money
	ProcessedAt  *time.Time
	Test         bool
}

type Refund struct {
	ID                  int64
	CreatedAt           time.Time
	Note                string
	RefundLineItems     []RefundLineItem
	RefundShippingLines []RefundShippingLine
	OrderAdjustments    []OrderAdjustment
	Transactions        []Transaction
}

// Restocked is what REST's refund.restock says: whether any line went back to stock.
func (r *Refund) Restocked() bool {
	for _, l := range r.RefundLineItems {
		if l.Restocked() {
			return true
		}
	}
	return false
}

type RefundLineItem struct {
	ID, LineItemID int64
	Quantity       int
	RestockType    string // NO_RESTOCK, CANCEL, RETURN, LEGACY_RESTOCK
	Subtotal       Money
	TotalTax       Money
}

// Restocked is GraphQL's RefundLineItem.restocked.
func (l RefundLineItem) Restocked() bool { return l.RestockType != "NO_RESTOCK" && l.RestockType != "" }

type RefundShippingLine struct {
	ID, ShippingLineID int64
	Subtotal, Tax      Money
}

type OrderAdjustment struct {
	ID        int64
	Reason    string // GraphQL OrderAdjustmentDiscrepancyReason: REFUND_DISCREPANCY, ...
	Amount    Money
	TaxAmount Money
}

// Metafield is one metafield of an order, with the digest metafieldsSet compares.
type Metafield struct {
	ID                   int64
	Namespace, Key, Type string
	Value                string
	CreatedAt, UpdatedAt time.Time
	version              int64
}

// Digest is the metafield's compareDigest: it changes with every write.
func (m *Metafield) Digest() string { return digest(m.Namespace, m.Key, m.Type, m.Value, m.version) }

// ids hands out Shopify-sized ids (above 2^53, as real shops have).
type ids struct{ next int64 }

func (g *ids) id() int64 {
	g.next++
	return g.next
}

// SampleOrder makes a plausible order numbered n: one to three lines with taxes and a
// discount, shipping, a sale transaction, totals that add up. rng decides the details;
// gid gives ids. Statuses are PAID and UNFULFILLED; callers change what they test.
func SampleOrder(rng *rand.Rand, gid func() int64, n int64, at time.Time) *Order {
	o := &Order{
		ID: gid(), Name: fmt.Sprintf("#%d", 1000+n), Number: 1000 + n,
		Email: fmt.Sprintf("buyer%d@example.com", n), CreatedAt: at, UpdatedAt: at, ProcessedAt: at,
		Currency: "EUR", PresentmentCurrency: "EUR", FinancialStatus: "PAID", FulfillmentStatus: "UNFULFILLED",
		SourceName: "web", Tags: []string{}, NoteAttributes: []Attribute{}, PaymentGatewayNames: []string{"shopify_payments"},
		Customer: &Customer{ID: gid(), Email: fmt.Sprintf("buyer%d@example.com", n), FirstName: "Ada", LastName: fmt.Sprintf("Buyer %d", n)},
	}
	addr := &Address{Name: "Ada Buyer", FirstName: "Ada", LastName: "Buyer", Address1: "1 Main Street", City: "Berlin", Zip: "10115",
		Province: "", Country: "Germany", CountryCode: "DE"}
	o.BillingAddress, o.ShippingAddress = addr, addr
	rate := decimal.RequireFromString("0.19")
	var subtotal, tax, disc Money
	for i, lines := 0, 1+rng.IntN(3); i < lines; i++ {
		qty := 1 + rng.IntN(3)
		price := decimal.New(int64(500+rng.IntN(20000)), -2)
		l := LineItem{ID: gid(), ProductID: gid(), VariantID: gid(), SKU: fmt.Sprintf("SKU-%d-%d", n, i), Title: fmt.Sprintf("Product %d", i+1),
			Quantity: qty, CurrentQuantity: qty, Price: Money{price, price}, Taxable: true, RequiresShipping: true}
		line := price.Mul(decimal.NewFromInt(int64(qty)))
		if rng.IntN(2) == 0 {
			d := line.Div(decimal.NewFromInt(10)).Round(2)
			l.DiscountAllocations = []Money{{d, d}}
			disc = disc.add(Money{d, d})
			line = line.Sub(d)
		}
		t := line.Mul(rate).Round(2)
		l.TaxLines = []TaxLine{{Title: "VAT", Rate: rate, Price: Money{t, t}}}
		subtotal, tax = subtotal.add(Money{line, line}), tax.add(Money{t, t})
		o.LineItems = append(o.LineItems, l)
	}
	ship := decimal.RequireFromString("4.90")
	shipTax := ship.Mul(rate).Round(2)
	o.ShippingLines = []ShippingLine{{ID: gid(), Title: "Standard", Code: "STANDARD", Price: Money{ship, ship}, DiscountedPrice: Money{ship, ship},
		TaxLines: []TaxLine{{Title: "VAT", Rate: rate, Price: Money{shipTax, shipTax}}}}}
	tax = tax.add(Money{shipTax, shipTax})
	o.TaxLines = []TaxLine{{Title: "VAT", Rate: rate, Price: tax}}
	total := subtotal.add(Money{ship, ship}).add(tax)
	o.SubtotalPrice, o.TotalTax, o.TotalDiscounts, o.TotalShipping, o.TotalPrice = subtotal, tax, disc, Money{ship, ship}, total
	o.CurrentSubtotalPrice, o.CurrentTotalTax, o.CurrentTotalDiscounts, o.CurrentTotalPrice = subtotal, tax, disc, total
	o.Transactions = []Transaction{{ID: gid(), Kind: "SALE", Status: "SUCCESS", Gateway: "shopify_payments", Amount: total, ProcessedAt: &at}}
	return o
}
