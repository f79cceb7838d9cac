package xmlrpc

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DecodeCall reads a methodCall: the method name and its params.
func DecodeCall(r io.Reader) (method string, params []any, err error) {
	return decodeCall(r, false)
}

// DecodeCallOrdered is DecodeCall with structs read into *Map, in the order sent.
func DecodeCallOrdered(r io.Reader) (method string, params []any, err error) {
	return decodeCall(r, true)
}

func decodeCall(r io.Reader, ordered bool) (method string, params []any, err error) {
	d := &decoder{xml.NewDecoder(r), ordered}
	d.Strict = true
	params = []any{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, fmt.Errorf("xmlrpc: malformed call: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "methodCall", "params":
		case "methodName":
			s, err := d.readText()
			if err != nil {
				return "", nil, fmt.Errorf("xmlrpc: malformed call: %w", err)
			}
			method = strings.TrimSpace(s)
		case "param":
			v, err := d.decodeParam()
			if err != nil {
				return "", nil, fmt.Errorf("xmlrpc: malformed call: %w", err)
			}
			params = append(params, v)
		default:
			return "", nil, fmt.Errorf("xmlrpc: unexpected <%s> in call", se.Name.Local)
		}
	}
	if method == "" {
		return "", nil, errors.New("xmlrpc: call names no method")
	}
	return method, params, nil
}

// DecodeResponse reads a methodResponse: its single value, or its fault.
func DecodeResponse(body []byte) (any, *Fault, error) { return decodeResponse(body, false) }

// DecodeResponseOrdered is DecodeResponse with structs read into *Map, in order.
func DecodeResponseOrdered(body []byte) (any, *Fault, error) { return decodeResponse(body, true) }

func decodeResponse(body []byte, ordered bool) (any, *Fault, error) {
	d := &decoder{xml.NewDecoder(bytes.NewReader(body)), ordered}
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
			v, err := d.decodeValue()
			if err != nil {
				return nil, nil, fmt.Errorf("xmlrpc: malformed response: %w", err)
			}
			if !inFault {
				return v, nil, nil
			}
			m, ok := Plain(v).(map[string]any)
			if !ok {
				return nil, nil, errors.New("xmlrpc: fault is not a struct")
			}
			f := &Fault{}
			switch c := m["faultCode"].(type) {
			case int64:
				f.Code = int(c)
			case string:
				f.CodeText = c
			default:
				return nil, nil, fmt.Errorf("xmlrpc: faultCode is a %T", c)
			}
			f.String, _ = m["faultString"].(string)
			return nil, f, nil
		default:
			return nil, nil, fmt.Errorf("xmlrpc: unexpected <%s> in response", se.Name.Local)
		}
	}
}

// decoder reads values; ordered reads structs into *Map.
type decoder struct {
	*xml.Decoder
	ordered bool
}

// decodeParam reads inside <param> up to its end.
func (d *decoder) decodeParam() (any, error) {
	var v any
	got := false
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "value" || got {
				return nil, fmt.Errorf("unexpected <%s> in param", t.Name.Local)
			}
			if v, err = d.decodeValue(); err != nil {
				return nil, err
			}
			got = true
		case xml.EndElement:
			if !got {
				return nil, errors.New("param without a value")
			}
			return v, nil
		}
	}
}

// decodeValue reads after a <value> start tag up to and including its end tag.
func (d *decoder) decodeValue() (any, error) {
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
			if out, err = d.decodeTyped(t.Name.Local); err != nil {
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

func (d *decoder) decodeTyped(tag string) (any, error) {
	switch tag {
	case "struct":
		return d.decodeStruct()
	case "array":
		return d.decodeArray()
	case "nil":
		if err := d.Skip(); err != nil {
			return nil, err
		}
		return nil, nil
	}
	s, err := d.readText()
	if err != nil {
		return nil, err
	}
	switch tag {
	case "string":
		return s, nil
	case "int", "i4", "i8", "i1", "i2", "biginteger":
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
	case "double", "float", "bigdecimal":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("bad <%s> %q", tag, s)
		}
		return f, nil
	case "dateTime.iso8601":
		return DateTime(strings.TrimSpace(s)), nil
	case "base64":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, fmt.Errorf("bad <base64>: %w", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown type <%s>", tag)
}

// readText reads character data up to the end of the current element.
func (d *decoder) readText() (string, error) {
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

func (d *decoder) decodeArray() (any, error) {
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
				v, err := d.decodeValue()
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

func (d *decoder) decodeStruct() (any, error) {
	var out map[string]any
	var om *Map
	if d.ordered {
		om = &Map{}
	} else {
		out = map[string]any{}
	}
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
				if name, err = d.readText(); err != nil {
					return nil, err
				}
			case "value":
				v, err := d.decodeValue()
				if err != nil {
					return nil, err
				}
				if om != nil {
					om.Set(name, v)
				} else {
					out[name] = v
				}
			default:
				return nil, fmt.Errorf("unexpected <%s> in struct", t.Name.Local)
			}
		case xml.EndElement:
			if t.Name.Local == "struct" {
				if om != nil {
					return om, nil
				}
				return out, nil
			}
		}
	}
}
