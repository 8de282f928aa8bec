package domain_test

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// Toy events for the canonical order: an act, a fact that sets a value,
// and a correction carrying a corrected body.
type (
	tAct  struct{ N int }
	tFact struct{ V int }
	tFix  struct {
		Of   string
		Body domain.Event
	}
)

func (tAct) EventType() string                     { return "t.Act" }
func (tFact) EventType() string                    { return "t.Fact" }
func (tFix) EventType() string                     { return "t.Fix" }
func (tAct) Timing() domain.Timing                 { return domain.Act }
func (tFact) Timing() domain.Timing                { return domain.Fact }
func (tFix) Timing() domain.Timing                 { return domain.Fact }
func (f tFix) Corrects() string                    { return f.Of }
func (f tFix) CorrectedBody() (domain.Event, bool) { return f.Body, f.Body != nil }

// stampedHistory is a random history: acts in business-time order, facts
// dated anywhere after the opening (late facts), and corrections of
// earlier events (facts, acts and corrections), dated at or after what
// they correct; recorded times increase with the sequence.
func stampedHistory(r *rand.Rand) (events []domain.Stamped, recorded []time.Time) {
	t0 := time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)
	lastAct := t0
	n := 2 + r.Intn(30)
	for seq := 1; seq <= n; seq++ {
		e := domain.Stamped{EventID: fmt.Sprintf("e%d", seq), CommandID: fmt.Sprintf("c%d", seq), Sequence: uint64(seq)}
		switch k := r.Intn(3); {
		case seq == 1 || k == 0:
			lastAct = lastAct.Add(time.Duration(r.Intn(5)) * 24 * time.Hour)
			e.Event, e.OccurredAt = tAct{seq}, lastAct
		case k == 1:
			e.Event, e.OccurredAt = tFact{r.Intn(100)}, t0.Add(time.Duration(r.Intn(60))*24*time.Hour)
		default:
			target := events[r.Intn(len(events))]
			// A corrected body has the original's type; that of a
			// correction corrects the same event with a body of its type.
			var variant func(domain.Event) domain.Event
			variant = func(old domain.Event) domain.Event {
				switch old := old.(type) {
				case tAct:
					return tAct{old.N + 1000 + r.Intn(100)}
				case tFact:
					return tFact{r.Intn(100)}
				case tFix:
					return tFix{Of: old.Of, Body: variant(old.Body)}
				}
				return nil
			}
			body := variant(target.Event)
			if _, fix := target.Event.(tFix); !fix && r.Intn(5) == 0 {
				body = nil // a note only
			}
			ref := target.EventID
			if r.Intn(2) == 0 {
				ref = target.CommandID + "#0"
			}
			e.Event = tFix{Of: ref, Body: body}
			e.OccurredAt = target.OccurredAt.Add(time.Duration(r.Intn(3)) * 24 * time.Hour)
		}
		events = append(events, e)
		recorded = append(recorded, t0.AddDate(5, 0, seq))
	}
	return events, recorded
}

// reference is the canonical fold written the slow, obvious way: sort by
// (business time, sequence); then the body of each event is that of its
// latest correction among events with a body, resolved recursively.
func reference(events []domain.Stamped) []domain.Event {
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b domain.Stamped) int {
		if c := a.OccurredAt.Compare(b.OccurredAt); c != 0 {
			return c
		}
		return int(a.Sequence) - int(b.Sequence)
	})
	names := func(e domain.Stamped, ref string) bool { return ref == e.EventID || ref == e.CommandID+"#0" }
	var body func(i int, depth int) domain.Event
	body = func(i int, depth int) domain.Event {
		latest := -1
		for j := range sorted {
			if f, ok := sorted[j].Event.(tFix); ok && j != i && f.Body != nil && names(sorted[i], f.Of) && j > latest {
				latest = j
			}
		}
		if latest < 0 || depth > len(sorted) {
			return sorted[i].Event
		}
		b, _ := body(latest, depth+1).(tFix)
		return b.Body
	}
	out := make([]domain.Event, len(sorted))
	for i := range sorted {
		out[i] = body(i, 0)
	}
	return out
}

func bodies(events []domain.Stamped) []domain.Event {
	out := make([]domain.Event, len(events))
	for i, e := range events {
		out[i] = e.Event
	}
	return out
}

// For random histories with late facts and corrections, the fold as now
// known at T is the fold of the events dated ≤ T sorted by (business time,
// sequence) with corrections substituted, and the fold as recorded at R
// the same over the recorded prefix.
func TestCanonicalEqualsSortedHistoryWithCorrectionsSubstituted(t *testing.T) {
	r := rand.New(rand.NewSource(20090515))
	for run := range 2000 {
		events, recorded := stampedHistory(r)
		at := events[0].OccurredAt.Add(time.Duration(r.Intn(70)) * 24 * time.Hour)
		var known []domain.Stamped
		for _, e := range events {
			if !e.OccurredAt.After(at) {
				known = append(known, e)
			}
		}
		if got, want := bodies(domain.Canonical(known)), reference(known); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("run %d: known at %s\n got %v\nwant %v\nhistory %+v", run, at, got, want, events)
		}
		cut := r.Intn(len(events)) + 1
		asOf := recorded[cut-1]
		var prefix []domain.Stamped
		for i, e := range events {
			if !recorded[i].After(asOf) {
				prefix = append(prefix, e)
			}
		}
		if got, want := bodies(domain.Canonical(prefix)), reference(prefix); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("run %d: as of %d events\n got %v\nwant %v", run, cut, got, want)
		}
		// Canonical leaves its input as it was.
		before := fmt.Sprint(events)
		domain.Canonical(events)
		if fmt.Sprint(events) != before {
			t.Fatalf("run %d: Canonical changed its input", run)
		}
	}
}

// An act dated before the latest act is refused; a fact dated before it is
// accepted, but not one dated before the opening.
func TestCheckTimeOrderRefusesOnlyBackdatedActs(t *testing.T) {
	open := time.Date(2008, 1, 10, 0, 0, 0, 0, time.UTC)
	h := domain.Past{
		{EventID: "a", Timing: domain.Act, OccurredAt: open},
		{EventID: "b", Timing: domain.Act, OccurredAt: open.AddDate(2, 0, 0)},
		{EventID: "c", Timing: domain.Fact, OccurredAt: open.AddDate(0, 6, 0)},
	}
	cmd := toyCommand{}
	m := func(at time.Time) domain.Meta { return domain.Meta{CommandID: "x", OccurredAt: at} }
	if err := domain.CheckTimeOrder(h, "t.time_order", m(open.AddDate(1, 0, 0)), cmd, domain.Act); domain.ErrorRule(err) != "t.time_order" {
		t.Errorf("backdated act: %v", err)
	}
	if err := domain.CheckTimeOrder(h, "t.time_order", m(open.AddDate(1, 0, 0)), cmd, domain.Fact); err != nil {
		t.Errorf("backdated fact: %v", err)
	}
	if err := domain.CheckTimeOrder(h, "t.time_order", m(open.AddDate(0, 0, -1)), cmd, domain.Fact); domain.ErrorRule(err) != "t.time_order" {
		t.Errorf("fact before the opening: %v", err)
	}
	if got := domain.LatestAct(h); !got.Equal(open.AddDate(2, 0, 0)) {
		t.Errorf("latest act %s: a fact moved the anchor", got)
	}
}

func TestMetaRefusesABusinessTimeAfterTheRecordedTime(t *testing.T) {
	m := domain.Meta{CommandID: "x", Actor: domain.Actor{ID: "a", Role: domain.RoleOperator, Organisation: "o"},
		OccurredAt: time.Date(2009, 6, 2, 0, 0, 0, 0, time.UTC), RecordedAt: time.Date(2009, 6, 1, 0, 0, 0, 0, time.UTC)}
	if err := m.Validate(); domain.ErrorRule(err) != domain.RuleRecordedBeforeOccurred {
		t.Errorf("got %v, want %s", err, domain.RuleRecordedBeforeOccurred)
	}
	m.RecordedAt = m.OccurredAt
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
}

type toyCommand struct{}

func (toyCommand) CommandType() string { return "t.Toy" }
func (toyCommand) Aggregate() domain.AggregateRef {
	return domain.AggregateRef{Kind: "t", ID: "1"}
}
