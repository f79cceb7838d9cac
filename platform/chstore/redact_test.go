package chstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/chstore/chtest"
)

// A customer's redaction leaves no trace of the person in any table, while the
// customer-sorted page and the totals still count every order.
func TestRedactOrders(t *testing.T) {
	db := chtest.New(t)
	ctx := context.Background()
	withCustomer := func(id, version uint64, name, email string, sign int8) chstore.OrderRow {
		r := row(id, version, "synced", sign)
		r.Customer, r.Email, r.OrderName = name, email, fmt.Sprintf("#%d", 1000+id)
		return r
	}
	old := withCustomer(1, 1, "Ada Lovelace", "ada@example.com", 1)
	rows := []chstore.OrderRow{old, old.Cancel(), withCustomer(1, 2, "Ada Lovelace", "ada@example.com", 1),
		withCustomer(2, 1, "Bob Bobson", "bob@example.com", 1), withCustomer(3, 1, "Zed", "zed@example.com", 1)}
	if err := chstore.InsertOrderRows(ctx, db.Conn, rows); err != nil {
		t.Fatal(err)
	}
	ev := chstore.EventRow{OutcomeID: "o1", Shop: "a.myshopify.com", OrderID: 1,
		OrderState: chstore.OrderState{Email: "ada@example.com", Customer: "Ada Lovelace",
			Total: decimal.Zero, IneligibleReasons: []string{}},
		OrderFacts: chstore.OrderFacts{RefundedAmount: decimal.Zero, Warnings: []string{},
			PaymentGateways: []string{}}}
	if err := chstore.InsertEventRows(ctx, db.Conn, []chstore.EventRow{ev}); err != nil {
		t.Fatal(err)
	}
	count := func(q string) uint64 {
		t.Helper()
		var n uint64
		if err := db.Conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	sum := func(q string) int64 {
		t.Helper()
		var n int64
		if err := db.Conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if count("SELECT count() FROM orders WHERE order_id = 1 AND positionCaseInsensitive(doc, 'lovelace') > 0") == 0 {
		t.Fatal("the rows hold no name: the test proves nothing")
	}
	if err := chstore.RedactOrders(ctx, db.Conn, "a.myshopify.com", []int64{1}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"SELECT count() FROM orders WHERE order_id = 1 AND (email != '' OR customer != '' OR positionCaseInsensitive(doc, 'lovelace') > 0 OR positionCaseInsensitive(search, 'ada') > 0 OR customer_key != '')",
		"SELECT count() FROM sync_events WHERE order_id = 1 AND (email != '' OR customer != '')",
		"SELECT count() FROM order_sorts WHERE order_id = 1 AND positionCaseInsensitive(ks, 'ada') > 0",
		"SELECT count() FROM order_terms WHERE order_id = 1 AND (term IN ('ada', 'lovelace') OR customer_key != '')",
		// Only order 1 had these terms; example and com are Bob's and Zed's too.
		"SELECT count() FROM shop_terms WHERE term IN ('ada', 'lovelace')",
		"SELECT count() FROM shop_skels WHERE skel IN ('ada', 'lovelace')",
	} {
		if n := count(q); n != 0 {
			t.Errorf("%d rows still hold the person: %s", n, q)
		}
	}
	kind := "4" // the customer sort
	if n := sum("SELECT toInt64(sum(sign)) FROM order_sorts WHERE kind = " + kind + " AND order_id = 1"); n != 1 {
		t.Errorf("the redacted order counts %d times in the customer sort, want 1", n)
	}
	if n := sum("SELECT toInt64(sum(n)) FROM order_counts WHERE shop = 'a.myshopify.com' AND kind = " + kind); n != 3 {
		t.Errorf("the customer sort counts %d live orders, want 3", n)
	}
	// Counted in the bucket its rows now lie in.
	if n := sum("SELECT toInt64(sum(c.n)) FROM order_counts AS c WHERE c.shop = 'a.myshopify.com' AND c.kind = " + kind +
		" AND c.bucket IN (SELECT bucket FROM order_sorts WHERE kind = " + kind + " AND order_id = 1 AND sign = 1)"); n < 1 {
		t.Errorf("no count in the redacted order's new bucket (%d)", n)
	}
	// The redacted order keeps its other terms (its order number), with both versions'
	// signs: live once.
	if n := sum("SELECT toInt64(sum(sign)) FROM order_terms WHERE order_id = 1 AND term = '1001'"); n != 1 {
		t.Errorf("the redacted order's number term sums to %d, want 1", n)
	}
	if count("SELECT count() FROM shop_terms WHERE term IN ('bob', 'example', '1001')") != 3 {
		t.Error("redaction dropped terms other orders still have")
	}
	if count("SELECT count() FROM orders WHERE order_id = 2 AND customer = 'Bob Bobson'") == 0 {
		t.Error("another customer's order lost its name")
	}
}
