package odoosim

// The in-memory database: models with their field schemas, records, and a
// per-call transaction (undo log) so that a call that faults leaves no trace,
// like Odoo's one-transaction-per-RPC. Record ids, like PostgreSQL
// sequences, are not given back on rollback.

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

type Record map[string]any

type Field struct {
	Name, Type, Label string
	Required          bool
	Relation, Inverse string
	Selection         []string
	Size              int
	MinV, MaxV        int // version range; 0 = open
	// Compute makes the field computed on read (not stored, read-only).
	Compute func(c *call, r Record) any
	// Keep restricts a one2many to the children it keeps (invoice_line_ids leaves
	// out the receivable line that line_ids holds).
	Keep    func(child Record) bool
	Default func(c *call) any
	// Owner/OwnerDesc name the model whose table holds the column (product
	// fields live on product.template), used in fault texts.
	Owner, OwnerDesc string
	Readonly         bool
}

func (f *Field) inVersion(v int) bool {
	return (f.MinV == 0 || v >= f.MinV) && (f.MaxV == 0 || v <= f.MaxV)
}

type Model struct {
	Name, Desc string
	Class      string // Python class name used in TypeError texts
	fields     map[string]*Field
	fieldOrder []string
	methods    map[string]*Method
	recs       map[int]Record
	next       int
	order      string // default _order
	// display computes display_name; default is the name field.
	display func(c *call, r Record) string
	// hooks
	beforeCreate func(c *call, r Record, vals map[string]any) error
	afterCreate  func(c *call, r Record, vals map[string]any) error
	beforeWrite  func(c *call, r Record, vals map[string]any) error
	afterWrite   func(c *call, r Record, vals map[string]any) error
	beforeUnlink func(c *call, r Record) error
}

func (m *Model) field(v int, name string) *Field {
	f := m.fields[name]
	if f == nil || !f.inVersion(v) {
		return nil
	}
	return f
}

// sortedIDs returns all record ids ascending.
func (m *Model) sortedIDs() []int {
	ids := make([]int, 0, len(m.recs))
	for id := range m.recs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

type store struct {
	version   int
	models    map[string]*Model
	seqs      map[string]int
	now       func() time.Time
	smsAsked  bool // stock_sms: first outgoing validation per company asks
	companyID int
}

// call is one RPC invocation: context, and the undo log of its transaction.
type call struct {
	s       *store
	ctx     map[string]any
	saved   map[*Model]map[int]Record // original copies of touched records (nil = inserted)
	deleted map[*Model]map[int]Record
}

func (s *store) newCall(ctx map[string]any) *call {
	if ctx == nil {
		ctx = map[string]any{}
	}
	return &call{s: s, ctx: ctx, saved: map[*Model]map[int]Record{}, deleted: map[*Model]map[int]Record{}}
}

func (s *store) model(name string) *Model { return s.models[name] }

// rollback undoes every change of the call.
func (c *call) rollback() {
	for m, recs := range c.saved {
		for id, orig := range recs {
			if orig == nil {
				delete(m.recs, id)
			} else {
				m.recs[id] = orig
			}
		}
	}
	for m, recs := range c.deleted {
		for id, orig := range recs {
			m.recs[id] = orig
		}
	}
}

func copyRec(r Record) Record {
	n := make(Record, len(r))
	for k, v := range r {
		n[k] = v
	}
	return n
}

// mut returns the live record for modification, saving its original once.
func (c *call) mut(m *Model, id int) Record {
	r := m.recs[id]
	if r == nil {
		return nil
	}
	if c.saved[m] == nil {
		c.saved[m] = map[int]Record{}
	}
	if _, ok := c.saved[m][id]; !ok {
		c.saved[m][id] = copyRec(r)
	}
	return r
}

func (c *call) set(m *Model, id int, vals Record) {
	r := c.mut(m, id)
	if r == nil {
		return
	}
	for k, v := range vals {
		r[k] = v
	}
}

func (c *call) insert(m *Model, r Record) int {
	m.next++
	id := m.next
	r["id"] = id
	m.recs[id] = r
	if c.saved[m] == nil {
		c.saved[m] = map[int]Record{}
	}
	c.saved[m][id] = nil
	return id
}

func (c *call) remove(m *Model, id int) {
	r := m.recs[id]
	if r == nil {
		return
	}
	if c.deleted[m] == nil {
		c.deleted[m] = map[int]Record{}
	}
	if orig, ok := c.saved[m][id]; ok {
		delete(c.saved[m], id)
		if orig != nil {
			c.deleted[m][id] = orig
		}
	} else {
		c.deleted[m][id] = r
	}
	delete(m.recs, id)
}

func (c *call) version() int { return c.s.version }

func (c *call) rec(model string, id int) Record {
	m := c.s.models[model]
	if m == nil {
		return nil
	}
	return m.recs[id]
}

// get reads a field value including computed ones (raw form: m2o as int).
func (c *call) get(m *Model, r Record, name string) any {
	if name == "id" {
		return r["id"]
	}
	f := m.fields[name]
	if f == nil {
		return nil
	}
	if f.Compute != nil {
		return f.Compute(c, r)
	}
	if f.Type == "one2many" {
		return c.o2m(f, r["id"].(int))
	}
	return r[name]
}

// o2m lists the children a one2many field holds.
func (c *call) o2m(f *Field, id int) []int {
	ids := c.children(f.Relation, f.Inverse, id)
	if f.Keep == nil {
		return ids
	}
	m := c.s.models[f.Relation]
	out := []int{}
	for _, cid := range ids {
		if f.Keep(m.recs[cid]) {
			out = append(out, cid)
		}
	}
	return out
}

// children lists ids of relation records whose inverse many2one points to id.
func (c *call) children(model, inverse string, id int) []int {
	m := c.s.models[model]
	var out []int
	for _, cid := range m.sortedIDs() {
		if asInt(m.recs[cid][inverse]) == id {
			out = append(out, cid)
		}
	}
	if out == nil {
		out = []int{}
	}
	return out
}

func (c *call) displayName(model string, id int) string {
	m := c.s.models[model]
	if m == nil {
		return ""
	}
	r := m.recs[id]
	if r == nil {
		return ""
	}
	if m.display != nil {
		return m.display(c, r)
	}
	if s, ok := r["name"].(string); ok {
		return s
	}
	return fmt.Sprintf("%s,%d", model, id)
}

// nextSeq returns the next number of a named sequence.
func (s *store) nextSeq(name string) int {
	s.seqs[name]++
	return s.seqs[name]
}

func (s *store) today() string  { return s.now().UTC().Format("2006-01-02") }
func (s *store) nowStr() string { return s.now().UTC().Format("2006-01-02 15:04:05") }

// ---------------------------------------------------------------- helpers

func asInt(v any) int {
	switch t := v.(type) {
	case int:
		return t
	case int64:
		return int(t)
	case float64:
		return int(t)
	case bool:
		if t {
			return 1
		}
	}
	return 0
}

func asFloat(v any) float64 {
	switch t := v.(type) {
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case float64:
		return t
	case bool:
		if t {
			return 1
		}
	}
	return 0
}

func asStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func asBool(v any) bool { return truthy(v) }

// truthy follows Python truthiness.
func truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case int:
		return t != 0
	case int64:
		return t != 0
	case float64:
		return t != 0
	case string:
		return t != ""
	case []any:
		return len(t) > 0
	case []int:
		return len(t) > 0
	case map[string]any:
		return len(t) > 0
	}
	return true
}

func asIDs(v any) []int {
	switch t := v.(type) {
	case []int:
		return t
	case []any:
		out := make([]int, 0, len(t))
		for _, e := range t {
			out = append(out, asInt(e))
		}
		return out
	case int:
		return []int{t}
	}
	return nil
}

// pyRepr renders a value the way Python's repr() does (for fault texts).
func pyRepr(v any) string {
	switch t := v.(type) {
	case nil:
		return "None"
	case bool:
		if t {
			return "True"
		}
		return "False"
	case int:
		return fmt.Sprint(t)
	case float64:
		return pyFloat(t)
	case string:
		if strings.Contains(t, "'") && !strings.Contains(t, `"`) {
			return `"` + t + `"`
		}
		return "'" + strings.ReplaceAll(strings.ReplaceAll(t, `\`, `\\`), "'", `\'`) + "'"
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyRepr(k) + ": " + pyRepr(t[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

func pyTuple(vs ...any) string {
	parts := make([]string, len(vs))
	for i, e := range vs {
		parts[i] = pyRepr(e)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func containsInt(list []int, n int) bool {
	for _, e := range list {
		if e == n {
			return true
		}
	}
	return false
}
