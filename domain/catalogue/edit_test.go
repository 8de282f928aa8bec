package catalogue

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/internal/domaintest"
)

func ptr[T any](v T) *T { return &v }

var after = SeedEffectiveFrom.AddDate(1, 0, 0)

func decided(t *testing.T, c Catalogue, cmd domain.Command, at time.Time) (Catalogue, []domain.Event) {
	t.Helper()
	evs, err := DecideCatalogue(c, domaintest.OperatorMeta("cmd", at), cmd)
	domaintest.NoErr(t, err, cmd.CommandType())
	return domaintest.Fold(c, evs), evs
}

func exported(t *testing.T, c Catalogue, at time.Time) []byte {
	t.Helper()
	var b bytes.Buffer
	domaintest.NoErr(t, WriteIndicatorCSV(&b, c.Indicators(at)), "export")
	return b.Bytes()
}

// The export writes the columns the import reads, in the embedded file's
// own spelling: the seed catalogue exports as the embedded file, byte for
// byte.
func TestExportOfTheSeedIsTheEmbeddedFile(t *testing.T) {
	got := exported(t, Seed(), SeedEffectiveFrom)
	if !bytes.Equal(got, domain.IndicatorsCSV()) {
		t.Errorf("export of the seed catalogue differs from refdata/national_indicators.csv:\n%s", got)
	}
}

func TestExportThenImportIsANoOp(t *testing.T) {
	c, _ := decided(t, Seed(), SetIndicator{NI: 112, Theme: ptr("Children and young people"), DCSFStatutory: ptr(true), Source: "test document"}, after)
	c, _ = decided(t, c, SetIndicator{NI: 200 - 1, TitleProvisional: ptr(true), Source: "test document"}, after)
	data := exported(t, c, after)
	rows, err := ParseIndicatorCSV(bytes.NewReader(data))
	domaintest.NoErr(t, err, "parse the export")
	for _, partial := range []bool{false, true} {
		evs, err := DecideCatalogue(c, domaintest.OperatorMeta("again", after.AddDate(0, 1, 0)), ImportIndicators{Rows: rows, Source: "export", Partial: partial})
		domaintest.NoErr(t, err, "import of the export")
		if len(evs) != 0 {
			t.Errorf("partial %v: importing the export recorded %d changes, first %+v", partial, len(evs), evs[0])
		}
	}
	if !bytes.Contains(data, []byte("NI 112,112,")) || !bytes.Contains(data, []byte(",Children and young people,")) {
		t.Errorf("export lacks the change to NI 112:\n%s", data)
	}
}

func TestPartialImportChangesOnlyTheNamedIndicators(t *testing.T) {
	seed := Seed()
	before := seed.Indicators(after)
	ni112, _ := seed.Lookup(112, after)
	imp := ImportIndicators{Source: "update", Partial: true, Rows: []IndicatorRow{
		{NI: 112, Title: "Under 18 conception rate, retitled", DataSource: ni112.DataSource, PlaceSurvey: "no", Source: ni112.Source},
		{NI: 8, Title: "Adult participation in sport", PlaceSurvey: "no", Source: "a named document"},
	}}
	c, evs := decided(t, seed, imp, after)
	var types []string
	for _, e := range evs {
		types = append(types, e.EventType())
	}
	wantAdded := 0
	if _, ok := seed.Lookup(8, after); !ok {
		wantAdded = 1
	}
	if len(evs) != 1+wantAdded || evs[0].EventType() != "nis.IndicatorRetitled" {
		t.Fatalf("events %v, want a retitle of NI 112 (and the addition of NI 8 if new)", types)
	}
	if got := len(c.Indicators(after)); got != len(before)+wantAdded {
		t.Errorf("indicators after a partial import: %d, want %d (nothing withdrawn)", got, len(before)+wantAdded)
	}
	// The same file as a whole import would withdraw every other indicator.
	imp.Partial = false
	evs, err := DecideCatalogue(c, domaintest.OperatorMeta("whole", after), imp)
	domaintest.NoErr(t, err, "whole import")
	if len(evs) != len(c.Indicators(after))-2 {
		t.Errorf("whole import of two rows: %d events, want %d withdrawals", len(evs), len(c.Indicators(after))-2)
	}
}

func TestPartialImportRemovesNothing(t *testing.T) {
	imp := ImportIndicators{Source: "update", Partial: true, Rows: []IndicatorRow{
		{Line: 2, NI: 112, Title: "Under 18 conception rate"},
		{Line: 3, NI: 199, Title: "Satisfaction with parks and play areas", Status: "withdrawn"},
	}}
	evs, err := DecideCatalogue(Seed(), domaintest.OperatorMeta("p", after), imp)
	domaintest.WantRule(t, err, "nis.partial_withdrawal")
	domaintest.Check(t, strings.Contains(err.Error(), "row 2 (line 3): NI 199"), "message %q does not name the row", err)
	domaintest.Check(t, evs == nil, "a refused import decided %d events", len(evs))
}

func TestSetIndicatorChangesOnlyWhatItNames(t *testing.T) {
	seed := Seed()
	was, ok := seed.Lookup(112, after)
	domaintest.Must(t, ok, "NI 112 in the seed")
	c, evs := decided(t, seed, SetIndicator{NI: 112, Title: ptr("A new title"), Source: "a named document"}, after)
	domaintest.Must(t, len(evs) == 1, "events %v, want one retitle", evs)
	r, ok := evs[0].(IndicatorRetitled)
	domaintest.Must(t, ok, "event %T, want IndicatorRetitled", evs[0])
	domaintest.Equal(t, r.PreviousTitle, was.Title, "previous title")
	now, _ := c.Lookup(112, after)
	domaintest.Equal(t, now.Title, "A new title", "title")
	domaintest.Equal(t, now.DataSource, was.DataSource, "data source kept")
	domaintest.Equal(t, now.PlaceSurvey, was.PlaceSurvey, "place survey kept")
	domaintest.Equal(t, now.Source, "a named document", "source of the new title")
	then, _ := c.Lookup(112, after.AddDate(0, 0, -1))
	domaintest.Equal(t, then.Title, was.Title, "title as of before the change")

	_, evs = decided(t, c, SetIndicator{NI: 112, Title: ptr("A new title"), Source: "again"}, after)
	domaintest.Equal(t, len(evs), 0, "events of setting what the catalogue says")

	_, ok = seed.Lookup(8, after)
	domaintest.Must(t, !ok, "NI 8 is not in the embedded file")
	c, evs = decided(t, c, SetIndicator{NI: 8, Title: ptr("Adult participation in sport"), PlaceSurvey: ptr(false), Source: "a named document"}, after)
	domaintest.Must(t, len(evs) == 1 && evs[0].EventType() == "nis.IndicatorAdded", "events %v, want an addition", evs)
	_, ok = c.Lookup(8, after)
	domaintest.Check(t, ok, "NI 8 added")
}

func TestSetAndWithdrawRefusals(t *testing.T) {
	tests := []struct {
		desc string
		meta domain.Meta
		cmd  domain.Command
		rule string
	}{
		{desc: "new without title", cmd: SetIndicator{NI: 8, Theme: ptr("x"), Source: "s"}, rule: "nis.set_without_title"},
		{desc: "nothing set", cmd: SetIndicator{NI: 112, Source: "s"}, rule: "nis.nothing_set"},
		{desc: "blank title", cmd: SetIndicator{NI: 112, Title: ptr(" "), Source: "s"}, rule: "nis.row_title"},
		{desc: "no source", cmd: SetIndicator{NI: 112, Title: ptr("x")}, rule: "nis.missing_source"},
		{desc: "NI 31", cmd: SetIndicator{NI: 31, Title: ptr("x"), Source: "s"}, rule: "nis.row_ni"},
		{desc: "NI 200", cmd: WithdrawIndicator{NI: 200, Source: "s"}, rule: "nis.row_ni"},
		{desc: "withdraw unknown", cmd: WithdrawIndicator{NI: 8, Source: "s"}, rule: "nis.not_catalogued"},
		{desc: "withdraw without source", cmd: WithdrawIndicator{NI: 112}, rule: "nis.missing_source"},
		{desc: "backdated", cmd: WithdrawIndicator{NI: 112, Source: "s", EffectiveFrom: SeedEffectiveFrom.AddDate(0, 0, -1)}, rule: "nis.backdated_import"},
		{desc: "not operator", meta: domain.Meta{CommandID: "x", Actor: domain.Actor{ID: "g", Role: domain.RoleGO, Organisation: "London"}, OccurredAt: after},
			cmd: WithdrawIndicator{NI: 112, Source: "s"}, rule: "nis.operator_only"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			m := tc.meta
			if m.CommandID == "" {
				m = domaintest.OperatorMeta("x", after)
			}
			_, err := DecideCatalogue(Seed(), m, tc.cmd)
			domaintest.WantRule(t, err, tc.rule)
		})
	}
}

func TestWithdrawIndicatorKeepsItsPast(t *testing.T) {
	c, evs := decided(t, Seed(), WithdrawIndicator{NI: 112, Source: "a named document"}, after)
	domaintest.Must(t, len(evs) == 1 && evs[0].EventType() == "nis.IndicatorWithdrawn", "events %v", evs)
	_, ok := c.Lookup(112, after)
	domaintest.Check(t, !ok, "NI 112 still catalogued after its withdrawal")
	_, ok = c.Lookup(112, after.AddDate(0, 0, -1))
	domaintest.Check(t, ok, "NI 112 lost as of before its withdrawal")
	domaintest.Equal(t, len(c.Indicators(after)), 86, "indicators after one withdrawal")
}

// The catalogue's history is unexported; its snapshots (gob in the
// service, JSON on the read side) must carry it, or a catalogue restored
// from one would hold no indicators.
func TestCatalogueEncodingsKeepTheHistory(t *testing.T) {
	c, _ := decided(t, Seed(), SetIndicator{NI: 112, Title: ptr("A new title"), Source: "s"}, after)
	var g bytes.Buffer
	domaintest.NoErr(t, gob.NewEncoder(&g).Encode(&c), "gob encode")
	var fromGob Catalogue
	domaintest.NoErr(t, gob.NewDecoder(&g).Decode(&fromGob), "gob decode")
	js, err := json.Marshal(c)
	domaintest.NoErr(t, err, "json encode")
	var fromJSON Catalogue
	domaintest.NoErr(t, json.Unmarshal(js, &fromJSON), "json decode")
	for name, got := range map[string]Catalogue{"gob": fromGob, "json": fromJSON} {
		domaintest.Equal(t, got.Version, c.Version, name+" version")
		for _, at := range []time.Time{SeedEffectiveFrom, after} {
			if !reflect.DeepEqual(got.Indicators(at), c.Indicators(at)) {
				t.Errorf("%s: indicators as of %s differ after decoding", name, at.Format(time.DateOnly))
			}
		}
	}
	if !bytes.Contains(js, []byte(`"last_effective":`)) {
		t.Errorf("catalogue JSON %.200s has no snake_case last_effective", js)
	}
}
