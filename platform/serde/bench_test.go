package serde_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/schemas"
)

func benchSerde(b *testing.B) *serde.Serde {
	b.Helper()
	srv := httptest.NewServer(srfake.New().Handler())
	b.Cleanup(srv.Close)
	cl, err := sr.NewClient(sr.URLs(srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	set, err := schemas.Load()
	if err != nil {
		b.Fatal(err)
	}
	s, err := serde.New(context.Background(), cl, set, schemas.TopicOrders)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchEvent is an orders/create event as ingest produces it: a three-line order
// and the raw webhook body (Shopify's are ~12 KB), which the event carries whole.
func benchEvent() schemas.OrderEvent {
	at := time.Date(2026, 11, 26, 10, 0, 0, 123e6, time.UTC)
	d := decimal.RequireFromString
	vat := []schemas.TaxLine{{Title: "VAT", Rate: d("0.2"), Price: d("4.00")}}
	o := schemas.Order{ID: 820982911946154508, Name: "#1001", OrderNumber: 1001, Email: "ada@example.com",
		Customer:  &schemas.Customer{ID: 7001, Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"},
		CreatedAt: at, UpdatedAt: at, ProcessedAt: &at, Currency: "EUR", PresentmentCurrency: "EUR",
		TotalPrice: d("103.49"), SubtotalPrice: d("98.59"), TotalTax: d("12.00"), TotalDiscounts: d("0"), TotalShipping: d("4.90"),
		FinancialStatus: "paid", SourceName: "web", Tags: "vip, newsletter",
		NoteAttributes:      []schemas.NoteAttribute{{Name: "gift", Value: "yes"}},
		PaymentGatewayNames: []string{"shopify_payments"},
		BillingAddress:      &schemas.Address{Name: "Ada Lovelace", Address1: "12 St James's Sq", City: "London", Zip: "SW1Y 4JH", CountryCode: "GB"},
		ShippingAddress:     &schemas.Address{Name: "Ada Lovelace", Address1: "12 St James's Sq", City: "London", Zip: "SW1Y 4JH", CountryCode: "GB"},
		ShippingLines:       []schemas.ShippingLine{{ID: 1, Title: "Standard", Code: "STD", Price: d("4.90"), DiscountedPrice: d("4.90")}},
	}
	for i, sku := range []string{"SYN-TEE-BLK-M", "SYN-MUG-01", "SYN-CAP-NVY"} {
		o.LineItems = append(o.LineItems, schemas.LineItem{ID: 487817672276298554 + int64(i), VariantID: 9100 + int64(i), SKU: sku,
			Title: sku, Quantity: 1 + int32(i), Price: d("19.90"), TotalDiscount: d("0"), Taxable: true, TaxLines: vat})
	}
	raw := `{"id":820982911946154508,"note":"` + strings.Repeat("x", 12*1024) + `"}`
	return schemas.OrderEvent{EventID: "e1", Shop: "demo.myshopify.com", OrderID: o.ID, Topic: "orders/create",
		Origin: schemas.OriginWebhook, WebhookID: "w1", ReceivedAt: at, TriggeredAt: &at, Order: o, Raw: []byte(raw)}
}

// BenchmarkSerde encodes and decodes one OrderEvent in the Confluent wire format
// (the schema id is cached after the first call, as in a running stage).
func BenchmarkSerde(b *testing.B) {
	s := benchSerde(b)
	ev := benchEvent()
	enc, err := s.Encode(schemas.TopicOrders, ev)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("encode", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Encode(schemas.TopicOrders, ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		b.ReportAllocs()
		for b.Loop() {
			var out schemas.OrderEvent
			if err := s.Decode(ctx, schemas.TopicOrders, enc, &out); err != nil {
				b.Fatal(err)
			}
			if len(out.Order.LineItems) != 3 {
				b.Fatal(fmt.Sprint("lines: ", len(out.Order.LineItems)))
			}
		}
	})
}
