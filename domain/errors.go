package domain

import (
	"errors"
	"fmt"

	"github.com/laaledger/laaledger/domain/errcode"
)

// Error codes of the domain's refusals: the ledger's codes (package
// errcode), named here so that decision code reads Errorf(EINVALID, …).
const (
	// EINVALID: the command is malformed or breaks a rule of the domain.
	EINVALID = errcode.EINVALID
	// EFORBIDDEN: the actor may not issue this command for this aggregate.
	EFORBIDDEN = errcode.EFORBIDDEN
	// ECONFLICT: the command does not fit the aggregate's current state
	// (lifecycle order, a target already agreed, a duplicate target).
	ECONFLICT = errcode.ECONFLICT
	// ENOTFOUND: the command names something that does not exist (an
	// aggregate, a target, a review request, an indicator).
	ENOTFOUND = errcode.ENOTFOUND
	// EINTERNAL: anything that is not a domain error.
	EINTERNAL = errcode.EINTERNAL
)

// Error is a refusal by the domain. Code is one of the E* constants; Rule is
// a stable, specific identifier of the rule that refused (for example
// "laa.designated_limit"), safe for clients to match on; Message is for
// people and names what was wrong.
type Error struct {
	Code    string
	Rule    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// ErrorCode reports e's code to [errcode.Of].
func (e *Error) ErrorCode() string { return e.Code }

// Is matches another *Error with the same Code and, if the target sets one,
// the same Rule; errors.Is(err, &Error{Rule: "laa.designated_limit"}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return (t.Code == "" || t.Code == e.Code) && (t.Rule == "" || t.Rule == e.Rule)
}

// Errorf returns an *Error with the given code and rule.
func Errorf(code, rule, format string, args ...any) *Error {
	return &Error{Code: code, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode is [errcode.Of]: the code of the first error in err's chain
// that reports one, "" for nil and EINTERNAL for anything else.
func ErrorCode(err error) string { return errcode.Of(err) }

// ErrorRule returns the rule of the first *Error in err's chain, or "".
func ErrorRule(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Rule
	}
	return ""
}
