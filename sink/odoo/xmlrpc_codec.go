package odoo

// A small XML-RPC codec of our own rather than github.com/kolo/xmlrpc, because against
// Odoo's answers kolo falls short in ways that matter here:
//   - its Client has no context (no per-call deadline or cancellation);
//   - a fault whose faultCode is a string (Odoo's legacy /xmlrpc/object endpoint, seen in
//     the recordings) fails to decode into its FaultError{Code int};
//   - a nil in the arguments is silently sent as an empty <value/>, which Python reads as
//     the empty string: a bug becomes wrong data instead of an error.
// This codec writes what Python's xmlrpc.client writes and reads everything Odoo
// answers with: int/i4/i8 as int64, double as float64, boolean, string, struct as
// map[string]any, array as []any, dateTime.iso8601 as its text, base64 as []byte, and
// <nil/> (which Odoo never sends, allow_none=False) as nil.

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// xmlFault is a decoded <fault>: Code is an int (xmlrpc/2) or a string (legacy endpoint).
type xmlFault struct {
	Code   any
	String string
}

// encodeCall renders a methodCall as Python's marshaller does.
func encodeCall(method string, params []any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?>\n<methodCall>\n<methodName>")
	xmlEscape(&b, method)
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

func xmlEscape(b *bytes.Buffer, s string) {
	// Python escapes only &, < and >.
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
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String {
		if _, plain := v.(map[string]any); !plain {
			m := make(map[string]any, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				m[it.Key().String()] = it.Value().Interface()
			}
			v = m
		}
	}
	b.WriteString("<value>")
	switch x := v.(type) {
	case nil:
		return errors.New("cannot send nil: Odoo has no null, use false")
	case string:
		b.WriteString("<string>")
		xmlEscape(b, x)
		b.WriteString("</string>")
	case bool:
		if x {
			b.WriteString("<boolean>1</boolean>")
		} else {
			b.WriteString("<boolean>0</boolean>")
		}
	case int:
		b.WriteString("<int>" + strconv.Itoa(x) + "</int>")
	case int32:
		b.WriteString("<int>" + strconv.FormatInt(int64(x), 10) + "</int>")
	case int64:
		// Python reads <int> of any size; Odoo ids fit in 32 bits anyway.
		b.WriteString("<int>" + strconv.FormatInt(x, 10) + "</int>")
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("cannot send %v", x)
		}
		b.WriteString("<double>" + pyFloat(x) + "</double>")
	case []byte:
		b.WriteString("<base64>\n" + base64.StdEncoding.EncodeToString(x) + "\n</base64>")
	case []any:
		b.WriteString("<array><data>\n")
		for _, e := range x {
			if err := encodeValue(b, e); err != nil {
				return err
			}
		}
		b.WriteString("</data></array>")
	case map[string]any:
		b.WriteString("<struct>\n")
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.WriteString("<member>\n<name>")
			xmlEscape(b, k)
			b.WriteString("</name>\n")
			if err := encodeValue(b, x[k]); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			b.WriteString("</member>\n")
		}
		b.WriteString("</struct>")
	default:
		// Typed slices ([]int64, []string, []map[string]any ...) go through reflection.
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Slice {
			b.WriteString("<array><data>\n")
			for i := 0; i < rv.Len(); i++ {
				if err := encodeValue(b, rv.Index(i).Interface()); err != nil {
					return err
				}
			}
			b.WriteString("</data></array>")
			break
		}
		return fmt.Errorf("cannot send a %T over XML-RPC", v)
	}
	b.WriteString("</value>\n")
	return nil
}

// pyFloat formats like Python's repr(float): always with a decimal point.
func pyFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if strings.ContainsAny(s, "e") {
		// Python's repr switches to exponent at 1e16 / 1e-4; XML-RPC readers accept both.
		return s
	}
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// decodeResponse reads a methodResponse: its single value, or its fault.
func decodeResponse(body []byte) (any, *xmlFault, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	inFault := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, nil, errors.New("xmlrpc: response holds no value")
		}
		if err != nil {
			return nil, nil, fmt.Errorf("xmlrpc: malformed response: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "methodResponse", "params", "param":
		case "fault":
			inFault = true
		case "value":
			v, err := decodeValue(d)
			if err != nil {
				return nil, nil, fmt.Errorf("xmlrpc: malformed response: %w", err)
			}
			if !inFault {
				return v, nil, nil
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, nil, errors.New("xmlrpc: fault is not a struct")
			}
			f := &xmlFault{Code: m["faultCode"]}
			f.String, _ = m["faultString"].(string)
			return nil, f, nil
		default:
			return nil, nil, fmt.Errorf("xmlrpc: unexpected <%s> in response", se.Name.Local)
		}
	}
}

// decodeValue reads after a <value> start tag up to and including its end tag.
func decodeValue(d *xml.Decoder) (any, error) {
	var text strings.Builder
	var out any
	typed := false
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if !typed {
				text.Write(t)
			}
		case xml.StartElement:
			if typed {
				return nil, fmt.Errorf("second type tag <%s> in one value", t.Name.Local)
			}
			typed = true
			if out, err = decodeTyped(d, t.Name.Local); err != nil {
				return nil, err
			}
		case xml.EndElement:
			if t.Name.Local != "value" {
				return nil, fmt.Errorf("unexpected </%s>", t.Name.Local)
			}
			if !typed {
				return text.String(), nil // a bare <value>text</value> is a string
			}
			return out, nil
		}
	}
}

func decodeTyped(d *xml.Decoder, tag string) (any, error) {
	switch tag {
	case "struct":
		return decodeStruct(d)
	case "array":
		return decodeArray(d)
	case "nil":
		if err := d.Skip(); err != nil {
			return nil, err
		}
		return nil, nil
	}
	s, err := readText(d)
	if err != nil {
		return nil, err
	}
	switch tag {
	case "string":
		return s, nil
	case "int", "i4", "i8":
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad <%s> %q", tag, s)
		}
		return n, nil
	case "boolean":
		switch strings.TrimSpace(s) {
		case "1":
			return true, nil
		case "0":
			return false, nil
		}
		return nil, fmt.Errorf("bad <boolean> %q", s)
	case "double":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("bad <double> %q", s)
		}
		return f, nil
	case "dateTime.iso8601":
		return strings.TrimSpace(s), nil
	case "base64":
		return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	}
	return nil, fmt.Errorf("unknown type <%s>", tag)
}

// readText reads character data up to the end of the current element.
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
			return "", fmt.Errorf("unexpected <%s> in a scalar", t.Name.Local)
		}
	}
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
				return nil, fmt.Errorf("unexpected <%s> in array", t.Name.Local)
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
				if name, err = readText(d); err != nil {
					return nil, err
				}
			case "value":
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				out[name] = v
			default:
				return nil, fmt.Errorf("unexpected <%s> in struct", t.Name.Local)
			}
		case xml.EndElement:
			if t.Name.Local == "struct" {
				return out, nil
			}
		}
	}
}
