package conformance

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
)

// BatchSize is the batch the batch scenarios send through the Sink together.
const BatchSize = 20

// RunBatch sends batches of new orders through the Sink (batch_size 20: the batch's
// orders go into Odoo with list calls) to the Odoo cfg names, and reads back from
// tg.Client what each order got: confirmed sale orders with posted invoices, draft
// sale orders, posted direct invoices, each exactly once and registered; the same
// batch again finds them all; and a batch with one order Odoo refuses lands the
// others, the bad one failing alone with Odoo's message.
func RunBatch(t *testing.T, tg Target, cfg odoo.Config) {
	t.Helper()
	ctx := context.Background()
	env := &Env{t: t, ctx: ctx, c: tg.Client, Version: tg.Version, Run: time.Now().UnixMilli() % 1_000_000_000}
	cfg.BatchSize, cfg.BatchWait, cfg.Concurrency = BatchSize, time.Minute, 1
	for k, tc := range []struct {
		name   string
		n      int
		so     schemas.SaleOrderState
		inv    schemas.InvoiceState
		bad    int // index of an order whose partner does not exist (-1: none)
		soWant string
		invWnt string
		// distinct: a new buyer and a new product per order, every other one shipping
		// elsewhere (made in one create of the batch's buyers, delivery contacts inside,
		// and one of its products)
		distinct bool
	}{
		{"confirmed and posted", BatchSize, schemas.SaleOrderConfirmed, schemas.InvoicePosted, -1, "sale", "posted", false},
		{"draft", BatchSize, schemas.SaleOrderDraft, schemas.InvoiceNone, -1, "draft", "", false},
		{"direct invoices", BatchSize, schemas.SaleOrderNone, schemas.InvoicePosted, -1, "", "posted", false},
		{"one bad order", 6, schemas.SaleOrderConfirmed, schemas.InvoicePosted, 2, "sale", "posted", false},
		{"new buyers and products, some shipping elsewhere", BatchSize, schemas.SaleOrderConfirmed, schemas.InvoicePosted, -1, "sale", "posted", true},
	} {
		t.Run("batch "+tc.name, func(t *testing.T) {
			e := *env
			e.t, e.scenario = t, 90+k
			cfg := cfg
			cfg.BatchSize = tc.n // the n-th command flushes the batch
			s := odoo.NewSink(map[string]odoo.Config{Shop: cfg})
			cmds := make([]*schemas.OrderSync, tc.n)
			for i := range cmds {
				o := order(&e, i, []schemas.LineItem{item("CONF-BATCH-A", "Batch widget", 2, "12.50"), item("CONF-BATCH-B", "Batch mug", 1, "8.00")}, shipping("4.90"))
				o.Email = e.Email(fmt.Sprintf("buyer%d", i%3))
				o.Customer = &schemas.Customer{ID: o.ID + 1, Email: o.Email, FirstName: "Buyer", LastName: fmt.Sprint(i % 3)}
				if tc.distinct {
					o.Email = e.Email(fmt.Sprintf("new%d", i))
					o.Customer = &schemas.Customer{ID: o.ID + 1, Email: o.Email, FirstName: "New", LastName: fmt.Sprint("Buyer ", i)}
					bill := nyBilling
					bill.Name, bill.FirstName, bill.LastName = "New Buyer "+fmt.Sprint(i), "New", "Buyer "+fmt.Sprint(i)
					shipTo := bill
					o.BillingAddress, o.ShippingAddress = &bill, &shipTo
					o.LineItems[0].SKU = e.Unique(fmt.Sprintf("CONF-NEW-%d", i)) // new products too, made in one create
					if i%2 == 1 {
						ship := caShipping
						o.ShippingAddress = &ship
					}
				}
				o = finish(o)
				st := schemas.DefaultSettings(Shop)
				if i == tc.bad {
					st.Customer = schemas.CustomerSettings{Mode: "single", PartnerID: 99999999}
				}
				cmds[i] = &schemas.OrderSync{CommandID: fmt.Sprintf("conf-batch-%d", o.ID), Shop: Shop, OrderID: o.ID, Version: o.UpdatedAt.UnixMilli(),
					Seq: 1, SaleOrder: tc.so, Invoice: tc.inv, Settings: st, Order: o}
			}
			start := time.Now()
			res, errs := applyTogether(s, cmds)
			took := time.Since(start)
			calls := 0
			for i, err := range errs {
				calls += res[i].Calls
				if i == tc.bad {
					if !odoo.IsPermanent(err) || !strings.Contains(err.Error(), "Record does not exist or has been deleted") {
						t.Errorf("the bad order: %v, want Odoo's MissingError, permanent", err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("order %d: %v", i, err)
				}
				if want := shopifyTotal(&cmds[i].Order, "USD"); !res[i].Total.Equal(want) || len(res[i].Warnings) > 0 {
					t.Errorf("order %d: total %s (Shopify %s), warnings %q", i, res[i].Total, want, res[i].Warnings)
				}
			}
			t.Logf("%s: %d orders in %v (%.1f orders/s), %.1f calls per order", tc.name, tc.n, took.Round(time.Millisecond),
				float64(tc.n)/took.Seconds(), float64(calls)/float64(tc.n))
			if tc.bad < 0 && calls > 3*tc.n {
				t.Errorf("%d calls for a batch of %d new orders, want at most 3 per order", calls, tc.n)
			}
			for i, cmd := range cmds {
				if i != tc.bad {
					e.batchCheck(cmd, res[i], tc.soWant, tc.invWnt)
				}
				if tc.distinct {
					e.batchBuyer(cmd, res[i])
				}
			}
			// Again, as a redelivery: the same records, nothing made.
			again, errs := applyTogether(s, cmds)
			for i, err := range errs {
				if i == tc.bad {
					continue
				}
				if err != nil || again[i].ID != res[i].ID || again[i].InvoiceID != res[i].InvoiceID {
					t.Errorf("order %d again: %+v %v, want the records of %+v", i, again[i], err, res[i])
				}
			}
		})
	}
}

// batchCheck reads back an order of a batch: one sale order (or none for a direct
// invoice) in state so, one customer invoice in state inv (or none), registered.
func (e *Env) batchCheck(cmd *schemas.OrderSync, res odoo.Result, so, inv string) {
	e.t.Helper()
	key := odoo.StableKey(cmd.Shop, cmd.OrderID)
	sos, err := odoo.SearchRead(e.ctx, e.c, "sale.order", []any{[]any{"origin", "=", key}}, []string{"id", "state", "invoice_ids", "amount_total"}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	invOrigin := key
	switch {
	case so == "" && len(sos) != 0:
		e.t.Errorf("order %d: %d sale orders, want none", cmd.OrderID, len(sos))
	case so != "" && len(sos) != 1:
		e.t.Errorf("order %d: %d sale orders, want 1", cmd.OrderID, len(sos))
		return
	case so != "":
		if sos[0].String("state") != so || sos[0].ID() != res.ID {
			e.t.Errorf("order %d: sale order %d is %s, want %d %s", cmd.OrderID, sos[0].ID(), sos[0].String("state"), res.ID, so)
		}
		e.registered(odoo.OrderXMLID(cmd.Shop, cmd.OrderID), "sale.order", res.ID)
		invOrigin = res.Name
	}
	moves, err := odoo.SearchRead(e.ctx, e.c, "account.move", []any{[]any{"move_type", "=", "out_invoice"}, []any{"invoice_origin", "=", invOrigin}},
		[]string{"id", "state"}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if inv == "" {
		if len(moves) != 0 {
			e.t.Errorf("order %d: %d invoices, want none", cmd.OrderID, len(moves))
		}
		return
	}
	if len(moves) != 1 || moves[0].String("state") != inv || moves[0].ID() != res.InvoiceID {
		e.t.Errorf("order %d: invoices %v, want one %s (%d)", cmd.OrderID, moves, inv, res.InvoiceID)
		return
	}
	e.registered(odoo.InvoiceXMLID(cmd.Shop, cmd.OrderID), "account.move", res.InvoiceID)
}

// batchBuyer checks a batch order's buyer in Odoo: one partner of its email, the
// sale order's customer, and its delivery address: the partner itself when Shopify's
// shipping address is the billing one, else a delivery contact under it at that
// street.
func (e *Env) batchBuyer(cmd *schemas.OrderSync, res odoo.Result) {
	e.t.Helper()
	ps, err := odoo.SearchRead(e.ctx, e.c, "res.partner", []any{[]any{"email", "=", cmd.Order.Email}}, []string{"id"}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	so := e.read1("sale.order", res.ID, []string{"partner_id", "partner_shipping_id"})
	if len(ps) != 1 || so.M2O("partner_id") != ps[0].ID() {
		e.t.Errorf("order %d: partners of %s %v, sale order's %v", cmd.OrderID, cmd.Order.Email, ps, so["partner_id"])
		return
	}
	ship := e.read1("res.partner", so.M2O("partner_shipping_id"), []string{"id", "parent_id", "type", "street"})
	want := cmd.Order.ShippingAddress.Address1
	switch {
	case ship.String("street") != want:
		e.t.Errorf("order %d: delivery address %v, want %q", cmd.OrderID, ship, want)
	case want != cmd.Order.BillingAddress.Address1 && (ship.M2O("parent_id") != ps[0].ID() || ship.String("type") != "delivery"):
		e.t.Errorf("order %d: delivery address %v, want a delivery contact of partner %d", cmd.OrderID, ship, ps[0].ID())
	case want == cmd.Order.BillingAddress.Address1 && ship.ID() != ps[0].ID():
		e.t.Errorf("order %d: delivery address %v, want the partner %d itself", cmd.OrderID, ship, ps[0].ID())
	}
}

// applyTogether applies the commands at once: one batch when the Sink's batch size is
// len(cmds).
func applyTogether(s *odoo.Sink, cmds []*schemas.OrderSync) ([]odoo.Result, []error) {
	res, errs := make([]odoo.Result, len(cmds)), make([]error, len(cmds))
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = s.Apply(context.Background(), cmd)
		}()
	}
	wg.Wait()
	return res, errs
}
