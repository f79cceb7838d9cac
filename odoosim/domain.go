package odoosim

// Domain evaluation (Polish-notation '&', '|', '!' with implicit AND) and
// ordering for search.

import (
	"fmt"
	"sort"
	"strings"
)

type dnode struct {
	op    string // "&", "|", "!", "leaf", "true"
	kids  []*dnode
	field string
	cmp   string
	val   any
	leaf  []any
}

var domainOps = []string{"=", "!=", "<>", "<", ">", "<=", ">=", "in", "not in", "like", "ilike", "not like", "not ilike", "=like", "=ilike", "child_of", "parent_of", "any", "not any"}

func (c *call) parseDomain(m *Model, dom any) (*dnode, error) {
	if dom == nil || dom == false {
		return &dnode{op: "true"}, nil
	}
	list, ok := dom.([]any)
	if !ok {
		return nil, valueError(fmt.Sprintf("Invalid domain: %s", pyRepr(dom)))
	}
	pos := 0
	var parse func() (*dnode, error)
	parse = func() (*dnode, error) {
		if pos >= len(list) {
			return nil, valueError(fmt.Sprintf("Domain %s is syntactically not correct.", pyRepr(dom)))
		}
		e := list[pos]
		pos++
		switch t := e.(type) {
		case string:
			switch t {
			case "&", "|":
				a, err := parse()
				if err != nil {
					return nil, err
				}
				b, err := parse()
				if err != nil {
					return nil, err
				}
				return &dnode{op: t, kids: []*dnode{a, b}}, nil
			case "!":
				a, err := parse()
				if err != nil {
					return nil, err
				}
				return &dnode{op: "!", kids: []*dnode{a}}, nil
			}
		case []any:
			if len(t) == 3 {
				fname, _ := t[0].(string)
				op, _ := t[1].(string)
				op = strings.ToLower(op)
				if fname == "" || !contains(domainOps, op) {
					return nil, valueError(fmt.Sprintf("Invalid leaf %s", pyTuple(t...)))
				}
				if err := c.checkPath(m, fname, t); err != nil {
					return nil, err
				}
				return &dnode{op: "leaf", field: fname, cmp: op, val: t[2], leaf: t}, nil
			}
		case bool:
			return &dnode{op: "true"}, nil
		}
		return nil, valueError(fmt.Sprintf("Invalid leaf %s", pyRepr(e)))
	}
	var nodes []*dnode
	for pos < len(list) {
		n, err := parse()
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	if len(nodes) == 0 {
		return &dnode{op: "true"}, nil
	}
	root := nodes[len(nodes)-1]
	for i := len(nodes) - 2; i >= 0; i-- {
		root = &dnode{op: "&", kids: []*dnode{nodes[i], root}}
	}
	return root, nil
}

func (c *call) checkPath(m *Model, path string, leaf []any) error {
	cur := m
	for _, part := range strings.Split(path, ".") {
		if part == "id" || cur == nil {
			continue
		}
		f := cur.field(c.version(), part)
		if f == nil {
			return valueError(fmt.Sprintf("Invalid field %s.%s in leaf %s", cur.Name, part, pyTuple(leaf...)))
		}
		cur = nil
		if f.Relation != "" {
			cur = c.s.models[f.Relation]
		}
	}
	return nil
}

func (c *call) mentions(n *dnode, field string) bool {
	if n.op == "leaf" {
		return n.field == field || strings.HasPrefix(n.field, field+".")
	}
	for _, k := range n.kids {
		if c.mentions(k, field) {
			return true
		}
	}
	return false
}

func (c *call) eval(m *Model, r Record, n *dnode) bool {
	switch n.op {
	case "true":
		return true
	case "&":
		return c.eval(m, r, n.kids[0]) && c.eval(m, r, n.kids[1])
	case "|":
		return c.eval(m, r, n.kids[0]) || c.eval(m, r, n.kids[1])
	case "!":
		return !c.eval(m, r, n.kids[0])
	}
	return c.evalLeaf(m, r, n.field, n.cmp, n.val)
}

func (c *call) evalLeaf(m *Model, r Record, path, op string, want any) bool {
	name, rest, dotted := strings.Cut(path, ".")
	if name == "id" {
		return cmpValue(r["id"], op, want, nil, c, "")
	}
	f := m.fields[name]
	v := c.get(m, r, name)
	if dotted && f.Relation != "" {
		rel := c.s.models[f.Relation]
		var ids []int
		if f.Type == "many2one" {
			if id := asInt(v); id != 0 {
				ids = []int{id}
			}
		} else {
			ids = asIDs(v)
		}
		negative := op == "!=" || op == "not in" || strings.HasPrefix(op, "not ")
		if negative {
			for _, id := range ids {
				if rr := rel.recs[id]; rr != nil && !c.evalLeaf(rel, rr, rest, op, want) {
					return false
				}
			}
			return true
		}
		for _, id := range ids {
			if rr := rel.recs[id]; rr != nil && c.evalLeaf(rel, rr, rest, op, want) {
				return true
			}
		}
		return false
	}
	return cmpValue(v, op, want, f, c, name)
}

// cmpValue compares a stored value with a domain operand.
func cmpValue(v any, op string, want any, f *Field, c *call, _ string) bool {
	typ := ""
	if f != nil {
		typ = f.Type
	}
	if typ == "many2many" || typ == "one2many" {
		ids := asIDs(v)
		switch op {
		case "=", "in":
			if want == false || want == nil {
				return len(ids) == 0
			}
			for _, w := range asIDs(want) {
				if containsInt(ids, w) {
					return true
				}
			}
			return false
		case "!=", "<>", "not in":
			if want == false || want == nil {
				return len(ids) > 0
			}
			for _, w := range asIDs(want) {
				if containsInt(ids, w) {
					return false
				}
			}
			return true
		}
		return false
	}
	if typ == "many2one" {
		id := asInt(v)
		// strings match on the display name, like Odoo's name_search
		if s, ok := want.(string); ok {
			name := ""
			if id != 0 {
				name = c.displayName(f.Relation, id)
			}
			return strCmp(name, op, s, id != 0)
		}
		if l, ok := want.([]any); ok {
			hit := false
			for _, w := range l {
				if asInt(w) == id && id != 0 {
					hit = true
				}
			}
			if op == "not in" {
				return !hit
			}
			return hit
		}
		var vv any = id
		if id == 0 {
			vv = false
		}
		return cmpScalar(vv, op, want)
	}
	if s, ok := want.(string); ok && (strings.Contains(op, "like")) {
		vs, isStr := v.(string)
		return strCmp(vs, op, s, isStr)
	}
	if v == nil {
		v = false
		if typ == "integer" || typ == "float" || typ == "monetary" {
			v = 0
		}
	}
	return cmpScalar(v, op, want)
}

func strCmp(v, op, want string, set bool) bool {
	switch op {
	case "=":
		return set && v == want
	case "!=", "<>":
		return !set || v != want
	case "ilike":
		return set && strings.Contains(strings.ToLower(v), strings.ToLower(want))
	case "not ilike":
		return !set || !strings.Contains(strings.ToLower(v), strings.ToLower(want))
	case "like":
		return set && strings.Contains(v, want)
	case "not like":
		return !set || !strings.Contains(v, want)
	case "=ilike":
		return set && likeMatch(strings.ToLower(v), strings.ToLower(want))
	case "=like":
		return set && likeMatch(v, want)
	case "in":
		return set && v == want
	}
	return false
}

// likeMatch implements SQL LIKE with % and _ wildcards.
func likeMatch(s, pat string) bool {
	if pat == "" {
		return s == ""
	}
	switch pat[0] {
	case '%':
		for i := 0; i <= len(s); i++ {
			if likeMatch(s[i:], pat[1:]) {
				return true
			}
		}
		return false
	case '_':
		return s != "" && likeMatch(s[1:], pat[1:])
	case '\\':
		if len(pat) > 1 {
			return s != "" && s[0] == pat[1] && likeMatch(s[1:], pat[2:])
		}
	}
	return s != "" && s[0] == pat[0] && likeMatch(s[1:], pat[1:])
}

func cmpScalar(v any, op string, want any) bool {
	switch op {
	case "in", "not in":
		l, _ := want.([]any)
		hit := false
		for _, w := range l {
			if eqVal(v, w) {
				hit = true
			}
		}
		if op == "in" {
			return hit
		}
		return !hit
	case "=", "child_of", "parent_of":
		return eqVal(v, want)
	case "!=", "<>":
		return !eqVal(v, want)
	case "<", ">", "<=", ">=":
		if v == false || want == false || v == nil {
			return false
		}
		d := cmpOrder(v, want)
		switch op {
		case "<":
			return d < 0
		case ">":
			return d > 0
		case "<=":
			return d <= 0
		}
		return d >= 0
	case "like", "ilike", "=like", "=ilike", "not like", "not ilike":
		vs, ok := v.(string)
		return strCmp(vs, op, fmt.Sprint(want), ok)
	}
	return false
}

func eqVal(a, b any) bool {
	if a == nil {
		a = false
	}
	if b == nil {
		b = false
	}
	switch x := a.(type) {
	case int, float64:
		switch b.(type) {
		case int, float64:
			return asFloat(x) == asFloat(b)
		case bool:
			return b == false && asFloat(x) == 0
		}
		return false
	case bool:
		switch b.(type) {
		case bool:
			return x == b
		case int:
			return (x && b == 1) || (!x && b == 0)
		}
		return false
	case string:
		s, ok := b.(string)
		return ok && x == s
	}
	return false
}

func cmpOrder(a, b any) int {
	switch a.(type) {
	case int, float64:
		x, y := asFloat(a), asFloat(b)
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
		return 0
	case string:
		return strings.Compare(a.(string), fmt.Sprint(b))
	case bool:
		x, y := asInt(a), asInt(b)
		return x - y
	}
	return 0
}

// search returns matching ids, honouring active_test, order, offset, limit.
func (c *call) search(m *Model, domain any, offset, limit int, order string) ([]int, error) {
	root, err := c.parseDomain(m, domain)
	if err != nil {
		return nil, err
	}
	activeTest := true
	if v, ok := c.ctx["active_test"]; ok && !truthy(v) {
		activeTest = false
	}
	hasActive := m.field(c.version(), "active") != nil && activeTest && !c.mentions(root, "active")
	var ids []int
	for _, id := range m.sortedIDs() {
		r := m.recs[id]
		if hasActive && r["active"] == false {
			continue
		}
		if c.eval(m, r, root) {
			ids = append(ids, id)
		}
	}
	if order == "" {
		order = m.order
	}
	if err := c.sortIDs(m, ids, order, order != m.order); err != nil {
		return nil, err
	}
	if offset > 0 {
		if offset >= len(ids) {
			ids = nil
		} else {
			ids = ids[offset:]
		}
	}
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	if ids == nil {
		ids = []int{}
	}
	return ids, nil
}

func (c *call) sortIDs(m *Model, ids []int, order string, strict bool) error {
	type key struct {
		f    string
		desc bool
	}
	var keys []key
	for _, part := range strings.Split(order, ",") {
		fs := strings.Fields(part)
		if len(fs) == 0 {
			continue
		}
		k := key{f: fs[0]}
		if len(fs) > 1 && strings.EqualFold(fs[1], "desc") {
			k.desc = true
		}
		if k.f != "id" && m.field(c.version(), k.f) == nil {
			if !strict {
				continue // default _order fields we do not model
			}
			return valueError(fmt.Sprintf("Invalid \"order\" specified (%s). A valid \"order\" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)", order))
		}
		keys = append(keys, k)
	}
	keys = append(keys, key{f: "id"})
	sort.SliceStable(ids, func(i, j int) bool {
		a, b := m.recs[ids[i]], m.recs[ids[j]]
		for _, k := range keys {
			var va, vb any
			if k.f == "id" {
				va, vb = a["id"], b["id"]
			} else {
				va, vb = c.sortVal(m, a, k.f), c.sortVal(m, b, k.f)
			}
			d := cmpOrder(va, vb)
			if va == nil && vb != nil {
				d = 1 // NULLs last in ascending order, as PostgreSQL does
			} else if vb == nil && va != nil {
				d = -1
			}
			if d != 0 {
				if k.desc {
					return d > 0
				}
				return d < 0
			}
		}
		return false
	})
	return nil
}

func (c *call) sortVal(m *Model, r Record, name string) any {
	v := c.get(m, r, name)
	f := m.fields[name]
	if f != nil && f.Type == "many2one" {
		if id := asInt(v); id != 0 {
			return c.displayName(f.Relation, id)
		}
		return nil
	}
	if v == false && (f == nil || f.Type != "boolean") {
		return nil
	}
	return v
}
