package orders_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/synco-dev/synco/platform/chstore"
	"github.com/synco-dev/synco/platform/chstore/chtest"
	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/query/orders"
)

// BenchmarkBigShop is the order table at a big shop's size: one page with its total
// (Store.List) and the job counts, over a shop of 1,000,000 orders, alone in its
// database (1M) or beside nine more shops of the same size (10M). A tenth of the
// orders were changed after they were first written and are not merged yet, as in a
// live table.
//
// The data is generated inside ClickHouse (INSERT ... SELECT FROM numbers()) into a
// database of its own, synco_bench_<size>, which is kept between runs and rebuilt
// when its generator version or size differs. It reports p50 and p95 in ms besides
// the mean; run it with a fixed -benchtime (bench/bigshop.sh does).
//
// SYNCO_BENCH_SIZES picks the sizes (default "1M,10M").
func BenchmarkBigShop(b *testing.B) {
	sizes := strings.Split(envOr("SYNCO_BENCH_SIZES", "1M,10M"), ",")
	for _, size := range sizes {
		shops := map[string]int{"1M": 1, "10M": 10}[size]
		if shops == 0 {
			b.Fatalf("SYNCO_BENCH_SIZES: unknown size %q (1M or 10M)", size)
		}
		b.Run(size, func(b *testing.B) {
			conn := bigDB(b, size, shops)
			st := orders.NewStore(conn)
			ctx := context.Background()
			first, err := st.List(ctx, bigShop, orders.Filter{}, 50, "")
			if err != nil {
				b.Fatal(err)
			}
			if first.Total != bigOrders || first.NextCursor == nil {
				b.Fatalf("first page: total %d (want %d), next %v", first.Total, bigOrders, first.NextCursor)
			}
			second, err := st.List(ctx, bigShop, orders.Filter{}, 50, *first.NextCursor)
			if err != nil || second.PrevCursor == nil {
				b.Fatalf("second page: %v", err)
			}
			for _, c := range []struct {
				name   string
				f      orders.Filter
				cursor string
			}{
				{"default", orders.Filter{}, ""},
				{"next_page", orders.Filter{}, *first.NextCursor},
				{"prev_page", orders.Filter{}, *second.PrevCursor},
				{"not_synced_by_total", orders.Filter{Tab: "not_synced", Sort: "total", Dir: "asc"}, ""},
				{"failed_by_customer", orders.Filter{Status: "failed", Sort: "customer"}, ""},
				{"search_name", orders.Filter{Q: "müller"}, ""},
				{"search_order_number", orders.Filter{Q: "#512345"}, ""},
				{"synced_search_by_total", orders.Filter{Tab: "synced", Q: "anna", Sort: "total", Dir: "desc"}, ""},
				{"eligible_search_by_date_asc", orders.Filter{Tab: "eligible", Q: "example", Sort: "date", Dir: "asc"}, ""},
			} {
				b.Run(c.name, func(b *testing.B) {
					timed(b, func() {
						p, err := st.List(ctx, bigShop, c.f, 50, c.cursor)
						if err != nil {
							b.Fatal(err)
						}
						if len(p.Orders) == 0 {
							b.Fatalf("%s: empty page", c.name)
						}
					})
				})
			}
			b.Run("jobs", func(b *testing.B) {
				timed(b, func() {
					if _, err := st.Jobs(ctx, bigShop); err != nil {
						b.Fatal(err)
					}
				})
			})
		})
	}
}

// timed runs fn b.N times and reports the p50 and p95 of its wall time.
func timed(b *testing.B, fn func()) {
	var ds []time.Duration
	for b.Loop() {
		start := time.Now()
		fn()
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	pct := func(p float64) float64 {
		i := int(p*float64(len(ds))+0.5) - 1
		return float64(ds[max(0, min(i, len(ds)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

const (
	bigShop   = "big.myshopify.com"
	bigOrders = 1_000_000
	// bigGenVersion names what the generator writes; a database holding another
	// version is rebuilt.
	bigGenVersion = "orders-v5-terms-2"
)

// bigDB returns a connection to synco_bench_<size>, generating its data first when
// it is missing or was made by another generator version.
func bigDB(b *testing.B, size string, shops int) driver.Conn {
	b.Helper()
	ctx := context.Background()
	cfg := config.ClickHouse{Addr: chtest.Addr(b), Database: "synco_bench_" + strings.ToLower(size), Username: "default"}
	conn, err := chstore.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	var have string
	_ = conn.QueryRow(ctx, "SELECT any(v) FROM bench_generated").Scan(&have)
	want := fmt.Sprintf("%s/%d", bigGenVersion, shops)
	if have == want {
		return conn
	}
	b.Logf("generating %s: %d shops of %d orders", cfg.Database, shops, bigOrders)
	start := time.Now()
	if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+cfg.Database); err != nil {
		b.Fatal(err)
	}
	conn.Close()
	if conn, err = chstore.Open(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	if err := chstore.Migrate(ctx, conn); err != nil {
		b.Fatal(err)
	}
	for i := range shops {
		shop := bigShop
		if i > 0 {
			// Domains on both sides of the big shop, so its range is inside the table.
			shop = fmt.Sprintf("%c%02d.myshopify.com", "az"[i%2], i)
		}
		if err := generate(ctx, conn, shop, uint64(i)); err != nil {
			b.Fatalf("generate %s: %v", shop, err)
		}
	}
	if err := conn.Exec(ctx, "CREATE TABLE bench_generated (v String) ENGINE = TinyLog"); err != nil {
		b.Fatal(err)
	}
	if err := conn.Exec(ctx, "INSERT INTO bench_generated SELECT '"+want+"'"); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %s in %s", cfg.Database, time.Since(start).Round(time.Second))
	return conn
}

// generate writes bigOrders orders of shop: ids growing with time over ~3 years,
// 53 × 97 customer names, totals from 5 to 505, 80 % synced (a third of them as
// invoices), 90 % eligible; then a tenth of them again with a newer version (paid and
// synced), in parts of their own.
func generate(ctx context.Context, conn driver.Conn, shop string, seed uint64) error {
	// Each column and how it is made from `number` (columns not named take their
	// defaults).
	cols := func(version, status string, sign int) [][2]string {
		return [][2]string{
			{"shop", quote(shop)},
			{"order_id", fmt.Sprintf("5000000000000 + number * 1000 + (cityHash64(number, %d) %% 997)", seed)},
			{"order_name", "concat('#', toString(1001 + number))"},
			{"created_at", "toDateTime(1672531200 + number * 90 + (cityHash64(number, 1) % 90))"},
			{"email", "concat(lower(first), '.', lower(last), toString(number % 37), '@example.com')"},
			{"customer", "concat(first, ' ', last)"},
			{"total", "toDecimal64(5 + (cityHash64(number, 2) % 50000) / 100, 4)"},
			{"currency", "'EUR'"},
			{"financial_status", "['paid','paid','paid','pending','refunded','partially_refunded'][cityHash64(number, 3) % 6 + 1]"},
			{"fulfillment_status", "['fulfilled','unfulfilled','partial',''][cityHash64(number, 4) % 4 + 1]"},
			{"source", "['web','web','web','pos','shopify_draft_order'][cityHash64(number, 5) % 5 + 1]"},
			{"eligible", "eligible"},
			{"ineligible_reasons", "if(eligible, emptyArrayString(), ['payment status does not match'])"},
			{"status", status + " AS st"},
			{"odoo_model", "if(st = 'synced', if(number % 3 = 0, 'account.move', 'sale.order'), '') AS model"},
			{"odoo_id", "if(st = 'synced', 100000 + number, 0)"},
			{"odoo_name", "if(st = 'synced', concat(if(model = 'account.move', 'INV/', 'S'), toString(100000 + number)), '')"},
			{"invoice_id", "if(st = 'synced' AND number % 3 = 1, 900000 + number, 0) AS invoice"},
			{"error", "if(st = 'failed', 'Odoo said no', if(st = 'delayed', 'Odoo is unreachable', ''))"},
			{"retry_at", "if(st = 'delayed', toDateTime(1767225600), NULL)"},
			{"attempt", "if(st IN ('failed', 'delayed'), 3, 0)"},
			{"updated_at", "toDateTime(1672531200 + number * 90 + 600)"},
			{"version", version},
			{"invoice_state", "if(invoice > 0 OR model = 'account.move', 'posted', '')"},
			{"payment_state", "if(invoice > 0 OR model = 'account.move', 'paid', '')"},
			{"payment_gateways", "[['shopify_payments'], ['shopify_payments'], ['manual'], ['gift_card', 'shopify_payments']][cityHash64(number, 8) % 4 + 1]"},
			{"sign", fmt.Sprintf("toInt8(%d)", sign)},
		}
	}
	insert := func(c [][2]string, where string) string {
		var names, exprs []string
		for _, p := range c {
			names, exprs = append(names, p[0]), append(exprs, p[1])
		}
		return "INSERT INTO orders (" + strings.Join(names, ", ") + ") SELECT " + strings.Join(exprs, ",\n") + `
		FROM (SELECT number,
			['Anna','Ben','Chloé','David','Emma','Felix','Grace','Hugo','Ines','Jonas','Kira','Liam','Mia','Noah',
			 'Olga','Paul','Quinn','Rosa','Sam','Tara','Uwe','Vera','Will','Xenia','Yusuf','Zoe','Ada','Bruno',
			 'Clara','Dario','Elif','Finn','Greta','Hans','Ida','Jan','Karl','Lena','Max','Nina','Oskar','Pia',
			 'Raúl','Sofia','Tom','Ulla','Vince','Wanda','Yara','Zeno','Ève','Øyvind','Ñuño'][number % 53 + 1] AS first,
			['Müller','Schmidt','Schneider','Fischer','Weber','Meyer','Wagner','Becker','Schulz','Hoffmann',
			 'Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis','Rodriguez','Martinez',
			 'Dubois','Lefèvre','Moreau','Laurent','Simon','Michel','Leroy','Roux','David','Bertrand',
			 'Rossi','Russo','Ferrari','Esposito','Bianchi','Romano','Colombo','Ricci','Marino','Greco',
			 'Nowak','Kowalski','Wiśniewski','Wójcik','Kamiński','Lewandowski','Zieliński','Szymański','Woźniak','Dąbrowski',
			 'Jansen','de Vries','van den Berg','Bakker','Visser','Smit','Meijer','de Boer','Mulder','de Groot',
			 'Silva','Santos','Ferreira','Pereira','Oliveira','Costa','Rodrigues','Martins','Jesus','Sousa',
			 'Andersson','Johansson','Karlsson','Nilsson','Eriksson','Larsson','Olsson','Persson','Svensson','Gustafsson',
			 'Yılmaz','Kaya','Demir','Şahin','Çelik','Yıldız','Yıldırım','Öztürk','Aydın','Özdemir',
			 'Tanaka','Suzuki','Sato','Takahashi','Watanabe','Ito','Nakamura'][intDiv(number, 53) % 97 + 1] AS last,
			cityHash64(number, 6) % 10 != 0 AS eligible
			FROM numbers(` + fmt.Sprint(bigOrders) + `) WHERE ` + where + `)`
	}
	status := `['synced','synced','synced','synced','synced','synced','synced','synced','not_synced','failed','delayed','in_progress','synced','synced','synced','synced','not_synced','failed','synced','synced'][cityHash64(number, 7) % 20 + 1]`
	// INSERT ... SELECT run inside the server, 200,000 rows at a time (each well
	// within the connection's read timeout); then a tenth changed later (synced): the
	// first version cancelled and a second one, as the sink writes them, unmerged.
	const step = 200_000
	for from := 0; from < bigOrders; from += step {
		in := fmt.Sprintf("number >= %d AND number < %d", from, from+step)
		if err := conn.Exec(ctx, insert(cols("toUInt64(1)", status, 1), in)); err != nil {
			return err
		}
	}
	for _, q := range []string{
		insert(cols("toUInt64(1)", status, -1), "number % 10 = 3"),
		insert(cols("toUInt64(2)", "'synced'", 1), "number % 10 = 3"),
	} {
		if err := conn.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "\\'") + "'" }
