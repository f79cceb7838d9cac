// Package recorded holds the XML-RPC sessions recorded from real Odoo 16.0 and 17.0
// servers (../shared/odoo/ in the project's workspace: its README says how they were
// made), kept once for every test that pins itself to what Odoo really says: the
// codec, the Odoo sink's client and the Odoo simulator.
package recorded

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

//go:embed odoo16.jsonl
var odoo16 []byte

//go:embed odoo17.jsonl
var odoo17 []byte

// Raw is the JSONL corpus of one version (16 or 17), one call a line.
func Raw(version int) ([]byte, error) {
	switch version {
	case 16:
		return odoo16, nil
	case 17:
		return odoo17, nil
	}
	return nil, fmt.Errorf("no recording of Odoo %d", version)
}

// Call is one recorded call. Numbers in Args, Kwargs, Params and Result are int64 when
// they were ints in Python and float64 when they were floats, as an XML-RPC decoder
// reads them.
type Call struct {
	Seq         int64
	Step        string
	DB          string
	Endpoint    string // /xmlrpc/2/common, /xmlrpc/2/object, ...
	Method      string // version, authenticate, execute_kw, ...
	Model       string // execute_kw only
	ModelMethod string
	Args        []any
	Kwargs      map[string]any
	Params      []any // the full positional params
	OK          bool
	Result      any
	Fault       *Fault
	HTTPStatus  int64
	RawRequest  string // empty where the recorder left it out (big fields_get answers)
	RawResponse string
	Note        string
}

// Fault is a recorded fault: the code is an int64 on /xmlrpc/2 and a string on the
// legacy endpoints.
type Fault struct {
	Code        any
	String      string // shortened by the recorder (head, [...], last line)
	LastLine    string
	Exception   string
	IsTraceback bool
}

// Load reads one version's calls.
func Load(version int) ([]Call, error) {
	raw, err := Raw(version)
	if err != nil {
		return nil, err
	}
	var out []Call
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			return nil, fmt.Errorf("odoo%d.jsonl: %w", version, err)
		}
		conv := func(k string) any { return Numbers(m[k]) }
		c := Call{Result: conv("result")}
		c.Seq, _ = conv("seq").(int64)
		c.HTTPStatus, _ = conv("http_status").(int64)
		c.Step, _ = m["step"].(string)
		c.DB, _ = m["db"].(string)
		c.Endpoint, _ = m["endpoint"].(string)
		c.Method, _ = m["method"].(string)
		c.Model, _ = m["model"].(string)
		c.ModelMethod, _ = m["model_method"].(string)
		c.Args, _ = conv("args").([]any)
		c.Kwargs, _ = conv("kwargs").(map[string]any)
		c.Params, _ = conv("params").([]any)
		c.OK, _ = m["ok"].(bool)
		c.RawRequest, _ = m["raw_request"].(string)
		c.RawResponse, _ = m["raw_response"].(string)
		c.Note, _ = m["note"].(string)
		if f, ok := m["fault"].(map[string]any); ok {
			c.Fault = &Fault{Code: Numbers(f["faultCode"])}
			c.Fault.String, _ = f["faultString"].(string)
			c.Fault.LastLine, _ = f["faultString_last_line"].(string)
			c.Fault.Exception, _ = f["exception"].(string)
			c.Fault.IsTraceback, _ = f["is_traceback"].(bool)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// Numbers turns json.Numbers (recursively) into int64 or float64 the way Python
// wrote them: with a '.' or an exponent a float, else an int.
func Numbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		s := t.String()
		if strings.ContainsAny(s, ".eE") {
			f, _ := t.Float64()
			return f
		}
		n, _ := t.Int64()
		return n
	case []any:
		for i := range t {
			t[i] = Numbers(t[i])
		}
		return t
	case map[string]any:
		for k := range t {
			t[k] = Numbers(t[k])
		}
		return t
	}
	return v
}
