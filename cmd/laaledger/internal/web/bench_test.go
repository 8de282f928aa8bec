package web_test

import (
	"net/http"
	"testing"
)

// BenchmarkPages renders each page over the demo ledger through the whole
// server (API mux, session check, read side, template), one request at a
// time, and reports the time per page.
func BenchmarkPages(b *testing.B) {
	s := newSite(b)
	br := s.browser()
	br.signIn(tokScrutiny)
	for _, p := range []struct{ name, path string }{
		{"home", "/"},
		{"area", "/areas/00EB"},
		{"area_as_of", "/areas/00EB?known_at=2009-06-30"},
		{"target", "/agreements/00EB/2008-11/targets/NI%20112"},
		{"indicator", "/indicators/154"},
		{"event", "/events/6/0"},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				if got := br.get(p.path); got.Status != http.StatusOK {
					b.Fatalf("%s: %d", p.path, got.Status)
				}
			}
		})
	}
}
