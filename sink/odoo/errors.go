package odoo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Error is every failure of a call to Odoo, classified once where it happens: either
// Retriable (the same call may work later: network, timeouts, HTTP 5xx, database
// contention) or Permanent (it will fail the same way until a person changes
// something: validation, bad field, access, bad credentials). Exactly one of the two
// is set.
type Error struct {
	Model, Method string // what was called; empty for the login

	// Code is the XML-RPC faultCode (an int; a string on Odoo's legacy endpoint), or the
	// HTTP status (int) of a JSON-2 or HTTP-level error; nil for network errors.
	Code any
	// Exception is the Python exception when Odoo names it, e.g. "ValueError",
	// "psycopg2.OperationalError", "odoo.exceptions.UserError".
	Exception string
	// Message is Odoo's message without the traceback, for the order table: the exception
	// line for Fault 1, the whole text for the other faults and for JSON-2.
	Message string

	Retriable bool
	Permanent bool

	Err error // the underlying transport error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("odoo")
	if e.Model != "" {
		b.WriteString(": " + e.Model + "." + e.Method)
	} else if e.Method != "" {
		b.WriteString(": " + e.Method)
	}
	if e.Code != nil {
		fmt.Fprintf(&b, ": fault %v", e.Code)
	}
	b.WriteString(": " + e.Message)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsRetriable reports whether err may go away by itself. Errors that were never
// classified (not an *Error) count as retriable: losing an order to an unknown error is
// worse than retrying it.
func IsRetriable(err error) bool {
	if err == nil {
		return false
	}
	var oe *Error
	if errors.As(err, &oe) {
		return oe.Retriable
	}
	return true
}

// IsPermanent reports whether err needs a person before the same call can work.
func IsPermanent(err error) bool {
	var oe *Error
	return errors.As(err, &oe) && oe.Permanent
}

// noneFaultText is what Odoo answers, after committing, when a method returns None.
const noneFaultText = "cannot marshal None unless allow_none is enabled"

// IsNoneFault reports whether err is Odoo's "cannot marshal None" fault: the method ran
// and committed, only its answer could not be sent. Re-read state after it.
func IsNoneFault(err error) bool {
	var oe *Error
	return errors.As(err, &oe) && oe.Code == 1 && strings.HasSuffix(oe.Message, noneFaultText)
}

// isMissingRecord reports Odoo's MissingError ("Record does not exist or has been
// deleted"): an id we held (from a cache) is gone.
func isMissingRecord(err error) bool {
	var oe *Error
	return errors.As(err, &oe) && (strings.Contains(oe.Message, "Record does not exist or has been deleted") ||
		strings.HasSuffix(oe.Exception, "MissingError"))
}

func permanent(model, method string, code any, exc, msg string) *Error {
	return &Error{Model: model, Method: method, Code: code, Exception: exc, Message: msg, Permanent: true}
}

func retriable(model, method string, code any, exc, msg string) *Error {
	return &Error{Model: model, Method: method, Code: code, Exception: exc, Message: msg, Retriable: true}
}

// transientDB says whether a database error text is contention or a lost connection
// (retriable) rather than bad data.
func transientDB(s string) bool {
	l := strings.ToLower(s)
	if strings.Contains(l, "does not exist") { // FATAL: database "x" does not exist
		return false
	}
	for _, w := range []string{
		"could not serialize access", "serializationfailure", "serialization_failure",
		"deadlock detected", "transactionrollbackerror", "locknotavailable",
		"could not obtain lock", "psycopg2.operationalerror", "psycopg2.interfaceerror",
		"connection pool is full", "server closed the connection", "too many clients",
	} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// classifyFault turns an XML-RPC fault into an *Error.
func classifyFault(model, method string, code any, text string) *Error {
	switch c := code.(type) {
	case int64:
		code = int(c)
	case string:
		// Legacy /xmlrpc/object: faultCode is the message, e.g. "warning -- UserError\n\n<msg>".
		msg := strings.TrimSpace(c)
		if rest, ok := strings.CutPrefix(msg, "warning -- "); ok {
			exc, body, _ := strings.Cut(rest, "\n")
			return permanent(model, method, c, strings.TrimSpace(exc), strings.TrimSpace(body))
		}
		if transientDB(msg + "\n" + text) {
			return retriable(model, method, c, "", msg)
		}
		return permanent(model, method, c, "", msg)
	}
	n, _ := code.(int)
	text = strings.TrimRight(text, "\n ")
	switch n {
	case 1:
		exc, msg := tracebackException(text)
		name, _, _ := strings.Cut(exc, ":")
		if transientDB(exc) {
			return retriable(model, method, 1, name, msg)
		}
		return permanent(model, method, 1, name, msg)
	case 2:
		if transientDB(text) {
			return retriable(model, method, 2, "", text)
		}
		return permanent(model, method, 2, "", text)
	case 3:
		return permanent(model, method, 3, "odoo.exceptions.AccessDenied", text)
	case 4:
		return permanent(model, method, 4, "odoo.exceptions.AccessError", text)
	}
	if transientDB(text) {
		return retriable(model, method, code, "", text)
	}
	return permanent(model, method, code, "", text)
}

// tracebackException finds the exception line of a Python traceback (the first line
// after the last stack frame) and returns it as both the exception and the message. A
// psycopg2 error continues over more lines ("LINE 1: ..."), so its last line would be
// useless; for every other recorded fault the exception line is the last line.
func tracebackException(text string) (exc, msg string) {
	lines := strings.Split(text, "\n")
	if !strings.HasPrefix(lines[0], "Traceback") {
		l := lastLine(text)
		return l, l
	}
	frame := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "  File ") {
			frame = i
		}
	}
	// The frame's source line and its ^^^ markers are indented deeper; then comes the
	// exception.
	j := frame + 1
	for j < len(lines) && strings.HasPrefix(lines[j], "    ") {
		j++
	}
	for ; frame >= 0 && j < len(lines); j++ {
		if l := strings.TrimSpace(lines[j]); l != "" {
			return l, l
		}
	}
	l := lastLine(text)
	return l, l
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n ")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[i+1:])
	}
	return strings.TrimSpace(s)
}

// classifyHTTP classifies a non-200 answer where an Odoo protocol answer was expected.
func classifyHTTP(model, method string, status int, body string) *Error {
	msg := fmt.Sprintf("HTTP %d", status)
	if t := strings.TrimSpace(body); t != "" && len(t) < 300 && !strings.HasPrefix(t, "<") {
		msg += ": " + t
	}
	switch {
	case status >= 500, status == 408, status == 425, status == 429:
		return retriable(model, method, status, "", msg)
	case status == 404:
		return permanent(model, method, status, "", msg+" (no Odoo RPC endpoint at this URL)")
	}
	return permanent(model, method, status, "", msg)
}

// classifyTransport classifies an error below HTTP: refused connections, resets,
// timeouts, cancellation. All are retriable.
func classifyTransport(model, method string, err error) *Error {
	msg := err.Error()
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		msg = "timeout: " + msg
	case errors.Is(err, context.Canceled):
		msg = "cancelled: " + msg
	}
	return &Error{Model: model, Method: method, Message: msg, Retriable: true, Err: err}
}
