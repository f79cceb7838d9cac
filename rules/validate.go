package rules

import (
	"fmt"
	"slices"
	"time"

	"github.com/synco-dev/synco/schemas"
)

// Known values of the settings (CONTRACT.md). Order sources may also be custom names.
var (
	PaymentStatuses     = []string{"paid", "pending", "partially_paid", "authorized", "abandoned", "refunded", "partially_refunded", "voided"}
	FulfillmentStatuses = []string{"unfulfilled", "fulfilled", "partial", "in_progress", "on_hold", "open", "partially_fulfilled", "pending_fulfillment", "request_declined", "restocked", "scheduled"}
	CreateModes         = []string{schemas.CreateDraftSaleOrder, schemas.CreateConfirmedSaleOrder, schemas.CreateDraftInvoice, schemas.CreateConfirmedInvoice, schemas.CreateSaleOrderDraftInvoice, schemas.CreateSaleOrderConfirmedInvoice}
)

// Validate names every bad field of s (JSON field path → what is wrong); empty when valid.
func Validate(s *schemas.ShopSettings) map[string]string {
	bad := map[string]string{}
	checkList(bad, "payment_statuses", s.PaymentStatuses, PaymentStatuses)
	checkList(bad, "fulfillment_statuses", s.FulfillmentStatuses, FulfillmentStatuses)
	if len(s.OrderSources) == 0 {
		bad["order_sources"] = `must list at least one source, or "all"`
	}
	if !slices.Contains(CreateModes, s.Create) {
		bad["create"] = fmt.Sprintf("must be one of %v", CreateModes)
	}
	if s.InvoiceFor != "all" && s.InvoiceFor != "paid" {
		bad["invoice_for"] = `must be "all" or "paid"`
	}
	switch s.IncomeAccount.Mode {
	case "product_category":
	case "fixed":
		if s.IncomeAccount.AccountID <= 0 {
			bad["income_account.account_id"] = "required when mode is fixed"
		}
	default:
		bad["income_account.mode"] = `must be "fixed" or "product_category"`
	}
	switch s.Payments.Mode {
	case "single":
	case "per_gateway":
		for g, j := range s.Payments.Gateways {
			if j <= 0 {
				bad["payments.gateways."+g] = "must be an Odoo journal id"
			}
		}
	default:
		bad["payments.mode"] = `must be "single" or "per_gateway"`
	}
	if s.Currency != "shop" && s.Currency != "presentment" {
		bad["currency"] = `must be "shop" or "presentment"`
	}
	switch s.Customer.Mode {
	case "normal":
	case "single":
		if s.Customer.PartnerID <= 0 {
			bad["customer.partner_id"] = "required when mode is single"
		}
	default:
		bad["customer.mode"] = `must be "normal" or "single"`
	}
	from, okFrom := checkDate(bad, "date_from", s.DateFrom)
	to, okTo := checkDate(bad, "date_to", s.DateTo)
	if okFrom && okTo && to.Before(from) {
		bad["date_to"] = "is before date_from"
	}
	if _, err := parseInterval(s.ReconcileInterval); err != nil {
		bad["reconcile_interval"] = err.Error()
	}
	if s.SalesJournalID < 0 {
		bad["sales_journal_id"] = "must be an Odoo journal id"
	}
	for field, id := range map[string]int64{
		"products.fallback_id": s.Products.FallbackID, "products.shipping_id": s.Products.ShippingID,
		"products.tip_id": s.Products.TipID, "products.duty_id": s.Products.DutyID, "products.fee_id": s.Products.FeeID,
		"products.gift_card_id": s.Products.GiftCardID, "products.rounding_id": s.Products.RoundingID,
	} {
		if id < 0 {
			bad[field] = "must be an Odoo product id, or 0 for Synco's own product"
		}
	}
	switch s.PostedInvoiceEdits {
	case "", schemas.PostedInvoiceWarn, schemas.PostedInvoiceCreditAndReissue:
	default:
		bad["posted_invoice_edits"] = `must be "warn" or "credit_and_reissue"`
	}
	if s.GiftCardAccountID < 0 {
		bad["gift_card_account_id"] = "must be an Odoo account id, or 0 for Synco's own account"
	}
	return bad
}

func checkList(bad map[string]string, field string, got, known []string) {
	if len(got) == 0 {
		bad[field] = `must list at least one value, or "all"`
		return
	}
	for _, v := range got {
		if v != "all" && !slices.Contains(known, v) {
			bad[field] = fmt.Sprintf("unknown value %q (known: all, %v)", v, known)
			return
		}
	}
}

func checkDate(bad map[string]string, field, v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		bad[field] = "must be a date YYYY-MM-DD"
		return t, false
	}
	return t, true
}
