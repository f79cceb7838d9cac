package odoo

import (
	"context"
	"strings"
)

// prefetchParts finds the buyers and products of a batch's new orders in one search
// each (and one search of the mapped products of lines without SKU), into the
// Syncer's caches, where each order's resolution finds them without a call. What the
// searches did not find is noted in absent, so the order that makes it does not search
// again.
func (s *Syncer) prefetchParts(ctx context.Context, c Client, runs []*run, absent map[string]bool) error {
	if err := s.prefetchPartners(ctx, c, runs, absent); err != nil {
		return err
	}
	return s.prefetchProducts(ctx, c, runs, absent)
}

func (s *Syncer) prefetchPartners(ctx context.Context, c Client, runs []*run, absent map[string]bool) error {
	queries := map[string]partnerQuery{}
	var terms []any
	s.mu.Lock()
	for _, r := range runs {
		cs := r.cmd.Settings.Customer
		if cs.Mode == "single" && cs.PartnerID > 0 && (!cs.GuestsOnly || r.o.Customer == nil) {
			continue // the shop's one partner
		}
		q := r.partnerQuery()
		if _, ok := queries[q.key]; ok || s.partners[q.key] > 0 {
			continue
		}
		queries[q.key] = q
		terms = append(terms, q.domain...)
	}
	s.mu.Unlock()
	if len(terms) == 0 {
		return nil
	}
	domain := make([]any, 0, 2*len(terms))
	for range len(terms) - 1 {
		domain = append(domain, "|")
	}
	domain = append(domain, terms...)
	found, err := SearchRead(ctx, c, "res.partner", domain, partnerFields, map[string]any{"order": "id"})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, q := range queries {
		var hit Record
		for _, p := range found {
			if q.matches(p) {
				hit = p
				break
			}
		}
		if hit == nil {
			absent["partner/"+key] = true
			continue
		}
		s.partners[key] = hit.ID()
		s.partnerAddrs[hit.ID()] = hit
	}
	return nil
}

func (s *Syncer) prefetchProducts(ctx context.Context, c Client, runs []*run, absent map[string]bool) error {
	codes := map[string]bool{}
	legacy := map[string]bool{}
	var noSKU []line
	for _, r := range runs {
		ps := r.cmd.Settings.Products
		for code, configured := range map[string]int64{ShippingCode: ps.ShippingID, CustomItemCode: ps.FallbackID, TipCode: ps.TipID,
			DutyCode: ps.DutyID, FeeCode: ps.FeeID, GiftCardCode: ps.GiftCardID, RoundingCode: ps.RoundingID} {
			if configured == 0 {
				codes[code] = true
			}
		}
		for i := range r.o.LineItems {
			li := &r.o.LineItems[i]
			switch sku := strings.TrimSpace(li.SKU); {
			case li.Qty() <= 0, li.GiftCard:
			case sku != "":
				codes[sku] = true
			default:
				noSKU = append(noSKU, line{noSKU: li})
				if li.VariantID != 0 {
					legacy[legacyVariantCode(li.VariantID)] = true
				}
			}
		}
	}
	if len(noSKU) > 0 {
		// The mapped products, into the Syncer's cache of them.
		pr := &run{s: s, c: c}
		if err := pr.mappedProducts(ctx, noSKU); err != nil {
			return err
		}
	}
	var search []any
	s.mu.Lock()
	for _, m := range []map[string]bool{codes, legacy} {
		for code := range m {
			if s.products[code] == 0 && !s.noProduct[code] {
				search = append(search, code)
			}
		}
	}
	s.mu.Unlock()
	if len(search) == 0 {
		return nil
	}
	found, err := SearchRead(ctx, c, "product.product", []any{[]any{"default_code", "in", search}},
		productFields, map[string]any{"order": "id", "context": map[string]any{"active_test": false}})
	if err != nil {
		return err
	}
	ids := map[string]int64{}
	s.pickProducts(found, ids)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range search {
		code := v.(string)
		switch {
		case ids[code] > 0:
			s.products[code] = ids[code]
		case legacy[code] && !codes[code]:
			s.noProduct[code] = true // a legacy code that does not exist: not asked again
		default:
			absent["product/"+code] = true
		}
	}
	return nil
}

// createPartners makes the batch's new buyers (the ones prefetchPartners did not
// find) in one create, into the Syncer's caches, where each order's resolution finds
// them without a call: a flash sale's orders mostly come from new customers, and one
// create a buyer was one call an order. Two orders of one new buyer make one partner.
// A buyer whose values cannot be made (an address look-up failed) is left to its
// order; when the create fails, each order searches its buyer again before making
// it (the create may have run in Odoo with its answer lost: absent is no longer so).
func (s *Syncer) createPartners(ctx context.Context, c Client, runs []*run, absent map[string]bool) error {
	type newPartner struct {
		r            *run
		key          string
		vals         map[string]any
		withDelivery bool
	}
	var news []newPartner
	seen := map[string]bool{}
	for _, r := range runs {
		cs := r.cmd.Settings.Customer
		if cs.Mode == "single" && cs.PartnerID > 0 && (!cs.GuestsOnly || r.o.Customer == nil) {
			continue // the shop's one partner
		}
		q := r.partnerQuery()
		if !absent["partner/"+q.key] || seen[q.key] || r.cached(func(s *Syncer) int64 { return s.partners[q.key] }) > 0 {
			continue
		}
		vals, withDelivery, err := r.newPartnerVals(ctx, q)
		if err != nil {
			continue
		}
		seen[q.key] = true
		news = append(news, newPartner{r: r, key: q.key, vals: vals, withDelivery: withDelivery})
	}
	if len(news) < 2 {
		return nil // one buyer: its order makes it, in the same one call
	}
	keys := make([]string, len(news))
	for k, n := range news {
		keys[k] = n.key
	}
	return s.createMissing(ctx, c, "res.partner", "partner", keys, absent,
		func(k int) bool {
			return news[k].r.cached(func(s *Syncer) int64 { return s.partners[news[k].key] }) > 0
		},
		func(k int) (map[string]any, error) { return news[k].vals, nil },
		func(k int, id int64) {
			n := news[k]
			s.partners[n.key] = id
			s.partnerAddrs[id] = partnerAtOf(n.vals)
			if n.withDelivery {
				// The delivery contact made inside the partner is the one Odoo picks for
				// this order; the buyer's other orders find it by its address.
				n.r.madeWithDelivery = n.key
			}
			if cu := n.r.o.Customer; cu != nil && cu.ID != 0 {
				n.r.register(CustomerXMLID(n.r.cmd.Shop, cu.ID), "res.partner", id, xmlRef{})
			}
			s.log.Info("odoo: created customer", "order", n.r.key, "id", id, "key", n.key)
		})
}

// createProducts makes the products of the batch's line SKUs that prefetchProducts did
// not find, in one create, into the Syncer's cache (each order made its own before:
// a shop's first orders, or a backfill, bring many new SKUs). Synco's own products
// (shipping, tips, ...) are still made by the order that needs one. When the create
// fails, the codes are no longer marked absent: each order searches, then makes its
// own.
func (s *Syncer) createProducts(ctx context.Context, c Client, runs []*run, absent map[string]bool) error {
	type newProduct struct {
		r    *run
		code string
		spec productSpec
	}
	var news []newProduct
	seen := map[string]bool{}
	for _, r := range runs {
		for i := range r.o.LineItems {
			li := &r.o.LineItems[i]
			code := strings.TrimSpace(li.SKU)
			if code == "" || li.GiftCard || int64(li.Qty())+r.refundedQty(li) <= 0 || seen[code] || !absent["product/"+code] {
				continue
			}
			if _, own := synthetic[code]; own {
				continue
			}
			seen[code] = true
			news = append(news, newProduct{r: r, code: code, spec: productSpec{name: itemTitle(li), price: r.money.of(li.Price, li.PricePresentment)}})
		}
	}
	if len(news) < 2 {
		return nil // one product: its order makes it in the same one call
	}
	keys := make([]string, len(news))
	for k, n := range news {
		keys[k] = n.code
	}
	return s.createMissing(ctx, c, "product.product", "product", keys, absent,
		func(k int) bool { return s.cachedProduct(news[k].code) },
		func(k int) (map[string]any, error) { return news[k].r.productVals(ctx, news[k].code, news[k].spec) },
		func(k int, id int64) {
			s.products[news[k].code] = id
			s.log.Info("odoo: created product", "order", news[k].r.key, "id", id, "code", news[k].code)
		})
}

func (s *Syncer) cachedProduct(code string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.products[code] > 0
}

// createMissing makes, in one create of model, the records of the batch's keys that
// its search found absent ("<kind>/<key>"): under the keys' locks (the per-order path
// takes the same, one at a time), those another apply has not made meanwhile (cached),
// with vals; made records each, under Syncer.mu and still under the keys' locks, so an
// apply waiting for one finds it cached. When the create fails, their absent marks are
// cleared: Odoo may have made them with its answer lost, so each order searches before
// making its own.
func (s *Syncer) createMissing(ctx context.Context, c Client, model, kind string, keys []string, absent map[string]bool,
	cached func(k int) bool, vals func(k int) (map[string]any, error), made func(k int, id int64)) error {
	locks := make([]string, len(keys))
	for k, key := range keys {
		locks[k] = kind + "/" + key
	}
	defer s.keys.lock(locks...)() // in sorted order
	var todo []int
	var list []map[string]any
	for k := range keys {
		if cached(k) {
			continue
		}
		v, err := vals(k)
		if err != nil {
			return err
		}
		todo, list = append(todo, k), append(list, v)
	}
	if len(todo) == 0 {
		return nil
	}
	ids, err := CreateMany(ctx, c, model, list, nil)
	if err != nil {
		for _, k := range todo {
			delete(absent, kind+"/"+keys[k])
		}
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for j, k := range todo {
		made(k, ids[j])
	}
	return nil
}
