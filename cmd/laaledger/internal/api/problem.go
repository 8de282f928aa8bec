package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/errcode"
	"github.com/laaledger/laaledger/eventstore"
)

// Problem is an RFC 9457 problem detail with the ledger's stable codes.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Code is specific and stable: a domain rule id (laa.designated_limit)
	// or one of the API's own codes (version_conflict, bad_if_match, …).
	Code string `json:"code"`
	// Category is the error's code in the ledger's vocabulary (package
	// errcode: invalid, unauthenticated, forbidden, not_found, conflict,
	// unavailable, tampered, internal); clients such as the CLI branch on
	// it, not on Code or the status.
	Category        string  `json:"category"`
	CorrelationID   string  `json:"correlation_id,omitempty"`
	ExpectedVersion *uint64 `json:"expected_version,omitempty"`
	CurrentVersion  *uint64 `json:"current_version,omitempty"`
	ReachedSequence *uint64 `json:"reached_sequence,omitempty"`
}

// httpStatus is the HTTP front end's one table: the status for each code of
// the ledger's vocabulary. [problemFor] refines three cases (422, 412 and
// the problem's specific code) and says why.
var httpStatus = map[string]int{
	errcode.EINVALID:         http.StatusBadRequest,
	errcode.EUNAUTHENTICATED: http.StatusUnauthorized,
	errcode.EFORBIDDEN:       http.StatusForbidden,
	errcode.ENOTFOUND:        http.StatusNotFound,
	errcode.ECONFLICT:        http.StatusConflict,
	errcode.EUNAVAILABLE:     http.StatusServiceUnavailable,
	errcode.ETAMPERED:        http.StatusInternalServerError,
	errcode.EINTERNAL:        http.StatusInternalServerError,
}

// categoryOf classifies the HTTP layer's own refusals, which are made with a
// status (a 415 or a 405 has no code of its own), in the same vocabulary.
func categoryOf(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return errcode.EUNAUTHENTICATED
	case status == http.StatusForbidden:
		return errcode.EFORBIDDEN
	case status == http.StatusNotFound:
		return errcode.ENOTFOUND
	case status == http.StatusConflict, status == http.StatusPreconditionFailed:
		return errcode.ECONFLICT
	case status == http.StatusServiceUnavailable:
		return errcode.EUNAVAILABLE
	case status >= 400 && status < 500:
		return errcode.EINVALID
	}
	return errcode.EINTERNAL
}

// requestError is a refusal of the request itself, before anything reached
// the domain: it is always a 4xx or 503 with its own status and code.
type requestError struct {
	status int
	code   string
	msg    string
}

func (e *requestError) Error() string { return e.msg }

// ErrorCode reports the refusal's category to errcode.Of.
func (e *requestError) ErrorCode() string { return categoryOf(e.status) }

func badRequest(code, msg string) error {
	return &requestError{status: http.StatusBadRequest, code: code, msg: msg}
}

// decodeError marks an error the domain raised while building the command
// from the request body (bad JSON, unknown field, wrong type, a malformed
// field): the request is malformed, so it is a 400, not a 422.
type decodeError struct{ err error }

func (e *decodeError) Error() string { return e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// preconditionError marks a version conflict against the caller's own
// If-Match: it is a 412, where a conflict the service could not resolve by
// itself is a 409.
type preconditionError struct{ err error }

func (e *preconditionError) Error() string { return e.err.Error() }
func (e *preconditionError) Unwrap() error { return e.err }

// notCaughtUpError says the read models had not applied min_sequence in time.
type notCaughtUpError struct {
	want, reached uint64
	err           error
}

func (e *notCaughtUpError) Error() string {
	return "the read models have not yet applied ledger sequence " + u64(e.want) +
		" (they are at " + u64(e.reached) + "); retry shortly"
}

// ErrorCode reports EUNAVAILABLE to errcode.Of.
func (e *notCaughtUpError) ErrorCode() string { return errcode.EUNAVAILABLE }

// problemFor is the one place that maps an error to an HTTP status and
// stable codes. The status comes from the error's code through
// [httpStatus]; the problem's Code is the most specific name there is.
// Details of 5xx errors are withheld or fixed: the log has the full text.
func problemFor(err error) Problem {
	var re *requestError
	if errors.As(err, &re) {
		return problem(re.status, re.code, re.msg)
	}
	category := errcode.Of(err)
	status, ok := httpStatus[category]
	if !ok {
		category, status = errcode.EINTERNAL, http.StatusInternalServerError
	}
	p := problem(status, category, err.Error())
	p.Category = category
	switch category {
	case errcode.EINTERNAL:
		p.Detail = "internal error"
	case errcode.ETAMPERED:
		p.Detail = "the ledger's hash chain does not verify: " + err.Error()
		if errors.Is(err, eventstore.ErrIntegrity) {
			// Nothing is wrong with the request: the ledger refuses every
			// write until its operator restores the stream.
			p.setStatus(http.StatusServiceUnavailable)
			p.Code = "integrity_in_doubt"
			p.Detail = err.Error() + "; writes are refused until the operator restores the stream from a replica or backup and `laaledger verify` passes"
			return p
		}
	case errcode.EUNAVAILABLE:
		p.Detail = "the ledger or its read models are not available right now; retry: a command retried with the same Idempotency-Key is recorded at most once"
	}

	if status == http.StatusInternalServerError {
		return p
	}
	var (
		dom *domain.Error
		ce  *eventstore.ConflictError
		nc  *notCaughtUpError
	)
	switch {
	case errors.As(err, &dom):
		// A domain refusal is named by its rule. One of a well-formed
		// command is 422: understood, but against a rule; one found while
		// decoding the body, about the request's metadata (meta.*), or
		// about input no field may hold (command.*: text, a number left
		// out or out of range, whether in the command, in a correction's
		// corrected body or in the request's reason, evidence or ids), is
		// a malformed request and stays 400.
		if dom.Rule != "" {
			p.Code = dom.Rule
		}
		p.Detail = dom.Message
		var de *decodeError
		if category == errcode.EINVALID && !errors.As(err, &de) && !strings.HasPrefix(dom.Rule, "meta.") && !strings.HasPrefix(dom.Rule, "command.") {
			p.setStatus(http.StatusUnprocessableEntity)
		}
	case errors.As(err, &ce):
		// The API promises both versions, and a 412 when the caller's own
		// If-Match was wrong rather than a race the service lost.
		p.Code = "version_conflict"
		p.Detail = "the aggregate kept changing under the command; retry with the same Idempotency-Key"
		p.ExpectedVersion, p.CurrentVersion = &ce.Expected, &ce.Actual
		var pe *preconditionError
		if errors.As(err, &pe) {
			p.setStatus(http.StatusPreconditionFailed)
			p.Detail = "If-Match: expected version " + u64(ce.Expected) + ", " + ce.Aggregate.String() + " is at version " + u64(ce.Actual)
		}
	case errors.Is(err, eventstore.ErrDuplicate):
		p.Code = "idempotency_key_reused"
		p.Detail = "this Idempotency-Key was already used for a different command; use a new key for a new command"
	case errors.As(err, &nc):
		p.Code = "not_caught_up"
		p.Detail = nc.Error()
		p.ReachedSequence = &nc.reached
	}
	return p
}

// problem returns a problem with the given status and code, its category
// that of the status (see [categoryOf]).
func problem(status int, code, detail string) Problem {
	return Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code, Category: categoryOf(status), Detail: detail}
}

func (p *Problem) setStatus(status int) { p.Status, p.Title = status, http.StatusText(status) }

// writeProblem writes p as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	p.Instance = r.URL.Path
	p.CorrelationID = correlationID(r.Context())
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="laaledger"`)
	}
	if p.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeError maps err with [problemFor] and writes it; 5xx errors are logged
// with their full text, which the client does not see.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	if p.Status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "code", p.Code, "err", err)
	}
	writeProblem(w, r, p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
