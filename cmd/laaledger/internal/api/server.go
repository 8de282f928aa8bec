package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/registry"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/cloudevent"
	"github.com/laaledger/laaledger/projections"
)

// Executor executes one command: *service.Service is one. It must be safe
// for concurrent use.
//
// Errors: *domain.Error (the rules refused it), *eventstore.ConflictError,
// eventstore.ErrDuplicate, ErrInvalid, ErrUnavailable, ErrTampered.
type Executor interface {
	Execute(ctx context.Context, m domain.Meta, cmd domain.Command, expected *uint64) (service.Result, error)
}

// Feed is the live ledger the event stream reads: *eventstore.Store is one.
// Subscribe must deliver commits in stream order, first those stored, then
// new ones, until ctx ends (returning nil) or fn fails (returning its error).
type Feed interface {
	Subscribe(ctx context.Context, opts eventstore.ReadOptions, fn func(*eventstore.Commit) error) error
}

// Progress is the read models' position in the ledger, for read-your-writes
// and readiness. WaitFor returns nil once the read models have applied the
// commit at seq, or an error when ctx ends first or they have stopped.
type Progress interface {
	Position() uint64
	WaitFor(ctx context.Context, seq uint64) error
}

// Config is what the server needs. Executor and Tokens are required; a nil
// Queries, Progress or Feed makes the routes that need them answer 503.
type Config struct {
	Executor Executor
	Queries  Queries
	Progress Progress
	Feed     Feed
	Tokens   *Tokens
	// Proofs serves checkpoints, the verifier key and proofs; nil answers
	// 503 on those routes.
	Proofs Proofs
	// Auditor verifies and exports the ledger (POST /v1/verify, GET
	// /v1/export); nil answers 503 on those routes.
	Auditor Auditor
	// Logger gets one line per request (never the token); default discards.
	Logger *slog.Logger
	// Registry receives the server's metrics and is served at /metrics;
	// default a new registry with the Go and process collectors.
	Registry *prometheus.Registry
	// ProjectionLag, if set, feeds the projection lag gauges.
	ProjectionLag func() Lag
	// Ready reports whether the read models have caught up; /readyz answers
	// 503 with its error until it returns nil. Nil means always ready.
	Ready func(ctx context.Context) error
	// MaxBodyBytes bounds request bodies; default 64 KiB.
	MaxBodyBytes int64
	// WaitTimeout bounds a min_sequence wait; default 5 s.
	WaitTimeout time.Duration
	// Heartbeat is the interval of event-stream comments on an idle
	// connection; default 15 s. They keep proxies from closing an idle
	// stream and find a client that has gone away.
	Heartbeat time.Duration
	// StreamWriteTimeout bounds each write to an event stream (a batch of
	// events, a heartbeat); a client that does not take it in time (it
	// stopped reading, its network died) is dropped and its stream slot
	// freed. Default DefaultStreamWriteTimeout.
	StreamWriteTimeout time.Duration
	// ReadTimeout, ReadHeaderTimeout and IdleTimeout configure the
	// http.Server that HTTPServer returns; defaults DefaultReadTimeout,
	// DefaultReadHeaderTimeout and DefaultIdleTimeout.
	ReadTimeout, ReadHeaderTimeout, IdleTimeout time.Duration
	// MaxStreams bounds the open event streams in all, and
	// MaxStreamsPerActor those of one authenticated actor; defaults
	// DefaultMaxStreams and DefaultMaxStreamsPerActor.
	MaxStreams, MaxStreamsPerActor int
	// Fallback, if set, serves every request that no API route matches
	// outside /v1/ (the web UI at /); nil answers those 404 problems.
	Fallback http.Handler
	// CloudEvents maps ledger events to CloudEvents for the event stream's
	// format=cloudevents; the zero value uses the package defaults.
	CloudEvents cloudevent.Mapper
	// Webhooks, if set, serves /v1/webhooks (operator role only); nil
	// answers 503 there.
	Webhooks Webhooks
	// Kinds are the aggregate kinds the ledger holds, which the kind
	// filters of GET /v1/export and the event stream must name; default
	// those of the read side (projections.Kinds).
	Kinds []string
	// TimelineCacheBytes bounds the encoded timeline pages kept for
	// repeated reads at the same ledger position; default
	// DefaultTimelineCacheBytes, negative keeps none. The cache needs
	// Progress to tell positions apart; without it nothing is kept.
	TimelineCacheBytes int64
}

// DefaultMaxBodyBytes is the default request body limit. The largest
// command, a catalogue import aside, is a few kilobytes; a CSV import
// through POST /v1/catalogue/import has its own limit, [MaxImportBytes].
const DefaultMaxBodyBytes = 64 << 10

// Server is the HTTP API. It is an http.Handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	tokens  *Tokens
	reg     *prometheus.Registry
	metrics *metrics
	doc     *document
	mux     *http.ServeMux

	// streams ends every open event stream when cancelled (StopStreams).
	streams     context.Context
	stopStreams context.CancelFunc
	slots       streamSlots
	// audits admits one verification or export at a time.
	audits chan struct{}
	// pages keeps encoded timeline pages; nil when there is no cache.
	pages *pageCache
}

// orDefault sets a limit or timeout left zero (or negative) to its default.
func orDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// New checks the configuration, builds the OpenAPI document for the
// registered command types and returns the server.
func New(cfg Config) (*Server, error) {
	if cfg.Executor == nil {
		return nil, errors.New("api: Config.Executor is required")
	}
	if cfg.Tokens == nil {
		return nil, errors.New("api: Config.Tokens is required")
	}
	orDefault(&cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	orDefault(&cfg.WaitTimeout, 5*time.Second)
	orDefault(&cfg.ReadTimeout, DefaultReadTimeout)
	orDefault(&cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	orDefault(&cfg.IdleTimeout, DefaultIdleTimeout)
	orDefault(&cfg.MaxStreams, DefaultMaxStreams)
	orDefault(&cfg.MaxStreamsPerActor, DefaultMaxStreamsPerActor)
	orDefault(&cfg.Heartbeat, 15*time.Second)
	orDefault(&cfg.StreamWriteTimeout, DefaultStreamWriteTimeout)
	if len(cfg.Kinds) == 0 {
		cfg.Kinds = projections.Kinds()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, tokens: cfg.Tokens, reg: cfg.Registry, mux: http.NewServeMux(), audits: make(chan struct{}, 1)}
	s.streams, s.stopStreams = context.WithCancel(context.Background())
	if cfg.TimelineCacheBytes == 0 {
		cfg.TimelineCacheBytes = DefaultTimelineCacheBytes
	}
	if cfg.TimelineCacheBytes > 0 && cfg.Progress != nil {
		s.pages = newPageCache(cfg.TimelineCacheBytes)
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
		s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	var err error
	if s.metrics, err = newMetrics(s.reg, cfg.ProjectionLag); err != nil {
		return nil, fmt.Errorf("api: register metrics: %w", err)
	}
	if s.doc, err = buildDocument(registry.CommandTypes()); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	m.HandleFunc("GET /v1/openapi.json", s.openapiJSON)
	m.HandleFunc("GET /v1/openapi.yaml", s.openapiYAML)
	m.HandleFunc("GET /v1/schemas", s.schemaIndex)
	m.HandleFunc("GET /v1/schemas/{type}", s.eventSchema)
	m.Handle("GET /metrics", s.authed(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}).ServeHTTP))

	m.HandleFunc("GET /v1/whoami", s.authed(s.whoami))
	m.HandleFunc("GET /v1/commands", s.authed(s.listCommands))
	m.HandleFunc("POST /v1/commands/{type}", s.authed(s.command))

	// Each aggregate's state and its timeline.
	for _, a := range []struct {
		path string
		ref  func(*http.Request) (domain.AggregateRef, error)
	}{
		{"/v1/agreements/{area}/{period}", agreementRef},
		{"/v1/assessments/{area}/{year}", assessmentRef},
		{"/v1/org-assessments/{org}/{year}", orgAssessmentRef},
	} {
		m.HandleFunc("GET "+a.path, s.authed(s.aggregateHandler(a.ref, s.serveState)))
		m.HandleFunc("GET "+a.path+"/timeline", s.authed(s.aggregateHandler(a.ref, s.serveAggregateTimeline)))
	}
	m.HandleFunc("GET /v1/agreements/{area}/{period}/targets/{target}/rounds", s.authed(s.targetRounds))
	m.HandleFunc("GET /v1/timeline", s.authed(s.timeline))
	m.HandleFunc("GET /v1/areas", s.authed(s.areas))
	m.HandleFunc("GET /v1/areas/{area}", s.authed(s.area))
	m.HandleFunc("GET /v1/regions", s.authed(s.regions))
	m.HandleFunc("GET /v1/actors", s.authed(s.actorRegister))
	m.HandleFunc("GET /v1/sources", s.authed(s.sources))
	m.HandleFunc("GET /v1/indicators/{number}", s.authed(s.indicator))
	m.HandleFunc("GET /v1/catalogue", s.authed(s.exportCatalogue))
	m.HandleFunc("POST /v1/catalogue/import", s.authed(s.importCatalogue))
	m.HandleFunc("GET /v1/dashboard", s.authed(s.dashboard))

	m.HandleFunc("GET /v1/events/stream", s.authed(s.stream))

	m.HandleFunc("GET /v1/checkpoints/latest", s.authed(s.latestCheckpoint))
	m.HandleFunc("GET /v1/key", s.authed(s.verifierKey))
	m.HandleFunc("GET /v1/proofs/inclusion", s.authed(s.inclusionProof))
	m.HandleFunc("GET /v1/proofs/consistency", s.authed(s.consistencyProof))
	s.auditRoutes(m)
	s.webhookRoutes(m)

	// The same paths without a method answer other methods with a problem
	// instead of the mux's plain-text 405.
	for path, methods := range map[string]string{
		"/healthz": "GET", "/readyz": "GET", "/v1/openapi.json": "GET", "/v1/openapi.yaml": "GET", "/metrics": "GET",
		"/v1/whoami": "GET", "/v1/commands": "GET", "/v1/commands/{type}": "POST",
		"/v1/agreements/{area}/{period}": "GET", "/v1/agreements/{area}/{period}/timeline": "GET",
		"/v1/agreements/{area}/{period}/targets/{target}/rounds": "GET", "/v1/dashboard": "GET",
		"/v1/assessments/{area}/{year}": "GET", "/v1/assessments/{area}/{year}/timeline": "GET",
		"/v1/org-assessments/{org}/{year}": "GET", "/v1/org-assessments/{org}/{year}/timeline": "GET",
		"/v1/timeline": "GET", "/v1/areas": "GET", "/v1/areas/{area}": "GET", "/v1/regions": "GET",
		"/v1/sources": "GET", "/v1/indicators/{number}": "GET", "/v1/events/stream": "GET",
		"/v1/catalogue": "GET", "/v1/catalogue/import": "POST",
		"/v1/checkpoints/latest": "GET", "/v1/key": "GET", "/v1/proofs/inclusion": "GET", "/v1/proofs/consistency": "GET",
	} {
		m.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", methods)
			writeProblem(w, r, problem(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here; use "+methods))
		})
	}
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Fallback != nil && r.URL.Path != "/v1" && !strings.HasPrefix(r.URL.Path, "/v1/") {
			s.cfg.Fallback.ServeHTTP(w, r)
			return
		}
		writeProblem(w, r, problem(http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path))
	})
}

// StopStreams ends every open event stream, now and from then on. An
// http.Server's Shutdown waits for handlers to return and an event stream
// returns only when its client goes, so register this with
// http.Server.RegisterOnShutdown. Clients reconnect with Last-Event-ID.
func (s *Server) StopStreams() { s.stopStreams() }

type correlationKey struct{}

func correlationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

// validCorrelationID accepts a caller's id if it is short printable ASCII,
// so that it can go into logs and events without escaping.
func validCorrelationID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// recorder notes the status and the authenticated actor for the request
// log and metrics. It passes Flush through for the event stream.
type recorder struct {
	http.ResponseWriter
	status int
	actor  string
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// ServeHTTP gives every request a correlation id (the caller's
// X-Correlation-ID, or a new one), logs it, counts it by route pattern and
// status, and turns a panic into a 500 problem.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	cid := r.Header.Get("X-Correlation-ID")
	if !validCorrelationID(cid) {
		cid = uuid.NewString()
	}
	w.Header().Set("X-Correlation-ID", cid)
	r = r.WithContext(context.WithValue(r.Context(), correlationKey{}, cid))
	rec := &recorder{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic serving request", "correlation_id", cid, "panic", v, "stack", string(debug.Stack()))
			if rec.status == 0 {
				writeProblem(rec, r, problem(http.StatusInternalServerError, "internal", "internal error"))
			}
		}
		route := r.Pattern
		if route == "" || route == "/" {
			route = "unmatched"
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		d := time.Since(start)
		s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
		if route != "GET /v1/events/stream" {
			s.metrics.reqDur.WithLabelValues(route).Observe(d.Seconds())
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "http request",
			slog.String("correlation_id", cid), slog.String("method", r.Method),
			slog.String("route", route), slog.String("path", r.URL.Path),
			slog.Int("status", status), slog.Duration("duration", d),
			slog.String("actor", rec.actor))
	}()
	s.mux.ServeHTTP(rec, r)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(r.Context()); err != nil {
			writeProblem(w, r, problem(http.StatusServiceUnavailable, "not_ready", "not ready: "+err.Error()))
			return
		}
	}
	body := map[string]any{"status": "ready"}
	if s.cfg.Progress != nil {
		body["position"] = s.cfg.Progress.Position()
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	a, _ := ActorFrom(r.Context())
	writeJSON(w, http.StatusOK, a)
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }
