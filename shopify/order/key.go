package order

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Valid checks that body is one JSON object, in one pass (3-4x faster than
// encoding/json.Valid): FromWebhook's decoder skips fields Synco does not read without
// checking them, so the body is checked first.
func Valid(body []byte) error {
	var top fields
	return scanBody(body, &top, "")
}

// Key is what ingest must know of a webhook body before Kafka has it: which order it
// is about (the record key) and, for a whole order, its version. Everything else is
// read later from the raw body by the processor.
type Key struct {
	OrderID int64
	// UpdatedAt is the order's updated_at (created_at when it has none); zero for
	// bodies that carry no order snapshot (refunds, edits, deletes) and for an order
	// without either timestamp.
	UpdatedAt time.Time
}

// errNoID is ScanOrder's error for an order payload without an id.
var errNoID = errors.New("order payload has no id")

// ScanOrder finds the key of an order webhook body (or a REST order wrapped as
// {"order": {...}}) in one pass over the bytes, checking on the way that the whole
// body is JSON. It reads these fields as the normalizer (FromWebhook,
// which the processor runs on the same body) does, so the two never disagree on an
// order's id: the top-level "id" (an integer above 0; nested ids of line items or the
// customer do not count, wherever they appear), updated_at or else created_at (RFC
// 3339). Keys match exactly (Shopify's are lower case); of a key given twice the
// last counts, as with encoding/json.
func ScanOrder(body []byte) (Key, error) {
	var top fields
	if err := scanBody(body, &top, "order"); err != nil {
		return Key{}, fmt.Errorf("order payload: %w", err)
	}
	f := &top
	if top.order != nil {
		f = top.order
	}
	id, ok, err := f.id.int()
	if err != nil {
		return Key{}, fmt.Errorf("order payload: id: %w", err)
	}
	if !ok || id <= 0 {
		return Key{}, errNoID
	}
	k := Key{OrderID: id}
	created, err := f.createdAt.time()
	if err != nil {
		return Key{}, fmt.Errorf("order payload: created_at: %w", err)
	}
	updated, err := f.updatedAt.time()
	if err != nil {
		return Key{}, fmt.Errorf("order payload: updated_at: %w", err)
	}
	k.UpdatedAt = updated
	if k.UpdatedAt.IsZero() {
		k.UpdatedAt = created
	}
	return k, nil
}

// ScanRef finds the order a body without an order snapshot refers to, as
// OrderIDOf does: order_edit.order_id, else order_id, else (orders/delete) id. The whole body
// must be JSON.
func ScanRef(topic string, body []byte) (Key, error) {
	var top fields
	if err := scanBody(body, &top, "order_edit"); err != nil {
		return Key{}, fmt.Errorf("%s payload: %w", topic, err)
	}
	candidates := []struct {
		name string
		tok  token
		use  bool
	}{{"order_edit.order_id", top.editOrderID, true}, {"order_id", top.orderID, true}, {"id", top.id, topic == "orders/delete"}}
	for _, c := range candidates {
		id, ok, err := c.tok.int()
		if err != nil {
			return Key{}, fmt.Errorf("%s payload: %s: %w", topic, c.name, err)
		}
		if c.use && ok && id > 0 {
			return Key{OrderID: id}, nil
		}
	}
	return Key{}, fmt.Errorf("%s payload has no order id", topic)
}

// token is one scalar value as it appears in the body (nil: the key was absent).
type token []byte

// int reads an integer token exactly (ids exceed 2^53: never through a float).
// null and absent are "no value"; a string, fraction or exponent is an error, as
// encoding/json into an int64 says.
func (t token) int() (int64, bool, error) {
	if t == nil || string(t) == "null" {
		return 0, false, nil
	}
	if t[0] != '-' && (t[0] < '0' || t[0] > '9') {
		return 0, false, fmt.Errorf("%.20s is not an integer", t)
	}
	n, err := strconv.ParseInt(string(t), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%.20s is not a 64-bit integer", t)
	}
	return n, true, nil
}

// time reads a timestamp token as time.Time's JSON decoding does (RFC 3339).
func (t token) time() (time.Time, error) {
	if t == nil || string(t) == "null" {
		return time.Time{}, nil
	}
	var v time.Time // encoding/json hands the raw token to the same method
	if err := v.UnmarshalJSON(t); err != nil {
		return time.Time{}, err
	}
	return v.UTC(), nil
}

// fields are the values the key needs, at one object level.
type fields struct {
	id, orderID, editOrderID, updatedAt, createdAt token
	order                                          *fields // {"order": {...}} wrapper
}

const maxDepth = 10000 // as encoding/json

type scanner struct {
	b     []byte
	i     int
	depth int
	nest  string // the top-level key whose object is looked into: "order" or "order_edit"
}

type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.msg, e.off) }

func (s *scanner) fail(msg string) error { return &syntaxError{msg, s.i} }

// scanBody checks that body is one JSON object and fills top with its key fields
// (and those of the object under the top-level key nest).
func scanBody(body []byte, top *fields, nest string) error {
	s := scanner{b: body, nest: nest}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return s.fail("not a JSON object")
	}
	if err := s.object(top, true); err != nil {
		return err
	}
	s.ws()
	if s.i != len(s.b) {
		return s.fail("data after the JSON object")
	}
	return nil
}

var space = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

func (s *scanner) ws() {
	b, i := s.b, s.i
	for i < len(b) && space[b[i]] {
		i++
	}
	s.i = i
}

// object scans {...} at s.i. With f set, the wanted keys of this level are kept in
// f; top says whether this is the body itself (where s.nest is looked into).
func (s *scanner) object(f *fields, top bool) error {
	s.depth++
	if s.depth > maxDepth {
		return s.fail("nested too deep")
	}
	s.i++ // '{'
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		s.depth--
		return nil
	}
	for {
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.fail("expected a key")
		}
		k0 := s.i
		if err := s.str(); err != nil {
			return err
		}
		key := s.b[k0+1 : s.i-1]
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.fail("expected ':'")
		}
		s.i++
		s.ws()
		if s.i >= len(s.b) {
			return s.fail("unexpected end")
		}
		var dst *token
		if f != nil {
			switch string(key) {
			case "id":
				dst = &f.id
			case "order_id":
				dst = &f.orderID
			case "updated_at":
				dst = &f.updatedAt
			case "created_at":
				dst = &f.createdAt
			case s.nest:
				if top {
					if err := s.nested(f, string(key)); err != nil {
						return err
					}
					goto next
				}
			}
		}
		{
			v0 := s.i
			if err := s.value(); err != nil {
				return err
			}
			if dst != nil {
				*dst = s.b[v0:s.i]
			}
		}
	next:
		s.ws()
		if s.i >= len(s.b) {
			return s.fail("unexpected end in object")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			s.depth--
			return nil
		default:
			return s.fail("expected ',' or '}'")
		}
	}
}

// nested scans the value of the top-level "order" (a wrapped REST order) or
// "order_edit" (orders/edited) key.
func (s *scanner) nested(f *fields, key string) error {
	switch s.b[s.i] {
	case '{':
		inner := &fields{}
		if err := s.object(inner, false); err != nil {
			return err
		}
		if key == "order" {
			f.order = inner
		} else {
			f.editOrderID = inner.orderID
		}
		return nil
	case 'n':
		if err := s.value(); err != nil {
			return err
		}
		if key == "order" {
			f.order = nil
		} else {
			f.editOrderID = nil
		}
		return nil
	}
	return s.fail(key + " is not an object")
}

func (s *scanner) value() error {
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(nil, false)
	case c == '[':
		return s.array()
	case c == '"':
		return s.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	}
	return s.fail("unexpected character")
}

func (s *scanner) array() error {
	s.depth++
	if s.depth > maxDepth {
		return s.fail("nested too deep")
	}
	s.i++ // '['
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		s.depth--
		return nil
	}
	for {
		if s.i >= len(s.b) {
			return s.fail("unexpected end in array")
		}
		if err := s.value(); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.fail("unexpected end in array")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.ws()
		case ']':
			s.i++
			s.depth--
			return nil
		default:
			return s.fail("expected ',' or ']'")
		}
	}
}

// plain marks the bytes a string may hold without a second look: not '"', not
// '\\', not a control character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans a string at s.i (the opening quote), checking its escapes.
func (s *scanner) str() error {
	b, i := s.b, s.i+1
	for {
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			s.i = i
			return s.fail("unexpected end in string")
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return nil
		case c == '\\':
			if i+1 >= len(b) {
				s.i = i
				return s.fail("unexpected end in string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !hex4(b[i+2:i+6]) {
					s.i = i
					return s.fail("bad \\u escape")
				}
				i += 6
			default:
				s.i = i
				return s.fail("bad escape")
			}
		default:
			s.i = i
			return s.fail("control character in string")
		}
	}
}

func hex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// number scans a JSON number (RFC 8259 grammar).
func (s *scanner) number() error {
	if s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		s.digits()
	default:
		return s.fail("bad number")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return s.fail("bad number")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return s.fail("bad number")
		}
	}
	return nil
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

func (s *scanner) lit(w string) error {
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		return s.fail("bad literal")
	}
	s.i += len(w)
	return nil
}
