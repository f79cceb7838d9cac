package transactions

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopifysim"
)

// counting counts the GraphQL calls that reach the simulator.
type counting struct{ n atomic.Int32 }

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func setup(t *testing.T) (*shopifysim.Sim, *counting, shopifysim.Clients) {
	t.Helper()
	rt := &counting{}
	sim, c := shopifysim.StartT(t, shopifysim.Options{Shop: "tx.myshopify.com"}, admin.Config{
		HTTP:        &http.Client{Transport: rt, Timeout: 10 * time.Second},
		MaxAttempts: 2, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	return sim, rt, shopifysim.Clients{sim.Shop(): c}
}

func command(shop string, id int64, status string, inv schemas.InvoiceState) *schemas.OrderSync {
	return &schemas.OrderSync{Shop: shop, OrderID: id, Invoice: inv,
		Order: schemas.Order{ID: id, FinancialStatus: status, UpdatedAt: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}}
}

// A paid order from a webhook (no transactions) gets Shopify's, read once per version.
func TestFillReadsTransactionsOncePerVersion(t *testing.T) {
	sim, rt, cl := setup(t)
	o := sim.AddSampleOrders(1, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))[0]
	f := New(cl)
	cmd := command(sim.Shop(), o.ID, "paid", schemas.InvoicePosted)
	ok, err := f.Fill(context.Background(), cmd)
	if err != nil || !ok {
		t.Fatalf("fill: %v %v", ok, err)
	}
	if len(cmd.Order.Transactions) != 1 {
		t.Fatalf("transactions: %+v", cmd.Order.Transactions)
	}
	tx := cmd.Order.Transactions[0]
	if tx.ID != o.Transactions[0].ID || tx.Kind != "sale" || tx.Status != "success" || tx.Gateway != "shopify_payments" ||
		!tx.Amount.Equal(o.TotalPrice.Shop) {
		t.Errorf("transaction %+v, want the sale of %s", tx, o.TotalPrice.Shop)
	}
	calls := rt.n.Load()
	again := command(sim.Shop(), o.ID, "paid", schemas.InvoicePosted)
	if _, err := f.Fill(context.Background(), again); err != nil || len(again.Order.Transactions) != 1 {
		t.Fatalf("again: %v %+v", err, again.Order.Transactions)
	}
	if rt.n.Load() != calls {
		t.Errorf("the same version was read again (%d calls, then %d)", calls, rt.n.Load())
	}
}

// Nothing is read when nothing would be booked, or the order came with transactions.
func TestFillReadsOnlyWhatPaymentsNeed(t *testing.T) {
	sim, rt, cl := setup(t)
	f := New(cl)
	with := command(sim.Shop(), 1, "paid", schemas.InvoicePosted)
	with.Order.Transactions = []schemas.Transaction{{ID: 9, Kind: "sale", Status: "success"}}
	for name, cmd := range map[string]*schemas.OrderSync{
		"pending":         command(sim.Shop(), 1, "pending", schemas.InvoicePosted),
		"no invoice":      command(sim.Shop(), 1, "paid", schemas.InvoiceNone),
		"has its own":     with,
		"voided":          command(sim.Shop(), 1, "voided", schemas.InvoicePosted),
		"authorized only": command(sim.Shop(), 1, "authorized", schemas.InvoiceDraft),
	} {
		if ok, err := f.Fill(context.Background(), cmd); err != nil || !ok {
			t.Errorf("%s: %v %v", name, ok, err)
		}
	}
	if rt.n.Load() != 0 {
		t.Errorf("%d calls to Shopify, want none", rt.n.Load())
	}
}

// A shop without a token is applied without payments (false, no error); an order
// Shopify does not have is a permanent error.
func TestFillWithoutTokenOrOrder(t *testing.T) {
	sim, _, cl := setup(t)
	f := New(cl)
	ok, err := f.Fill(context.Background(), command("notoken.myshopify.com", 1, "paid", schemas.InvoicePosted))
	if ok || err != nil {
		t.Errorf("no token: %v %v, want false without error", ok, err)
	}
	_, err = f.Fill(context.Background(), command(sim.Shop(), 424242, "paid", schemas.InvoicePosted))
	if err == nil || IsRetriable(err) {
		t.Errorf("unknown order: %v, want a permanent error", err)
	}
}
