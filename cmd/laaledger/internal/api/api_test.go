package api

import (
	"context"
	"flag"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/laaledger/laaledger/domain/registry"

	"github.com/laaledger/laaledger/domain"
)

func note(subject, text string) apiNote { return apiNote{Subject: subject, Text: text} }

func TestHealthAndOpenAPINeedNoToken(t *testing.T) {
	h := newHarness(t, testKinds)
	for _, path := range []string{"/healthz", "/readyz", "/v1/openapi.json", "/v1/openapi.yaml"} {
		if r := h.do(req{method: "GET", path: path}); r.Status != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
		}
	}
	var doc map[string]any
	h.do(req{method: "GET", path: "/v1/openapi.json"}).decode(t, &doc)
	paths := doc["paths"].(map[string]any)
	for _, typ := range registry.CommandTypes() {
		if paths["/v1/commands/"+typ] == nil {
			t.Errorf("served document lacks the path of command %s", typ)
		}
	}
}

func TestEveryEndpointRefusesMissingOrUnknownToken(t *testing.T) {
	h := newHarness(t, testKinds)
	before := h.lastSequence()
	paths := []req{
		{method: "GET", path: "/metrics"},
		{method: "GET", path: "/v1/whoami"},
		{method: "GET", path: "/v1/commands"},
		{method: "GET", path: "/v1/agreements/00EB/2008-11"},
		{method: "GET", path: "/v1/agreements/00EB/2008-11/timeline"},
		{method: "GET", path: "/v1/assessments/00EB/2009"},
		{method: "GET", path: "/v1/org-assessments/00EB/2009/timeline"},
		{method: "GET", path: "/v1/timeline?area=00EB"},
		{method: "GET", path: "/v1/areas"},
		{method: "GET", path: "/v1/areas/00EB"},
		{method: "GET", path: "/v1/regions"},
		{method: "GET", path: "/v1/sources"},
		{method: "GET", path: "/v1/indicators/116"},
		{method: "GET", path: "/v1/agreements/00EB/2008-11/targets/NI%20112/rounds"},
		{method: "GET", path: "/v1/dashboard"},
		{method: "GET", path: "/v1/events/stream"},
		{method: "POST", path: "/v1/commands/apitest.Note", header: map[string]string{"Idempotency-Key": "k1"},
			body: []byte(`{"occurred_at":"2008-06-02T10:00:00Z","command":{"subject":"00EB","text":"x"}}`)},
	}
	for _, token := range []string{"", "not-a-token-anyone-was-given", "demo-la-hartlepool-00EBx"} {
		for _, r := range paths {
			r.token, r.invalid = token, token == ""
			if token == "" {
				r.header = map[string]string{"Idempotency-Key": "k1"}
			}
			res := h.do(r)
			if res.Status != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: %d, want 401", r.method, r.path, token, res.Status)
				continue
			}
			if p := res.problem(t); p.Code != "unauthenticated" {
				t.Errorf("%s %s: code %q", r.method, r.path, p.Code)
			}
			if res.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: 401 without WWW-Authenticate", r.method, r.path)
			}
		}
	}
	if r := h.do(req{method: "GET", path: "/v1/whoami", header: map[string]string{"Authorization": "Basic " + tokLA}, invalid: true}); r.Status != 401 {
		t.Errorf("basic auth: %d", r.Status)
	}
	if got := h.lastSequence(); got != before {
		t.Errorf("refused requests wrote to the ledger: sequence %d → %d", before, got)
	}
}

func TestTokenDecidesTheActor(t *testing.T) {
	h := newHarness(t, testKinds)
	var a domain.Actor
	h.do(req{method: "GET", path: "/v1/whoami", token: tokGO}).decode(t, &a)
	if a.Role != domain.RoleGO || a.Organisation != "North East" {
		t.Fatalf("whoami: %+v", a)
	}
	// An actor in the body is an unknown field, not an override.
	r := h.do(req{method: "POST", path: "/v1/commands/apitest.Note", token: tokLA, invalid: true,
		header: map[string]string{"Idempotency-Key": "actor-in-body"},
		body:   []byte(`{"occurred_at":"2008-06-02T10:00:00Z","actor":{"id":"x","role":"minister","organisation":"CLG"},"command":{"subject":"00EB"}}`)})
	if r.Status != 400 || r.problem(t).Code != "bad_json" {
		t.Fatalf("actor in body: %d %s", r.Status, r.Body)
	}
	r = h.command(tokLA, "apitest.Note", "who-1", note("00EB", "hello"), nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("command: %d %s", r.Status, r.Body)
	}
	hist, err := h.ledger.Store.LoadFresh(t.Context(), aggregate("apitest", "00EB"))
	if err != nil {
		t.Fatal(err)
	}
	got := hist.Events[0].Actor
	if got.ID != "demo.la.hartlepool" || got.Role != "la" || got.Organisation != "00EB" {
		t.Errorf("stored actor %+v, want the token's", got)
	}
}

func TestReadOnlyRolesGet403OnCommands(t *testing.T) {
	h := newHarness(t, testKinds)
	before := h.lastSequence()
	for _, tok := range []string{tokAuditor, tokScrutiny, tokIntegration} {
		r := h.command(tok, "apitest.Note", "ro-"+tok, note("00EB", "x"), nil)
		if r.Status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tok, r.Status)
			continue
		}
		if p := r.problem(t); p.Code != "role.read_only" {
			t.Errorf("%s: code %q", tok, p.Code)
		}
	}
	if got := h.lastSequence(); got != before {
		t.Errorf("read-only roles wrote: %d → %d", before, got)
	}
}

func TestDomainRefusalIs403WithItsRule(t *testing.T) {
	h := newHarness(t, testKinds)
	r := h.command(tokBarnet, "apitest.Note", "barnet-on-hartlepool", note("00EB", "x"), nil)
	if r.Status != http.StatusForbidden {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if p := r.problem(t); p.Code != "apitest.own_organisation" || !strings.Contains(p.Detail, "demo.la.barnet") {
		t.Errorf("problem %+v", p)
	}
	// A shape the domain refuses after decoding: 400 with the rule.
	r = h.command(tokLA, "apitest.Note", "no-subject", apiNote{Text: "x"}, nil)
	if r.Status != http.StatusBadRequest || r.problem(t).Code != "apitest.missing_subject" {
		t.Errorf("missing subject: %d %s", r.Status, r.Body)
	}
	r = h.command(tokLA, "unknown.Command", "u", note("00EB", "x"), nil)
	if r.Status != http.StatusNotFound || r.problem(t).Code != "unknown_command" {
		t.Errorf("unknown command: %d %s", r.Status, r.Body)
	}
}

func TestRetryWithSameIdempotencyKeyReturnsTheOriginal(t *testing.T) {
	h := newHarness(t, testKinds)
	first := h.command(tokLA, "apitest.Note", "retry-1", apiNote{Subject: "00EB", Text: "x", Repeat: 2}, nil)
	if first.Status != http.StatusCreated {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	var a CommandResult
	first.decode(t, &a)
	if a.Duplicate || a.FirstVersion != 1 || a.LastVersion != 2 || len(a.Events) != 2 || a.CommandID != "retry-1" {
		t.Fatalf("first result %+v", a)
	}
	if et := first.Header.Get("ETag"); et != `"2"` {
		t.Errorf("ETag %q", et)
	}
	seq := h.lastSequence()
	// The retry comes after another command moved the aggregate on.
	if r := h.command(tokLA, "apitest.Note", "retry-2", note("00EB", "y"), nil); r.Status != 201 {
		t.Fatalf("second command: %d", r.Status)
	}
	again := h.command(tokLA, "apitest.Note", "retry-1", apiNote{Subject: "00EB", Text: "x", Repeat: 2}, nil)
	if again.Status != http.StatusOK {
		t.Fatalf("retry: %d %s", again.Status, again.Body)
	}
	var b CommandResult
	again.decode(t, &b)
	if !b.Duplicate {
		t.Errorf("retry not flagged duplicate")
	}
	b.Duplicate = false
	if mustString(t, a) != mustString(t, b) {
		t.Errorf("retry result differs:\n first %s\n retry %s", first.Body, again.Body)
	}
	if got := h.lastSequence(); got != seq+1 {
		t.Errorf("retry wrote: sequence %d, want %d", got, seq+1)
	}
}

// The same key with another body is not a retry: 409, and nothing written.
func TestIdempotencyKeyReusedForAnotherCommandIs409(t *testing.T) {
	h := newHarness(t, testKinds)
	if r := h.command(tokLA, "apitest.Note", "reuse-1", note("00EB", "first"), nil); r.Status != http.StatusCreated {
		t.Fatalf("first: %d %s", r.Status, r.Body)
	}
	seq := h.lastSequence()
	r := h.command(tokLA, "apitest.Note", "reuse-1", note("00EB", "something else"), nil)
	if r.Status != http.StatusConflict {
		t.Fatalf("reused key: %d %s, want 409", r.Status, r.Body)
	}
	var p Problem
	r.decode(t, &p)
	if p.Code != "idempotency_key_reused" {
		t.Errorf("code %q, want idempotency_key_reused", p.Code)
	}
	if got := h.lastSequence(); got != seq {
		t.Errorf("reused key wrote: sequence %d, want %d", got, seq)
	}
}

func mustString(t *testing.T, v any) string { return string(mustJSON(t, v)) }

func TestIfMatchConflictIs412WithCurrentVersion(t *testing.T) {
	h := newHarness(t, testKinds)
	for i, key := range []string{"m1", "m2"} {
		if r := h.command(tokLA, "apitest.Note", key, note("00EB", "x"), nil); r.Status != 201 {
			t.Fatalf("command %d: %d", i, r.Status)
		}
	}
	before := h.lastSequence()
	r := h.command(tokLA, "apitest.Note", "m3", note("00EB", "x"), map[string]string{"If-Match": `"1"`})
	if r.Status != http.StatusPreconditionFailed {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	p := r.problem(t)
	if p.Code != "version_conflict" || p.CurrentVersion == nil || *p.CurrentVersion != 2 || *p.ExpectedVersion != 1 {
		t.Errorf("problem %s", r.Body)
	}
	if got := h.lastSequence(); got != before {
		t.Errorf("412 wrote: %d → %d", before, got)
	}
	r = h.command(tokLA, "apitest.Note", "m3", note("00EB", "x"), map[string]string{"If-Match": `"2"`})
	if r.Status != http.StatusCreated || r.Header.Get("ETag") != `"3"` {
		t.Errorf("matching If-Match: %d %s %s", r.Status, r.Header.Get("ETag"), r.Body)
	}
	r = h.command(tokLA, "apitest.Note", "m4", note("00EB", "x"), map[string]string{"If-Match": `W/"x"`})
	if r.Status != 400 || r.problem(t).Code != "bad_if_match" {
		t.Errorf("bad If-Match: %d %s", r.Status, r.Body)
	}
}

func TestMalformedCommandsAreRefusedAndWriteNothing(t *testing.T) {
	h := newHarness(t, testKinds)
	if r := h.command(tokLA, "apitest.Note", "seed", note("00EB", "x"), nil); r.Status != 201 {
		t.Fatalf("seed: %d", r.Status)
	}
	before := h.lastSequence()
	ok := `{"occurred_at":"2008-06-02T10:00:00Z","command":{"subject":"00EB","text":"x"}}`
	big := `{"occurred_at":"2008-06-02T10:00:00Z","command":{"subject":"00EB","text":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}}`
	for _, tc := range []struct {
		desc, body string
		header     map[string]string
		status     int
		code       string
		docAccepts bool // the document's JSON reader ignores trailing data
	}{
		{desc: "not JSON", body: `{"occurred_at":`, status: 400, code: "bad_json"},
		{desc: "trailing data", body: ok + `{}`, status: 400, code: "bad_json", docAccepts: true},
		{desc: "unknown envelope field", body: `{"occurred_at":"2008-06-02T10:00:00Z","colour":"red","command":{"subject":"00EB"}}`, status: 400, code: "bad_json"},
		{desc: "unknown command field", body: `{"occurred_at":"2008-06-02T10:00:00Z","command":{"subject":"00EB","colour":"red"}}`, status: 400, code: "command.bad_json"},
		{desc: "wrong type in command", body: `{"occurred_at":"2008-06-02T10:00:00Z","command":{"subject":"00EB","repeat":"two"}}`, status: 400, code: "command.bad_json"},
		{desc: "wrong type in envelope", body: `{"occurred_at":"2008-06-02T10:00:00Z","evidence":"letter","command":{"subject":"00EB"}}`, status: 400, code: "bad_json"},
		{desc: "bad time", body: `{"occurred_at":"2 June 2008","command":{"subject":"00EB"}}`, status: 400, code: "bad_json"},
		{desc: "no business time", body: `{"command":{"subject":"00EB"}}`, status: 400, code: "missing_occurred_at"},
		{desc: "no command", body: `{"occurred_at":"2008-06-02T10:00:00Z"}`, status: 400, code: "missing_command"},
		{desc: "oversize", body: big, status: 413, code: "body_too_large"},
		{desc: "no idempotency key", body: ok, header: map[string]string{"Idempotency-Key": ""}, status: 400, code: "missing_idempotency_key"},
		{desc: "key with spaces", body: ok, header: map[string]string{"Idempotency-Key": "a b"}, status: 400, code: "bad_idempotency_key"},
		{desc: "not JSON content", body: ok, header: map[string]string{"Content-Type": "text/plain"}, status: 415, code: "unsupported_media_type"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			hdr := map[string]string{"Idempotency-Key": "bad-" + tc.desc[:3]}
			for k, v := range tc.header {
				hdr[k] = v
			}
			r := h.do(req{method: "POST", path: "/v1/commands/apitest.Note", token: tokLA, header: hdr, body: []byte(tc.body), invalid: !tc.docAccepts})
			r.wantProblem(t, tc.status, tc.code)
			if got := h.lastSequence(); got != before {
				t.Errorf("ledger moved %d → %d", before, got)
			}
		})
	}
}

func TestQueriesMapErrorsAndWaitForMinSequence(t *testing.T) {
	h := newHarness(t, testKinds)
	for _, tc := range []struct {
		desc, path string
		status     int
		code       string
	}{
		{"missing agreement", "/v1/agreements/00EB/2008-11", 404, "aggregate.not_found"},
		{"unknown area", "/v1/agreements/ZZZZ/2008-11", 404, "area.unknown"},
		{"both as_of and known_at", "/v1/agreements/00EB/2008-11?as_of=2009-01-01T00:00:00Z&known_at=2009-01-01T00:00:00Z", 400, ""},
		{"timeline without scope", "/v1/timeline", 400, ""},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			h.do(req{method: "GET", path: tc.path, token: tokScrutiny}).wantProblem(t, tc.status, tc.code)
		})
	}
	r := h.do(req{method: "GET", path: "/v1/areas/00EB", token: tokScrutiny})
	var a domain.Area
	r.decode(t, &a)
	if a.Name != "Hartlepool" || a.Region != "North East" {
		t.Errorf("area %+v", a)
	}
	for _, p := range []string{"/v1/areas", "/v1/regions", "/v1/sources", "/v1/commands", "/v1/indicators/116"} {
		h.do(req{method: "GET", path: p, token: tokAuditor})
	}

	// Read models that never catch up: the wait ends at its deadline with
	// a 503 naming the sequence reached.
	stuck := newHarness(t, testKinds, func(c *Config) {
		c.Progress = stuckProgress{at: 0}
		c.WaitTimeout = 20e6 // 20 ms
	})
	r = stuck.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11?min_sequence=5", token: tokScrutiny})
	if r.Status != 503 || r.problem(t).Code != "not_caught_up" || r.Header.Get("Retry-After") == "" {
		t.Errorf("not caught up: %d %s", r.Status, r.Body)
	}
}

type stuckProgress struct{ at uint64 }

func (p stuckProgress) Position() uint64 { return p.at }
func (p stuckProgress) WaitFor(ctx context.Context, seq uint64) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestCorrelationIDReachesTheEvents(t *testing.T) {
	h := newHarness(t, testKinds)
	r := h.command(tokLA, "apitest.Note", "corr-1", note("00EB", "x"), map[string]string{"X-Correlation-ID": "meeting-2008-06-02"})
	if r.Status != 201 || r.Header.Get("X-Correlation-ID") != "meeting-2008-06-02" {
		t.Fatalf("%d %q", r.Status, r.Header.Get("X-Correlation-ID"))
	}
	hist, err := h.ledger.Store.LoadFresh(t.Context(), aggregate("apitest", "00EB"))
	if err != nil {
		t.Fatal(err)
	}
	if got := hist.Events[0].CorrelationID; got != "meeting-2008-06-02" {
		t.Errorf("event correlation id %q", got)
	}
	r = h.do(req{method: "GET", path: "/healthz"})
	if len(r.Header.Get("X-Correlation-ID")) < 16 {
		t.Errorf("no generated correlation id")
	}
}

func TestMetricsCountCommandsAndRequests(t *testing.T) {
	h := newHarness(t, testKinds, func(c *Config) {
		c.ProjectionLag = func() Lag { return Lag{Events: 3, Seconds: 1.5} }
	})
	h.command(tokLA, "apitest.Note", "met-1", note("00EB", "x"), nil)
	h.command(tokLA, "apitest.Note", "met-1", note("00EB", "x"), nil)
	h.command(tokLA, "apitest.Note", "met-2", note("00EB", "x"), map[string]string{"If-Match": `"7"`})
	r := h.do(req{method: "GET", path: "/metrics", token: tokIntegration})
	if r.Status != 200 {
		t.Fatalf("%d", r.Status)
	}
	body := string(r.Body)
	for _, want := range []string{
		`laaledger_appends_total{kind="apitest"} 1`,
		`laaledger_append_duplicates_total{kind="apitest"} 1`,
		`laaledger_append_conflicts_total{kind="apitest"} 1`,
		`laaledger_append_duration_seconds_count{kind="apitest",outcome="appended"} 1`,
		`laaledger_http_requests_total{method="POST",route="POST /v1/commands/{type}",status="201"} 1`,
		`laaledger_http_requests_total{method="POST",route="POST /v1/commands/{type}",status="412"} 1`,
		`laaledger_projection_lag_events 3`,
		`laaledger_projection_lag_seconds 1.5`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "demo-") {
		t.Errorf("a token appears in the metrics")
	}
}

func TestEveryCommandHasItsFieldsInTheDocument(t *testing.T) {
	doc, err := buildDocument(registry.CommandTypes())
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range registry.CommandTypes() {
		path := doc.doc.Paths.Value("/v1/commands/" + typ)
		if path == nil || path.Post == nil {
			t.Errorf("command %s has no path", typ)
			continue
		}
		body := path.Post.RequestBody.Value.Content.Get("application/json").Schema.Value.Properties["command"].Value
		proto, _ := registry.NewCommand(typ)
		ct := reflect.TypeOf(proto)
		for i := range ct.NumField() {
			f := ct.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Anonymous || !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, ok := body.Properties[name]; !ok {
				t.Errorf("command %s: field %s is not in the document", typ, name)
			}
		}
		if body.AdditionalProperties.Has == nil || *body.AdditionalProperties.Has {
			t.Errorf("command %s: the document allows fields DecodeCommand refuses", typ)
		}
	}
}

func TestTokenFile(t *testing.T) {
	tokens, err := ParseTokenFile(DemoTokenFile())
	if err != nil {
		t.Fatal(err)
	}
	if tokens.Len() != len(DemoTokens()) {
		t.Errorf("%d tokens", tokens.Len())
	}
	if a, ok := tokens.Authenticate(tokMinister); !ok || a.Role != domain.RoleMinister {
		t.Errorf("minister: %+v %v", a, ok)
	}
	if _, ok := tokens.Authenticate(tokMinister + "x"); ok {
		t.Errorf("a longer token authenticated")
	}
	hashed := `{"tokens":[{"token_sha256":"` + sha256Hex("a-secret-token-for-tests") + `","actor":{"id":"p","role":"auditor","organisation":"Audit Commission"}}]}`
	tokens, err = ParseTokenFile([]byte(hashed))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tokens.Authenticate("a-secret-token-for-tests"); !ok {
		t.Errorf("hashed token refused")
	}
	for _, tc := range []struct{ desc, file string }{
		{"unknown field", `{"tokens":[],"admin":true}`},
		{"unknown role", `{"tokens":[{"token":"0123456789abcdef","actor":{"id":"p","role":"king","organisation":"x"}}]}`},
		{"short token", `{"tokens":[{"token":"short","actor":{"id":"p","role":"auditor","organisation":"x"}}]}`},
		{"twice", `{"tokens":[{"token":"0123456789abcdef","actor":{"id":"p","role":"auditor","organisation":"x"}},{"token":"0123456789abcdef","actor":{"id":"q","role":"auditor","organisation":"x"}}]}`},
		{"no token", `{"tokens":[{"actor":{"id":"p","role":"auditor","organisation":"x"}}]}`},
	} {
		if _, err := ParseTokenFile([]byte(tc.file)); err == nil {
			t.Errorf("%s: accepted", tc.desc)
		} else if strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("%s: error shows the token: %v", tc.desc, err)
		}
	}
}

// testdata/demo-tokens.json is the demo token file for `serve --tokens`
// and the README's curl examples; it must stay what DemoTokenFile writes.
func TestDemoTokenFileIsCurrent(t *testing.T) {
	if *update {
		if err := os.WriteFile("testdata/demo-tokens.json", DemoTokenFile(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("testdata/demo-tokens.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(DemoTokenFile()) {
		t.Errorf("testdata/demo-tokens.json is stale; run go test -run TestDemoTokenFileIsCurrent -update")
	}
}

var update = flag.Bool("update", false, "rewrite golden files in testdata")
