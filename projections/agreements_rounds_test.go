package projections

import (
	"bytes"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/domain/registry"
	"github.com/laaledger/laaledger/eventstore"
)

// roundsCommit is one commit of events of agreement id, as the ledger
// would hand it to the model.
func roundsCommit(t *testing.T, seq uint64, id string, evs ...struct {
	eventID            string
	occurred, recorded time.Time
	ev                 domain.Event
}) *eventstore.Commit {
	t.Helper()
	c := &eventstore.Commit{}
	for i, e := range evs {
		typ, v, data, err := registry.EncodeEvent(e.ev)
		if err != nil {
			t.Fatal(err)
		}
		c.Events = append(c.Events, eventstore.Envelope{EventID: e.eventID, AggregateKind: domain.KindAgreement, AggregateID: id,
			AggregateVersion: seq*10 + uint64(i), Sequence: seq, RecordedAt: e.recorded,
			Event: eventstore.Event{Type: typ, SchemaVersion: v, Data: data, OccurredAt: e.occurred, Reason: "reason " + e.eventID,
				Actor: eventstore.Actor{ID: "j.smith", Role: "lsp", Organisation: "00EB"}}})
	}
	return c
}

// Event ids that are not canonical UUIDs, times before 1678 and after
// 2262, nil and empty values and extreme numbers are kept as they were:
// the model answers as the model before it did, before and after its
// snapshot, with the same digest.
func TestRoundsKeepWhatTheCompactFormDoesNotFit(t *testing.T) {
	id := laa.AgreementID("00EB", "2008-11")
	var zero time.Time
	t2008 := time.Date(2008, 3, 1, 9, 0, 0, 123456789, time.UTC)
	t2300 := time.Date(2300, 1, 1, 0, 0, 0, 7, time.UTC)
	local := time.FixedZone("", 3600)
	type ev = struct {
		eventID            string
		occurred, recorded time.Time
		ev                 domain.Event
	}
	base := &laa.Baseline{Value: 50, Year: "2007/08", Source: "survey"}
	flag := &domain.FlagRef{Area: "00EB", Year: 2009, FlagID: "R1"}
	commits := []*eventstore.Commit{
		roundsCommit(t, 1, id,
			ev{"0190f0a4-7b1c-7def-8a12-3456789abcde", zero, zero, laa.AgreementOpened{Area: "00EB", AreaName: "Hartlepool", Region: "North East", Period: "2008-11"}},
			ev{"not-a-uuid", zero, t2008, laa.TargetProposed{Target: "NI 112", NI: 112, Title: "Under 18 conceptions", Kind: laa.KindDesignated,
				Baseline: base, Values: laa.Values{"2008/09": 60, "2009/10": 55}, Round: 1, Side: laa.SideLocal, ProposedBy: "j.smith"}}),
		roundsCommit(t, 2, id,
			ev{"0190F0A4-7B1C-7DEF-8A12-3456789ABCDE", t2008, t2008.In(local), laa.TargetCounterProposed{Target: "NI 112", Baseline: base,
				Values: laa.Values{}, Round: 2, Side: laa.SideGO, ProposedBy: "a.khan", Rationale: "none"}},
			ev{"", t2008, t2008, laa.TargetCounterProposed{Target: "NI 112", Values: nil, Round: 3, Side: laa.SideLocal}},
			ev{"0190f0a4-7b1c-7def-8a12-3456789abcdf", t2008, t2008, laa.TargetProposed{Target: "L1", LocalCode: "L1", Title: "Local", Kind: laa.KindLocal,
				Values: laa.Values{"2008/09": math.SmallestNonzeroFloat64}, Round: 1, Side: laa.SideLocal}}),
		roundsCommit(t, 3, id,
			ev{"0190f0a4-7b1c-7def-8a12-3456789abce0", t2008, t2300, laa.TargetAgreed{Target: "NI 112", Round: 3, AcceptedBySide: laa.SideGO,
				Values: laa.Values{"2008/09": math.MaxFloat64, "2009/10": -1e-300, "2010/11": 1}}},
			ev{"0190f0a4-7b1c-7def-8a12-3456789abce1", t2008, t2008, laa.TargetWithdrawn{Target: "L1", Reason: "gone", Side: laa.SideGO}}),
		roundsCommit(t, 4, id,
			ev{"0190f0a4-7b1c-7def-8a12-3456789abce2", t2300, t2300, laa.RefreshRevisionProposed{Target: "NI 112", Ground: laa.GroundCAAReopening,
				Flag: flag, Values: laa.Values{"2010/11": 2}, Round: 1, Side: laa.SideLocal, At: t2300}},
			ev{"0190f0a4-7b1c-7def-8a12-3456789abce3", t2300, t2300, laa.RefreshRevisionAgreed{Target: "NI 112", Ground: laa.GroundCAAReopening,
				Flag: flag, Values: laa.Values{"2008/09": 1, "2010/11": 2}, Round: 1, AcceptedBySide: laa.SideGO, At: t2300}}),
	}
	ag, ref := NewAgreements(), newRefAgreements()
	for _, c := range commits {
		if err := ag.Apply(c); err != nil {
			t.Fatal(err)
		}
		if err := ref.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	if refolds := ag.TakeRefolds(); len(refolds) > 0 {
		t.Fatalf("refolds %v: the test's times go back", refolds)
	}
	check := func(what string, got *Agreements) {
		t.Helper()
		diffs, rounds := DiffAgreements(got, ref)
		for _, d := range diffs {
			t.Errorf("%s: %s", what, d)
		}
		if rounds != 8 {
			t.Errorf("%s: %d rounds, want 8", what, rounds)
		}
	}
	check("applied", ag)
	rs := ag.TargetRounds(id, "NI 112")
	if rs[0].EventID != "not-a-uuid" || rs[1].Values == nil || len(rs[1].Values) != 0 || rs[2].Values != nil || !rs[0].OccurredAt.IsZero() {
		t.Errorf("rounds %+v", rs)
	}

	var buf bytes.Buffer
	if err := ag.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	ag2 := NewAgreements()
	if err := ag2.ReadSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	check("loaded", ag2)
	d1, err := contentDigest(ag, 4, "h")
	if err != nil {
		t.Fatal(err)
	}
	d2, err := contentDigest(ag2, 4, "h")
	if err != nil {
		t.Fatal(err)
	}
	if d1 != d2 {
		t.Error("the loaded model's digest differs")
	}
	// The digest sees one value changed.
	ag2.rounds[targetRef{id, "NI 112"}].vals[0].value++
	if d3, _ := contentDigest(ag2, 4, "h"); d3 == d1 {
		t.Error("a changed round value leaves the digest as it was")
	}
}

// An index or round number beyond 32 bits and a time beyond 2262 are
// kept in full.
func TestRoundOverflowKeepsLargeNumbers(t *testing.T) {
	sy := newSymbols()
	var tr targetRounds
	want := []Round{
		{Sequence: 1, Index: math.MaxInt32 + 1, EventID: "0190f0a4-7b1c-7def-8a12-3456789abcde", Type: "laa.TargetProposed", Round: 1,
			OccurredAt: time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC), RecordedAt: time.Date(2008, 1, 1, 0, 0, 0, 1, time.UTC), Values: laa.Values{"a": 1}},
		{Sequence: 2, Index: 0, EventID: "0190f0a4-7b1c-7def-8a12-3456789abcdf", Type: "laa.TargetCounterProposed", Round: math.MinInt32 - 1,
			OccurredAt: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), RecordedAt: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), Values: laa.Values{"a": 3, "b": 2},
			Change: laa.Values{"a": 2}},
	}
	for _, r := range want {
		r.Change = nil
		tr.add(&sy, &r)
	}
	if got := tr.all(&sy); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if tr.rounds[0].over == nil || tr.rounds[1].over == nil {
		t.Error("no overflow kept")
	}
	var buf bytes.Buffer
	e := newEncoder(&buf)
	if err := writeTargetRounds(e, &tr); err != nil {
		t.Fatal(err)
	}
	if err := e.flush(); err != nil {
		t.Fatal(err)
	}
	loaded, err := readTargetRounds(newDecoder(&buf), &sy)
	if err != nil {
		t.Fatal(err)
	}
	if got := loaded.all(&sy); !reflect.DeepEqual(got, want) {
		t.Errorf("loaded %+v\nwant %+v", got, want)
	}
}

func TestUUIDFormRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"0190f0a4-7b1c-7def-8a12-3456789abcde", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"0190F0A4-7b1c-7def-8a12-3456789abcde", false},
		{"0190f0a4-7b1c-7def-8a12-3456789abcd", false},
		{"0190f0a4x7b1c-7def-8a12-3456789abcde", false},
		{"0190f0a47b1c7def8a123456789abcde", false},
		{"", false},
	} {
		b, ok := parseUUID(tc.id)
		if ok != tc.ok {
			t.Errorf("%q: packed %v, want %v", tc.id, ok, tc.ok)
		}
		if got := string(appendUUID(nil, &b)); ok && got != tc.id {
			t.Errorf("%q: formats as %q", tc.id, got)
		}
	}
}

// A snapshot cut short or with any byte changed either fails to load or
// loads something every query can answer from: it never panics, since a
// forged section with its CRC recomputed is loaded by the runner.
func TestDamagedAgreementsSnapshotNeverPanics(t *testing.T) {
	id := laa.AgreementID("00EB", "2008-11")
	at := time.Date(2008, 3, 1, 9, 0, 0, 0, time.UTC)
	type ev = struct {
		eventID            string
		occurred, recorded time.Time
		ev                 domain.Event
	}
	ag := NewAgreements()
	for _, c := range []*eventstore.Commit{
		roundsCommit(t, 1, id,
			ev{"0190f0a4-7b1c-7def-8a12-3456789abcde", at, at, laa.AgreementOpened{Area: "00EB", Period: "2008-11", At: at}},
			ev{"not-a-uuid", at, at, laa.TargetProposed{Target: "NI 112", NI: 112, Kind: laa.KindDesignated, Baseline: &laa.Baseline{Value: 1, Year: "2007/08"},
				Values: laa.Values{"2008/09": 60, "2009/10": 55}, Round: 1, Side: laa.SideLocal, At: at}}),
		roundsCommit(t, 2, id,
			ev{"0190f0a4-7b1c-7def-8a12-3456789abcdf", at, at, laa.TargetCounterProposed{Target: "NI 112", Values: laa.Values{"2008/09": 58}, Round: 2, Side: laa.SideGO, At: at}},
			ev{"0190f0a4-7b1c-7def-8a12-3456789abce0", at, at, laa.OutturnRecorded{Target: "NI 112", Year: "2008/09", Value: 57, Source: "return", At: at}}),
	} {
		if err := ag.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := ag.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	query := func(m *Agreements) {
		for _, v := range m.List() {
			for _, tv := range v.Targets {
				m.TargetRounds(v.ID, tv.Key)
				m.Indicator(tv.NI)
			}
		}
		contentDigest(m, 2, "h") // may fail (a time JSON cannot write), must not panic
	}
	loaded := 0
	for n := range len(good) {
		changed := func(v byte) []byte {
			b := append([]byte(nil), good...)
			b[n] = v
			return b
		}
		for _, b := range [][]byte{good[:n], changed(good[n] ^ 0xff), changed(good[n] + 1), changed(0x7f)} {
			m := NewAgreements()
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("%d bytes, byte %d changed: panic %v", len(b), n, p)
					}
				}()
				if m.ReadSnapshot(bytes.NewReader(b)) == nil {
					loaded++
					query(m)
				}
			}()
		}
	}
	if loaded == 0 {
		t.Error("no damaged snapshot loaded: the test checks no query")
	}
}
