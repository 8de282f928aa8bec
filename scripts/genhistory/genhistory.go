// Package genhistory writes a large, realistic synthetic ledger through the
// real command path (domain decisions and event store appends): for every
// LAA area, the 2008-11 agreement negotiated target by target over many
// rounds, signed, reviewed, refreshed, with outturns and their revisions,
// and the 2009 CAA area and organisational assessments. It exists to
// measure rebuilds and queries at scale; every value in it is synthetic.
//
// It is the one history generator: `laaledger gen-history`, the projection
// and HTTP benchmarks and the tests that need a large ledger all use it, so
// every generated event is one the domain decided. It may import the domain
// and the service; nothing but tests, benchmarks and the CLI imports it.
package genhistory

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/domain/laa"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
)

// Options shape the history. A zero size means its default; [Run] refuses
// a negative one.
type Options struct {
	// Events is the approximate number of events to write (default 1,000,000).
	Events int
	// Areas limits the areas used (default all 150).
	Areas int
	// Workers run areas concurrently (default 64).
	Workers int
	// Seed makes the history reproducible.
	Seed uint64
	// Progress, if set, is called with the number of commands executed.
	Progress func(done int64)
}

// plan is how big each area's history is.
type plan struct {
	designated, local, rounds, outturnRevisions int
}

// planFor spreads the wanted events over the areas. Per area: targets ×
// (rounds + 1) negotiation events, targets × 2 years × revisions outturns,
// about 40 events of signing, reviews, refresh and CAA.
func planFor(events, areas int) plan {
	p := plan{designated: 35, local: 15, rounds: 3, outturnRevisions: 1}
	perArea := events / areas
	targets := p.designated + p.local
	budget := perArea - 40
	if budget < targets*4 {
		p.local = 0
		p.designated = max(1, min(35, budget/6))
		return p
	}
	// Half the budget to negotiation rounds, half to outturn revisions.
	p.rounds = max(1, (budget/2)/targets-1)
	p.outturnRevisions = max(1, (budget/2)/(targets*2))
	return p
}

// Run writes the history and returns the number of commands executed.
// Running it twice with the same options writes nothing the second time.
func Run(ctx context.Context, svc *service.Service, opt Options) (int64, error) {
	if opt.Events < 0 || opt.Areas < 0 || opt.Workers < 0 {
		return 0, fmt.Errorf("history of %d events, %d areas, %d workers: a size cannot be negative (0 means the default)", opt.Events, opt.Areas, opt.Workers)
	}
	if opt.Events == 0 {
		opt.Events = 1_000_000
	}
	areas := domain.Areas()
	if opt.Areas > 0 && opt.Areas < len(areas) {
		areas = areas[:opt.Areas]
	}
	if opt.Workers == 0 {
		opt.Workers = 64
	}
	if _, err := svc.Execute(ctx, catalogue.SeedMeta(), catalogue.SeedCommand(), nil); err != nil {
		return 0, fmt.Errorf("seed catalogue: %w", err)
	}
	cat := catalogue.Seed()
	p := planFor(opt.Events, len(areas))
	var done atomic.Int64
	jobs := make(chan int)
	errs := make(chan error, opt.Workers)
	var wg sync.WaitGroup
	for w := 0; w < opt.Workers; w++ {
		wg.Go(func() {
			for i := range jobs {
				g := &areaGen{svc: svc, area: areas[i], cat: cat, plan: p,
					rng: rand.New(rand.NewPCG(opt.Seed, uint64(i))), done: &done, progress: opt.Progress}
				if err := g.run(ctx); err != nil {
					errs <- fmt.Errorf("area %s: %w", areas[i].Code, err)
					return
				}
			}
		})
	}
	var err error
feed:
	for i := range areas {
		select {
		case jobs <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if err == nil {
		err = <-errs
	}
	return done.Load(), err
}

type areaGen struct {
	svc      *service.Service
	area     domain.Area
	cat      catalogue.Catalogue
	plan     plan
	rng      *rand.Rand
	done     *atomic.Int64
	progress func(int64)
	n        int
	at       time.Time
}

func (g *areaGen) actor(role domain.Role) domain.Actor {
	org := g.area.Code
	switch role {
	case domain.RoleGO:
		org = g.area.Region
	case domain.RoleMinister:
		org = "CLG"
	case domain.RoleAuditCommission:
		org = "Audit Commission"
	}
	return domain.Actor{ID: fmt.Sprintf("synthetic-%s-%s", role, g.area.Code), Role: role, Organisation: org}
}

// exec runs one command at the generator's clock, then moves the clock on.
func (g *areaGen) exec(ctx context.Context, role domain.Role, step time.Duration, reason string, cmd domain.Command) error {
	g.n++
	m := domain.Meta{CommandID: fmt.Sprintf("gen-%s-%06d", g.area.Code, g.n), Actor: g.actor(role),
		OccurredAt: g.at, Reason: "synthetic: " + reason}
	g.at = g.at.Add(step)
	if _, err := g.svc.Execute(ctx, m, cmd, nil); err != nil {
		return fmt.Errorf("%s %s: %w", m.CommandID, cmd.CommandType(), err)
	}
	n := g.done.Add(1)
	if g.progress != nil {
		g.progress(n)
	}
	return nil
}

func (g *areaGen) values(base float64) laa.Values {
	return laa.Values{
		"2008/09": round1(base * (1 + g.rng.Float64()*0.05)),
		"2009/10": round1(base * (1 + g.rng.Float64()*0.10)),
		"2010/11": round1(base * (1 + g.rng.Float64()*0.15)),
	}
}

func round1(v float64) float64 { return float64(int(v*10)) / 10 }

func (g *areaGen) run(ctx context.Context) error {
	id := laa.AgreementID(g.area.Code, laa.Period2008)
	g.at = time.Date(2008, 1, 7, 9, 0, 0, 0, time.UTC)
	// Negotiation is spread over January to May 2008.
	negotiationCommands := (g.plan.designated + g.plan.local) * (g.plan.rounds + 1)
	step := time.Duration(float64(130*24*time.Hour) / float64(negotiationCommands+1))
	if err := g.exec(ctx, domain.RoleGO, step, "open agreement", laa.OpenAgreement{Agreement: id}); err != nil {
		return err
	}
	var keys []string
	var nis []int
	for _, ind := range g.cat.Indicators(g.at) {
		if len(nis) < g.plan.designated && !ind.DCSFStatutory {
			nis = append(nis, ind.NI)
		}
	}
	targets := make([]laa.ProposeTarget, 0, len(nis)+g.plan.local)
	for _, ni := range nis {
		targets = append(targets, laa.ProposeTarget{Agreement: id, NI: ni, Kind: laa.KindDesignated})
	}
	for i := 0; i < g.plan.local; i++ {
		targets = append(targets, laa.ProposeTarget{Agreement: id, LocalCode: fmt.Sprintf("SYN%03d", i+1),
			Title: fmt.Sprintf("synthetic local target %d", i+1), Kind: laa.KindLocal})
	}
	for _, t := range targets {
		base := 10 + g.rng.Float64()*90
		t.Baseline = &laa.Baseline{Value: round1(base), Year: "2007/08", Source: "synthetic baseline"}
		t.Values = g.values(base)
		t.Rationale = "synthetic opening proposal"
		if err := g.exec(ctx, domain.RoleLSP, step, "propose", t); err != nil {
			return err
		}
		key := laa.TargetKey(t.NI, t.LocalCode)
		keys = append(keys, key)
		for r := 2; r <= g.plan.rounds; r++ {
			role := domain.RoleGO
			if r%2 == 1 {
				role = domain.RoleLSP
			}
			if err := g.exec(ctx, role, step, "counter-proposal", laa.CounterProposeTarget{Agreement: id, Target: key,
				Values: g.values(base), Rationale: fmt.Sprintf("synthetic round %d", r)}); err != nil {
				return err
			}
		}
		accept := domain.RoleLSP
		if g.plan.rounds%2 == 1 {
			accept = domain.RoleGO
		}
		if err := g.exec(ctx, accept, step, "accept", laa.AcceptProposal{Agreement: id, Target: key, Round: g.plan.rounds}); err != nil {
			return err
		}
	}
	g.at = time.Date(2008, 6, 2, 10, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, c := range []struct {
		role domain.Role
		cmd  domain.Command
	}{
		{domain.RoleLA, laa.AdoptAgreement{Agreement: id}},
		{domain.RoleLA, laa.SubmitAgreement{Agreement: id}},
		{domain.RoleMinister, laa.ApproveAgreement{Agreement: id}},
	} {
		if err := g.exec(ctx, c.role, 7*day, "sign-off", c.cmd); err != nil {
			return err
		}
	}
	// Outturns and their revisions, May to October 2009.
	g.at = time.Date(2009, 5, 1, 9, 0, 0, 0, time.UTC)
	outStep := time.Duration(float64(150*day) / float64(len(keys)*2*g.plan.outturnRevisions+1))
	for rev := 0; rev < g.plan.outturnRevisions; rev++ {
		for _, year := range []string{"2008/09", "2009/10"} {
			for _, key := range keys {
				if err := g.exec(ctx, domain.RoleLSP, outStep, "outturn", laa.RecordOutturn{Agreement: id, Target: key, Year: year,
					Value: round1(10 + g.rng.Float64()*90), Source: fmt.Sprintf("synthetic return %d", rev+1)}); err != nil {
					return err
				}
			}
		}
	}
	// The 2009/10 review and refresh on the seed timetable.
	g.at = time.Date(2009, 11, 13, 10, 0, 0, 0, time.UTC)
	if err := g.exec(ctx, domain.RoleLSP, 20*day, "self-assessment", laa.SubmitSelfAssessment{Agreement: id, Year: "2009/10"}); err != nil {
		return err
	}
	if err := g.exec(ctx, domain.RoleGO, 40*day, "annual review", laa.HoldAnnualReview{Agreement: id, Year: "2009/10"}); err != nil {
		return err
	}
	g.at = time.Date(2010, 1, 25, 10, 0, 0, 0, time.UTC)
	if err := g.exec(ctx, domain.RoleGO, day, "review report", laa.SendAnnualReviewReport{Agreement: id, Year: "2009/10"}); err != nil {
		return err
	}
	if err := g.exec(ctx, domain.RoleGO, day, "refresh opened", laa.OpenRefresh{Agreement: id, Year: "2009/10"}); err != nil {
		return err
	}
	for _, key := range keys[:min(5, len(keys))] {
		if err := g.exec(ctx, domain.RoleLSP, day, "year-three target", laa.ProposeRevision{Agreement: id, Target: key,
			Ground: laa.GroundYearThreeTarget, Values: laa.Values{"2010/11": round1(10 + g.rng.Float64()*90)},
			Rationale: "synthetic year-three revision"}); err != nil {
			return err
		}
		if err := g.exec(ctx, domain.RoleGO, day, "agree revision", laa.AgreeRevision{Agreement: id, Target: key, Round: 1}); err != nil {
			return err
		}
	}
	g.at = time.Date(2010, 3, 12, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		role domain.Role
		cmd  domain.Command
		step time.Duration
	}{
		{domain.RoleLA, laa.AdoptRefresh{Agreement: id}, 3 * day},
		{domain.RoleLA, laa.ConcludeRefresh{Agreement: id}, 16 * day},
		{domain.RoleMinister, laa.ApproveRefresh{Agreement: id}, day},
	} {
		if err := g.exec(ctx, c.role, c.step, "refresh sign-off", c.cmd); err != nil {
			return err
		}
	}
	return g.caa(ctx, nis)
}

// caa writes the area's 2009 area and organisational assessments.
func (g *areaGen) caa(ctx context.Context, nis []int) error {
	day := 24 * time.Hour
	key := caa.CAAKey{Area: g.area.Code, Year: 2009}
	ok := caa.OAKey{Org: g.area.Code, Year: 2009}
	g.at = time.Date(2009, 9, 1, 10, 0, 0, 0, time.UTC)
	red := nis[g.rng.IntN(len(nis))]
	green := nis[g.rng.IntN(len(nis))]
	steps := []struct {
		role domain.Role
		cmd  domain.Command
	}{
		{domain.RoleAuditCommission, caa.OpenAssessment{CAAKey: key}},
		{domain.RoleAuditCommission, caa.OAOpenAssessment{OAKey: ok}},
		{domain.RoleAuditCommission, caa.ProposeFlag{CAAKey: key, FlagID: "R1", Colour: caa.FlagRed, Theme: "synthetic concern",
			Indicators: []int{red}, Rationale: "synthetic red flag", LeadInspectorate: "Audit Commission"}},
		{domain.RoleAuditCommission, caa.ProposeFlag{CAAKey: key, FlagID: "G1", Colour: caa.FlagGreen, Theme: "synthetic strength",
			Indicators: []int{green}, Rationale: "synthetic green flag", LeadInspectorate: "Audit Commission"}},
		{domain.RoleAuditCommission, caa.OAProposeScores{OAKey: ok, OrgScores: caa.OrgScores{ManagingPerformance: 1 + g.rng.IntN(4),
			UseOfResources: 1 + g.rng.IntN(4), Overall: 1 + g.rng.IntN(4)}, Rationale: "synthetic scores"}},
		{domain.RoleAuditCommission, caa.IssuePrePublicationReport{CAAKey: key}},
		{domain.RoleAuditCommission, caa.OAIssuePrePublicationReport{OAKey: ok}},
		{domain.RoleLA, caa.SubmitLocalityComment{CAAKey: key, FlagID: "R1", Comment: "synthetic comment"}},
		{domain.RoleLSP, caa.RequestReview{CAAKey: key, RequestID: "RR1", FlagID: "R1", Grounds: "synthetic grounds"}},
		{domain.RoleAuditCommission, caa.DecideReview{CAAKey: key, RequestID: "RR1", Outcome: caa.ReviewUpheld, Reasons: "synthetic reasons"}},
		{domain.RoleAuditCommission, caa.PublishAssessment{CAAKey: key, PublishedOn: "2009-12-10"}},
		{domain.RoleAuditCommission, caa.OAPublishAssessment{OAKey: ok, PublishedOn: "2009-12-10"}},
	}
	for _, s := range steps {
		if err := g.exec(ctx, s.role, 7*day, "CAA", s.cmd); err != nil {
			return err
		}
	}
	return nil
}
