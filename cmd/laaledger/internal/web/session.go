package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Cookie names. The session cookie holds only a random id; the actor and
// the expiry stay on the server.
const (
	sessionCookie = "laaledger_session"
	csrfCookie    = "laaledger_signin_csrf"
)

// DefaultSessionTTL is how long a session lasts after sign-in.
const DefaultSessionTTL = 8 * time.Hour

// session is one signed-in browser: the actor its token stood for (its
// id and how it reads), and the token that guards its own forms (sign-out).
type session struct {
	actorID, actor string
	csrf           string
	expires        time.Time
}

// sessions keeps the signed-in browsers in memory: a restart signs
// everyone out, which for a read-only UI is acceptable. It is safe for
// concurrent use.
type sessions struct {
	mu  sync.Mutex
	ttl time.Duration
	now func() time.Time
	m   map[string]session
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{ttl: ttl, now: now, m: map[string]session{}}
}

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session for an actor and returns its id.
func (s *sessions) create(actorID, actor string) (string, session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for id, ss := range s.m { // sweep: a few hundred sessions at most
		if !now.Before(ss.expires) {
			delete(s.m, id)
		}
	}
	id := randomToken()
	ss := session{actorID: actorID, actor: actor, csrf: randomToken(), expires: now.Add(s.ttl)}
	s.m[id] = ss
	return id, ss
}

// get returns the live session of id.
func (s *sessions) get(id string) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.m[id]
	if !ok {
		return session{}, false
	}
	if !s.now().Before(ss.expires) {
		delete(s.m, id)
		return session{}, false
	}
	return ss, true
}

func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// sameToken compares two secrets in constant time; empty never matches.
func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// setCookie sets a cookie the page's scripts cannot read, sent only to
// this site, and only over TLS when the request came over TLS.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

// safeNext keeps a post-sign-in destination on this site: a path, never
// another origin ("//host", "/\host") or a scheme.
func safeNext(next string) string {
	if next == "" || next[0] != '/' {
		return "/"
	}
	// Browsers drop tabs and line breaks from URLs and read a backslash
	// as a slash, so "/\t/host" and "/\\host" lead off the site too.
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	if strings.HasPrefix(next, "//") {
		return "/"
	}
	return next
}

// sameOrigin refuses a form posted from another site when the browser
// says where it came from (current browsers always do for a POST). Only
// the host is compared: behind a proxy that terminates TLS the scheme the
// browser used is not the request's.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && u.Host == r.Host
}
