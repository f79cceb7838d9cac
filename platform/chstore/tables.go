package chstore

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// OrderRow is one row of `orders`, and the one declaration of its columns: the table's
// DDL, every INSERT and every SELECT of whole rows are made from these fields (the
// `ch` tag names the column, `type` its ClickHouse type, valid on 18.16 and current
// releases). A new column is a new field: Migrate adds it to existing tables.
//
// `orders` is a VersionedCollapsingMergeTree(sign, version): an order's state is a row
// with sign +1, and replacing it writes the old row again with sign -1 beside the new
// one. So the live rows are the ones whose signs add up to 1 per (order, version),
// which sum(sign) counts without FINAL (see Settle and order_counts).
type OrderRow struct {
	Shop              string          `ch:"shop" type:"String"`
	OrderID           uint64          `ch:"order_id" type:"UInt64"`
	OrderName         string          `ch:"order_name" type:"String"`
	CreatedAt         time.Time       `ch:"created_at" type:"DateTime"`
	Email             string          `ch:"email" type:"String"`
	Customer          string          `ch:"customer" type:"String"`
	Total             decimal.Decimal `ch:"total" type:"Decimal(18, 4)"`
	Currency          string          `ch:"currency" type:"String"`
	FinancialStatus   string          `ch:"financial_status" type:"String"`
	FulfillmentStatus string          `ch:"fulfillment_status" type:"String"`
	Source            string          `ch:"source" type:"String"`
	Eligible          uint8           `ch:"eligible" type:"UInt8"`
	IneligibleReasons []string        `ch:"ineligible_reasons" type:"Array(String)"`
	Status            string          `ch:"status" type:"String"`
	OdooModel         string          `ch:"odoo_model" type:"String"`
	OdooID            uint64          `ch:"odoo_id" type:"UInt64"`
	OdooName          string          `ch:"odoo_name" type:"String"`
	InvoiceID         uint64          `ch:"invoice_id" type:"UInt64"`
	Error             string          `ch:"error" type:"String"`
	RetryAt           *time.Time      `ch:"retry_at" type:"Nullable(DateTime)"`
	Attempt           uint32          `ch:"attempt" type:"UInt32"`
	UpdatedAt         time.Time       `ch:"updated_at" type:"DateTime"`
	Version           uint64          `ch:"version" type:"UInt64"`
	Warnings          []string        `ch:"warnings" type:"Array(String)"`
	InvoiceState      string          `ch:"invoice_state" type:"String"`
	PaymentState      string          `ch:"payment_state" type:"String"`
	RefundedAmount    decimal.Decimal `ch:"refunded_amount" type:"Decimal(18, 4)"`
	Cancelled         uint8           `ch:"cancelled" type:"UInt8"`
	PaymentGateways   []string        `ch:"payment_gateways" type:"Array(String)"`
	Sign              int8            `ch:"sign" type:"Int8"`
}

// EventRow is one row of `sync_events` (one per outcome of every stage), declared once
// as OrderRow is. sync_events is a ReplacingMergeTree(at_ms) keyed by outcome: a
// redelivered outcome collapses.
type EventRow struct {
	OutcomeID         string          `ch:"outcome_id" type:"String"`
	Shop              string          `ch:"shop" type:"String"`
	OrderID           uint64          `ch:"order_id" type:"UInt64"`
	Version           uint64          `ch:"version" type:"UInt64"`
	Stage             string          `ch:"stage" type:"String"`
	At                time.Time       `ch:"at" type:"DateTime"`
	AtMs              uint64          `ch:"at_ms" type:"UInt64"`
	OrderName         string          `ch:"order_name" type:"String"`
	CreatedAt         time.Time       `ch:"created_at" type:"DateTime"`
	Email             string          `ch:"email" type:"String"`
	Customer          string          `ch:"customer" type:"String"`
	Total             decimal.Decimal `ch:"total" type:"Decimal(18, 4)"`
	Currency          string          `ch:"currency" type:"String"`
	FinancialStatus   string          `ch:"financial_status" type:"String"`
	FulfillmentStatus string          `ch:"fulfillment_status" type:"String"`
	Source            string          `ch:"source" type:"String"`
	Eligible          uint8           `ch:"eligible" type:"UInt8"`
	IneligibleReasons []string        `ch:"ineligible_reasons" type:"Array(String)"`
	Status            string          `ch:"status" type:"String"`
	OdooModel         string          `ch:"odoo_model" type:"String"`
	OdooID            uint64          `ch:"odoo_id" type:"UInt64"`
	OdooName          string          `ch:"odoo_name" type:"String"`
	InvoiceID         uint64          `ch:"invoice_id" type:"UInt64"`
	Error             string          `ch:"error" type:"String"`
	RetryAt           *time.Time      `ch:"retry_at" type:"Nullable(DateTime)"`
	Attempt           uint32          `ch:"attempt" type:"UInt32"`
	RPCCalls          uint32          `ch:"rpc_calls" type:"UInt32"`
	LatencyMs         uint64          `ch:"latency_ms" type:"UInt64"`
	Warnings          []string        `ch:"warnings" type:"Array(String)"`
	InvoiceState      string          `ch:"invoice_state" type:"String"`
	PaymentState      string          `ch:"payment_state" type:"String"`
	RefundedAmount    decimal.Decimal `ch:"refunded_amount" type:"Decimal(18, 4)"`
	Cancelled         uint8           `ch:"cancelled" type:"UInt8"`
	PaymentGateways   []string        `ch:"payment_gateways" type:"Array(String)"`
}

// OrderColumns and EventColumns are the column lists of OrderRow and EventRow
// ("shop, order_id, ..."), for INSERT column lists and SELECTs of whole rows.
var (
	OrderColumns = ordersTable.list()
	EventColumns = eventsTable.list()
)

// column is a column of a declared table.
type column struct {
	name, typ string
	expr      string // MATERIALIZED expression; empty for a stored field
}

// table is a declared table: its fields' columns, then the derived ones.
type table struct {
	name    string
	columns []column
}

var (
	ordersTable = declare("orders", reflect.TypeFor[OrderRow](), orderDerived)
	eventsTable = declare("sync_events", reflect.TypeFor[EventRow](), nil)
)

func declare(name string, t reflect.Type, derived []column) table {
	tb := table{name: name}
	for i := range t.NumField() {
		f := t.Field(i)
		col, typ := f.Tag.Get("ch"), f.Tag.Get("type")
		if col == "" || typ == "" {
			panic(fmt.Sprintf("chstore: %s.%s needs ch and type tags", t.Name(), f.Name))
		}
		tb.columns = append(tb.columns, column{name: col, typ: typ})
	}
	return table{name: name, columns: append(tb.columns, derived...)}
}

// list is the stored columns' names, comma-separated.
func (t table) list() string {
	var names []string
	for _, c := range t.columns {
		if c.expr == "" {
			names = append(names, c.name)
		}
	}
	return strings.Join(names, ", ")
}

// ddl is the column part of CREATE TABLE.
func (t table) ddl() string {
	var b strings.Builder
	for i, c := range t.columns {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString("\t" + c.name + " " + c.typ)
		if c.expr != "" {
			b.WriteString(" MATERIALIZED " + c.expr)
		}
	}
	return b.String()
}

// SortKey is a column the order table sorts by, with its bucket: a coarser value that
// never decreases as the key grows, counted per bucket in order_counts. The query
// store reads those counts to find how far down a page reaches, and then sorts only
// the rows in those buckets instead of the whole shop.
type SortKey struct {
	Kind   uint8  // order_counts.kind
	Column string // what rows sort by (ties: order_id)
	Bucket string // the orders column with the key's bucket
	bucket func(x string) string
}

// BucketOf is the SQL of the bucket of x, an expression of the key's type (a column or
// a bound value).
func (k SortKey) BucketOf(x string) string { return k.bucket(x) }

// The sort keys. Buckets: days for dates; for numbers the digit count and the leading
// digits (so that any spread of Shopify ids or amounts gives a few thousand buckets);
// for names the first two bytes of the lower-cased text.
var (
	SortByDate = SortKey{1, "created_at", "date_bucket", func(x string) string {
		return "toInt64(intDiv(toUInt32(" + x + "), 86400))"
	}}
	SortByOrder = SortKey{2, "order_id", "order_bucket", func(x string) string {
		s := "toString(" + x + ")"
		return "toInt64(length(" + s + ") * 10000 + toUInt64(substring(" + s + ", 1, 4)))"
	}}
	SortByTotal = SortKey{3, "total_key", "total_bucket", func(x string) string {
		abs := "toString(if(" + x + " < 0, negate(" + x + "), " + x + "))"
		return "if(" + x + " < 0, -1, 1) * toInt64(length(" + abs + ") * 1000 + toUInt64(substring(" + abs + ", 1, 3)))"
	}}
	SortByCustomer = SortKey{4, "customer_key", "customer_bucket", func(x string) string {
		return "toInt64(reinterpretAsUInt16(reverse(substring(concat(" + x + ", '\\0\\0'), 1, 2))))"
	}}
	sortKeys = []SortKey{SortByDate, SortByOrder, SortByTotal, SortByCustomer}
)

// orderDerived are the columns ClickHouse computes when a row is written, for the
// order table's queries: not inserted, not in SELECT *.
var orderDerived = []column{
	// The searched fields in one lower-cased text, one field per line (a search
	// without a newline cannot match across two).
	{"search", "String", `lowerUTF8(concat(order_name, '\n', email, '\n', customer, '\n', odoo_name))`},
	{"customer_key", "String", "lowerUTF8(customer)"},
	{"total_key", "Int64", "toInt64(total) * 10000 + toInt64((total - toInt64(total)) * 10000)"},
	{"has_invoice", "UInt8", "invoice_id > 0"},
	{SortByDate.Bucket, "Int64", SortByDate.BucketOf("created_at")},
	{SortByOrder.Bucket, "Int64", SortByOrder.BucketOf("order_id")},
	{SortByTotal.Bucket, "Int64", SortByTotal.BucketOf("total_key")},
	{SortByCustomer.Bucket, "Int64", SortByCustomer.BucketOf("customer_key")},
}

// CountDims are the columns of order_counts besides shop, kind and bucket: the order
// table's filters other than search can be answered from them. Each is a column of
// orders too, so one condition text serves both tables.
var CountDims = []string{"status", "eligible", "odoo_model", "has_invoice"}

func ordersDDL(name string) string {
	return "CREATE TABLE " + name + " (\n" + ordersTable.ddl() + "\n) ENGINE = VersionedCollapsingMergeTree(sign, version)\n" +
		// Small granules: the page's rows and the sink's look-ups are read by key.
		"ORDER BY (shop, order_id) SETTINGS index_granularity = 1024"
}

// order_counts holds, per shop, sort key bucket and filter dimensions, how many live
// orders there are (the sum of the signs written to orders): the totals and job
// counts without a scan, and where a sorted page ends. Fed by order_counts_mv.
const countsDDL = `CREATE TABLE IF NOT EXISTS order_counts (
	shop String,
	kind UInt8,
	status String,
	eligible UInt8,
	odoo_model String,
	has_invoice UInt8,
	bucket Int64,
	n Int64
) ENGINE = SummingMergeTree(n)
ORDER BY (shop, kind, status, eligible, odoo_model, has_invoice, bucket)`

// countsSelect turns rows of from (orders, or a table like it) into order_counts rows:
// one per sort key, summed over the block (18.16 sums a SummingMergeTree only when it
// merges parts, not as it writes one).
func countsSelect(from string) string {
	var kinds, buckets []string
	for _, k := range sortKeys {
		kinds = append(kinds, fmt.Sprint(k.Kind))
		buckets = append(buckets, k.Bucket)
	}
	dims := strings.Join(CountDims, ", ")
	return "SELECT shop, kind, " + dims + ", bucket, sum(toInt64(sign)) AS n FROM " + from +
		" ARRAY JOIN [" + strings.Join(kinds, ", ") + "] AS kind, [" + strings.Join(buckets, ", ") + "] AS bucket" +
		" GROUP BY shop, kind, " + dims + ", bucket"
}
