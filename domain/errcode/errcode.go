// Package errcode is the ledger's one vocabulary of error codes, in the
// model of github.com/benbjohnson/wtf: a short list of string codes, an
// [Error] that carries one, and [Of], which reads the code of any error.
//
// Each package reports its errors in these codes by giving its error types
// an ErrorCode() string method (the domain's refusals, the event store's
// and the projections' sentinels and typed errors); [Of] finds the first
// such error in a chain with errors.As. The front ends then map codes, not
// errors, to what they speak: the HTTP API to statuses, the CLI to exit
// codes, each in one table.
//
// The vocabulary lives under domain, as the root every layer of the ledger
// may import (the wtf model), but in its own package so that the event
// store and the projections can speak it without importing the domain's
// rules. The package imports only the standard library and must stay that
// way.
package errcode

import (
	"errors"
	"fmt"
)

// The codes. The strings are stable: they appear in problem documents
// (the `category` member) and clients match on them.
const (
	// EINVALID: the input is malformed or breaks a rule (a bad token, an
	// unknown field, a value out of range, a command the domain refuses).
	EINVALID = "invalid"
	// EUNAUTHENTICATED: the caller did not say who it is, or not credibly.
	EUNAUTHENTICATED = "unauthenticated"
	// EFORBIDDEN: the caller may not do this.
	EFORBIDDEN = "forbidden"
	// ENOTFOUND: what the request names does not exist.
	ENOTFOUND = "not_found"
	// ECONFLICT: the request does not fit the current state (a version
	// moved on, a lifecycle step out of order, an id reused).
	ECONFLICT = "conflict"
	// EUNAVAILABLE: a dependency did not answer in time or is not running;
	// retrying may succeed.
	EUNAVAILABLE = "unavailable"
	// ETAMPERED: stored events do not match their hash chain.
	ETAMPERED = "tampered"
	// EINTERNAL: anything else, a bug or an unexpected failure. [Of] gives
	// it to every error that reports no code.
	EINTERNAL = "internal"
)

// Error is an error with a code and a message for people. Packages use it
// for their sentinels (compared by identity, so two Errors with the same
// code are not errors.Is each other) or define their own types with an
// ErrorCode method.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// ErrorCode reports e's code to [Of].
func (e *Error) ErrorCode() string { return e.Code }

// New returns an *Error with the given code and message.
func New(code, message string) *Error { return &Error{Code: code, Message: message} }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Of returns the code of the first error in err's chain that reports one
// through an ErrorCode() string method: "" for nil, [EINTERNAL] when none
// does.
func Of(err error) string {
	if err == nil {
		return ""
	}
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return EINTERNAL
}
