package odoo

import (
	"context"
	"testing"
	"time"

	"github.com/synco-dev/synco/odoosim"
	"github.com/synco-dev/synco/schemas"
)

var paidAt = time.Date(2026, 11, 26, 15, 30, 0, 0, time.UTC)

// paid1001 is order1001 paid in full by one Shopify sale.
func paid1001() schemas.Order {
	o := order1001()
	o.Transactions = []schemas.Transaction{
		{ID: 901, Kind: "authorization", Status: "success", Gateway: "shopify_payments", Amount: dec("124.38"), ProcessedAt: &paidAt},
		{ID: 902, ParentID: 901, Kind: "capture", Status: "success", Gateway: "shopify_payments", Amount: dec("124.38"), ProcessedAt: &paidAt},
		{ID: 903, Kind: "sale", Status: "failure", Gateway: "manual", Amount: dec("124.38"), ProcessedAt: &paidAt},
	}
	return o
}

// refunded1001 is paid1001 after refund 71 of the mug (24 + 7.5 %), restocked.
func refunded1001(restock string) schemas.Order {
	o := paid1001()
	zero := int32(0)
	o.LineItems[1].CurrentQuantity = &zero
	one, three := int32(1), int32(3)
	o.LineItems[0].CurrentQuantity = new(int32)
	*o.LineItems[0].CurrentQuantity = 2
	o.LineItems[2].CurrentQuantity, o.LineItems[3].CurrentQuantity = &three, &one
	o.CurrentTotalPrice, o.CurrentTotalTax = dec("98.58"), dec("6.08")
	o.FinancialStatus = "partially_refunded"
	at := paidAt.Add(48 * time.Hour)
	o.Refunds = []schemas.Refund{{ID: 71, CreatedAt: &at, ProcessedAt: &at,
		RefundLineItems: []schemas.RefundLineItem{{ID: 711, LineItemID: 2, Quantity: 1, RestockType: restock, Subtotal: dec("24.00"), TotalTax: dec("1.80")}},
		Transactions:    []schemas.Transaction{{ID: 904, ParentID: 902, Kind: "refund", Status: "success", Gateway: "shopify_payments", Amount: dec("25.80"), ProcessedAt: &at}},
	}}
	return o
}

func refundsOn(cmd *schemas.OrderSync) *schemas.OrderSync {
	cmd.Settings.SyncRefunds = true
	return cmd
}

// payments and credit notes the Syncer made, for assertions
type lifeWorld struct {
	payments, inbound, outbound, creditNotes, returns int
	invPayState, cnPayState                           string
}

func observeLife(sim *odoosim.Server) lifeWorld {
	var w lifeWorld
	for _, p := range sim.Records("account.payment") {
		w.payments++
		if p["payment_type"] == "outbound" {
			w.outbound++
		} else {
			w.inbound++
		}
	}
	for _, m := range sim.Records("account.move") {
		switch m["move_type"] {
		case "out_invoice":
			w.invPayState, _ = m["payment_state"].(string)
		case "out_refund":
			w.creditNotes++
			w.cnPayState, _ = m["payment_state"].(string)
		}
	}
	for _, p := range sim.Records("stock.picking") {
		if s, _ := p["origin"].(string); len(s) > 10 && s[:10] == "Return of " {
			w.returns++
		}
	}
	return w
}

func TestPaymentRegisteredOnce(t *testing.T) {
	for _, v := range []int{16, 17, 18, 19} {
		sim, c := startSim(t, v)
		cmd := command(paid1001(), schemas.SaleOrderConfirmed, schemas.InvoicePosted)
		s := NewSyncer(c)
		res, err := s.Apply(context.Background(), cmd)
		if err != nil {
			t.Fatalf("%d: %v", v, err)
		}
		if res.InvoiceState != "posted" || res.PaymentState != "paid" || res.Cancelled || !res.RefundedAmount.IsZero() {
			t.Errorf("%d: result statuses %q %q %v %s", v, res.InvoiceState, res.PaymentState, res.Cancelled, res.RefundedAmount)
		}
		again, err := NewSyncer(c).Apply(context.Background(), cmd)
		if err != nil {
			t.Fatal(err)
		}
		if again.PaymentState != "paid" || again.Calls >= res.Calls {
			t.Errorf("%d: again %q in %d calls (first %d)", v, again.PaymentState, again.Calls, res.Calls)
		}
		if w := observeLife(sim); w.payments != 1 || w.invPayState != "paid" {
			t.Errorf("%d: odoo holds %+v, want one payment, invoice paid", v, w)
		}
		p := sim.Records("account.payment")[0]
		if p["date"] != "2026-11-26" || toInt(p["journal_id"]) == 0 {
			t.Errorf("%d: payment %v", v, p)
		}
	}
}

// The plain path (no transactions, no refunds) costs no call for the statuses.
func TestStatusesWithoutCalls(t *testing.T) {
	_, c := startSim(t, 17)
	cmd := command(order1001(), schemas.SaleOrderConfirmed, schemas.InvoicePosted)
	res, err := NewSyncer(c).Apply(context.Background(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != len(fullFlow) || res.InvoiceState != "posted" || res.PaymentState != "not_paid" {
		t.Errorf("%d calls (want %d), statuses %q %q", res.Calls, len(fullFlow), res.InvoiceState, res.PaymentState)
	}
	cmd.SaleOrder, cmd.Invoice = schemas.SaleOrderCancelled, schemas.InvoiceNone
	res, err = NewSyncer(c).Apply(context.Background(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cancelled {
		t.Errorf("cancelled order: %+v", res)
	}
}

func TestRefundCreditNoteAndPayout(t *testing.T) {
	for _, v := range []int{16, 17, 18, 19} {
		sim, c := startSim(t, v)
		// paid first, then refunded
		if _, err := NewSyncer(c).Apply(context.Background(), refundsOn(command(paid1001(), schemas.SaleOrderConfirmed, schemas.InvoicePosted))); err != nil {
			t.Fatal(err)
		}
		cmd := refundsOn(command(refunded1001("no_restock"), schemas.SaleOrderConfirmed, schemas.InvoicePosted))
		res, err := NewSyncer(c).Apply(context.Background(), cmd)
		if err != nil {
			t.Fatalf("%d: %v", v, err)
		}
		for _, w := range res.Warnings {
			t.Errorf("%d: warning %q", v, w)
		}
		if !res.RefundedAmount.Equal(dec("25.80")) || res.PaymentState != "paid" {
			t.Errorf("%d: refunded %s, payment state %q", v, res.RefundedAmount, res.PaymentState)
		}
		if _, err := NewSyncer(c).Apply(context.Background(), cmd); err != nil {
			t.Fatal(err)
		}
		if w := observeLife(sim); w != (lifeWorld{payments: 2, inbound: 1, outbound: 1, creditNotes: 1, invPayState: "paid", cnPayState: "paid"}) {
			t.Errorf("%d: odoo holds %+v", v, w)
		}
	}
}

// A refund in the first snapshot (the order was never in Odoo) ends as paid then
// refunded: the documents carry the quantities before the refund.
func TestRefundBeforeTheOrder(t *testing.T) {
	sim, c := startSim(t, 17)
	cmd := refundsOn(command(refunded1001("no_restock"), schemas.SaleOrderConfirmed, schemas.InvoicePosted))
	res, err := NewSyncer(c).Apply(context.Background(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res.Warnings {
		t.Errorf("warning %q", w)
	}
	if !res.Total.Equal(dec("124.38")) || !res.ShopifyTotal.Equal(dec("98.58")) || !res.RefundedAmount.Equal(dec("25.80")) {
		t.Errorf("total %s, Shopify %s, refunded %s", res.Total, res.ShopifyTotal, res.RefundedAmount)
	}
	if w := observeLife(sim); w != (lifeWorld{payments: 2, inbound: 1, outbound: 1, creditNotes: 1, invPayState: "paid", cnPayState: "paid"}) {
		t.Errorf("odoo holds %+v", w)
	}
}

// validateDeliveries validates the outgoing pickings of every sale order in Odoo.
func validateDeliveries(t *testing.T, c Client) {
	t.Helper()
	ctx := context.Background()
	picks, err := SearchRead(ctx, c, "stock.picking", []any{[]any{"picking_type_code", "=", "outgoing"}, []any{"state", "!=", "done"}}, []string{"id"}, nil)
	if err != nil || len(picks) == 0 {
		t.Fatalf("deliveries: %v (%d)", err, len(picks))
	}
	for _, p := range picks {
		if err := (&run{c: c, d: dialect{version: 17}}).validatePicking(ctx, p.ID()); err != nil {
			t.Fatalf("validate delivery: %v", err)
		}
	}
}

// A crash after each call of a payment, and of a refund (credit note, payout, stock
// return), in turn: the call took effect, its answer was lost; the redelivered
// command on a restarted sink ends with exactly one of each.
func TestCrashDuringPaymentAndRefund(t *testing.T) {
	for _, flow := range []struct {
		name       string
		base, next func() schemas.Order
		want       lifeWorld
	}{
		{"payment", order1001, paid1001, lifeWorld{payments: 1, inbound: 1, invPayState: "paid"}},
		{"refund with return", paid1001, func() schemas.Order { return refunded1001("return") },
			lifeWorld{payments: 2, inbound: 1, outbound: 1, creditNotes: 1, returns: 1, invPayState: "paid", cnPayState: "paid"}},
	} {
		for _, v := range []int{16, 17, 18} {
			for n := int64(1); ; n++ {
				sim, c := startSim(t, v)
				ctx := context.Background()
				if _, err := NewSyncer(c).Apply(ctx, refundsOn(command(flow.base(), schemas.SaleOrderConfirmed, schemas.InvoicePosted))); err != nil {
					t.Fatal(err)
				}
				validateDeliveries(t, c)
				cmd := refundsOn(command(flow.next(), schemas.SaleOrderConfirmed, schemas.InvoicePosted))
				lossy := &loseAnswer{Client: c, n: n}
				_, err := NewSyncer(lossy).Apply(ctx, cmd)
				if lossy.lost == "" {
					if err != nil {
						t.Fatalf("%s %d: %v", flow.name, v, err)
					}
					if n < 5 {
						t.Fatalf("%s %d: only %d calls", flow.name, v, n-1)
					}
					if got := observeLife(sim); got != flow.want {
						t.Fatalf("%s %d: undisturbed, odoo holds %+v, want %+v", flow.name, v, got, flow.want)
					}
					break
				}
				if !IsRetriable(err) {
					t.Fatalf("%s %d: answer of %s lost: %v is not retriable", flow.name, v, lossy.lost, err)
				}
				if _, err := NewSyncer(c).Apply(ctx, cmd); err != nil {
					t.Fatalf("%s %d: after losing %s: %v", flow.name, v, lossy.lost, err)
				}
				if got := observeLife(sim); got != flow.want {
					t.Fatalf("%s %d: after losing the answer of call %d (%s): odoo holds %+v, want %+v", flow.name, v, n, lossy.lost, got, flow.want)
				}
			}
		}
	}
}

// A retriable failure (before Odoo applied anything) at each call of the refund,
// then the same command: one of each.
func TestRefundStepFailsOnceThenRetrySucceeds(t *testing.T) {
	steps := []string{"ir.model.data.search_read", "account.move.search_read", "account.payment.search_read", "account.move.line.search_read",
		"account.move.create", "account.move.action_post", "account.payment.register.create", "account.payment.register.action_create_payments",
		"stock.picking.search_read", "stock.move.read", "stock.return.picking.create", "stock.return.picking.create_returns",
		"stock.picking.button_validate", "ir.model.data.create"}
	for _, step := range steps {
		t.Run(step, func(t *testing.T) {
			sim, c := startSim(t, 17)
			ctx := context.Background()
			if _, err := NewSyncer(c).Apply(ctx, refundsOn(command(paid1001(), schemas.SaleOrderConfirmed, schemas.InvoicePosted))); err != nil {
				t.Fatal(err)
			}
			validateDeliveries(t, c)
			cmd := refundsOn(command(refunded1001("return"), schemas.SaleOrderConfirmed, schemas.InvoicePosted))
			model, method := splitStep(step)
			sim.FailNext(model, method, 1)
			if _, err := NewSyncer(c).Apply(ctx, cmd); err == nil || !IsRetriable(err) {
				t.Fatalf("want a retriable error, got %v", err)
			}
			if _, err := NewSyncer(c).Apply(ctx, cmd); err != nil {
				t.Fatal(err)
			}
			want := lifeWorld{payments: 2, inbound: 1, outbound: 1, creditNotes: 1, returns: 1, invPayState: "paid", cnPayState: "paid"}
			if got := observeLife(sim); got != want {
				t.Fatalf("odoo holds %+v, want %+v", got, want)
			}
		})
	}
}
