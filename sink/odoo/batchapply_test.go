package odoo

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/synco-dev/synco/odoosim"
	"github.com/synco-dev/synco/schemas"
)

// batchSink is a Sink on a simulator whose batches are exactly n commands (a long
// wait: the n-th command flushes the batch).
func batchSink(t *testing.T, n int) (*odoosim.Server, *Sink) {
	t.Helper()
	sim := odoosim.New(odoosim.Options{})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	s := NewSink(map[string]Config{testShop: {URL: url, DB: "synco", Username: "admin", Password: "admin", Protocol: ProtocolXMLRPC,
		Concurrency: 1, BatchSize: n, BatchWait: 10 * time.Second}})
	return sim, s
}

// applyTogether applies the commands at once (one batch when the sink's batch size is
// len(cmds)).
func applyTogether(s *Sink, cmds []*schemas.OrderSync) ([]Result, []error) {
	res, errs := make([]Result, len(cmds)), make([]error, len(cmds))
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

// batchOrders are n new orders of returning buyers (three emails).
func batchOrders(n int, so schemas.SaleOrderState, inv schemas.InvoiceState) []*schemas.OrderSync {
	cmds := make([]*schemas.OrderSync, n)
	for i := range cmds {
		o := order1001()
		o.ID += int64(100 + i)
		o.Name = fmt.Sprintf("#%d", 2000+i)
		o.Email = fmt.Sprintf("buyer%d@example.com", i%3)
		o.Customer = &schemas.Customer{ID: int64(500 + i%3), Email: o.Email, FirstName: "Buyer", LastName: fmt.Sprint(i % 3)}
		cmds[i] = command(o, so, inv)
	}
	return cmds
}

func simTotal(calls map[string]int) int {
	n := 0
	for k, v := range calls {
		if !strings.HasPrefix(k, "common.") {
			n += v
		}
	}
	return n
}

// A batch of new orders goes into Odoo with list calls: one create of all sale
// orders, one action_confirm, one create of their invoices, one action_post, one
// registration of their external ids, one search of their buyers and one of their
// products; each order ends confirmed with its posted invoice, and the results count
// every call once. The same commands again change nothing.
func TestSinkBatchCreatesConfirmsAndInvoicesInListCalls(t *testing.T) {
	const n = 20
	sim, s := batchSink(t, n)
	cmds := batchOrders(n, schemas.SaleOrderConfirmed, schemas.InvoicePosted)
	res, errs := applyTogether(s, cmds)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
	}
	got := sim.Calls()
	for call, want := range map[string]int{"sale.order.create": 1, "sale.order.action_confirm": 1, "account.move.create": 1,
		"account.move.action_post": 1, "ir.model.data.create": 1, "res.partner.search_read": 1, "product.product.search_read": 1,
		"res.partner.create": 1} {
		if got[call] != want {
			t.Errorf("%s: %d calls for a batch of %d new orders, want %d", call, got[call], n, want)
		}
	}
	// The 3 new buyers, made in that one create, each the partner of its orders.
	partners := map[string]int64{}
	for _, p := range sim.Records("res.partner") {
		if e, _ := p["email"].(string); strings.HasPrefix(e, "buyer") {
			if partners[e] != 0 {
				t.Errorf("two partners for %s", e)
			}
			partners[e] = toInt(p["id"])
		}
	}
	if len(partners) != 3 {
		t.Errorf("partners of the buyers: %v, want 3", partners)
	}
	byOrder := byID(sim.Records("sale.order"))
	sum := 0
	ids := map[int64]bool{}
	for i, r := range res {
		sum += r.Calls
		if r.Model != "sale.order" || r.ID == 0 || r.InvoiceID == 0 || ids[r.ID] || r.Name == "" {
			t.Errorf("order %d: %+v", i, r)
		}
		ids[r.ID] = true
		if pid := toInt(byOrder[r.ID]["partner_id"]); pid == 0 || pid != partners[cmds[i].Order.Email] {
			t.Errorf("order %d: partner %v, want %s's (%d)", i, byOrder[r.ID]["partner_id"], cmds[i].Order.Email, partners[cmds[i].Order.Email])
		}
		if len(r.Warnings) != 0 {
			t.Errorf("order %d warns %q", i, r.Warnings)
		}
		if !r.Total.Equal(dec("124.38")) || !r.ShopifyTotal.Equal(dec("124.38")) {
			t.Errorf("order %d: total %s, Shopify %s", i, r.Total, r.ShopifyTotal)
		}
	}
	if total := simTotal(got); sum != total {
		t.Errorf("the results count %d calls, Odoo saw %d", sum, total)
	}
	if per := float64(sum) / n; per > 3 {
		t.Errorf("%.1f calls per order in a batch of %d, want at most 3", per, n)
	}
	checkOneEach(t, sim, cmds, "sale", "posted")
	// Again: found through the batch's one look-up, nothing made.
	sim.ResetCalls()
	again, errs := applyTogether(s, cmds)
	for i, err := range errs {
		if err != nil || again[i].ID != res[i].ID || again[i].InvoiceID != res[i].InvoiceID {
			t.Errorf("order %d again: %+v, %v; want %+v", i, again[i], err, res[i])
		}
	}
	for k, v := range sim.Calls() {
		if strings.HasSuffix(k, ".create") || strings.HasSuffix(k, ".write") || strings.HasPrefix(k, "sale.order.action") {
			t.Errorf("applied again: %d %s", v, k)
		}
	}
	checkOneEach(t, sim, cmds, "sale", "posted")
}

// Draft sale orders: one create, no confirmation; direct invoices: one create of
// all, one action_post.
func TestSinkBatchDraftsAndDirectInvoices(t *testing.T) {
	const n = 10
	sim, s := batchSink(t, n)
	cmds := batchOrders(n, schemas.SaleOrderDraft, schemas.InvoiceNone)
	for i, err := range second(applyTogether(s, cmds)) {
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
	}
	got := sim.Calls()
	if got["sale.order.create"] != 1 || got["sale.order.action_confirm"] != 0 || got["account.move.create"] != 0 {
		t.Errorf("drafts: %v", got)
	}
	checkOneEach(t, sim, cmds, "draft", "")

	sim.ResetCalls()
	inv := batchOrders(n, schemas.SaleOrderNone, schemas.InvoicePosted)
	for _, c := range inv {
		c.Order.ID += 1000
		c.OrderID = c.Order.ID
	}
	res, errs := applyTogether(s, inv)
	for i, err := range errs {
		if err != nil || res[i].Model != "account.move" || res[i].InvoiceID != res[i].ID || !strings.HasPrefix(res[i].Name, "INV/") {
			t.Fatalf("invoice %d: %+v %v", i, res[i], err)
		}
	}
	got = sim.Calls()
	if got["account.move.create"] != 1 || got["account.move.action_post"] != 1 || got["sale.order.create"] != 0 {
		t.Errorf("direct invoices: %v", got)
	}
	moves := 0
	for _, m := range sim.Records("account.move") {
		if m["move_type"] == "out_invoice" && m["state"] == "posted" && strings.HasPrefix(fmt.Sprint(m["invoice_origin"]), "shopify:") {
			moves++
		}
	}
	if moves != n {
		t.Errorf("%d posted direct invoices, want %d", moves, n)
	}
}

func second[A, B any](_ A, b B) B { return b }

// checkOneEach asserts exactly one sale order per command (in state), with exactly one
// customer invoice (in invState; "" none), both registered under their external ids.
func checkOneEach(t *testing.T, sim *odoosim.Server, cmds []*schemas.OrderSync, state, invState string) {
	t.Helper()
	byOrigin := map[string][]map[string]any{}
	for _, so := range sim.Records("sale.order") {
		byOrigin[fmt.Sprint(so["origin"])] = append(byOrigin[fmt.Sprint(so["origin"])], so)
	}
	invs := map[string][]map[string]any{}
	for _, m := range sim.Records("account.move") {
		if m["move_type"] == "out_invoice" {
			invs[fmt.Sprint(m["invoice_origin"])] = append(invs[fmt.Sprint(m["invoice_origin"])], m)
		}
	}
	xmlids := map[string]int64{}
	for _, x := range sim.Records("ir.model.data") {
		xmlids[fmt.Sprint(x["name"])] = toInt(x["res_id"])
	}
	for _, cmd := range cmds {
		sos := byOrigin[StableKey(cmd.Shop, cmd.OrderID)]
		if len(sos) != 1 {
			t.Errorf("order %d: %d sale orders, want 1", cmd.OrderID, len(sos))
			continue
		}
		so := sos[0]
		if so["state"] != state {
			t.Errorf("order %d: sale order %v is %v, want %s", cmd.OrderID, so["name"], so["state"], state)
		}
		if xmlids[OrderXMLID(cmd.Shop, cmd.OrderID)] != toInt(so["id"]) {
			t.Errorf("order %d: sale order %v not registered", cmd.OrderID, so["id"])
		}
		in := invs[fmt.Sprint(so["name"])]
		if invState == "" {
			if len(in) != 0 {
				t.Errorf("order %d: %d invoices, want none", cmd.OrderID, len(in))
			}
			continue
		}
		if len(in) != 1 {
			t.Errorf("order %d: %d invoices, want 1", cmd.OrderID, len(in))
			continue
		}
		if in[0]["state"] != invState {
			t.Errorf("order %d: invoice is %v, want %s", cmd.OrderID, in[0]["state"], invState)
		}
		if xmlids[InvoiceXMLID(cmd.Shop, cmd.OrderID)] != toInt(in[0]["id"]) {
			t.Errorf("order %d: invoice %v not registered", cmd.OrderID, in[0]["id"])
		}
	}
}

// One order Odoo refuses (its settings name a partner that does not exist) fails the
// batch's create: the batch goes one order at a time, the others land and the bad one
// fails alone, permanently, with Odoo's message.
func TestSinkBatchOneBadOrderFailsAlone(t *testing.T) {
	const n = 6
	sim, s := batchSink(t, n)
	cmds := batchOrders(n, schemas.SaleOrderConfirmed, schemas.InvoicePosted)
	bad := cmds[3]
	bad.Settings.Customer = schemas.CustomerSettings{Mode: "single", PartnerID: 99999999}
	res, errs := applyTogether(s, cmds)
	for i, err := range errs {
		if i == 3 {
			if !IsPermanent(err) || !strings.Contains(err.Error(), "Record does not exist or has been deleted") || !strings.Contains(err.Error(), "res.partner(99999999,)") {
				t.Errorf("the bad order: %v, want Odoo's MissingError, permanent", err)
			}
			continue
		}
		if err != nil || res[i].ID == 0 || res[i].InvoiceID == 0 {
			t.Errorf("order %d: %+v %v", i, res[i], err)
		}
	}
	// The batch's, one per order, and the bad one's second try after its MissingError
	// flushed the caches (the per-order rule for a cached record that vanished).
	if c := sim.Calls()["sale.order.create"]; c != 2+n {
		t.Errorf("%d sale.order.create calls, want the batch's and then one per order (%d)", c, 2+n)
	}
	good := append(append([]*schemas.OrderSync{}, cmds[:3]...), cmds[4:]...)
	checkOneEach(t, sim, good, "sale", "posted")
	if n := len(sim.Records("sale.order")); n != len(good) {
		t.Errorf("%d sale orders, want %d", n, len(good))
	}
}

// A batch confirmation Odoo refuses sends the batch's orders one at a time from what
// the batch made: each is confirmed alone, none is made twice.
func TestSinkBatchRefusedConfirmGoesOneAtATime(t *testing.T) {
	const n = 5
	sim, s := batchSink(t, n)
	sim.RefuseNext("sale.order", "action_confirm", 1, "Some orders are not valid")
	cmds := batchOrders(n, schemas.SaleOrderConfirmed, schemas.InvoiceNone)
	for i, err := range second(applyTogether(s, cmds)) {
		if err != nil {
			t.Errorf("order %d: %v", i, err)
		}
	}
	got := sim.Calls()
	if got["sale.order.create"] != 1 || got["sale.order.action_confirm"] != 1+n {
		t.Errorf("create %d, action_confirm %d: want 1 and 1+%d", got["sale.order.create"], got["sale.order.action_confirm"], n)
	}
	checkOneEach(t, sim, cmds, "sale", "")
}

// A transient fault Odoo answers to a batch call (a serialization failure: the call's
// transaction rolled back) sends the batch one order at a time at once: no order
// waits for a retry because a neighbour's call was unlucky.
func TestSinkBatchTransientFaultGoesOneAtATime(t *testing.T) {
	const n = 5
	sim, s := batchSink(t, n)
	sim.FailNext("sale.order", "create", 1)
	cmds := batchOrders(n, schemas.SaleOrderConfirmed, schemas.InvoiceNone)
	for i, err := range second(applyTogether(s, cmds)) {
		if err != nil {
			t.Errorf("order %d: %v", i, err)
		}
	}
	if c := sim.Calls()["sale.order.create"]; c != 1+n {
		t.Errorf("%d sale.order.create calls, want the batch's and one per order (%d)", c, 1+n)
	}
	checkOneEach(t, sim, cmds, "sale", "")
}

// crashing is a client whose process dies right after the call named: that call
// runs in Odoo but its answer is lost, and every later call fails as a dead Odoo
// connection does.
type crashing struct {
	Client
	after   string
	crashed atomic.Bool
}

func (c *crashing) Call(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
	if c.crashed.Load() {
		return nil, classifyTransport(model, method, fmt.Errorf("connection refused"))
	}
	res, err := c.Client.Call(ctx, model, method, args, kwargs)
	if model+"."+method == c.after {
		c.crashed.Store(true)
		return nil, classifyTransport(model, method, fmt.Errorf("connection reset by peer"))
	}
	return res, err
}

// A crash anywhere in a batch (after the create of the sale orders, before their
// external ids are registered; after the confirmation; after the invoices' create;
// after the registration), then the batch delivered again to a new process: exactly
// one sale order and one posted invoice per order, registered.
func TestBatchRestartMidBatchMakesOneRecordEach(t *testing.T) {
	for _, after := range []string{"sale.order.create", "sale.order.action_confirm", "account.move.create", "account.move.action_post", "ir.model.data.create"} {
		t.Run(after, func(t *testing.T) {
			sim, c := startSim(t, 17)
			const n = 8
			cmds := batchOrders(n, schemas.SaleOrderConfirmed, schemas.InvoicePosted)
			first := NewSyncer(&crashing{Client: c, after: after})
			b, err := first.Prefetch(context.Background(), cmds)
			if err != nil {
				t.Fatal(err)
			}
			_, errs := b.ApplyAll(context.Background(), cmds)
			failed := 0
			for _, err := range errs {
				if err != nil {
					if !IsRetriable(err) {
						t.Errorf("a crash is retriable, got %v", err)
					}
					failed++
				}
			}
			if failed == 0 {
				t.Fatal("no order saw the crash")
			}
			// The new process: its own Syncer, caches empty.
			again := NewSyncer(c)
			b, err = again.Prefetch(context.Background(), cmds)
			if err != nil {
				t.Fatal(err)
			}
			res, errs := b.ApplyAll(context.Background(), cmds)
			for i, err := range errs {
				if err != nil || res[i].ID == 0 || res[i].InvoiceID == 0 {
					t.Errorf("order %d redelivered: %+v %v", i, res[i], err)
				}
			}
			checkOneEach(t, sim, cmds, "sale", "posted")
		})
	}
}
