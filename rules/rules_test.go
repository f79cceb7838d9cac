package rules

import (
	"slices"
	"testing"
	"time"

	"github.com/synco-dev/synco/schemas"
)

func order(fin, ful, src string, created time.Time) *schemas.Order {
	return &schemas.Order{Name: "#1001", FinancialStatus: fin, FulfillmentStatus: ful, SourceName: src, CreatedAt: created}
}

func TestEvaluate(t *testing.T) {
	day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	cancelled := day
	for name, c := range map[string]struct {
		mut      func(*schemas.ShopSettings)
		o        *schemas.Order
		eligible bool
		so       schemas.SaleOrderState
		inv      schemas.InvoiceState
	}{
		"defaults: draft SO":              {nil, order("pending", "", "web", day), true, schemas.SaleOrderDraft, schemas.InvoiceNone},
		"payment filter":                  {func(s *schemas.ShopSettings) { s.PaymentStatuses = []string{"paid"} }, order("pending", "", "web", day), false, schemas.SaleOrderDraft, schemas.InvoiceNone},
		"fulfillment null is unfulfilled": {func(s *schemas.ShopSettings) { s.FulfillmentStatuses = []string{"unfulfilled"} }, order("paid", "", "web", day), true, schemas.SaleOrderDraft, schemas.InvoiceNone},
		"source filter":                   {func(s *schemas.ShopSettings) { s.OrderSources = []string{"pos"} }, order("paid", "", "web", day), false, schemas.SaleOrderDraft, schemas.InvoiceNone},
		"before date_from":                {func(s *schemas.ShopSettings) { s.DateFrom = "2026-03-11" }, order("paid", "", "web", day), false, schemas.SaleOrderDraft, schemas.InvoiceNone},
		"date_to inclusive":               {func(s *schemas.ShopSettings) { s.DateTo = "2026-03-10" }, order("paid", "", "web", day), true, schemas.SaleOrderDraft, schemas.InvoiceNone},
		"after date_to":                   {func(s *schemas.ShopSettings) { s.DateTo = "2026-03-09" }, order("paid", "", "web", day), false, schemas.SaleOrderDraft, schemas.InvoiceNone},
		"SO + posted invoice":             {func(s *schemas.ShopSettings) { s.Create = schemas.CreateSaleOrderConfirmedInvoice }, order("paid", "", "web", day), true, schemas.SaleOrderConfirmed, schemas.InvoicePosted},
		"invoice only when paid": {func(s *schemas.ShopSettings) {
			s.Create, s.InvoiceFor = schemas.CreateSaleOrderConfirmedInvoice, "paid"
		}, order("pending", "", "web", day), true, schemas.SaleOrderConfirmed, schemas.InvoiceNone},
		"cancel": {func(s *schemas.ShopSettings) { s.CancelSaleOrder = true; s.Create = schemas.CreateConfirmedSaleOrder },
			&schemas.Order{FinancialStatus: "voided", SourceName: "web", CreatedAt: day, CancelledAt: &cancelled}, true, schemas.SaleOrderCancelled, schemas.InvoiceNone},
		"cancel an invoice-only order": {func(s *schemas.ShopSettings) { s.CancelSaleOrder = true; s.Create = schemas.CreateConfirmedInvoice },
			&schemas.Order{FinancialStatus: "refunded", SourceName: "web", CreatedAt: day, CancelledAt: &cancelled}, true, schemas.SaleOrderCancelled, schemas.InvoicePosted},
		"cancelled, cancel_sale_order off": {func(s *schemas.ShopSettings) { s.Create = schemas.CreateConfirmedInvoice },
			&schemas.Order{FinancialStatus: "refunded", SourceName: "web", CreatedAt: day, CancelledAt: &cancelled}, true, schemas.SaleOrderNone, schemas.InvoicePosted},
	} {
		s := schemas.DefaultSettings("x.myshopify.com")
		if c.mut != nil {
			c.mut(&s)
		}
		d := Evaluate(&s, c.o)
		if d.Eligible != c.eligible || d.SaleOrder != c.so || d.Invoice != c.inv {
			t.Errorf("%s: got eligible=%v so=%s inv=%s reasons=%v", name, d.Eligible, d.SaleOrder, d.Invoice, d.Reasons)
		}
		if !d.Eligible && len(d.Reasons) == 0 {
			t.Errorf("%s: ineligible without a reason", name)
		}
	}
}

// TestReasons: the reasons are the product's own words, one per failed filter.
func TestReasons(t *testing.T) {
	day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	s := schemas.DefaultSettings("x.myshopify.com")
	s.PaymentStatuses = []string{"paid"}
	s.FulfillmentStatuses = []string{"fulfilled"}
	s.OrderSources = []string{"web"}
	s.DateFrom, s.DateTo = "2026-03-11", "2026-03-20"
	d := Evaluate(&s, order("pending", "", "pos", day))
	want := []string{
		"'PENDING' payment status doesn't match sync rules",
		"'UNFULFILLED' fulfillment status doesn't match sync rules",
		"'POS' order source doesn't match sync rules",
		"Order outside sync date range",
	}
	if !slices.Equal(d.Reasons, want) {
		t.Errorf("reasons\n got %q\nwant %q", d.Reasons, want)
	}
	s.DateFrom, s.DateTo = "", "2026-03-09"
	if d := Evaluate(&s, order("paid", "fulfilled", "", day)); !slices.Equal(d.Reasons, []string{"'UNKNOWN' order source doesn't match sync rules", ReasonOutsideDates}) {
		t.Errorf("after date_to, empty source: %q", d.Reasons)
	}
	s.OrderSources, s.DateTo = []string{"all"}, ""
	if d := Evaluate(&s, order("paid", "fulfilled", "pos", day)); !d.Eligible || len(d.Reasons) != 0 {
		t.Errorf("eligible order has reasons %q", d.Reasons)
	}
}

func TestValidate(t *testing.T) {
	s := schemas.DefaultSettings("x.myshopify.com")
	if bad := Validate(&s); len(bad) != 0 {
		t.Fatalf("defaults invalid: %v", bad)
	}
	if !s.CreateMissingTaxes || s.RoundingLine || s.Products != (schemas.ProductSettings{}) {
		t.Errorf("defaults: create missing taxes %v, rounding line %v, products %+v", s.CreateMissingTaxes, s.RoundingLine, s.Products)
	}
	s.PaymentStatuses = []string{"paid", "bogus"}
	s.Create = "everything"
	s.Customer.Mode = "single"
	s.DateFrom, s.DateTo = "2026-05-01", "2026-04-01"
	s.Products.TipID, s.GiftCardAccountID = -1, -2
	s.PostedInvoiceEdits = "rewrite"
	bad := Validate(&s)
	for _, f := range []string{"payment_statuses", "create", "customer.partner_id", "date_to", "products.tip_id", "gift_card_account_id", "posted_invoice_edits"} {
		if bad[f] == "" {
			t.Errorf("field %s not reported: %v", f, bad)
		}
	}
}

func TestOdooName(t *testing.T) {
	s := schemas.DefaultSettings("x")
	s.OrderPrefix = "WEB-"
	if got := OdooName(&s, &schemas.Order{ID: 5, Name: "#1001"}); got != "WEB-1001" {
		t.Errorf("got %q", got)
	}
	s.UseShopifyOrderNumber, s.OrderPrefix = false, ""
	if got := OdooName(&s, &schemas.Order{ID: 5, Name: "#1001"}); got != "" {
		t.Errorf("got %q, want Odoo's sequence", got)
	}
}
