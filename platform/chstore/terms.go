package chstore

import (
	"strconv"
	"strings"
)

// The search's term tables: the order table's search is a substring test (LIKE) over
// the lower-cased search text; these answer it without reading every order's text.
//
// A term is a maximal run of term bytes of the search text: ASCII letters and digits
// and every byte of a non-ASCII character (TermByte); everything else (punctuation,
// spaces, line breaks) separates terms. A search made only of term bytes lies inside
// one term wherever it matches, so the orders it matches are exactly those that have
// a term containing it: shop_terms, the shop's distinct terms, tells which terms
// contain it (a scan of a few bytes per distinct term), and order_terms, sorted by
// (shop, term, order_id), holds each order row once per term with what a page needs
// (filter dimensions, sort keys, sign), so that those orders are a few adjacent
// ranges. Any other search narrows to the orders with a term containing one of its
// runs and is checked against the text (see query/orders).

// TermByte reports whether c is part of a term (the complement of termRE's class).
func TermByte(c byte) bool {
	return c >= 0x80 || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// termRE is a term, for extractAll: neither an ASCII control character nor ASCII
// punctuation. Every byte of a non-ASCII character is one (whether re2 reads the
// text as UTF-8 or as bytes).
const termRE = `[^\\x00-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7f]+`

// IDTerm is the term of order_terms that stands for an id equal to n (order_id,
// odoo_id, invoice_id: a numeric search matches them too). Its first byte is no term
// byte, so no search text term is one, and shop_terms does not hold it.
func IDTerm(n uint64) string { return "\x01" + strconv.FormatUint(n, 10) }

// wordsExpr is the distinct terms of an orders row's search text.
const wordsExpr = "arrayDistinct(extractAll(search, '" + termRE + "'))"

// termsSelect is order_terms' rows of from (orders): one per search text term and per
// non-zero id. The sort keys keep the names of orders' columns (SortKey.OfOrders).
func termsSelect(from string) string {
	return "SELECT shop, term, order_id, version, sign, " + strings.Join(CountDims, ", ") + ", created_at, total_key, customer_key FROM " + from +
		" ARRAY JOIN arrayConcat(" + wordsExpr + ", arrayMap(x -> concat('\\x01', toString(x)), arrayFilter(x -> x > 0, [order_id, odoo_id, invoice_id]))) AS term"
}

// SkelExpr is the skeleton of a term x: the term without its ASCII digits. A term
// that contains a run contains the run's skeleton in its own, so shop_skels, the
// few distinct skeletons of a shop (names, words; the many order and invoice
// numbers share a handful), tells which skeletons' terms of shop_terms to scan.
func SkelExpr(x string) string { return "replaceRegexpAll(" + x + ", '[0-9]', '')" }

// Skel is SkelExpr in Go, bytewise (a search's run may not be valid UTF-8).
func Skel(x string) string {
	b := make([]byte, 0, len(x))
	for i := 0; i < len(x); i++ {
		if c := x[i]; c < '0' || c > '9' {
			b = append(b, c)
		}
	}
	return string(b)
}

// shopTermsSelect is shop_terms' rows of from (orders), distinct within the block.
func shopTermsSelect(from string) string {
	return "SELECT DISTINCT shop, " + SkelExpr("term") + " AS skel, term FROM " + from + " ARRAY JOIN " + wordsExpr + " AS term"
}

// shopSkelsSelect is shop_skels' rows of from (orders), distinct within the block.
func shopSkelsSelect(from string) string {
	return "SELECT DISTINCT shop, " + SkelExpr("term") + " AS skel FROM " + from + " ARRAY JOIN " + wordsExpr + " AS term"
}

// order_terms: every row of orders once per term, with its sign (it collapses as
// orders does), the filter dimensions and the sort keys. Fed by order_terms_mv.
var termsDDL = `CREATE TABLE IF NOT EXISTS order_terms (
	shop String,
	term String,
	order_id UInt64,
	version UInt64,
	sign Int8` + dimsDDL() + `,
	created_at DateTime,
	total_key Int64,
	customer_key String
) ENGINE = VersionedCollapsingMergeTree(sign, version)
ORDER BY (shop, term, order_id) SETTINGS index_granularity = 1024`

// shop_terms: the distinct terms of each shop's search texts (merges drop the
// repeats; a term no order has any more is harmless, and redaction removes those of
// the redacted orders). Fed by shop_terms_mv.
const shopTermsDDL = `CREATE TABLE IF NOT EXISTS shop_terms (
	shop String,
	skel String,
	term String
) ENGINE = ReplacingMergeTree
ORDER BY (shop, skel, term)`

// shop_skels: the distinct skeletons of shop_terms' terms. Fed by shop_skels_mv.
const shopSkelsDDL = `CREATE TABLE IF NOT EXISTS shop_skels (
	shop String,
	skel String
) ENGINE = ReplacingMergeTree
ORDER BY (shop, skel)`

// termSteps make order_terms and shop_terms from orders, and the views that keep
// them from then on (migration 5). Nothing else writes meanwhile (see rebuildOrders);
// it can run again after a crash.
func termSteps() []string {
	return []string{
		"DROP TABLE IF EXISTS order_terms_mv",
		"DROP TABLE IF EXISTS shop_terms_mv",
		"DROP TABLE IF EXISTS shop_skels_mv",
		"DROP TABLE IF EXISTS order_terms",
		"DROP TABLE IF EXISTS shop_terms",
		"DROP TABLE IF EXISTS shop_skels",
		termsDDL,
		shopTermsDDL,
		shopSkelsDDL,
		"INSERT INTO order_terms " + termsSelect("orders"),
		"INSERT INTO shop_terms " + shopTermsSelect("orders"),
		"INSERT INTO shop_skels " + shopSkelsSelect("orders"),
		"CREATE MATERIALIZED VIEW order_terms_mv TO order_terms AS " + termsSelect("orders"),
		"CREATE MATERIALIZED VIEW shop_terms_mv TO shop_terms AS " + shopTermsSelect("orders"),
		"CREATE MATERIALIZED VIEW shop_skels_mv TO shop_skels AS " + shopSkelsSelect("orders"),
	}
}
