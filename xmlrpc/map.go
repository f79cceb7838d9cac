package xmlrpc

// Map is an insertion-ordered struct, as a Python dict is. The simulator answers with
// it (Odoo's read results and actions keep their key order), and DecodeOrdered reads
// into it, so a decoded message encodes back to the same bytes.
type Map struct {
	keys []string
	vals map[string]any
}

var _ OrderedMap = (*Map)(nil)

// NewMap builds a Map from alternating keys and values.
func NewMap(kv ...any) *Map {
	m := &Map{vals: make(map[string]any, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Set(kv[i].(string), kv[i+1])
	}
	return m
}

// Set adds or replaces a member; a new key goes last.
func (m *Map) Set(k string, v any) {
	if m.vals == nil {
		m.vals = map[string]any{}
	}
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

// Get returns a member.
func (m *Map) Get(k string) (any, bool) { v, ok := m.vals[k]; return v, ok }

// Keys are the members' names in order.
func (m *Map) Keys() []string { return m.keys }

// Len is the number of members.
func (m *Map) Len() int { return len(m.keys) }

// Plain converts ordered maps (recursively) into ordinary Go maps, for callers that
// do not care about order.
func Plain(v any) any {
	switch t := v.(type) {
	case OrderedMap:
		keys := t.Keys()
		out := make(map[string]any, len(keys))
		for _, k := range keys {
			e, _ := t.Get(k)
			out[k] = Plain(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = Plain(e)
		}
		return out
	}
	return v
}
