package web_test

import (
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func mustContain(t *testing.T, p page, want ...string) {
	t.Helper()
	body := html.UnescapeString(p.Body)
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page does not contain %q:\n%s", w, body)
		}
	}
}

func mustStatus(t *testing.T, p page, want int) {
	t.Helper()
	if p.Status != want {
		t.Fatalf("status %d, want %d:\n%s", p.Status, want, p.Body)
	}
}

// signedIn starts the demo site and a browser signed in to it with token.
func signedIn(t *testing.T, token string) (*site, *browser) {
	t.Helper()
	s := newSite(t)
	b := s.browser()
	b.signIn(token)
	return s, b
}

// mustShow gets path and requires a 200 and each of want in the page.
func mustShow(t *testing.T, b *browser, path string, want ...string) page {
	t.Helper()
	p := b.get(path)
	mustStatus(t, p, http.StatusOK)
	mustContain(t, p, want...)
	return p
}

func TestEveryPageRedirectsToSignInWithoutASession(t *testing.T) {
	s := newSite(t)
	b := s.browser()
	for _, path := range []string{"/", "/areas/00EB", "/agreements/00EB/2008-11/targets/NI%20112", "/indicators/112", "/events/2/0", "/nowhere"} {
		p := b.get(path)
		mustStatus(t, p, http.StatusSeeOther)
		loc, _ := url.Parse(p.Header.Get("Location"))
		if loc.Path != "/sign-in" || loc.Query().Get("next") == "" {
			t.Errorf("%s: redirect to %s, want /sign-in?next=…", path, loc)
		}
	}
	// A forged cookie is no session.
	u, _ := url.Parse(s.srv.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "laaledger_session", Value: "forged"}})
	mustStatus(t, b.get("/"), http.StatusSeeOther)
	// The API keeps its own answers and its bearer tokens.
	if p := b.get("/v1/dashboard"); p.Status != http.StatusUnauthorized {
		t.Errorf("/v1/dashboard without a token: %d, want 401", p.Status)
	}
	if p := b.get("/v1/nothing"); p.Status != http.StatusNotFound || !strings.Contains(p.Header.Get("Content-Type"), "problem+json") {
		t.Errorf("/v1/nothing: %d %s, want a 404 problem", p.Status, p.Header.Get("Content-Type"))
	}
	if p := b.get("/healthz"); p.Status != http.StatusOK {
		t.Errorf("/healthz: %d", p.Status)
	}
}

func TestSignInSetsAStrictHttpOnlyCookieAndReturnsToThePageAsked(t *testing.T) {
	s := newSite(t)
	b := s.browser()
	form := mustShow(t, b, "/sign-in?next=%2Fareas%2F00EB", `<label for="token">Access token</label>`)
	p := b.post("/sign-in", url.Values{"csrf": {csrf(t, form)}, "token": {tokScrutiny}, "next": {"/areas/00EB"}}, s.srv.URL)
	mustStatus(t, p, http.StatusSeeOther)
	if got := p.Header.Get("Location"); got != "/areas/00EB" {
		t.Errorf("redirect to %q, want /areas/00EB", got)
	}
	var cookie string
	for _, c := range p.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "laaledger_session=") {
			cookie = c
		}
	}
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("session cookie %q is Secure over plain HTTP", cookie)
	}
	mustShow(t, b, "/", "Signed in as demo.scrutiny.hartlepool")
}

func TestSignInRefusesAFormWithoutItsCSRFToken(t *testing.T) {
	s := newSite(t)
	for _, c := range []struct {
		desc   string
		form   func(token string) url.Values
		origin string
	}{
		{"no token", func(string) url.Values { return url.Values{"token": {tokScrutiny}} }, ""},
		{"wrong token", func(string) url.Values { return url.Values{"csrf": {"guess"}, "token": {tokScrutiny}} }, ""},
		{"other origin", func(tok string) url.Values { return url.Values{"csrf": {tok}, "token": {tokScrutiny}} }, "https://evil.example"},
	} {
		t.Run(c.desc, func(t *testing.T) {
			b := s.browser()
			tok := csrf(t, b.get("/sign-in"))
			p := b.post("/sign-in", c.form(tok), c.origin)
			mustStatus(t, p, http.StatusForbidden)
			mustContain(t, p, "did not come from this site")
			mustStatus(t, b.get("/"), http.StatusSeeOther)
		})
	}
	t.Run("bad bearer token", func(t *testing.T) {
		b := s.browser()
		p := b.post("/sign-in", url.Values{"csrf": {csrf(t, b.get("/sign-in"))}, "token": {"demo-not-a-token-at-all"}}, "")
		mustStatus(t, p, http.StatusUnauthorized)
		mustContain(t, p, "That token is not valid.")
	})
	t.Run("off-site next", func(t *testing.T) {
		b := s.browser()
		p := b.post("/sign-in", url.Values{"csrf": {csrf(t, b.get("/sign-in"))}, "token": {tokScrutiny}, "next": {"//evil.example/"}}, "")
		mustStatus(t, p, http.StatusSeeOther)
		if got := p.Header.Get("Location"); got != "/" {
			t.Errorf("redirect to %q, want /", got)
		}
	})
}

func TestSignOutEndsTheSessionAndNeedsItsToken(t *testing.T) {
	s, b := signedIn(t, tokAuditor)
	home := b.get("/")
	mustStatus(t, b.post("/sign-out", url.Values{"csrf": {"forged"}}, ""), http.StatusForbidden)
	mustStatus(t, b.get("/"), http.StatusOK)
	p := b.post("/sign-out", url.Values{"csrf": {csrf(t, home)}}, s.srv.URL)
	mustStatus(t, p, http.StatusSeeOther)
	mustStatus(t, b.get("/"), http.StatusSeeOther)
}

func TestPagesCarrySecurityHeaders(t *testing.T) {
	_, b := signedIn(t, tokScrutiny)
	for _, path := range []string{"/sign-in", "/", "/areas/00EB"} {
		p := b.get(path)
		csp := p.Header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: CSP %q lacks %s", path, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(p.Body, "<script") {
			t.Errorf("%s: inline script allowed or present", path)
		}
		if got := p.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", path, got)
		}
	}
	mustShow(t, b, "/static/style.css", "@media print")
}

func TestHomeListsRegionsAreasAndCounts(t *testing.T) {
	_, b := signedIn(t, tokScrutiny)
	mustShow(t, b, "/", "Agreements by region", "North East", "Hartlepool", `href="/areas/00EB"`,
		"Standing CAA flags by colour", `<a href="/indicators/112">NI 112</a>`, "now</strong>")
	// Search: a name filters, a code or an indicator goes straight there.
	f := mustShow(t, b, "/?q=hartle", "Hartlepool")
	if strings.Contains(f.Body, "Barnet") {
		t.Error("search for hartle lists Barnet")
	}
	for q, want := range map[string]string{"00EB": "/areas/00EB", "NI 112": "/indicators/112", "12": "/areas/12", "ni 12": "/indicators/12"} {
		r := b.get("/?q=" + url.QueryEscape(q))
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != want {
			t.Errorf("search %q: %d to %q, want %s", q, r.Status, r.Header.Get("Location"), want)
		}
	}
}

func TestAreaPageShowsTargetsByKindAndCAAFlags(t *testing.T) {
	_, b := signedIn(t, tokScrutiny)
	mustShow(t, b, "/areas/00EB", "<h1>Hartlepool</h1>", "Local Area Agreement 00EB/2008-11", "Designated targets", "Statutory DCSF", "Local targets",
		"NI 112", "Under 18 conception rate", "refreshed", "57.9", // the revised 2008/09 outturn
		"Teenage pregnancy", `class="flag red"`, "upheld", "Organisational assessment 2009")
	// Oldham's corrected outturn: the correction links to what it corrects.
	ol := mustShow(t, b, "/areas/00BP", "Corrections recorded", "Connexions return")
	if !regexp.MustCompile(`Corrections recorded.*?<a href="/events/\d+/\d+"><code>`).MatchString(strings.ReplaceAll(ol.Body, "\n", " ")) {
		t.Error("the correction does not link to the event it corrects")
	}
	mustStatus(t, b.get("/areas/ZZZZ"), http.StatusNotFound)
	// Before the agreement was opened there is none.
	mustShow(t, b, "/areas/00EB?known_at=2007-12-31", "as now known at 31 December 2007", "No agreement for 2008-11 is recorded", "Back to now")
}

func TestTargetPageShowsRoundsChangesOutturnsAndChart(t *testing.T) {
	_, b := signedIn(t, tokScrutiny)
	mustShow(t, b, "/agreements/00EB/2008-11/targets/NI%20112", "Hartlepool: NI 112", "Round 1: Proposed", "Round 2: Counter proposed", "Agreed",
		"hartlepool-lsp-manager", "GO asks for more stretch", `class="num chg down">-2</td>`,
		"<svg", "Agreed trajectory", "revision 1", "superseded", `href="/events/6/0"`)
	// As known before the agreement: countered, later rounds marked.
	mustShow(t, b, "/agreements/00EB/2008-11/targets/NI%20112?known_at=2008-02-20",
		"as now known at 20 February 2008", `<span class="state countered">countered</span>`, `class="later-tag">later</span>`)
	mustStatus(t, b.get("/agreements/00EB/2008-11/targets/NI%20999"), http.StatusNotFound)
	mustStatus(t, b.get("/agreements/00EB/2008-11/targets/NI%20112?known_at=yesterday"), http.StatusBadRequest)
}

func TestIndicatorPageListsEveryAreaAndSorts(t *testing.T) {
	_, b := signedIn(t, tokScrutiny)
	mustShow(t, b, "/indicators/154", "NI 154", "Net additional homes provided", "Hartlepool", "sorted by area")
	r := b.get("/indicators/154?sort=region")
	mustContain(t, r, "sorted by region", `aria-sort="ascending"`)
	mustStatus(t, b.get("/indicators/0"), http.StatusNotFound)
}

func TestEventPageShowsTheChainAndAVerifiedInclusionProof(t *testing.T) {
	_, b := signedIn(t, tokAuditor)
	mustShow(t, b, "/events/6/0", "laa.TargetProposed", "prev_hash", "matches prev_hash", "recomputed: matches", `href="/events/2/0"`,
		"Verified:", "Audit path")
	first := b.get("/events/2/0")
	mustContain(t, first, "zero hash: start of the chain")
	mustStatus(t, b.get("/events/999999/0"), http.StatusNotFound)
	later := b.get("/events/6/0?as_of=2000-01-01")
	mustContain(t, later, "as recorded at 1 January 2000", "had not recorded it")
}

func TestRoundsCSVMatchesTheAPI(t *testing.T) {
	s, b := signedIn(t, tokScrutiny)
	page := b.get("/agreements/00EB/2008-11/targets/NI%20112")
	mustContain(t, page, `href="/agreements/00EB/2008-11/targets/NI%20112/rounds.csv"`)
	p := b.get("/agreements/00EB/2008-11/targets/NI%20112/rounds.csv")
	mustStatus(t, p, http.StatusOK)
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type %q", ct)
	}
	if cd := p.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
		t.Errorf("content disposition %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := apiRounds(t, s, "/v1/agreements/00EB/2008-11/targets/NI%20112/rounds")
	if len(rows) != len(want.Rounds)+1 {
		t.Fatalf("%d rows, want a header and %d rounds", len(rows), len(want.Rounds))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for i, r := range want.Rounds {
		row := rows[i+1]
		if row[col["event_id"]] != r.EventID || row[col["by"]] != r.By.ID || row[col["event"]] != r.Type {
			t.Errorf("row %d: %v, want round %+v", i+1, row, r)
		}
		for y, v := range r.Values {
			if got := row[col["value "+y]]; got != strconv.FormatFloat(v, 'f', -1, 64) {
				t.Errorf("row %d %s: %q, want %v", i+1, y, got, v)
			}
		}
	}
	old := b.get("/agreements/00EB/2008-11/targets/NI%20112/rounds.csv?known_at=2008-02-20")
	if !strings.Contains(old.Body, ",true,") {
		t.Error("as-of CSV marks no round after the view's point")
	}
	mustStatus(t, b.get("/agreements/00EB/2008-11/targets/NI%20112/other.csv"), http.StatusNotFound)
}
