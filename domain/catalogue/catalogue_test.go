package catalogue

import (
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/internal/domaintest"
)

// The counts and Place Survey membership are the ones refdata/SOURCES.md
// states for the embedded file.
func TestSeedCatalogueMatchesSources(t *testing.T) {
	c := Seed()
	at := time.Date(2008, 4, 1, 0, 0, 0, 0, time.UTC)
	inds := c.Indicators(at)
	domaintest.Must(t, len(inds) == 87, "indicators: got %d, want 87", len(inds))
	domaintest.Equal(t, c.Version, 87, "version")
	_, ok := c.Lookup(31, at)
	domaintest.Check(t, !ok, "NI 31 was dropped from the set")
	_, ok = c.Lookup(1, SeedEffectiveFrom.Add(-time.Hour))
	domaintest.Check(t, !ok, "nothing is catalogued before the set was announced")

	placeSurvey := map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 17: true, 21: true, 22: true, 23: true,
		27: true, 37: true, 41: true, 42: true, 119: true, 138: true, 139: true, 140: true}
	domaintest.Must(t, len(placeSurvey) == 18, "place survey list")
	for _, ind := range inds {
		domaintest.Check(t, placeSurvey[ind.NI] == ind.PlaceSurvey, "NI %d place survey: got %v", ind.NI, ind.PlaceSurvey)
		domaintest.Check(t, !ind.DCSFStatutory, "NI %d: the embedded file has no statutory flags", ind.NI)
		domaintest.Check(t, ind.Title != "" && ind.Source != "", "NI %d has no title or source", ind.NI)
	}
	domaintest.Check(t, !c.HasStatutorySet(at), "embedded catalogue has no statutory set")
	ind, ok := c.Lookup(199, at)
	domaintest.Must(t, ok, "NI 199 missing")
	domaintest.Equal(t, ind.Title, "Satisfaction with parks and play areas", "NI 199 title")
}

func TestImportIsIdempotent(t *testing.T) {
	cmd := SeedCommand()
	c := Seed()
	evs, err := DecideCatalogue(c, domaintest.OperatorMeta("again", SeedEffectiveFrom.AddDate(0, 1, 0)), cmd)
	domaintest.NoErr(t, err, "second import")
	domaintest.Equal(t, len(evs), 0, "events of a repeated import")
}

func TestImportDecidesMinimalDiff(t *testing.T) {
	t0 := time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC)
	first := ImportIndicators{Source: "file A", Rows: []IndicatorRow{
		{NI: 1, Title: "One", PlaceSurvey: "yes"},
		{NI: 2, Title: "Two", PlaceSurvey: "yes"},
		{NI: 72, Title: "Seventy-two", PlaceSurvey: "no"},
	}}
	evs, err := DecideCatalogue(Catalogue{}, domaintest.OperatorMeta("a", t0), first)
	domaintest.NoErr(t, err, "first import")
	domaintest.Must(t, len(evs) == 3, "first import: got %d events", len(evs))
	c := domaintest.Fold(Catalogue{}, evs)

	second := ImportIndicators{Source: "file B", Rows: []IndicatorRow{
		{NI: 1, Title: "One, retitled", PlaceSurvey: "yes"},
		{NI: 72, Title: "Seventy-two", PlaceSurvey: "no", DCSFStatutory: "yes"},
		{NI: 73, Title: "Seventy-three", DCSFStatutory: "yes"},
	}}
	evs, err = DecideCatalogue(c, domaintest.OperatorMeta("b", t1), second)
	domaintest.NoErr(t, err, "second import")
	var types []string
	for _, e := range evs {
		types = append(types, e.EventType())
	}
	domaintest.Equal(t, types, []string{"nis.IndicatorRetitled", "nis.IndicatorReclassified", "nis.IndicatorAdded", "nis.IndicatorWithdrawn"}, "events")
	c2 := domaintest.Fold(c, evs)

	// As of before the second file, the first still answers.
	ind, ok := c2.Lookup(1, t0.AddDate(0, 6, 0))
	domaintest.Must(t, ok, "NI 1 before the second file")
	domaintest.Equal(t, ind.Title, "One", "title before")
	_, ok = c2.Lookup(2, t0.AddDate(0, 6, 0))
	domaintest.Check(t, ok, "NI 2 was catalogued before the second file")
	ind, _ = c2.Lookup(1, t1)
	domaintest.Equal(t, ind.Title, "One, retitled", "title after")
	_, ok = c2.Lookup(2, t1)
	domaintest.Check(t, !ok, "NI 2 was withdrawn by the second file")
	domaintest.Check(t, c2.HasStatutorySet(t1), "statutory set after the second file")
	domaintest.Check(t, !c2.HasStatutorySet(t0), "no statutory set before it")
	// c is unchanged by folding into c2.
	ind, _ = c.Lookup(1, t1)
	domaintest.Equal(t, ind.Title, "One", "earlier state")

	evs, err = DecideCatalogue(c2, domaintest.OperatorMeta("c", t1), second)
	domaintest.NoErr(t, err, "repeat")
	domaintest.Equal(t, len(evs), 0, "events of a repeated import")
}

func TestImportRefusals(t *testing.T) {
	t0 := time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)
	row := func(ni int, title string) IndicatorRow {
		return IndicatorRow{Line: 2, NI: ni, Title: title}
	}
	tests := []struct {
		desc  string
		meta  domain.Meta
		cmd   ImportIndicators
		state Catalogue
		rule  string
		msg   string
	}{
		{desc: "NI 31 dropped", cmd: ImportIndicators{Source: "f", Rows: []IndicatorRow{row(31, "x")}}, rule: "nis.row_ni", msg: "row 1 (line 2): NI 31"},
		{desc: "NI 0", cmd: ImportIndicators{Source: "f", Rows: []IndicatorRow{row(0, "x")}}, rule: "nis.row_ni"},
		{desc: "NI 200", cmd: ImportIndicators{Source: "f", Rows: []IndicatorRow{row(200, "x")}}, rule: "nis.row_ni"},
		{desc: "no title", cmd: ImportIndicators{Source: "f", Rows: []IndicatorRow{row(4, " ")}}, rule: "nis.row_title"},
		{desc: "bad yes/no", cmd: ImportIndicators{Source: "f", Rows: []IndicatorRow{{NI: 4, Title: "x", PlaceSurvey: "maybe"}}}, rule: "nis.row_yes_no", msg: "row 1: NI 4: place_survey"},
		{desc: "bad statutory", cmd: ImportIndicators{Source: "f", Rows: []IndicatorRow{{NI: 4, Title: "x", DCSFStatutory: "y"}}}, rule: "nis.row_yes_no"},
		{desc: "bad status", cmd: ImportIndicators{Source: "f", Rows: []IndicatorRow{{NI: 4, Title: "x", Status: "gone"}}}, rule: "nis.row_status"},
		{desc: "duplicate", cmd: ImportIndicators{Source: "f", Rows: []IndicatorRow{row(4, "x"), {Line: 3, NI: 4, Title: "y"}}}, rule: "nis.row_duplicate", msg: "row 2 (line 3): NI 4 appears twice"},
		{desc: "no rows", cmd: ImportIndicators{Source: "f"}, rule: "nis.empty_import"},
		{desc: "no source", cmd: ImportIndicators{Rows: []IndicatorRow{row(4, "x")}}, rule: "nis.missing_source"},
		{desc: "not operator", meta: domain.Meta{CommandID: "x", Actor: domain.Actor{ID: "g", Role: domain.RoleGO, Organisation: "London"}, OccurredAt: t0},
			cmd: ImportIndicators{Source: "f", Rows: []IndicatorRow{row(4, "x")}}, rule: "nis.operator_only"},
		{desc: "backdated", state: Seed(), cmd: ImportIndicators{Source: "f", Rows: []IndicatorRow{row(4, "x")}, EffectiveFrom: SeedEffectiveFrom.AddDate(0, 0, -1)},
			rule: "nis.backdated_import"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			m := tc.meta
			if m.CommandID == "" {
				m = domaintest.OperatorMeta("x", t0)
			}
			_, err := DecideCatalogue(tc.state, m, tc.cmd)
			domaintest.WantRule(t, err, tc.rule)
			domaintest.Check(t, strings.Contains(err.Error(), tc.msg), "message %q does not contain %q", err, tc.msg)
		})
	}
}

func TestParseIndicatorCSV(t *testing.T) {
	rows, err := ParseIndicatorCSV(strings.NewReader("ni,number,title,theme,data_source,place_survey,dcsf_statutory,status,source\n" +
		"NI 72,72,\"Achievement, early years\",,DCSF,no,yes,,http://example\n" +
		"NI 5,,Overall satisfaction,,,yes,,,\n"))
	domaintest.NoErr(t, err, "parse")
	domaintest.Must(t, len(rows) == 2, "rows: got %d", len(rows))
	domaintest.Equal(t, rows[0], IndicatorRow{Line: 2, NI: 72, Title: "Achievement, early years", DataSource: "DCSF", PlaceSurvey: "no", DCSFStatutory: "yes", Source: "http://example"}, "row 1")
	domaintest.Equal(t, rows[1].NI, 5, "NI from the ni column")
	domaintest.Equal(t, rows[1].Line, 3, "line")

	for _, bad := range []string{"", "title\nx\n", "number,title\nseven,x\n", "number,title\n1,\"x\n"} {
		_, err := ParseIndicatorCSV(strings.NewReader(bad))
		domaintest.Check(t, domain.ErrorCode(err) == domain.EINVALID, "%q: got %v", bad, err)
	}
}

// The embedded file marks 15 titles provisional (refdata/SOURCES.md); they
// are in the set, flagged, and confirming one as it stands is a retitle.
func TestProvisionalTitlesAreCataloguedFlaggedAndConfirmable(t *testing.T) {
	c := Seed()
	at := time.Date(2008, 4, 1, 0, 0, 0, 0, time.UTC)
	var provisional []int
	for _, ind := range c.Indicators(at) {
		if ind.TitleProvisional {
			provisional = append(provisional, ind.NI)
		}
	}
	domaintest.Must(t, len(provisional) == 15, "provisional titles: got %d (%v), want 15", len(provisional), provisional)

	rows := append([]IndicatorRow(nil), SeedCommand().Rows...)
	for i := range rows {
		if rows[i].NI == provisional[0] {
			rows[i].Status = ""
		}
	}
	evs, err := DecideCatalogue(c, domaintest.OperatorMeta("confirm", time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC)), ImportIndicators{Rows: rows, Source: "confirmed"})
	domaintest.NoErr(t, err, "confirming import")
	domaintest.Must(t, len(evs) == 1, "confirming import: got %d events, want 1", len(evs))
	r, ok := evs[0].(IndicatorRetitled)
	domaintest.Must(t, ok && r.NI == provisional[0] && !r.Provisional, "event %+v, want a confirming retitle of NI %d", evs[0], provisional[0])
	ind, _ := domaintest.Fold(c, evs).Lookup(provisional[0], time.Date(2009, 1, 2, 0, 0, 0, 0, time.UTC))
	domaintest.Check(t, !ind.TitleProvisional, "title still provisional after confirmation")
}

// A ledger seeded from an earlier, shorter copy of the embedded file takes
// the current file as a further import: only the new rows are recorded.
func TestSeedFromALongerFileAddsOnlyTheNewIndicators(t *testing.T) {
	rows := SeedCommand().Rows
	earlier := ImportIndicators{Rows: rows[:len(rows)-20], Source: SeedSource, EffectiveFrom: SeedEffectiveFrom}
	m := SeedMeta()
	m.CommandID = "seed-nis-earlier"
	evs, err := DecideCatalogue(Catalogue{}, m, earlier)
	domaintest.NoErr(t, err, "earlier seed")
	c := domaintest.Fold(Catalogue{}, evs)
	evs, err = DecideCatalogue(c, SeedMeta(), SeedCommand())
	domaintest.NoErr(t, err, "current seed")
	domaintest.Must(t, len(evs) == 20, "current seed over the earlier one: got %d events, want 20", len(evs))
	for _, e := range evs {
		domaintest.Must(t, e.EventType() == "nis.IndicatorAdded", "event %s, want only additions", e.EventType())
	}
	domaintest.Check(t, SeedMeta().CommandID != m.CommandID, "seed command id must follow the file's content")
}
