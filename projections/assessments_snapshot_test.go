package projections_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/laaledger/laaledger/projections"
)

// The assessments snapshot holds the states as JSON. Version 1 wrote the
// Go field names ("FlagOrder"); the states now have snake_case names, and a
// version 1 snapshot read as version 2 would lose every multi-word field,
// so the model's version moved on and old snapshots are rebuilt.
func TestAssessmentsSnapshotIsSnakeCaseAndVersioned(t *testing.T) {
	m := projections.NewAssessments()
	if m.Version() < 2 {
		t.Fatalf("assessments model version %d: snapshots with Go field names (version 1) must be rebuilt", m.Version())
	}
	// encoding/json matches names regardless of case, so one-word
	// fields survive; the multi-word ones are lost.
	old := `{"areas":{"00EB/2009":{"Area":"00EB","AreaName":"Hartlepool","Year":2009,"Version":2,"FlagOrder":["R1"],"PrePublished":true}},"orgs":{}}`
	if err := m.ReadSnapshot(strings.NewReader(old)); err != nil {
		t.Fatal(err)
	}
	if a, _ := m.Area("00EB/2009"); a.AreaName != "" || len(a.FlagOrder) != 0 || a.PrePublished {
		t.Fatalf("a version 1 snapshot decoded as %+v: the version bump would not be needed", a)
	}
	cur := `{"areas":{"00EB/2009":{"area":"00EB","area_name":"Hartlepool","year":2009,"version":1,"flags":{},"flag_order":[],"reviews":{},"review_order":[],"pre_published":false,"published":false}},"orgs":{}}`
	if err := m.ReadSnapshot(strings.NewReader(cur)); err != nil {
		t.Fatal(err)
	}
	a, ok := m.Area("00EB/2009")
	if !ok || a.Area != "00EB" || a.AreaName != "Hartlepool" || a.Year != 2009 {
		t.Fatalf("snapshot decoded as %+v", a)
	}
	var b bytes.Buffer
	if err := m.WriteSnapshot(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"area_name":"Hartlepool"`, `"flag_order":[]`, `"pre_published":false`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("snapshot %s lacks %s", b.String(), want)
		}
	}
}
