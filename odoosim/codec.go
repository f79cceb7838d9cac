package odoosim

// The simulator speaks XML-RPC through the shared codec (module xmlrpc), the same one
// the Odoo sink uses; both are pinned to the recorded bytes of real Odoo. This file
// adapts it to the simulator's values: ints as int (the ORM's ids), dateTime as Odoo's
// "YYYY-MM-DD HH:MM:SS", and OMap, an insertion-ordered dict, for every answer.

import (
	"bytes"
	"io"
	"strings"

	"github.com/synco-dev/synco/xmlrpc"
)

// OMap is an insertion-ordered string-keyed map. Python dicts keep insertion
// order and Odoo's answers (read results, actions) rely on it, so every dict
// we answer with is an OMap.
type OMap struct{ xmlrpc.Map }

func newOMap() *OMap { return &OMap{} }

// om builds an OMap from alternating key, value pairs.
func om(kv ...any) *OMap {
	m := newOMap()
	for i := 0; i+1 < len(kv); i += 2 {
		m.Set(kv[i].(string), kv[i+1])
	}
	return m
}

// Plain converts the ordered map (recursively) into ordinary Go maps for
// callers that do not care about order (Records, tests).
func (m *OMap) Plain() map[string]any { return xmlrpc.Plain(m).(map[string]any) }

// MarshalJSON keeps key order for JSON-2 answers.
func (m *OMap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.Keys() {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := jsonMarshal(k)
		b.Write(kb)
		b.WriteByte(':')
		v, _ := m.Get(k)
		vb, err := jsonMarshal(v)
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

type methodCall struct {
	Method string
	Params []any
}

func decodeMethodCall(r io.Reader) (*methodCall, error) {
	method, params, err := xmlrpc.DecodeCall(r)
	if err != nil {
		return nil, err
	}
	return &methodCall{Method: method, Params: simValue(params).([]any)}, nil
}

// simValue turns decoded values into the simulator's: int64 → int, DateTime → Odoo's
// datetime text.
func simValue(v any) any {
	switch t := v.(type) {
	case int64:
		return int(t)
	case xmlrpc.DateTime:
		return isoToOdoo(string(t))
	case []any:
		for i := range t {
			t[i] = simValue(t[i])
		}
		return t
	case map[string]any:
		for k := range t {
			t[k] = simValue(t[k])
		}
		return t
	}
	return v
}

// isoToOdoo turns 20261126T15:28:07 into Odoo's "2026-11-26 15:28:07".
func isoToOdoo(s string) string {
	s = strings.ReplaceAll(s, "-", "")
	if len(s) >= 17 && s[8] == 'T' {
		return s[0:4] + "-" + s[4:6] + "-" + s[6:8] + " " + s[9:17]
	}
	return s
}

// errMarshalNone mirrors Python's TypeError when a None sneaks into a reply.
var errMarshalNone = xmlrpc.ErrNone

func encodeResponse(v any) ([]byte, error) { return xmlrpc.EncodeResponse(v) }

// encodeFault writes a fault; code is an int except on the legacy endpoint
// where Odoo sends string fault codes.
func encodeFault(code any, msg string) []byte {
	f := xmlrpc.Fault{String: msg}
	switch c := code.(type) {
	case int:
		f.Code = c
	case string:
		f.CodeText = c
	}
	return xmlrpc.EncodeFault(f)
}

func pyFloat(f float64) string { return xmlrpc.PyFloat(f) }
