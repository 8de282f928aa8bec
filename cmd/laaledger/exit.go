package main

import (
	"errors"

	"github.com/laaledger/laaledger/domain/errcode"
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
	// exitUnauthenticated: no token, or one the server does not accept
	// (exitForbidden is a known caller refused).
	exitUnauthenticated = 8
)

// exitCodes is the CLI's one table: the exit code for each code of the
// ledger's vocabulary (package errcode). Errors of every package, and the
// problems a server answers, reach it through errcode.Of; a code not listed
// is exitInternal.
var exitCodes = map[string]int{
	errcode.EINVALID:         exitUsage,
	errcode.ECONFLICT:        exitConflict,
	errcode.ENOTFOUND:        exitNotFound,
	errcode.EUNAVAILABLE:     exitUnavailable,
	errcode.EUNAUTHENTICATED: exitUnauthenticated,
	errcode.EFORBIDDEN:       exitForbidden,
	errcode.ETAMPERED:        exitTampered,
}

var errHelp = errors.New("help shown")

// usageError marks bad command-line input.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// ErrorCode reports EINVALID to errcode.Of.
func (e usageError) ErrorCode() string { return errcode.EINVALID }

// exitCode is the one place that maps errors to exit codes.
func exitCode(err error) int {
	if code, ok := exitCodes[errcode.Of(err)]; ok {
		return code
	}
	return exitInternal
}
