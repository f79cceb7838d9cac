package xmlrpc_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/synco-dev/synco/xmlrpc"
	"github.com/synco-dev/synco/xmlrpc/recorded"
)

func load(t *testing.T, v int) []recorded.Call {
	t.Helper()
	calls, err := recorded.Load(v)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 250 {
		t.Fatalf("odoo%d: only %d recorded calls", v, len(calls))
	}
	return calls
}

// Every recorded answer decodes to exactly what Python's xmlrpc.client decoded, and
// every fault to its code.
func TestDecodeRecordedResponses(t *testing.T) {
	for _, v := range []int{16, 17} {
		n := 0
		for _, c := range load(t, v) {
			if c.RawResponse == "" {
				continue
			}
			n++
			got, fault, err := xmlrpc.DecodeResponse([]byte(c.RawResponse))
			if err != nil {
				t.Errorf("%d/%d %s: %v", v, c.Seq, c.Step, err)
				continue
			}
			if c.Fault != nil {
				if fault == nil {
					t.Errorf("%d/%d %s: fault not seen", v, c.Seq, c.Step)
					continue
				}
				var code any = int64(fault.Code)
				if fault.CodeText != "" {
					code = fault.CodeText
				}
				if !reflect.DeepEqual(code, c.Fault.Code) {
					t.Errorf("%d/%d %s: faultCode %#v, want %#v", v, c.Seq, c.Step, code, c.Fault.Code)
				}
				// The recorder shortened long last lines with "...".
				if !strings.Contains(fault.String, strings.TrimSuffix(c.Fault.LastLine, "...")) {
					t.Errorf("%d/%d %s: faultString does not end with %q", v, c.Seq, c.Step, c.Fault.LastLine)
				}
				continue
			}
			if fault != nil {
				t.Errorf("%d/%d %s: unexpected fault %v", v, c.Seq, c.Step, fault)
				continue
			}
			// The recorder trimmed fields_get results (its README); the bytes test
			// below still covers those answers.
			if !strings.Contains(c.Step, "fields_get") && !reflect.DeepEqual(got, c.Result) {
				t.Errorf("%d/%d %s:\n got %#v\nwant %#v", v, c.Seq, c.Step, got, c.Result)
			}
		}
		if n < 250 {
			t.Errorf("odoo%d: only %d answers checked", v, n)
		}
	}
}

// Both directions are pinned to the recorded bytes: every request Python sent and
// every answer Odoo gave, decoded in order and encoded again, is the same text.
func TestEncodeReproducesRecordedBytes(t *testing.T) {
	for _, v := range []int{16, 17} {
		for _, c := range load(t, v) {
			if c.RawRequest != "" {
				method, params, err := xmlrpc.DecodeCallOrdered(strings.NewReader(c.RawRequest))
				if err != nil {
					t.Errorf("%d/%d %s: request: %v", v, c.Seq, c.Step, err)
				} else if method != c.Method {
					t.Errorf("%d/%d: method %q, want %q", v, c.Seq, method, c.Method)
				} else if b, err := xmlrpc.EncodeCall(method, params); err != nil {
					t.Errorf("%d/%d %s: encode request: %v", v, c.Seq, c.Step, err)
				} else if string(b) != c.RawRequest {
					t.Errorf("%d/%d %s: request bytes differ:\n got %q\nwant %q", v, c.Seq, c.Step, b, c.RawRequest)
				}
				// The unordered decoding says the same as the recorder's params.
				if _, plain, err := xmlrpc.DecodeCall(strings.NewReader(c.RawRequest)); err == nil && c.Params != nil &&
					!reflect.DeepEqual(plain, c.Params) {
					t.Errorf("%d/%d %s: params\n got %#v\nwant %#v", v, c.Seq, c.Step, plain, c.Params)
				}
			}
			if c.RawResponse == "" {
				continue
			}
			val, fault, err := xmlrpc.DecodeResponseOrdered([]byte(c.RawResponse))
			if err != nil {
				t.Errorf("%d/%d %s: %v", v, c.Seq, c.Step, err)
				continue
			}
			var b []byte
			if fault != nil {
				b = xmlrpc.EncodeFault(*fault)
			} else if b, err = xmlrpc.EncodeResponse(val); err != nil {
				t.Errorf("%d/%d %s: encode: %v", v, c.Seq, c.Step, err)
				continue
			}
			if string(b) != c.RawResponse {
				t.Errorf("%d/%d %s: response bytes differ:\n got %q\nwant %q", v, c.Seq, c.Step, b, c.RawResponse)
			}
		}
	}
}

func TestRefusesWhatPythonRefuses(t *testing.T) {
	if _, err := xmlrpc.EncodeCall("x", []any{map[string]any{"a": nil}}); err == nil || !strings.Contains(err.Error(), "None") {
		t.Errorf("nil: %v", err)
	}
	if _, err := xmlrpc.EncodeResponse(map[int]any{1: "a"}); err != xmlrpc.ErrIntKey {
		t.Errorf("int key: %v", err)
	}
	type money struct{ v string }
	if _, err := xmlrpc.EncodeCall("x", []any{money{"1.00"}}); err == nil {
		t.Error("a struct was sent")
	}
}

func TestPyFloat(t *testing.T) {
	for f, want := range map[float64]string{230: "230.0", 0.1: "0.1", 1e16: "1e+16", 0.0001: "0.0001", 0.00001: "1e-05", 45.91: "45.91", -0: "0.0"} {
		if got := xmlrpc.PyFloat(f); got != want {
			t.Errorf("PyFloat(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestDecodeStringFaultCode(t *testing.T) {
	body := xmlrpc.EncodeFault(xmlrpc.Fault{CodeText: "warning -- UserError\n\nnope"})
	_, f, err := xmlrpc.DecodeResponse(body)
	if err != nil || f == nil || f.CodeText != "warning -- UserError\n\nnope" || f.Code != 0 {
		t.Fatalf("%v %#v", err, f)
	}
}
