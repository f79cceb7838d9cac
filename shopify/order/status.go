package order

import "strings"

// Statuses are normalized to the settings' vocabulary (CONTRACT.md, rules.
// PaymentStatuses and rules.FulfillmentStatuses), lower case, one spelling per state,
// whichever way the order came.

// FulfillmentStatus maps GraphQL's displayFulfillmentStatus onto the settings' values.
// UNFULFILLED is "" (as REST's null; rules read it as "unfulfilled"), and
// PARTIALLY_FULFILLED is "partial" (REST's spelling, so that one order has one status
// whichever way it came); the other eight keep their names: fulfilled, restocked,
// in_progress, on_hold, open, pending_fulfillment, request_declined, scheduled.
func FulfillmentStatus(display string) string {
	switch s := strings.ToLower(display); s {
	case "", "unfulfilled":
		return ""
	case "partially_fulfilled":
		return "partial"
	default:
		return s
	}
}

// FulfillmentStatusFromREST maps a webhook's fulfillment_status (null, fulfilled,
// partial, restocked) onto the same values. REST cannot tell the states GraphQL adds
// (open, in_progress, on_hold, scheduled, pending_fulfillment, request_declined): it says
// null for them, which stays "".
func FulfillmentStatusFromREST(s *string) string {
	if s == nil {
		return ""
	}
	return FulfillmentStatus(*s)
}

// FinancialStatus maps GraphQL's displayFinancialStatus (AUTHORIZED, EXPIRED, PAID,
// PARTIALLY_PAID, PARTIALLY_REFUNDED, PENDING, REFUNDED, VOIDED; null) onto the
// settings' payment statuses: the lower-case name. EXPIRED has no settings value of its
// own and stays "expired" (only "all" selects it); "abandoned" is a checkout state that
// no order has.
func FinancialStatus(display string) string { return strings.ToLower(display) }

// FinancialStatusFromREST maps a webhook's financial_status: already the same words.
func FinancialStatusFromREST(s string) string { return strings.ToLower(s) }
