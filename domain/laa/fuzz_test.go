package laa

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/domain/internal/domaintest"
)

// laaFuzzTypes are the command types the fuzz test decodes: every LAA
// command and the catalogue import.
func laaFuzzTypes() []string {
	return domaintest.OfKinds(kindTypes.CommandTypes(), domain.KindAgreement, domain.KindCatalogue)
}

var fuzzTitle = "t"

// laaFuzzSeeds is one well-formed body per command plus malformed ones.
func laaFuzzSeeds() []domain.Command {
	return []domain.Command{
		OpenAgreement{Agreement: hpID},
		ProposeTarget{Agreement: hpID, NI: 112, Kind: KindDesignated, Baseline: &Baseline{Value: 1.5, Year: "2007/08", Source: "s"}, Values: threeYears, Rationale: "r"},
		ProposeTarget{Agreement: hpID, LocalCode: "L1", Title: "local", Kind: KindLocal, Values: Values{"2010/11": 3}},
		CounterProposeTarget{Agreement: hpID, Target: "NI 112", Values: threeYears},
		AcceptProposal{Agreement: hpID, Target: "NI 112", Round: 1},
		WithdrawTarget{Agreement: hpID, Target: "NI 112", Reason: "r"},
		AdoptAgreement{Agreement: hpID},
		SubmitAgreement{Agreement: hpID},
		ApproveAgreement{Agreement: hpID},
		SubmitSelfAssessment{Agreement: hpID, Year: "2009/10"},
		HoldAnnualReview{Agreement: hpID, Year: "2009/10"},
		SendAnnualReviewReport{Agreement: hpID, Year: "2009/10"},
		OpenRefresh{Agreement: hpID, Year: "2008/09"},
		ProposeRevision{Agreement: hpID, Target: "NI 4", Ground: GroundPlaceSurvey, Values: Values{"2009/10": 5}},
		ProposeRevision{Agreement: hpID, Target: "NI 112", Ground: GroundCAAReopening, Flag: &redFlag, Values: Values{"2010/11": 5}},
		CounterProposeRevision{Agreement: hpID, Target: "NI 4", Values: Values{"2009/10": 6}},
		AgreeRevision{Agreement: hpID, Target: "NI 4", Round: 1},
		AdoptRefresh{Agreement: hpID},
		ConcludeRefresh{Agreement: hpID},
		ApproveRefresh{Agreement: hpID},
		RecordOutturn{Agreement: hpID, Target: "NI 112", Year: "2008/09", Value: 3, Source: "s"},
		RecordCorrection{Agreement: hpID, CorrectsEventID: "e1", Reason: "r", CorrectedType: "laa.OutturnRecorded", Corrected: json.RawMessage(`{"value":1}`)},
		catalogue.ImportIndicators{Source: "s", Rows: []catalogue.IndicatorRow{{NI: 1, Title: "t", PlaceSurvey: "yes"}}},
		catalogue.SetIndicator{NI: 1, Title: &fuzzTitle, Source: "s"},
		catalogue.WithdrawIndicator{NI: 1, Source: "s"},
	}
}

func FuzzDecodeCommand(f *testing.F) {
	types := laaFuzzTypes()
	index := map[string]int{}
	for i, typ := range types {
		index[typ] = i
	}
	for _, c := range laaFuzzSeeds() {
		body, err := json.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		i := uint8(index[c.CommandType()])
		f.Add(i, body)
		f.Add(i, body[:len(body)/2])
		f.Add(i, append(body, '{'))
	}
	for i := range types {
		for _, bad := range []string{``, `null`, `[]`, `{}`, `{"agreement":1}`, `{"agreement":"00EB/2008-11","bogus":1}`,
			`{"agreement":"00EB/2008-11","values":{"2008/09":1e999}}`, `{"agreement":"00EB/2008-11","round":-1}`,
			`{"agreement":"00EB/2008-11","target":"NI 112","corrects_event_id":"x","reason":"r","corrected":null}`,
			`{"agreement":"ZZZZ/2008-11"}`, `{"agreement":"00EB/"}`, `{"rows":[{"ni":31,"title":"x"}],"source":"s"}`} {
			f.Add(uint8(i), []byte(bad))
		}
	}

	// Decoded commands are also decided against an agreement in refresh,
	// by each kind of actor: nothing may panic or fail without an *Error.
	fx := newFixture().refreshOpen(f)
	fx.ctx.Flags = flagsWith(nil)
	actors := []domain.Actor{lspHP, laHP, goNE, minister, clg, laaActor(domain.RoleOperator, "ops"), laaActor(domain.RoleAuditor, "AC")}
	at := fx.at.Add(24 * time.Hour)

	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		typ := types[int(which)%len(types)]
		cmd, err := kindTypes.DecodeCommand(typ, data)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Rule == "" || de.Code != domain.EINVALID {
				t.Fatalf("decode %s %q: rejection is not an EINVALID *Error with a rule: %#v", typ, data, err)
			}
			return
		}
		if cmd.CommandType() != typ {
			t.Fatalf("decoded %s as %s", typ, cmd.CommandType())
		}
		body, err := json.Marshal(cmd)
		if err != nil {
			t.Fatalf("re-encode %s: %v", typ, err)
		}
		if _, err := kindTypes.DecodeCommand(typ, body); err != nil {
			t.Fatalf("re-decode %s %s: %v", typ, body, err)
		}
		for _, by := range actors {
			m := domain.Meta{CommandID: "fuzz", Actor: by, OccurredAt: at, Evidence: []string{"e"}}
			var err error
			if cmd.Aggregate().Kind == domain.KindCatalogue {
				_, err = catalogue.DecideCatalogue(fx.ctx.Catalogue, m, cmd)
			} else {
				_, err = DecideAgreement(fx.a, m, cmd, fx.ctx)
			}
			var de *domain.Error
			if err != nil && (!errors.As(err, &de) || de.Rule == "") {
				t.Fatalf("decide %s as %s: refusal is not an *Error with a rule: %v", typ, by, err)
			}
		}
	})
}

func TestEveryLAACommandHasAFuzzSeed(t *testing.T) {
	seeded := map[string]bool{}
	for _, c := range laaFuzzSeeds() {
		seeded[c.CommandType()] = true
		body, err := json.Marshal(c)
		domaintest.NoErr(t, err, "marshal")
		_, err = kindTypes.DecodeCommand(c.CommandType(), body)
		domaintest.NoErr(t, err, "seed "+c.CommandType()+" decodes")
	}
	for _, typ := range laaFuzzTypes() {
		domaintest.Check(t, seeded[typ], "no fuzz seed for %s", typ)
	}
}

// JSON field names are snake_case throughout.
func TestLAACommandFieldsAreSnakeCase(t *testing.T) {
	for _, c := range laaFuzzSeeds() {
		body, _ := json.Marshal(c)
		var m map[string]any
		domaintest.NoErr(t, json.Unmarshal(body, &m), "unmarshal")
		for k := range m {
			domaintest.Check(t, k == strings.ToLower(k) && !strings.Contains(k, "-"), "%s field %q is not snake_case", c.CommandType(), k)
		}
	}
}
