package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSessionsExpire(t *testing.T) {
	now := time.Date(2009, 12, 10, 9, 0, 0, 0, time.UTC)
	s := newSessions(time.Hour, func() time.Time { return now })
	id, _ := s.create("demo.scrutiny.hartlepool", "demo.scrutiny.hartlepool (scrutiny, 00EB)")
	if _, ok := s.get(id); !ok {
		t.Fatal("new session not found")
	}
	now = now.Add(59 * time.Minute)
	if _, ok := s.get(id); !ok {
		t.Fatal("session gone before its hour")
	}
	now = now.Add(time.Minute)
	if _, ok := s.get(id); ok {
		t.Fatal("session alive after its hour")
	}
	if _, ok := s.get("no-such-id"); ok {
		t.Fatal("unknown id accepted")
	}
}

func TestSafeNextStaysOnTheSite(t *testing.T) {
	for _, c := range []struct{ desc, in, want string }{
		{"path", "/areas/00EB?known_at=2009-01-01", "/areas/00EB?known_at=2009-01-01"},
		{"empty", "", "/"},
		{"protocol-relative", "//evil.example/", "/"},
		{"backslash", "/\\evil.example", "/"},
		{"absolute", "https://evil.example/", "/"},
		{"header injection", "/a\r\nSet-Cookie: x=y", "/"},
		{"tab between slashes", "/\t/evil.example", "/"},
		{"escaped slash stays a path", "/%2F/evil.example", "/%2F/evil.example"},
	} {
		if got := safeNext(c.in); got != c.want {
			t.Errorf("%s: safeNext(%q) = %q, want %q", c.desc, c.in, got, c.want)
		}
	}
}

func TestSameOriginComparesTheHost(t *testing.T) {
	for _, c := range []struct {
		desc, origin string
		want         bool
	}{
		{"no origin header", "", true},
		{"same host", "http://ledger.example:8080", true},
		{"same host through a TLS proxy", "https://ledger.example:8080", true},
		{"other host", "https://evil.example", false},
		{"opaque origin", "null", false},
	} {
		r := httptest.NewRequest(http.MethodPost, "http://ledger.example:8080/sign-in", nil)
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if got := sameOrigin(r); got != c.want {
			t.Errorf("%s: sameOrigin = %v, want %v", c.desc, got, c.want)
		}
	}
}

func TestSessionCookieIsSecureUnderTLS(t *testing.T) {
	tokens := mustDemoTokens(t)
	h, err := New(Config{Queries: nilQueries{}, Tokens: tokens})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	form, err := c.Get(srv.URL + "/sign-in")
	if err != nil {
		t.Fatal(err)
	}
	form.Body.Close()
	var csrf string
	for _, ck := range form.Cookies() {
		if ck.Name == csrfCookie {
			csrf = ck.Value
			if !ck.Secure {
				t.Error("CSRF cookie not Secure under TLS")
			}
		}
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/sign-in", strings.NewReader(url.Values{"csrf": {csrf}, "token": {"demo-scrutiny-hartlepool"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: csrfCookie, Value: csrf})
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	found := false
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			found = true
			if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
				t.Errorf("session cookie under TLS: %+v", ck)
			}
		}
	}
	if !found {
		t.Fatalf("no session cookie; status %d", resp.StatusCode)
	}
}
