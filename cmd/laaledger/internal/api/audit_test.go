package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/bundle"
	"github.com/laaledger/laaledger/projections"
)

func init() {
	openapi3filter.RegisterBodyDecoder("application/jsonl", openapi3filter.FileBodyDecoder)
}

// storeAuditor verifies by reading every commit of the real store and
// exports a plain bundle of it; failAfter, when set, cuts an export after
// that many bytes. (serve's auditor, with the notary, is tested through the
// CLI in cmd/laaledger.)
type storeAuditor struct {
	store     *eventstore.Store
	failAfter atomic.Int64
}

func (a *storeAuditor) Verify(ctx context.Context) (VerifyReport, error) {
	v := eventstore.NewChainVerifier()
	var rep VerifyReport
	last, err := a.store.Read(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
		rep.Commits++
		for i := range c.Events {
			rep.Events++
			if err := v.Check(&c.Events[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	if rep.Commits == 0 {
		return rep, fmt.Errorf("%w: the ledger is empty", eventstore.ErrNotFound)
	}
	rep.Intact, rep.LastSequence, rep.Summary = true, last, fmt.Sprintf("ledger intact: %d commits", rep.Commits)
	return rep, nil
}

type cutWriter struct {
	w    io.Writer
	left int
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if len(b) > c.left {
		n, _ := c.w.Write(b[:c.left])
		c.left = 0
		return n, fmt.Errorf("%w: the store went away", eventstore.ErrUnavailable)
	}
	c.left -= len(b)
	return c.w.Write(b)
}

func (a *storeAuditor) Export(ctx context.Context, o eventstore.ReadOptions, w io.Writer) (int, uint64, error) {
	if last, err := a.store.LastSequence(ctx); err != nil || last == 0 {
		return 0, 0, fmt.Errorf("%w: the ledger is empty", eventstore.ErrNotFound)
	}
	if n := a.failAfter.Load(); n > 0 {
		w = &cutWriter{w: w, left: int(n)}
	}
	return bundle.Export(ctx, a.store, o, w)
}

func TestVerifyAndExportAnswerAnyTokenAndNeverCallAnEmptyLedgerIntact(t *testing.T) {
	aud := &storeAuditor{}
	h := newHarness(t, testKinds, func(c *Config) { c.Auditor = aud })
	aud.store = h.ledger.Store

	// Empty: 404, never intact.
	r := h.do(req{method: "POST", path: "/v1/verify", token: tokAuditor})
	r.wantProblem(t, http.StatusNotFound, "not_found")
	r = h.do(req{method: "GET", path: "/v1/export", token: tokAuditor})
	r.wantProblem(t, http.StatusNotFound, "not_found")

	for i := range 3 {
		if r := h.command(tokLA, "apitest.Note", fmt.Sprintf("audit-%d", i), note("00EB", "x"), nil); r.Status != http.StatusCreated {
			t.Fatalf("note: %d %s", r.Status, r.Body)
		}
	}
	r = h.do(req{method: "POST", path: "/v1/verify", invalid: true})
	r.wantProblem(t, http.StatusUnauthorized, "unauthenticated")
	for _, tok := range []string{tokAuditor, tokScrutiny, tokLA} {
		r = h.do(req{method: "POST", path: "/v1/verify", token: tok})
		var rep VerifyReport
		r.decode(t, &rep)
		if r.Status != http.StatusOK || !rep.Intact || rep.Commits != 3 || rep.Summary == "" {
			t.Errorf("verify as %s: %d %+v", tok, r.Status, rep)
		}
	}
	r = h.do(req{method: "GET", path: "/v1/verify", token: tokAuditor})
	r.wantProblem(t, http.StatusMethodNotAllowed, "method_not_allowed")

	// The export is the bundle, with trailers saying it is whole.
	res, err := get(h, "/v1/export", tokAuditor)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("export: %d %v", res.StatusCode, err)
	}
	if res.Header.Get("Content-Type") != "application/jsonl" || res.Trailer.Get(ExportCommitsTrailer) != "3" || res.Trailer.Get(ExportLastSequenceTrailer) == "" {
		t.Errorf("export headers %v trailers %v", res.Header, res.Trailer)
	}
	if rep, err := bundle.Verify(strings.NewReader(string(body))); err != nil || rep.Commits != 3 {
		t.Errorf("exported bundle: %+v %v", rep, err)
	}
	r = h.do(req{method: "GET", path: "/v1/export?kind=laa&area=00EB&from_sequence=1&since=2001-01-01", token: tokScrutiny})
	if r.Status != http.StatusOK {
		t.Errorf("filtered export: %d %s", r.Status, r.Body)
	}
	for bad, docRefuses := range map[string]bool{"from_sequence=0": true, "kind=a.b": true, "since=yesterday": false, "area=00EB": false} {
		r = h.do(req{method: "GET", path: "/v1/export?" + bad, token: tokAuditor, invalid: docRefuses})
		r.wantProblem(t, http.StatusBadRequest, "bad_request")
	}

	// An export that fails half-way is a body that does not end, without
	// the trailers: the client cannot take it for a whole bundle.
	// (A cut within the first buffered kilobytes ends the response before
	// its headers; a later one, mid-body.)
	for _, cut := range []int{100, len(body) - 10} {
		aud.failAfter.Store(int64(cut))
		res, err = get(h, "/v1/export", tokAuditor)
		if err == nil {
			_, err = io.ReadAll(res.Body)
			res.Body.Close()
			if res.Trailer.Get(ExportCommitsTrailer) != "" {
				t.Errorf("cut at %d: trailers %v", cut, res.Trailer)
			}
		}
		if err == nil {
			t.Errorf("an export cut at byte %d read as whole", cut)
		}
	}
}

// An export of a kind or an area the ledger does not have is bad input,
// not an empty bundle that reads as "nothing happened".
func TestExportRefusesAnUnknownKindOrArea(t *testing.T) {
	aud := &storeAuditor{}
	h := newHarness(t, testKinds, func(c *Config) { c.Auditor = aud })
	aud.store = h.ledger.Store
	if r := h.command(tokLA, "apitest.Note", "audit-0", note("00EB", "x"), nil); r.Status != http.StatusCreated {
		t.Fatalf("note: %d %s", r.Status, r.Body)
	}
	for _, tc := range []struct {
		desc, query string
		want        []string
	}{
		{"unknown kind", "kind=nope", append([]string{`"nope"`}, projections.Kinds()...)},
		{"unknown kind with an area", "kind=nope&area=00EB", []string{`"nope"`}},
		{"unknown area", "kind=laa&area=ZZ99", []string{`"ZZ99"`, "/v1/areas"}},
	} {
		r := h.do(req{method: "GET", path: "/v1/export?" + tc.query, token: tokAuditor})
		r.wantProblem(t, http.StatusBadRequest, "bad_request")
		if r.Status != http.StatusBadRequest {
			continue
		}
		detail := r.problem(t).Detail
		for _, w := range tc.want {
			if !strings.Contains(detail, w) {
				t.Errorf("%s: detail %q does not name %s", tc.desc, detail, w)
			}
		}
	}
	for _, ok := range []string{"kind=laa&area=00EB", "kind=laa&area=20", "kind=nis"} {
		if r := h.do(req{method: "GET", path: "/v1/export?" + ok, token: tokAuditor}); r.Status != http.StatusOK {
			t.Errorf("export?%s: %d %s", ok, r.Status, r.Body)
		}
	}
}

func get(h *harness, path, token string) (*http.Response, error) {
	hr, err := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Authorization", "Bearer "+token)
	return h.srv.Client().Do(hr)
}

// A plain date for as_of or known_at is the end of that day, UTC, as the
// CLI's --as-of and --known-at read it.
func TestAsOfTakesAPlainDateAsTheEndOfThatDay(t *testing.T) {
	for _, b := range projections.Bases {
		at, err := parseAsOf(url.Values{b.Param(): {"2009-03-31"}})
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(2009, 3, 31, 23, 59, 59, 999999999, time.UTC)
		if at.Basis != b || !at.At.Equal(want) {
			t.Errorf("%s=2009-03-31: %+v, want %s", b.Param(), at, want)
		}
		at, err = parseAsOf(url.Values{b.Param(): {"2009-03-31T12:00:00+01:00"}})
		if err != nil || !at.At.Equal(time.Date(2009, 3, 31, 11, 0, 0, 0, time.UTC)) {
			t.Errorf("%s RFC 3339: %+v %v", b.Param(), at, err)
		}
		if _, err := parseAsOf(url.Values{b.Param(): {"31/03/2009"}}); err == nil || !strings.Contains(err.Error(), b.Param()) {
			t.Errorf("%s=31/03/2009: %v", b.Param(), err)
		}
	}
}
