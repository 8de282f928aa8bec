package laa

import (
	"errors"
	"testing"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/internal/domaintest"
)

func TestAgreementCorrectionMustNameAnEventOfTheAgreement(t *testing.T) {
	f := newFixture().approved(t)
	f.ctx.History = domain.Past{{EventID: "ev-open", CommandID: "t-0001", OccurredAt: f.at}}
	_, err := f.decide(lspHP, RecordCorrection{Agreement: hpID, CorrectsEventID: "ev-other", Reason: "typo"})
	domaintest.WantRule(t, err, domain.RuleCorrectionUnknownEvent)
	_, err = f.decide(lspHP, RecordCorrection{Agreement: hpID, CorrectsEventID: "ev-open", Reason: "typo"})
	domaintest.NoErr(t, err, "correction by event id")
	_, err = f.decide(lspHP, RecordCorrection{Agreement: hpID, CorrectsEventID: "t-0001#0", Reason: "typo"})
	domaintest.NoErr(t, err, "correction by command id and index")
}

// A FlagView that cannot read a flag fails the decision with its error,
// rather than refusing as if there were no flag.
func TestReopeningFailsWhenTheFlagCannotBeRead(t *testing.T) {
	f := newFixture().refreshOpen(t)
	broken := errors.New("flags unavailable")
	f.ctx.Flags = failingFlags{broken}
	ref := domain.FlagRef{Area: "00EB", Year: 2009, FlagID: "R1"}
	_, err := f.decide(lspHP, ProposeRevision{Agreement: hpID, Target: "NI 112", Ground: GroundCAAReopening, Flag: &ref,
		Values: Values{"2010/11": 9}, Rationale: "r"})
	if !errors.Is(err, broken) || domain.ErrorRule(err) != "" {
		t.Fatalf("got %v (rule %q), want the view's error", err, domain.ErrorRule(err))
	}
}

type failingFlags struct{ err error }

func (v failingFlags) Flag(domain.FlagRef) (domain.FlagInfo, bool, error) {
	return domain.FlagInfo{}, false, v.err
}
