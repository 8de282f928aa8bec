package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// Queries is the read side the API serves: the projections, through a thin
// adapter. Methods must be safe for concurrent use.
//
// Errors: *domain.Error (EINVALID for a malformed query such as a bad
// cursor, ENOTFOUND), eventstore.ErrInvalid, ErrUnavailable.
type Queries interface {
	// State returns an aggregate's state: current for a zero AsOf,
	// otherwise as of the instant on the basis given. An aggregate with no
	// events is ENOTFOUND.
	State(ctx context.Context, ref domain.AggregateRef, at AsOf) (StateView, error)
	// Timeline returns one page of the events q selects.
	Timeline(ctx context.Context, q TimelineQuery) (TimelinePage, error)
	// TargetRounds returns every round of one target of an agreement
	// (ENOTFOUND if the agreement or the target does not exist).
	TargetRounds(ctx context.Context, agreement domain.AggregateRef, target string) (TargetRounds, error)
	// Indicator returns a National Indicator from the catalogue and every
	// area's target on it with its rounds (ENOTFOUND if neither the
	// catalogue nor any agreement knows the number).
	Indicator(ctx context.Context, number int) (IndicatorView, error)
	// Dashboard returns the dashboard counts.
	Dashboard(ctx context.Context) (DashboardView, error)
}

// TargetRounds is the negotiation history of one target: every proposal,
// counter-proposal, agreement and withdrawal, in the original negotiation
// and in refreshes, each with its change from the previous round.
type TargetRounds struct {
	Agreement domain.AggregateRef `json:"agreement"`
	Target    string              `json:"target"`
	Rounds    []projections.Round `json:"rounds"`
	Position  uint64              `json:"position,omitempty"`
}

// IndicatorView is a National Indicator across every area: the catalogue's
// entry (absent if the catalogue does not hold the number) and each area's
// target on it.
type IndicatorView struct {
	NI        int               `json:"ni"`
	Indicator *domain.Indicator `json:"indicator,omitempty"`
	Targets   []IndicatorTarget `json:"targets"`
	Position  uint64            `json:"position,omitempty"`
}

// IndicatorTarget is one area's target on an indicator with its rounds.
type IndicatorTarget struct {
	projections.IndicatorTarget
	Rounds []projections.Round `json:"rounds"`
}

// DashboardView is the dashboard counts and the position they reflect.
type DashboardView struct {
	projections.Dashboard
	Position uint64 `json:"position,omitempty"`
}

// Basis names the clock an as-of view cuts on.
type Basis string

const (
	// Current is the state now.
	Current Basis = "current"
	// Recorded (?as_of=) is what the ledger held at the instant: events
	// recorded at or before it.
	Recorded Basis = "recorded"
	// Known (?known_at=) is what is now known to have held at the instant:
	// events whose business time is at or before it, however late recorded.
	Known Basis = "known"
)

// AsOf selects the instant of a state view; the zero value is Current.
type AsOf struct {
	Basis Basis
	At    time.Time
}

// StateView is an aggregate's state at a point.
type StateView struct {
	Aggregate domain.AggregateRef `json:"aggregate"`
	Version   uint64              `json:"version"`
	Basis     Basis               `json:"basis"`
	At        *time.Time          `json:"at,omitempty"`
	Position  uint64              `json:"position,omitempty"`
	// State is the domain's folded state, encoded as JSON as it stands:
	// the same shape for every basis, so that states can be compared.
	State any `json:"state"`
	// View, for an agreement's current state, is the read model's
	// display of it: each target's negotiation state, trajectory, latest
	// outturns, lock and grounds.
	View any `json:"view,omitempty"`
}

// TimelineQuery selects and pages a timeline. Exactly one of Aggregate,
// Area, Actor and Organisation is set.
type TimelineQuery struct {
	Aggregate    *domain.AggregateRef
	Area         string
	Actor        string
	Organisation string
	// Types keeps only these event types; empty keeps all.
	Types []string
	// From ≤ business time < To; zero bounds are open.
	From, To time.Time
	// After is the Next cursor of the previous page.
	After string
	// Limit is the page size, 1..1000 (default 50).
	Limit int
}

// TimelineEntry is one event of a timeline: the projections' entry, served
// as it is.
type TimelineEntry = projections.Entry

// TimelinePage is one page of a timeline in business-time order.
type TimelinePage struct {
	Entries  []TimelineEntry `json:"entries"`
	Next     string          `json:"next,omitempty"`
	Position uint64          `json:"position,omitempty"`
}

// readReady waits for ?min_sequence= and checks a read backend is wired.
func (s *Server) readReady(r *http.Request) error {
	if s.cfg.Queries == nil {
		return &requestError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "queries are not available on this server"}
	}
	v := r.URL.Query().Get("min_sequence")
	if v == "" {
		return nil
	}
	seq, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return badRequest("bad_request", "min_sequence must be a ledger sequence (a non-negative integer)")
	}
	if s.cfg.Progress == nil || s.cfg.Progress.Position() >= seq {
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.WaitTimeout)
	defer cancel()
	if err := s.cfg.Progress.WaitFor(ctx, seq); err != nil {
		if ctx.Err() != nil {
			return &notCaughtUpError{want: seq, reached: s.cfg.Progress.Position(), err: err}
		}
		return &requestError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "the read models are not running"}
	}
	return nil
}

func parseAsOf(q url.Values) (AsOf, error) {
	asOf, knownAt := q.Get("as_of"), q.Get("known_at")
	switch {
	case asOf != "" && knownAt != "":
		return AsOf{}, badRequest("bad_request", "give as_of (recorded time) or known_at (business time), not both")
	case asOf != "":
		t, err := time.Parse(time.RFC3339Nano, asOf)
		if err != nil {
			return AsOf{}, badRequest("bad_request", "as_of must be an RFC 3339 time")
		}
		return AsOf{Basis: Recorded, At: t.UTC()}, nil
	case knownAt != "":
		t, err := time.Parse(time.RFC3339Nano, knownAt)
		if err != nil {
			return AsOf{}, badRequest("bad_request", "known_at must be an RFC 3339 time")
		}
		return AsOf{Basis: Known, At: t.UTC()}, nil
	}
	return AsOf{Basis: Current}, nil
}

func (s *Server) serveState(w http.ResponseWriter, r *http.Request, ref domain.AggregateRef) {
	at, err := parseAsOf(r.URL.Query())
	if err == nil {
		err = s.readReady(r)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.cfg.Queries.State(r.Context(), ref, at)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v.Aggregate, v.Basis = ref, at.Basis
	if at.Basis != Current {
		t := at.At
		v.At = &t
	}
	if s.cfg.Progress != nil && v.Position == 0 {
		v.Position = s.cfg.Progress.Position()
	}
	w.Header().Set("ETag", strconv.Quote(u64(v.Version)))
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) serveTimeline(w http.ResponseWriter, r *http.Request, q TimelineQuery) {
	if err := parseTimelineQuery(r.URL.Query(), &q); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.readReady(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.cfg.Queries.Timeline(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if page.Entries == nil {
		page.Entries = []TimelineEntry{}
	}
	if s.cfg.Progress != nil && page.Position == 0 {
		page.Position = s.cfg.Progress.Position()
	}
	writeJSON(w, http.StatusOK, page)
}

func parseTimelineQuery(v url.Values, q *TimelineQuery) error {
	q.Types = v["type"]
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := v.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return badRequest("bad_request", p.name+" must be an RFC 3339 time")
			}
			*p.dst = t.UTC()
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return badRequest("bad_request", "from must be before to")
	}
	q.After = v.Get("after")
	q.Limit = 50
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return badRequest("bad_request", "limit must be an integer from 1 to 1000")
		}
		q.Limit = n
	}
	return nil
}

func agreementRef(r *http.Request) (domain.AggregateRef, error) {
	area, period := r.PathValue("area"), r.PathValue("period")
	if err := checkArea(area); err != nil {
		return domain.AggregateRef{}, err
	}
	if len(period) != 7 || period[4] != '-' {
		return domain.AggregateRef{}, badRequest("bad_request", "period must look like 2008-11")
	}
	return domain.AggregateRef{Kind: domain.KindAgreement, ID: area + "/" + period}, nil
}

func yearRef(r *http.Request, kind, key string) (domain.AggregateRef, error) {
	who := r.PathValue(key)
	if kind == domain.KindAreaAssessment {
		if err := checkArea(who); err != nil {
			return domain.AggregateRef{}, err
		}
	} else if _, err := (eventstore.Aggregate{Kind: kind, ID: who}).Subject(); err != nil || strings.Contains(who, "/") {
		return domain.AggregateRef{}, badRequest("bad_request", "organisation "+strconv.Quote(who)+" is not a valid id")
	}
	y, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || y < 2000 || y > 2100 {
		return domain.AggregateRef{}, badRequest("bad_request", "year must be a year such as 2009")
	}
	return domain.AggregateRef{Kind: kind, ID: who + "/" + strconv.Itoa(y)}, nil
}

func checkArea(code string) error {
	if _, ok := domain.LookupArea(code); !ok {
		return &requestError{status: http.StatusNotFound, code: "area.unknown", msg: "no LAA area has the 2008 SNAC code " + strconv.Quote(code) + "; GET /v1/areas lists them"}
	}
	return nil
}

// stateHandler and timelineHandler turn a path into an aggregate and serve it.
func (s *Server) stateHandler(ref func(*http.Request) (domain.AggregateRef, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := ref(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.serveState(w, r, a)
	}
}

func (s *Server) timelineHandler(ref func(*http.Request) (domain.AggregateRef, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := ref(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.serveTimeline(w, r, TimelineQuery{Aggregate: &a})
	}
}

func assessmentRef(r *http.Request) (domain.AggregateRef, error) {
	return yearRef(r, domain.KindAreaAssessment, "area")
}

func orgAssessmentRef(r *http.Request) (domain.AggregateRef, error) {
	return yearRef(r, domain.KindOrgAssessment, "org")
}

func (s *Server) agreement(w http.ResponseWriter, r *http.Request) {
	s.stateHandler(agreementRef)(w, r)
}
func (s *Server) agreementTimeline(w http.ResponseWriter, r *http.Request) {
	s.timelineHandler(agreementRef)(w, r)
}
func (s *Server) assessment(w http.ResponseWriter, r *http.Request) {
	s.stateHandler(assessmentRef)(w, r)
}
func (s *Server) assessmentTimeline(w http.ResponseWriter, r *http.Request) {
	s.timelineHandler(assessmentRef)(w, r)
}
func (s *Server) orgAssessment(w http.ResponseWriter, r *http.Request) {
	s.stateHandler(orgAssessmentRef)(w, r)
}
func (s *Server) orgAssessmentTimeline(w http.ResponseWriter, r *http.Request) {
	s.timelineHandler(orgAssessmentRef)(w, r)
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := TimelineQuery{Area: v.Get("area"), Actor: v.Get("actor"), Organisation: v.Get("organisation")}
	n := 0
	for _, x := range []string{q.Area, q.Actor, q.Organisation} {
		if x != "" {
			n++
		}
	}
	if n != 1 {
		s.writeError(w, r, badRequest("bad_request", "give exactly one of area, actor, organisation"))
		return
	}
	if q.Area != "" {
		if err := checkArea(q.Area); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	s.serveTimeline(w, r, q)
}

func (s *Server) areas(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"areas": domain.Areas()})
}

func (s *Server) area(w http.ResponseWriter, r *http.Request) {
	a, ok := domain.LookupArea(r.PathValue("area"))
	if !ok {
		s.writeError(w, r, checkArea(r.PathValue("area")))
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) regions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"regions": domain.Regions()})
}

func (s *Server) sources(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	_, _ = w.Write([]byte(domain.SourcesMD))
}

func (s *Server) indicator(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n < 1 || n > 999 {
		s.writeError(w, r, badRequest("bad_request", "an indicator is named by its number, as in /v1/indicators/116"))
		return
	}
	if err := s.readReady(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.cfg.Queries.Indicator(r.Context(), n)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) targetRounds(w http.ResponseWriter, r *http.Request) {
	ref, err := agreementRef(r)
	if err == nil {
		err = s.readReady(r)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.cfg.Queries.TargetRounds(r.Context(), ref, r.PathValue("target"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	if err := s.readReady(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.cfg.Queries.Dashboard(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
