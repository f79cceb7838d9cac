package odoo

import (
	"context"
	"slices"

	"github.com/synco-dev/synco/schemas"
)

// A batch's new orders go into Odoo together: Odoo takes a list where it matters
// (sale.order.create of 20 orders costs 14 ms an order on Odoo 17 where one costs 75;
// action_confirm of 10, 78 ms an order where one costs 179). For the orders of a batch
// with nothing in Odoo yet, ApplyAll makes one search of their buyers and one of their
// products, one create of their sale orders (or direct invoices), one action_confirm
// of the list, one read, one create of their invoices, one action_post of the list,
// one read of the invoices and one registration of every external id; then each order
// goes the per-order way (run.apply) with what the batch made as what Odoo holds, and
// that finds it in the state it wants and does what is left.
//
// A batch call Odoo refuses (one order's partner or product it will not take fails
// the whole call, one transaction) or answers with a transient fault sends its orders
// one at a time, so the bad one fails alone with Odoo's message and the others land.
// An Odoo that cannot be reached or does not answer fails the call's orders with the
// error: their retries find what was made by its origin or external id, as after a
// crash between any two calls (sale orders are created with their origin, direct
// invoices with their invoice_origin, so a crash before the registration makes no
// duplicate).

// batchOrder is one new order going through a batch.
type batchOrder struct {
	i     int
	cmd   *schemas.OrderSync
	ex    *existing // what the batch's look-up found (nothing), then what the batch made
	r     *run      // the run that resolved its values (its calls, warnings, external ids)
	cc    *counter
	vals  map[string]any
	lines []line
	so    Record // the sale order made (nil for a direct invoice)
	inv   Record // the invoice made

	state   int       // pending, failed (err) or alone (goes one at a time)
	err     error     // failed: the order's error
	aloneEx *existing // alone: what it starts from (nil: its own look-up)
}

const (
	boPending = iota
	boFailed
	boAlone
)

func (bo *batchOrder) live() bool { return bo.state == boPending }

// batchable is a command the batch can make in Odoo with the others: a new document
// the per-order path would make in one create (no rounding line, which needs a read
// before the confirmation; no cancelled order).
func batchable(cmd *schemas.OrderSync) bool {
	if cmd.Settings.RoundingLine || cmd.SaleOrder == schemas.SaleOrderCancelled {
		return false
	}
	r := run{cmd: cmd}
	return r.wantsSaleOrder() || r.wantsInvoice()
}

func (ex *existing) empty() bool {
	return ex != nil && ex.so == nil && ex.inv == nil && ex.soXML.id == 0 && ex.invXML.id == 0
}

// ApplyAll applies every command of the batch (see above), in results and errors
// of the same index. Result.Calls shares the batch's calls (its look-up, its list
// calls) among the batch's commands, so their sum is the calls made.
func (b *Batch) ApplyAll(ctx context.Context, cmds []*schemas.OrderSync) ([]Result, []error) {
	s := b.s
	out := make([]Result, len(cmds))
	errs := make([]error, len(cmds))
	var group []*batchOrder
	var single []int
	v, verr := s.c.Version(ctx)
	b.mu.Lock()
	seen := map[string]bool{}
	for i, cmd := range cmds {
		if verr == nil && cmd != nil && cmd.Shop != "" && cmd.OrderID != 0 {
			key := StableKey(cmd.Shop, cmd.OrderID)
			if ex := b.found[key]; !seen[key] && ex.empty() && batchable(cmd) {
				seen[key] = true
				delete(b.found, key)
				group = append(group, &batchOrder{i: i, cmd: cmd, ex: ex})
				continue
			}
			seen[key] = true
		}
		single = append(single, i)
	}
	if len(group) == 1 { // nothing to share: the per-order way
		single = append(single, group[0].i)
		b.found[StableKey(group[0].cmd.Shop, group[0].cmd.OrderID)] = group[0].ex
		slices.Sort(single)
		group = nil
	}
	b.mu.Unlock()
	shared := &counter{Client: s.c}
	if len(group) > 0 {
		s.applyGroup(ctx, shared, v, group)
		s.registerGroup(ctx, shared, group)
		for _, bo := range group {
			var res Result
			var err error
			switch bo.state {
			case boFailed:
				res, err = Result{Warnings: bo.r.warnings}, bo.err
				if res.Warnings == nil {
					res.Warnings = []string{}
				}
			case boAlone:
				res, err = s.apply(ctx, bo.cmd, bo.aloneEx)
			default:
				ex := &existing{so: bo.so, inv: bo.inv, soXML: bo.ex.soXML, invXML: bo.ex.invXML, fresh: true}
				res, err = s.apply(ctx, bo.cmd, ex)
				res.Warnings = mergeWarnings(bo.r.warnings, res.Warnings)
			}
			res.Calls += int(bo.cc.n.Load())
			out[bo.i], errs[bo.i] = res, err
		}
	}
	for _, i := range single {
		out[i], errs[i] = b.Apply(ctx, cmds[i])
	}
	// The shared calls, spread so that the results add up to what Odoo saw.
	total := b.Calls + int(shared.n.Load())
	for i := range out {
		out[i].Calls += total / len(out)
		if i < total%len(out) {
			out[i].Calls++
		}
	}
	return out, errs
}

// mergeWarnings is the batch's warnings then the per-order path's, each once (both
// choose the order's money, and may say so).
func mergeWarnings(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for _, w := range slices.Concat(a, b) {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// applyGroup makes the group's documents in Odoo with list calls (see above).
func (s *Syncer) applyGroup(ctx context.Context, c *counter, version int, group []*batchOrder) {
	absent := map[string]bool{}
	runs := make([]*run, len(group))
	for k, bo := range group {
		bo.cc = &counter{Client: s.c}
		bo.r = newRun(s, bo.cc, bo.cmd, version)
		bo.r.absent = absent
		var w string
		if bo.r.money, w = chooseMoney(bo.r.o, bo.cmd.Settings.Currency); w != "" {
			bo.r.warn("%s", w)
		}
		runs[k] = bo.r
	}
	if err := s.prefetchParts(ctx, c, runs, absent); err != nil {
		// Each order searches its own buyer and products.
		clear(absent)
		s.log.Warn("odoo: batch search of partners and products failed; each order searches its own", "orders", len(group), "err", err)
	} else if err := s.createPartners(ctx, c, runs, absent); err != nil {
		s.log.Warn("odoo: batch create of new customers failed; each order finds or makes its own", "orders", len(group), "err", err)
	}
	if err := s.createProducts(ctx, c, runs, absent); err != nil {
		s.log.Warn("odoo: batch create of new products failed; each order finds or makes its own", "orders", len(group), "err", err)
	}
	// Values, one order at a time (calls only for what is not found yet: a new buyer,
	// a new SKU, a tax).
	var sos, dis []*batchOrder
	for _, bo := range group {
		var err error
		if bo.r.wantsSaleOrder() {
			bo.vals, bo.lines, _, err = bo.r.saleOrderVals(ctx)
		} else {
			bo.vals, _, err = bo.r.directInvoiceVals(ctx)
		}
		switch {
		case err != nil && bo.r.usedCache && isMissingRecord(err):
			bo.state, bo.aloneEx = boAlone, bo.ex // a cached record vanished: the per-order way flushes and retries
		case err != nil:
			bo.state, bo.err = boFailed, err
		case bo.r.wantsSaleOrder():
			sos = append(sos, bo)
		default:
			dis = append(dis, bo)
		}
	}
	made := func(bos []*batchOrder, model string, ids []int64) {
		for k, bo := range bos {
			rec := Record{"id": ids[k]}
			if model == "sale.order" {
				bo.so = rec
				bo.r.register(OrderXMLID(bo.cmd.Shop, bo.cmd.OrderID), model, ids[k], bo.ex.soXML)
				s.log.Info("odoo: created sale order", "order", bo.r.key, "id", ids[k], "batch", len(bos))
			} else {
				bo.inv = rec
				bo.r.register(InvoiceXMLID(bo.cmd.Shop, bo.cmd.OrderID), model, ids[k], bo.ex.invXML)
				s.log.Info("odoo: created invoice", "order", bo.r.key, "id", ids[k], "batch", len(bos))
			}
		}
	}
	if ids, err := createAll(ctx, c, "sale.order", sos); err != nil {
		s.stepFailed(err, sos, false, "sale.order.create")
	} else {
		made(sos, "sale.order", ids)
	}
	if ids, err := createAll(ctx, c, "account.move", dis); err != nil {
		s.stepFailed(err, dis, false, "account.move.create")
	} else {
		made(dis, "account.move", ids)
	}
	// Confirm what is to be confirmed (an invoice needs a confirmed order).
	confirm := liveOf(sos, func(bo *batchOrder) bool {
		return bo.cmd.SaleOrder == schemas.SaleOrderConfirmed || bo.r.wantsInvoice()
	})
	if len(confirm) > 0 {
		if _, err := c.Call(ctx, "sale.order", "action_confirm", []any{idsOf(confirm, func(bo *batchOrder) Record { return bo.so })}, nil); err != nil {
			s.stepFailed(err, confirm, true, "sale.order.action_confirm")
		}
	}
	// What Odoo computed (name, state, totals, lines, partners): the invoice's values
	// and the per-order path's checks.
	if read := liveOf(sos, nil); len(read) > 0 {
		s.reread(ctx, c, "sale.order", read[0].r.d.lookupSOFields(), read, func(bo *batchOrder) *Record { return &bo.so })
	}
	// Invoices of the sale orders.
	var invs []*batchOrder
	var delivered [][]string
	for _, bo := range liveOf(sos, func(bo *batchOrder) bool { return bo.r.wantsInvoice() }) {
		vals, dl, err := bo.r.invoiceFromOrderVals(ctx, bo.so, bo.lines)
		if err != nil {
			bo.state = boAlone
			continue
		}
		bo.vals = vals
		invs = append(invs, bo)
		delivered = append(delivered, dl)
	}
	if ids, err := createAll(ctx, c, "account.move", invs); err != nil {
		s.stepFailed(err, invs, true, "account.move.create")
	} else {
		for k, bo := range invs {
			bo.r.invoiceMade(bo.so, ids[k], bo.ex, delivered[k])
			bo.inv = Record{"id": ids[k]}
			bo.so["invoice_ids"] = append(slices.Clone(anyList(bo.so["invoice_ids"])), ids[k])
		}
	}
	withInvoice := liveOf(slices.Concat(dis, sos), func(bo *batchOrder) bool { return bo.inv != nil })
	post := liveOf(withInvoice, func(bo *batchOrder) bool { return bo.cmd.Invoice == schemas.InvoicePosted })
	if len(post) > 0 {
		// action_post answers False; tolerate the None fault in case a version answers None.
		if _, err := c.Call(ctx, "account.move", "action_post", []any{idsOf(post, func(bo *batchOrder) Record { return bo.inv })}, nil); err != nil && !IsNoneFault(err) {
			s.stepFailed(err, post, true, "account.move.action_post")
		}
	}
	if read := liveOf(withInvoice, nil); len(read) > 0 {
		s.reread(ctx, c, "account.move", lookupInvoiceFields, read, func(bo *batchOrder) *Record { return &bo.inv })
	}
}

// reread replaces each order's document (doc) with what Odoo holds of it now, in one
// read; an order whose document vanished right after its create goes the per-order
// way, which says so.
func (s *Syncer) reread(ctx context.Context, c Client, model string, fields []string, bos []*batchOrder, doc func(*batchOrder) *Record) {
	got, err := Read(ctx, c, model, idsOf(bos, func(bo *batchOrder) Record { return *doc(bo) }), fields)
	if err != nil {
		s.stepFailed(err, bos, true, model+".read")
	}
	byID := map[int64]Record{}
	for _, g := range got {
		byID[g.ID()] = g
	}
	for _, bo := range liveOf(bos, nil) {
		d := doc(bo)
		if *d = byID[d.ID()]; *d == nil {
			bo.state = boAlone
		}
	}
}

func anyList(v any) []any { l, _ := v.([]any); return l }

// liveOf is the orders still going through the batch (and keep, when given, says yes).
func liveOf(bos []*batchOrder, keep func(*batchOrder) bool) []*batchOrder {
	var out []*batchOrder
	for _, bo := range bos {
		if bo.live() && (keep == nil || keep(bo)) {
			out = append(out, bo)
		}
	}
	return out
}

func idsOf(bos []*batchOrder, rec func(*batchOrder) Record) []int64 {
	ids := make([]int64, len(bos))
	for k, bo := range bos {
		ids[k] = rec(bo).ID()
	}
	return ids
}

// createAll creates the live orders' values in one call.
func createAll(ctx context.Context, c Client, model string, bos []*batchOrder) ([]int64, error) {
	if len(bos) == 0 {
		return nil, nil
	}
	vals := make([]map[string]any, len(bos))
	for k, bo := range bos {
		vals[k] = bo.vals
	}
	return CreateMany(ctx, c, model, vals, nil)
}

// stepFailed handles a batch call that failed for the live orders of bos. When Odoo
// answered (it refused, or a transient fault such as a serialization failure: the
// call's transaction was rolled back), they go one at a time, from scratch when the
// batch already made their records (made), so one order's trouble stays its own.
// When Odoo could not be reached or did not answer, they fail with the error and are
// retried (what the call may have made is found by its origin then).
func (s *Syncer) stepFailed(err error, bos []*batchOrder, made bool, step string) {
	perm := IsPermanent(err) || !unreachable(err)
	if perm {
		s.log.Warn("odoo: Odoo answered a batch call with an error; its orders go one at a time", "call", step, "orders", len(bos), "err", err)
	}
	for _, bo := range bos {
		if !bo.live() {
			continue
		}
		switch {
		case perm && made:
			bo.state, bo.aloneEx = boAlone, nil
		case perm:
			bo.state, bo.aloneEx = boAlone, bo.ex
		default:
			bo.state, bo.err = boFailed, err
		}
	}
}

// registerGroup registers the external ids of everything the group made in one
// create. When that fails, the per-order path registers each order's own (it sees
// them unregistered), and until then they are found by origin.
func (s *Syncer) registerGroup(ctx context.Context, c Client, group []*batchOrder) {
	var create []map[string]any
	type dest struct {
		bo    *batchOrder
		model string
		resID int64
	}
	var to []dest
	names := map[string]bool{}
	for _, bo := range group {
		if bo.r == nil {
			continue
		}
		for _, p := range bo.r.pending {
			if p.ref.id > 0 || names[p.name] {
				// A stale registration to repoint: the per-order path does it. A name
				// twice (two orders of one new customer): the first is registered.
				continue
			}
			names[p.name] = true
			create = append(create, map[string]any{"module": XMLIDModule, "name": p.name, "model": p.model, "res_id": p.resID, "noupdate": true})
			to = append(to, dest{bo, p.model, p.resID})
		}
	}
	if len(create) == 0 {
		return
	}
	ids, err := CreateMany(ctx, c, "ir.model.data", create, nil)
	if err != nil {
		s.log.Warn("odoo: batch registration of external ids failed; each order registers its own", "ids", len(create), "err", err)
		return
	}
	for k, d := range to {
		ref := xmlRef{id: ids[k], model: d.model, resID: d.resID}
		switch d.model {
		case "sale.order":
			d.bo.ex.soXML = ref
		case "account.move":
			d.bo.ex.invXML = ref
		}
	}
	for _, bo := range group {
		if bo.r != nil {
			bo.r.pending = slices.DeleteFunc(bo.r.pending, func(p pendingXMLID) bool { return names[p.name] })
		}
	}
}
