package odoo

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/synco-dev/synco/schemas"
)

// XMLIDModule is the ir.model.data module of every external id Synco registers.
const XMLIDModule = "synco"

// Every record Synco makes for an order is registered under an external id
// (ir.model.data, module synco) whose name is derived from the shop and the Shopify
// id, and found through it: (module, name) is a unique index, so one search_read finds
// the records of a whole batch of orders. The origin ("shopify:<shop>/<id>", the human
// reference) is the fallback for records made before external ids, and for a record
// whose registration was lost to a crash between its create and the registration.

// shopSlug is the shop as an external id part: "demo.myshopify.com" → "demo". Names
// must not contain dots (Odoo splits module.name on the first dot).
func shopSlug(shop string) string {
	s := strings.TrimSuffix(strings.ToLower(shop), ".myshopify.com")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// OrderXMLID is the external id name of an order's sale order.
func OrderXMLID(shop string, orderID int64) string {
	return fmt.Sprintf("shopify_%s_order_%d", shopSlug(shop), orderID)
}

// InvoiceXMLID is the external id name of an order's customer invoice (made from its
// sale order or directly).
func InvoiceXMLID(shop string, orderID int64) string {
	return OrderXMLID(shop, orderID) + "_invoice"
}

// RefundXMLID is the external id name of the credit note of a Shopify refund.
func RefundXMLID(shop string, refundID int64) string {
	return fmt.Sprintf("shopify_%s_refund_%d", shopSlug(shop), refundID)
}

// TransactionXMLID is the external id name of the payment of a Shopify transaction.
func TransactionXMLID(shop string, transactionID int64) string {
	return fmt.Sprintf("shopify_%s_transaction_%d", shopSlug(shop), transactionID)
}

// CustomerXMLID is the external id name of the partner Synco made for a Shopify
// customer.
func CustomerXMLID(shop string, customerID int64) string {
	return fmt.Sprintf("shopify_%s_customer_%d", shopSlug(shop), customerID)
}

// variantXMLID and productXMLID name a product a merchant mapped to a Shopify variant
// or product (lines without SKU are found through them).
func variantXMLID(variantID int64) string { return fmt.Sprintf("shopify_variant_%d", variantID) }
func productXMLID(productID int64) string { return fmt.Sprintf("shopify_product_%d", productID) }

// xmlRef is an ir.model.data row.
type xmlRef struct {
	id    int64 // the ir.model.data id
	model string
	resID int64
}

// existing is what Odoo holds for one order, as the look-up found it.
type existing struct {
	so, inv       Record // nil when there is none
	soXML, invXML xmlRef // zero when the record is not registered
	soDup         int    // further sale orders carrying the same origin (copies)
	// soLines and invLines are the lines Odoo holds (see edit.go), read with the
	// look-up so that an unchanged order costs nothing more.
	soLines, invLines []Record
	// fresh: made a moment ago by this process's batch (batchapply.go) from this very
	// snapshot, so there is nothing to follow (and its lines were not read).
	fresh bool
}

// Fields read of an order's records by the look-up.
func (d dialect) lookupSOFields() []string {
	return append(d.SaleOrderFields(), "origin", "partner_id", "partner_invoice_id", "partner_shipping_id",
		"currency_id", "amount_untaxed", "amount_tax", "amount_total", "order_line", "payment_term_id", "fiscal_position_id", "note")
}

var lookupInvoiceFields = []string{"id", "name", "state", "move_type", "invoice_origin", "currency_id",
	"amount_untaxed", "amount_tax", "amount_total", "payment_state", "partner_id", "partner_shipping_id",
	"narration", "invoice_line_ids", "ref"}

// Batch holds the records of a batch of orders found in one look-up. Each order's
// look-up is used once, by the first Apply of that order through the batch; a second
// Apply (a later command for the same order) looks up again.
type Batch struct {
	s     *Syncer
	mu    sync.Mutex
	found map[string]*existing // by StableKey
	Calls int                  // RPC calls the look-up made (shared by the batch)
}

// Prefetch finds the Odoo records of many orders (all of one shop's Odoo) at once:
// one search of ir.model.data for all their external ids, one read per model of what
// it found, and one search by origin per model for the orders it did not find.
func (s *Syncer) Prefetch(ctx context.Context, cmds []*schemas.OrderSync) (*Batch, error) {
	v, err := s.c.Version(ctx)
	if err != nil {
		return nil, err
	}
	cc := &counter{Client: s.c}
	found, err := lookup(ctx, cc, dialect{version: v}, cmds)
	if err != nil {
		return nil, err
	}
	return &Batch{s: s, found: found, Calls: int(cc.n.Load())}, nil
}

// Apply applies one command of the batch (see Syncer.Apply).
func (b *Batch) Apply(ctx context.Context, cmd *schemas.OrderSync) (Result, error) {
	var ex *existing
	if cmd != nil {
		key := StableKey(cmd.Shop, cmd.OrderID)
		b.mu.Lock()
		ex = b.found[key]
		delete(b.found, key)
		b.mu.Unlock()
	}
	return b.s.apply(ctx, cmd, ex)
}

// lookup finds the sale order and invoice of every command's order.
func lookup(ctx context.Context, c Client, d dialect, cmds []*schemas.OrderSync) (map[string]*existing, error) {
	out := map[string]*existing{}
	byName := map[string]*existing{}
	names := []any{}
	var keys []string
	for _, cmd := range cmds {
		key := StableKey(cmd.Shop, cmd.OrderID)
		if _, ok := out[key]; ok {
			continue
		}
		ex := &existing{}
		out[key] = ex
		keys = append(keys, key)
		on, in := OrderXMLID(cmd.Shop, cmd.OrderID), InvoiceXMLID(cmd.Shop, cmd.OrderID)
		byName[on], byName[in] = ex, ex
		names = append(names, on, in)
	}
	if len(names) == 0 {
		return out, nil
	}
	refs, err := SearchRead(ctx, c, "ir.model.data",
		[]any{[]any{"module", "=", XMLIDModule}, []any{"name", "in", names}},
		[]string{"id", "name", "model", "res_id"}, nil)
	if err != nil {
		return nil, err
	}
	var soIDs, invIDs []int64
	for _, ref := range refs {
		ex := byName[ref.String("name")]
		if ex == nil {
			continue
		}
		x := xmlRef{id: ref.ID(), model: ref.String("model"), resID: ref.Int("res_id")}
		switch {
		case x.model == "sale.order":
			ex.soXML = x
			soIDs = append(soIDs, x.resID)
		case x.model == "account.move":
			ex.invXML = x
			invIDs = append(invIDs, x.resID)
		}
	}
	// Registered records, read by id.
	soByID := map[int64]Record{}
	if len(soIDs) > 0 {
		got, err := Read(ctx, c, "sale.order", soIDs, d.lookupSOFields())
		if err != nil {
			return nil, err
		}
		for _, r := range got {
			soByID[r.ID()] = r
		}
	}
	invByID := map[int64]Record{}
	if len(invIDs) > 0 {
		got, err := Read(ctx, c, "account.move", invIDs, lookupInvoiceFields)
		if err != nil {
			return nil, err
		}
		for _, r := range got {
			invByID[r.ID()] = r
		}
	}
	var soMiss []any
	for _, key := range keys {
		ex := out[key]
		ex.so = soByID[ex.soXML.resID]
		ex.inv = invByID[ex.invXML.resID]
		// A registered order is found: Synco registers its records together, in one
		// create, so one of them registered means none is missing a registration.
		if ex.soXML.id == 0 && ex.invXML.id == 0 {
			soMiss = append(soMiss, key)
		}
	}
	// Older records (or a registration lost to a crash): by origin. A sale order the
	// user duplicated carries the same origin; the oldest is the order's.
	if len(soMiss) > 0 {
		got, err := SearchRead(ctx, c, "sale.order", []any{[]any{"origin", "in", soMiss}}, d.lookupSOFields(), map[string]any{"order": "id"})
		if err != nil {
			return nil, err
		}
		for _, r := range got {
			ex := out[r.String("origin")]
			if ex == nil {
				continue
			}
			if ex.so == nil {
				ex.so = r
			} else {
				ex.soDup++
			}
		}
	}
	var invMiss []any
	for _, key := range keys {
		if ex := out[key]; ex.so == nil && ex.inv == nil && ex.soXML.id == 0 && ex.invXML.id == 0 {
			invMiss = append(invMiss, key)
		}
	}
	if len(invMiss) > 0 {
		got, err := SearchRead(ctx, c, "account.move",
			[]any{[]any{"move_type", "=", "out_invoice"}, []any{"invoice_origin", "in", invMiss}},
			lookupInvoiceFields, map[string]any{"order": "id"})
		if err != nil {
			return nil, err
		}
		for _, r := range got {
			if ex := out[r.String("invoice_origin")]; ex != nil && ex.inv == nil {
				ex.inv = r
			}
		}
	}
	if err := readHeldLines(ctx, c, d, out); err != nil {
		return nil, err
	}
	return out, nil
}

// pendingXMLID is an external id to register (or to point at a new record when it
// exists: ref.id > 0).
type pendingXMLID struct {
	name, model string
	resID       int64
	ref         xmlRef
}

// register notes an external id to write at the end of the run.
func (r *run) register(name, model string, resID int64, ref xmlRef) {
	if resID == 0 || (ref.id > 0 && ref.resID == resID && ref.model == model) {
		return
	}
	r.pending = append(r.pending, pendingXMLID{name: name, model: model, resID: resID, ref: ref})
}

// flushXMLIDs registers the run's new external ids in one create (and repoints stale
// ones). A duplicate (someone registered the same name meanwhile) is a warning, not a
// failure: the records exist and are found by origin until then.
func (r *run) flushXMLIDs(ctx context.Context) error {
	var create []map[string]any
	for _, p := range r.pending {
		if p.ref.id > 0 {
			if err := Write(ctx, r.c, "ir.model.data", []int64{p.ref.id}, map[string]any{"model": p.model, "res_id": p.resID}); err != nil {
				return err
			}
			continue
		}
		create = append(create, map[string]any{"module": XMLIDModule, "name": p.name, "model": p.model, "res_id": p.resID, "noupdate": true})
	}
	r.pending = nil
	if len(create) == 0 {
		return nil
	}
	if _, err := CreateMany(ctx, r.c, "ir.model.data", create, nil); err != nil {
		if IsPermanent(err) && strings.Contains(err.Error(), "ir_model_data_module_name_uniq_index") {
			r.warn("external ids not registered (already taken): %v", err)
			return nil
		}
		return err
	}
	return nil
}
