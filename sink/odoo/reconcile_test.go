package odoo

import (
	"context"
	"sync"
	"testing"

	"github.com/synco-dev/synco/schemas"
)

// methodLog records the methods a client was asked to run.
type methodLog struct {
	Client
	mu    sync.Mutex
	calls []string
}

func (m *methodLog) Call(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
	m.mu.Lock()
	m.calls = append(m.calls, model+"."+method)
	m.mu.Unlock()
	return m.Client.Call(ctx, model, method, args, kwargs)
}

func (m *methodLog) count(call string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.calls {
		if c == call {
			n++
		}
	}
	return n
}

// unpaidRefunded1001 is refunded1001 with no money in or out: a refund of an order
// that was never paid.
func unpaidRefunded1001() schemas.Order {
	o := refunded1001("no_restock")
	o.Transactions = nil
	o.Refunds[0].Transactions = nil
	o.FinancialStatus = "pending"
	return o
}

// A refund of a posted, unpaid invoice: the credit note is reconciled with the
// invoice (16 by Synco's reconcile call, 17+ by Odoo's post), so the invoice is
// partly settled and the credit note paid, with no payment; applying again makes no
// reconcile call and changes nothing, even though the invoice now reads "partial".
func TestRefundOfUnpaidInvoiceReconciles(t *testing.T) {
	ctx := context.Background()
	for _, v := range []int{16, 17, 18, 19} {
		sim, c := startSim(t, v)
		if _, err := NewSyncer(c).Apply(ctx, refundsOn(command(order1001(), schemas.SaleOrderConfirmed, schemas.InvoicePosted))); err != nil {
			t.Fatal(err)
		}
		cmd := refundsOn(command(unpaidRefunded1001(), schemas.SaleOrderConfirmed, schemas.InvoicePosted))
		log := &methodLog{Client: c}
		res, err := NewSyncer(log).Apply(ctx, cmd)
		if err != nil {
			t.Fatalf("%d: %v", v, err)
		}
		wantReconciles := 0
		if v <= 16 {
			wantReconciles = 1
		}
		if n := log.count("account.move.line.reconcile"); n != wantReconciles {
			t.Errorf("%d: %d reconcile calls, want %d", v, n, wantReconciles)
		}
		if res.PaymentState != "partial" || !res.RefundedAmount.Equal(dec("25.80")) {
			t.Errorf("%d: result %q refunded %s", v, res.PaymentState, res.RefundedAmount)
		}
		want := lifeWorld{creditNotes: 1, invPayState: "partial", cnPayState: "paid"}
		if w := observeLife(sim); w != want {
			t.Errorf("%d: odoo holds %+v, want %+v", v, w, want)
		}
		again := &methodLog{Client: c}
		res2, err := NewSyncer(again).Apply(ctx, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if n := again.count("account.move.line.reconcile") + again.count("account.move.line.search_read") + again.count("account.payment.register.create"); n != 0 {
			t.Errorf("%d: applying again made %d reconcile, line search or payment calls: %v", v, n, again.calls)
		}
		if w := observeLife(sim); w != want || res2.PaymentState != "partial" {
			t.Errorf("%d: after applying again odoo holds %+v, result %q", v, w, res2.PaymentState)
		}
	}
}

// A cancelled order whose posted invoice was never paid: Synco's credit note of it is
// reconciled with it, the invoice "reversed" and the credit note "paid" (as real Odoo
// says, 16 to 19), and a second apply reconciles nothing.
func TestCancelUnpaidInvoiceReversed(t *testing.T) {
	ctx := context.Background()
	for _, v := range []int{16, 17, 18, 19} {
		sim, c := startSim(t, v)
		o := order1001()
		if _, err := NewSyncer(c).Apply(ctx, command(o, schemas.SaleOrderConfirmed, schemas.InvoicePosted)); err != nil {
			t.Fatal(err)
		}
		at := o.UpdatedAt.Add(1)
		o.CancelledAt, o.UpdatedAt = &at, at
		cancel := command(o, schemas.SaleOrderCancelled, schemas.InvoicePosted)
		res, err := NewSyncer(c).Apply(ctx, cancel)
		if err != nil {
			t.Fatalf("%d: %v", v, err)
		}
		w := observeCancel(sim)
		if w.invPay != "reversed" || w.creditPay != "paid" || res.PaymentState != "reversed" || !res.Cancelled {
			t.Errorf("%d: invoice %q credit note %q result %q", v, w.invPay, w.creditPay, res.PaymentState)
		}
		again := &methodLog{Client: c}
		if _, err := NewSyncer(again).Apply(ctx, cancel); err != nil {
			t.Fatal(err)
		}
		if n := again.count("account.move.line.reconcile"); n != 0 || observeCancel(sim) != w {
			t.Errorf("%d: applying again: %d reconcile calls, odoo %+v", v, n, observeCancel(sim))
		}
	}
}
