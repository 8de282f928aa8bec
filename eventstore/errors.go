package eventstore

import (
	"errors"
	"fmt"
)

var (
	// ErrConflict means the aggregate is not at the version the caller
	// expected; nothing was written. The error is a *ConflictError.
	ErrConflict = errors.New("version conflict")
	// ErrDuplicate means the command id was already appended; the original
	// result is returned beside it.
	ErrDuplicate = errors.New("duplicate command")
	// ErrNotFound means the aggregate, message or stream does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid means the request was malformed: a bad subject token, an
	// empty command, a configuration that would lose events.
	ErrInvalid = errors.New("invalid")
	// ErrUnavailable means the server could not be reached or did not answer
	// in time; the append may or may not have happened, and retrying with the
	// same command id is safe.
	ErrUnavailable = errors.New("unavailable")
	// ErrTampered means a stored event does not match its hash or its
	// predecessor's; the error is a *ChainError.
	ErrTampered = errors.New("hash chain broken")
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

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
