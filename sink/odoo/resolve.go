package odoo

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/synco-dev/synco/schemas"
)

// Synthetic product codes for lines that have no SKU.
const (
	// ShippingCode is the service product every shipping line uses.
	ShippingCode = "SHOPIFY-SHIPPING"
	// CustomItemCode is the product of custom line items (no Shopify variant): the
	// line's title goes on the order line.
	CustomItemCode = "SHOPIFY-CUSTOM-ITEM"
)

// variantCode is the product code of a Shopify variant that has no SKU.
func variantCode(variantID int64) string { return fmt.Sprintf("SHOPIFY-VARIANT-%d", variantID) }

// ---- customer -----------------------------------------------------------------------

// partner finds or creates the order's customer: the shop's fixed partner in customer
// mode single; else the partner whose email matches (=ilike, case-insensitive); for a
// customer without email the partner whose ref is the Shopify customer; for a guest
// with neither, one "Shopify guest" partner per shop.
func (r *run) partner(ctx context.Context) (int64, error) {
	cs := r.cmd.Settings.Customer
	if cs.Mode == "single" && cs.PartnerID > 0 && (!cs.GuestsOnly || r.o.Customer == nil) {
		return cs.PartnerID, nil
	}
	o := r.o
	email := strings.TrimSpace(o.Email)
	if email == "" && o.Customer != nil {
		email = strings.TrimSpace(o.Customer.Email)
	}
	name := o.CustomerName()
	vals := map[string]any{"customer_rank": 1}
	var key string
	var domain []any
	switch {
	case email != "":
		key = "email:" + strings.ToLower(email)
		domain = []any{[]any{"email", "=ilike", likeEscape(email)}}
		vals["email"] = email
	case o.Customer != nil && o.Customer.ID != 0:
		ref := fmt.Sprintf("shopify:%s/customer/%d", r.cmd.Shop, o.Customer.ID)
		key, domain = "ref:"+ref, []any{[]any{"ref", "=", ref}}
		vals["ref"] = ref
	default:
		ref := fmt.Sprintf("shopify:%s/guest", r.cmd.Shop)
		key, domain = "ref:"+ref, []any{[]any{"ref", "=", ref}}
		vals["ref"] = ref
		name = "Shopify guest (" + r.cmd.Shop + ")"
	}
	if name == "" {
		name = email
	}
	vals["name"] = name
	if id := r.cached(func(s *Syncer) int64 { return s.partners[key] }); id > 0 {
		return id, nil
	}
	unlock := r.s.keys.lock("partner/" + key)
	defer unlock()
	if id := r.cached(func(s *Syncer) int64 { return s.partners[key] }); id > 0 {
		return id, nil
	}
	found, err := SearchRead(ctx, r.c, "res.partner", domain, []string{"id", "email"}, map[string]any{"limit": 5, "order": "id"})
	if err != nil {
		return 0, err
	}
	var id int64
	for _, p := range found {
		// =ilike already ignores case; this also rejects what a stray wildcard matched.
		if email == "" || strings.EqualFold(strings.TrimSpace(p.String("email")), email) {
			id = p.ID()
			break
		}
	}
	if id == 0 {
		if phone := firstNonEmpty(o.Phone, customerPhone(o)); phone != "" {
			vals["phone"] = phone
		}
		if a := o.BillingAddress; a != nil {
			setIf(vals, "street", a.Address1)
			setIf(vals, "street2", a.Address2)
			setIf(vals, "city", a.City)
			setIf(vals, "zip", a.Zip)
		}
		if id, err = Create(ctx, r.c, "res.partner", vals, nil); err != nil {
			return 0, err
		}
		r.s.log.Info("odoo: created customer", "order", r.key, "id", id, "key", key)
	}
	r.s.mu.Lock()
	r.s.partners[key] = id
	r.s.mu.Unlock()
	return id, nil
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

// ---- lines, products ------------------------------------------------------------------

// line is one order line, resolved to Odoo ids.
type line struct {
	code     string // product default_code
	name     string
	qty      int64
	price    decimal.Decimal
	discount decimal.Decimal // percent
	taxes    []int64
	taxLines []schemas.TaxLine
	product  int64
}

// productSpec is what a product gets when it has to be created.
type productSpec struct {
	name    string
	price   decimal.Decimal
	service bool
}

// lines resolves the order's line items and shipping lines to products and taxes.
func (r *run) lines(ctx context.Context) ([]line, error) {
	var out []line
	specs := map[string]productSpec{}
	for _, li := range r.o.LineItems {
		if li.Quantity <= 0 {
			continue // removed by an order edit
		}
		title := li.Title
		if li.VariantTitle != "" && !strings.EqualFold(li.VariantTitle, "Default Title") {
			title += " - " + li.VariantTitle
		}
		code := strings.TrimSpace(li.SKU)
		switch {
		case code != "":
		case li.VariantID != 0:
			code = variantCode(li.VariantID)
		default:
			code = CustomItemCode
			title = firstNonEmpty(title, "Custom item")
		}
		if _, ok := specs[code]; !ok {
			spec := productSpec{name: title, price: li.Price}
			if code == CustomItemCode {
				spec = productSpec{name: "Shopify custom item"}
			}
			specs[code] = spec
		}
		qty := int64(li.Quantity)
		if !li.TotalDiscount.IsZero() && !discountExact(li.Price, qty, li.TotalDiscount) {
			r.warn("line %q: discount %s of %s × %d is %s%%, which Odoo rounds to 2 places; its total may differ by a cent",
				title, li.TotalDiscount, li.Price, qty, discountPercent(li.Price, qty, li.TotalDiscount))
		}
		out = append(out, line{code: code, name: title, qty: qty, price: li.Price,
			discount: discountPercent(li.Price, qty, li.TotalDiscount), taxLines: li.TaxLines})
	}
	for _, sl := range r.o.ShippingLines {
		specs[ShippingCode] = productSpec{name: "Shipping", service: true}
		disc := decimal.Zero
		if sl.Price.Sign() > 0 && sl.DiscountedPrice.LessThan(sl.Price) {
			disc = discountPercent(sl.Price, 1, sl.Price.Sub(sl.DiscountedPrice))
		}
		out = append(out, line{code: ShippingCode, name: "Shipping: " + firstNonEmpty(sl.Title, sl.Code, "shipping"),
			qty: 1, price: sl.Price, discount: disc, taxLines: sl.TaxLines})
	}
	if len(out) == 0 {
		return nil, permanent("sale.order", "create", 0, "", "the order has no line with a quantity")
	}
	ids, err := r.products(ctx, specs)
	if err != nil {
		return nil, err
	}
	taxes, err := r.taxes(ctx, out)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].taxes = []int64{}
		for _, tl := range out[i].taxLines {
			if tl.Rate.Sign() > 0 {
				out[i].taxes = append(out[i].taxes, taxes[taxKey{taxPercent(tl.Rate).String(), r.o.TaxesIncluded}])
			}
		}
		out[i].product = ids[out[i].code]
	}
	return out, nil
}

// products finds every code in one search_read (archived products included, so
// none is created twice) and creates the missing ones in one create.
func (r *run) products(ctx context.Context, specs map[string]productSpec) (map[string]int64, error) {
	ids := map[string]int64{}
	var missing []string
	r.s.mu.Lock()
	for code := range specs {
		if id := r.s.products[code]; id > 0 {
			ids[code] = id
			r.usedCache = true
		} else {
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
	codes := make([]any, len(still))
	for i, c := range still {
		codes[i] = c
	}
	found, err := SearchRead(ctx, r.c, "product.product", []any{[]any{"default_code", "in", codes}},
		[]string{"id", "default_code", "active"}, map[string]any{"order": "id", "context": map[string]any{"active_test": false}})
	if err != nil {
		return nil, err
	}
	active := map[string]bool{}
	for _, p := range found {
		code := p.String("default_code")
		if _, ok := ids[code]; !ok || (!active[code] && p.Bool("active")) {
			ids[code] = p.ID()
			active[code] = p.Bool("active")
		}
	}
	var create []map[string]any
	var createCodes []string
	for _, code := range still {
		if _, ok := ids[code]; ok {
			continue
		}
		spec := specs[code]
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
		r.d.ProductKind(vals, kind)
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
		r.s.products[code] = ids[code]
	}
	r.s.mu.Unlock()
	return ids, nil
}

// ---- taxes ------------------------------------------------------------------------------

// taxKey is a sale tax: its percent (Odoo's amount, as a decimal string) and whether
// it is included in the price.
type taxKey struct {
	percent  string
	included bool
}

// taxes maps every tax line of the order to an Odoo sale tax (percent, sale, with the
// order's price-included flag), loading the sale taxes once per Syncer and creating the
// missing ones.
func (r *run) taxes(ctx context.Context, lines []line) (map[taxKey]int64, error) {
	want := map[taxKey]string{} // → a title for a new tax
	for _, l := range lines {
		for _, tl := range l.taxLines {
			if tl.Rate.Sign() > 0 {
				k := taxKey{taxPercent(tl.Rate).String(), r.o.TaxesIncluded}
				if _, ok := want[k]; !ok {
					want[k] = firstNonEmpty(tl.Title, "Tax")
				}
			}
		}
	}
	out := map[taxKey]int64{}
	if len(want) == 0 {
		return out, nil
	}
	unlock := r.s.keys.lock("taxes")
	defer unlock()
	r.s.mu.Lock()
	loaded := r.s.taxesLoaded
	missing := false
	for k := range want {
		missing = missing || r.s.taxes[k] == 0
	}
	r.s.mu.Unlock()
	// Load the sale taxes once; again only when one is missing from what was loaded
	// (someone may have created it since), so a tax is never created twice.
	if !loaded || missing {
		if err := r.loadTaxes(ctx); err != nil {
			return nil, err
		}
	} else {
		r.usedCache = true
	}
	for k, title := range want {
		r.s.mu.Lock()
		id := r.s.taxes[k]
		r.s.mu.Unlock()
		if id == 0 {
			name := fmt.Sprintf("%s %s%%", title, k.percent)
			if k.included {
				name += " incl."
			}
			vals := map[string]any{
				"name":         name + " (Shopify)",
				"amount":       odooFloat(decimal.RequireFromString(k.percent)),
				"amount_type":  "percent",
				"type_tax_use": "sale",
			}
			r.d.TaxPriceInclude(vals, k.included)
			var err error
			if id, err = Create(ctx, r.c, "account.tax", vals, nil); err != nil {
				return nil, err
			}
			r.s.log.Info("odoo: created tax", "order", r.key, "id", id, "name", vals["name"])
			r.s.mu.Lock()
			r.s.taxes[k] = id
			r.s.mu.Unlock()
		}
		out[k] = id
	}
	return out, nil
}

func (r *run) loadTaxes(ctx context.Context) error {
	found, err := SearchRead(ctx, r.c, "account.tax",
		[]any{[]any{"type_tax_use", "=", "sale"}, []any{"amount_type", "=", "percent"}},
		[]string{"id", "amount", "price_include"}, map[string]any{"order": "sequence,id"})
	if err != nil {
		return err
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.s.taxes = map[taxKey]int64{}
	for _, t := range found {
		k := taxKey{fromOdooNumber(t["amount"]).Round(4).String(), t.Bool("price_include")}
		if _, dup := r.s.taxes[k]; !dup {
			r.s.taxes[k] = t.ID()
		}
	}
	r.s.taxesLoaded = true
	return nil
}
