package eventstore

import (
	"fmt"
	"time"

	"github.com/laaledger/laaledger/domain/errcode"
)

// The store's errors. Each reports its code in the ledger's vocabulary
// (package errcode) through an ErrorCode method, so errcode.Of(err) tells a
// caller what kind of failure it is without listing these.
var (
	// ErrConflict means the aggregate is not at the version the caller
	// expected; nothing was written. The error is a *ConflictError.
	// Code: ECONFLICT.
	ErrConflict error = errcode.New(errcode.ECONFLICT, "version conflict")
	// ErrDuplicate means the command id was already appended; the original
	// result is returned beside it. Code: ECONFLICT.
	ErrDuplicate error = errcode.New(errcode.ECONFLICT, "duplicate command")
	// ErrNotFound means the aggregate, message or stream does not exist.
	// Code: ENOTFOUND.
	ErrNotFound error = errcode.New(errcode.ENOTFOUND, "not found")
	// ErrInvalid means the request was malformed: a bad subject token, an
	// empty command, a configuration that would lose events. Code: EINVALID.
	ErrInvalid error = errcode.New(errcode.EINVALID, "invalid")
	// ErrUnavailable means the server could not be reached or did not answer
	// in time; the append may or may not have happened, and retrying with the
	// same command id is safe. Code: EUNAVAILABLE.
	ErrUnavailable error = errcode.New(errcode.EUNAVAILABLE, "unavailable")
	// ErrTampered means a stored event does not match its hash or its
	// predecessor's; the error is a *ChainError. Code: ETAMPERED.
	ErrTampered error = errcode.New(errcode.ETAMPERED, "hash chain broken")
	// ErrIntegrity means the stream is not the history the ledger
	// acknowledged: shorter, with a gap, or different at an acknowledged
	// sequence (see [Watermark]). The error is an *IntegrityError; the store
	// refuses appends while it stands. Code: ETAMPERED.
	ErrIntegrity error = errcode.New(errcode.ETAMPERED, "ledger integrity in doubt")
)

// ConflictError carries the versions of a refused append.
type ConflictError struct {
	Aggregate Aggregate
	Expected  uint64
	Actual    uint64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("append %s: expected version %d, aggregate is at %d", e.Aggregate, e.Expected, e.Actual)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// ErrorCode reports ECONFLICT to errcode.Of.
func (e *ConflictError) ErrorCode() string { return errcode.ECONFLICT }

// ReadStalledError is a bounded read of the stream that received nothing
// for [Config.ReadIdleTimeout]: the message it was waiting for could not
// be read (missing, unreadable, or the server stopped answering). It
// matches [ErrUnavailable].
type ReadStalledError struct {
	// Op names the read ("read stream", "read stored commits").
	Op string
	// Waiting is the stream sequence the read was waiting for: the one
	// after the last it received (for a filtered read, the next message
	// it selects is at or after Waiting).
	Waiting uint64
	// Stop is the sequence the read was to end at.
	Stop uint64
	// Filtered is set when the read selects only some subjects.
	Filtered bool
	// Idle is how long it waited.
	Idle time.Duration
}

func (e *ReadStalledError) Error() string {
	what := fmt.Sprintf("stream sequence %d", e.Waiting)
	if e.Filtered {
		what = fmt.Sprintf("the next message at or after stream sequence %d", e.Waiting)
	}
	return fmt.Sprintf("%s: no message for %s while waiting for %s (the read ends at %d): "+
		"that message cannot be read; check the stream (laaledger verify) and the server", e.Op, e.Idle, what, e.Stop)
}

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *ReadStalledError) Is(target error) bool { return target == ErrUnavailable }

// ErrorCode reports EUNAVAILABLE to errcode.Of.
func (e *ReadStalledError) ErrorCode() string { return errcode.EUNAVAILABLE }

// ErrorCode reports ETAMPERED to errcode.Of.
func (e *ChainError) ErrorCode() string { return errcode.ETAMPERED }

// TamperedError is the sentinel of a kind of tamper evidence found beside
// the hash chain, such as a proof that fails or a bundle with nothing in
// it: a package declares one and compares with it by identity, and
// errors.Is(err, ErrTampered) holds for it as well, so that callers treat
// it like a broken chain. Code: ETAMPERED.
type TamperedError struct{ Message string }

func (e *TamperedError) Error() string { return e.Message }

// Is makes errors.Is(err, ErrTampered) true.
func (e *TamperedError) Is(target error) bool { return target == ErrTampered }

// ErrorCode reports ETAMPERED to errcode.Of.
func (e *TamperedError) ErrorCode() string { return errcode.ETAMPERED }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
