package projections

import (
	"fmt"

	"github.com/laaledger/laaledger/domain/errcode"
)

// The projections' errors. Each reports its code in the ledger's vocabulary
// (package errcode) through an ErrorCode method, so errcode.Of(err) tells a
// caller what kind of failure it is without listing these.
var (
	// ErrNotReached means the runner had not applied the sequence a caller
	// waited for when the caller's deadline passed. The error is a
	// *NotReachedError. Code: EUNAVAILABLE.
	ErrNotReached error = errcode.New(errcode.EUNAVAILABLE, "projections not yet at sequence")
	// ErrStopped means the runner is not running: it was closed, or its
	// subscription failed (the cause is wrapped beside it). Code:
	// EUNAVAILABLE.
	ErrStopped error = errcode.New(errcode.EUNAVAILABLE, "projection runner stopped")
	// ErrInvalid means a malformed request: a bad cursor, an unknown read
	// model, a limit out of range. Code: EINVALID.
	ErrInvalid error = errcode.New(errcode.EINVALID, "invalid")
)

// NotReachedError says which sequence was wanted and which was reached.
type NotReachedError struct {
	Want    uint64
	Reached uint64
	Cause   error // the context's error
}

func (e *NotReachedError) Error() string {
	return fmt.Sprintf("projections at sequence %d, waited for %d: %v", e.Reached, e.Want, e.Cause)
}

// Is makes errors.Is(err, ErrNotReached) true.
func (e *NotReachedError) Is(target error) bool { return target == ErrNotReached }

// Unwrap gives the context's error, so errors.Is(err,
// context.DeadlineExceeded) holds too.
func (e *NotReachedError) Unwrap() error { return e.Cause }

// ErrorCode reports EUNAVAILABLE to errcode.Of.
func (e *NotReachedError) ErrorCode() string { return errcode.EUNAVAILABLE }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
