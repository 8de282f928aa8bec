package projections

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// GenOptions shapes a synthetic history.
type GenOptions struct {
	// Events is the approximate number of events; default 1,000,000.
	Events int
	// Seed makes the history reproducible.
	Seed uint64
	// Writers is the number of concurrent appenders; default 64. Each owns
	// whole areas, so appends never conflict.
	Writers int
	// Areas limits the history to the first that many areas (by code);
	// default all 150. Each area costs at least about 250 events, so
	// Events is a target, not a promise, for small histories.
	Areas int
	// Progress, if set, is called now and then with the events appended so
	// far (from several goroutines; it must be safe for that).
	Progress func(done int64)
}

// GenStats says what a generation wrote.
type GenStats struct {
	Events  int64
	Commits int64
	Took    time.Duration
}

// GenerateHistory writes a synthetic ledger through [eventstore.Store.Append]
// (hash chain, concurrency checks and all): for every one of the 150 LAA
// areas an agreement negotiated over several rounds per target, adopted,
// submitted and approved, two annual reviews, a refresh with revisions on
// exempt grounds, outturns and their revisions, and a 2009 area assessment
// with flags and an organisational assessment. Business times advance per
// aggregate as the domain requires. Local targets and outturn revisions
// (quarterly monitoring) are added until the history reaches opts.Events.
//
// The events are built directly, not decided, so the generator is fast and
// independent of command validation; each event is one the domain's folds
// accept. Every value, person and flag is synthetic.
func GenerateHistory(ctx context.Context, s *eventstore.Store, opts GenOptions) (GenStats, error) {
	if opts.Events <= 0 {
		opts.Events = 1_000_000
	}
	if opts.Writers <= 0 {
		opts.Writers = 64
	}
	areas := domain.Areas()
	if opts.Areas > 0 && opts.Areas < len(areas) {
		areas = areas[:opts.Areas]
	}
	cat := domain.SeedCatalogue()
	var nis []int
	for _, ind := range cat.Indicators(time.Date(2008, 6, 1, 0, 0, 0, 0, time.UTC)) {
		nis = append(nis, ind.NI)
	}
	if len(nis) < 60 {
		return GenStats{}, fmt.Errorf("generate history: catalogue has %d indicators", len(nis))
	}
	began := time.Now()
	var (
		st   GenStats
		wg   sync.WaitGroup
		mu   sync.Mutex
		werr error
	)
	per := opts.Events / len(areas)
	next := atomic.Int64{}
	for range opts.Writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(areas) {
					return
				}
				budget := per
				if i == len(areas)-1 {
					budget = opts.Events - per*(len(areas)-1)
				}
				g := &areaGen{area: areas[i], nis: nis, rng: rand.New(rand.NewPCG(opts.Seed, uint64(i))), budget: budget}
				g.script()
				for _, c := range g.cmds {
					if ctx.Err() != nil {
						return
					}
					if _, err := s.Append(ctx, c.agg, c.version, c.events, c.id); err != nil {
						mu.Lock()
						werr = fmt.Errorf("generate history: %w", err)
						mu.Unlock()
						return
					}
					n := atomic.AddInt64(&st.Events, int64(len(c.events)))
					atomic.AddInt64(&st.Commits, 1)
					if opts.Progress != nil && n%10_000 < int64(len(c.events)) {
						opts.Progress(n)
					}
				}
			}
		}()
	}
	wg.Wait()
	st.Took = time.Since(began)
	if werr == nil {
		werr = ctx.Err()
	}
	return st, werr
}

type genCmd struct {
	agg     eventstore.Aggregate
	version uint64
	events  []eventstore.Event
	id      string
}

type areaGen struct {
	area     domain.Area
	nis      []int
	rng      *rand.Rand
	budget   int
	n        int
	cmds     []genCmd
	versions map[eventstore.Aggregate]uint64
	clock    map[eventstore.Aggregate]time.Time
}

func (g *areaGen) emit(agg eventstore.Aggregate, at time.Time, actor eventstore.Actor, reason string, evs ...domain.Event) {
	if g.versions == nil {
		g.versions, g.clock = map[eventstore.Aggregate]uint64{}, map[eventstore.Aggregate]time.Time{}
	}
	if !at.After(g.clock[agg]) {
		at = g.clock[agg].Add(time.Minute)
	}
	g.clock[agg] = at
	out := make([]eventstore.Event, len(evs))
	for i, e := range evs {
		typ, v, data, err := domain.EncodeEvent(e)
		if err != nil {
			panic(err) // a generator bug: every event here is registered
		}
		out[i] = eventstore.Event{Type: typ, SchemaVersion: v, Data: data, Actor: actor, Reason: reason, OccurredAt: at}
	}
	g.cmds = append(g.cmds, genCmd{agg: agg, version: g.versions[agg], events: out, id: fmt.Sprintf("gen-%s-%d", g.area.Code, len(g.cmds))})
	g.versions[agg] += uint64(len(evs))
	g.n += len(evs)
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, time.UTC) }

type genTarget struct {
	key, local string
	ni         int
	kind       domain.TargetKind
	agreed     bool
	values     domain.Values
}

// script lays out the area's commands in business-time order per
// aggregate.
func (g *areaGen) script() {
	code := g.area.Code
	laa := eventstore.Aggregate{Kind: domain.KindAgreement, ID: domain.AgreementID(code, "2008-11")}
	caa := eventstore.Aggregate{Kind: domain.KindAreaAssessment, ID: code + "/2009"}
	oa := eventstore.Aggregate{Kind: domain.KindOrgAssessment, ID: code + "/2009"}
	lsp := eventstore.Actor{ID: "lsp-officer-" + code, Role: string(domain.RoleLSP), Organisation: code}
	la := eventstore.Actor{ID: "la-officer-" + code, Role: string(domain.RoleLA), Organisation: code}
	gov := eventstore.Actor{ID: "go-lead-" + code, Role: string(domain.RoleGO), Organisation: g.area.Region}
	minister := eventstore.Actor{ID: "minister", Role: string(domain.RoleMinister), Organisation: "CLG"}
	ac := eventstore.Actor{ID: "caa-lead-" + code, Role: string(domain.RoleAuditCommission), Organisation: "Audit Commission"}
	years := []string{"2008/09", "2009/10", "2010/11"}

	// Targets: 35 designated NIs and 5 to 30 local ones, more for a larger
	// budget; the rest of the budget goes on outturn revisions.
	perm := g.rng.Perm(len(g.nis))
	var targets []genTarget
	for _, p := range perm[:35] {
		targets = append(targets, genTarget{key: domain.TargetKey(g.nis[p], ""), ni: g.nis[p], kind: domain.KindDesignated})
	}
	for i := range min(max(g.budget/40-35, 5+g.rng.IntN(11)), 30) {
		lc := fmt.Sprintf("L%03d", i+1)
		targets = append(targets, genTarget{key: domain.TargetKey(0, lc), local: lc, kind: domain.KindLocal})
	}

	g.emit(laa, day(2008, 3, 3), gov, "agreement opened", domain.AgreementOpened{Area: code, AreaName: g.area.Name, Region: g.area.Region, Period: "2008-11", At: day(2008, 3, 3)})
	at := day(2008, 3, 10)
	step := 80 * 24 * time.Hour / time.Duration(len(targets)*4)
	tick := func() time.Time { at = at.Add(step); return at }
	for i := range targets {
		t := &targets[i]
		base := &domain.Baseline{Value: float64(20 + g.rng.IntN(60)), Year: "2007/08", Source: "synthetic"}
		vals := func(d float64) domain.Values {
			return domain.Values{"2008/09": base.Value - 1*d, "2009/10": base.Value - 2*d, "2010/11": base.Value - 3*d}
		}
		d := 1 + float64(g.rng.IntN(4))
		when := tick()
		g.emit(laa, when, lsp, "proposal", domain.TargetProposed{Target: t.key, NI: t.ni, LocalCode: t.local, Title: "synthetic target " + t.key,
			Kind: t.kind, Baseline: base, Values: vals(d), Rationale: "synthetic proposal", CatalogueVersion: 1, Round: 1, Side: domain.SideLocal, ProposedBy: lsp.ID, At: when})
		rounds := 1 + g.rng.IntN(4)
		side, by := domain.SideLocal, lsp
		for r := 2; r <= rounds; r++ {
			side, by = side.Other(), map[domain.Side]eventstore.Actor{domain.SideLocal: lsp, domain.SideGO: gov}[side.Other()]
			if side == domain.SideGO {
				d += 0.5
			} else {
				d -= 0.25
			}
			when = tick()
			g.emit(laa, when, by, "counter-proposal", domain.TargetCounterProposed{Target: t.key, Baseline: base, Values: vals(d),
				Rationale: "synthetic counter", CatalogueVersion: 1, Round: r, Side: side, ProposedBy: by.ID, At: when})
		}
		when = tick()
		if t.kind == domain.KindLocal && g.rng.IntN(20) == 0 {
			g.emit(laa, when, gov, "withdrawn", domain.TargetWithdrawn{Target: t.key, Reason: "synthetic withdrawal", Side: domain.SideGO, By: gov.ID, At: when})
			continue
		}
		acc := map[domain.Side]eventstore.Actor{domain.SideLocal: lsp, domain.SideGO: gov}[side.Other()]
		t.agreed, t.values = true, vals(d)
		g.emit(laa, when, acc, "agreed", domain.TargetAgreed{Target: t.key, Round: rounds, ProposedBy: by.ID, ProposedBySide: side,
			AcceptedBy: acc.ID, AcceptedBySide: side.Other(), Baseline: base, Values: t.values, At: when})
	}
	g.emit(laa, day(2008, 6, 2), la, "adopted", domain.AgreementAdopted{Designated: 35, Local: len(targets) - 35, At: day(2008, 6, 2)})
	g.emit(laa, day(2008, 6, 4), la, "submitted", domain.AgreementSubmitted{By: la.ID, At: day(2008, 6, 4)})
	g.emit(laa, day(2008, 6, 30), minister, "approved", domain.AgreementApproved{LockdownFrom: day(2008, 6, 30), At: day(2008, 6, 30)})

	outturns := func(year string, from time.Time, span time.Duration) {
		var agreed []genTarget
		for _, t := range targets {
			if t.agreed {
				agreed = append(agreed, t)
			}
		}
		for i, t := range agreed {
			when := from.Add(span * time.Duration(i) / time.Duration(len(agreed)))
			g.emit(laa, when, lsp, "outturn", domain.OutturnRecorded{Target: t.key, Year: year, Value: t.values[year] + float64(g.rng.IntN(5)) - 2, Source: "synthetic annual return", At: when})
		}
	}
	review := func(year string, at time.Time) {
		g.emit(laa, at, lsp, "self-assessment", domain.SelfAssessmentSubmitted{Year: year, At: at})
		g.emit(laa, at.Add(20*24*time.Hour), gov, "annual review", domain.AnnualReviewHeld{Year: year, At: at.Add(20 * 24 * time.Hour)})
		g.emit(laa, at.Add(60*24*time.Hour), gov, "review report", domain.AnnualReviewReportSent{Year: year, At: at.Add(60 * 24 * time.Hour)})
	}
	review("2008/09", day(2008, 11, 14))
	outturns("2008/09", day(2009, 7, 1), 60*24*time.Hour)

	// CAA year one.
	g.emit(caa, day(2009, 6, 1), ac, "assessment opened", domain.CAAAssessmentOpened{Area: code, AreaName: g.area.Name, Region: g.area.Region, Year: 2009})
	themes := []string{"children and young people", "crime and community safety", "health and wellbeing", "economy and housing", "environment"}
	flags := g.rng.IntN(4)
	for f := range flags {
		colour := "red"
		if g.rng.IntN(3) == 0 {
			colour = "green"
		}
		t := targets[g.rng.IntN(35)]
		g.emit(caa, day(2009, 8, 1+f), ac, "draft flag", domain.CAAFlagProposed{FlagID: fmt.Sprintf("F%d", f+1), Colour: colour,
			Theme: themes[g.rng.IntN(len(themes))], Indicators: []int{t.ni}, Rationale: "synthetic judgement", LeadInspectorate: "Audit Commission"})
	}
	g.emit(caa, day(2009, 11, 2), ac, "pre-publication report", domain.CAAPrePublicationReportIssued{Locality: code})
	g.emit(caa, day(2009, 11, 16), lsp, "locality comment", domain.CAALocalityCommentSubmitted{By: lsp.ID, Comment: "synthetic comment"})
	g.emit(caa, day(2009, 12, 10), ac, "published", domain.CAAAssessmentPublished{PublishedOn: "2009-12-10"})
	g.emit(oa, day(2009, 6, 1), ac, "assessment opened", domain.OAAssessmentOpened{Org: code, Name: g.area.Name, Region: g.area.Region, Year: 2009})
	g.emit(oa, day(2009, 9, 1), ac, "draft scores", domain.OAScoresProposed{OrgScores: domain.OrgScores{ManagingPerformance: 1 + g.rng.IntN(4),
		UseOfResources: 1 + g.rng.IntN(4), Overall: 1 + g.rng.IntN(4), DirectionOfTravel: "improving"}, Rationale: "synthetic"})
	g.emit(oa, day(2009, 11, 2), ac, "pre-publication report", domain.OAPrePublicationReportIssued{Organisation: code})
	g.emit(oa, day(2009, 12, 10), ac, "published", domain.OAAssessmentPublished{PublishedOn: "2009-12-10"})

	// 2009/10 review and refresh on the seed timetable.
	review("2009/10", day(2009, 11, 13))
	g.emit(laa, day(2010, 1, 26), gov, "refresh opened", domain.RefreshOpened{Year: "2009/10", At: day(2010, 1, 26)})
	for i := range 3 {
		t := &targets[i]
		if !t.agreed {
			continue
		}
		when := day(2010, 2, 1+i)
		nv := domain.Values{"2010/11": t.values["2010/11"] + 1}
		g.emit(laa, when, lsp, "revision", domain.RefreshRevisionProposed{Target: t.key, Ground: domain.GroundYearThreeTarget, Values: nv,
			Rationale: "synthetic year-three target", CatalogueVersion: 1, Round: 1, Side: domain.SideLocal, ProposedBy: lsp.ID, At: when})
		full := domain.Values{"2008/09": t.values["2008/09"], "2009/10": t.values["2009/10"], "2010/11": nv["2010/11"]}
		g.emit(laa, when.Add(48*time.Hour), gov, "revision agreed", domain.RefreshRevisionAgreed{Target: t.key, Ground: domain.GroundYearThreeTarget, Round: 1,
			ProposedBy: lsp.ID, ProposedBySide: domain.SideLocal, AcceptedBy: gov.ID, AcceptedBySide: domain.SideGO, Values: full, Changed: nv, At: when.Add(48 * time.Hour)})
		t.values = full
	}
	g.emit(laa, day(2010, 3, 12), la, "refresh adopted", domain.RefreshAdopted{Year: "2009/10", At: day(2010, 3, 12)})
	g.emit(laa, day(2010, 3, 15), la, "refresh concluded", domain.RefreshConcluded{Year: "2009/10", By: la.ID, At: day(2010, 3, 15)})
	g.emit(laa, day(2010, 3, 31), minister, "refresh approved", domain.RefreshApproved{Year: "2009/10", At: day(2010, 3, 31)})
	outturns("2009/10", day(2010, 7, 1), 60*24*time.Hour)

	// Monitoring until the budget is spent: revised outturns, spread over
	// every agreed target and year.
	var agreed []genTarget
	for _, t := range targets {
		if t.agreed {
			agreed = append(agreed, t)
		}
	}
	left := g.budget - g.n
	rev := map[string]int{}
	from, span := day(2010, 9, 1), 300*24*time.Hour
	for i := range max(left, 0) {
		t := agreed[i%len(agreed)]
		year := years[(i/len(agreed))%3]
		rev[t.key+year]++
		when := from.Add(span * time.Duration(i) / time.Duration(left))
		g.emit(laa, when, gov, "quarterly monitoring", domain.OutturnRecorded{Target: t.key, Year: year, Value: t.values[year] + float64(g.rng.IntN(7)) - 3,
			Source: "synthetic quarterly return", Revision: rev[t.key+year], At: when})
	}
}
