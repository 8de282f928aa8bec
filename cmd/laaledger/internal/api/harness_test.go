package api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/registry"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/projections"
)

// The tests drive the API with a small command of their own, "apitest.Note",
// registered in the domain's registries, so that the HTTP machinery is
// proven on the real store independently of the LAA and CAA rules.

// apiNote appends Repeat (default 1) "apitest.Noted" events to the
// aggregate apitest/<subject>. A local-side actor may only note on its own
// organisation's subject.
type apiNote struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	Repeat  int    `json:"repeat,omitempty"`
}

func (apiNote) CommandType() string { return "apitest.Note" }
func (c apiNote) Aggregate() domain.AggregateRef {
	return domain.AggregateRef{Kind: "apitest", ID: c.Subject}
}
func (c apiNote) Validate() error {
	if c.Subject == "" {
		return domain.Errorf(domain.EINVALID, "apitest.missing_subject", "a note needs a subject")
	}
	if c.Repeat < 0 || c.Repeat > 5 {
		return domain.Errorf(domain.EINVALID, "apitest.repeat_range", "repeat must be 0 to 5")
	}
	return nil
}

type apiNoted struct {
	Text string `json:"text"`
	N    int    `json:"n"`
}

func (apiNoted) EventType() string { return "apitest.Noted" }

func init() {
	registry.RegisterCommand(apiNote{})
	registry.RegisterEvent(apiNoted{}, 1)
}

var testKinds = map[string]service.Kind{
	"apitest": service.KindOf[int]{
		Fold: func(s int, e domain.Event) int { return s + 1 },
		Decide: func(ctx context.Context, env service.Env, s int, h domain.History, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
			c := cmd.(apiNote)
			if m.Actor.Role.LocalSide() && m.Actor.Organisation != c.Subject {
				return nil, domain.Errorf(domain.EFORBIDDEN, "apitest.own_organisation", "%s may only note on %s", m.Actor, m.Actor.Organisation)
			}
			n := max(c.Repeat, 1)
			out := make([]domain.Event, n)
			for i := range out {
				out[i] = apiNoted{Text: c.Text, N: i + 1}
			}
			return out, nil
		},
	},
}

// Demo tokens by role, for readability.
const (
	tokLA          = "demo-la-hartlepool-00EB"
	tokBarnet      = "demo-la-barnet-00AC"
	tokGO          = "demo-go-north-east"
	tokMinister    = "demo-minister-clg"
	tokAC          = "demo-audit-commission"
	tokAuditor     = "demo-auditor-readonly"
	tokScrutiny    = "demo-scrutiny-hartlepool"
	tokIntegration = "demo-integration-feed"
)

type harness struct {
	t      *testing.T
	ledger *estest.Ledger
	svc    *service.Service
	api    *Server
	srv    *httptest.Server
	router routers.Router
}

type harnessOpt func(*Config)

// newHarness starts a real embedded ledger, the service over it and the API
// on an ephemeral loopback port.
func newHarness(t *testing.T, kinds map[string]service.Kind, opts ...harnessOpt) *harness {
	t.Helper()
	l := estest.Open(t)
	svc := service.New(l.Store, kinds)
	tokens, err := NewTokens(DemoTokens())
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := startReadSide(t, l.Store)
	cfg := Config{Executor: svc, Feed: l.Store, Tokens: tokens, Registry: prometheus.NewRegistry(),
		Queries: rs, Progress: rs, Kinds: append(projections.Kinds(), "apitest")}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	router, err := legacy.NewRouter(a.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	// The test server runs with the same http.Server settings as serve.
	srv := httptest.NewUnstartedServer(a)
	hs := a.HTTPServer()
	srv.Config.ReadTimeout, srv.Config.ReadHeaderTimeout, srv.Config.IdleTimeout = hs.ReadTimeout, hs.ReadHeaderTimeout, hs.IdleTimeout
	srv.Config.MaxHeaderBytes = hs.MaxHeaderBytes
	srv.Start()
	t.Cleanup(srv.Close)
	return &harness{t: t, ledger: l, svc: svc, api: a, srv: srv, router: router}
}

// resp is a response read whole.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *resp) problem(t *testing.T) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json; body %s", ct, r.Body)
	}
	var p Problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("problem body: %v: %s", err, r.Body)
	}
	return p
}

// wantProblem fails t unless r answers status and, when code is not
// empty, a problem document of that code.
func (r *resp) wantProblem(t *testing.T, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d: %s", r.Status, status, r.Body)
		return
	}
	if code == "" {
		return
	}
	if p := r.problem(t); p.Code != code {
		t.Errorf("code %q, want %q (%s)", p.Code, code, p.Detail)
	}
}

func (r *resp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// timelinePage reads the timeline page at path with token.
func timelinePage(t *testing.T, h *harness, path, token string) projections.TimelinePage {
	t.Helper()
	r := h.do(req{method: "GET", path: path, token: token})
	var page projections.TimelinePage
	r.decode(t, &page)
	return page
}

// req describes one request.
type req struct {
	method, path, token string
	body                []byte
	header              map[string]string
	// invalid marks a request the test makes wrong on purpose: it is
	// checked to fail the document's request validation instead of pass.
	invalid bool
}

func init() {
	for _, ct := range []string{"text/markdown", "text/event-stream"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

var validationOpts = &openapi3filter.Options{
	AuthenticationFunc:    bearerPresent,
	IncludeResponseStatus: true,
	MultiError:            false,
}

// bearerPresent is the document's security check: a bearer token is
// present (whether it is valid is the server's business).
func bearerPresent(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme, tok, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || tok == "" {
		return errors.New("no bearer token")
	}
	return nil
}

// do sends a request over real HTTP and checks the request (unless it is
// meant to be invalid) and the response against the OpenAPI document.
func (h *harness) do(r req) *resp {
	h.t.Helper()
	hr, err := http.NewRequest(r.method, h.srv.URL+r.path, bytes.NewReader(r.body))
	if err != nil {
		h.t.Fatal(err)
	}
	if r.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	res, err := h.srv.Client().Do(hr)
	if err != nil {
		h.t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		h.t.Fatal(err)
	}
	out := &resp{Status: res.StatusCode, Header: res.Header, Body: body}
	h.validate(hr, r, out)
	return out
}

func (h *harness) validate(hr *http.Request, r req, out *resp) {
	h.t.Helper()
	// Validate a fresh copy: the sent request's body has been consumed.
	vr, _ := http.NewRequest(hr.Method, hr.URL.String(), bytes.NewReader(r.body))
	vr.Header = hr.Header.Clone()
	route, params, err := h.router.FindRoute(vr)
	if err != nil {
		if out.Status == http.StatusNotFound || out.Status == http.StatusMethodNotAllowed {
			return // no route in the document, and none in the server
		}
		h.t.Fatalf("%s %s: not in the OpenAPI document: %v", r.method, r.path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route, Options: validationOpts}
	err = openapi3filter.ValidateRequest(context.Background(), in)
	if r.invalid && err == nil && r.token != "" && out.Status != http.StatusRequestEntityTooLarge {
		h.t.Errorf("%s %s: the document accepts a request the test meant as invalid: %s %s", r.method, r.path, r.header, r.body)
	}
	if !r.invalid && err != nil {
		h.t.Errorf("%s %s: request does not match the OpenAPI document: %v", r.method, r.path, err)
	}
	rv := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: out.Status, Header: out.Header,
		Body: io.NopCloser(bytes.NewReader(out.Body)), Options: validationOpts}
	if err := openapi3filter.ValidateResponse(context.Background(), rv); err != nil {
		h.t.Errorf("%s %s → %d: response does not match the OpenAPI document: %v\n%s", r.method, r.path, out.Status, err, out.Body)
	}
}

// command sends POST /v1/commands/<typ> with the given envelope and command.
func (h *harness) command(token, typ, key string, cmd any, header map[string]string) *resp {
	h.t.Helper()
	hdr := map[string]string{"Idempotency-Key": key}
	for k, v := range header {
		hdr[k] = v
	}
	return h.do(req{method: "POST", path: "/v1/commands/" + typ, token: token, header: hdr,
		body: mustJSON(h.t, map[string]any{"occurred_at": "2008-06-02T10:00:00Z", "reason": "test", "command": cmd})})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (h *harness) lastSequence() uint64 {
	h.t.Helper()
	seq, err := h.ledger.Store.LastSequence(estest.Context(h.t))
	if err != nil {
		h.t.Fatal(err)
	}
	return seq
}

// startReadSide opens the projections over the ledger with no snapshot
// directory, runs them until the test ends and returns the query service.
func startReadSide(t testing.TB, store *eventstore.Store) (*projections.Reader, *projections.Runner) {
	t.Helper()
	rs, r := openReadSide(t, store)
	runProjections(t, r)
	return rs, r
}

// openReadSide opens the projections without running them.
func openReadSide(t testing.TB, store *eventstore.Store) (*projections.Reader, *projections.Runner) {
	t.Helper()
	q, err := projections.OpenReader(context.Background(), projections.Config{Store: store, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	return q, q.Runner()
}

// runProjections runs r until the test ends.
func runProjections(t testing.TB, r *projections.Runner) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("projection runner: %v", err)
		}
	})
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	ID, Event string
	Data      []byte
}

// sseStream reads server-sent events from an open response.
type sseStream struct {
	t      *testing.T
	res    *http.Response
	cancel context.CancelFunc
	buf    *strings.Builder
	rd     *bufio.Reader
}

// openStream opens GET /v1/events/stream and checks the request and the
// response head against the document; the whole body read is checked when
// the stream is closed.
func (h *harness) openStream(query string, lastEventID string) *sseStream {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	hr, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+"/v1/events/stream"+query, nil)
	hr.Header.Set("Authorization", "Bearer "+tokIntegration)
	if lastEventID != "" {
		hr.Header.Set("Last-Event-ID", lastEventID)
	}
	res, err := h.srv.Client().Do(hr)
	if err != nil {
		cancel()
		h.t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		h.t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &sseStream{t: h.t, res: res, cancel: cancel, buf: &strings.Builder{}}
	s.rd = bufio.NewReader(io.TeeReader(res.Body, s.buf))
	route, params, err := h.router.FindRoute(hr)
	if err != nil {
		h.t.Fatal(err)
	}
	in := &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route, Options: validationOpts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		h.t.Errorf("stream request does not match the document: %v", err)
	}
	h.t.Cleanup(func() {
		body := s.buf.String()
		s.close()
		rv := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
			Body: io.NopCloser(strings.NewReader(body)), Options: validationOpts}
		if err := openapi3filter.ValidateResponse(context.Background(), rv); err != nil {
			h.t.Errorf("stream response does not match the document: %v", err)
		}
	})
	return s
}

func (s *sseStream) close() {
	s.cancel()
	s.res.Body.Close()
}

// next returns the next event, skipping comments; it fails the test if
// none comes before the request's deadline.
func (s *sseStream) next() sseEvent {
	s.t.Helper()
	var ev sseEvent
	for {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			s.t.Fatalf("reading event stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev.ID != "" || ev.Data != nil {
				return ev
			}
		case strings.HasPrefix(line, ":"), strings.HasPrefix(line, "retry:"):
		case strings.HasPrefix(line, "id: "):
			ev.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.Event = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.Data = append(ev.Data, line[6:]...)
		}
	}
}

// checkSchema validates a JSON value against a component schema of the
// document.
func (h *harness) checkSchema(name string, data []byte) {
	h.t.Helper()
	ref := h.api.OpenAPI().Components.Schemas[name]
	if ref == nil {
		h.t.Fatalf("no schema %s", name)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		h.t.Fatalf("%s: %v", data, err)
	}
	if err := ref.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		h.t.Errorf("%s does not match schema %s: %v", data, name, err)
	}
}

func aggregate(kind, id string) eventstore.Aggregate { return eventstore.Aggregate{Kind: kind, ID: id} }

func sha256Hex(s string) string {
	d := sha256.Sum256([]byte(s))
	return hex.EncodeToString(d[:])
}
