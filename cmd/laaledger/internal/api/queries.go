package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

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

// query waits for the read side as [Server.readReady] does, then asks
// it with ask. On either's failure it writes the problem and reports false.
func query[T any](s *Server, w http.ResponseWriter, r *http.Request, ask func(Queries, context.Context) (T, error)) (T, bool) {
	if err := s.readReady(r); err != nil {
		s.writeError(w, r, err)
		var zero T
		return zero, false
	}
	v, err := ask(s.cfg.Queries, r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return v, false
	}
	return v, true
}

// parseAsOf reads ?as_of= or ?known_at= (see [projections.Basis]); neither
// is the current state.
func parseAsOf(q url.Values) (projections.AsOf, error) {
	if q.Get(projections.Recorded.Param()) != "" && q.Get(projections.Known.Param()) != "" {
		return projections.AsOf{}, badRequest("bad_request", fmt.Sprintf("give %s (%s) or %s (%s), not both",
			projections.Recorded.Param(), projections.Recorded.Clock(), projections.Known.Param(), projections.Known.Clock()))
	}
	for _, b := range projections.Bases {
		if v := q.Get(b.Param()); v != "" {
			t, err := parseInstant(v)
			if err != nil {
				return projections.AsOf{}, badRequest("bad_request", b.Param()+" must be a date (YYYY-MM-DD) or an RFC 3339 time, not "+strconv.Quote(v))
			}
			return projections.AsOf{Basis: b, At: t.UTC()}, nil
		}
	}
	return projections.AsOf{Basis: projections.Current}, nil
}

// parseInstant reads an RFC 3339 time, or a plain date (YYYY-MM-DD) as
// the end of that day in UTC (its last nanosecond), as the CLI's --as-of
// and --known-at do: the state at 2009-03-31 includes what happened on it.
func parseInstant(v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t.Add(24*time.Hour - time.Nanosecond), nil
	}
	return time.Parse(time.RFC3339Nano, v)
}

func (s *Server) serveState(w http.ResponseWriter, r *http.Request, ref domain.AggregateRef) {
	at, err := parseAsOf(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, ok := query(s, w, r, func(q Queries, ctx context.Context) (projections.StateView, error) {
		return q.State(ctx, eventstore.Aggregate(ref), at)
	})
	if !ok {
		return
	}
	w.Header().Set("ETag", strconv.Quote(u64(v.Version)))
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) serveTimeline(w http.ResponseWriter, r *http.Request, scope projections.TimelineScope) {
	var q projections.TimelineQuery
	if err := parseTimelineQuery(r.URL.Query(), &q); err != nil {
		s.writeError(w, r, err)
		return
	}
	page, ok := query(s, w, r, func(qs Queries, ctx context.Context) (encodedPage, error) {
		return s.timelinePage(ctx, qs, scope, &q)
	})
	if ok {
		writeJSONBody(w, page.body)
		page.release()
	}
}

// maxPooledPage is the largest buffer kept for the next page.
const maxPooledPage = 1 << 20

// encodedPage is a timeline page as JSON: kept by the cache (shared, never
// changed) or in a pooled buffer that release returns.
type encodedPage struct {
	body []byte
	buf  *[]byte
}

func (p encodedPage) release() {
	// A buffer grown by a page of a thousand entries is let go rather
	// than kept for pages of fifty.
	if p.buf != nil && cap(p.body) <= maxPooledPage {
		*p.buf = p.body[:0]
		pageBuffers.Put(p.buf)
	}
}

// timelinePage returns the encoded page of scope and q: from the cache if
// it holds the page at the read models' current position, otherwise built,
// encoded and, with a cache, kept. The position is read before the page is
// built, so the page holds at least everything up to it.
func (s *Server) timelinePage(ctx context.Context, qs Queries, scope projections.TimelineScope, q *projections.TimelineQuery) (encodedPage, error) {
	var key pageKey
	if s.pages != nil {
		key = pageKeyOf(scope, q, s.cfg.Progress.Position())
		if body, ok := s.pages.get(key); ok {
			s.metrics.pageHits.Inc()
			return encodedPage{body: body}, nil
		}
		s.metrics.pageMisses.Inc()
	}
	v, err := qs.Timeline(ctx, scope, *q)
	if errors.Is(err, projections.ErrInvalid) && q.After != "" {
		// parseTimelineQuery has checked the limit and the range;
		// what is left to refuse is the cursor.
		err = badRequest("bad_cursor", "after must be the next cursor of a previous page")
	}
	if err != nil {
		return encodedPage{}, err
	}
	buf := pageBuffers.Get().(*[]byte)
	body, err := appendTimelineJSON((*buf)[:0], &v)
	page := encodedPage{body: body, buf: buf}
	if err != nil {
		page.release()
		return encodedPage{}, err
	}
	if s.pages != nil {
		kept := bytes.Clone(body)
		page.release()
		s.pages.put(key, kept)
		return encodedPage{body: kept}, nil
	}
	return page, nil
}

func parseTimelineQuery(v url.Values, q *projections.TimelineQuery) error {
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

// aggregateHandler turns a path into an aggregate with ref and serves it
// with serve.
func (s *Server) aggregateHandler(ref func(*http.Request) (domain.AggregateRef, error),
	serve func(http.ResponseWriter, *http.Request, domain.AggregateRef)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := ref(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		serve(w, r, a)
	}
}

func (s *Server) serveAggregateTimeline(w http.ResponseWriter, r *http.Request, a domain.AggregateRef) {
	s.serveTimeline(w, r, projections.TimelineScope{Aggregate: eventstore.Aggregate(a)})
}

func assessmentRef(r *http.Request) (domain.AggregateRef, error) {
	return yearRef(r, domain.KindAreaAssessment, "area")
}

func orgAssessmentRef(r *http.Request) (domain.AggregateRef, error) {
	return yearRef(r, domain.KindOrgAssessment, "org")
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := projections.TimelineScope{Area: v.Get("area"), Actor: v.Get("actor"), Organisation: v.Get("organisation")}
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
	v, ok := query(s, w, r, func(q Queries, ctx context.Context) (projections.IndicatorView, error) {
		return q.Indicator(ctx, n)
	})
	if ok {
		writeJSON(w, http.StatusOK, v)
	}
}

func (s *Server) targetRounds(w http.ResponseWriter, r *http.Request) {
	ref, err := agreementRef(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, ok := query(s, w, r, func(q Queries, ctx context.Context) (projections.TargetRounds, error) {
		return q.TargetRounds(ctx, ref.ID, r.PathValue("target"))
	})
	if ok {
		writeJSON(w, http.StatusOK, v)
	}
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	if v, ok := query(s, w, r, Queries.Dashboard); ok {
		writeJSON(w, http.StatusOK, v)
	}
}
