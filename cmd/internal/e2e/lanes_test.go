package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/synco-dev/synco/odoosim"
	"github.com/synco-dev/synco/schemas"
)

// TestHangingOdooDelaysNoOtherShop: one shop's Odoo hangs (takes the request, never
// answers). Another shop's orders, on the same partitions, sync all the same; the
// hung shop's orders wait, and sync once their Odoo answers again, each once.
func TestHangingOdooDelaysNoOtherShop(t *testing.T) {
	h := newHarness(t, draftSaleOrders)
	const hungShop = "hung.myshopify.com"
	hung := odoosim.New(odoosim.Options{Version: 17})
	ln := listen(t)
	srv := &http.Server{Handler: hung.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { hung.SetHang(false); srv.Close() })
	h.others = append(h.others, otherShop{domain: hungShop, secret: "hung-secret",
		// A long call timeout: the orders really wait on the hung Odoo.
		odoo: fmt.Sprintf("{url: %q, db: synco, username: admin, password: admin, protocol: xmlrpc, call_timeout: 5m}", "http://"+ln.Addr().String())})
	h.start(allStages...)
	hung.SetHang(true)

	const n = 8
	base := int64(5_531_234_100_000)
	for i := range int64(n) {
		o := variant(t, base+i, 2000+int(i), "2025-03-03T09:00:00Z", "2025-03-03T09:00:00Z", "paid")
		if code, msg := h.deliver(delivery{topic: "orders/create", webhookID: fmt.Sprint("hung-", i), body: o.body(t), shop: hungShop}); code != 200 {
			t.Fatalf("hung shop's webhook: %d %s", code, msg)
		}
	}
	for i := range int64(n) {
		o := variant(t, base+100+i, 3000+int(i), "2025-03-03T09:00:00Z", "2025-03-03T09:00:00Z", "paid")
		h.webhook("orders/create", fmt.Sprint("good-", i), o.body(t))
	}
	for i := range int64(n) {
		h.waitOrder(base+100+i, "synced while the other shop's Odoo hangs", status("synced"))
	}
	// Both shops' commands share partitions: the good shop did not wait behind a
	// hung order of its partition.
	parts := map[string]map[int32]bool{}
	for _, r := range h.readTopic(schemas.TopicCommands) {
		var c schemas.OrderSync
		if err := h.running[0].rt.Serde.Decode(t.Context(), schemas.TopicCommands, r.Value, &c); err != nil {
			t.Fatal(err)
		}
		if parts[c.Shop] == nil {
			parts[c.Shop] = map[int32]bool{}
		}
		parts[c.Shop][r.Partition] = true
	}
	shared := 0
	for p := range parts[hungShop] {
		if parts[shopDomain][p] {
			shared++
		}
	}
	if shared == 0 {
		t.Fatalf("no partition holds both shops' commands (%v): the test proves nothing", parts)
	}
	for _, row := range h.orderRowsOf(hungShop) {
		if row.Status == schemas.StatusSynced {
			t.Errorf("order %s synced although its Odoo hangs", row.OrderID)
		}
	}

	hung.SetHang(false)
	deadline := time.Now().Add(waitFor)
	for {
		synced := 0
		for _, row := range h.orderRowsOf(hungShop) {
			if row.Status == schemas.StatusSynced {
				synced++
			}
		}
		if synced == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d of the hung shop's orders synced after its Odoo answered again", synced, n)
		}
		h.checkAlive()
		time.Sleep(100 * time.Millisecond)
	}
	if got := len(hung.Records("sale.order")); got != n {
		t.Errorf("the hung shop's Odoo holds %d sale orders, want %d", got, n)
	}
}
