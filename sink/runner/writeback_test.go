package runner

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
	"github.com/synco-dev/synco/shopifysim"
	"github.com/synco-dev/synco/sink/writeback"
)

type oneShop struct{ c *admin.Client }

func (o oneShop) Client(shop string) (*admin.Client, bool) { return o.c, shop == o.c.Shop() }

// TestWriteBackAfterOdoo: a synced order's Odoo id reaches its custom.odoo_id; Shopify
// down parks the order through the retry topics (the outcome keeps the Odoo id); on
// the last attempt, or for a permanent refusal, the order is synced with a warning
// that says the write-back failed.
func TestWriteBackAfterOdoo(t *testing.T) {
	sim, c := shopifysim.StartT(t, shopifysim.Options{Shop: shop},
		admin.Config{MaxAttempts: 1, BackoffBase: time.Millisecond, BackoffMax: time.Millisecond})
	w := newWorld(t, func(d *OdooDeps) { d.WriteBack = writeback.New(oneShop{c}, d.Log) })
	outs := w.collect(schemas.TopicOutcomes)
	retries := w.collect(schemas.RetryTopics[0])
	orders := sim.AddSampleOrders(4, time.Now().Add(-time.Hour))
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	outcome := func(id int64, status string) *schemas.SyncOutcome {
		var found *schemas.SyncOutcome
		eventually(t, status+" outcome of order", func() bool {
			for _, o := range w.outcomes(outs) {
				if o.OrderID == id && o.Status == status {
					found = &o
					return true
				}
			}
			return false
		})
		return found
	}
	value := func(id int64) string {
		o, _ := sim.Order(id)
		for _, m := range o.Metafields {
			if m.Namespace == "custom" && m.Key == "odoo_id" {
				return m.Value
			}
		}
		return ""
	}

	ok := orders[0].ID
	w.publish(schemas.TopicCommands, command(ok, t0, 0))
	if o := outcome(ok, schemas.StatusSynced); value(ok) == "" || value(ok) != itoa(o.OdooID) || len(o.Warnings) != 0 {
		t.Errorf("synced order: metafield %q, outcome %+v", value(ok), o)
	}

	down := orders[1].ID
	sim.InjectFault(shopifysim.Fault{Op: "MetafieldsSet", Status: 503})
	w.publish(schemas.TopicCommands, command(down, t0, 0))
	o := outcome(down, schemas.StatusDelayed)
	if o.OdooID == 0 || o.RetryAt == nil || !strings.Contains(o.Error, "custom.odoo_id") {
		t.Errorf("shopify down: outcome %+v", o)
	}
	eventually(t, "the order's command in the first retry topic", func() bool { return len(retries.snapshot()) == 1 })

	last := orders[2].ID
	sim.InjectFault(shopifysim.Fault{Op: "MetafieldsSet", Status: 503})
	w.publish(schemas.TopicCommands, command(last, t0, int32(len(schemas.RetryTopics))))
	if o := outcome(last, schemas.StatusSynced); !slices.ContainsFunc(o.Warnings, func(s string) bool { return strings.Contains(s, "custom.odoo_id") }) {
		t.Errorf("last attempt: warnings %q", o.Warnings)
	}

	refused := orders[3].ID
	sim.EditOrder(refused, func(o *shopifysim.Order) {
		o.Metafields = append(o.Metafields, &shopifysim.Metafield{ID: 1, Namespace: "custom", Key: "odoo_id", Type: "number_integer", Value: "1"})
	})
	w.publish(schemas.TopicCommands, command(refused, t0, 0))
	if o := outcome(refused, schemas.StatusSynced); len(o.Warnings) != 1 || !strings.Contains(o.Warnings[0], "custom.odoo_id") || o.OdooID == 0 {
		t.Errorf("refused write-back: %+v", o)
	}
	if got := len(retries.snapshot()); got != 1 {
		t.Errorf("%d retry records, want only the one of Shopify down", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
