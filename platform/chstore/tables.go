package chstore

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// OrderRow is one row of `orders`, and the one declaration of its columns: the table's
// DDL, every INSERT and every SELECT of whole rows are made from these fields (the
// `ch` tag names the column, `type` its ClickHouse type, valid on 18.16 and current
// releases). A new column is a new field, added after the others (the doc column is
// read by position; TestDocLayout holds): Migrate adds it to existing tables.
//
// `orders` is a VersionedCollapsingMergeTree(sign, version): an order's state is a row
// with sign +1, and replacing it writes the old row again with sign -1 beside the new
// one. So the live rows are the ones whose signs add up to 1 per (order, version),
// which sum(sign) counts without FINAL (see Settle and order_counts).
type OrderRow struct {
	Shop    string `ch:"shop" type:"String"`
	OrderID uint64 `ch:"order_id" type:"UInt64"`
	OrderState
	UpdatedAt time.Time `ch:"updated_at" type:"DateTime"`
	Version   uint64    `ch:"version" type:"UInt64"`
	OrderFacts
	Sign int8 `ch:"sign" type:"Int8"`
}

// EventRow is one row of `sync_events` (one per outcome of every stage), declared once
// as OrderRow is. sync_events is a ReplacingMergeTree(at_ms) keyed by outcome: a
// redelivered outcome collapses.
type EventRow struct {
	OutcomeID string    `ch:"outcome_id" type:"String"`
	Shop      string    `ch:"shop" type:"String"`
	OrderID   uint64    `ch:"order_id" type:"UInt64"`
	Version   uint64    `ch:"version" type:"UInt64"`
	Stage     string    `ch:"stage" type:"String"`
	At        time.Time `ch:"at" type:"DateTime"`
	AtMs      uint64    `ch:"at_ms" type:"UInt64"`
	OrderState
	RPCCalls  uint32 `ch:"rpc_calls" type:"UInt32"`
	LatencyMs uint64 `ch:"latency_ms" type:"UInt64"`
	OrderFacts
	// Origin is what brought the event the outcome answers (webhook, backfill, manual,
	// reconcile, replay, retry; privacy for a redaction); empty in rows written before
	// it and in outcomes of commands issued before it.
	Origin string `ch:"origin" type:"String"`
}

// OrderState is the columns OrderRow and EventRow share in one run: the order's
// summary and where its sync stands. Embedded, its fields are columns in place (the
// reflection below walks embedded structs in order).
type OrderState struct {
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
}

// OrderFacts is the other run both rows share: the sync's warnings and what it learnt
// of the order in Odoo and of its payments. A column both tables gain goes here, at
// the end (in orders it comes before sign, which the doc leaves out).
type OrderFacts struct {
	Warnings        []string        `ch:"warnings" type:"Array(String)"`
	InvoiceState    string          `ch:"invoice_state" type:"String"`
	PaymentState    string          `ch:"payment_state" type:"String"`
	RefundedAmount  decimal.Decimal `ch:"refunded_amount" type:"Decimal(18, 4)"`
	Cancelled       uint8           `ch:"cancelled" type:"UInt8"`
	PaymentGateways []string        `ch:"payment_gateways" type:"Array(String)"`
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
	field     []int  // index path in the row struct of a stored field
}

func materialized(name, typ, expr string) column { return column{name: name, typ: typ, expr: expr} }

// table is a declared table: its fields' columns, then the derived ones.
type table struct {
	name    string
	columns []column
}

var (
	ordersTable = declare("orders", reflect.TypeFor[OrderRow](), append(orderDerived,
		// The whole row in one text (see docOf), as the last column: reading one
		// column of a few scattered rows is ~4x faster than reading thirty.
		materialized("doc", "String", docExpr(reflect.TypeFor[OrderRow]()))))
	eventsTable = declare("sync_events", reflect.TypeFor[EventRow](), nil)
)

func declare(name string, t reflect.Type, derived []column) table {
	tb := table{name: name}
	for _, f := range rowFields(t) {
		col, typ := f.Tag.Get("ch"), f.Tag.Get("type")
		if col == "" || typ == "" {
			panic(fmt.Sprintf("chstore: %s.%s needs ch and type tags", t.Name(), f.Name))
		}
		tb.columns = append(tb.columns, column{name: col, typ: typ, field: f.Index})
	}
	tb.columns = append(tb.columns, derived...)
	return tb
}

// rowFields are the column fields of row struct t in declaration order, an embedded
// struct's in its place (as clickhouse-go maps them).
func rowFields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for _, f := range reflect.VisibleFields(t) {
		if !f.Anonymous {
			out = append(out, f)
		}
	}
	return out
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

// SortKey is what the order table sorts by (ties: order_id), as order_sorts holds it:
// a number (column kn) or a text (ks), with its bucket, a coarser value that never
// decreases as the key grows. order_counts counts the live orders per bucket, so the
// query store knows which buckets hold a page, and reads only those from order_sorts,
// where they lie together (see ordersDDL for why one table cannot do both).
type SortKey struct {
	Kind   uint8 // order_sorts.kind, order_counts.kind
	Text   bool  // the key is ks, else kn
	of     string
	bucket func(x string) string
}

// Column is the order_sorts column with the key.
func (k SortKey) Column() string {
	if k.Text {
		return "ks"
	}
	return "kn"
}

// OfOrders is the key of a row of orders as (kn, ks): the key and the other's zero.
func (k SortKey) OfOrders() (kn, ks string) {
	if k.Text {
		return "toInt64(0)", k.of
	}
	return "toInt64(" + k.of + ")", "''"
}

// BucketOf is the SQL of the bucket of x, a key (Int64, or String for a text key).
func (k SortKey) BucketOf(x string) string { return "toInt64(" + k.bucket(x) + ")" }

// The sort keys: seconds since 1970 by day; Shopify ids and totals in ten-thousandths
// by their digit count and leading digits (any spread of them gives a few thousand
// buckets); lower-cased names by their first two bytes.
var (
	SortByDate = SortKey{Kind: 1, of: "toInt64(toUInt32(created_at))", bucket: func(x string) string {
		return "intDiv(" + x + ", 86400)"
	}}
	SortByOrder = SortKey{Kind: 2, of: "toInt64(order_id)", bucket: func(x string) string {
		s := "toString(" + x + ")"
		return "length(" + s + ") * 10000 + toUInt64(substring(" + s + ", 1, 4))"
	}}
	SortByTotal = SortKey{Kind: 3, of: "total_key", bucket: func(x string) string {
		abs := "toString(if(" + x + " < 0, negate(" + x + "), " + x + "))"
		return "if(" + x + " < 0, -1, 1) * toInt64(length(" + abs + ") * 1000 + toUInt64(substring(" + abs + ", 1, 3)))"
	}}
	SortByCustomer = SortKey{Kind: 4, Text: true, of: "customer_key", bucket: func(x string) string {
		return "reinterpretAsUInt16(reverse(substring(concat(" + x + ", '\\0\\0'), 1, 2)))"
	}}
	sortKeys = []SortKey{SortByDate, SortByOrder, SortByTotal, SortByCustomer}
)

// orderDerived are the columns ClickHouse computes when a row is written, for the
// order table's queries: not inserted, not in SELECT *.
var orderDerived = []column{
	// The searched fields in one lower-cased text, one field per line (a search
	// without a newline cannot match across two).
	materialized("search", "String", `lowerUTF8(concat(order_name, '\n', email, '\n', customer, '\n', odoo_name))`),
	materialized("customer_key", "String", "lowerUTF8(customer)"),
	// total in ten-thousandths: 18.16 sorts Decimal ~50x slower than integers.
	materialized("total_key", "Int64", "toInt64(total) * 10000 + toInt64((total - toInt64(total)) * 10000)"),
	materialized("has_invoice", "UInt8", "invoice_id > 0"),
}

// countDims are the columns of order_counts and order_sorts that the order table's
// filters other than search read. Each is a column of orders too, so one condition
// text serves all three tables.
var countDims = []column{{name: "status", typ: "String"}, {name: "eligible", typ: "UInt8"},
	{name: "odoo_model", typ: "String"}, {name: "has_invoice", typ: "UInt8"}}

// CountDims are the names of countDims.
var CountDims = names(countDims)

func names(cols []column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

// ordersDDL is the table of every state of every order, keyed by order: the sink
// reads an order's rows by key, and so does the query store for the rows of a page
// (from doc). Sorting by anything else is order_sorts' job: 18.16 reads a table in
// key order only, and a page sorted by total out of this one would read a few rows
// from every granule of the shop.
func ordersDDL(name string) string {
	return "CREATE TABLE " + name + " (\n" + ordersTable.ddl() + "\n) ENGINE = VersionedCollapsingMergeTree(sign, version)\n" +
		// Small granules: rows are read a few at a time by key.
		"ORDER BY (shop, order_id) SETTINGS index_granularity = 1024"
}

func dimsDDL() string {
	var b strings.Builder
	for _, c := range countDims {
		b.WriteString(",\n\t" + c.name + " " + c.typ)
	}
	return b.String()
}

// order_counts holds, per shop, sort key bucket and filter dimensions, how many live
// orders there are (the sum of the signs written to orders): the totals and job
// counts without a scan, and where a sorted page ends. Fed by order_counts_mv.
var countsDDL = `CREATE TABLE IF NOT EXISTS order_counts (
	shop String,
	kind UInt8` + dimsDDL() + `,
	bucket Int64,
	n Int64
) ENGINE = SummingMergeTree(n)
ORDER BY (shop, kind, ` + strings.Join(CountDims, ", ") + `, bucket)`

// order_sorts holds every row of orders once per sort key, with its sign, sorted by
// (shop, kind, bucket, key, order_id): the rows of a page lie together. Fed by
// order_sorts_mv; it collapses as orders does.
var sortsDDL = `CREATE TABLE IF NOT EXISTS order_sorts (
	shop String,
	kind UInt8,
	bucket Int64,
	kn Int64,
	ks String,
	order_id UInt64,
	version UInt64,
	sign Int8` + dimsDDL() + `
) ENGINE = VersionedCollapsingMergeTree(sign, version)
ORDER BY (shop, kind, bucket, kn, ks, order_id) SETTINGS index_granularity = 1024`

// sortsJoin turns each row of from into one per sort key: s is (kind, bucket, kn, ks).
func sortsJoin(from string) string {
	var keys []string
	for _, k := range sortKeys {
		kn, ks := k.OfOrders()
		keys = append(keys, fmt.Sprintf("(toUInt8(%d), %s, %s, toString(%s))", k.Kind, k.BucketOf(k.of), kn, ks))
	}
	return " FROM " + from + " ARRAY JOIN [" + strings.Join(keys, ", ") + "] AS s"
}

// sortsSelect is order_sorts' rows of from (orders).
func sortsSelect(from string) string {
	return "SELECT shop, tupleElement(s, 1) AS kind, tupleElement(s, 2) AS bucket, tupleElement(s, 3) AS kn, tupleElement(s, 4) AS ks, " +
		"order_id, version, sign, " + strings.Join(CountDims, ", ") + sortsJoin(from)
}

// countsSelect is order_counts' rows of from (orders), summed over the block (18.16
// sums a SummingMergeTree only when it merges parts, not as it writes one).
func countsSelect(from string) string {
	dims := strings.Join(CountDims, ", ")
	return "SELECT shop, tupleElement(s, 1) AS kind, " + dims + ", tupleElement(s, 2) AS bucket, sum(toInt64(sign)) AS n" +
		sortsJoin(from) + " GROUP BY shop, kind, " + dims + ", bucket"
}

// The doc column holds a whole OrderRow but its sign (a row and its cancel share it):
// the fields in declaration order, each as text, separated by 0x1F; an array is its
// length and its elements, separated by 0x1E. In text, a backslash, 0x1F and 0x1E are
// written \\, \u and \r. ClickHouse writes it (docExpr); docOf reads it.
const (
	docField = "\x1f"
	docItem  = "\x1e"
)

func docEscape(x string) string {
	return `replaceAll(replaceAll(replaceAll(` + x + `, '\\', '\\\\'), '\x1f', '\\u'), '\x1e', '\\r')`
}

func docExpr(t reflect.Type) string {
	var parts []string
	for _, f := range rowFields(t) {
		name := f.Tag.Get("ch")
		if name == "sign" {
			continue
		}
		var e string
		switch typ := f.Tag.Get("type"); typ {
		case "String":
			e = docEscape(name)
		case "DateTime":
			e = "toString(toUInt32(" + name + "))"
		case "Nullable(DateTime)":
			e = "ifNull(toString(toUInt32(" + name + ")), '')"
		case "Array(String)":
			e = "concat(toString(length(" + name + ")), '" + docItem + "', arrayStringConcat(arrayMap(e -> " + docEscape("e") + ", " + name + "), '" + docItem + "'))"
		case "UInt64", "UInt32", "UInt8", "Int8", "Decimal(18, 4)":
			e = "toString(" + name + ")"
		default:
			panic("chstore: no doc text for type " + typ)
		}
		parts = append(parts, e)
	}
	return "concat(" + strings.Join(parts, ", '"+docField+"', ") + ")"
}

var docUnescaper = strings.NewReplacer(`\\`, `\`, `\u`, "\x1f", `\r`, "\x1e")

// docOf reads a doc column into r (its sign is set apart).
func docOf(doc string, r *OrderRow) error {
	v := reflect.ValueOf(r).Elem()
	fields := strings.Split(doc, "\x1f")
	i := 0
	for _, c := range ordersTable.columns {
		if c.expr != "" || c.name == "sign" {
			continue
		}
		f := v.FieldByIndex(c.field)
		if i >= len(fields) {
			// Written before the field was declared (fields are only appended).
			if f.Kind() == reflect.Slice {
				f.Set(reflect.MakeSlice(f.Type(), 0, 0))
			}
			continue
		}
		text := fields[i]
		i++
		switch c.typ {
		case "String":
			f.SetString(docUnescaper.Replace(text))
		case "UInt64", "UInt32", "UInt8":
			n, err := strconv.ParseUint(text, 10, 64)
			if err != nil {
				return fmt.Errorf("doc field %s: %w", c.name, err)
			}
			f.SetUint(n)
		case "Int8":
			n, err := strconv.ParseInt(text, 10, 64)
			if err != nil {
				return fmt.Errorf("doc field %s: %w", c.name, err)
			}
			f.SetInt(n)
		case "DateTime", "Nullable(DateTime)":
			if text == "" && c.typ != "DateTime" {
				f.SetZero()
				continue
			}
			n, err := strconv.ParseInt(text, 10, 64)
			if err != nil {
				return fmt.Errorf("doc field %s: %w", c.name, err)
			}
			t := time.Unix(n, 0).UTC()
			if c.typ == "DateTime" {
				f.Set(reflect.ValueOf(t))
			} else {
				f.Set(reflect.ValueOf(&t))
			}
		case "Decimal(18, 4)":
			d, err := decimal.NewFromString(text)
			if err != nil {
				return fmt.Errorf("doc field %s: %w", c.name, err)
			}
			f.Set(reflect.ValueOf(d))
		case "Array(String)":
			count, items, _ := strings.Cut(text, "\x1e")
			n, err := strconv.Atoi(count)
			if err != nil {
				return fmt.Errorf("doc field %s: %w", c.name, err)
			}
			out := make([]string, 0, n)
			if n > 0 {
				for _, it := range strings.Split(items, "\x1e") {
					out = append(out, docUnescaper.Replace(it))
				}
			}
			if len(out) != n {
				return fmt.Errorf("doc field %s: %d items, want %d", c.name, len(out), n)
			}
			f.Set(reflect.ValueOf(out))
		}
	}
	if i != len(fields) {
		return fmt.Errorf("doc has %d fields, more than the %d declared", len(fields), i)
	}
	return nil
}
