package laa

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/internal/domaintest"
)

// checkInPlaceFoldsLikeApply folds events with Apply and with ApplyInPlace
// side by side and fails at the first event after which the two states
// differ. Along the way it takes clones of the in-place state and checks at
// the end that later in-place folds left each clone as it was.
func checkInPlaceFoldsLikeApply(t *testing.T, desc string, events []domain.Event) Agreement {
	t.Helper()
	var (
		cow, own Agreement
		clones   []Agreement
		want     []Agreement
	)
	for i, e := range events {
		cow = cow.Apply(e)
		own.ApplyInPlace(e)
		if !reflect.DeepEqual(own, cow) {
			t.Fatalf("%s: after event %d (%s) the in-place fold differs:\n got %s\nwant %s", desc, i, e.EventType(), domaintest.Show(own), domaintest.Show(cow))
		}
		if i%7 == 0 {
			clones, want = append(clones, own.Clone()), append(want, cow)
		}
	}
	for i := range clones {
		if !reflect.DeepEqual(clones[i], want[i]) {
			t.Fatalf("%s: clone %d changed after later in-place folds:\n got %s\nwant %s", desc, i, domaintest.Show(clones[i]), domaintest.Show(want[i]))
		}
	}
	return own
}

// randomAgreementEvents is a history of n events of every agreement event
// type, on a few targets and years, not decided: the folds accept any
// sequence, so this reaches orders no decision would produce.
func randomAgreementEvents(r *rand.Rand, n int) []domain.Event {
	at := time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)
	targets := []string{"NI 112", "NI 152", "L01", "L02", "NI 4"}
	years := []string{"2008/09", "2009/10", "2010/11"}
	key := func() string { return targets[r.Intn(len(targets))] }
	year := func() string { return years[r.Intn(len(years))] }
	side := func() Side { return []Side{SideLocal, SideGO}[r.Intn(2)] }
	values := func() Values {
		if r.Intn(5) == 0 {
			return nil
		}
		v := Values{}
		for _, y := range years[:1+r.Intn(len(years))] {
			v[y] = float64(r.Intn(100))
		}
		return v
	}
	baseline := func() *Baseline {
		if r.Intn(2) == 0 {
			return nil
		}
		return &Baseline{Value: float64(r.Intn(50)), Year: "2007/08"}
	}
	flag := func() *domain.FlagRef {
		if r.Intn(2) == 0 {
			return nil
		}
		return &domain.FlagRef{Area: "00EB", Year: 2009, FlagID: "red-1"}
	}
	out := []domain.Event{AgreementOpened{Area: "00EB", AreaName: "Hartlepool", Region: "North East", Period: "2008-11", At: at}}
	for len(out) < n {
		at = at.Add(time.Duration(r.Intn(72)-12) * time.Hour)
		var e domain.Event
		switch r.Intn(19) {
		case 0, 1:
			e = TargetProposed{Target: key(), NI: r.Intn(3) * 56, Title: "t", Kind: TargetKind("designated"), Baseline: baseline(),
				Values: values(), Rationale: "r", Round: 1 + r.Intn(3), Side: side(), ProposedBy: "p", At: at}
		case 2:
			e = TargetCounterProposed{Target: key(), Baseline: baseline(), Values: values(), Round: 2, Side: side(), ProposedBy: "q", At: at}
		case 3:
			e = TargetAgreed{Target: key(), Round: 2, Baseline: baseline(), Values: values(), AcceptedBySide: side(), At: at}
		case 4:
			e = TargetWithdrawn{Target: key(), Reason: "w", Side: side(), At: at}
		case 5:
			e = AgreementAdopted{At: at}
		case 6:
			e = AgreementSubmitted{At: at}
		case 7:
			e = AgreementApproved{LockdownFrom: at.Add(24 * time.Hour), At: at}
		case 8:
			e = SelfAssessmentSubmitted{Year: year(), At: at}
		case 9:
			e = AnnualReviewHeld{Year: year(), At: at}
		case 10:
			e = AnnualReviewReportSent{Year: year(), At: at}
		case 11:
			e = RefreshOpened{Year: year(), At: at}
		case 12:
			e = RefreshRevisionProposed{Target: key(), Ground: GroundPlaceSurvey, Flag: flag(), Values: values(), Round: 1, Side: side(), At: at}
		case 13:
			e = RefreshRevisionCountered{Target: key(), Ground: GroundCAAReopening, Values: values(), Round: 2, Side: side(), At: at}
		case 14:
			e = RefreshRevisionAgreed{Target: key(), Ground: GroundYearThreeTarget, Values: values(), Baseline: baseline(), At: at}
		case 15:
			e = RefreshAdopted{At: at}
		case 16:
			e = []domain.Event{RefreshConcluded{At: at}, RefreshApproved{At: at}}[r.Intn(2)]
		case 17:
			e = OutturnRecorded{Target: key(), Year: year(), Value: float64(r.Intn(100)), Source: "s", Revision: r.Intn(3), At: at}
		case 18:
			e = CorrectionRecorded{CorrectsEventID: fmt.Sprint(r.Intn(100)), Reason: "c", At: at}
		}
		out = append(out, e)
	}
	return out
}

func TestApplyInPlaceFoldsRandomHistoriesLikeApply(t *testing.T) {
	for seed := int64(1); seed <= 150; seed++ {
		r := rand.New(rand.NewSource(seed))
		checkInPlaceFoldsLikeApply(t, fmt.Sprintf("seed %d", seed), randomAgreementEvents(r, 1+r.Intn(400)))
	}
}

func TestApplyLeavesTheStateItWasGivenAsItWas(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	var a Agreement
	for i, e := range randomAgreementEvents(r, 2000) {
		before := domaintest.Show(a)
		next := a.Apply(e)
		if domaintest.Show(a) != before {
			t.Fatalf("event %d (%s) changed the state Apply was given", i, e.EventType())
		}
		a = next
	}
}

// A chain of states made by ApplyChained is, state by state, the chain
// Apply makes; and every state of it is still what it was once the states
// after it have been folded (they append to its arrays past its end only).
// A clone of any of them can be folded in place without changing it.
func TestApplyChainedKeepsEveryEarlierStateOfTheChain(t *testing.T) {
	for seed := int64(1); seed <= 60; seed++ {
		r := rand.New(rand.NewSource(seed))
		events := randomAgreementEvents(r, 1+r.Intn(600))
		var chain, want []Agreement
		var a, cow Agreement
		for _, e := range events {
			a, cow = a.ApplyChained(e), cow.Apply(e)
			chain, want = append(chain, a), append(want, cow)
		}
		for i := range chain {
			if !reflect.DeepEqual(chain[i], want[i]) {
				t.Fatalf("seed %d: state %d of %d (after %s) is not Apply's once the chain is folded:\n got %s\nwant %s",
					seed, i, len(chain), events[i].EventType(), domaintest.Show(chain[i]), domaintest.Show(want[i]))
			}
		}
		i := r.Intn(len(chain))
		c := chain[i].Clone()
		for _, e := range randomAgreementEvents(r, 50) {
			c.ApplyInPlace(e)
		}
		if !reflect.DeepEqual(chain[i], want[i]) {
			t.Fatalf("seed %d: folding a clone of state %d in place changed it", seed, i)
		}
	}
}
