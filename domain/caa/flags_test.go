package caa

import (
	"slices"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/laa"
)

// Flags is the view the LAA refresh decision consults.
var _ laa.FlagView = (*Flags)(nil)

// caaFlagsFrom decides the commands in order against one area assessment and
// feeds every event to a CAAFlags view.
func caaFlagsFrom(t *testing.T, steps ...struct {
	a   domain.Actor
	cmd domain.Command
}) *Flags {
	t.Helper()
	var s AreaAssessment
	v := &Flags{}
	for _, st := range steps {
		evs, err := DecideAreaAssessment(s, caaMeta(st.a), st.cmd, nil)
		if err != nil {
			t.Fatalf("%s: %v", st.cmd.CommandType(), err)
		}
		for _, e := range evs {
			s = s.Apply(e)
			v.Apply(st.cmd.Aggregate(), e)
		}
	}
	return v
}

type caaStep = struct {
	a   domain.Actor
	cmd domain.Command
}

func TestCAAFlagsView(t *testing.T) {
	r1 := domain.FlagRef{Area: "00EB", Year: 2009, FlagID: "R1"}
	g1 := domain.FlagRef{Area: "00EB", Year: 2009, FlagID: "G1"}
	base := []caaStep{
		{caaAC, OpenAssessment{CAAKey: caaK}},
		{caaInsp, caaR1},
		{caaAC, caaG1},
	}
	prepub := append(slices.Clone(base), caaStep{caaAC, IssuePrePublicationReport{CAAKey: caaK}})
	publish := caaStep{caaAC, PublishAssessment{CAAKey: caaK, PublishedOn: "2009-12-10"}}
	dec10 := time.Date(2009, 12, 10, 0, 0, 0, 0, time.UTC)

	t.Run("published red flag on NI 112", func(t *testing.T) {
		v := caaFlagsFrom(t, append(slices.Clone(prepub), publish)...)
		f, ok, _ := v.Flag(r1)
		if !ok || !f.Published || f.Colour != FlagRed || !slices.Contains(f.Indicators, 112) || f.Withdrawn || !f.PublishedAt.Equal(dec10) || f.Ref != r1 || f.Theme != "Teenage pregnancy" {
			t.Errorf("R1: %+v, %v", f, ok)
		}
	})
	t.Run("unpublished", func(t *testing.T) {
		v := caaFlagsFrom(t, prepub...)
		f, ok, _ := v.Flag(r1)
		if !ok || f.Published || !f.PublishedAt.IsZero() {
			t.Errorf("R1: %+v, %v", f, ok)
		}
	})
	t.Run("green", func(t *testing.T) {
		v := caaFlagsFrom(t, append(slices.Clone(prepub), publish)...)
		f, ok, _ := v.Flag(g1)
		if !ok || !f.Published || f.Colour != FlagGreen || !slices.Equal(f.Indicators, []int{15, 16}) {
			t.Errorf("G1: %+v, %v", f, ok)
		}
	})
	t.Run("withdrawn on review", func(t *testing.T) {
		v := caaFlagsFrom(t, append(slices.Clone(prepub),
			caaStep{caaLSP, caaRR},
			caaStep{caaAC, DecideReview{CAAKey: caaK, RequestID: "RR1", Outcome: ReviewWithdrawn, Reasons: "r"}},
			publish)...)
		f, ok, _ := v.Flag(r1)
		if !ok || !f.Withdrawn || !f.Published {
			t.Errorf("R1: %+v, %v", f, ok)
		}
	})
	t.Run("amended on review", func(t *testing.T) {
		v := caaFlagsFrom(t, append(slices.Clone(prepub),
			caaStep{caaLSP, caaRR},
			caaStep{caaAC, DecideReview{CAAKey: caaK, RequestID: "RR1", Outcome: ReviewAmended, Reasons: "r",
				Colour: FlagRed, Theme: "Young people's health", Indicators: []int{53, 56}, Rationale: "r"}},
			publish)...)
		f, _, _ := v.Flag(r1)
		if f.Theme != "Young people's health" || slices.Contains(f.Indicators, 112) || !slices.Equal(f.Indicators, []int{53, 56}) || f.Withdrawn {
			t.Errorf("R1: %+v", f)
		}
	})
	t.Run("changed draft", func(t *testing.T) {
		v := caaFlagsFrom(t, append(slices.Clone(base),
			caaStep{caaAC, ChangeFlag{CAAKey: caaK, FlagID: "G1", Colour: FlagGreen, Theme: "Community safety", Indicators: []int{20}, Rationale: "r"}})...)
		if f, _, _ := v.Flag(g1); !slices.Equal(f.Indicators, []int{20}) {
			t.Errorf("G1: %+v", f)
		}
	})
	t.Run("dropped draft is no flag", func(t *testing.T) {
		v := caaFlagsFrom(t, append(slices.Clone(base), caaStep{caaAC, DropFlag{CAAKey: caaK, FlagID: "G1", Reason: "r"}})...)
		if f, ok, _ := v.Flag(g1); ok {
			t.Errorf("G1: %+v", f)
		}
	})
	t.Run("other year, area or flag", func(t *testing.T) {
		v := caaFlagsFrom(t, append(slices.Clone(prepub), publish)...)
		for _, ref := range []domain.FlagRef{{Area: "00EB", Year: 2010, FlagID: "R1"}, {Area: "00AG", Year: 2009, FlagID: "R1"}, {Area: "00EB", Year: 2009, FlagID: "R2"}} {
			if _, ok, _ := v.Flag(ref); ok {
				t.Errorf("%+v found", ref)
			}
		}
	})
	t.Run("publication is per assessment", func(t *testing.T) {
		v := caaFlagsFrom(t, append(slices.Clone(prepub), publish)...)
		other := AreaAssessmentRef("00AG", 2009)
		v.Apply(other, FlagProposed{FlagID: "R1", Colour: FlagRed, Theme: "t", Indicators: []int{56}})
		if f, ok, _ := v.Flag(domain.FlagRef{Area: "00AG", Year: 2009, FlagID: "R1"}); !ok || f.Published {
			t.Errorf("Camden R1: %+v %v", f, ok)
		}
	})
	t.Run("caller cannot alter the view through a result", func(t *testing.T) {
		v := caaFlagsFrom(t, append(slices.Clone(prepub), publish)...)
		f, _, _ := v.Flag(r1)
		f.Indicators[0] = 1
		if g, _, _ := v.Flag(r1); g.Indicators[0] != 112 {
			t.Errorf("view changed: %+v", g)
		}
	})
	t.Run("zero and nil views", func(t *testing.T) {
		var v Flags
		if _, ok, _ := v.Flag(r1); ok {
			t.Error("zero view found a flag")
		}
		var p *Flags
		if _, ok, _ := p.Flag(r1); ok {
			t.Error("nil view found a flag")
		}
		v.Apply(domain.AggregateRef{Kind: domain.KindAgreement, ID: "00EB/2008-11"}, FlagProposed{FlagID: "R1"})
		if _, ok, _ := v.Flag(r1); ok {
			t.Error("view took an event of another kind")
		}
	})
}
