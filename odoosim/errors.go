package odoosim

// Faults as Odoo raises them. Code 1 carries a Python traceback whose last
// line is the exception (as recorded), codes 2-4 carry the bare message.
// The same value also drives the JSON-2 error body on 19.

import (
	"fmt"
	"net/http"
	"strings"
)

type Fault struct {
	Code   int
	String string
	// Exception is the Python qualified exception name for JSON-2
	// (odoo.exceptions.UserError, builtins.ValueError, ...).
	Exception string
	// Message is the plain message (JSON-2 "message", no traceback).
	Message string
	// Status is the JSON-2 HTTP status.
	Status int
}

func (f *Fault) Error() string { return fmt.Sprintf("Fault %d: %s", f.Code, f.String) }

// Traceback frames copied from the recordings (paths shortened as recorded).
const tbHead = `Traceback (most recent call last):
  File "/opt/odoo/odoo/addons/base/controllers/rpc.py", line 150, in xmlrpc_2
    response = self._xmlrpc(service)
               ^^^^^^^^^^^^^^^^^^^^^
`

const tbDispatch = `  File "/opt/odoo/odoo/addons/base/controllers/rpc.py", line 130, in _xmlrpc
    result = dispatch_rpc(service, method, params)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/opt/odoo/odoo/http.py", line 388, in dispatch_rpc
    return dispatch(method, params)
           ^^^^^^^^^^^^^^^^^^^^^^^^
`

const tbExecute = `  File "/opt/odoo/odoo/service/model.py", line 37, in dispatch
    res = execute_kw(db, uid, *params[3:])
          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/opt/odoo/odoo/service/model.py", line 59, in execute_kw
    return execute(db, uid, obj, method, *args, **kw or {})
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/opt/odoo/odoo/service/model.py", line 65, in execute
    res = execute_cr(cr, uid, obj, method, *args, **kw)
          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/opt/odoo/odoo/service/model.py", line 50, in execute_cr
    result = retrying(partial(odoo.api.call_kw, recs, method, args, kw), env)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/opt/odoo/odoo/service/model.py", line 133, in retrying
    result = func()
             ^^^^^^
`

const tbCallMulti = `  File "/opt/odoo/odoo/api.py", line 466, in call_kw
    result = _call_kw_multi(method, model, args, kwargs)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/opt/odoo/odoo/api.py", line 453, in _call_kw_multi
    result = method(recs, *args, **kwargs)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
`

const tbMarshal = `  File "/opt/odoo/odoo/addons/base/controllers/rpc.py", line 131, in _xmlrpc
    return xmlrpc.client.dumps((result,), methodresponse=1, allow_none=False)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/usr/lib/python3/xmlrpc/client.py", line 981, in dumps
    data = m.dumps(params)
           ^^^^^^^^^^^^^^^
  File "/usr/lib/python3/xmlrpc/client.py", line 514, in dumps
    dump(v, write)
  File "/usr/lib/python3/xmlrpc/client.py", line 536, in __dump
    f(self, value, write)
`

// pyErr builds a code-1 fault: a traceback through the RPC layers ending in
// the exception line(s).
func pyErr(excName, excLine string, frames ...string) *Fault {
	s := tbHead + tbDispatch + tbExecute + tbCallMulti + strings.Join(frames, "") + excLine + "\n"
	return &Fault{Code: 1, String: s, Exception: excName, Message: lastMsg(excLine), Status: http.StatusInternalServerError}
}

func lastMsg(excLine string) string {
	if _, after, ok := strings.Cut(excLine, ": "); ok {
		return after
	}
	return excLine
}

func valueError(msg string) *Fault {
	f := pyErr("builtins.ValueError", "ValueError: "+msg)
	f.Status = http.StatusUnprocessableEntity
	return f
}

func typeError(msg string) *Fault {
	f := pyErr("builtins.TypeError", "TypeError: "+msg)
	f.Status = http.StatusUnprocessableEntity
	return f
}

func userError(msg string) *Fault {
	return &Fault{Code: 2, String: msg, Exception: "odoo.exceptions.UserError", Message: msg, Status: http.StatusUnprocessableEntity}
}

func validationError(msg string) *Fault {
	return &Fault{Code: 2, String: msg, Exception: "odoo.exceptions.ValidationError", Message: msg, Status: http.StatusUnprocessableEntity}
}

func missingError(model string, ids []int) *Fault {
	var parts []string
	for _, id := range ids {
		parts = append(parts, fmt.Sprint(id))
	}
	msg := fmt.Sprintf("Record does not exist or has been deleted.\n(Record: %s(%s,), User: 2)", model, strings.Join(parts, ", "))
	return &Fault{Code: 2, String: msg, Exception: "odoo.exceptions.MissingError", Message: msg, Status: http.StatusNotFound}
}

func accessError(msg string) *Fault {
	return &Fault{Code: 4, String: msg, Exception: "odoo.exceptions.AccessError", Message: msg, Status: http.StatusForbidden}
}

func accessDenied() *Fault {
	return &Fault{Code: 3, String: "Access Denied", Exception: "odoo.exceptions.AccessDenied", Message: "Access Denied", Status: http.StatusUnauthorized}
}

// mandatoryFault is the text Odoo derives from a NOT NULL or FOREIGN KEY
// violation (both share one message).
func mandatoryFault(modelDesc, model, fieldLabel, field string) *Fault {
	msg := fmt.Sprintf("The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: %s (%s)\nField: %s (%s)\n", modelDesc, model, fieldLabel, field)
	return validationError(msg)
}

func noneFault() *Fault {
	s := tbHead + tbMarshal + `  File "/usr/lib/python3/xmlrpc/client.py", line 607, in dump_struct
    dump(v, write)
  File "/usr/lib/python3/xmlrpc/client.py", line 536, in __dump
    f(self, value, write)
  File "/usr/lib/python3/xmlrpc/client.py", line 540, in dump_nil
    raise TypeError("cannot marshal None unless allow_none is enabled")
TypeError: cannot marshal None unless allow_none is enabled
`
	return &Fault{Code: 1, String: s, Exception: "builtins.TypeError", Message: "cannot marshal None unless allow_none is enabled", Status: 500}
}

func intKeyFault() *Fault {
	s := tbHead + tbMarshal + `  File "/usr/lib/python3/xmlrpc/client.py", line 605, in dump_struct
    raise TypeError("dictionary key must be string")
TypeError: dictionary key must be string
`
	return &Fault{Code: 1, String: s, Exception: "builtins.TypeError", Message: "dictionary key must be string", Status: 500}
}

func dbMissingFault(db string) *Fault {
	line := fmt.Sprintf(`psycopg2.OperationalError: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database "%s" does not exist`, db)
	s := tbHead + tbDispatch + `  File "/opt/odoo/odoo/modules/registry.py", line 89, in __new__
    return cls.new(db_name)
           ^^^^^^^^^^^^^^^^
  File "/opt/odoo/odoo/sql_db.py", line 681, in borrow
    result = psycopg2.connect(
             ^^^^^^^^^^^^^^^^^
  File "/usr/lib/python3/dist-packages/psycopg2/__init__.py", line 122, in connect
    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
` + line + "\n\n"
	return &Fault{Code: 1, String: s, Exception: "psycopg2.OperationalError", Message: line, Status: 500}
}

// serializationFault is the transient error used by fault injection: what
// Odoo answers when its own retries on a concurrent update are exhausted.
func serializationFault() *Fault {
	line := "psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update"
	f := pyErr("psycopg2.errors.SerializationFailure", line, `  File "/opt/odoo/odoo/sql_db.py", line 332, in execute
    res = self._obj.execute(query, params)
          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
`)
	f.Status = http.StatusServiceUnavailable
	return f
}

// TransientFaultLine is the last line of the fault injected by SetErrorRate
// and FailNext (exported so tests of the sink can recognise it).
const TransientFaultLine = "psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update"
