package projections_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/domain/registry"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/demo"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/projections"
	"github.com/laaledger/laaledger/scripts/genhistory"
)

// demoLedger is the CAA and LAA demo histories decided by the domain and
// appended through the ledger, with what the tests need to find things.
type demoLedger struct {
	last uint64
	// seq and recorded give, per command id, the stream sequence of its
	// commit and an instant on the ledger's clock just after it was
	// stored and before the next command.
	seq      map[string]uint64
	recorded map[string]time.Time
	eventIDs map[string]string // demo event ref ("demo-laa-0042#0") → stored event id
}

// loadDemo decides every step of the CAA demo and then the LAA demo (whose
// CAA reopening cites a published flag) and appends the events.
func loadDemo(t *testing.T, ctx context.Context, s *eventstore.Store) demoLedger {
	t.Helper()
	d := demoLedger{seq: map[string]uint64{}, recorded: map[string]time.Time{}, eventIDs: map[string]string{}}
	var (
		cat   catalogue.Catalogue
		flags caa.Flags
		laas  = map[string]laa.Agreement{}
		areas = map[string]caa.AreaAssessment{}
		orgs  = map[string]caa.OrgAssessment{}
	)
	store := func(m domain.Meta, ref domain.AggregateRef, version int, evs []domain.Event) {
		t.Helper()
		out := make([]eventstore.Event, len(evs))
		for i, e := range evs {
			typ, v, data, err := registry.EncodeEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = eventstore.Event{Type: typ, SchemaVersion: v, Data: data,
				Actor:  eventstore.Actor{ID: m.Actor.ID, Role: string(m.Actor.Role), Organisation: m.Actor.Organisation},
				Reason: m.Reason, Evidence: m.Evidence, CausationID: m.CausationID, CorrelationID: m.CorrelationID, OccurredAt: m.OccurredAt}
		}
		res, err := s.Append(ctx, service.StoreAggregate(ref), uint64(version), out, m.CommandID)
		if err != nil {
			t.Fatalf("append %s: %v", m.CommandID, err)
		}
		for i, e := range res.Events {
			d.eventIDs[demo.EventRef(m.CommandID, i)] = e.EventID
		}
		d.seq[m.CommandID], d.last = res.Sequence, res.Sequence
		// The ledger's clock has nanoseconds; step past this commit's
		// recorded time so the instant falls strictly between two commits.
		for !time.Now().After(res.Events[len(res.Events)-1].RecordedAt) {
		}
		d.recorded[m.CommandID] = time.Now()
		for !time.Now().After(d.recorded[m.CommandID]) {
		}
	}
	decide := func(m domain.Meta, cmd domain.Command, expect string) {
		t.Helper()
		ref := cmd.Aggregate()
		var (
			evs     []domain.Event
			err     error
			version int
		)
		switch ref.Kind {
		case domain.KindCatalogue:
			evs, err = catalogue.DecideCatalogue(cat, m, cmd)
			for _, e := range evs {
				cat = cat.Apply(e)
			}
			version = -1
		case domain.KindAgreement:
			if c, ok := cmd.(laa.RecordCorrection); ok && d.eventIDs[c.CorrectsEventID] != "" {
				c.CorrectsEventID = d.eventIDs[c.CorrectsEventID]
				cmd = c
			}
			a := laas[ref.ID]
			version = a.Version
			evs, err = laa.DecideAgreement(a, m, cmd, laa.AgreementContext{Catalogue: cat, Flags: &flags})
			for _, e := range evs {
				a = a.Apply(e)
			}
			laas[ref.ID] = a
		case domain.KindAreaAssessment:
			a := areas[ref.ID]
			version = a.Version
			evs, err = caa.DecideAreaAssessment(a, m, cmd, nil)
			for _, e := range evs {
				a = a.Apply(e)
				flags.Apply(ref, e)
			}
			areas[ref.ID] = a
		case domain.KindOrgAssessment:
			a := orgs[ref.ID]
			version = a.Version
			evs, err = caa.DecideOrgAssessment(a, m, cmd, nil)
			for _, e := range evs {
				a = a.Apply(e)
			}
			orgs[ref.ID] = a
		}
		if got := domain.ErrorRule(err); got != expect || (err != nil && expect == "") {
			t.Fatalf("demo step %s: %v (rule %q), want rule %q", m.CommandID, err, got, expect)
		}
		if err != nil || len(evs) == 0 {
			return
		}
		if version < 0 {
			h, err := s.Load(ctx, service.StoreAggregate(ref))
			if err != nil {
				t.Fatal(err)
			}
			version = int(h.Version)
		}
		store(m, ref, version, evs)
	}
	for _, st := range demo.CAAHistory() {
		decide(st.Meta, st.Command, st.ExpectError)
	}
	for _, st := range demo.LAAHistory() {
		decide(st.Meta, st.Command, st.ExpectError)
	}
	return d
}

// foldAll folds every aggregate's events straight from the ledger with the
// domain's Apply, in the canonical order with corrections substituted
// (domain.Canonical): the reference the read models must equal.
func foldAll(t *testing.T, ctx context.Context, s *eventstore.Store) (map[string]laa.Agreement, map[string]caa.AreaAssessment, map[string]caa.OrgAssessment) {
	t.Helper()
	laas, areas, orgs := map[string]laa.Agreement{}, map[string]caa.AreaAssessment{}, map[string]caa.OrgAssessment{}
	seen := map[eventstore.Aggregate]bool{}
	for _, e := range ledgerEntries(t, ctx, s) {
		seen[e.Aggregate()] = true
	}
	for agg := range seen {
		h, err := s.LoadFresh(ctx, agg)
		if err != nil {
			t.Fatal(err)
		}
		var stamped []domain.Stamped
		for i, env := range h.Events {
			ev, err := registry.DecodeEvent(env.Type, env.SchemaVersion, env.Data)
			if err != nil {
				t.Fatal(err)
			}
			idx := 0
			if i > 0 && h.Events[i-1].Sequence == env.Sequence {
				idx = stamped[i-1].Index + 1
			}
			stamped = append(stamped, domain.Stamped{Event: ev, EventID: env.EventID, CommandID: env.CommandID, Sequence: env.Sequence, Index: idx, OccurredAt: env.OccurredAt})
		}
		for _, st := range domain.Canonical(stamped) {
			ev := st.Event
			switch agg.Kind {
			case domain.KindAgreement:
				laas[agg.ID] = laas[agg.ID].Apply(ev)
			case domain.KindAreaAssessment:
				areas[agg.ID] = areas[agg.ID].Apply(ev)
			case domain.KindOrgAssessment:
				orgs[agg.ID] = orgs[agg.ID].Apply(ev)
			}
		}
	}
	return laas, areas, orgs
}

// checkFolds compares the read models with folding each aggregate
// directly. exact asks for reflect.DeepEqual (a live projection); otherwise
// the JSON forms are compared, since a snapshot may turn an empty map into
// a nil one.
func checkFolds(t *testing.T, ctx context.Context, s *eventstore.Store, ag *projections.Agreements, as *projections.Assessments, exact bool) {
	t.Helper()
	laas, areas, orgs := foldAll(t, ctx, s)
	same := func(what string, got, want any) {
		t.Helper()
		if exact {
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: projection differs from the direct fold\n got %+v\nwant %+v", what, got, want)
			}
			return
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Fatalf("%s: projection differs from the direct fold\n got %s\nwant %s", what, g, w)
		}
	}
	if len(ag.List()) != len(laas) || len(as.Areas()) != len(areas) || len(as.Orgs()) != len(orgs) {
		t.Fatalf("projection holds %d/%d/%d agreements/area/org assessments, ledger %d/%d/%d",
			len(ag.List()), len(as.Areas()), len(as.Orgs()), len(laas), len(areas), len(orgs))
	}
	for id, want := range laas {
		got, _ := ag.State(id)
		same("agreement "+id, got, want)
	}
	for id, want := range areas {
		got, _ := as.Area(id)
		same("area assessment "+id, got, want)
	}
	for id, want := range orgs {
		got, _ := as.Org(id)
		same("organisational assessment "+id, got, want)
	}
}

func domainModels() (*projections.Timelines, *projections.Agreements, *projections.Assessments) {
	return projections.NewTimelines(), projections.NewAgreements(), projections.NewAssessments()
}

// readDemo loads the demo into a new ledger and returns it with a query
// reader caught up to its last commit.
func readDemo(t *testing.T) (context.Context, demoLedger, *projections.Reader) {
	t.Helper()
	ctx := estest.Context(t)
	l := estest.Open(t)
	dl := loadDemo(t, ctx, l.Store)
	q := openReader(t, l)
	if err := q.WaitFor(ctx, dl.last); err != nil {
		t.Fatal(err)
	}
	return ctx, dl, q
}

// demoRun is the demo in a new ledger with a running runner of the domain
// read models caught up to its last commit.
type demoRun struct {
	ctx context.Context
	l   *estest.Ledger
	ag  *projections.Agreements
	as  *projections.Assessments
	r   *projections.Runner
}

func runDemo(t *testing.T) demoRun {
	t.Helper()
	ctx := estest.Context(t)
	l := estest.Open(t)
	dl := loadDemo(t, ctx, l.Store)
	tl, ag, as := domainModels()
	r := openRunner(t, l, "", tl, ag, as)
	running(t, r)
	if err := r.WaitFor(ctx, dl.last); err != nil {
		t.Fatal(err)
	}
	return demoRun{ctx: ctx, l: l, ag: ag, as: as, r: r}
}

func TestDemoProjectionsEqualFoldingEachAggregate(t *testing.T) {
	ctx := estest.Context(t)
	l := estest.Open(t)
	dl := loadDemo(t, ctx, l.Store)
	dir := t.TempDir()
	tl, ag, as := domainModels()
	r := openRunner(t, l, dir, tl, ag, as)
	stop := running(t, r)
	if err := r.WaitFor(ctx, dl.last); err != nil {
		t.Fatal(err)
	}
	checkFolds(t, ctx, l.Store, ag, as, true)
	checkTimelines(t, tl, ledgerEntries(t, ctx, l.Store))
	stop()

	_, ag2, as2 := domainModels()
	r2 := openRunner(t, l, dir, projections.NewTimelines(), ag2, as2)
	if r2.Position() != dl.last {
		t.Fatalf("restored at %d, want %d", r2.Position(), dl.last)
	}
	checkFolds(t, ctx, l.Store, ag2, as2, false)
}

func TestRandomHistoriesProjectionsEqualFoldingEachAggregate(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		ctx := estest.Context(t)
		l := estest.Open(t)
		dir := t.TempDir()
		tl, ag, as := domainModels()
		r := openRunner(t, l, dir, tl, ag, as)
		stop := running(t, r)
		// Generate while the runner follows, so catch-up and live both run.
		if _, err := genhistory.Run(ctx, service.New(l.Store, service.Kinds()), genhistory.Options{Events: 1200, Areas: 3, Seed: seed, Workers: 3}); err != nil {
			t.Fatal(err)
		}
		last, err := l.Store.LastSequence(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.WaitFor(ctx, last); err != nil {
			t.Fatal(err)
		}
		checkFolds(t, ctx, l.Store, ag, as, true)
		stop()
		_, ag2, as2 := domainModels()
		openRunner(t, l, dir, projections.NewTimelines(), ag2, as2)
		checkFolds(t, ctx, l.Store, ag2, as2, false)
	}
}

func TestTargetRoundsShowWhoProposedWhatAndTheChange(t *testing.T) {
	run := runDemo(t)
	ag, as := run.ag, run.as
	rounds := ag.TargetRounds("00EB/2008-11", "NI 112")
	type row struct {
		typ    string
		round  int
		side   laa.Side
		role   string
		values laa.Values
		change laa.Values
	}
	want := []row{
		{"laa.TargetProposed", 1, laa.SideLocal, "lsp", laa.Values{"2008/09": 60, "2009/10": 55}, nil},
		{"laa.TargetCounterProposed", 2, laa.SideGO, "go", laa.Values{"2008/09": 58, "2009/10": 52}, laa.Values{"2008/09": -2, "2009/10": -3}},
		{"laa.TargetCounterProposed", 3, laa.SideLocal, "la", laa.Values{"2008/09": 59, "2009/10": 53}, laa.Values{"2008/09": 1, "2009/10": 1}},
		{"laa.TargetAgreed", 3, laa.SideGO, "go", laa.Values{"2008/09": 59, "2009/10": 53}, laa.Values{"2008/09": 0, "2009/10": 0}},
		{"laa.RefreshRevisionProposed", 1, laa.SideLocal, "lsp", laa.Values{"2010/11": 48}, laa.Values{}},
		{"laa.RefreshRevisionAgreed", 1, laa.SideGO, "go", laa.Values{"2008/09": 59, "2009/10": 53, "2010/11": 48}, laa.Values{"2010/11": 0}},
	}
	if len(rounds) < len(want) {
		t.Fatalf("NI 112 has %d rounds, want at least %d", len(rounds), len(want))
	}
	for i, w := range want {
		g := rounds[i]
		got := row{g.Type, g.Round, g.Side, g.By.Role, g.Values, g.Change}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("round %d: got %+v, want %+v", i+1, got, w)
		}
		if g.OccurredAt.IsZero() || g.RecordedAt.Before(g.OccurredAt) {
			t.Errorf("round %d: occurred %s, recorded %s", i+1, g.OccurredAt, g.RecordedAt)
		}
	}
	view, ok := ag.Agreement("00EB/2008-11")
	if !ok {
		t.Fatal("no Hartlepool agreement")
	}
	var ni112 projections.TargetView
	for _, tv := range view.Targets {
		if tv.Key == "NI 112" {
			ni112 = tv
		}
	}
	if !ni112.Locked || ni112.Outturns["2008/09"].Value != 57.9 || ni112.Trajectory["2010/11"] == 0 {
		t.Errorf("NI 112 view: %+v", ni112)
	}
	var grounds []string
	for _, g := range ni112.Grounds {
		grounds = append(grounds, string(g.Ground))
	}
	if !strings.Contains(strings.Join(grounds, ","), string(laa.GroundYearThreeTarget)) {
		t.Errorf("NI 112 lock grounds %v lack the year-three target", grounds)
	}
	for _, tv := range view.Targets {
		if tv.Key == "NI 186" && tv.State != projections.TargetWithdrawn {
			t.Errorf("NI 186 state %s, want withdrawn", tv.State)
		}
	}

	// Across areas: NI 154 is Hartlepool's and Swindon's.
	var areas []string
	for _, it := range ag.Indicator(154) {
		areas = append(areas, it.Area)
	}
	if !reflect.DeepEqual(areas, []string{"00EB", "00HX"}) {
		t.Errorf("NI 154 areas %v, want [00EB 00HX]", areas)
	}

	d := projections.CountDashboard(ag, as)
	total := 0
	for _, byStatus := range d.AgreementsByRegion {
		for _, n := range byStatus {
			total += n
		}
	}
	if total != 4 || d.AgreementsByRegion["North East"][laa.StatusApproved] != 1 {
		t.Errorf("agreements by region %v", d.AgreementsByRegion)
	}
	if d.TargetsByIndicator[154][projections.TargetLocked]+d.TargetsByIndicator[154][projections.TargetRefreshed] != 2 {
		t.Errorf("NI 154 targets %v", d.TargetsByIndicator[154])
	}
	if len(d.FlagsByColour["red"]) == 0 {
		t.Errorf("no red flags counted: %v", d.FlagsByColour)
	}
}

func TestRebuildOneAggregateFromTheStream(t *testing.T) {
	d := runDemo(t)
	ctx, ag := d.ctx, d.ag
	rounds := ag.TargetRounds("00EB/2008-11", "NI 112")
	indicator := ag.Indicator(112)
	for _, agg := range []eventstore.Aggregate{
		{Kind: domain.KindAgreement, ID: "00EB/2008-11"},
		{Kind: domain.KindAreaAssessment, ID: "00EB/2009"},
		{Kind: domain.KindOrgAssessment, ID: "00EB/2009"},
	} {
		if err := d.r.RebuildAggregate(ctx, agg); err != nil {
			t.Fatal(err)
		}
	}
	checkFolds(t, ctx, d.l.Store, ag, d.as, true)
	if got := ag.TargetRounds("00EB/2008-11", "NI 112"); !reflect.DeepEqual(got, rounds) {
		t.Errorf("rounds after rebuilding the agreement differ:\n got %+v\nwant %+v", got, rounds)
	}
	if got := ag.Indicator(112); !reflect.DeepEqual(got, indicator) {
		t.Errorf("NI 112 across areas after rebuilding differs")
	}
}
