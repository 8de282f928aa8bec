package caa

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The states are served by the API and kept in the read models' snapshots
// as JSON; their field names are snake_case like the agreement's, never the
// Go names.
func TestStateTypesHaveSnakeCaseJSONNames(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	for _, v := range []any{AreaAssessment{}, OrgAssessment{}, Process{}, Flag{}, Comment{}, Review{}, Correction{}, OrgScores{}} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() || f.Anonymous {
				continue
			}
			name, _, _ := bytes.Cut([]byte(f.Tag.Get("json")), []byte(","))
			if !snake.Match(name) {
				t.Errorf("%s.%s: json name %q, want an explicit snake_case name", typ.Name(), f.Name, name)
			}
		}
	}
}

// stateGolden compares the JSON of a state with testdata/name and checks
// that it decodes back to the same state.
func stateGolden[S any](t *testing.T, name string, s S) {
	t.Helper()
	got, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run TestAssessmentStatesJSON -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("JSON of the state differs from testdata/%s:\n%s", name, got)
	}
	var back S
	if err := json.Unmarshal(want, &back); err != nil {
		t.Fatalf("decode testdata/%s: %v", name, err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("testdata/%s decodes to\n%#v\nwant\n%#v", name, back, s)
	}
}

func TestAssessmentStatesJSON(t *testing.T) {
	area := decideCAA(t, caaUnderReview(t), caaLSP, SubmitLocalityComment{CAAKey: caaK, FlagID: "G1", Comment: "agreed"})
	area = decideCAA(t, area, caaAC, DecideReview{CAAKey: caaK, RequestID: "RR1", Outcome: ReviewUpheld, Reasons: "the evidence stands"})
	area = decideCAA(t, area, caaAC, PublishAssessment{CAAKey: caaK, PublishedOn: "2009-12-10"})
	stateGolden(t, "area_assessment.json", area)

	org := decideOA(t, oaUnderReview(t), caaAC, OADecideReview{OAKey: oaK, RequestID: "RR1", Outcome: ReviewAmended, Reasons: "r", Score: 3})
	org = decideOA(t, org, caaAC, OAPublishAssessment{OAKey: oaK, PublishedOn: "2009-12-10"})
	stateGolden(t, "org_assessment.json", org)
}
