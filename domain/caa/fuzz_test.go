package caa

import (
	"testing"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/internal/domaintest"
)

// caaCommandTypes are the registered CAA and OA command types, in a stable
// order so a fuzz input's selector byte means the same thing every run.
func caaCommandTypes() []string {
	return domaintest.OfKinds(kindTypes.CommandTypes(), domain.KindAreaAssessment, domain.KindOrgAssessment)
}

func TestCAACommandTypesRegistered(t *testing.T) {
	if got := len(caaCommandTypes()); got != 18 {
		t.Fatalf("registered CAA and OA command types: %d, want 18", got)
	}
	if n := len(domaintest.OfKinds(kindTypes.EventTypes(), domain.KindAreaAssessment, domain.KindOrgAssessment)); n != 18 {
		t.Fatalf("registered CAA and OA event types: %d, want 18", n)
	}
}
