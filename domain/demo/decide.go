package demo

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/domain/laa"

	"github.com/laaledger/laaledger/domain"
)

// Decided is what a demo history folds into when decided without a ledger:
// the state of every aggregate its accepted steps touched.
type Decided struct {
	Catalogue  catalogue.Catalogue
	Agreements map[string]laa.Agreement
	Areas      map[domain.AggregateRef]caa.AreaAssessment
	Orgs       map[domain.AggregateRef]caa.OrgAssessment
	// Flags is the CAA flag view the area assessment events built; the LAA
	// decisions consult it.
	Flags caa.Flags
	// Past is what a ledger would have recorded of each aggregate's events
	// (command id and business time; event ids exist only once stored), so
	// that the rules that need the record (time order, corrections) are
	// checked here too.
	Past map[domain.AggregateRef]domain.Past

	// stamped and lastAt let a late fact or a correction refold its
	// aggregate in the canonical order ([domain.Canonical]).
	stamped map[domain.AggregateRef][]domain.Stamped
	lastAt  map[domain.AggregateRef]time.Time
}

// Decide runs steps through the domain's decision functions alone, in
// order, each against the state the accepted steps before it folded into,
// and stops at the first step whose outcome is not the one it expects
// (ExpectError). each, if not nil, sees every step with the events deciding
// it gave (none for a refusal). It is the demo checked as the pure domain
// sees it; loading it into a ledger is the service's job.
//
// An LAA reopening on CAA grounds needs the flag it names to be published
// by steps before it: decide [History], not [LAAHistory] alone.
func Decide(steps []Step, each func(st Step, events []domain.Event)) (Decided, error) {
	d := Decided{Agreements: map[string]laa.Agreement{}, Areas: map[domain.AggregateRef]caa.AreaAssessment{},
		Orgs: map[domain.AggregateRef]caa.OrgAssessment{}, Past: map[domain.AggregateRef]domain.Past{},
		stamped: map[domain.AggregateRef][]domain.Stamped{}, lastAt: map[domain.AggregateRef]time.Time{}}
	for i, st := range steps {
		var (
			evs []domain.Event
			err error
		)
		ref := st.Command.Aggregate()
		past := d.Past[ref]
		switch ref.Kind {
		case domain.KindCatalogue:
			evs, err = catalogue.DecideCatalogue(d.Catalogue, st.Meta, st.Command)
		case domain.KindAgreement:
			evs, err = laa.DecideAgreement(d.Agreements[ref.ID], st.Meta, st.Command, laa.AgreementContext{Catalogue: d.Catalogue, Flags: &d.Flags, History: past})
		case domain.KindAreaAssessment:
			evs, err = caa.DecideAreaAssessment(d.Areas[ref], st.Meta, st.Command, past)
		case domain.KindOrgAssessment:
			evs, err = caa.DecideOrgAssessment(d.Orgs[ref], st.Meta, st.Command, past)
		default:
			return d, fmt.Errorf("step %d (%s): unexpected aggregate %s", i+1, st.Meta.CommandID, ref)
		}
		switch got := domain.ErrorRule(err); {
		case st.ExpectError == "" && err != nil:
			return d, fmt.Errorf("step %d (%s %s on %s): %w", i+1, st.Meta.CommandID, st.Command.CommandType(), ref.ID, err)
		case got != st.ExpectError:
			return d, fmt.Errorf("step %d (%s %s on %s): got %v (rule %q), want rule %q", i+1, st.Meta.CommandID, st.Command.CommandType(), ref.ID, err, got, st.ExpectError)
		case err == nil && len(evs) == 0:
			return d, fmt.Errorf("step %d (%s): accepted with no events", i+1, st.Meta.CommandID)
		}
		for j, e := range evs {
			data, _ := json.Marshal(e)
			d.Past[ref] = append(d.Past[ref], domain.Recorded{CommandID: st.Meta.CommandID, Type: e.EventType(), Timing: domain.TimingOf(e),
				OccurredAt: st.Meta.OccurredAt, Data: data})
			next := domain.Stamped{Event: e, CommandID: st.Meta.CommandID, Sequence: uint64(i + 1), Index: j, OccurredAt: st.Meta.OccurredAt}
			refold := domain.NeedsRefold(next, d.lastAt[ref])
			d.stamped[ref] = append(d.stamped[ref], next)
			if !next.OccurredAt.Before(d.lastAt[ref]) {
				d.lastAt[ref] = next.OccurredAt
			}
			if refold {
				// A late fact or a correction: the state is the canonical
				// fold of the whole history.
				switch ref.Kind {
				case domain.KindAgreement:
					d.Agreements[ref.ID] = domain.FoldCanonical(laa.Agreement{}, laa.Agreement.Apply, d.stamped[ref])
				case domain.KindAreaAssessment:
					d.Areas[ref] = domain.FoldCanonical(caa.AreaAssessment{}, caa.AreaAssessment.Apply, d.stamped[ref])
					d.Flags.Apply(ref, e)
				case domain.KindOrgAssessment:
					d.Orgs[ref] = domain.FoldCanonical(caa.OrgAssessment{}, caa.OrgAssessment.Apply, d.stamped[ref])
				}
				continue
			}
			switch ref.Kind {
			case domain.KindCatalogue:
				d.Catalogue = d.Catalogue.Apply(e)
			case domain.KindAgreement:
				d.Agreements[ref.ID] = d.Agreements[ref.ID].Apply(e)
			case domain.KindAreaAssessment:
				d.Areas[ref] = d.Areas[ref].Apply(e)
				d.Flags.Apply(ref, e)
			case domain.KindOrgAssessment:
				d.Orgs[ref] = d.Orgs[ref].Apply(e)
			}
		}
		if each != nil {
			each(st, evs)
		}
	}
	return d, nil
}
