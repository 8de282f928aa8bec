package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// Problem is an RFC 9457 problem detail with the ledger's stable code.
type Problem struct {
	Type            string  `json:"type"`
	Title           string  `json:"title"`
	Status          int     `json:"status"`
	Detail          string  `json:"detail,omitempty"`
	Instance        string  `json:"instance,omitempty"`
	Code            string  `json:"code"`
	CorrelationID   string  `json:"correlation_id,omitempty"`
	ExpectedVersion *uint64 `json:"expected_version,omitempty"`
	CurrentVersion  *uint64 `json:"current_version,omitempty"`
	ReachedSequence *uint64 `json:"reached_sequence,omitempty"`
}

// requestError is a refusal of the request itself, before anything reached
// the domain: it is always a 4xx with its own status and code.
type requestError struct {
	status int
	code   string
	msg    string
}

func (e *requestError) Error() string { return e.msg }

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

// problemFor is the one place that maps an error to an HTTP status and a
// stable code. Domain refusals carry their rule id; event store errors
// their kind; anything else is a 500 "internal" whose detail is withheld.
func problemFor(err error) Problem {
	var (
		re  *requestError
		de  *decodeError
		pe  *preconditionError
		nc  *notCaughtUpError
		ce  *eventstore.ConflictError
		dom *domain.Error
	)
	switch {
	case errors.As(err, &re):
		return problem(re.status, re.code, re.msg)
	case errors.As(err, &nc):
		p := problem(http.StatusServiceUnavailable, "not_caught_up", nc.Error())
		p.ReachedSequence = &nc.reached
		return p
	case errors.As(err, &ce):
		status, code := http.StatusConflict, "version_conflict"
		msg := "the aggregate kept changing under the command; retry with the same Idempotency-Key"
		if errors.As(err, &pe) {
			status = http.StatusPreconditionFailed
			msg = "If-Match: expected version " + u64(ce.Expected) + ", " + ce.Aggregate.String() + " is at version " + u64(ce.Actual)
		}
		p := problem(status, code, msg)
		p.ExpectedVersion, p.CurrentVersion = &ce.Expected, &ce.Actual
		return p
	case errors.As(err, &dom):
		code := dom.Rule
		if code == "" {
			code = dom.Code
		}
		var status int
		switch dom.Code {
		case domain.EINVALID:
			status = http.StatusUnprocessableEntity
			if errors.As(err, &de) || strings.HasPrefix(dom.Rule, "meta.") {
				status = http.StatusBadRequest
			}
		case domain.EFORBIDDEN:
			status = http.StatusForbidden
		case domain.ENOTFOUND:
			status = http.StatusNotFound
		case domain.ECONFLICT:
			status = http.StatusConflict
		default:
			return problem(http.StatusInternalServerError, "internal", "internal error")
		}
		return problem(status, code, dom.Message)
	case errors.Is(err, eventstore.ErrDuplicate):
		return problem(http.StatusConflict, "idempotency_key_reused",
			"this Idempotency-Key was already used for a different command; use a new key for a new command")
	case errors.Is(err, eventstore.ErrNotFound):
		return problem(http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, eventstore.ErrInvalid):
		return problem(http.StatusBadRequest, "invalid", err.Error())
	case errors.Is(err, eventstore.ErrUnavailable):
		return problem(http.StatusServiceUnavailable, "unavailable",
			"the ledger did not answer in time; the command may or may not have been recorded: retry with the same Idempotency-Key")
	case errors.Is(err, projections.ErrInvalid):
		return problem(http.StatusBadRequest, "invalid", err.Error())
	case errors.Is(err, projections.ErrStopped):
		return problem(http.StatusServiceUnavailable, "unavailable", "the read models are not running")
	case errors.Is(err, eventstore.ErrTampered):
		return problem(http.StatusInternalServerError, "tampered", "the ledger's hash chain does not verify: "+err.Error())
	}
	return problem(http.StatusInternalServerError, "internal", "internal error")
}

func problem(status int, code, detail string) Problem {
	return Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

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
