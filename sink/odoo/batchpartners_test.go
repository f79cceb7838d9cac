package odoo

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/synco-dev/synco/schemas"
)

// losingListCreate runs the first list create of model in Odoo but loses its answer
// (a connection reset after Odoo committed); every other call goes through.
type losingListCreate struct {
	Client
	model string
	lost  atomic.Bool
}

func (c *losingListCreate) Call(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
	res, err := c.Client.Call(ctx, model, method, args, kwargs)
	if model == c.model && method == "create" && len(args) > 0 && err == nil && !c.lost.Load() {
		if _, list := args[0].([]any); list {
			c.lost.Store(true)
			return nil, classifyTransport(model, method, fmt.Errorf("connection reset by peer"))
		}
	}
	return res, err
}

// The batch's create of its new buyers runs in Odoo but its answer is lost: the
// buyers exist, so each order finds its buyer again instead of making a second one.
func TestBatchLostPartnerCreateMakesNoSecondPartner(t *testing.T) {
	sim, c := startSim(t, 17)
	cmds := batchOrders(6, schemas.SaleOrderConfirmed, schemas.InvoiceNone)
	lc := &losingListCreate{Client: c, model: "res.partner"}
	s := NewSyncer(lc)
	b, err := s.Prefetch(context.Background(), cmds)
	if err != nil {
		t.Fatal(err)
	}
	b.ApplyAll(context.Background(), cmds)
	if !lc.lost.Load() {
		t.Fatal("the batch made no list create of partners")
	}
	count := map[string]int{}
	for _, p := range sim.Records("res.partner") {
		if e, _ := p["email"].(string); strings.HasPrefix(e, "buyer") {
			count[e]++
		}
	}
	if len(count) != 3 {
		t.Errorf("partners of the 3 buyers: %v", count)
	}
	for e, n := range count {
		if n != 1 {
			t.Errorf("%d partners for %s, want 1", n, e)
		}
	}
}

// A batch whose orders each bring a new SKU makes all those products in one create
// (Synco's own products — shipping, a line without SKU — are made by the first order
// that needs them, in its one call), and each order's line holds its own product.
func TestBatchMakesNewProductsInOneCreate(t *testing.T) {
	const n = 12
	sim, s := batchSink(t, n)
	cmds := batchOrders(n, schemas.SaleOrderConfirmed, schemas.InvoicePosted)
	for i, cmd := range cmds {
		cmd.Order.LineItems[0].SKU = fmt.Sprintf("NEW-SKU-%d", i)
	}
	res, errs := applyTogether(s, cmds)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
	}
	if got := sim.Calls()["product.product.create"]; got != 2 {
		t.Errorf("%d product creates for %d orders with a new SKU each, want 2 (the batch's SKUs, then Synco's own)", got, n)
	}
	products := byID(sim.Records("product.product"))
	lines := sim.Records("sale.order.line")
	for i, r := range res {
		want := fmt.Sprintf("NEW-SKU-%d", i)
		found := false
		for _, l := range lines {
			if toInt(l["order_id"]) == r.ID && products[toInt(l["product_id"])]["default_code"] == want {
				found = true
			}
		}
		if !found {
			t.Errorf("order %d: no line with product %s", i, want)
		}
	}
	codes := map[string]int{}
	for _, p := range products {
		if c, _ := p["default_code"].(string); c != "" {
			codes[c]++
		}
	}
	for i := range n {
		if c := codes[fmt.Sprintf("NEW-SKU-%d", i)]; c != 1 {
			t.Errorf("%d products NEW-SKU-%d, want 1", c, i)
		}
	}
}

// The batch's create of its new SKUs runs in Odoo but its answer is lost: each order
// then searches and finds its product instead of making a second one.
func TestBatchLostProductCreateMakesNoSecondProduct(t *testing.T) {
	sim, c := startSim(t, 17)
	cmds := batchOrders(6, schemas.SaleOrderConfirmed, schemas.InvoiceNone)
	for i, cmd := range cmds {
		cmd.Order.LineItems[0].SKU = fmt.Sprintf("LOST-SKU-%d", i)
	}
	lc := &losingListCreate{Client: c, model: "product.product"}
	b, err := NewSyncer(lc).Prefetch(context.Background(), cmds)
	if err != nil {
		t.Fatal(err)
	}
	_, errs := b.ApplyAll(context.Background(), cmds)
	if !lc.lost.Load() {
		t.Fatal("the batch made no list create of products")
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("order %d: %v", i, err)
		}
	}
	count := map[string]int{}
	for _, p := range sim.Records("product.product") {
		if code, _ := p["default_code"].(string); strings.HasPrefix(code, "LOST-SKU-") {
			count[code]++
		}
	}
	if len(count) != 6 {
		t.Errorf("products of the 6 SKUs: %v", count)
	}
	for code, n := range count {
		if n != 1 {
			t.Errorf("%d products %s, want 1", n, code)
		}
	}
}
