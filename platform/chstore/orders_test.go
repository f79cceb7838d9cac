package chstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/chstore/chtest"
)

func row(id, version uint64, status string, sign int8) chstore.OrderRow {
	return chstore.OrderRow{Shop: "a.myshopify.com", OrderID: id, Version: version, Sign: sign,
		OrderState: chstore.OrderState{Status: status, Total: decimal.RequireFromString("10.5"),
			IneligibleReasons: []string{}},
		OrderFacts: chstore.OrderFacts{Warnings: []string{}, PaymentGateways: []string{},
			RefundedAmount: decimal.Zero}}
}

func TestSettle(t *testing.T) {
	type sv struct {
		version uint64
		sign    int8
	}
	for _, tc := range []struct {
		name     string
		rows     []sv
		live     uint64 // 0: none
		fixes    []sv
		statusOf uint64
	}{
		{"nothing", nil, 0, nil, 0},
		{"one state", []sv{{1, 1}}, 1, nil, 0},
		{"replaced, unmerged", []sv{{1, 1}, {1, -1}, {2, 1}}, 2, nil, 0},
		{"replaced twice, any order", []sv{{3, 1}, {1, -1}, {2, -1}, {1, 1}, {2, 1}}, 3, nil, 0},
		{"merged away: the newest alone", []sv{{7, 1}}, 7, nil, 0},
		// Two writers replaced version 1 at once, both with version 2.
		{"written twice", []sv{{1, 1}, {1, -1}, {1, -1}, {2, 1}, {2, 1}}, 2, []sv{{1, 1}, {2, -1}}, 0},
		// A cancel whose row was never written (or merged with another cancel's row).
		{"lone cancel", []sv{{1, -1}, {2, 1}}, 2, []sv{{1, 1}}, 0},
		// The newest version was cancelled and nothing replaced it: the older live one stays.
		{"newest cancelled", []sv{{1, 1}, {2, 1}, {2, -1}}, 1, nil, 0},
		{"old state left live", []sv{{1, 1}, {2, 1}}, 2, []sv{{1, -1}}, 0},
		{"only cancels", []sv{{1, -1}}, 0, []sv{{1, 1}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rows []chstore.OrderRow
			for _, r := range tc.rows {
				rows = append(rows, row(42, r.version, fmt.Sprintf("v%d", r.version), r.sign))
			}
			live, ok, fixes := chstore.Settle(rows)
			if ok != (tc.live != 0) || (ok && (live.Version != tc.live || live.Sign != 1 || live.Status != fmt.Sprintf("v%d", tc.live))) {
				t.Errorf("live = %v %+v, want version %d", ok, live, tc.live)
			}
			var got []sv
			for _, f := range fixes {
				got = append(got, sv{f.Version, f.Sign})
				if f.Status != fmt.Sprintf("v%d", f.Version) {
					t.Errorf("fix %+v is not a copy of its version's row", f)
				}
			}
			if !slices.Equal(got, tc.fixes) {
				t.Errorf("fixes = %v, want %v", got, tc.fixes)
			}
			// Stored rows and fixes together always add up to one live row at most.
			net := map[uint64]int{}
			for _, r := range append(rows, fixes...) {
				net[r.Version] += int(r.Sign)
			}
			for v, n := range net {
				if want := map[bool]int{true: 1, false: 0}[ok && v == live.Version]; n != want {
					t.Errorf("version %d adds up to %d after the fixes, want %d", v, n, want)
				}
			}
		})
	}
}

func countRows(t *testing.T, conn driver.Conn, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// checkCounts compares orders, order_sorts and order_counts: for every sort key and
// filter dimension they must always agree.
func checkCounts(t *testing.T, conn driver.Conn) {
	t.Helper()
	dims := strings.Join(chstore.CountDims, ", ")
	diff := func(a, b, using string) int64 {
		return countRows(t, conn, fmt.Sprintf(`SELECT toInt64(count()) FROM (%s) ALL FULL OUTER JOIN (%s) USING (%s) WHERE n != c`, a, b, using))
	}
	for _, k := range []chstore.SortKey{chstore.SortByDate, chstore.SortByOrder, chstore.SortByTotal, chstore.SortByCustomer} {
		if n := diff(
			"SELECT shop, "+dims+", sum(toInt64(sign)) AS n FROM orders GROUP BY shop, "+dims+" HAVING n != 0",
			fmt.Sprintf("SELECT shop, %s, sum(toInt64(sign)) AS c FROM order_sorts WHERE kind = %d GROUP BY shop, %s HAVING c != 0", dims, k.Kind, dims),
			"shop, "+dims); n != 0 {
			t.Errorf("order_sorts kind %d disagrees with orders in %d groups", k.Kind, n)
		}
	}
	if n := diff(
		"SELECT shop, kind, "+dims+", bucket, sum(toInt64(sign)) AS n FROM order_sorts GROUP BY shop, kind, "+dims+", bucket HAVING n != 0",
		"SELECT shop, kind, "+dims+", bucket, sum(n) AS c FROM order_counts GROUP BY shop, kind, "+dims+", bucket HAVING c != 0",
		"shop, kind, "+dims+", bucket"); n != 0 {
		t.Errorf("order_counts disagrees with order_sorts in %d groups", n)
	}
}

func TestReplaceOrdersKeepsOneLiveRow(t *testing.T) {
	db := chtest.New(t)
	ctx := context.Background()
	a := row(1, 5, "in_progress", 1)
	a.Customer, a.Email, a.OrderName, a.OdooName = "Anna MÜLLER", "Anna@Example.com", "#1001", "S0001"
	a.CreatedAt = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	b := row(2, 1, "failed", 1)
	b.Total = decimal.RequireFromString("-12.3456")
	if err := chstore.ReplaceOrders(ctx, db.Conn, []chstore.OrderRow{a, b}); err != nil {
		t.Fatal(err)
	}
	a2 := a
	a2.Status, a2.Version = "synced", 3 // an older version number: still replaces, with version 6
	a3 := a2
	a3.Status = "delayed"
	if err := chstore.ReplaceOrders(ctx, db.Conn, []chstore.OrderRow{a2, a3}); err != nil {
		t.Fatal(err)
	}
	var rows []chstore.OrderRow
	if err := db.Conn.Select(ctx, &rows, "SELECT "+chstore.OrderColumns+" FROM orders FINAL ORDER BY order_id"); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Status != "delayed" || rows[0].Version != 7 || rows[1].Status != "failed" {
		t.Fatalf("orders FINAL = %+v", rows)
	}
	if n := countRows(t, db.Conn, "SELECT sum(toInt64(sign)) FROM orders WHERE status = 'delayed'"); n != 1 {
		t.Errorf("delayed orders by sign: %d", n)
	}
	if n := countRows(t, db.Conn, "SELECT sum(toInt64(sign)) FROM orders WHERE status IN ('in_progress', 'synced')"); n != 0 {
		t.Errorf("replaced states still count: %d", n)
	}
	checkCounts(t, db.Conn)

	// The derived columns the order table reads.
	var got struct {
		Search      string `ch:"search"`
		CustomerKey string `ch:"customer_key"`
		TotalKey    int64  `ch:"total_key"`
		HasInvoice  uint8  `ch:"has_invoice"`
	}
	if err := db.Conn.QueryRow(ctx, "SELECT search, customer_key, total_key, has_invoice FROM orders WHERE order_id = 1 AND sign = 1 ORDER BY version DESC LIMIT 1").ScanStruct(&got); err != nil {
		t.Fatal(err)
	}
	if got.Search != "#1001\nanna@example.com\nanna müller\ns0001" || got.CustomerKey != "anna müller" || got.TotalKey != 105000 || got.HasInvoice != 0 {
		t.Errorf("derived columns: %+v", got)
	}
	if n := countRows(t, db.Conn, "SELECT any(total_key) FROM orders WHERE order_id = 2"); n != -123456 {
		t.Errorf("total_key of -12.3456 = %d", n)
	}
}

// The buckets never decrease as their key grows, so that a range of buckets holds a
// range of keys.
func TestBucketsFollowTheKey(t *testing.T) {
	db := chtest.NewEmpty(t)
	ctx := context.Background()
	check := func(k chstore.SortKey, typ string, values []string) {
		t.Helper()
		q := "SELECT x, " + k.BucketOf("x") + " AS b FROM (SELECT arrayJoin([" + strings.Join(values, ", ") + "]) AS x) ORDER BY x"
		rows, err := db.Conn.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		prev, n := int64(-1<<63), 0
		for rows.Next() {
			var (
				x any
				b int64
			)
			switch typ {
			case "s":
				x = new(string)
			case "u":
				x = new(uint64)
			case "i":
				x = new(int64)
			case "t":
				x = new(time.Time)
			}
			if err := rows.Scan(x, &b); err != nil {
				t.Fatal(err)
			}
			if b < prev {
				t.Errorf("kind %d: bucket of %v is %d, below the previous key's %d", k.Kind, x, b, prev)
			}
			prev = b
			n++
		}
		if n != len(values) {
			t.Errorf("kind %d: %d values, want %d", k.Kind, n, len(values))
		}
	}
	ints := func(vs ...int64) []string {
		var out []string
		for _, v := range vs {
			out = append(out, fmt.Sprintf("toInt64(%d)", v))
		}
		return out
	}
	check(chstore.SortByOrder, "i", ints(1, 9, 10, 99, 100, 999, 1000, 1001, 9999, 10000, 450789469,
		5531234, 5000000000000, 5000000999999, 5999999999999, 6000000000000, 820982911946154508, 9223372036854775807))
	var totals []string
	for _, v := range []int64{-999999999999999999, -123456, -100000, -99999, -1000, -1, 0, 1, 9, 10, 999, 1000, 1005, 99999, 100000, 105000, 5050000, 999999999999999999} {
		totals = append(totals, fmt.Sprintf("toInt64(%d)", v))
	}
	check(chstore.SortByTotal, "i", totals)
	check(chstore.SortByCustomer, "s", []string{"''", "'a'", "'a '", "'aa'", "'ab'", "'abc'", "'b'", "'zz'", "'zzz'", "'émile'", "'ève'", "'øyvind'", "'\\xff'"})
	check(chstore.SortByDate, "i", ints(0, 86399, 86400, 1735689600, 1735776000, 4000000000))
}

// A database made by an earlier Synco (orders a ReplacingMergeTree, read with FINAL)
// keeps its orders: the latest row of each, counted in order_counts.
func TestMigrateFromReplacingOrders(t *testing.T) {
	db := chtest.NewEmpty(t)
	ctx := context.Background()
	if err := db.Conn.Exec(ctx, `CREATE TABLE schema_migrations (version UInt32, applied_at DateTime) ENGINE = MergeTree ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	b, err := db.Conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, applied_at)")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range chstore.Migrations[:3] {
		if err := db.Conn.Exec(ctx, m.SQL); err != nil {
			t.Fatal(err)
		}
		_ = b.Append(uint32(m.Version), time.Now())
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	old := `INSERT INTO orders (shop, order_id, order_name, created_at, email, customer, total, currency, financial_status,
		fulfillment_status, source, eligible, ineligible_reasons, status, odoo_model, odoo_id, odoo_name, invoice_id, error,
		retry_at, attempt, updated_at, version) SELECT 'a.myshopify.com', number, concat('#', toString(number)), now(), '', 'Jo',
		toDecimal64(number, 4), 'EUR', 'paid', '', 'web', 1, [], %s, '', 0, '', 0, '', NULL, 0, now(), %d FROM numbers(10)`
	for _, q := range []string{fmt.Sprintf(old, "'in_progress'", 1), fmt.Sprintf(old, "if(number < 4, 'synced', 'failed')", 2)} {
		if err := db.Conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	if err := chstore.Migrate(ctx, db.Conn); err != nil {
		t.Fatal(err)
	}
	var engine string
	if err := db.Conn.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = 'orders'").Scan(&engine); err != nil || engine != "VersionedCollapsingMergeTree" {
		t.Fatalf("orders engine %q, %v", engine, err)
	}
	if n := countRows(t, db.Conn, "SELECT toInt64(count()) FROM orders"); n != 10 {
		t.Errorf("orders has %d rows, want the 10 latest", n)
	}
	if n := countRows(t, db.Conn, "SELECT sum(toInt64(sign)) FROM orders WHERE status = 'synced' AND version = 2 AND refunded_amount = 0 AND cancelled = 0"); n != 4 {
		t.Errorf("synced orders: %d", n)
	}
	if n := countRows(t, db.Conn, "SELECT sum(n) FROM order_counts WHERE kind = 1 AND status = 'failed'"); n != 6 {
		t.Errorf("order_counts has %d failed orders, want 6", n)
	}
	if n := countRows(t, db.Conn, "SELECT toInt64(count()) FROM system.tables WHERE database = currentDatabase() AND name IN ('orders_next', 'orders_replaced', 'schema_migrations_lock')"); n != 0 {
		t.Errorf("%d migration tables left behind", n)
	}
	// Writes after the migration keep order_counts in step.
	r := row(7, 9, "synced", 1) // was failed
	if err := chstore.ReplaceOrders(ctx, db.Conn, []chstore.OrderRow{r}); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, db.Conn)
	if n := countRows(t, db.Conn, "SELECT sum(n) FROM order_counts WHERE kind = 1 AND status = 'failed'"); n != 5 {
		t.Errorf("after a write, order_counts has %d failed orders, want 5", n)
	}
}

// Rows read back (from the doc column) are the rows written, whatever their text holds.
func TestReadOrderRowsRoundTrip(t *testing.T) {
	db := chtest.New(t)
	ctx := context.Background()
	retry := time.Date(2025, 3, 2, 8, 30, 0, 0, time.UTC)
	epoch := time.Unix(0, 0).UTC()
	a := chstore.OrderRow{Shop: "a.myshopify.com", OrderID: 820982911946154508,
		UpdatedAt: time.Date(2025, 3, 1, 11, 0, 0, 0, time.UTC), Version: 1<<64 - 2, Sign: 1,
		OrderState: chstore.OrderState{OrderName: "#1001",
			CreatedAt: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC), Email: `back\slash\u@example.com`,
			Customer: "Zoë \x1f Ünal \x1e \\r", Total: decimal.RequireFromString("-99999999999999.9999"),
			Currency: "EUR", FinancialStatus: "paid", Source: "web", Eligible: 1,
			IneligibleReasons: []string{"", "a\x1eb", `\`}, Status: "delayed", OdooModel: "sale.order",
			OdooID: 1<<63 + 5, OdooName: "S\n1", InvoiceID: 7, Error: "line 1\nline 2\t'quoted'",
			RetryAt: &retry, Attempt: 4294967295},
		OrderFacts: chstore.OrderFacts{Warnings: []string{}, InvoiceState: "posted",
			PaymentState: "in_payment", RefundedAmount: decimal.RequireFromString("0.0001"), Cancelled: 1,
			PaymentGateways: []string{"shopify_payments", "gift_card"}}}
	b := a
	b.OrderID, b.RetryAt, b.CreatedAt, b.Warnings, b.IneligibleReasons, b.Total = 2, &epoch, epoch, []string{""}, []string{}, decimal.Zero
	c := b
	c.OrderID, c.RetryAt = 3, nil
	if err := chstore.InsertOrderRows(ctx, db.Conn, []chstore.OrderRow{a, b, c, c.Cancel()}); err != nil {
		t.Fatal(err)
	}
	got, err := chstore.ReadOrderRows(ctx, db.Conn, []chstore.OrderKey{a.Key(), b.Key(), c.Key(), {Shop: "a.myshopify.com", OrderID: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(got[c.Key()]) != 2 {
		t.Fatalf("read %d orders, %d rows of c", len(got), len(got[c.Key()]))
	}
	same := func(x, y chstore.OrderRow) bool {
		return fmt.Sprintf("%+v %v", x, x.RetryAt) == fmt.Sprintf("%+v %v", y, y.RetryAt)
	}
	for _, want := range []chstore.OrderRow{a, b} {
		if r := got[want.Key()][0]; !same(r, want) || !r.Total.Equal(want.Total) || !r.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("read back\n %+v\nwrote\n %+v", r, want)
		}
	}
	if rs := got[c.Key()]; rs[0].RetryAt != nil || rs[0].Sign+rs[1].Sign != 0 {
		t.Errorf("c: %+v", rs)
	}
}

// goldenDoc is a doc text as ClickHouse wrote it for the fields declared when this
// test was written. Fields are only ever appended to OrderRow, so it must still read
// into the same values (and the fields added since as zero).
const goldenDoc = "a.myshopify.com\x1f5531234\x1f#1001\x1f1740823200\x1fjo@example.com\x1fJo \\\\ Müller\x1f123.4500\x1fEUR\x1fpaid" +
	"\x1fpartial\x1fweb\x1f1\x1f2\x1ea\x1e\x1fdelayed\x1fsale.order\x1f42\x1fS42\x1f7\x1fboom\x1f1740818000\x1f3\x1f1740826800\x1f99" +
	"\x1f1\x1ew1\x1fposted\x1fpartial\x1f2.5000\x1f1\x1f2\x1emanual\x1egift_card"

func TestDocLayout(t *testing.T) {
	var r chstore.OrderRow
	if err := chstore.DocOf(goldenDoc, &r); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%s %d %s %d %s %q %s %s %s %s %s %d %q %s %s %d %s %d %s %d %d %d %d %q %s %s %s %d %q",
		r.Shop, r.OrderID, r.OrderName, r.CreatedAt.Unix(), r.Email, r.Customer, r.Total, r.Currency, r.FinancialStatus,
		r.FulfillmentStatus, r.Source, r.Eligible, r.IneligibleReasons, r.Status, r.OdooModel, r.OdooID, r.OdooName, r.InvoiceID,
		r.Error, r.RetryAt.Unix(), r.Attempt, r.UpdatedAt.Unix(), r.Version, r.Warnings, r.InvoiceState, r.PaymentState,
		r.RefundedAmount, r.Cancelled, r.PaymentGateways)
	want := `a.myshopify.com 5531234 #1001 1740823200 jo@example.com "Jo \\ Müller" 123.45 EUR paid partial web 1 ["a" ""] delayed sale.order 42 S42 7 boom 1740818000 3 1740826800 99 ["w1"] posted partial 2.5 1 ["manual" "gift_card"]`
	if got != want {
		t.Errorf("golden doc reads as\n %s\nwant\n %s", got, want)
	}
	// A doc written before the last fields were declared reads them as zero.
	short := goldenDoc[:strings.Index(goldenDoc, "\x1fposted")]
	var s chstore.OrderRow
	if err := chstore.DocOf(short, &s); err != nil {
		t.Fatal(err)
	}
	if s.Version != 99 || len(s.Warnings) != 1 || s.InvoiceState != "" || !s.RefundedAmount.IsZero() || s.PaymentGateways == nil || len(s.PaymentGateways) != 0 {
		t.Errorf("short doc reads as %+v", s)
	}
	if err := chstore.DocOf(goldenDoc+"\x1fextra", &s); err == nil {
		t.Error("a doc with more fields than declared reads")
	}
}
