package xmlrpc

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// ErrNone is Python's answer to a None in a reply or a call (Odoo marshals with
// allow_none=False); the codec refuses nil the same way.
var ErrNone = errors.New("cannot marshal None unless allow_none is enabled")

// ErrIntKey is Python's answer to a dict with a non-string key.
var ErrIntKey = errors.New("dictionary key must be string")

// OrderedMap is a struct whose members are written in its own order (a Python dict
// keeps insertion order, and Odoo's answers show it).
type OrderedMap interface {
	Keys() []string
	Get(key string) (any, bool)
}

// DateTime is the text of a <dateTime.iso8601> value, e.g. "20261126T15:28:07".
type DateTime string

// Fault is an XML-RPC fault. Code is the int faultCode of /xmlrpc/2; Odoo's legacy
// /xmlrpc/ endpoints send the exception text as a string faultCode instead, kept in
// CodeText (Code is then 0).
type Fault struct {
	Code     int
	CodeText string
	String   string
}

func (f *Fault) Error() string {
	if f.CodeText != "" {
		return fmt.Sprintf("fault %q: %s", f.CodeText, f.String)
	}
	return fmt.Sprintf("fault %d: %s", f.Code, f.String)
}

// EncodeCall renders a methodCall as Python's xmlrpc.client does.
func EncodeCall(method string, params []any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?>\n<methodCall>\n<methodName>")
	escape(&b, method)
	b.WriteString("</methodName>\n<params>\n")
	for i, p := range params {
		b.WriteString("<param>\n")
		if err := encodeValue(&b, p); err != nil {
			return nil, fmt.Errorf("xmlrpc: param %d: %w", i, err)
		}
		b.WriteString("</param>\n")
	}
	b.WriteString("</params>\n</methodCall>\n")
	return b.Bytes(), nil
}

// EncodeResponse renders a methodResponse holding v, as Odoo's server writes it.
func EncodeResponse(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n")
	if err := encodeValue(&b, v); err != nil {
		return nil, err
	}
	b.WriteString("</param>\n</params>\n</methodResponse>\n")
	return b.Bytes(), nil
}

// EncodeFault renders a fault response.
func EncodeFault(f Fault) []byte {
	var code any = f.Code
	if f.CodeText != "" {
		code = f.CodeText
	}
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?>\n<methodResponse>\n<fault>\n")
	_ = encodeValue(&b, pairs{{"faultCode", code}, {"faultString", f.String}})
	b.WriteString("</fault>\n</methodResponse>\n")
	return b.Bytes()
}

// pairs is a small ordered map for the fault struct (faultCode before faultString,
// as Python writes it).
type pairs []struct {
	k string
	v any
}

func (p pairs) Keys() []string {
	out := make([]string, len(p))
	for i, e := range p {
		out[i] = e.k
	}
	return out
}

func (p pairs) Get(k string) (any, bool) {
	for _, e := range p {
		if e.k == k {
			return e.v, true
		}
	}
	return nil, false
}

// escape escapes as Python does: only &, < and >.
func escape(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
}

func encodeValue(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		return ErrNone
	case string:
		b.WriteString("<value><string>")
		escape(b, x)
		b.WriteString("</string></value>\n")
	case bool:
		if x {
			b.WriteString("<value><boolean>1</boolean></value>\n")
		} else {
			b.WriteString("<value><boolean>0</boolean></value>\n")
		}
	case int:
		b.WriteString("<value><int>" + strconv.Itoa(x) + "</int></value>\n")
	case int32:
		b.WriteString("<value><int>" + strconv.FormatInt(int64(x), 10) + "</int></value>\n")
	case int64:
		// Python reads <int> of any size.
		b.WriteString("<value><int>" + strconv.FormatInt(x, 10) + "</int></value>\n")
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("cannot send %v", x)
		}
		b.WriteString("<value><double>" + PyFloat(x) + "</double></value>\n")
	case DateTime:
		b.WriteString("<value><dateTime.iso8601>" + string(x) + "</dateTime.iso8601></value>\n")
	case []byte:
		b.WriteString("<value><base64>\n" + base64.StdEncoding.EncodeToString(x) + "\n</base64></value>\n")
	case []any:
		b.WriteString("<value><array><data>\n")
		for _, e := range x {
			if err := encodeValue(b, e); err != nil {
				return err
			}
		}
		b.WriteString("</data></array></value>\n")
	case OrderedMap:
		return encodeStruct(b, x.Keys(), func(k string) any { v, _ := x.Get(k); return v })
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return encodeStruct(b, keys, func(k string) any { return x[k] })
	default:
		rv := reflect.ValueOf(v)
		switch {
		case rv.Kind() == reflect.Slice:
			// Typed slices ([]int64, []string, []map[string]any ...).
			b.WriteString("<value><array><data>\n")
			for i := 0; i < rv.Len(); i++ {
				if err := encodeValue(b, rv.Index(i).Interface()); err != nil {
					return err
				}
			}
			b.WriteString("</data></array></value>\n")
		case rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String:
			m := make(map[string]any, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				m[it.Key().String()] = it.Value().Interface()
			}
			return encodeValue(b, m)
		case rv.Kind() == reflect.Map:
			return ErrIntKey
		default:
			return fmt.Errorf("cannot marshal %T objects", v)
		}
	}
	return nil
}

func encodeStruct(b *bytes.Buffer, keys []string, get func(string) any) error {
	b.WriteString("<value><struct>\n")
	for _, k := range keys {
		b.WriteString("<member>\n<name>")
		escape(b, k)
		b.WriteString("</name>\n")
		if err := encodeValue(b, get(k)); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		b.WriteString("</member>\n")
	}
	b.WriteString("</struct></value>\n")
	return nil
}

// PyFloat formats like Python's repr(float): the shortest digits that round-trip,
// always with a decimal point, exponent form outside [1e-4, 1e16).
func PyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	case f == 0:
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
