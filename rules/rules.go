// Package rules decides, without any I/O, whether an order is eligible under a shop's
// settings and what Odoo must then hold for it. The processor applies it; the query
// API's preview evaluates it on stored orders.
package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/synco-dev/synco/schemas"
)

// Decision is what the rules make of one order. SaleOrder and Invoice say what
// Odoo must hold if the order is (or already was) synced.
type Decision struct {
	Eligible  bool
	Reasons   []string // why not eligible, for people; empty when eligible
	SaleOrder schemas.SaleOrderState
	Invoice   schemas.InvoiceState
}

// Evaluate applies settings s to order o.
func Evaluate(s *schemas.ShopSettings, o *schemas.Order) Decision {
	d := Decision{Reasons: []string{}, SaleOrder: schemas.SaleOrderNone, Invoice: schemas.InvoiceNone}
	if v := o.FinancialStatus; !allows(s.PaymentStatuses, v) {
		d.Reasons = append(d.Reasons, Mismatch(v, "payment status"))
	}
	if v := FulfillmentStatus(o); !allowsFulfillment(s.FulfillmentStatuses, v) {
		d.Reasons = append(d.Reasons, Mismatch(v, "fulfillment status"))
	}
	if v := o.SourceName; !allows(s.OrderSources, v) {
		d.Reasons = append(d.Reasons, Mismatch(v, "order source"))
	}
	from, okFrom := parseDate(s.DateFrom)
	to, okTo := parseDate(s.DateTo)
	if (okFrom && o.CreatedAt.Before(from)) || (okTo && !o.CreatedAt.Before(to.AddDate(0, 0, 1))) {
		d.Reasons = append(d.Reasons, ReasonOutsideDates)
	}
	d.Eligible = len(d.Reasons) == 0
	// The desired state is computed for ineligible orders too: an order already in
	// Odoo stays in step with Shopify even when it no longer passes the filters.
	switch s.Create {
	case schemas.CreateDraftSaleOrder, "":
		d.SaleOrder = schemas.SaleOrderDraft
	case schemas.CreateConfirmedSaleOrder:
		d.SaleOrder = schemas.SaleOrderConfirmed
	case schemas.CreateDraftInvoice:
		d.Invoice = schemas.InvoiceDraft
	case schemas.CreateConfirmedInvoice:
		d.Invoice = schemas.InvoicePosted
	case schemas.CreateSaleOrderDraftInvoice:
		d.SaleOrder, d.Invoice = schemas.SaleOrderConfirmed, schemas.InvoiceDraft
	case schemas.CreateSaleOrderConfirmedInvoice:
		d.SaleOrder, d.Invoice = schemas.SaleOrderConfirmed, schemas.InvoicePosted
	}
	if d.Invoice != schemas.InvoiceNone && s.InvoiceFor == "paid" && !isPaid(o.FinancialStatus) {
		d.Invoice = schemas.InvoiceNone
	}
	// A cancelled order's documents are undone: its sale order cancelled, or, made as an
	// invoice alone, that invoice (cancelled as a draft, credited when posted). The
	// command says so with the cancelled sale order state in every mode.
	invoiceOnly := s.Create == schemas.CreateDraftInvoice || s.Create == schemas.CreateConfirmedInvoice
	if o.CancelledAt != nil && s.CancelSaleOrder && (d.SaleOrder != schemas.SaleOrderNone || invoiceOnly) {
		d.SaleOrder = schemas.SaleOrderCancelled
	}
	return d
}

// Reasons are worded as the product shows them to merchants (the order table's
// warning tooltip): the value in capitals and quotes, then what did not match.
const ReasonOutsideDates = "Order outside sync date range"

// Mismatch is the reason for a value that the settings' filter does not let through,
// e.g. "'PENDING' payment status doesn't match sync rules".
func Mismatch(value, what string) string {
	v := strings.ToUpper(strings.TrimSpace(value))
	if v == "" {
		v = "UNKNOWN"
	}
	return "'" + v + "' " + what + " doesn't match sync rules"
}

// FulfillmentStatus is Shopify's fulfillment status with null read as "unfulfilled".
func FulfillmentStatus(o *schemas.Order) string {
	if o.FulfillmentStatus == "" {
		return "unfulfilled"
	}
	return o.FulfillmentStatus
}

func isPaid(financial string) bool {
	return financial == "paid" || financial == "partially_refunded" || financial == "refunded"
}

// fulfillmentAliases are the settings' fulfillment values that name one state twice:
// REST says "partial" and GraphQL PARTIALLY_FULFILLED, and the contract lists both, so
// a merchant who picks either gets both.
var fulfillmentAliases = map[string]string{"partially_fulfilled": "partial"}

func canonicalFulfillment(v string) string {
	v = strings.ToLower(v)
	if c, ok := fulfillmentAliases[v]; ok {
		return c
	}
	return v
}

func allowsFulfillment(list []string, v string) bool {
	v = canonicalFulfillment(v)
	return len(list) == 0 || slices.Contains(list, "all") || slices.ContainsFunc(list, func(x string) bool { return canonicalFulfillment(x) == v })
}

func allows(list []string, v string) bool {
	return len(list) == 0 || slices.Contains(list, "all") || slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, v) })
}

func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// OdooName is the name new Odoo records get: the prefix plus Shopify's order number,
// or empty to let Odoo's sequence name it.
func OdooName(s *schemas.ShopSettings, o *schemas.Order) string {
	if !s.UseShopifyOrderNumber {
		if s.OrderPrefix == "" {
			return ""
		}
		return s.OrderPrefix + fmt.Sprint(o.ID)
	}
	n := strings.TrimPrefix(o.Name, "#")
	if n == "" && o.OrderNumber > 0 {
		n = fmt.Sprint(o.OrderNumber)
	}
	return s.OrderPrefix + n
}
