// Package xmlrpc is the XML-RPC codec that both the Odoo sink (client side) and the
// Odoo simulator (server side) use, pinned byte for byte to what Odoo answers in the
// recordings (odoosim/recorded).
//
// It is ours rather than github.com/kolo/xmlrpc because against Odoo kolo falls short
// where it matters: its client has no context (no per-call deadline or cancellation);
// a fault whose faultCode is a string (Odoo's legacy /xmlrpc/object endpoint) does not
// decode into its int code; and a nil argument is sent as an empty <value/>, which
// Python reads as "", so a bug becomes wrong data. Here nil is refused exactly as
// Python's marshaller refuses None (Odoo marshals with allow_none=False), floats are
// written as Python's repr writes them, dict keys are written sorted (or in the order
// of an OrderedMap, as Python keeps a dict's insertion order), and every type Odoo or
// Python sends decodes: int/i4/i8 (and i1, i2, biginteger) as int64, double as float64,
// boolean, string, struct as map[string]any, array as []any, dateTime.iso8601 as
// DateTime, base64 as []byte, <nil/> as nil.
package xmlrpc
