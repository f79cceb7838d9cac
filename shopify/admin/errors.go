package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Error is every failure of a call to Shopify, classified once where it happens:
// Retriable when the same call may work later (network, timeouts, HTTP 5xx, 429,
// THROTTLED, Shopify's INTERNAL_SERVER_ERROR), otherwise permanent (bad token, access
// denied, a query Shopify rejects, a query costing more than the bucket holds, user
// errors of a mutation). The access token never appears in it.
type Error struct {
	Shop string // shop domain
	Op   string // the GraphQL operation name

	// Status is the HTTP status; 0 when no answer came.
	Status int
	// Code is Shopify's code: extensions.code of the first GraphQL error (THROTTLED,
	// ACCESS_DENIED, MAX_COST_EXCEEDED, ...) or a user error's code (STALE_OBJECT, ...).
	Code string
	// Message is Shopify's message.
	Message string
	// UserErrors are a mutation's userErrors, when that is what failed.
	UserErrors []UserError

	Retriable bool

	Err error // the underlying transport error, if any
}

// UserError is one entry of a mutation's userErrors.
type UserError struct {
	Field   []string
	Message string
	Code    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("shopify")
	if e.Shop != "" {
		b.WriteString(" " + e.Shop)
	}
	if e.Op != "" {
		b.WriteString(": " + e.Op)
	}
	if e.Status != 0 && e.Status != 200 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsRetriable reports whether err may go away by itself. An error that was never
// classified (not an *Error) counts as retriable, except a cancelled context: losing an
// order to an unknown error is worse than retrying it.
func IsRetriable(err error) bool {
	if err == nil {
		return false
	}
	var se *Error
	if errors.As(err, &se) {
		return se.Retriable
	}
	return !errors.Is(err, context.Canceled)
}

// HasCode reports whether err is a Shopify error with that code (a GraphQL error's
// extensions.code or a user error's code), e.g. HasCode(err, "STALE_OBJECT").
func HasCode(err error, code string) bool {
	var se *Error
	if !errors.As(err, &se) {
		return false
	}
	if se.Code == code {
		return true
	}
	for _, u := range se.UserErrors {
		if u.Code == code {
			return true
		}
	}
	return false
}

// GraphQL error codes Shopify answers in errors[].extensions.code.
const (
	CodeThrottled       = "THROTTLED"
	CodeMaxCostExceeded = "MAX_COST_EXCEEDED"
	CodeAccessDenied    = "ACCESS_DENIED"
	CodeInternal        = "INTERNAL_SERVER_ERROR"
)

// retriableCode says which GraphQL error codes are worth the same call again.
func retriableCode(code string) bool {
	switch code {
	case CodeThrottled, CodeInternal, "SERVICE_UNAVAILABLE", "TIMEOUT":
		return true
	}
	return false
}

// retriableStatus says which HTTP statuses are worth the same call again: 429 and the
// 5xx family. 401/403 (token, scopes), 402 (shop frozen), 404 (no such shop or
// version), 423 (shop locked) and other 4xx need a person.
func retriableStatus(status int) bool {
	return status == 429 || status >= 500
}

// transportError classifies an error of the HTTP round trip: the network and timeouts
// are retriable; a cancelled context is not (the caller gave up).
func transportError(shop, op string, err error) *Error {
	e := &Error{Shop: shop, Op: op, Message: err.Error(), Err: err, Retriable: true}
	if errors.Is(err, context.Canceled) {
		e.Retriable = false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		e.Message = "timeout: " + err.Error()
	}
	return e
}

// userErrors turns a mutation's userErrors into a permanent *Error, or nil when empty.
func userErrors(shop, op string, ues []UserError) error {
	if len(ues) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(ues))
	for _, u := range ues {
		m := u.Message
		if len(u.Field) > 0 {
			m = strings.Join(u.Field, ".") + ": " + m
		}
		msgs = append(msgs, m)
	}
	return &Error{Shop: shop, Op: op, Status: 200, Code: ues[0].Code, Message: strings.Join(msgs, "; "), UserErrors: ues}
}
