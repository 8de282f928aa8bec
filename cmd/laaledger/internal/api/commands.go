package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain/registry"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// commandRequest is the body of POST /v1/commands/{type}: the command's own
// fields under "command", beside what accompanies every command. The actor
// is not here: it comes from the bearer token only.
type commandRequest struct {
	OccurredAt  *time.Time      `json:"occurred_at"`
	Reason      string          `json:"reason"`
	Evidence    []string        `json:"evidence"`
	CausationID string          `json:"causation_id"`
	Command     json.RawMessage `json:"command"`
}

// CommandResult is the answer to an accepted command.
type CommandResult struct {
	CommandID    string              `json:"command_id"`
	Aggregate    domain.AggregateRef `json:"aggregate"`
	Sequence     uint64              `json:"sequence"`
	FirstVersion uint64              `json:"first_version"`
	LastVersion  uint64              `json:"last_version"`
	Duplicate    bool                `json:"duplicate"`
	Events       []CommandEvent      `json:"events"`
}

// CommandEvent names one event a command appended.
type CommandEvent struct {
	EventID          string `json:"event_id"`
	Type             string `json:"type"`
	AggregateVersion uint64 `json:"aggregate_version"`
	Sequence         uint64 `json:"sequence"`
	Index            int    `json:"index"`
}

// maxKeyLen bounds Idempotency-Key; it becomes the JetStream message id.
const maxKeyLen = 128

func (s *Server) command(w http.ResponseWriter, r *http.Request) {
	typ := r.PathValue("type")
	if !s.doc.commands[typ] {
		writeProblem(w, r, problem(http.StatusNotFound, "unknown_command", "no command type "+strconv.Quote(typ)+"; GET /v1/commands lists them"))
		return
	}
	actor, _ := ActorFrom(r.Context())
	if actor.Role.ReadOnly() {
		writeProblem(w, r, problem(http.StatusForbidden, "role.read_only", "the "+string(actor.Role)+" role is read-only and issues no commands"))
		return
	}
	meta, cmd, expected, err := s.decodeCommand(w, r, typ, actor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.execute(w, r, meta, cmd, expected)
}

// execute runs a decoded command, counts it and writes its result: 201
// for an append, 200 for a duplicate, a problem for a refusal.
func (s *Server) execute(w http.ResponseWriter, r *http.Request, meta domain.Meta, cmd domain.Command, expected *uint64) {
	typ, actor := cmd.CommandType(), meta.Actor
	kind := cmd.Aggregate().Kind
	start := time.Now()
	res, err := s.cfg.Executor.Execute(r.Context(), meta, cmd, expected)
	outcome := "appended"
	switch {
	case err == nil && res.Duplicate:
		outcome = "duplicate"
		s.metrics.duplicates.WithLabelValues(kind).Inc()
	case err == nil:
		s.metrics.appends.WithLabelValues(kind).Inc()
	case errors.Is(err, eventstore.ErrConflict):
		outcome = "conflict"
		s.metrics.conflicts.WithLabelValues(kind).Inc()
	default:
		outcome = "refused"
		if p := problemFor(err); p.Status >= 500 {
			outcome = "error"
		}
	}
	s.metrics.appendDur.WithLabelValues(kind, outcome).Observe(time.Since(start).Seconds())
	if err != nil {
		if expected != nil {
			err = &preconditionError{err}
		}
		s.writeError(w, r, err)
		return
	}
	out := CommandResult{CommandID: meta.CommandID, Aggregate: res.Aggregate, Sequence: res.Sequence,
		FirstVersion: res.FirstVersion, LastVersion: res.LastVersion, Duplicate: res.Duplicate,
		Events: make([]CommandEvent, len(res.Events))}
	for i, e := range res.Events {
		out.Events[i] = CommandEvent{EventID: e.EventID, Type: e.Type, AggregateVersion: e.AggregateVersion, Sequence: e.Sequence, Index: i}
	}
	status := http.StatusCreated
	if res.Duplicate || len(res.Events) == 0 {
		// Nothing new was written.
		status = http.StatusOK
	}
	w.Header().Set("ETag", strconv.Quote(u64(res.LastVersion)))
	s.log.InfoContext(r.Context(), "command executed", "correlation_id", meta.CorrelationID, "type", typ,
		"command_id", meta.CommandID, "aggregate", res.Aggregate.String(), "sequence", res.Sequence,
		"actor", actor.ID, "duplicate", res.Duplicate)
	writeJSON(w, status, out)
}

// decodeCommand reads everything the command needs from the request and
// refuses a malformed request before anything reaches the domain.
func (s *Server) decodeCommand(w http.ResponseWriter, r *http.Request, typ string, actor domain.Actor) (domain.Meta, domain.Command, *uint64, error) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return domain.Meta{}, nil, nil, badRequest("missing_idempotency_key", "the Idempotency-Key header is required: a new unique value per command, the same value when retrying it")
	}
	if len(key) > maxKeyLen || strings.IndexFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) >= 0 {
		return domain.Meta{}, nil, nil, badRequest("bad_idempotency_key", "Idempotency-Key must be 1 to 128 printable ASCII characters without spaces")
	}
	expected, err := parseIfMatch(r.Header.Get("If-Match"))
	if err != nil {
		return domain.Meta{}, nil, nil, err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return domain.Meta{}, nil, nil, &requestError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", msg: "the body must be application/json"}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return domain.Meta{}, nil, nil, &requestError{status: http.StatusRequestEntityTooLarge, code: "body_too_large",
				msg: "the body is larger than the limit of " + strconv.FormatInt(mbe.Limit, 10) + " bytes"}
		}
		return domain.Meta{}, nil, nil, badRequest("bad_request", "reading the body: "+err.Error())
	}
	var req commandRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return domain.Meta{}, nil, nil, badRequest("bad_json", "the body is not a valid command request: "+strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return domain.Meta{}, nil, nil, badRequest("bad_json", "unexpected data after the JSON object")
	}
	if req.OccurredAt == nil || req.OccurredAt.IsZero() {
		return domain.Meta{}, nil, nil, badRequest("missing_occurred_at", "occurred_at (business time, RFC 3339) is required")
	}
	if len(req.Command) == 0 || bytes.Equal(req.Command, []byte("null")) {
		return domain.Meta{}, nil, nil, badRequest("missing_command", "the command's fields go in a \"command\" object")
	}
	cmd, err := registry.DecodeCommand(typ, req.Command)
	if err != nil {
		return domain.Meta{}, nil, nil, &decodeError{err}
	}
	meta := domain.Meta{CommandID: key, Actor: actor, OccurredAt: req.OccurredAt.UTC(), Reason: req.Reason,
		Evidence: req.Evidence, CorrelationID: correlationID(r.Context()), CausationID: req.CausationID}
	return meta, cmd, expected, nil
}

// parseIfMatch accepts a strong entity tag holding an aggregate version,
// "7", or the bare number; no header means no expectation.
func parseIfMatch(h string) (*uint64, error) {
	if h == "" {
		return nil, nil
	}
	v := strings.TrimSpace(h)
	if uq, err := strconv.Unquote(v); err == nil {
		v = uq
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return nil, badRequest("bad_if_match", "If-Match must be an aggregate version, as in If-Match: \"7\" (the ETag of the aggregate)")
	}
	return &n, nil
}

func (s *Server) listCommands(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		Type  string   `json:"type"`
		Path  string   `json:"path"`
		Roles []string `json:"roles,omitempty"`
	}
	out := struct {
		Commands []entry `json:"commands"`
	}{Commands: []entry{}}
	for _, t := range s.doc.commandList {
		out.Commands = append(out.Commands, entry{Type: t, Path: "/v1/commands/" + t, Roles: commandRoles(t)})
	}
	writeJSON(w, http.StatusOK, out)
}
