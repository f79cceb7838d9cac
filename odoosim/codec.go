package odoosim

// Server-side XML-RPC codec. Decoding accepts everything Python's
// xmlrpc.client marshaller (and other clients) send; encoding reproduces the
// exact byte layout of Python's marshaller, because the recordings show that
// is what Odoo answers with and clients (and our replay tests) depend on it.

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// OMap is an insertion-ordered string-keyed map. Python dicts keep insertion
// order and Odoo's answers (read results, actions) rely on it, so every dict
// we answer with is an OMap.
type OMap struct {
	keys []string
	vals map[string]any
}

func newOMap() *OMap { return &OMap{vals: map[string]any{}} }

// om builds an OMap from alternating key, value pairs.
func om(kv ...any) *OMap {
	m := newOMap()
	for i := 0; i+1 < len(kv); i += 2 {
		m.Set(kv[i].(string), kv[i+1])
	}
	return m
}

func (m *OMap) Set(k string, v any) {
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

func (m *OMap) Get(k string) (any, bool) { v, ok := m.vals[k]; return v, ok }
func (m *OMap) Keys() []string           { return m.keys }
func (m *OMap) Len() int                 { return len(m.keys) }

// Plain converts the ordered map (recursively) into ordinary Go maps for
// callers that do not care about order (Records, tests).
func (m *OMap) Plain() map[string]any {
	out := make(map[string]any, len(m.keys))
	for _, k := range m.keys {
		out[k] = plain(m.vals[k])
	}
	return out
}

func plain(v any) any {
	switch t := v.(type) {
	case *OMap:
		return t.Plain()
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// MarshalJSON keeps key order for JSON-2 answers.
func (m *OMap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := jsonMarshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := jsonMarshal(m.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// ---------------------------------------------------------------- decoding

type methodCall struct {
	Method string
	Params []any
}

var errBadXML = errors.New("malformed XML-RPC request")

func decodeMethodCall(r io.Reader) (*methodCall, error) {
	d := xml.NewDecoder(r)
	d.Strict = true
	mc := &methodCall{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "methodName":
			s, err := readText(d)
			if err != nil {
				return nil, err
			}
			mc.Method = strings.TrimSpace(s)
		case "param":
			v, err := decodeParam(d)
			if err != nil {
				return nil, err
			}
			mc.Params = append(mc.Params, v)
		}
	}
	if mc.Method == "" {
		return nil, errBadXML
	}
	return mc, nil
}

func readText(d *xml.Decoder) (string, error) {
	var sb strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			sb.Write(t)
		case xml.EndElement:
			return sb.String(), nil
		case xml.StartElement:
			return "", errBadXML
		}
	}
}

// decodeParam reads inside <param> until its end, returning the value.
func decodeParam(d *xml.Decoder) (any, error) {
	var v any
	got := false
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "value" {
				return nil, errBadXML
			}
			v, err = decodeValue(d)
			if err != nil {
				return nil, err
			}
			got = true
		case xml.EndElement:
			if !got {
				return nil, errBadXML
			}
			return v, nil
		}
	}
}

// decodeValue is called right after <value> was consumed.
func decodeValue(d *xml.Decoder) (any, error) {
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.EndElement: // </value> without a type tag: a string
			return text.String(), nil
		case xml.StartElement:
			v, err := decodeTyped(d, t.Name.Local)
			if err != nil {
				return nil, err
			}
			// consume up to </value>
			for {
				tok, err := d.Token()
				if err != nil {
					return nil, err
				}
				if _, ok := tok.(xml.EndElement); ok {
					return v, nil
				}
				if _, ok := tok.(xml.StartElement); ok {
					return nil, errBadXML
				}
			}
		}
	}
}

func decodeTyped(d *xml.Decoder, tag string) (any, error) {
	switch tag {
	case "int", "i4", "i8", "i1", "i2", "biginteger":
		s, err := readText(d)
		if err != nil {
			return nil, err
		}
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, errBadXML
		}
		return int(n), nil
	case "boolean":
		s, err := readText(d)
		if err != nil {
			return nil, err
		}
		switch strings.TrimSpace(s) {
		case "1":
			return true, nil
		case "0":
			return false, nil
		}
		return nil, errBadXML
	case "string":
		return readText(d)
	case "double", "float", "bigdecimal":
		s, err := readText(d)
		if err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, errBadXML
		}
		return f, nil
	case "dateTime.iso8601":
		s, err := readText(d)
		if err != nil {
			return nil, err
		}
		return isoToOdoo(strings.TrimSpace(s)), nil
	case "base64":
		s, err := readText(d)
		if err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, errBadXML
		}
		return b, nil
	case "nil":
		if _, err := readText(d); err != nil {
			return nil, err
		}
		return nil, nil
	case "array":
		return decodeArray(d)
	case "struct":
		return decodeStruct(d)
	}
	return nil, errBadXML
}

// isoToOdoo turns 20261126T15:28:07 into Odoo's "2026-11-26 15:28:07".
func isoToOdoo(s string) string {
	s = strings.ReplaceAll(s, "-", "")
	if len(s) >= 17 && s[8] == 'T' {
		return s[0:4] + "-" + s[4:6] + "-" + s[6:8] + " " + s[9:17]
	}
	return s
}

func decodeArray(d *xml.Decoder) (any, error) {
	out := []any{}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "data":
			case "value":
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			default:
				return nil, errBadXML
			}
		case xml.EndElement:
			if t.Name.Local == "array" {
				return out, nil
			}
		}
	}
}

func decodeStruct(d *xml.Decoder) (any, error) {
	out := map[string]any{}
	var name string
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "member":
				name = ""
			case "name":
				name, err = readText(d)
				if err != nil {
					return nil, err
				}
			case "value":
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				out[name] = v
			default:
				return nil, errBadXML
			}
		case xml.EndElement:
			if t.Name.Local == "struct" {
				return out, nil
			}
		}
	}
}

// ---------------------------------------------------------------- encoding

// errMarshalNone mirrors Python's TypeError when a None sneaks into a reply.
var errMarshalNone = errors.New("cannot marshal None unless allow_none is enabled")
var errIntKey = errors.New("dictionary key must be string")

func encodeResponse(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n")
	if err := encodeValue(&b, v); err != nil {
		return nil, err
	}
	b.WriteString("</param>\n</params>\n</methodResponse>\n")
	return b.Bytes(), nil
}

// encodeFault writes a fault; code is an int except on the legacy endpoint
// where Odoo sends string fault codes.
func encodeFault(code any, msg string) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?>\n<methodResponse>\n<fault>\n")
	_ = encodeValue(&b, om("faultCode", code, "faultString", msg))
	b.WriteString("</fault>\n</methodResponse>\n")
	return b.Bytes()
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func encodeValue(b *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case nil:
		return errMarshalNone
	case bool:
		if t {
			b.WriteString("<value><boolean>1</boolean></value>\n")
		} else {
			b.WriteString("<value><boolean>0</boolean></value>\n")
		}
	case int:
		fmt.Fprintf(b, "<value><int>%d</int></value>\n", t)
	case int64:
		fmt.Fprintf(b, "<value><int>%d</int></value>\n", t)
	case float64:
		b.WriteString("<value><double>" + pyFloat(t) + "</double></value>\n")
	case string:
		b.WriteString("<value><string>" + xmlEscaper.Replace(t) + "</string></value>\n")
	case []byte:
		b.WriteString("<value><base64>\n" + base64.StdEncoding.EncodeToString(t) + "\n</base64></value>\n")
	case []any:
		b.WriteString("<value><array><data>\n")
		for _, e := range t {
			if err := encodeValue(b, e); err != nil {
				return err
			}
		}
		b.WriteString("</data></array></value>\n")
	case []int:
		b.WriteString("<value><array><data>\n")
		for _, e := range t {
			fmt.Fprintf(b, "<value><int>%d</int></value>\n", e)
		}
		b.WriteString("</data></array></value>\n")
	case []string:
		b.WriteString("<value><array><data>\n")
		for _, e := range t {
			_ = encodeValue(b, e)
		}
		b.WriteString("</data></array></value>\n")
	case *OMap:
		b.WriteString("<value><struct>\n")
		for _, k := range t.keys {
			b.WriteString("<member>\n<name>" + xmlEscaper.Replace(k) + "</name>\n")
			if err := encodeValue(b, t.vals[k]); err != nil {
				return err
			}
			b.WriteString("</member>\n")
		}
		b.WriteString("</struct></value>\n")
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		m := newOMap()
		for _, k := range keys {
			m.Set(k, t[k])
		}
		return encodeValue(b, m)
	case map[int]any:
		return errIntKey
	default:
		return fmt.Errorf("cannot marshal %T objects", v)
	}
	return nil
}

// pyFloat formats like Python's repr(float): shortest round-trip digits,
// always with a decimal point, exponent form outside [1e-4, 1e16).
func pyFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "inf"
	}
	if math.IsInf(f, -1) {
		return "-inf"
	}
	if math.IsNaN(f) {
		return "nan"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddddde±XX
	mant, expS, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expS)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, exp)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
