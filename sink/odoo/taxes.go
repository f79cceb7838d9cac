package odoo

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/synco-dev/synco/schemas"
)

// A Shopify tax line (title, rate, price-included) maps to one Odoo sale tax of the
// company that computes the same amount:
//
//  1. the tax Synco mapped it to before (an external id synco.shopify_tax_<…>);
//  2. else a tax of that rate and price-included flag whose name is the title (or the
//     name Synco gives the taxes it creates, "<title> <rate>%");
//  3. else the first tax of that rate and flag (by sequence) that no other Shopify tax
//     line is mapped to — so the merchant's own "15%" serves Shopify's "Sales Tax";
//  4. else a new tax: a copy of the company's default sale tax (its repartition lines
//     and tax accounts, so collected tax is not booked as income) with the rate, the
//     flag and a tax group named after the title — unless the shop forbids creating
//     taxes, which fails the order naming the tax.
//
// Two tax lines of one order never share an Odoo tax (4 % state + 4 % city stay two
// taxes), and a mapping, once made, is registered, so it is the same after a restart.
// Only active sale taxes of percent type of the company are considered: archived,
// purchase and other companies' taxes never are.

// taxIdent is a Shopify tax: its title, percent (Odoo's amount, as a decimal string)
// and whether it is included in the price.
type taxIdent struct {
	title    string
	percent  string
	included bool
}

func identOf(tl schemas.TaxLine, included bool) taxIdent {
	return taxIdent{title: firstNonEmpty(tl.Title, "Tax"), percent: taxPercent(tl.Rate).String(), included: included}
}

// name is what Synco calls a tax it creates.
func (t taxIdent) name() string {
	n := fmt.Sprintf("%s %s%%", t.title, t.percent)
	if t.included {
		n += " incl."
	}
	return n
}

func (t taxIdent) String() string {
	incl := "tax excluded"
	if t.included {
		incl = "included in the price"
	}
	return fmt.Sprintf("%q %s%% (%s)", t.title, t.percent, incl)
}

// xmlid is the external id name of the mapping.
func (t taxIdent) xmlid() string {
	h := sha1.Sum([]byte(strings.ToLower(t.title)))
	slug := shopSlug(strings.ToLower(t.title))
	if len(slug) > 40 {
		slug = slug[:40]
	}
	incl := ""
	if t.included {
		incl = "_incl"
	}
	return fmt.Sprintf("shopify_tax_%s_%s_%s%s", slug, hex.EncodeToString(h[:4]), strings.ReplaceAll(t.percent, ".", "_"), incl)
}

// odooTax is a loaded sale tax.
type odooTax struct {
	id       int64
	name     string
	percent  string
	included bool
	group    int64
}

// taxState is the Syncer's view of the company's sale taxes.
type taxState struct {
	loaded  bool
	list    []odooTax          // active sale percent taxes of the company, by sequence
	mapped  map[string]xmlRef  // xmlid name → mapping
	claimed map[int64]string   // tax id → the xmlid name mapped to it
	byIdent map[taxIdent]int64 // resolved this Syncer
	groups  map[string]int64   // tax group name → id
}

func (r *run) loadTaxes(ctx context.Context, comp company) error {
	found, err := SearchRead(ctx, r.c, "account.tax",
		[]any{[]any{"type_tax_use", "=", "sale"}, []any{"amount_type", "=", "percent"}, []any{"company_id", "=", comp.id}},
		[]string{"id", "name", "amount", "price_include", "tax_group_id"}, map[string]any{"order": "sequence,id"})
	if err != nil {
		return err
	}
	refs, err := SearchRead(ctx, r.c, "ir.model.data",
		[]any{[]any{"module", "=", XMLIDModule}, []any{"model", "=", "account.tax"}},
		[]string{"id", "name", "res_id"}, nil)
	if err != nil {
		return err
	}
	ts := taxState{loaded: true, mapped: map[string]xmlRef{}, claimed: map[int64]string{}, byIdent: map[taxIdent]int64{}, groups: map[string]int64{}}
	for _, t := range found {
		ts.list = append(ts.list, odooTax{id: t.ID(), name: strings.TrimSpace(t.String("name")),
			percent: fromOdooNumber(t["amount"]).Round(4).String(), included: t.Bool("price_include"), group: t.M2O("tax_group_id")})
	}
	for _, ref := range refs {
		x := xmlRef{id: ref.ID(), model: "account.tax", resID: ref.Int("res_id")}
		ts.mapped[ref.String("name")] = x
		ts.claimed[x.resID] = ref.String("name")
	}
	r.s.mu.Lock()
	r.s.tax = ts
	r.s.mu.Unlock()
	return nil
}

func (ts *taxState) get(id int64) (odooTax, bool) {
	for _, t := range ts.list {
		if t.id == id {
			return t, true
		}
	}
	return odooTax{}, false
}

// resolve maps the idents with what is loaded; it answers the idents it could not map.
func (ts *taxState) resolve(idents []taxIdent, out map[taxIdent]int64) []taxIdent {
	used := map[int64]bool{}
	for _, id := range out {
		used[id] = true
	}
	var rest []taxIdent
	try := func(t taxIdent, id int64) bool {
		if id == 0 || used[id] {
			return false
		}
		out[t], used[id] = id, true
		return true
	}
	fits := func(t taxIdent, o odooTax) bool { return o.percent == t.percent && o.included == t.included }
	// 1. mappings made before
	for _, t := range idents {
		if x, ok := ts.mapped[t.xmlid()]; ok {
			if o, ok := ts.get(x.resID); ok && fits(t, o) && try(t, o.id) {
				continue
			}
		}
		rest = append(rest, t)
	}
	// 2. by name
	idents, rest = rest, nil
	for _, t := range idents {
		hit := false
		for _, o := range ts.list {
			if fits(t, o) && (strings.EqualFold(o.name, t.title) || strings.EqualFold(o.name, t.name()) || strings.EqualFold(o.name, t.name()+" (Shopify)")) && try(t, o.id) {
				hit = true
				break
			}
		}
		if !hit {
			rest = append(rest, t)
		}
	}
	// 3. by rate, among taxes nobody mapped (titles sorted: the same order every time)
	idents, rest = rest, nil
	slices.SortFunc(idents, func(a, b taxIdent) int { return strings.Compare(a.title, b.title) })
	for _, t := range idents {
		hit := false
		for _, o := range ts.list {
			if _, claimed := ts.claimed[o.id]; !claimed && fits(t, o) && try(t, o.id) {
				hit = true
				break
			}
		}
		if !hit {
			rest = append(rest, t)
		}
	}
	return rest
}

// taxes maps every tax ident of the order to an Odoo tax id.
func (r *run) taxes(ctx context.Context, idents []taxIdent) (map[taxIdent]int64, error) {
	out := map[taxIdent]int64{}
	if len(idents) == 0 {
		return out, nil
	}
	comp, err := r.company(ctx)
	if err != nil {
		return nil, err
	}
	unlock := r.s.keys.lock("taxes")
	defer unlock()
	r.s.mu.Lock()
	ts := r.s.tax
	r.s.mu.Unlock()
	fresh := false
	if !ts.loaded {
		if err := r.loadTaxes(ctx, comp); err != nil {
			return nil, err
		}
		fresh = true
	} else {
		r.usedCache = true
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	rest := r.s.tax.resolve(idents, out)
	if len(rest) > 0 && !fresh {
		// Someone may have created or mapped them since the taxes were loaded.
		r.s.mu.Unlock()
		err := r.loadTaxes(ctx, comp)
		r.s.mu.Lock()
		if err != nil {
			return nil, err
		}
		clear(out)
		rest = r.s.tax.resolve(idents, out)
	}
	for _, t := range rest {
		if !r.cmd.Settings.CreateMissingTaxes {
			return nil, permanent("account.tax", "create", 0, "", fmt.Sprintf(
				"Odoo has no sale tax for Shopify's tax %s, and the shop's settings forbid creating taxes: create it in Odoo (or allow creating taxes)", t))
		}
		r.s.mu.Unlock()
		id, err := r.createTax(ctx, t, comp)
		r.s.mu.Lock()
		if err != nil {
			return nil, err
		}
		out[t] = id
	}
	// Register what is new, so the mapping survives a restart.
	for _, t := range idents {
		id := out[t]
		name := t.xmlid()
		if x, ok := r.s.tax.mapped[name]; !ok || x.resID != id {
			r.register(name, "account.tax", id, r.s.tax.mapped[name])
			r.s.tax.mapped[name] = xmlRef{id: r.s.tax.mapped[name].id, model: "account.tax", resID: id}
			r.s.tax.claimed[id] = name
		}
	}
	return out, nil
}

// createTax copies the company's default sale tax (or its first sale tax) with the
// Shopify tax's rate, flag, name and a tax group named after the title.
func (r *run) createTax(ctx context.Context, t taxIdent, comp company) (int64, error) {
	r.s.mu.Lock()
	tpl, ok := r.s.tax.get(comp.saleTax)
	if !ok && len(r.s.tax.list) > 0 {
		tpl, ok = r.s.tax.list[0], true
	}
	group, haveGroup := r.s.tax.groups[t.title]
	r.s.mu.Unlock()
	if !ok {
		return 0, permanent("account.tax", "copy", 0, "", fmt.Sprintf(
			"Odoo has no sale tax to take the tax accounts from for Shopify's tax %s: create that tax in Odoo, or set the company's default sales tax", t))
	}
	if !haveGroup {
		got, err := SearchRead(ctx, r.c, "account.tax.group", []any{[]any{"name", "=", t.title}}, []string{"id"}, map[string]any{"limit": 1})
		if err != nil {
			return 0, err
		}
		if len(got) > 0 {
			group = got[0].ID()
		} else if tpl.group > 0 {
			if group, err = copyRecord(ctx, r.c, "account.tax.group", tpl.group, map[string]any{"name": t.title}); err != nil {
				return 0, err
			}
		}
	}
	vals := map[string]any{"name": t.name(), "amount": odooFloat(decimal.RequireFromString(t.percent)), "amount_type": "percent",
		"type_tax_use": "sale", "active": true}
	if group > 0 {
		vals["tax_group_id"] = group
	}
	r.d.TaxPriceInclude(vals, t.included)
	id, err := copyRecord(ctx, r.c, "account.tax", tpl.id, vals)
	if err != nil {
		return 0, err
	}
	r.s.log.Info("odoo: created tax", "order", r.key, "id", id, "name", vals["name"], "from", tpl.id)
	r.s.mu.Lock()
	r.s.tax.groups[t.title] = group
	r.s.tax.list = append(r.s.tax.list, odooTax{id: id, name: t.name(), percent: t.percent, included: t.included, group: group})
	r.s.mu.Unlock()
	return id, nil
}

// copyRecord runs model.copy(id, default): an id on 16/17, a list of one id from 18.
func copyRecord(ctx context.Context, c Client, model string, id int64, def map[string]any) (int64, error) {
	res, err := c.Call(ctx, model, "copy", []any{[]int64{id}}, map[string]any{"default": def})
	if err != nil {
		return 0, err
	}
	ids, ok := asIDs(res)
	if !ok || len(ids) != 1 {
		return 0, permanent(model, "copy", 0, "", fmt.Sprintf("unexpected answer to copy: %v", res))
	}
	return ids[0], nil
}
