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
