package web

// The view-model layer: the only file of the package that knows the
// domain's types. It turns what the read side answers into plain rows for
// the templates, and does no querying of its own.

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// period is the one LAA period the ledger holds (DESIGN: 2008-11).
const period = "2008-11"

// caaYears are the years CAA ran (2009 and 2010) before it was abolished.
var caaYears = []int{2009, 2010}

func agreementAgg(area string) eventstore.Aggregate {
	return eventstore.Aggregate{Kind: domain.KindAgreement, ID: area + "/" + period}
}

// areaInfo is an area from the reference data.
type areaInfo struct {
	Code, Name, Type, Region string
}

func lookupArea(code string) (areaInfo, bool) {
	a, ok := domain.LookupArea(code)
	return areaInfo{a.Code, a.Name, a.Type, a.Region}, ok
}

// regionGroup is a region and its areas for the home page's directory.
type regionGroup struct {
	Name  string
	Areas []areaSummary
}

// areaSummary is one area's line in the directory.
type areaSummary struct {
	areaInfo
	Status  string
	Targets []count // by target state
	Flags   []count // standing CAA flags by colour
}

type count struct {
	Name string
	N    int
}

func counted(m map[string]int) []count {
	var out []count
	for k, n := range m {
		out = append(out, count{k, n})
	}
	slices.SortFunc(out, func(a, b count) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// directory lays out every region and area, with each area's target and
// flag counts at the point at.
func directory(ctx context.Context, q Queries, at projections.AsOf, search string) ([]regionGroup, error) {
	status := map[string]string{}
	targets := map[string]map[string]int{}
	flags := map[string]map[string]int{}
	historic := at.Basis != "" && at.Basis != projections.Current
	// Now, the read models' own lists answer; at a past point, each
	// aggregate's state there does (a fold of its events each).
	for _, v := range q.Agreements().List() {
		if !historic {
			status[v.Area] = string(v.Status)
			m := map[string]int{}
			for _, t := range v.Targets {
				m[string(t.State)]++
			}
			targets[v.Area] = m
			continue
		}
		a, err := agreementAt(ctx, q, eventstore.Aggregate{Kind: domain.KindAgreement, ID: v.ID}, at)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return nil, err
		}
		status[a.Area] = string(a.Status)
		m := map[string]int{}
		for _, t := range a.TargetList() {
			m[string(projections.TargetStateOf(a, t))]++
		}
		targets[a.Area] = m
	}
	for _, aa := range q.Assessments().Areas() {
		if historic {
			var found bool
			var err error
			aa, found, err = foundAt[caa.AreaAssessment](ctx, q, eventstore.Aggregate{Kind: domain.KindAreaAssessment, ID: aa.Area + "/" + strconv.Itoa(aa.Year)}, at)
			if err != nil {
				return nil, err
			}
			if !found {
				continue
			}
		}
		if flags[aa.Area] == nil {
			flags[aa.Area] = map[string]int{}
		}
		for _, f := range aa.StandingFlags() {
			flags[aa.Area][f.Colour]++
		}
	}
	search = strings.ToLower(strings.TrimSpace(search))
	var out []regionGroup
	for _, r := range domain.Regions() {
		g := regionGroup{Name: r}
		for _, a := range domain.Areas() {
			if a.Region != r {
				continue
			}
			if search != "" && !strings.Contains(strings.ToLower(a.Name), search) && strings.ToLower(a.Code) != search {
				continue
			}
			g.Areas = append(g.Areas, areaSummary{
				areaInfo: areaInfo{a.Code, a.Name, a.Type, a.Region},
				Status:   status[a.Code], Targets: counted(targets[a.Code]), Flags: counted(flags[a.Code]),
			})
		}
		slices.SortFunc(g.Areas, func(a, b areaSummary) int { return cmp.Compare(a.Name, b.Name) })
		if len(g.Areas) > 0 {
			out = append(out, g)
		}
	}
	return out, nil
}

// dashboard is the read side's dashboard laid out as tables.
type dashboard struct {
	States  []string
	Regions []dashRow
	Targets []dashRow // by indicator
	Totals  dashRow
	Flags   []count
}

type dashRow struct {
	Name   string
	NI     int
	Counts []int // in the order of States
	Text   string
	Total  int
}

var targetStates = []projections.TargetState{
	projections.TargetProposed, projections.TargetCountered, projections.TargetAgreed, projections.TargetLocked,
	projections.TargetUnderRefresh, projections.TargetRefreshed, projections.TargetWithdrawn,
}

func dashboardView(d projections.DashboardView) dashboard {
	var v dashboard
	for _, s := range targetStates {
		v.States = append(v.States, stateLabel(string(s)))
	}
	v.Totals = dashRow{Name: "All indicators", Counts: make([]int, len(targetStates))}
	nis := make([]int, 0, len(d.TargetsByIndicator))
	for ni := range d.TargetsByIndicator {
		nis = append(nis, ni)
	}
	slices.Sort(nis)
	for _, ni := range nis {
		row := dashRow{Name: "NI " + strconv.Itoa(ni), NI: ni}
		for i, s := range targetStates {
			n := d.TargetsByIndicator[ni][s]
			row.Counts = append(row.Counts, n)
			row.Total += n
			v.Totals.Counts[i] += n
			v.Totals.Total += n
		}
		v.Targets = append(v.Targets, row)
	}
	for _, r := range domain.Regions() {
		m := d.AgreementsByRegion[r]
		row := dashRow{Name: r, Text: statusList(m)}
		for _, n := range m {
			row.Total += n
		}
		if row.Total > 0 {
			v.Regions = append(v.Regions, row)
		}
	}
	for colour, themes := range d.FlagsByColour {
		n := 0
		for _, k := range themes {
			n += k
		}
		v.Flags = append(v.Flags, count{colour, n})
	}
	slices.SortFunc(v.Flags, func(a, b count) int { return cmp.Compare(a.Name, b.Name) })
	return v
}

func statusList(m map[laa.AgreementStatus]int) string {
	var parts []string
	for s, n := range m {
		parts = append(parts, fmt.Sprintf("%d %s", n, s))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func isNotFound(err error) bool {
	var de *domain.Error
	return errors.As(err, &de) && de.Code == domain.ENOTFOUND
}

// agreementAt is the agreement's fold at the point.
func agreementAt(ctx context.Context, q Queries, agg eventstore.Aggregate, at projections.AsOf) (laa.Agreement, error) {
	v, err := q.State(ctx, agg, at)
	if err != nil {
		return laa.Agreement{}, err
	}
	if s, ok := stateAs[laa.Agreement](v.State); ok {
		return s, nil
	}
	return laa.Agreement{}, fmt.Errorf("%s: unexpected state %T", agg, v.State)
}

// foundAt is agg's fold at the point as S; found is false where agg has
// no events, or a state that is not an S.
func foundAt[S any](ctx context.Context, q Queries, agg eventstore.Aggregate, at projections.AsOf) (s S, found bool, err error) {
	v, err := q.State(ctx, agg, at)
	if err != nil {
		if isNotFound(err) {
			err = nil
		}
		return s, false, err
	}
	s, found = stateAs[S](v.State)
	return s, found, nil
}

// stateAs returns a folded state as S, which the read side may hold by
// value or by pointer.
func stateAs[S any](state any) (S, bool) {
	switch s := state.(type) {
	case S:
		return s, true
	case *S:
		return *s, true
	}
	var zero S
	return zero, false
}

// agreementPage is the area page's agreement.
type agreementPage struct {
	ID, Status                         string
	Adopted, Submitted, Approved, Lock string
	Years                              []string
	Groups                             []targetGroup
	Refreshes                          []refreshRow
	Corrections                        []correctionRow
	Version                            int
}

type targetGroup struct {
	Kind, Title string
	Targets     []targetRow
}

// targetRow is a target in a table: its trajectory and latest outturns by
// year, in the order of the page's Years.
type targetRow struct {
	Key, Title, Kind, State, Link string
	NI                            int
	Baseline                      string
	Trajectory, Outturns          []string
	Locked                        bool
	Revisions                     int
	Area, AreaName, Region        string
}

type refreshRow struct{ Year, Opened, Adopted, Concluded, Approved string }

type correctionRow struct{ EventID, Reason, At, Link string }

// linkCorrections points each correction at the event it corrects, found
// among the aggregate's events by its id or by the "command#index"
// reference the demo histories use.
func linkCorrections(rows []correctionRow, events []projections.Entry) {
	for i := range rows {
		for _, e := range events {
			if e.EventID == rows[i].EventID || e.CommandID+"#"+strconv.Itoa(e.Index) == rows[i].EventID {
				rows[i].Link = fmt.Sprintf("/events/%d/%d", e.Sequence, e.Index)
			}
		}
	}
}

func agreementView(a laa.Agreement) agreementPage {
	v := agreementPage{ID: a.ID, Status: string(a.Status), Adopted: date(a.AdoptedAt), Submitted: date(a.SubmittedAt),
		Approved: date(a.ApprovedAt), Lock: date(a.LockdownFrom), Version: a.Version}
	list := a.TargetList()
	v.Years = yearsOf(list)
	for _, k := range []laa.TargetKind{laa.KindDesignated, laa.KindStatutory, laa.KindLocal} {
		g := targetGroup{Kind: string(k), Title: kindTitle(k)}
		for _, t := range list {
			if t.Kind == k {
				g.Targets = append(g.Targets, targetRowOf(a, t, v.Years))
			}
		}
		v.Groups = append(v.Groups, g)
	}
	for _, r := range a.Refreshes {
		v.Refreshes = append(v.Refreshes, refreshRow{r.Year, date(r.OpenedAt), date(r.AdoptedAt), date(r.ConcludedAt), date(r.ApprovedAt)})
	}
	for _, c := range a.Corrections {
		v.Corrections = append(v.Corrections, correctionRow{c.CorrectsEventID, c.Reason, date(c.At), ""})
	}
	return v
}

func kindTitle(k laa.TargetKind) string {
	switch k {
	case laa.KindDesignated:
		return "Designated targets (National Indicators, with reward grant)"
	case laa.KindStatutory:
		return "Statutory DCSF early years and education targets"
	case laa.KindLocal:
		return "Local targets (monitored by the partnership alone)"
	}
	return string(k)
}

func yearsOf(ts []laa.Target) []string {
	seen := map[string]bool{}
	for _, t := range ts {
		for y := range t.Values {
			seen[y] = true
		}
		if t.Open != nil {
			for y := range t.Open.Values {
				seen[y] = true
			}
		}
		for y := range t.Outturns {
			seen[y] = true
		}
	}
	years := make([]string, 0, len(seen))
	for y := range seen {
		years = append(years, y)
	}
	slices.Sort(years)
	return years
}

func targetRowOf(a laa.Agreement, t laa.Target, years []string) targetRow {
	r := targetRow{Key: t.Key, Title: t.Title, Kind: string(t.Kind), NI: t.NI,
		State:  stateLabel(string(projections.TargetStateOf(a, t))),
		Link:   "/agreements/" + a.Area + "/" + a.Period + "/targets/" + url.PathEscape(t.Key),
		Locked: !a.LockdownFrom.IsZero() && t.Status == laa.TargetStatusAgreed, Revisions: t.Revisions,
		Area: a.Area, AreaName: a.AreaName, Region: a.Region}
	if t.Baseline != nil {
		r.Baseline = num(t.Baseline.Value) + " (" + t.Baseline.Year + ")"
	}
	for _, y := range years {
		r.Trajectory = append(r.Trajectory, valueOf(t.Values, y))
		o := ""
		if rs := t.Outturns[y]; len(rs) > 0 {
			o = num(rs[len(rs)-1].Value)
		}
		r.Outturns = append(r.Outturns, o)
	}
	return r
}

func valueOf(v laa.Values, y string) string {
	if x, ok := v[y]; ok {
		return num(x)
	}
	return ""
}

// assessmentView is an area assessment's flags and reviews.
type assessmentView struct {
	ID, Year, Published string
	PrePublished        bool
	Flags               []flagRow
	Reviews             []reviewRow
	Comments            []commentRow
	Corrections         []correctionLink
}

type flagRow struct {
	ID, Colour, Theme, Rationale, Inspectorate, Status string
	Indicators                                         []int
}

type reviewRow struct{ ID, Target, By, Grounds, Outcome, Reasons string }

type commentRow struct{ By, Target, Comment string }

func areaAssessmentView(s caa.AreaAssessment) assessmentView {
	v := assessmentView{ID: s.Area + "/" + strconv.Itoa(s.Year), Year: strconv.Itoa(s.Year), Published: s.PublishedOn, PrePublished: s.PrePublished}
	for _, id := range s.FlagOrder {
		f := s.Flags[id]
		v.Flags = append(v.Flags, flagRow{f.ID, f.Colour, f.Theme, f.Rationale, f.LeadInspectorate, f.Status, f.Indicators})
	}
	v.Reviews, v.Comments = reviews(s.ReviewOrder, s.Reviews), comments(s.Comments)
	return v
}

func reviews(order []string, m map[string]caa.Review) []reviewRow {
	var out []reviewRow
	for _, id := range order {
		r := m[id]
		out = append(out, reviewRow{r.ID, r.Target, r.By, r.Grounds, r.Outcome, r.Reasons})
	}
	return out
}

func comments(cs []caa.Comment) []commentRow {
	var out []commentRow
	for _, c := range cs {
		out = append(out, commentRow{c.By, c.Target, c.Comment})
	}
	return out
}

// orgView is an organisational assessment's scores.
type orgView struct {
	ID, Name, Year, Published, Direction string
	Managing, Resources, Overall         int
	Reviews                              []reviewRow
	Corrections                          []correctionLink
}

func orgAssessmentView(s caa.OrgAssessment) orgView {
	return orgView{ID: s.Org + "/" + strconv.Itoa(s.Year), Name: s.Name, Year: strconv.Itoa(s.Year), Published: s.PublishedOn,
		Direction: s.Scores.DirectionOfTravel, Managing: s.Scores.ManagingPerformance, Resources: s.Scores.UseOfResources,
		Overall: s.Scores.Overall, Reviews: reviews(s.ReviewOrder, s.Reviews)}
}

// areaAssessments returns the area's CAA assessments at the point, the years
// with none left out.
func areaAssessments(ctx context.Context, q Queries, area string, at projections.AsOf) ([]assessmentView, []orgView, error) {
	var as []assessmentView
	var os []orgView
	for _, y := range caaYears {
		id := area + "/" + strconv.Itoa(y)
		areaAgg := eventstore.Aggregate{Kind: domain.KindAreaAssessment, ID: id}
		s, found, err := foundAt[caa.AreaAssessment](ctx, q, areaAgg, at)
		if err != nil {
			return nil, nil, err
		}
		if found {
			av := areaAssessmentView(s)
			av.Corrections = recordedCorrections(ctx, q, areaAgg, len(s.Corrections))
			as = append(as, av)
		}
		orgAgg := eventstore.Aggregate{Kind: domain.KindOrgAssessment, ID: id}
		o, found, err := foundAt[caa.OrgAssessment](ctx, q, orgAgg, at)
		if err != nil {
			return nil, nil, err
		}
		if found {
			ov := orgAssessmentView(o)
			ov.Corrections = recordedCorrections(ctx, q, orgAgg, len(o.Corrections))
			os = append(os, ov)
		}
	}
	return as, os, nil
}

// targetPage is one target's negotiation, outturns and chart.
type targetPage struct {
	Agreement, AreaName, Area string
	Row                       targetRow
	Years                     []string
	Open                      *roundRow
	Rounds                    []roundRow
	Outturns                  []outturnRow
	Corrections               []correctionRow
	CorrectionLinks           []correctionLink
	Chart                     chart
}

// roundRow is one round of the timeline; Values and Change follow Years.
type roundRow struct {
	N                                     int
	Kind, Side, By, Role, Org, ProposedBy string
	Occurred, Recorded                    string
	Reason, Rationale, Baseline           string
	Ground, Flag                          string
	Values                                []string
	Change                                []changeCell
	Refresh, Later                        bool
	EventLink                             string
}

type changeCell struct {
	Text string
	Dir  string // up, down, same or empty
}

type outturnRow struct {
	Year, Value, Source, At string
	Revision                int
	Latest                  bool
}

func targetView(a laa.Agreement, t laa.Target, rounds []projections.Round, at projections.AsOf) targetPage {
	v := targetPage{Agreement: a.ID, AreaName: a.AreaName, Area: a.Area}
	years := yearsOf([]laa.Target{t})
	for _, r := range rounds {
		for y := range r.Values {
			if !slices.Contains(years, y) {
				years = append(years, y)
			}
		}
	}
	slices.Sort(years)
	v.Years = years
	v.Row = targetRowOf(a, t, years)
	var proposals []series
	for i, r := range rounds {
		rr := roundRow{N: i + 1, Kind: roundKind(r.Type), Side: string(r.Side), By: r.By.ID, Role: r.By.Role, Org: r.By.Organisation,
			ProposedBy: r.ProposedBy, Occurred: stamp(r.OccurredAt), Recorded: stamp(r.RecordedAt), Reason: r.Reason,
			Rationale: r.Rationale, Ground: string(r.Ground), Refresh: r.Refresh,
			EventLink: fmt.Sprintf("/events/%d/%d", r.Sequence, r.Index)}
		if r.Flag != nil {
			rr.Flag = fmt.Sprintf("%s %d flag %s", r.Flag.Area, r.Flag.Year, r.Flag.FlagID)
		}
		if r.Baseline != nil {
			rr.Baseline = num(r.Baseline.Value) + " (" + r.Baseline.Year + ")"
		}
		// A round after the view's point is shown, marked, rather than
		// hidden: the committee sees what was yet to come.
		switch at.Basis {
		case projections.Recorded:
			rr.Later = r.RecordedAt.After(at.At)
		case projections.Known:
			rr.Later = r.OccurredAt.After(at.At)
		}
		for _, y := range years {
			rr.Values = append(rr.Values, valueOf(r.Values, y))
			c := changeCell{}
			if d, ok := r.Change[y]; ok {
				switch {
				case d > 0:
					c = changeCell{"+" + num(d), "up"}
				case d < 0:
					c = changeCell{num(d), "down"}
				default:
					c = changeCell{"no change", "same"}
				}
			} else if i > 0 && r.Values != nil {
				if _, ok := r.Values[y]; ok {
					c = changeCell{"new", "up"}
				}
			}
			rr.Change = append(rr.Change, c)
		}
		v.Rounds = append(v.Rounds, rr)
		if len(r.Values) > 0 && !rr.Later && !strings.HasSuffix(r.Type, "Agreed") {
			proposals = append(proposals, seriesOf(fmt.Sprintf("Round %d (%s)", i+1, r.Side), r.Values, years))
		}
	}
	for _, y := range years {
		for _, o := range t.Outturns[y] {
			v.Outturns = append(v.Outturns, outturnRow{y, num(o.Value), o.Source, stamp(o.At), o.Revision, false})
		}
		if n := len(v.Outturns); n > 0 && v.Outturns[n-1].Year == y {
			v.Outturns[n-1].Latest = true
		}
	}
	for _, c := range a.Corrections {
		v.Corrections = append(v.Corrections, correctionRow{c.CorrectsEventID, c.Reason, date(c.At), ""})
	}
	agreed := seriesOf("Agreed trajectory", t.Values, years)
	outturns := series{Name: "Outturns (latest)"}
	for i, y := range years {
		if rs := t.Outturns[y]; len(rs) > 0 {
			outturns.Points = append(outturns.Points, point{i, rs[len(rs)-1].Value})
		}
	}
	v.Chart = drawChart(years, proposals, agreed, outturns)
	return v
}

func seriesOf(name string, vals laa.Values, years []string) series {
	s := series{Name: name}
	for i, y := range years {
		if x, ok := vals[y]; ok {
			s.Points = append(s.Points, point{i, x})
		}
	}
	return s
}

// roundKind reads an event type as words: "laa.TargetCounterProposed" is
// "Counter proposed", "laa.RefreshRevisionAgreed" "Refresh revision agreed".
func roundKind(typ string) string {
	name := strings.TrimPrefix(typ[strings.LastIndexByte(typ, '.')+1:], "Target")
	var b strings.Builder
	for i, c := range name {
		if i > 0 && c >= 'A' && c <= 'Z' {
			b.WriteByte(' ')
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// indicatorPage is one indicator across the areas that chose it.
type indicatorPage struct {
	NI                          int
	Title, Theme, Source, Since string
	Provisional, PlaceSurvey    bool
	Years                       []string
	Rows                        []targetRow
	Sort                        string
}

func indicatorView(ctx context.Context, q Queries, v projections.IndicatorView, at projections.AsOf, sortBy string) (indicatorPage, error) {
	p := indicatorPage{NI: v.NI, Sort: sortBy}
	if in := v.Indicator; in != nil {
		p.Title, p.Theme, p.Source, p.Provisional, p.PlaceSurvey = in.Title, in.Theme, in.DataSource, in.TitleProvisional, in.PlaceSurvey
		p.Since = date(in.EffectiveFrom)
	}
	type pair struct {
		a laa.Agreement
		t laa.Target
	}
	var pairs []pair
	var ts []laa.Target
	for _, it := range v.Targets {
		a, err := agreementAt(ctx, q, eventstore.Aggregate{Kind: domain.KindAgreement, ID: it.Agreement}, at)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return p, err
		}
		t, ok := a.Target(it.Target.Key)
		if !ok {
			continue // not yet proposed at the point
		}
		pairs = append(pairs, pair{a, t})
		ts = append(ts, t)
	}
	p.Years = yearsOf(ts)
	for _, x := range pairs {
		p.Rows = append(p.Rows, targetRowOf(x.a, x.t, p.Years))
	}
	key := func(r targetRow) string { return r.AreaName }
	switch sortBy {
	case "region":
		key = func(r targetRow) string { return r.Region + "\x00" + r.AreaName }
	case "state":
		key = func(r targetRow) string { return r.State + "\x00" + r.AreaName }
	default:
		p.Sort = "area"
	}
	slices.SortStableFunc(p.Rows, func(a, b targetRow) int { return cmp.Compare(key(a), key(b)) })
	return p, nil
}

// eventPage is one event's envelope and its place in the hash chain.
type eventPage struct {
	Sequence                                uint64
	Index                                   int
	EventID, Type, Aggregate, AggregateKind string
	AggregateLink                           string
	Version                                 uint64
	Schema                                  int
	CommandID, Actor, Role, Org             string
	Reason, Causation, Correlation          string
	Evidence                                []string
	Occurred, Recorded                      string
	Data                                    string
	PrevHash, Hash, Computed                string
	// CorrectedBy are the corrections of this event; Corrects is the
	// event this one corrects, if it is a correction.
	CorrectedBy  []correctionLink
	Corrects     *correctionLink
	HashOK       bool
	Prev, Next   *chainLink
	PrevHashOK   bool
	PrevChecked  bool
	Later        bool
	Proof        *proofView
	ProofProblem string
	Genesis      bool
}

type chainLink struct {
	Version uint64
	Link    string
	Type    string
	Hash    string
}

type proofView struct {
	TreeSize                 uint64
	Root, Time, Origin, Leaf string
	Path                     []string
	Verified                 bool
	Problem                  string
}

func envelopeView(e *eventstore.Envelope, seq uint64, index int, data string) eventPage {
	v := eventPage{Sequence: seq, Index: index, EventID: e.EventID, Type: e.Type, AggregateKind: e.AggregateKind,
		Aggregate: e.AggregateID, Version: e.AggregateVersion, Schema: e.SchemaVersion, CommandID: e.CommandID,
		Actor: e.Actor.ID, Role: e.Actor.Role, Org: e.Actor.Organisation, Reason: e.Reason, Evidence: e.Evidence,
		Causation: e.CausationID, Correlation: e.CorrelationID, Occurred: stamp(e.OccurredAt), Recorded: stamp(e.RecordedAt),
		Data: data, PrevHash: e.PrevHash, Hash: e.Hash, Computed: e.ComputeHash(), Genesis: e.PrevHash == eventstore.ZeroHash}
	v.HashOK = v.Computed == e.Hash
	if e.AggregateKind == domain.KindAgreement || e.AggregateKind == domain.KindAreaAssessment || e.AggregateKind == domain.KindOrgAssessment {
		v.AggregateLink = "/areas/" + projections.AreaOf(e.Aggregate())
	}
	return v
}

func stateLabel(s string) string { return strings.ReplaceAll(s, "_", " ") }

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006")
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006 15:04 MST")
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// roundsCSV lays out a target's rounds as spreadsheet rows: a header, then
// one row per round with its values by year. Later is marked for a round
// after the view's point, as the page marks it.
func roundsCSV(agreement, target string, rounds []projections.Round, at projections.AsOf) [][]string {
	var years []string
	for _, r := range rounds {
		for y := range r.Values {
			if !slices.Contains(years, y) {
				years = append(years, y)
			}
		}
	}
	slices.Sort(years)
	head := []string{"agreement", "target", "round", "event", "refresh", "side", "by", "role", "organisation", "proposed_by",
		"occurred_at", "recorded_at", "reason", "rationale", "ground", "flag", "baseline", "baseline_year", "after_view_point", "event_id", "sequence", "index"}
	for _, y := range years {
		head = append(head, "value "+y)
	}
	for _, y := range years {
		head = append(head, "change "+y)
	}
	out := [][]string{head}
	for i, r := range rounds {
		later := false
		switch at.Basis {
		case projections.Recorded:
			later = r.RecordedAt.After(at.At)
		case projections.Known:
			later = r.OccurredAt.After(at.At)
		}
		flag, base, baseYear := "", "", ""
		if r.Flag != nil {
			flag = fmt.Sprintf("%s/%d/%s", r.Flag.Area, r.Flag.Year, r.Flag.FlagID)
		}
		if r.Baseline != nil {
			base, baseYear = num(r.Baseline.Value), r.Baseline.Year
		}
		row := []string{agreement, target, strconv.Itoa(i + 1), r.Type, strconv.FormatBool(r.Refresh), string(r.Side), r.By.ID, r.By.Role,
			r.By.Organisation, r.ProposedBy, r.OccurredAt.UTC().Format(time.RFC3339Nano), r.RecordedAt.UTC().Format(time.RFC3339Nano),
			r.Reason, r.Rationale, string(r.Ground), flag, base, baseYear, strconv.FormatBool(later), r.EventID,
			strconv.FormatUint(r.Sequence, 10), strconv.Itoa(r.Index)}
		for _, y := range years {
			row = append(row, valueOf(r.Values, y))
		}
		for _, y := range years {
			row = append(row, valueOf(r.Change, y))
		}
		out = append(out, row)
	}
	return out
}
