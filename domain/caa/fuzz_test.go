package caa

import (
	"strings"
	"testing"

	"github.com/laaledger/laaledger/domain"
)

// caaCommandTypes are the registered CAA and OA command types, in a stable
// order so a fuzz input's selector byte means the same thing every run.
func caaCommandTypes() []string {
	var out []string
	for _, typ := range kindTypes.CommandTypes() {
		if strings.HasPrefix(typ, domain.KindAreaAssessment+".") || strings.HasPrefix(typ, domain.KindOrgAssessment+".") {
			out = append(out, typ)
		}
	}
	return out
}

func TestCAACommandTypesRegistered(t *testing.T) {
	if got := len(caaCommandTypes()); got != 18 {
		t.Fatalf("registered CAA and OA command types: %d, want 18", got)
	}
	var n int
	for _, typ := range kindTypes.EventTypes() {
		if strings.HasPrefix(typ, "caa.") || strings.HasPrefix(typ, "oa.") {
			n++
		}
	}
	if n != 18 {
		t.Fatalf("registered CAA and OA event types: %d, want 18", n)
	}
}
