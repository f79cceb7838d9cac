package odoosim

// The public BaseModel methods every model answers.

import (
	"fmt"
	"sort"
	"strings"
)

func baseMethods(v int) map[string]*Method {
	ms := []*Method{
		{Name: "create", Qual: "BaseModel.create", Params: []string{"vals_list"}, Required: 1, Fn: mCreate},
		{Name: "read", Qual: "BaseModel.read", Multi: true, NoCheck: true, Params: []string{"fields", "load"}, Fn: mRead},
		{Name: "write", Qual: "BaseModel.write", Multi: true, Params: []string{"vals"}, Required: 1, Fn: mWrite},
		{Name: "unlink", Qual: "BaseModel.unlink", Multi: true, NoCheck: true, Fn: mUnlink},
		{Name: "search", Qual: "BaseModel.search", Params: searchParams(v), Required: 1, Fn: mSearch},
		{Name: "search_read", Qual: "BaseModel.search_read", Params: []string{"domain", "fields", "offset", "limit", "order"}, VarKw: true, KwOwner: readFormatOwner(v), KwOK: []string{"load"}, Fn: mSearchRead},
		{Name: "search_count", Qual: "BaseModel.search_count", Params: []string{"domain", "limit"}, Required: 1, Fn: mSearchCount},
		{Name: "name_search", Qual: "BaseModel.name_search", Params: []string{"name", "args", "operator", "limit"}, Fn: mNameSearch},
		{Name: "name_get", Qual: "BaseModel.name_get", Multi: true, NoCheck: true, MaxV: 17, Fn: mNameGet},
		{Name: "fields_get", Qual: "BaseModel.fields_get", Params: []string{"allfields", "attributes"}, Fn: mFieldsGet},
		{Name: "default_get", Qual: "BaseModel.default_get", Params: []string{"fields_list"}, Required: 1, Fn: mDefaultGet},
		{Name: "read_group", Qual: "BaseModel.read_group", Params: []string{"domain", "fields", "groupby", "offset", "limit", "orderby", "lazy"}, Required: 3, Fn: mReadGroup},
		{Name: "check_access_rights", Qual: "BaseModel.check_access_rights", Params: []string{"operation", "raise_exception"}, Required: 1, Fn: func(*call, *Model, []int, map[string]any) (any, error) { return true, nil }},
		{Name: "exists", Qual: "BaseModel.exists", Multi: true, NoCheck: true, Fn: mExists},
		{Name: "get_external_id", Qual: "BaseModel.get_external_id", Multi: true, NoCheck: true, Fn: mGetExternalID},
		{Name: "copy", Qual: "BaseModel.copy", Multi: true, Params: []string{"default"}, Fn: mCopy},
	}
	out := map[string]*Method{}
	for _, m := range ms {
		out[m.Name] = m
	}
	return out
}

func searchParams(v int) []string {
	if v <= 16 {
		return []string{"domain", "offset", "limit", "order", "count"}
	}
	return []string{"domain", "offset", "limit", "order"}
}

func readFormatOwner(v int) string {
	if v <= 16 {
		return "BaseModel.read"
	}
	return "BaseModel._read_format"
}

func mCreate(c *call, m *Model, _ []int, a map[string]any) (any, error) {
	switch vals := a["vals_list"].(type) {
	case map[string]any:
		return c.create(m, vals)
	case []any:
		ids := []int{}
		for _, e := range vals {
			d, ok := e.(map[string]any)
			if !ok {
				return nil, typeError(fmt.Sprintf("'%s' object is not a mapping", pyTypeName(e)))
			}
			id, err := c.create(m, d)
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, nil
	}
	return nil, pyErr("builtins.AttributeError", fmt.Sprintf("AttributeError: '%s' object has no attribute 'get'", pyTypeName(a["vals_list"])))
}

func mRead(c *call, m *Model, ids []int, a map[string]any) (any, error) {
	names, err := c.fieldNames(m, a["fields"])
	if err != nil {
		return nil, err
	}
	return c.readRecs(m, ids, names), nil
}

func mWrite(c *call, m *Model, ids []int, a map[string]any) (any, error) {
	vals, ok := a["vals"].(map[string]any)
	if !ok {
		return nil, pyErr("builtins.AttributeError", fmt.Sprintf("AttributeError: '%s' object has no attribute 'items'", pyTypeName(a["vals"])))
	}
	if err := c.write(m, ids, vals); err != nil {
		return nil, err
	}
	return true, nil
}

func mUnlink(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	if err := c.unlink(m, ids); err != nil {
		return nil, err
	}
	return true, nil
}

func searchArgs(a map[string]any) (int, int, string) {
	order, _ := a["order"].(string)
	return asInt(a["offset"]), asInt(a["limit"]), order
}

func mSearch(c *call, m *Model, _ []int, a map[string]any) (any, error) {
	off, lim, order := searchArgs(a)
	ids, err := c.search(m, a["domain"], off, lim, order)
	if err != nil {
		return nil, err
	}
	if truthy(a["count"]) {
		return len(ids), nil
	}
	return ids, nil
}

func mSearchRead(c *call, m *Model, _ []int, a map[string]any) (any, error) {
	names, err := c.fieldNames(m, a["fields"])
	if err != nil {
		return nil, err
	}
	off, lim, order := searchArgs(a)
	ids, err := c.search(m, a["domain"], off, lim, order)
	if err != nil {
		return nil, err
	}
	return c.readRecs(m, ids, names), nil
}

func mSearchCount(c *call, m *Model, _ []int, a map[string]any) (any, error) {
	ids, err := c.search(m, a["domain"], 0, asInt(a["limit"]), "")
	if err != nil {
		return nil, err
	}
	return len(ids), nil
}

func mNameSearch(c *call, m *Model, _ []int, a map[string]any) (any, error) {
	name := asStr(a["name"])
	op, _ := a["operator"].(string)
	if op == "" {
		op = "ilike"
	}
	limit := 100
	if l, ok := a["limit"]; ok {
		limit = asInt(l)
	}
	ids, err := c.search(m, a["args"], 0, 0, "")
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, id := range ids {
		r := m.recs[id]
		cands := []string{c.displayName(m.Name, id), asStr(r["name"])}
		if m.Name == "product.product" {
			cands = append(cands, asStr(r["default_code"]))
		}
		if m.Name == "res.partner" {
			cands = append(cands, asStr(r["email"]))
		}
		hit := name == ""
		for _, s := range cands {
			if s != "" && strCmp(s, op, name, true) {
				hit = true
			}
		}
		if hit {
			out = append(out, []any{id, c.displayName(m.Name, id)})
		}
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

func mNameGet(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	out := []any{}
	for _, id := range ids {
		if m.recs[id] != nil {
			out = append(out, []any{id, c.displayName(m.Name, id)})
		}
	}
	return out, nil
}

func mExists(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	out := []int{}
	for _, id := range ids {
		if m.recs[id] != nil {
			out = append(out, id)
		}
	}
	return out, nil
}

// get_external_id answers {id: xmlid}: int keys cannot be marshalled, which
// is exactly what Odoo's XML-RPC answers (the JSON-2 side can encode it).
func mGetExternalID(c *call, m *Model, ids []int, _ map[string]any) (any, error) {
	res := newOMap()
	for _, id := range ids {
		xid := ""
		imd := c.s.models["ir.model.data"]
		for _, iid := range imd.sortedIDs() {
			r := imd.recs[iid]
			if r["model"] == m.Name && asInt(r["res_id"]) == id {
				xid = asStr(r["module"]) + "." + asStr(r["name"])
			}
		}
		res.Set(fmt.Sprint(id), xid)
	}
	return intKeyed{res}, nil
}

// intKeyed marks a dict whose keys are ints in Python.
type intKeyed struct{ m *OMap }

func mFieldsGet(c *call, m *Model, _ []int, a map[string]any) (any, error) {
	var attrs []string
	if l, ok := a["attributes"].([]any); ok {
		for _, e := range l {
			attrs = append(attrs, asStr(e))
		}
	}
	var only []string
	if l, ok := a["allfields"].([]any); ok {
		for _, e := range l {
			only = append(only, asStr(e))
		}
	}
	want := func(k string) bool { return len(attrs) == 0 || contains(attrs, k) }
	names := []string{}
	for _, n := range m.fieldOrder {
		if m.fields[n].inVersion(c.version()) && (len(only) == 0 || contains(only, n)) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	res := newOMap()
	for _, n := range names {
		f := m.fields[n]
		d := newOMap()
		if want("readonly") {
			d.Set("readonly", f.Compute != nil || f.Readonly)
		}
		if want("relation") && f.Relation != "" {
			d.Set("relation", f.Relation)
		}
		if want("required") {
			d.Set("required", f.Required)
		}
		if want("selection") && f.Type == "selection" {
			sel := []any{}
			for _, s := range f.Selection {
				sel = append(sel, []any{s, s})
			}
			d.Set("selection", sel)
		}
		if want("string") {
			d.Set("string", f.Label)
		}
		if want("type") {
			d.Set("type", f.Type)
		}
		res.Set(n, d)
	}
	return res, nil
}

func mDefaultGet(c *call, m *Model, _ []int, a map[string]any) (any, error) {
	res := newOMap()
	l, _ := a["fields_list"].([]any)
	for _, e := range l {
		n := asStr(e)
		f := m.field(c.version(), n)
		if f == nil || f.Default == nil {
			continue
		}
		if v := f.Default(c); v != nil {
			res.Set(n, v)
		}
	}
	if m.Name == "stock.return.picking" && truthy(c.ctx["active_id"]) && contains(toStrings(l), "picking_id") {
		res.Set("picking_id", asInt(c.ctx["active_id"]))
	}
	return res, nil
}

func toStrings(l []any) []string {
	out := []string{}
	for _, e := range l {
		out = append(out, asStr(e))
	}
	return out
}

func mReadGroup(c *call, m *Model, _ []int, a map[string]any) (any, error) {
	var gb []string
	switch g := a["groupby"].(type) {
	case string:
		gb = []string{g}
	case []any:
		gb = toStrings(g)
	}
	if len(gb) == 0 {
		return nil, valueError("read_group without groupby is not supported by the simulator")
	}
	gfield := strings.Split(gb[0], ":")[0]
	gf := m.field(c.version(), gfield)
	if gf == nil {
		return nil, c.invalidField(m, gfield)
	}
	type agg struct{ out, field, fn string }
	var aggs []agg
	fl, _ := a["fields"].([]any)
	for _, e := range fl {
		spec := asStr(e)
		name, fn, _ := strings.Cut(spec, ":")
		out := name
		if strings.Contains(name, "(") { // out:agg(field)
			continue
		}
		if fn == "" {
			fn = "sum"
		}
		if name == gfield {
			continue
		}
		f := m.field(c.version(), name)
		if f == nil {
			return nil, c.invalidField(m, name)
		}
		if f.Type != "float" && f.Type != "monetary" && f.Type != "integer" {
			continue
		}
		aggs = append(aggs, agg{out, name, fn})
	}
	ids, err := c.search(m, a["domain"], 0, 0, "")
	if err != nil {
		return nil, err
	}
	type group struct {
		key   any
		ids   []int
		label any
	}
	var groups []*group
	idx := map[string]*group{}
	for _, id := range ids {
		r := m.recs[id]
		v := c.readValue(m, r, gf)
		k := fmt.Sprint(v)
		g := idx[k]
		if g == nil {
			g = &group{key: c.get(m, r, gfield), label: v}
			idx[k] = g
			groups = append(groups, g)
		}
		g.ids = append(g.ids, id)
	}
	sort.SliceStable(groups, func(i, j int) bool { return cmpOrder(fmt.Sprint(groups[i].label), fmt.Sprint(groups[j].label)) < 0 })
	lazy := true
	if l, ok := a["lazy"]; ok {
		lazy = truthy(l)
	}
	dom, _ := a["domain"].([]any)
	out := []any{}
	for _, g := range groups {
		row := newOMap()
		cnt := "__count"
		if lazy {
			cnt = gfield + "_count"
		}
		gleaf := []any{gfield, "=", g.key}
		if g.key == nil {
			gleaf = []any{gfield, "=", false}
		}
		var gd []any
		if c.version() >= 17 {
			row.Set(gfield, g.label)
			row.Set(cnt, len(g.ids))
			gd = append([]any{"&"}, append(append([]any{}, dom...), gleaf)...)
		} else {
			row.Set(cnt, len(g.ids))
			gd = append([]any{"&", gleaf}, dom...)
		}
		for _, ag := range aggs {
			total := 0.0
			for _, id := range g.ids {
				total += asFloat(c.get(m, m.recs[id], ag.field))
			}
			row.Set(ag.out, round2f(total))
		}
		if c.version() < 17 {
			row.Set(gfield, g.label)
		}
		if len(dom) == 0 {
			gd = []any{gleaf}
		}
		row.Set("__domain", gd)
		out = append(out, row)
	}
	return out, nil
}

// mCopy duplicates records with their stored fields (one2many children are the
// model's business: account.tax copies its repartition lines), the default values
// applied over them. Up to 17 copy works on one record and answers its id; from 18
// it answers the list of new ids.
func mCopy(c *call, m *Model, ids []int, a map[string]any) (any, error) {
	if c.version() <= 17 && len(ids) != 1 {
		return nil, valueError(fmt.Sprintf("Expected singleton: %s(%s)", m.Name, joinInts(ids)))
	}
	def, _ := a["default"].(map[string]any)
	out := []int{}
	for _, id := range ids {
		src := m.recs[id]
		vals := map[string]any{}
		for _, name := range m.fieldOrder {
			f := m.fields[name]
			if !f.inVersion(c.version()) || f.Compute != nil || f.Readonly || f.Type == "one2many" || name == "id" {
				continue
			}
			v, ok := src[name]
			if !ok || v == nil {
				continue
			}
			if f.Type == "many2many" {
				v = []any{[]any{6, 0, intsToAny(asIDs(v))}}
			}
			vals[name] = v
		}
		for k, v := range def {
			vals[k] = v
		}
		c.ctx["__copy_of"] = id
		nid, err := c.create(m, vals)
		delete(c.ctx, "__copy_of")
		if err != nil {
			return nil, err
		}
		out = append(out, nid)
	}
	if c.version() <= 17 {
		return out[0], nil
	}
	return out, nil
}

func joinInts(ids []int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	s := strings.Join(parts, ", ")
	if len(ids) == 1 {
		s += ","
	}
	return s
}
