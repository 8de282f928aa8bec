package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// readSide is the projection runner and the query service over its read
// models, as serve, rebuild and the read commands use them.
type readSide struct {
	runner    *projections.Runner
	timelines *projections.Timelines
	reader    *projections.Reader
}

// projectionsDir is where the read models' snapshot lives: beside the
// embedded server's store, or under --data when the ledger is external.
func (f *storeFlags) projectionsDir() string { return filepath.Join(f.data, "projections") }

func openReadSide(ctx context.Context, sf *storeFlags, s *eventstore.Store, log *slog.Logger, asOfCheckpoints int) (*readSide, error) {
	q, err := projections.OpenReader(ctx, projections.Config{Store: s, Dir: sf.projectionsDir(), Logger: log, AsOfCheckpoints: asOfCheckpoints})
	if err != nil {
		return nil, err
	}
	return &readSide{runner: q.Runner(), timelines: q.Timelines(), reader: q}, nil
}

// catchUp applies everything stored so far to the read side.
func catchUp(ctx context.Context, rs *readSide, s *eventstore.Store) error {
	last, err := s.LastSequence(ctx)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rs.runner.Run(runCtx) }()
	waitCtx, cancelWait := context.WithTimeout(ctx, 5*time.Minute)
	err = rs.runner.WaitFor(waitCtx, last)
	cancelWait()
	cancel()
	if rerr := <-done; err == nil {
		err = rerr
	}
	return err
}

// localReader opens the data directory and brings the query service up to
// the end of the ledger. done releases the store. Warnings and errors of
// the store and the read side (lost data found when the stream opens, a
// snapshot refused) go to the command's standard error; the rest of the
// log, which serve would write, is left out.
func localReader(ctx context.Context, c *call) (q *projections.Reader, done func(), err error) {
	sf := &c.flags
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := sf.open(ctx, log)
	if err != nil {
		return nil, nil, err
	}
	rs, err := openReadSide(ctx, sf, s, log, 0)
	if err == nil {
		err = catchUp(ctx, rs, s)
	}
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return rs.reader, func() { s.Close() }, nil
}

// openQueries is the query service the read commands ask: the one over the
// local data directory, or a running server's through its HTTP API.
func openQueries(ctx context.Context, c *call, srv *serverFlags) (api.Queries, func(), error) {
	if srv.server != "" {
		return httpQueries{srv}, func() {}, nil
	}
	return localReader(ctx, c)
}

// httpQueries asks a running server the questions [projections.Reader]
// answers locally, and decodes its answers into the same types.
type httpQueries struct{ srv *serverFlags }

var _ api.Queries = httpQueries{}

// aggregatePath is the API's path of an aggregate, for the kinds it serves.
func aggregatePath(agg eventstore.Aggregate) (string, error) {
	base := map[string]string{domain.KindAgreement: "/v1/agreements/", domain.KindAreaAssessment: "/v1/assessments/",
		domain.KindOrgAssessment: "/v1/org-assessments/"}[agg.Kind]
	if base == "" {
		return "", usageError{"--server answers laa, caa and oa aggregates"}
	}
	return base + agg.ID, nil
}

func (h httpQueries) State(ctx context.Context, agg eventstore.Aggregate, at projections.AsOf) (projections.StateView, error) {
	path, err := aggregatePath(agg)
	if err != nil {
		return projections.StateView{}, err
	}
	q := url.Values{}
	if p := at.Basis.Param(); p != "" {
		q.Set(p, at.At.Format(time.RFC3339Nano))
	}
	var view struct {
		projections.StateView
		State json.RawMessage `json:"state"`
		View  json.RawMessage `json:"view"`
	}
	if err := h.srv.get(ctx, path, q, &view); err != nil {
		return projections.StateView{}, err
	}
	v := view.StateView
	if v.State, err = projections.DecodeState(agg.Kind, view.State); err != nil {
		return projections.StateView{}, fmt.Errorf("%s from %s: %w", agg, h.srv.server, err)
	}
	return v, nil
}

func (h httpQueries) Timeline(ctx context.Context, scope projections.TimelineScope, tq projections.TimelineQuery) (projections.TimelineView, error) {
	v := url.Values{}
	for _, t := range tq.Types {
		v.Add("type", t)
	}
	if !tq.From.IsZero() {
		v.Set("from", tq.From.Format(time.RFC3339))
	}
	if !tq.To.IsZero() {
		v.Set("to", tq.To.Format(time.RFC3339))
	}
	if tq.After != "" {
		v.Set("after", tq.After)
	}
	v.Set("limit", strconv.Itoa(min(tq.Limit, 1000)))
	path := "/v1/timeline"
	switch {
	case scope.Aggregate != (eventstore.Aggregate{}):
		p, err := aggregatePath(scope.Aggregate)
		if err != nil {
			return projections.TimelineView{}, err
		}
		path = p + "/timeline"
	case scope.Area != "":
		v.Set("area", scope.Area)
	case scope.Actor != "":
		v.Set("actor", scope.Actor)
	default:
		v.Set("organisation", scope.Organisation)
	}
	var page projections.TimelineView
	err := h.srv.get(ctx, path, v, &page)
	return page, err
}

func (h httpQueries) TargetRounds(ctx context.Context, agreement, target string) (projections.TargetRounds, error) {
	var v projections.TargetRounds
	err := h.srv.get(ctx, "/v1/agreements/"+agreement+"/targets/"+url.PathEscape(target)+"/rounds", nil, &v)
	return v, err
}

func (h httpQueries) Indicator(ctx context.Context, n int) (projections.IndicatorView, error) {
	var v projections.IndicatorView
	err := h.srv.get(ctx, "/v1/indicators/"+strconv.Itoa(n), nil, &v)
	return v, err
}

func (h httpQueries) Dashboard(ctx context.Context) (projections.DashboardView, error) {
	var v projections.DashboardView
	err := h.srv.get(ctx, "/v1/dashboard", nil, &v)
	return v, err
}

func (h httpQueries) Catalogue(ctx context.Context, at time.Time) (projections.CatalogueView, error) {
	q := url.Values{}
	if !at.IsZero() {
		q.Set("at", at.Format(time.DateOnly))
	}
	var v projections.CatalogueView
	err := h.srv.get(ctx, "/v1/catalogue", q, &v)
	return v, err
}
