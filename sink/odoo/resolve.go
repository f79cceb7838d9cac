package odoo

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/synco-dev/synco/schemas"
)

// Codes (default_code) of the products Synco finds or creates for lines that are not
// a Shopify product, unless the shop's settings name a product for them.
const (
	ShippingCode   = "SHOPIFY-SHIPPING"
	CustomItemCode = "SHOPIFY-CUSTOM-ITEM" // lines without SKU and without a mapped product
	TipCode        = "SHOPIFY-TIP"
	DutyCode       = "SHOPIFY-DUTY"
	FeeCode        = "SHOPIFY-FEE"
	GiftCardCode   = "SHOPIFY-GIFT-CARD"
	RoundingCode   = "SHOPIFY-ROUNDING" // rounding and discount adjustment lines
)

// legacyVariantCode is the code earlier versions gave a product made for a variant
// without SKU; such products are still used.
func legacyVariantCode(variantID int64) string { return fmt.Sprintf("SHOPIFY-VARIANT-%d", variantID) }

// GiftCardAccountName is the liability account Synco makes for gift cards sold when
// the shop's settings name none.
const GiftCardAccountName = "Shopify gift cards"

// ---- customer -----------------------------------------------------------------------

// customer is the order's partner and the delivery address to send.
type customer struct {
	id int64
	// shipping is the partner_shipping_id to send; 0 lets Odoo pick (a partner made in
	// this run together with its only delivery contact).
	shipping int64
}

// customer finds or creates the order's partner (see partner) and its delivery
// contact: a shipping address that differs from the billing address becomes a
// delivery contact under the partner (found by its address, or created), sent as the
// order's partner_shipping_id.
func (r *run) customer(ctx context.Context) (customer, error) {
	o := r.o
	cs := r.cmd.Settings.Customer
	var id int64
	var withDelivery, shared bool
	if cs.Mode == "single" && cs.PartnerID > 0 && (!cs.GuestsOnly || o.Customer == nil) {
		id, shared = cs.PartnerID, true
	} else {
		var err error
		if id, withDelivery, shared, err = r.partner(ctx); err != nil {
			return customer{}, err
		}
	}
	ship := o.ShippingAddress
	switch {
	case !hasAddress(ship):
		return customer{id: id, shipping: id}, nil
	case withDelivery:
		return customer{id: id}, nil
	case !shared:
		// The buyer's own partner when it is at the shipping address (a shared partner,
		// the shop's single customer or the guest partner, is at none of the buyer's:
		// its deliveries are contacts).
		if at, ok := r.s.partnerAt(id); ok {
			vals, err := r.addressVals(ctx, ship)
			if err != nil {
				return customer{}, err
			}
			if partnerMatches(at, addressName(ship), vals) {
				return customer{id: id, shipping: id}, nil
			}
		}
	}
	d, err := r.delivery(ctx, id, ship)
	if err != nil {
		return customer{}, err
	}
	return customer{id: id, shipping: d}, nil
}

// partnerAt is the address of a partner the Syncer found or made (name, street,
// street2, city, zip, country_id, state_id as partnerMatches reads them).
func (s *Syncer) partnerAt(id int64) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.partnerAddrs[id]
	return r, ok
}

func hasAddress(a *schemas.Address) bool {
	return a != nil && (a.Address1 != "" || a.City != "" || a.Zip != "" || a.CountryCode != "" || a.Country != "")
}

// partner finds or creates the buyer: the partner whose email matches (=ilike,
// case-insensitive); for a customer without email the partner whose ref is the Shopify
// customer; for a guest with neither, one "Shopify guest" partner per shop. A new
// partner gets the name, company, phone and billing address (country and state by ISO
// code), and a delivery contact inside the same create when the shipping address
// differs (withDelivery).
func (r *run) partner(ctx context.Context) (id int64, withDelivery, guest bool, err error) {
	o := r.o
	pq := r.partnerQuery()
	key, domain, guest := pq.key, pq.domain, pq.guest
	if id := r.cached(func(s *Syncer) int64 { return s.partners[key] }); id > 0 {
		return id, key == r.madeWithDelivery, guest, nil
	}
	unlock := r.s.keys.lock("partner/" + key)
	defer unlock()
	if id := r.cached(func(s *Syncer) int64 { return s.partners[key] }); id > 0 {
		return id, false, guest, nil
	}
	var found []Record
	if !r.absent["partner/"+key] { // the batch's search found none: no second search
		found, err = SearchRead(ctx, r.c, "res.partner", domain, partnerFields, map[string]any{"limit": 5, "order": "id"})
		if err != nil {
			return 0, false, guest, err
		}
	}
	var at Record
	for _, p := range found {
		if pq.matches(p) {
			id, at = p.ID(), p
			break
		}
	}
	if id == 0 {
		var vals map[string]any
		if vals, withDelivery, err = r.newPartnerVals(ctx, pq); err != nil {
			return 0, false, guest, err
		}
		if id, err = Create(ctx, r.c, "res.partner", vals, nil); err != nil {
			return 0, false, guest, err
		}
		at = partnerAtOf(vals)
		r.s.log.Info("odoo: created customer", "order", r.key, "id", id, "key", key)
		if o.Customer != nil && o.Customer.ID != 0 {
			r.register(CustomerXMLID(r.cmd.Shop, o.Customer.ID), "res.partner", id, xmlRef{})
		}
	}
	r.s.mu.Lock()
	r.s.partners[key] = id
	r.s.partnerAddrs[id] = at
	r.s.mu.Unlock()
	return id, withDelivery, guest, nil
}

// newPartnerVals are the values of the order's buyer when Odoo has none: name, email
// (or the Shopify customer's ref), phone, the billing address, and a delivery contact
// inside the same create when the shipping address differs (withDelivery).
func (r *run) newPartnerVals(ctx context.Context, pq partnerQuery) (vals map[string]any, withDelivery bool, err error) {
	o := r.o
	name := o.CustomerName()
	vals = map[string]any{"customer_rank": 1}
	switch {
	case pq.email != "":
		vals["email"] = pq.email
	default:
		vals["ref"] = pq.ref
	}
	if pq.guest {
		name = "Shopify guest (" + r.cmd.Shop + ")"
	}
	if name == "" {
		name = pq.email
	}
	vals["name"] = name
	// The partner's own address: the billing address (a shared guest partner has none).
	addr := o.BillingAddress
	if !hasAddress(addr) {
		addr = o.ShippingAddress
	}
	if pq.guest || !hasAddress(addr) {
		addr = nil
	}
	if phone := firstNonEmpty(o.Phone, customerPhone(o), addrPhone(o.BillingAddress)); phone != "" {
		vals["phone"] = phone
	}
	if addr != nil {
		av, err := r.addressVals(ctx, addr)
		if err != nil {
			return nil, false, err
		}
		for k, v := range av {
			vals[k] = v
		}
		setIf(vals, "company_name", addr.Company)
	}
	if ship := o.ShippingAddress; addr != nil && hasAddress(ship) && !sameAddress(ship, addr) {
		dv, err := r.addressVals(ctx, ship)
		if err != nil {
			return nil, false, err
		}
		dv["type"], dv["name"] = "delivery", addressName(ship)
		setIf(dv, "phone", ship.Phone)
		vals["child_ids"] = []any{[]any{0, 0, dv}}
		withDelivery = true
	}
	return vals, withDelivery, nil
}

// partnerAtOf is the address of a partner made from vals, as partnerMatches reads it.
func partnerAtOf(vals map[string]any) Record {
	at := Record{"name": vals["name"]}
	for _, f := range []string{"street", "street2", "city", "zip"} {
		at[f] = vals[f]
	}
	for _, f := range []string{"country_id", "state_id"} {
		if v, ok := vals[f].(int64); ok {
			at[f] = []any{v, ""}
		}
	}
	return at
}

// partnerFields are read of a partner found: what partnerMatches compares.
var partnerFields = []string{"id", "email", "ref", "name", "street", "street2", "city", "zip", "country_id", "state_id"}

// partnerQuery is how the order's buyer is found: by email, else by the ref of the
// Shopify customer, else the shop's one guest partner.
type partnerQuery struct {
	key    string // the Syncer's cache key
	domain []any
	email  string
	ref    string
	guest  bool
}

func (r *run) partnerQuery() partnerQuery {
	o := r.o
	email := strings.TrimSpace(o.Email)
	if email == "" && o.Customer != nil {
		email = strings.TrimSpace(o.Customer.Email)
	}
	switch {
	case email != "":
		return partnerQuery{key: "email:" + strings.ToLower(email), domain: []any{[]any{"email", "=ilike", likeEscape(email)}}, email: email}
	case o.Customer != nil && o.Customer.ID != 0:
		ref := fmt.Sprintf("shopify:%s/customer/%d", r.cmd.Shop, o.Customer.ID)
		return partnerQuery{key: "ref:" + ref, domain: []any{[]any{"ref", "=", ref}}, ref: ref}
	default:
		ref := fmt.Sprintf("shopify:%s/guest", r.cmd.Shop)
		return partnerQuery{key: "ref:" + ref, domain: []any{[]any{"ref", "=", ref}}, ref: ref, guest: true}
	}
}

// matches reports whether a partner found by the query's domain is the buyer (=ilike
// already ignores case; this also rejects what a stray wildcard matched).
func (q partnerQuery) matches(p Record) bool {
	if q.email != "" {
		return strings.EqualFold(strings.TrimSpace(p.String("email")), q.email)
	}
	return p.String("ref") == q.ref
}

// likeEscape escapes SQL LIKE wildcards so =ilike compares literally.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func customerPhone(o *schemas.Order) string {
	if o.Customer != nil {
		return o.Customer.Phone
	}
	return ""
}

func addrPhone(a *schemas.Address) string {
	if a != nil {
		return a.Phone
	}
	return ""
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func setIf(m map[string]any, k, v string) {
	if v = strings.TrimSpace(v); v != "" {
		m[k] = v
	}
}

// cached reads a cache under the Syncer's lock and notes that this run used it.
func (r *run) cached(get func(*Syncer) int64) int64 {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	id := get(r.s)
	if id > 0 {
		r.usedCache = true
	}
	return id
}

// ---- lines --------------------------------------------------------------------------

// Kinds of lines.
const (
	kindItem       = "item"
	kindGiftCard   = "gift_card"
	kindShipping   = "shipping"
	kindTip        = "tip"
	kindDuty       = "duty"
	kindFee        = "fee"
	kindAdjustment = "adjustment"
	kindRounding   = "rounding"
)

// line is one order line, resolved to Odoo ids.
type line struct {
	kind     string
	code     string // default_code of the product to find or create, when product is not set
	product  int64
	noSKU    *schemas.LineItem // a line without SKU: its product is found by external id
	item     int64             // the Shopify line item (0: not a line item)
	name     string
	qty      int64
	price    decimal.Decimal
	discount decimal.Decimal // percent, at Odoo's precision
	taxLines []schemas.TaxLine
	taxes    []int64
}

// productSpec is what a Synco product gets when it has to be created.
type productSpec struct {
	name     string
	price    decimal.Decimal
	service  bool
	giftCard bool
}

// synthetic are Synco's own products, by code.
var synthetic = map[string]productSpec{
	ShippingCode:   {name: "Shipping (Shopify)", service: true},
	CustomItemCode: {name: "Custom item (Shopify)"},
	TipCode:        {name: "Tip (Shopify)", service: true},
	DutyCode:       {name: "Duties (Shopify)", service: true},
	FeeCode:        {name: "Additional fees (Shopify)", service: true},
	GiftCardCode:   {name: "Gift card (Shopify)", service: true, giftCard: true},
	RoundingCode:   {name: "Rounding (Shopify)", service: true},
}

// productFor sets a synthetic line's product: the one the settings name, else Synco's
// by code.
func productFor(l *line, configured int64, code string) {
	if configured > 0 {
		l.product = configured
	} else {
		l.code = code
	}
}

// lines turns the order into Odoo lines in the chosen money: line items with their
// current quantity, each with the discount percent that makes its total Shopify's to
// the cent (or followed by an explicit adjustment line), gift cards, shipping, duties,
// additional fees and tips; products and taxes found or created.
func (r *run) lines(ctx context.Context) ([]line, error) {
	o, m, ps := r.o, r.money, r.cmd.Settings.Products
	discDigits, _, err := r.precision(ctx)
	if err != nil {
		return nil, err
	}
	comp, err := r.company(ctx)
	if err != nil {
		return nil, err
	}
	perLine := comp.rounding != "round_globally"
	groups := &taxGroups{}
	taxed := func(tl []schemas.TaxLine) []schemas.TaxLine {
		if o.TaxExempt {
			return nil
		}
		return tl
	}
	var out []line
	for i := range o.LineItems {
		li := &o.LineItems[i]
		q := int64(li.Qty()) + r.refundedQty(li) // refunds are credit notes (refunds.go)
		if q <= 0 {
			continue // removed by an edit or refunded
		}
		title := itemTitle(li)
		price := m.of(li.Price, li.PricePresentment)
		disc := m.of(li.TotalDiscount, li.TotalDiscountPresentment)
		if int64(li.Quantity) > q && li.Quantity > 0 && disc.Sign() > 0 {
			// The discount was for the quantity ordered; what is left carries its share.
			disc = disc.Mul(decimal.NewFromInt(q)).Div(decimal.NewFromInt(int64(li.Quantity))).Round(2)
		}
		l := line{kind: kindItem, name: title, qty: q, price: price, taxLines: taxed(li.TaxLines), item: li.ID}
		switch sku := strings.TrimSpace(li.SKU); {
		case li.GiftCard:
			l.kind = kindGiftCard
			productFor(&l, ps.GiftCardID, GiftCardCode)
		case sku != "":
			l.code = sku
		default:
			l.noSKU = li
		}
		p, net, diff := lineDiscount(price, q, disc, discDigits, perLine)
		l.discount = p
		out = append(out, l)
		if !diff.IsZero() {
			out = append(out, r.adjustment("Discount adjustment: "+title, diff, l.taxLines))
			r.warn("line %q: no discount percent Odoo can hold takes exactly %s off %s × %d; an adjustment line of %s keeps the total Shopify's",
				title, disc, price, q, diff)
		}
		if !perLine {
			g := groups.of(l.taxLines)
			g.want, g.got, g.last = g.want.Add(price.Mul(decimal.NewFromInt(q)).Sub(disc).Round(2)), g.got.Add(net), len(out)-1
		}
	}
	// Round globally: the order's total of each tax group is rounded once, so the lines
	// of a group together must come to Shopify's.
	for _, g := range groups.inOrder() {
		if diff := g.want.Sub(g.got).Round(2); !diff.IsZero() {
			adj := r.adjustment("Discount adjustment", diff, g.taxLines)
			out = slices.Insert(out, g.last+1+g.shift, adj)
			groups.shiftAfter(g, 1)
			r.warn("no discount percents Odoo can hold take exactly Shopify's discounts off the lines; an adjustment line of %s keeps the total Shopify's", diff)
		}
	}
	for _, sl := range o.ShippingLines {
		if sl.IsRemoved {
			continue
		}
		price := m.of(sl.Price, sl.PricePresentment)
		discounted := m.of(sl.DiscountedPrice, sl.DiscountedPricePresentment)
		l := line{kind: kindShipping, name: "Shipping: " + firstNonEmpty(sl.Title, sl.Code, "shipping"), qty: 1, price: price, taxLines: taxed(sl.TaxLines)}
		productFor(&l, ps.ShippingID, ShippingCode)
		if price.Sign() > 0 && discounted.LessThan(price) {
			// One unit: a percent whose total is exactly Shopify's, else the net price.
			if p, net, _ := lineDiscount(price, 1, price.Sub(discounted), discDigits, true); net.Equal(discounted) {
				l.discount = p
			} else {
				l.price = discounted
			}
		}
		out = append(out, l)
	}
	for _, extra := range []struct {
		kind, name string
		amount     decimal.Decimal
		configured int64
		code       string
	}{
		{kindDuty, "Duties", m.of(o.TotalDuties, o.TotalDutiesPresentment), ps.DutyID, DutyCode},
		{kindFee, "Additional fees", m.of(o.TotalAdditionalFees, o.TotalAdditionalFeesPresentment), ps.FeeID, FeeCode},
		{kindTip, "Tip", m.convert(o, o.TotalTipReceived), ps.TipID, TipCode},
	} {
		if extra.amount.Sign() > 0 {
			l := line{kind: extra.kind, name: extra.name, qty: 1, price: extra.amount}
			productFor(&l, extra.configured, extra.code)
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, permanent("sale.order", "create", 0, "", "the order has no line with a quantity")
	}
	if err := r.products(ctx, out); err != nil {
		return nil, err
	}
	// Taxes: every distinct Shopify tax of the order, mapped together (so two of one
	// rate stay two Odoo taxes).
	var idents []taxIdent
	seen := map[taxIdent]bool{}
	for _, l := range out {
		for _, tl := range l.taxLines {
			if tl.Rate.Sign() > 0 {
				if t := identOf(tl, o.TaxesIncluded); !seen[t] {
					seen[t] = true
					idents = append(idents, t)
				}
			}
		}
	}
	taxes, err := r.taxes(ctx, idents)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].taxes = []int64{}
		for _, tl := range out[i].taxLines {
			if tl.Rate.Sign() > 0 {
				if id := taxes[identOf(tl, o.TaxesIncluded)]; !containsID(out[i].taxes, id) {
					out[i].taxes = append(out[i].taxes, id)
				}
			}
		}
	}
	return out, nil
}

// itemTitle is a line item's description in Odoo: its title and variant.
func itemTitle(li *schemas.LineItem) string {
	title := firstNonEmpty(li.Title, li.Name, "Item")
	if li.VariantTitle != "" && !strings.EqualFold(li.VariantTitle, "Default Title") {
		title += " - " + li.VariantTitle
	}
	return title
}

// adjustment is a line that carries what no discount percent could.
func (r *run) adjustment(name string, amount decimal.Decimal, taxLines []schemas.TaxLine) line {
	l := line{kind: kindAdjustment, name: name, qty: 1, price: amount, taxLines: taxLines}
	productFor(&l, r.cmd.Settings.Products.RoundingID, RoundingCode)
	return l
}

// taxGroup is the lines of one set of taxes, with Shopify's total of them and Odoo's
// unrounded one.
type taxGroup struct {
	key       string
	taxLines  []schemas.TaxLine
	want, got decimal.Decimal
	last      int // index of the group's last line
	shift     int // lines inserted before it
}

type taxGroups struct{ list []*taxGroup }

func (gs *taxGroups) of(tls []schemas.TaxLine) *taxGroup {
	var parts []string
	for _, tl := range tls {
		parts = append(parts, tl.Title+"/"+tl.Rate.String())
	}
	slices.Sort(parts)
	key := strings.Join(parts, "|")
	for _, g := range gs.list {
		if g.key == key {
			return g
		}
	}
	g := &taxGroup{key: key, taxLines: tls}
	gs.list = append(gs.list, g)
	return g
}

// inOrder is the groups by their last line.
func (gs *taxGroups) inOrder() []*taxGroup {
	out := slices.Clone(gs.list)
	slices.SortFunc(out, func(a, b *taxGroup) int { return a.last - b.last })
	return out
}

func (gs *taxGroups) shiftAfter(g *taxGroup, n int) {
	for _, o := range gs.list {
		if o.last > g.last {
			o.shift += n
		}
	}
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// ---- products -----------------------------------------------------------------------

// products resolves every line's product. Lines without SKU are found by the external
// id of their Shopify variant (synco.shopify_variant_<id>) or product
// (synco.shopify_product_<id>), or by the code older versions gave them, else they get
// the fallback product. Everything else is found by code in one search_read (archived
// products included, so none is created twice) and the missing ones are created in one
// create.
func (r *run) products(ctx context.Context, lines []line) error {
	if err := r.mappedProducts(ctx, lines); err != nil {
		return err
	}
	codes := map[string]bool{}
	for i := range lines {
		l := &lines[i]
		switch {
		case l.product > 0:
		case l.noSKU != nil:
			if l.noSKU.VariantID != 0 {
				codes[legacyVariantCode(l.noSKU.VariantID)] = true
			}
			if r.cmd.Settings.Products.FallbackID == 0 {
				codes[CustomItemCode] = true
			}
		default:
			codes[l.code] = true
		}
	}
	ids, err := r.productsByCode(ctx, codes, lines)
	if err != nil {
		return err
	}
	for i := range lines {
		l := &lines[i]
		switch {
		case l.product > 0:
		case l.noSKU != nil:
			if id := ids[legacyVariantCode(l.noSKU.VariantID)]; l.noSKU.VariantID != 0 && id > 0 {
				l.product = id
			} else if fb := r.cmd.Settings.Products.FallbackID; fb > 0 {
				l.product = fb
			} else {
				l.product = ids[CustomItemCode]
			}
		default:
			l.product = ids[l.code]
		}
	}
	return nil
}

// mappedProducts finds the products mapped to the Shopify variants and products of
// the lines without SKU (cached per Syncer, misses included).
func (r *run) mappedProducts(ctx context.Context, lines []line) error {
	var names []any
	r.s.mu.Lock()
	for i := range lines {
		li := lines[i].noSKU
		if li == nil {
			continue
		}
		for _, n := range []string{variantXMLID(li.VariantID), productXMLID(li.ProductID)} {
			if _, ok := r.s.mapped[n]; !ok && !strings.HasSuffix(n, "_0") {
				names = append(names, n)
			}
		}
	}
	r.s.mu.Unlock()
	if len(names) > 0 {
		got, err := SearchRead(ctx, r.c, "ir.model.data",
			[]any{[]any{"module", "=", XMLIDModule}, []any{"model", "=", "product.product"}, []any{"name", "in", names}},
			[]string{"name", "res_id"}, nil)
		if err != nil {
			return err
		}
		r.s.mu.Lock()
		for _, n := range names {
			r.s.mapped[n.(string)] = 0
		}
		for _, g := range got {
			r.s.mapped[g.String("name")] = g.Int("res_id")
		}
		r.s.mu.Unlock()
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	for i := range lines {
		li := lines[i].noSKU
		if li == nil {
			continue
		}
		if id := r.s.mapped[variantXMLID(li.VariantID)]; id > 0 && li.VariantID != 0 {
			lines[i].product = id
		} else if id := r.s.mapped[productXMLID(li.ProductID)]; id > 0 && li.ProductID != 0 {
			lines[i].product = id
		}
		if lines[i].product > 0 {
			r.usedCache = true
		}
	}
	return nil
}

// productsByCode finds or creates products by default_code.
func (r *run) productsByCode(ctx context.Context, want map[string]bool, lines []line) (map[string]int64, error) {
	ids := map[string]int64{}
	var missing []string
	r.s.mu.Lock()
	for code := range want {
		if id := r.s.products[code]; id > 0 {
			ids[code] = id
			r.usedCache = true
		} else if !r.s.noProduct[code] {
			missing = append(missing, code)
		}
	}
	r.s.mu.Unlock()
	if len(missing) == 0 {
		return ids, nil
	}
	keys := make([]string, len(missing))
	for i, c := range missing {
		keys[i] = "product/" + c
	}
	unlock := r.s.keys.lock(keys...)
	defer unlock()
	// Another order may have created some while we waited.
	r.s.mu.Lock()
	still := missing[:0]
	for _, code := range missing {
		if id := r.s.products[code]; id > 0 {
			ids[code] = id
		} else {
			still = append(still, code)
		}
	}
	r.s.mu.Unlock()
	if len(still) == 0 {
		return ids, nil
	}
	var codes []any
	for _, c := range still {
		if !r.absent["product/"+c] { // the batch's search found none: no second search
			codes = append(codes, c)
		}
	}
	if len(codes) > 0 {
		found, err := SearchRead(ctx, r.c, "product.product", []any{[]any{"default_code", "in", codes}},
			productFields, map[string]any{"order": "id", "context": map[string]any{"active_test": false}})
		if err != nil {
			return nil, err
		}
		r.s.pickProducts(found, ids)
	}
	// What to create: SKUs of line items, and Synco's products; never the codes of
	// older versions.
	names := map[string]productSpec{}
	for _, l := range lines {
		if l.code != "" && l.product == 0 && l.noSKU == nil {
			if _, ok := names[l.code]; !ok {
				names[l.code] = productSpec{name: l.name, price: l.price}
			}
		}
	}
	var create []map[string]any
	var createCodes []string
	for _, code := range still {
		if _, ok := ids[code]; ok {
			continue
		}
		spec, ok := synthetic[code]
		if !ok {
			if spec, ok = names[code]; !ok {
				continue // a legacy code that does not exist
			}
		}
		vals, err := r.productVals(ctx, code, spec)
		if err != nil {
			return nil, err
		}
		create = append(create, vals)
		createCodes = append(createCodes, code)
	}
	if len(create) > 0 {
		newIDs, err := CreateMany(ctx, r.c, "product.product", create, nil)
		if err != nil {
			return nil, err
		}
		for i, code := range createCodes {
			ids[code] = newIDs[i]
		}
		r.s.log.Info("odoo: created products", "order", r.key, "codes", createCodes)
	}
	r.s.mu.Lock()
	for _, code := range still {
		if ids[code] > 0 {
			r.s.products[code] = ids[code]
		} else {
			r.s.noProduct[code] = true // a legacy code that does not exist: not asked again
		}
	}
	r.s.mu.Unlock()
	return ids, nil
}

// productVals are the values of a new product of code (a line's SKU, or one of
// Synco's own products).
func (r *run) productVals(ctx context.Context, code string, spec productSpec) (map[string]any, error) {
	vals := map[string]any{
		"name":           firstNonEmpty(spec.name, code),
		"default_code":   code,
		"list_price":     odooFloat(spec.price),
		"invoice_policy": "order",
		"sale_ok":        true,
	}
	kind := "consu"
	if spec.service {
		kind = "service"
	}
	if _, own := synthetic[code]; own {
		vals["taxes_id"] = []any{[]any{6, 0, []int64{}}}
		vals["purchase_ok"] = false
	}
	if spec.giftCard {
		acc, err := r.giftCardAccount(ctx)
		if err != nil {
			return nil, err
		}
		vals["property_account_income_id"] = acc
	}
	r.d.ProductKind(vals, kind)
	return vals, nil
}

var productFields = []string{"id", "default_code", "active", "invoice_policy"}

// pickProducts notes the products found by code in ids (the oldest active one of a
// code, else the oldest; found ordered by id) with their invoice policies.
func (s *Syncer) pickProducts(found []Record, ids map[string]int64) {
	active := map[string]bool{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range found {
		code := p.String("default_code")
		if _, ok := ids[code]; !ok || (!active[code] && p.Bool("active")) {
			ids[code] = p.ID()
			active[code] = p.Bool("active")
			s.policies[p.ID()] = p.String("invoice_policy")
		}
	}
}

// giftCardAccount is the liability account of gift cards sold: the shop's, else
// "Shopify gift cards" (found by name, or created as a current liability).
func (r *run) giftCardAccount(ctx context.Context) (int64, error) {
	if id := r.cmd.Settings.GiftCardAccountID; id > 0 {
		return id, nil
	}
	if id := r.cached(func(s *Syncer) int64 { return s.giftAccount }); id > 0 {
		return id, nil
	}
	got, err := SearchRead(ctx, r.c, "account.account", []any{[]any{"name", "=", GiftCardAccountName}}, []string{"id"}, map[string]any{"limit": 1})
	if err != nil {
		return 0, err
	}
	var id int64
	if len(got) > 0 {
		id = got[0].ID()
	} else {
		if id, err = Create(ctx, r.c, "account.account", map[string]any{"name": GiftCardAccountName, "code": "SHOPGC", "account_type": "liability_current"}, nil); err != nil {
			return 0, err
		}
		r.s.log.Info("odoo: created gift card account", "order", r.key, "id", id)
	}
	r.s.mu.Lock()
	r.s.giftAccount = id
	r.s.mu.Unlock()
	return id, nil
}
