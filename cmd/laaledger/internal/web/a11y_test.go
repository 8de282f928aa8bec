package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var (
	tableRe   = regexp.MustCompile(`(?s)<table.*?</table>`)
	controlRe = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	idRe      = regexp.MustCompile(`\bid="([^"]+)"`)
	svgRe     = regexp.MustCompile(`<svg\b[^>]*>`)
)

// checkMarkup checks what a screen reader and a keyboard need: every table
// has header cells and a caption, every visible control a label, every
// image an accessible name, one h1, and a language.
func checkMarkup(t *testing.T, path string, body string) {
	t.Helper()
	if !strings.Contains(body, `<html lang="en-GB">`) {
		t.Errorf("%s: no document language", path)
	}
	if n := strings.Count(body, "<h1"); n != 1 {
		t.Errorf("%s: %d h1 headings, want 1", path, n)
	}
	for _, tb := range tableRe.FindAllString(body, -1) {
		if !strings.Contains(tb, "<th") || !strings.Contains(tb, "<caption") {
			t.Errorf("%s: a table without header cells or caption: %.200s", path, tb)
		}
	}
	for _, c := range controlRe.FindAllString(body, -1) {
		if strings.Contains(c, `type="hidden"`) {
			continue
		}
		id := idRe.FindStringSubmatch(c)
		if id == nil || !strings.Contains(body, `<label for="`+id[1]+`"`) {
			t.Errorf("%s: a control without a label: %s", path, c)
		}
	}
	for _, s := range svgRe.FindAllString(body, -1) {
		if !strings.Contains(s, `role="img"`) || !strings.Contains(s, "aria-labelledby=") {
			t.Errorf("%s: an image without an accessible name: %s", path, s)
		}
	}
	if strings.Contains(body, "<img") {
		t.Errorf("%s: img elements need alt text; the pages draw none", path)
	}
}

func TestEveryPageHasAccessibleMarkup(t *testing.T) {
	s := newSite(t)
	b := s.browser()
	checkMarkup(t, "/sign-in", b.get("/sign-in").Body)
	b.signIn(tokScrutiny)
	for _, path := range []string{
		"/", "/?known_at=2009-01-01", "/?q=hart",
		"/areas/00EB", "/areas/00EB?as_of=2000-01-01", "/areas/00FK",
		"/agreements/00EB/2008-11/targets/NI%20112", "/agreements/00EB/2008-11/targets/NI%20112?known_at=2008-02-20",
		"/indicators/112", "/indicators/154?sort=state",
		"/events/6/0", "/events/2/0?known_at=2008-01-01",
		"/no/such/page",
	} {
		p := b.get(path)
		if p.Status != http.StatusOK && p.Status != http.StatusNotFound {
			t.Errorf("%s: status %d", path, p.Status)
		}
		checkMarkup(t, path, p.Body)
	}
}
