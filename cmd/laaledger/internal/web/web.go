// Package web is the scrutiny committee's read-only web UI: server-rendered
// pages over the ledger's one read side (projections.Reader), for councillors
// and officers who want to find their area, see how each target came to be
// and print it for a meeting.
//
// It has no query logic of its own: every state, round, count and as-of view
// comes from the read side ([Queries]); this package only lays them out. The
// few places that know the domain's types are in view.go, the view-model
// layer. Pages are html/template with embedded assets and no script at all;
// charts are SVG drawn on the server.
//
// Every page needs a session: a sign-in form exchanges one of the API's
// bearer tokens (api.Tokens) for an HttpOnly, SameSite=Strict cookie.
// It must not import the write side (domain/service) or the event store's
// internals; it reads single events through [Commits] and proofs through
// api.Proofs.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
	"github.com/laaledger/laaledger/domain/errcode"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// Queries is the read side the pages show: *projections.Reader is one.
// The methods are those of [projections.Reader]; see it for their errors.
type Queries interface {
	api.Queries
	History(ctx context.Context, agg eventstore.Aggregate, types []string) ([]projections.Entry, error)
	Position() uint64
	// Agreements and Assessments are the read models that list what the
	// ledger holds (List, Areas), for the home page's directory; the pages
	// ask State for anything they show of one aggregate, so that as-of
	// views and current ones come from the same place.
	Agreements() *projections.Agreements
	Assessments() *projections.Assessments
}

// Commits reads one stored commit with its events' hash chain:
// *eventstore.Store is one. The read models keep no hash chain, so the
// event page asks the ledger itself.
type Commits interface {
	Commit(ctx context.Context, seq uint64) (*eventstore.Commit, error)
}

// Config is what the UI needs. Queries and Tokens are required.
type Config struct {
	Queries Queries
	Tokens  *api.Tokens
	// Commits, if set, lets the event page show an event's hash chain.
	Commits Commits
	// Proofs, if set, lets the event page show the event's inclusion proof
	// verified against the latest signed checkpoint.
	Proofs api.Proofs
	// SessionTTL is how long a sign-in lasts; default DefaultSessionTTL.
	SessionTTL time.Duration
	// Logger receives errors the pages could not show; default discards.
	Logger *slog.Logger
	// Now is the clock for session expiry; default time.Now.
	Now func() time.Time
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// contentSecurityPolicy allows nothing but this site's stylesheet and
// forms; the pages carry no script and may not be framed.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Handler serves the UI. It is an http.Handler.
type Handler struct {
	cfg      Config
	log      *slog.Logger
	sessions *sessions
	pages    map[string]*template.Template
	mux      *http.ServeMux
}

// New checks the configuration and parses the templates.
func New(cfg Config) (*Handler, error) {
	if cfg.Queries == nil {
		return nil, errors.New("web: Config.Queries is required")
	}
	if cfg.Tokens == nil {
		return nil, errors.New("web: Config.Tokens is required")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{cfg: cfg, log: cfg.Logger, sessions: newSessions(cfg.SessionTTL, cfg.Now), pages: map[string]*template.Template{}, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		h.pages[name] = t
	}
	static, _ := fs.Sub(staticFS, "static")
	m := h.mux
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	})
	m.HandleFunc("GET /sign-in", h.signInForm)
	m.HandleFunc("POST /sign-in", h.signIn)
	m.HandleFunc("POST /sign-out", h.authed(h.signOut))
	m.HandleFunc("GET /{$}", h.authed(h.home))
	m.HandleFunc("GET /areas/{area}", h.authed(h.area))
	m.HandleFunc("GET /agreements/{area}/{period}/targets/{target}", h.authed(h.target))
	m.HandleFunc("GET /agreements/{area}/{period}/targets/{target}/{file}", h.authed(func(w http.ResponseWriter, r *http.Request, p *page) {
		if r.PathValue("file") != "rounds.csv" {
			h.fail(w, r, p, http.StatusNotFound, "There is no page at "+r.URL.Path+".")
			return
		}
		h.target(w, r, p)
	}))
	m.HandleFunc("GET /indicators/{number}", h.authed(h.indicator))
	m.HandleFunc("GET /events/{seq}/{index}", h.authed(h.event))
	m.HandleFunc("/", h.authed(func(w http.ResponseWriter, r *http.Request, p *page) {
		h.fail(w, r, p, http.StatusNotFound, "There is no page at "+r.URL.Path+".")
	}))
	return h, nil
}

// ServeHTTP sets the security headers every response carries and serves
// the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		hd.Set("Cache-Control", "no-store")
	}
	h.mux.ServeHTTP(w, r)
}

// page is what every template gets beside its own data: who is signed in,
// the as-of point of the view and the links that change it.
type page struct {
	Title   string
	Session session
	AsOf    projections.AsOf
	// Path is the page's path without its query, for the as-of form and
	// the link back to now.
	Path     string
	Position uint64
	Data     any
}

// Label is the as-of banner's wording.
func (p *page) Label() string {
	if p.AsOf.Basis == projections.Current || p.AsOf.Basis == "" {
		return ""
	}
	return p.AsOf.Basis.Phrase() + " " + p.AsOf.At.Format("2 January 2006, 15:04:05 MST")
}

// Historic reports whether the page shows a past point.
func (p *page) Historic() bool { return p.Label() != "" }

// Param is the query string that keeps the page's as-of point on links.
func (p *page) Param() string {
	if !p.Historic() {
		return ""
	}
	return "?" + url.Values{p.AsOf.Basis.Param(): {p.AsOf.At.Format(time.RFC3339Nano)}}.Encode()
}

// BasisValue is the as-of form's selected basis.
func (p *page) BasisValue() string {
	if !p.Historic() {
		return projections.Known.Param()
	}
	return p.AsOf.Basis.Param()
}

// DateValue is the as-of form's date.
func (p *page) DateValue() string {
	if !p.Historic() {
		return ""
	}
	return p.AsOf.At.Format(time.DateOnly)
}

type pageHandler func(w http.ResponseWriter, r *http.Request, p *page)

// authed runs h only for a signed-in browser; anyone else is sent to the
// sign-in page and brought back afterwards.
func (h *Handler) authed(next pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var ss session
		ok := false
		if c, err := r.Cookie(sessionCookie); err == nil {
			ss, ok = h.sessions.get(c.Value)
		}
		if !ok {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				http.Error(w, "sign in first", http.StatusForbidden)
				return
			}
			http.Redirect(w, r, "/sign-in?"+url.Values{"next": {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
			return
		}
		p := &page{Session: ss, Path: r.URL.Path, Position: h.cfg.Queries.Position()}
		at, err := parseAsOf(r.URL.Query())
		if err != nil {
			h.fail(w, r, p, http.StatusBadRequest, err.Error())
			return
		}
		p.AsOf = at
		next(w, r, p)
	}
}

// parseAsOf reads ?as_of= or ?known_at= as the API does, and also a bare
// date (the form's), which means the end of that day in UTC, as on the
// command line.
func parseAsOf(q url.Values) (projections.AsOf, error) {
	rec, known := q.Get(projections.Recorded.Param()), q.Get(projections.Known.Param())
	if rec != "" && known != "" {
		return projections.AsOf{}, fmt.Errorf("give %s (%s) or %s (%s), not both",
			projections.Recorded.Param(), projections.Recorded.Phrase(), projections.Known.Param(), projections.Known.Phrase())
	}
	// The as-of form sends its basis and date separately.
	if b, d := q.Get("basis"), q.Get("date"); d != "" && rec == "" && known == "" {
		switch b {
		case projections.Recorded.Param():
			rec = d
		case projections.Known.Param(), "":
			known = d
		default:
			return projections.AsOf{}, fmt.Errorf("basis %q: want %s or %s", b, projections.Recorded.Param(), projections.Known.Param())
		}
	}
	for _, c := range []struct {
		b projections.Basis
		v string
	}{{projections.Recorded, rec}, {projections.Known, known}} {
		if c.v == "" {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, c.v); err == nil {
			return projections.AsOf{Basis: c.b, At: t.UTC()}, nil
		}
		if t, err := time.Parse(time.DateOnly, c.v); err == nil {
			return projections.AsOf{Basis: c.b, At: t.Add(24*time.Hour - time.Nanosecond)}, nil
		}
		return projections.AsOf{}, fmt.Errorf("%s must be a date (YYYY-MM-DD) or an RFC 3339 time, not %q", c.b.Param(), c.v)
	}
	return projections.AsOf{Basis: projections.Current}, nil
}

// render writes a page with its status.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := h.pages[name]
	if !ok {
		panic("web: no template " + name)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		h.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "the page could not be drawn", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// fail shows an error page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, p *page, status int, msg string) {
	if p == nil {
		p = &page{}
	}
	p.Title = http.StatusText(status)
	p.Data = msg
	h.render(w, r, status, "error", p)
}

// failErr shows a read-side error with the status its code calls for.
func (h *Handler) failErr(w http.ResponseWriter, r *http.Request, p *page, err error) {
	status := http.StatusInternalServerError
	msg := "The ledger could not answer: " + err.Error()
	switch errcode.Of(err) {
	case errcode.ENOTFOUND:
		status, msg = http.StatusNotFound, "Not found: "+err.Error()
	case errcode.EINVALID:
		status = http.StatusBadRequest
	case errcode.EUNAVAILABLE:
		status = http.StatusServiceUnavailable
	default:
		h.log.ErrorContext(r.Context(), "read side", "path", r.URL.Path, "err", err)
	}
	h.fail(w, r, p, status, msg)
}

func (h *Handler) signInForm(w http.ResponseWriter, r *http.Request) {
	h.showSignIn(w, r, http.StatusOK, "")
}

// showSignIn renders the form with a fresh CSRF token, set as a cookie and
// as a hidden field: a form posted from elsewhere carries neither.
func (h *Handler) showSignIn(w http.ResponseWriter, r *http.Request, status int, problem string) {
	// Keep the browser's token if it has one: a second sign-in page loaded
	// meanwhile (another tab, or the favicon request redirected here) must
	// not invalidate the form already shown.
	tok := ""
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == len(randomToken()) {
		tok = c.Value
	} else {
		tok = randomToken()
	}
	setCookie(w, r, csrfCookie, tok, 3600)
	h.render(w, r, status, "signin", &page{Title: "Sign in", Path: "/sign-in", Data: signInData{
		CSRF: tok, Next: safeNext(r.FormValue("next")), Problem: problem,
	}})
}

type signInData struct {
	CSRF, Next, Problem string
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || !sameToken(c.Value, r.PostFormValue("csrf")) || !sameOrigin(r) {
		h.showSignIn(w, r, http.StatusForbidden, "The form had expired or did not come from this site. Please try again.")
		return
	}
	actor, ok := h.cfg.Tokens.Authenticate(strings.TrimSpace(r.PostFormValue("token")))
	if !ok {
		h.showSignIn(w, r, http.StatusUnauthorized, "That token is not valid.")
		return
	}
	id, _ := h.sessions.create(actor.ID, actor.String())
	setCookie(w, r, csrfCookie, "", -1)
	setCookie(w, r, sessionCookie, id, int(h.cfg.SessionTTL/time.Second))
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, p *page) {
	if !sameToken(p.Session.csrf, r.PostFormValue("csrf")) || !sameOrigin(r) {
		h.fail(w, r, p, http.StatusForbidden, "The sign-out form did not come from this page.")
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		h.sessions.end(c.Value)
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
}

// Actor is the signed-in actor's name for the page header.
func (s session) Actor() string { return s.actor }

// CSRF is the session's token for its own forms.
func (s session) CSRF() string { return s.csrf }

func atoiPositive(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

var funcs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
	"mul": func(a, b int) int { return a * b },
	// corrections hands the "corrections" block its rows and the page's
	// as-of parameter.
	"corrections": func(param string, rows []correctionLink) correctionsBlock {
		return correctionsBlock{Param: param, Rows: rows}
	},
	"score": func(n int) string {
		if n == 0 {
			return "none"
		}
		return strconv.Itoa(n)
	},
}

// SignedIn reports whether the page is shown to a signed-in browser.
func (s session) SignedIn() bool { return s.actorID != "" }
