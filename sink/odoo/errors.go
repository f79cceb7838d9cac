package odoo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/synco-dev/synco/xmlrpc"
)

// Error is every failure of a call to Odoo, classified once where it happens:
// Retriable (the same call may work later: network, timeouts, HTTP 5xx, database
// contention) or not, i.e. permanent (it fails the same way until a person changes
// something: validation, bad field, access, bad credentials).
type Error struct {
	Model, Method string // what was called; empty for the login

	// Code is the XML-RPC faultCode (1 any exception, 2 user/validation error, 3 access
	// denied, 4 access error), or the HTTP status of a JSON-2 or HTTP-level error; 0
	// for network errors and for Odoo's legacy endpoint, whose faultCode is a string,
	// kept in CodeText.
	Code     int
	CodeText string
	// Exception is the Python exception when Odoo names it, e.g. "ValueError",
	// "psycopg2.OperationalError", "odoo.exceptions.UserError".
	Exception string
	// Message is Odoo's message without the traceback, for the order table: the exception
	// line for Fault 1, the whole text for the other faults and for JSON-2.
	Message string

	Retriable bool
	// Attention marks Odoo's refusal of a change the order asks for (an edit or a
	// cancellation of a document Odoo protects): an answer a person acts on, never
	// retried (see IsNeedsAttention). Never set together with Retriable.
	Attention bool

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
	switch {
	case e.CodeText != "":
		fmt.Fprintf(&b, ": fault %q", firstLine(e.CodeText))
	case e.Code != 0:
		fmt.Fprintf(&b, ": fault %d", e.Code)
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

// IsPermanent reports whether err is an Odoo error that needs a person before the
// same call can work.
func IsPermanent(err error) bool {
	var oe *Error
	return errors.As(err, &oe) && !oe.Retriable
}

// IsNeedsAttention reports whether err is Odoo refusing what the order asks of a
// document it already holds (the outcome status "needs_attention"), as opposed to a
// failure to make the order at all.
func IsNeedsAttention(err error) bool {
	var oe *Error
	return errors.As(err, &oe) && oe.Attention
}

// needsAttention turns Odoo's permanent refusal into a needs-attention error with
// what was being done in front of Odoo's reason; other errors (retriable ones above
// all) are returned as they are.
func needsAttention(err error, doing string) error {
	var oe *Error
	if !errors.As(err, &oe) || oe.Retriable {
		return err
	}
	c := *oe
	c.Attention = true
	if doing != "" {
		c.Message = doing + ": " + c.Message
	}
	return &c
}

// attention is a needs-attention error Synco itself raises (Odoo would do something
// a person has to decide first).
func attention(model, method, msg string) *Error {
	return &Error{Model: model, Method: method, Message: msg, Attention: true}
}

// noneFaultText is what Odoo answers, after committing, when a method returns None.
const noneFaultText = "cannot marshal None unless allow_none is enabled"

// IsNoneFault reports whether err is Odoo's "cannot marshal None" fault: the method ran
// and committed, only its answer could not be sent. Re-read state after it.
func IsNoneFault(err error) bool {
	var oe *Error
	return errors.As(err, &oe) && oe.Code == faultException && strings.HasSuffix(oe.Message, noneFaultText)
}

// isMissingRecord reports Odoo's MissingError ("Record does not exist or has been
// deleted"): an id we held (from a cache) is gone.
func isMissingRecord(err error) bool {
	var oe *Error
	return errors.As(err, &oe) && (strings.Contains(oe.Message, "Record does not exist or has been deleted") ||
		strings.HasSuffix(oe.Exception, "MissingError"))
}

// Odoo's XML-RPC fault codes (odoo/service/wsgi_server.py).
const (
	faultException    = 1 // any unhandled exception, with its traceback
	faultUserError    = 2 // UserError, ValidationError, MissingError, mandatory field
	faultAccessDenied = 3 // wrong password on execute_kw
	faultAccessError  = 4 // AccessError, private methods
)

func permanent(model, method string, code int, exc, msg string) *Error {
	return &Error{Model: model, Method: method, Code: code, Exception: exc, Message: msg}
}

func retriable(model, method string, code int, exc, msg string) *Error {
	return &Error{Model: model, Method: method, Code: code, Exception: exc, Message: msg, Retriable: true}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
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
func classifyFault(model, method string, f *xmlrpc.Fault) *Error {
	if c := f.CodeText; c != "" {
		// Legacy /xmlrpc/object: faultCode is the message, e.g. "warning -- UserError\n\n<msg>".
		msg := strings.TrimSpace(c)
		if rest, ok := strings.CutPrefix(msg, "warning -- "); ok {
			exc, body, _ := strings.Cut(rest, "\n")
			e := permanent(model, method, 0, strings.TrimSpace(exc), strings.TrimSpace(body))
			e.CodeText = c
			return e
		}
		e := permanent(model, method, 0, "", msg)
		e.Retriable = transientDB(msg + "\n" + f.String)
		e.CodeText = c
		return e
	}
	text := strings.TrimRight(f.String, "\n ")
	switch f.Code {
	case faultException:
		exc, msg := tracebackException(text)
		name, _, _ := strings.Cut(exc, ":")
		e := permanent(model, method, f.Code, name, msg)
		e.Retriable = transientDB(exc)
		return e
	case faultAccessDenied:
		return permanent(model, method, f.Code, "odoo.exceptions.AccessDenied", text)
	case faultAccessError:
		return permanent(model, method, f.Code, "odoo.exceptions.AccessError", text)
	}
	e := permanent(model, method, f.Code, "", text)
	e.Retriable = transientDB(text)
	return e
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
