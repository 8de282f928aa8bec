package main

import (
	"errors"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// Exit codes, one per kind of failure, so scripts can tell them apart.
const (
	exitInternal    = 1
	exitUsage       = 2
	exitConflict    = 3
	exitNotFound    = 4
	exitUnavailable = 5
	exitForbidden   = 6
	exitTampered    = 7
)

var errHelp = errors.New("help shown")

// usageError marks bad command-line input.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitCode is the one place that maps errors to exit codes.
func exitCode(err error) int {
	var ue usageError
	var se *serverError
	if errors.As(err, &se) {
		switch {
		case se.status == 400 || se.status == 422 || se.status == 413:
			return exitUsage
		case se.status == 401 || se.status == 403:
			return exitForbidden
		case se.status == 404:
			return exitNotFound
		case se.status == 409 || se.status == 412:
			return exitConflict
		case se.status == 503:
			return exitUnavailable
		case se.code == "tampered":
			return exitTampered
		}
		return exitInternal
	}
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, eventstore.ErrTampered):
		return exitTampered
	case errors.Is(err, eventstore.ErrConflict), errors.Is(err, eventstore.ErrDuplicate):
		return exitConflict
	case errors.Is(err, eventstore.ErrNotFound):
		return exitNotFound
	case errors.Is(err, eventstore.ErrUnavailable):
		return exitUnavailable
	case errors.Is(err, eventstore.ErrInvalid):
		return exitUsage
	}
	switch domain.ErrorCode(err) {
	case domain.EINVALID:
		return exitUsage
	case domain.ECONFLICT:
		return exitConflict
	case domain.ENOTFOUND:
		return exitNotFound
	case domain.EFORBIDDEN:
		return exitForbidden
	}
	return exitInternal
}
