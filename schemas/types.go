package schemas

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Order is a Shopify order snapshot. Money is decimal end to end: decimal.Decimal
// travels as an Avro string through its TextMarshaler.
type Order struct {
	ID                  int64           `avro:"id" json:"id"`
	AdminGraphqlAPIID   string          `avro:"admin_graphql_api_id" json:"admin_graphql_api_id"`
	Name                string          `avro:"name" json:"name"`
	OrderNumber         int64           `avro:"order_number" json:"order_number"`
	Email               string          `avro:"email" json:"email"`
	Phone               string          `avro:"phone" json:"phone"`
	Customer            *Customer       `avro:"customer" json:"customer"`
	CreatedAt           time.Time       `avro:"created_at" json:"created_at"`
	UpdatedAt           time.Time       `avro:"updated_at" json:"updated_at"`
	ProcessedAt         *time.Time      `avro:"processed_at" json:"processed_at"`
	CancelledAt         *time.Time      `avro:"cancelled_at" json:"cancelled_at"`
	CancelReason        string          `avro:"cancel_reason" json:"cancel_reason"`
	Currency            string          `avro:"currency" json:"currency"`
	PresentmentCurrency string          `avro:"presentment_currency" json:"presentment_currency"`
	TotalPrice          decimal.Decimal `avro:"total_price" json:"total_price"`
	SubtotalPrice       decimal.Decimal `avro:"subtotal_price" json:"subtotal_price"`
	TotalTax            decimal.Decimal `avro:"total_tax" json:"total_tax"`
	TotalDiscounts      decimal.Decimal `avro:"total_discounts" json:"total_discounts"`
	TotalShipping       decimal.Decimal `avro:"total_shipping" json:"total_shipping"`
	TaxesIncluded       bool            `avro:"taxes_included" json:"taxes_included"`
	FinancialStatus     string          `avro:"financial_status" json:"financial_status"`
	FulfillmentStatus   string          `avro:"fulfillment_status" json:"fulfillment_status"`
	SourceName          string          `avro:"source_name" json:"source_name"`
	Tags                string          `avro:"tags" json:"tags"`
	Note                string          `avro:"note" json:"note"`
	NoteAttributes      []NoteAttribute `avro:"note_attributes" json:"note_attributes"`
	PaymentGatewayNames []string        `avro:"payment_gateway_names" json:"payment_gateway_names"`
	Test                bool            `avro:"test" json:"test"`
	BillingAddress      *Address        `avro:"billing_address" json:"billing_address"`
	ShippingAddress     *Address        `avro:"shipping_address" json:"shipping_address"`
	LineItems           []LineItem      `avro:"line_items" json:"line_items"`
	ShippingLines       []ShippingLine  `avro:"shipping_lines" json:"shipping_lines"`

	// The same amounts in the buyer's currency (PresentmentCurrency).
	TotalPricePresentment     decimal.Decimal `avro:"total_price_presentment" json:"total_price_presentment"`
	SubtotalPricePresentment  decimal.Decimal `avro:"subtotal_price_presentment" json:"subtotal_price_presentment"`
	TotalTaxPresentment       decimal.Decimal `avro:"total_tax_presentment" json:"total_tax_presentment"`
	TotalDiscountsPresentment decimal.Decimal `avro:"total_discounts_presentment" json:"total_discounts_presentment"`
	TotalShippingPresentment  decimal.Decimal `avro:"total_shipping_presentment" json:"total_shipping_presentment"`
	// Totals after edits and refunds.
	CurrentTotalPrice                decimal.Decimal `avro:"current_total_price" json:"current_total_price"`
	CurrentTotalPricePresentment     decimal.Decimal `avro:"current_total_price_presentment" json:"current_total_price_presentment"`
	CurrentSubtotalPrice             decimal.Decimal `avro:"current_subtotal_price" json:"current_subtotal_price"`
	CurrentSubtotalPricePresentment  decimal.Decimal `avro:"current_subtotal_price_presentment" json:"current_subtotal_price_presentment"`
	CurrentTotalTax                  decimal.Decimal `avro:"current_total_tax" json:"current_total_tax"`
	CurrentTotalTaxPresentment       decimal.Decimal `avro:"current_total_tax_presentment" json:"current_total_tax_presentment"`
	CurrentTotalDiscounts            decimal.Decimal `avro:"current_total_discounts" json:"current_total_discounts"`
	CurrentTotalDiscountsPresentment decimal.Decimal `avro:"current_total_discounts_presentment" json:"current_total_discounts_presentment"`
	TotalOutstanding                 decimal.Decimal `avro:"total_outstanding" json:"total_outstanding"`
	TotalTipReceived                 decimal.Decimal `avro:"total_tip_received" json:"total_tip_received"`
	TotalDuties                      decimal.Decimal `avro:"total_duties" json:"total_duties"`
	TotalDutiesPresentment           decimal.Decimal `avro:"total_duties_presentment" json:"total_duties_presentment"`
	TotalAdditionalFees              decimal.Decimal `avro:"total_additional_fees" json:"total_additional_fees"`
	TotalAdditionalFeesPresentment   decimal.Decimal `avro:"total_additional_fees_presentment" json:"total_additional_fees_presentment"`
	TaxExempt                        bool            `avro:"tax_exempt" json:"tax_exempt"`
	TaxLines                         []TaxLine       `avro:"tax_lines" json:"tax_lines"`
	ClosedAt                         *time.Time      `avro:"closed_at" json:"closed_at"`
	// Transactions are what the Admin API says (webhook order bodies carry none).
	Transactions []Transaction `avro:"transactions" json:"transactions"`
	Refunds      []Refund      `avro:"refunds" json:"refunds"`
}

// CustomerName is the name a person would recognise the buyer by.
func (o *Order) CustomerName() string {
	if c := o.Customer; c != nil {
		if n := joinName(c.FirstName, c.LastName); n != "" {
			return n
		}
	}
	if a := o.BillingAddress; a != nil && a.Name != "" {
		return a.Name
	}
	return o.Email
}

func joinName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	return first + " " + last
}

type Customer struct {
	ID        int64  `avro:"id" json:"id"`
	Email     string `avro:"email" json:"email"`
	FirstName string `avro:"first_name" json:"first_name"`
	LastName  string `avro:"last_name" json:"last_name"`
	Phone     string `avro:"phone" json:"phone"`
}

type NoteAttribute struct {
	Name  string `avro:"name" json:"name"`
	Value string `avro:"value" json:"value"`
}

type Address struct {
	Name         string `avro:"name" json:"name"`
	Company      string `avro:"company" json:"company"`
	Address1     string `avro:"address1" json:"address1"`
	Address2     string `avro:"address2" json:"address2"`
	City         string `avro:"city" json:"city"`
	Zip          string `avro:"zip" json:"zip"`
	ProvinceCode string `avro:"province_code" json:"province_code"`
	CountryCode  string `avro:"country_code" json:"country_code"`
	Phone        string `avro:"phone" json:"phone"`
	FirstName    string `avro:"first_name" json:"first_name"`
	LastName     string `avro:"last_name" json:"last_name"`
	Province     string `avro:"province" json:"province"`
	Country      string `avro:"country" json:"country"`
}

type LineItem struct {
	ID               int64           `avro:"id" json:"id"`
	ProductID        int64           `avro:"product_id" json:"product_id"`
	VariantID        int64           `avro:"variant_id" json:"variant_id"`
	SKU              string          `avro:"sku" json:"sku"`
	Title            string          `avro:"title" json:"title"`
	VariantTitle     string          `avro:"variant_title" json:"variant_title"`
	Quantity         int32           `avro:"quantity" json:"quantity"`
	Price            decimal.Decimal `avro:"price" json:"price"`
	TotalDiscount    decimal.Decimal `avro:"total_discount" json:"total_discount"`
	Taxable          bool            `avro:"taxable" json:"taxable"`
	RequiresShipping bool            `avro:"requires_shipping" json:"requires_shipping"`
	TaxLines         []TaxLine       `avro:"tax_lines" json:"tax_lines"`
	// CurrentQuantity is the quantity after edits and refunds; nil when the snapshot
	// did not say (use Quantity then).
	CurrentQuantity          *int32          `avro:"current_quantity" json:"current_quantity"`
	PricePresentment         decimal.Decimal `avro:"price_presentment" json:"price_presentment"`
	TotalDiscountPresentment decimal.Decimal `avro:"total_discount_presentment" json:"total_discount_presentment"`
	GiftCard                 bool            `avro:"gift_card" json:"gift_card"`
	Name                     string          `avro:"name" json:"name"`
}

// TotalIn is the order's total in the money set the shop's settings choose
// (`currency`: shop or presentment) and that set's currency: what the order table
// shows and Odoo books.
func (o *Order) TotalIn(set string) (decimal.Decimal, string) {
	if set == "presentment" && o.PresentmentCurrency != "" && (!o.TotalPricePresentment.IsZero() || o.TotalPrice.IsZero()) {
		return o.TotalPricePresentment, o.PresentmentCurrency
	}
	return o.TotalPrice, o.Currency
}

// Qty is the line's quantity now: current_quantity when the snapshot has it.
func (l *LineItem) Qty() int32 {
	if l.CurrentQuantity != nil {
		return *l.CurrentQuantity
	}
	return l.Quantity
}

type TaxLine struct {
	Title            string          `avro:"title" json:"title"`
	Rate             decimal.Decimal `avro:"rate" json:"rate"`
	Price            decimal.Decimal `avro:"price" json:"price"`
	PricePresentment decimal.Decimal `avro:"price_presentment" json:"price_presentment"`
	ChannelLiable    bool            `avro:"channel_liable" json:"channel_liable"`
}

type ShippingLine struct {
	ID              int64           `avro:"id" json:"id"`
	Title           string          `avro:"title" json:"title"`
	Code            string          `avro:"code" json:"code"`
	Price           decimal.Decimal `avro:"price" json:"price"`
	DiscountedPrice decimal.Decimal `avro:"discounted_price" json:"discounted_price"`
	TaxLines        []TaxLine       `avro:"tax_lines" json:"tax_lines"`

	PricePresentment           decimal.Decimal `avro:"price_presentment" json:"price_presentment"`
	DiscountedPricePresentment decimal.Decimal `avro:"discounted_price_presentment" json:"discounted_price_presentment"`
	IsRemoved                  bool            `avro:"is_removed" json:"is_removed"`
}

// Transaction is one payment transaction of an order.
type Transaction struct {
	ID                int64           `avro:"id" json:"id"`
	ParentID          int64           `avro:"parent_id" json:"parent_id"`
	Kind              string          `avro:"kind" json:"kind"`     // sale, capture, authorization, void, refund, ...
	Status            string          `avro:"status" json:"status"` // success, pending, failure, error, ...
	Gateway           string          `avro:"gateway" json:"gateway"`
	Amount            decimal.Decimal `avro:"amount" json:"amount"` // shop money
	AmountPresentment decimal.Decimal `avro:"amount_presentment" json:"amount_presentment"`
	Currency          string          `avro:"currency" json:"currency"` // of AmountPresentment
	ProcessedAt       *time.Time      `avro:"processed_at" json:"processed_at"`
	Test              bool            `avro:"test" json:"test"`
}

// Refund is one Shopify refund of an order.
type Refund struct {
	ID                  int64                `avro:"id" json:"id"`
	CreatedAt           *time.Time           `avro:"created_at" json:"created_at"`
	ProcessedAt         *time.Time           `avro:"processed_at" json:"processed_at"`
	Note                string               `avro:"note" json:"note"`
	Restock             bool                 `avro:"restock" json:"restock"`
	RefundLineItems     []RefundLineItem     `avro:"refund_line_items" json:"refund_line_items"`
	RefundShippingLines []RefundShippingLine `avro:"refund_shipping_lines" json:"refund_shipping_lines"`
	OrderAdjustments    []OrderAdjustment    `avro:"order_adjustments" json:"order_adjustments"`
	Transactions        []Transaction        `avro:"transactions" json:"transactions"`
}

type RefundLineItem struct {
	ID                  int64           `avro:"id" json:"id"`
	LineItemID          int64           `avro:"line_item_id" json:"line_item_id"`
	Quantity            int32           `avro:"quantity" json:"quantity"`
	RestockType         string          `avro:"restock_type" json:"restock_type"` // no_restock, cancel, return, legacy_restock
	Subtotal            decimal.Decimal `avro:"subtotal" json:"subtotal"`
	SubtotalPresentment decimal.Decimal `avro:"subtotal_presentment" json:"subtotal_presentment"`
	TotalTax            decimal.Decimal `avro:"total_tax" json:"total_tax"`
	TotalTaxPresentment decimal.Decimal `avro:"total_tax_presentment" json:"total_tax_presentment"`
}

type RefundShippingLine struct {
	ID                int64           `avro:"id" json:"id"`
	ShippingLineID    int64           `avro:"shipping_line_id" json:"shipping_line_id"`
	Amount            decimal.Decimal `avro:"amount" json:"amount"` // before tax
	AmountPresentment decimal.Decimal `avro:"amount_presentment" json:"amount_presentment"`
	Tax               decimal.Decimal `avro:"tax" json:"tax"`
	TaxPresentment    decimal.Decimal `avro:"tax_presentment" json:"tax_presentment"`
}

type OrderAdjustment struct {
	ID                   int64           `avro:"id" json:"id"`
	Kind                 string          `avro:"kind" json:"kind"` // shipping_refund, refund_discrepancy
	Reason               string          `avro:"reason" json:"reason"`
	Amount               decimal.Decimal `avro:"amount" json:"amount"` // signed as Shopify sends it
	AmountPresentment    decimal.Decimal `avro:"amount_presentment" json:"amount_presentment"`
	TaxAmount            decimal.Decimal `avro:"tax_amount" json:"tax_amount"`
	TaxAmountPresentment decimal.Decimal `avro:"tax_amount_presentment" json:"tax_amount_presentment"`
}

// Origins of an OrderEvent.
const (
	OriginWebhook   = "webhook"
	OriginBackfill  = "backfill"
	OriginManual    = "manual"
	OriginReconcile = "reconcile"
	OriginReplay    = "replay"
	// OriginRetry is a delayed retry coming due: the order is re-synced from the
	// latest snapshot the processor holds, never from the failed command's.
	OriginRetry = "retry"
	// OriginPrivacy is a redaction Shopify asked for (customers/redact, shop/redact).
	OriginPrivacy = "privacy"
)

// OrderEvent is one thing Shopify told us about an order.
type OrderEvent struct {
	EventID     string     `avro:"event_id"`
	Shop        string     `avro:"shop"`
	OrderID     int64      `avro:"order_id"`
	Topic       string     `avro:"topic"`
	Origin      string     `avro:"origin"`
	WebhookID   string     `avro:"webhook_id"`
	TriggeredAt *time.Time `avro:"triggered_at"`
	ReceivedAt  time.Time  `avro:"received_at"`
	Force       bool       `avro:"force"`
	Order       Order      `avro:"order"`
	Raw         []byte     `avro:"raw"`
	Attempt     int32      `avro:"attempt"`
	// DecodeRaw: Order holds only the id and the processor decodes it from Raw (a
	// webhook body) before deciding; ingest does no more than find the key and version.
	DecodeRaw bool  `avro:"decode_raw"`
	Version   int64 `avro:"version"` // updated_at (ms) as ingest read it from Raw; 0 unknown
}

// ShopSettings are a shop's sync rules; the same JSON in the config file and the API.
type ShopSettings struct {
	Shop                  string           `avro:"shop" json:"-"`
	Revision              int64            `avro:"revision" json:"-"`
	UpdatedAt             time.Time        `avro:"updated_at" json:"-"`
	AutoSync              bool             `avro:"auto_sync" json:"auto_sync"`
	PaymentStatuses       []string         `avro:"payment_statuses" json:"payment_statuses"`
	FulfillmentStatuses   []string         `avro:"fulfillment_statuses" json:"fulfillment_statuses"`
	OrderSources          []string         `avro:"order_sources" json:"order_sources"`
	Create                string           `avro:"create" json:"create"`
	InvoiceFor            string           `avro:"invoice_for" json:"invoice_for"`
	SalesJournalID        int64            `avro:"sales_journal_id" json:"sales_journal_id"`
	IncomeAccount         IncomeAccount    `avro:"income_account" json:"income_account"`
	Payments              PaymentSettings  `avro:"payments" json:"payments"`
	Currency              string           `avro:"currency" json:"currency"`
	Customer              CustomerSettings `avro:"customer" json:"customer"`
	DateFrom              string           `avro:"date_from" json:"date_from"`
	DateTo                string           `avro:"date_to" json:"date_to"`
	OrderPrefix           string           `avro:"order_prefix" json:"order_prefix"`
	UseShopifyOrderNumber bool             `avro:"use_shopify_order_number" json:"use_shopify_order_number"`
	SyncRefunds           bool             `avro:"sync_refunds" json:"sync_refunds"`
	CancelSaleOrder       bool             `avro:"cancel_sale_order" json:"cancel_sale_order"`
	// PostedInvoiceEdits is what an edit of an order whose invoice is posted does:
	// PostedInvoiceWarn ("" reads the same) or PostedInvoiceCreditAndReissue.
	PostedInvoiceEdits string          `avro:"posted_invoice_edits" json:"posted_invoice_edits"`
	Include            IncludeSettings `avro:"include" json:"include"`
	// CreateMissingTaxes creates an Odoo sale tax for a Shopify tax line Odoo has
	// none for; false fails such an order with the tax named.
	CreateMissingTaxes bool `avro:"create_missing_taxes" json:"create_missing_taxes"`
	// RoundingLine lets the sink add a rounding line when Odoo's total differs from
	// Shopify's; without it the difference is a warning on the outcome.
	RoundingLine bool            `avro:"rounding_line" json:"rounding_line"`
	Products     ProductSettings `avro:"products" json:"products"`
	// GiftCardAccountID is the liability account of gift cards sold (0: Synco's own
	// "Shopify gift cards" account).
	GiftCardAccountID int64 `avro:"gift_card_account_id" json:"gift_card_account_id"`
	// ReconcileInterval is how often the shop's recently updated orders are compared
	// with what Synco holds: a Go duration ("1h", "30m") or "off".
	ReconcileInterval string `avro:"reconcile_interval" json:"reconcile_interval"`
	// Secrets are the shop's credentials set through the API, sealed (AES-256-GCM
	// under SYNCO_SECRET_KEY); only platform/settings opens them, and it hands the
	// settings to everyone else without them. Never in JSON.
	Secrets []byte `avro:"secrets" json:"-"`
}

// ProductSettings name the Odoo products of lines that are not a Shopify product
// (0: Synco's own product, found or created by its code).
type ProductSettings struct {
	// FallbackID is the product of lines without SKU whose Shopify variant or product
	// has no external id in Odoo (custom items, draft-order lines, bundles).
	FallbackID int64 `avro:"fallback_id" json:"fallback_id"`
	ShippingID int64 `avro:"shipping_id" json:"shipping_id"`
	TipID      int64 `avro:"tip_id" json:"tip_id"`
	DutyID     int64 `avro:"duty_id" json:"duty_id"`
	FeeID      int64 `avro:"fee_id" json:"fee_id"`
	// GiftCardID is the product of gift cards sold; its income account must be a
	// liability account.
	GiftCardID int64 `avro:"gift_card_id" json:"gift_card_id"`
	// RoundingID is the product of rounding and discount adjustment lines.
	RoundingID int64 `avro:"rounding_id" json:"rounding_id"`
}

type IncomeAccount struct {
	Mode      string `avro:"mode" json:"mode"`
	AccountID int64  `avro:"account_id" json:"account_id,omitempty"`
}

type PaymentSettings struct {
	Mode              string           `avro:"mode" json:"mode"`
	JournalID         int64            `avro:"journal_id" json:"journal_id,omitempty"`
	Gateways          map[string]int64 `avro:"gateways" json:"gateways,omitempty"`
	SyncPaymentMethod bool             `avro:"sync_payment_method" json:"sync_payment_method"`
}

type CustomerSettings struct {
	Mode       string `avro:"mode" json:"mode"`
	PartnerID  int64  `avro:"partner_id" json:"partner_id,omitempty"`
	GuestsOnly bool   `avro:"guests_only" json:"guests_only,omitempty"`
}

type IncludeSettings struct {
	NoteAttributes bool `avro:"note_attributes" json:"note_attributes"`
	Tags           bool `avro:"tags" json:"tags"`
}

// DefaultSettings is what a shop gets before anyone chose: every order eligible,
// synced as a draft sale order.
func DefaultSettings(shop string) ShopSettings {
	return ShopSettings{
		Shop:                  shop,
		AutoSync:              true,
		PaymentStatuses:       []string{"all"},
		FulfillmentStatuses:   []string{"all"},
		OrderSources:          []string{"all"},
		Create:                CreateDraftSaleOrder,
		InvoiceFor:            "all",
		IncomeAccount:         IncomeAccount{Mode: "product_category"},
		Payments:              PaymentSettings{Mode: "single", Gateways: map[string]int64{}},
		Currency:              "shop",
		Customer:              CustomerSettings{Mode: "normal"},
		UseShopifyOrderNumber: true,
		CreateMissingTaxes:    true,
		PostedInvoiceEdits:    PostedInvoiceWarn,
		ReconcileInterval:     DefaultReconcileInterval,
	}
}

// DefaultReconcileInterval is how often a shop is reconciled unless its settings say.
const DefaultReconcileInterval = "1h"

// What the settings' `create` asks Odoo to hold.
const (
	CreateDraftSaleOrder            = "draft_sale_order"
	CreateConfirmedSaleOrder        = "confirmed_sale_order"
	CreateDraftInvoice              = "draft_invoice"
	CreateConfirmedInvoice          = "confirmed_invoice"
	CreateSaleOrderDraftInvoice     = "sale_order_draft_invoice"
	CreateSaleOrderConfirmedInvoice = "sale_order_confirmed_invoice"
)

// What an edit does to an order whose invoice is posted (ShopSettings.PostedInvoiceEdits).
const (
	PostedInvoiceWarn             = "warn"               // the invoice stays; the difference is a warning
	PostedInvoiceCreditAndReissue = "credit_and_reissue" // a credit note of it and a new invoice from the order
)

// SaleOrderState and InvoiceState are the desired states in an OrderSync.
type SaleOrderState string

const (
	SaleOrderNone      SaleOrderState = "NONE"
	SaleOrderDraft     SaleOrderState = "DRAFT"
	SaleOrderConfirmed SaleOrderState = "CONFIRMED"
	SaleOrderCancelled SaleOrderState = "CANCELLED"
)

type InvoiceState string

const (
	InvoiceNone   InvoiceState = "NONE"
	InvoiceDraft  InvoiceState = "DRAFT"
	InvoicePosted InvoiceState = "POSTED"
)

// OrderSync is the whole desired Odoo state of one order.
type OrderSync struct {
	CommandID string         `avro:"command_id"`
	Shop      string         `avro:"shop"`
	OrderID   int64          `avro:"order_id"`
	Version   int64          `avro:"version"`
	Seq       int64          `avro:"seq"`
	IssuedAt  time.Time      `avro:"issued_at"`
	Attempt   int32          `avro:"attempt"`
	SaleOrder SaleOrderState `avro:"sale_order"`
	Invoice   InvoiceState   `avro:"invoice"`
	// Eligible is false for an order kept in step after it left the filters.
	Eligible          bool     `avro:"eligible"`
	IneligibleReasons []string `avro:"ineligible_reasons"`
	OdooName          string   `avro:"odoo_name"`
	// Origin is what brought the event this command answers (OriginWebhook, ...): the
	// sink's outcome carries it on, so sync_events tells them apart at every stage.
	Origin   string       `avro:"origin"`
	Settings ShopSettings `avro:"settings"`
	Order    Order        `avro:"order"`
}

// Outcome statuses, as the order table shows them.
const (
	StatusSynced     = "synced"
	StatusNotSynced  = "not_synced"
	StatusInProgress = "in_progress"
	StatusDelayed    = "delayed"
	StatusFailed     = "failed"
	// StatusNeedsAttention: Odoo refused what the order's change asks (a delivered
	// quantity lowered, a locked order edited, a delivered order cancelled) and said
	// why. An answer, not a crash: not retried, not dead-lettered; a person acts in
	// Odoo and syncs the order again.
	StatusNeedsAttention = "needs_attention"
	StatusRedacted       = "redacted" // StagePrivacy only: not an order table status
)

// Stages that write outcomes.
const (
	StageProcessor = "processor"
	StageSinkOdoo  = "sink.odoo"
	// StagePrivacy outcomes say an order's personal data was redacted (status
	// StatusRedacted): the ClickHouse sink redacts its rows, nothing else changes.
	StagePrivacy = "privacy"
)

// SyncOutcome is what happened to an order at one stage.
type SyncOutcome struct {
	OutcomeID         string          `avro:"outcome_id"`
	Shop              string          `avro:"shop"`
	OrderID           int64           `avro:"order_id"`
	Version           int64           `avro:"version"`
	Stage             string          `avro:"stage"`
	At                time.Time       `avro:"at"`
	OrderName         string          `avro:"order_name"`
	CreatedAt         time.Time       `avro:"created_at"`
	Email             string          `avro:"email"`
	Customer          string          `avro:"customer"`
	Total             decimal.Decimal `avro:"total"`
	Currency          string          `avro:"currency"`
	FinancialStatus   string          `avro:"financial_status"`
	FulfillmentStatus string          `avro:"fulfillment_status"`
	Source            string          `avro:"source"`
	Eligible          bool            `avro:"eligible"`
	IneligibleReasons []string        `avro:"ineligible_reasons"`
	Status            string          `avro:"status"`
	OdooModel         string          `avro:"odoo_model"`
	OdooID            int64           `avro:"odoo_id"`
	OdooName          string          `avro:"odoo_name"`
	InvoiceID         int64           `avro:"invoice_id"`
	Error             string          `avro:"error"`
	RetryAt           *time.Time      `avro:"retry_at"`
	Attempt           int32           `avro:"attempt"`
	RPCCalls          int32           `avro:"rpc_calls"`
	LatencyMs         int64           `avro:"latency_ms"`
	// Warnings are differences a person should know about (rounding, totals, what
	// Odoo would not change); never nil.
	Warnings       []string        `avro:"warnings"`
	InvoiceState   string          `avro:"invoice_state"`
	PaymentState   string          `avro:"payment_state"`
	RefundedAmount decimal.Decimal `avro:"refunded_amount"`
	Cancelled      bool            `avro:"cancelled"`
	// PaymentGateways are the order's payment_gateway_names (the settings screen
	// offers the gateways Synco has seen).
	PaymentGateways []string `avro:"payment_gateways"`
	// Origin is what brought the event this outcome answers (OriginWebhook, ...).
	Origin string `avro:"origin"`
}

// OutcomeFor fills an outcome's order summary from a snapshot.
func OutcomeFor(o *Order, shop, stage string) SyncOutcome {
	return SyncOutcome{
		Shop:              shop,
		OrderID:           o.ID,
		Version:           o.UpdatedAt.UnixMilli(),
		Stage:             stage,
		OrderName:         o.Name,
		CreatedAt:         o.CreatedAt,
		Email:             o.Email,
		Customer:          o.CustomerName(),
		Total:             o.TotalPrice,
		Currency:          o.Currency,
		FinancialStatus:   o.FinancialStatus,
		FulfillmentStatus: o.FulfillmentStatus,
		Source:            o.SourceName,
		IneligibleReasons: []string{},
		Warnings:          []string{},
		PaymentGateways:   append([]string{}, o.PaymentGatewayNames...),
	}
}

// OrderKey is the Kafka key of every per-order topic.
func OrderKey(shop string, orderID int64) []byte {
	return []byte(shop + "/" + itoa(orderID))
}

// DeadLetter is the v1 dead-letter envelope, no longer written: dead letters keep the
// original key and value with the reason in headers (platform/deadletter).
type DeadLetter struct {
	Shop        string            `avro:"shop"`
	Key         string            `avro:"key"`
	OriginTopic string            `avro:"origin_topic"`
	Stage       string            `avro:"stage"`
	Reason      string            `avro:"reason"`
	At          time.Time         `avro:"at"`
	Attempt     int32             `avro:"attempt"`
	Headers     map[string]string `avro:"headers"`
	Payload     []byte            `avro:"payload"`
}

// SyncRequest asks ingest to fetch orders from Shopify and push them through again.
type SyncRequest struct {
	RequestID   string    `avro:"request_id"`
	Shop        string    `avro:"shop"`
	OrderIDs    []int64   `avro:"order_ids"`
	AllEligible bool      `avro:"all_eligible"`
	RequestedBy string    `avro:"requested_by"`
	RequestedAt time.Time `avro:"requested_at"`
	// Kind is "" for a sync of named (or all eligible) orders, RequestBackfill for a
	// backfill of the orders created in [From, To) (RequestID is then its job id).
	Kind string     `avro:"kind"`
	From *time.Time `avro:"from"`
	To   *time.Time `avro:"to"`
}

// RequestBackfill is the Kind of a SyncRequest that asks for a backfill.
const RequestBackfill = "backfill"

// BackfillRange is a backfill's days from..to (YYYY-MM-DD, UTC, to inclusive) as the
// instants [from, to) it covers; to empty leaves the end zero (until the run starts).
func BackfillRange(from, to string) (time.Time, time.Time, error) {
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("from %q is not a date YYYY-MM-DD", from)
	}
	if to == "" {
		return f, time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("to %q is not a date YYYY-MM-DD", to)
	}
	if t.Before(f) {
		return time.Time{}, time.Time{}, fmt.Errorf("to %s is before from %s", to, from)
	}
	return f, t.AddDate(0, 0, 1), nil
}

// BackfillID is the job id of the backfill of the days from..to (to empty: open):
// one per range, so a backfill asked again, from anywhere, resumes the same job.
func BackfillID(from, to string) string {
	if to == "" {
		to = "open"
	}
	return from + "_" + to
}

// Job is the state of a long-running job of one shop (topic synco.jobs, key JobKey).
type Job struct {
	JobID       string           `avro:"job_id" json:"job_id"`
	Shop        string           `avro:"shop" json:"shop"`
	Kind        string           `avro:"kind" json:"kind"`
	Status      string           `avro:"status" json:"status"`
	From        *time.Time       `avro:"from" json:"from"`
	To          *time.Time       `avro:"to" json:"to"`
	Checkpoint  *time.Time       `avro:"checkpoint" json:"checkpoint"`
	Mode        string           `avro:"mode" json:"mode"`
	Processed   int64            `avro:"processed" json:"processed"`
	Emitted     int64            `avro:"emitted" json:"emitted"`
	Counts      map[string]int64 `avro:"counts" json:"counts"`
	StartedAt   time.Time        `avro:"started_at" json:"started_at"`
	UpdatedAt   time.Time        `avro:"updated_at" json:"updated_at"`
	FinishedAt  *time.Time       `avro:"finished_at" json:"finished_at"`
	Error       string           `avro:"error" json:"error"`
	RequestedBy string           `avro:"requested_by" json:"requested_by"`
	Owner       string           `avro:"owner" json:"owner"`
}

// Job kinds and statuses.
const (
	JobBackfill  = "backfill"
	JobReconcile = "reconcile"
	JobReplay    = "replay"

	JobRunning     = "running"
	JobDone        = "done"
	JobFailed      = "failed"
	JobInterrupted = "interrupted"

	// JobByCLI is the requested_by of a job run by a synco command (synco backfill):
	// the person at the terminal resumes it, Synco does not behind their back.
	JobByCLI = "cli"
)

// JobKey is the Kafka key of a job's records.
func JobKey(shop, kind, id string) []byte { return []byte(shop + "/" + kind + "/" + id) }

// OrderState is the processor's per-order state, kept in its changelog.
type OrderState struct {
	Shop           string   `avro:"shop"`
	OrderID        int64    `avro:"order_id"`
	Version        int64    `avro:"version"`
	Seq            int64    `avro:"seq"`
	RecentEventIDs []string `avro:"recent_event_ids"`
	Commanded      bool     `avro:"commanded"`
	Order          Order    `avro:"order"`
}

// OdooCatalog is what a shop's settings pick from in its Odoo (topic
// synco.odoo.catalog, key <shop>): journals, income accounts and the most recent
// customers, read by sink/catalog.
type OdooCatalog struct {
	Shop           string        `avro:"shop" json:"-"`
	RefreshedAt    time.Time     `avro:"refreshed_at" json:"refreshed_at"`
	OdooVersion    int32         `avro:"odoo_version" json:"odoo_version"`
	Journals       []OdooJournal `avro:"journals" json:"journals"`
	IncomeAccounts []OdooAccount `avro:"income_accounts" json:"income_accounts"`
	Partners       []OdooPartner `avro:"partners" json:"partners"`
	// PartnersLimit is the bound Partners was read with: as many partners as the
	// limit means there may be more in Odoo.
	PartnersLimit int32 `avro:"partners_limit" json:"partners_limit"`
}

type OdooJournal struct {
	ID   int64  `avro:"id" json:"id"`
	Name string `avro:"name" json:"name"`
	Code string `avro:"code" json:"code"`
	Type string `avro:"type" json:"type"` // sale, purchase, cash, bank, general, ...
}

type OdooAccount struct {
	ID   int64  `avro:"id" json:"id"`
	Code string `avro:"code" json:"code"`
	Name string `avro:"name" json:"name"`
}

type OdooPartner struct {
	ID    int64  `avro:"id" json:"id"`
	Name  string `avro:"name" json:"name"`
	Email string `avro:"email" json:"email"`
}
