package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// VerifyReport is the answer of POST /v1/verify: the server checked every
// aggregate's hash chain over the whole ledger, that no commit is missing,
// and every signed checkpoint against the Merkle tree it rebuilt from the
// stream. It is the report `laaledger verify` prints on the data directory.
type VerifyReport struct {
	// Intact is true in every report the server answers with 200; a
	// ledger that fails is a problem instead (category tampered).
	Intact       bool   `json:"intact"`
	Events       int    `json:"events"`
	Commits      int    `json:"commits"`
	LastSequence uint64 `json:"last_sequence"`
	// Checkpoints is the number of signed checkpoints that match the
	// tree; Origin and CheckpointTreeSize name the latest, if any.
	Checkpoints        int    `json:"checkpoints"`
	Origin             string `json:"origin,omitempty"`
	CheckpointTreeSize uint64 `json:"checkpoint_tree_size,omitempty"`
	// Summary is the one line `laaledger verify` prints.
	Summary string `json:"summary"`
}

// Auditor verifies and exports the ledger the server holds, for POST
// /v1/verify and GET /v1/export. Both only read the ledger.
//
// Errors: eventstore.ErrNotFound (the ledger is empty), ErrTampered and
// ErrIntegrity (a hash chain, the stream or a checkpoint does not verify),
// ErrUnavailable.
type Auditor interface {
	Verify(ctx context.Context) (VerifyReport, error)
	// Export writes the bundle of the commits o selects to w (package
	// eventstore/bundle): the whole ledger notarised when o selects all,
	// otherwise with an inclusion proof per commit. It returns the commits
	// written and the last one's sequence.
	Export(ctx context.Context, o eventstore.ReadOptions, w io.Writer) (commits int, last uint64, err error)
}

// The trailers of GET /v1/export, sent once the bundle is whole: a body
// that ends without them was cut short.
const (
	ExportCommitsTrailer      = "Laaledger-Export-Commits"
	ExportLastSequenceTrailer = "Laaledger-Export-Last-Sequence"
)

// auditRoutes adds POST /v1/verify and GET /v1/export.
func (s *Server) auditRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /v1/verify", s.authed(s.verify))
	m.HandleFunc("GET /v1/export", s.authed(s.export))
	for path, methods := range map[string]string{"/v1/verify": "POST", "/v1/export": "GET"} {
		m.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", methods)
			writeProblem(w, r, problem(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here; use "+methods))
		})
	}
}

func (s *Server) auditor(w http.ResponseWriter, r *http.Request) (Auditor, bool) {
	if s.cfg.Auditor == nil {
		writeProblem(w, r, problem(http.StatusServiceUnavailable, "unavailable", "this server does not verify or export its ledger"))
		return nil, false
	}
	return s.cfg.Auditor, true
}

// audit admits one verification or export at a time: each reads the
// whole ledger. A request waits for its turn until its client goes.
func (s *Server) audit(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	select {
	case s.audits <- struct{}{}:
		return func() { <-s.audits }, true
	case <-r.Context().Done():
		writeProblem(w, r, problem(http.StatusServiceUnavailable, "unavailable", "the request ended while another verification or export ran"))
		return nil, false
	}
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	a, ok := s.auditor(w, r)
	if !ok {
		return
	}
	release, ok := s.audit(w, r)
	if !ok {
		return
	}
	defer release()
	rep, err := a.Verify(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// exportOptions reads the selection of GET /v1/export: from_sequence,
// since (a date or an RFC 3339 time, recorded time), kind and area.
func exportOptions(r *http.Request, kinds []string) (eventstore.ReadOptions, error) {
	var o eventstore.ReadOptions
	q := r.URL.Query()
	if v := q.Get("from_sequence"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			return o, badRequest("bad_request", "from_sequence must be a positive integer, not "+strconv.Quote(v))
		}
		o.FromSequence = n
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			if t, err = time.Parse(time.RFC3339Nano, v); err != nil {
				return o, badRequest("bad_request", "since must be a date (YYYY-MM-DD) or an RFC 3339 time")
			}
		}
		o.FromTime = t
	}
	kind, area := q.Get("kind"), q.Get("area")
	if area != "" && kind == "" {
		return o, badRequest("bad_request", "area needs kind")
	}
	if err := checkKindArea(kinds, kind, area); err != nil {
		return o, err
	}
	var toks []string
	if area != "" {
		toks = []string{area}
	}
	f, err := eventstore.FilterSubject(kind, toks...)
	if err != nil {
		return o, badRequest("bad_request", err.Error())
	}
	o.Filter = f
	return o, nil
}

// lazyHeader sends the export's headers with its first byte, so that an
// export that fails before writing anything is answered with a problem.
type lazyHeader struct {
	w       http.ResponseWriter
	written bool
}

func (l *lazyHeader) Write(b []byte) (int, error) {
	if !l.written {
		l.written = true
		h := l.w.Header()
		h.Set("Content-Type", "application/jsonl")
		h.Set("Content-Disposition", `attachment; filename="ledger.jsonl"`)
		h.Set("Cache-Control", "no-store")
		h.Set("Trailer", ExportCommitsTrailer+", "+ExportLastSequenceTrailer)
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(b)
}

func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	a, ok := s.auditor(w, r)
	if !ok {
		return
	}
	o, err := exportOptions(r, s.cfg.Kinds)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	release, ok := s.audit(w, r)
	if !ok {
		return
	}
	defer release()
	lw := &lazyHeader{w: w}
	n, last, err := a.Export(r.Context(), o, lw)
	if err != nil {
		if !lw.written {
			s.writeError(w, r, err)
			return
		}
		// The bundle is cut: break the connection so that the client sees
		// a body that did not end, without the trailers.
		if !errors.Is(err, context.Canceled) {
			s.log.ErrorContext(r.Context(), "export cut short", "correlation_id", correlationID(r.Context()), "err", err)
		}
		panic(http.ErrAbortHandler)
	}
	if !lw.written {
		_, _ = lw.Write(nil)
	}
	w.Header().Set(ExportCommitsTrailer, strconv.Itoa(n))
	w.Header().Set(ExportLastSequenceTrailer, strconv.FormatUint(last, 10))
}

// checkKindArea refuses a kind filter that names no kind of the ledger,
// and an area that is no LAA area's code: a filter that can match nothing
// is a mistake, not an empty answer. Empty values filter nothing.
func checkKindArea(kinds []string, kind, area string) error {
	if kind != "" && !slices.Contains(kinds, kind) {
		return badRequest("bad_request", "kind "+strconv.Quote(kind)+": unknown aggregate kind; use one of "+strings.Join(kinds, ", "))
	}
	if _, ok := domain.LookupArea(area); area != "" && !ok {
		return badRequest("bad_request", "area "+strconv.Quote(area)+": no LAA area has that 2008 ONS/SNAC code; GET /v1/areas lists them")
	}
	return nil
}
