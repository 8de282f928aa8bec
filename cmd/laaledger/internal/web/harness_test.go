package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
	"github.com/laaledger/laaledger/cmd/laaledger/internal/web"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/notary"
	"github.com/laaledger/laaledger/projections"
)

// Demo tokens the tests sign in with.
const (
	tokScrutiny = "demo-scrutiny-hartlepool"
	tokAuditor  = "demo-auditor-readonly"
)

// site is the demo ledger served as `serve --demo` serves it: the API with
// the web UI as its fallback, on a loopback port.
type site struct {
	t      testing.TB
	srv    *httptest.Server
	reader *projections.Reader
	store  *eventstore.Store
}

// newSite loads the demo history into a fresh embedded ledger, runs the
// projections up to its last commit, signs a checkpoint and serves it all.
func newSite(t testing.TB) *site {
	t.Helper()
	ctx := context.Background()
	l := estest.Open(t)
	svc := service.New(l.Store, service.Kinds())
	if _, err := svc.RunSteps(ctx, service.DemoSteps()); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	q, err := projections.OpenReader(ctx, projections.Config{Store: l.Store, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- q.Runner().Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("projections: %v", err)
		}
	})
	last, err := l.Store.LastSequence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := q.WaitFor(wctx, last); err != nil {
		t.Fatal(err)
	}
	k, err := notary.LoadOrCreateKey(filepath.Join(t.TempDir(), "notary.key"), notary.DefaultOrigin(eventstore.DefaultStream))
	if err != nil {
		t.Fatal(err)
	}
	nt, err := notary.Open(ctx, l.Store, notary.Config{Key: k})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nt.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := nt.Issue(ctx); err != nil {
		t.Fatal(err)
	}
	tokens, err := api.NewTokens(api.DemoTokens())
	if err != nil {
		t.Fatal(err)
	}
	ui, err := web.New(web.Config{Queries: q, Tokens: tokens, Commits: l.Store, Proofs: nt})
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.New(api.Config{Executor: svc, Queries: q, Progress: q, Feed: l.Store, Tokens: tokens, Proofs: nt, Fallback: ui})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return &site{t: t, srv: srv, reader: q, store: l.Store}
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so that tests see them.
type browser struct {
	t testing.TB
	s *site
	c *http.Client
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is a response read whole.
type page struct {
	Status int
	Header http.Header
	Body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{resp.StatusCode, resp.Header, string(body)}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.s.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values, origin string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.s.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token of the first form of a page.
func csrf(t testing.TB, p page) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%s", p.Body)
	}
	return m[1]
}

// signIn signs the browser in with token and returns the page it lands on.
func (b *browser) signIn(token string) page {
	b.t.Helper()
	form := b.get("/sign-in")
	p := b.post("/sign-in", url.Values{"csrf": {csrf(b.t, form)}, "token": {token}, "next": {"/"}}, b.s.srv.URL)
	if p.Status != http.StatusSeeOther {
		b.t.Fatalf("sign in: status %d, want 303:\n%s", p.Status, p.Body)
	}
	return p
}
