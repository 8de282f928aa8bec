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

// randomLAA generates commands for the Hartlepool agreement: mostly
// plausible ones from a fitting actor, some from the wrong actor, some
// malformed, so that every rule gets both sides.
type randomLAA struct {
	r *rand.Rand
	// crowd makes the generator keep proposing instead of adopting, to
	// reach the designated limit.
	crowd bool
	nis   []int
	cands []domain.Actor
}

func (g randomLAA) pick(n int) int { return g.r.Intn(n) }

func (g randomLAA) chance(p float64) bool { return g.r.Float64() < p }

func (g randomLAA) key(a Agreement) string {
	if len(a.Order) > 0 && g.chance(0.8) {
		return a.Order[g.pick(len(a.Order))]
	}
	return TargetKey(g.nis[g.pick(len(g.nis))], "")
}

func (g randomLAA) values() Values {
	years := []string{"2008/09", "2009/10", "2010/11"}
	v := Values{}
	for _, y := range years {
		if g.chance(0.6) {
			v[y] = float64(g.pick(100))
		}
	}
	if g.chance(0.05) {
		v["2011/12"] = 1
	}
	if len(v) == 0 && g.chance(0.8) {
		v[years[g.pick(3)]] = 5
	}
	return v
}

func (g randomLAA) round(a Agreement, key string) int {
	r := 1
	if t, ok := a.Targets[key]; ok && t.Open != nil {
		r = t.Open.Round
	}
	if g.chance(0.1) {
		r += g.pick(3) - 1
	}
	return r
}

func (g randomLAA) ground() (Ground, *domain.FlagRef) {
	gs := append(append([]Ground(nil), Grounds...), "bogus")
	gr := gs[g.pick(len(gs))]
	if gr == GroundCAAReopening && g.chance(0.9) {
		return gr, &domain.FlagRef{Area: "00EB", Year: 2009, FlagID: []string{"red-1", "green-1", "red-2"}[g.pick(3)]}
	}
	return gr, nil
}

// command returns a command and the actor to issue it.
func (g randomLAA) command(a Agreement) (domain.Actor, domain.Command) {
	id := hpID
	side := []domain.Actor{lspHP, laHP, goNE}[g.pick(3)]
	local := []domain.Actor{lspHP, laHP}[g.pick(2)]
	var by domain.Actor
	var cmd domain.Command
	pick := g.pick(21)
	if g.crowd && pick >= 9 && pick <= 12 {
		pick = 1
	}
	switch pick {
	case 0:
		by, cmd = goNE, OpenAgreement{Agreement: id}
	case 1, 2, 3, 4:
		ni := g.nis[g.pick(len(g.nis))]
		kinds := []TargetKind{KindDesignated, KindDesignated, KindDesignated, KindStatutory, KindLocal}
		by, cmd = local, ProposeTarget{Agreement: id, NI: ni, Kind: kinds[g.pick(len(kinds))], Values: g.values()}
	case 5, 6:
		k := g.key(a)
		by, cmd = side, CounterProposeTarget{Agreement: id, Target: k, Values: g.values()}
	case 7, 8:
		k := g.key(a)
		by, cmd = side, AcceptProposal{Agreement: id, Target: k, Round: g.round(a, k)}
	case 9:
		by, cmd = side, WithdrawTarget{Agreement: id, Target: g.key(a), Reason: "random"}
	case 10:
		by, cmd = laHP, AdoptAgreement{Agreement: id}
	case 11:
		by, cmd = local, SubmitAgreement{Agreement: id}
	case 12:
		by, cmd = minister, ApproveAgreement{Agreement: id}
	case 13:
		y := []string{"2008/09", "2009/10", "2010/11"}[g.pick(3)]
		switch g.pick(3) {
		case 0:
			by, cmd = lspHP, SubmitSelfAssessment{Agreement: id, Year: y}
		case 1:
			by, cmd = goNE, HoldAnnualReview{Agreement: id, Year: y}
		default:
			by, cmd = goNE, SendAnnualReviewReport{Agreement: id, Year: y}
		}
	case 14:
		by, cmd = goNE, OpenRefresh{Agreement: id, Year: []string{"2008/09", "2009/10", "2010/11"}[g.pick(3)]}
	case 15, 16:
		gr, fl := g.ground()
		by, cmd = side, ProposeRevision{Agreement: id, Target: g.key(a), Ground: gr, Flag: fl, Values: g.values()}
	case 17:
		k := g.key(a)
		if g.chance(0.5) {
			by, cmd = side, CounterProposeRevision{Agreement: id, Target: k, Values: g.values()}
		} else {
			by, cmd = side, AgreeRevision{Agreement: id, Target: k, Round: g.round(a, k)}
		}
	case 18:
		switch g.pick(3) {
		case 0:
			by, cmd = laHP, AdoptRefresh{Agreement: id}
		case 1:
			by, cmd = local, ConcludeRefresh{Agreement: id}
		default:
			by, cmd = minister, ApproveRefresh{Agreement: id}
		}
	case 19:
		by, cmd = side, RecordOutturn{Agreement: id, Target: g.key(a), Year: "2008/09", Value: float64(g.pick(5)), Source: "s"}
	default:
		by, cmd = side, RecordCorrection{Agreement: id, CorrectsEventID: []string{"", "e1"}[g.pick(2)], Reason: "r"}
	}
	if g.chance(0.15) {
		by = g.cands[g.pick(len(g.cands))]
	}
	return by, cmd
}

// TestAgreementInvariantsUnderRandomCommands decides random command
// sequences and checks, after every accepted command, the invariants the
// rules promise; at the end it folds the encoded and decoded events from
// zero and compares with the state the decisions saw.
func TestAgreementInvariantsUnderRandomCommands(t *testing.T) {
	cat := statutoryCatalogue(t)
	g := randomLAA{cands: []domain.Actor{lspHP, laHP, goNE, goLondon, lspOther, minister, clg,
		laaActor(domain.RoleAuditor, "Audit Commission"), laaActor(domain.RoleDCSF, "DCSF"), laaActor(domain.RoleScrutiny, "00EB")}}
	for _, ind := range cat.Indicators(time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)) {
		g.nis = append(g.nis, ind.NI)
	}
	g.nis = append(g.nis, 2, 31, 200)
	flags := mapFlags{
		{Area: "00EB", Year: 2009, FlagID: "red-1"}: {Ref: domain.FlagRef{Area: "00EB", Year: 2009, FlagID: "red-1"}, Colour: "red",
			Indicators: []int{112, 152}, Published: true, PublishedAt: time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Area: "00EB", Year: 2009, FlagID: "green-1"}: {Ref: domain.FlagRef{Area: "00EB", Year: 2009, FlagID: "green-1"}, Colour: "green",
			Indicators: []int{4}, Published: true},
	}
	const seeds, steps = 200, 400
	accepted, refused := 0, 0
	seenTypes := map[string]int{}
	rulesSeen := map[string]int{}
	for seed := int64(1); seed <= seeds; seed++ {
		g.r = rand.New(rand.NewSource(seed))
		g.crowd = seed%4 == 0
		var (
			a         Agreement
			stored    [][]byte
			types     []string
			at        = time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)
			lastSide  = map[string]Side{}
			agreedAt  = map[string]Values{}
			evidences = [][]string{nil, {"doc:1"}}
		)
		ctx := AgreementContext{Catalogue: cat}
		if seed%2 == 0 {
			ctx.Flags = flags
		}
		for i := 0; i < steps; i++ {
			if g.chance(0.03) {
				at = at.Add(-24 * time.Hour)
			} else {
				at = at.Add(time.Duration(g.pick(3)) * 24 * time.Hour)
			}
			by, cmd := g.command(a)
			m := domain.Meta{CommandID: fmt.Sprintf("p-%d-%d", seed, i), Actor: by, OccurredAt: at, Evidence: evidences[g.pick(2)]}
			if a.Opened() && g.chance(0.2) && a.Status == StatusNegotiating {
				// Bias towards progress: let the other side answer.
				for _, k := range a.Order {
					if tg := a.Targets[k]; tg.Open != nil {
						by = map[Side]domain.Actor{SideLocal: goNE, SideGO: lspHP}[tg.Open.Side]
						m.Actor = by
						cmd = AcceptProposal{Agreement: hpID, Target: k, Round: tg.Open.Round}
						break
					}
				}
			}
			evs, err := DecideAgreement(a, m, cmd, ctx)
			if err != nil {
				refused++
				rulesSeen[domain.ErrorRule(err)]++
				if domain.ErrorCode(err) == domain.EINTERNAL || domain.ErrorRule(err) == "" {
					t.Fatalf("seed %d step %d: %s refused without a domain error: %v", seed, i, cmd.CommandType(), err)
				}
				if len(evs) != 0 {
					t.Fatalf("seed %d step %d: refusal with events", seed, i)
				}
				continue
			}
			accepted++
			for _, e := range evs {
				typ, _, data, err := kindTypes.EncodeEvent(e)
				domaintest.NoErr(t, err, "encode")
				stored, types = append(stored, data), append(types, typ)
				seenTypes[typ]++
				checkEventInvariant(t, seed, i, a, e, lastSide, agreedAt)
				a = a.Apply(e)
			}
			checkStateInvariants(t, seed, i, a)
		}
		var replay Agreement
		for j := range stored {
			e, err := kindTypes.DecodeEvent(types[j], 1, stored[j])
			domaintest.NoErr(t, err, "decode")
			replay = replay.Apply(e)
		}
		if !reflect.DeepEqual(replay, a) {
			t.Fatalf("seed %d: replay from zero differs from the state the decisions saw\nreplay %+v\nstate  %+v", seed, replay, a)
		}
	}
	// The generator must reach every event type and press on the main
	// rules, or the test proves little.
	for _, rule := range []string{"laa.designated_limit", "laa.alternation", "laa.lifecycle", "laa.reward_lockdown",
		"laa.duplicate_target", "laa.ground_year_three", "laa.caa_flag_not_red", "laa.time_order", "laa.not_party"} {
		if rulesSeen[rule] == 0 {
			t.Errorf("random sequences never met rule %s", rule)
		}
	}
	for _, typ := range kindTypes.EventTypes() {
		if len(typ) > 4 && typ[:4] == "laa." && seenTypes[typ] == 0 {
			t.Errorf("random sequences never produced %s", typ)
		}
	}
	if accepted < seeds*20 || refused < seeds*20 {
		t.Fatalf("generator too one-sided: %d accepted, %d refused", accepted, refused)
	}
}

// checkEventInvariant checks one event against the state before it.
func checkEventInvariant(t *testing.T, seed int64, i int, cur Agreement, e domain.Event, lastSide map[string]Side, agreed map[string]Values) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d step %d %s: %s", seed, i, e.EventType(), fmt.Sprintf(format, args...))
	}
	switch e := e.(type) {
	case TargetProposed:
		lastSide[e.Target] = e.Side
		if e.Side != SideLocal {
			fail("opened by %s", e.Side)
		}
	case RefreshRevisionProposed:
		lastSide[e.Target] = e.Side
	case TargetCounterProposed:
		if lastSide[e.Target] == e.Side {
			fail("%s answered itself on %s", e.Side, e.Target)
		}
		lastSide[e.Target] = e.Side
	case RefreshRevisionCountered:
		if lastSide[e.Target] == e.Side {
			fail("%s answered itself on %s", e.Side, e.Target)
		}
		lastSide[e.Target] = e.Side
	case TargetAgreed:
		if e.AcceptedBySide == e.ProposedBySide || lastSide[e.Target] != e.ProposedBySide {
			fail("agreement sides %s/%s, last proposal by %s", e.ProposedBySide, e.AcceptedBySide, lastSide[e.Target])
		}
		if cur.Status != StatusNegotiating {
			fail("target agreed while %s", cur.Status)
		}
	case RefreshRevisionAgreed:
		if e.AcceptedBySide == e.ProposedBySide {
			fail("revision accepted by its proposer's side")
		}
		if cur.Status != StatusRefreshOpen {
			fail("revision agreed while %s", cur.Status)
		}
		if e.Ground == GroundYearThreeTarget {
			for y := range e.Changed {
				if y != yearThree {
					fail("year-three revision changed %s", y)
				}
			}
		}
		agreed[e.Target] = e.Values
	case AgreementAdopted:
		if cur.Status != StatusNegotiating || e.Designated == 0 {
			fail("adopted from %s with %d designated", cur.Status, e.Designated)
		}
	case AgreementSubmitted:
		if cur.Status != StatusAdopted {
			fail("submitted from %s", cur.Status)
		}
	case AgreementApproved:
		if cur.Status != StatusSubmitted {
			fail("approved from %s", cur.Status)
		}
		for k, tg := range cur.Targets {
			if tg.Status == TargetStatusAgreed {
				agreed[k] = tg.Values
			}
		}
	case RefreshOpened:
		if cur.Status != StatusApproved {
			fail("refresh opened from %s", cur.Status)
		}
	case RefreshAdopted:
		if cur.Status != StatusRefreshOpen {
			fail("refresh adopted from %s", cur.Status)
		}
	case RefreshConcluded:
		if cur.Status != StatusRefreshAdopted {
			fail("refresh concluded from %s", cur.Status)
		}
	case RefreshApproved:
		if cur.Status != StatusRefreshConcluded {
			fail("refresh approved from %s", cur.Status)
		}
	}
	// After approval, an agreed target changes only by an agreed revision.
	if !cur.ApprovedAt.IsZero() {
		next := cur.Apply(e)
		for k, v := range agreed {
			if !reflect.DeepEqual(next.Targets[k].Values, v) {
				fail("locked target %s changed from %v to %v", k, v, next.Targets[k].Values)
			}
		}
	}
}

func checkStateInvariants(t *testing.T, seed int64, i int, a Agreement) {
	t.Helper()
	if n := a.CountTargets(KindDesignated); n > 35 {
		t.Fatalf("seed %d step %d: %d designated targets", seed, i, n)
	}
	nis := map[int]bool{}
	for k, tg := range a.Targets {
		if k != tg.Key || k != TargetKey(tg.NI, tg.LocalCode) {
			t.Fatalf("seed %d step %d: target key %q for %+v", seed, i, k, tg)
		}
		if tg.Status != TargetStatusWithdrawn && tg.NI > 0 {
			if nis[tg.NI] {
				t.Fatalf("seed %d step %d: two live targets on NI %d", seed, i, tg.NI)
			}
			nis[tg.NI] = true
		}
		for y := range tg.Values {
			if validYear(Period2008, y) != nil {
				t.Fatalf("seed %d step %d: %s has a value for %s", seed, i, k, y)
			}
		}
	}
	if len(a.Order) != len(a.Targets) {
		t.Fatalf("seed %d step %d: order %v vs %d targets", seed, i, a.Order, len(a.Targets))
	}
	if !a.ApprovedAt.IsZero() && (a.AdoptedAt.IsZero() || a.SubmittedAt.IsZero() ||
		a.SubmittedAt.Before(a.AdoptedAt) || a.ApprovedAt.Before(a.SubmittedAt)) {
		t.Fatalf("seed %d step %d: lifecycle dates adopted %v submitted %v approved %v", seed, i, a.AdoptedAt, a.SubmittedAt, a.ApprovedAt)
	}
}
