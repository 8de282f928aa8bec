package caa

import (
	"github.com/laaledger/laaledger/domain"
)

// Flag statuses in an area assessment.
const (
	StatusStanding  = "standing"  // proposed, possibly changed or amended on review
	StatusDropped   = "dropped"   // dropped as a draft before publication
	StatusWithdrawn = "withdrawn" // withdrawn on review
)

// Flag is a flag as it stands in an area assessment.
type Flag struct {
	ID               string `json:"id"`
	Colour           string `json:"colour"`
	Theme            string `json:"theme"`
	Indicators       []int  `json:"indicators"`
	Rationale        string `json:"rationale"`
	LeadInspectorate string `json:"lead_inspectorate,omitempty"`
	Status           string `json:"status"`
}

// Comment is a comment on a pre-publication report.
type Comment struct {
	By      string `json:"by"`
	Target  string `json:"target,omitempty"` // a flag id or a score element; empty for the whole report
	Comment string `json:"comment"`
}

// Review is a request for review and, once decided, its outcome. Target
// is the flag id (area assessment) or the score element (organisational
// assessment) under review.
type Review struct {
	ID      string `json:"id"`
	Target  string `json:"target"`
	By      string `json:"by"`
	Grounds string `json:"grounds"`
	Outcome string `json:"outcome,omitempty"` // "" while undecided
	Reasons string `json:"reasons,omitempty"`
}

// Decided reports whether the review has an outcome.
func (r Review) Decided() bool { return r.Outcome != "" }

// Correction is a recorded correction of an earlier event, as an
// assessment keeps it: what it corrects, why, in words and, when it
// carries one, the corrected body.
type Correction CorrectionRecorded

// AreaAssessment is the state of one area assessment, folded from its
// events by Apply. The zero value is an assessment not yet opened. Apply
// never changes the maps and slices of the state it is given, so an earlier
// state stays valid after a later one is built from it.
type AreaAssessment struct {
	Area      string          `json:"area"`
	AreaName  string          `json:"area_name"`
	Region    string          `json:"region"`
	Year      int             `json:"year"`
	Version   int             `json:"version"` // number of events applied
	Flags     map[string]Flag `json:"flags"`
	FlagOrder []string        `json:"flag_order"` // flag ids in the order proposed
	Process
}

// Opened reports whether the assessment has been opened.
func (s AreaAssessment) Opened() bool { return s.Area != "" }

// Ref returns the assessment's aggregate.
func (s AreaAssessment) Ref() domain.AggregateRef { return AreaAssessmentRef(s.Area, s.Year) }

// StandingFlags returns the flags that stand, in the order proposed.
func (s AreaAssessment) StandingFlags() []Flag {
	var out []Flag
	for _, id := range s.FlagOrder {
		if f := s.Flags[id]; f.Status == StatusStanding {
			out = append(out, f)
		}
	}
	return out
}

// clone copies the slices and maps, so that a change to the copy leaves s
// as it was.
func (s AreaAssessment) clone() AreaAssessment {
	s.Process = s.Process.clone()
	s.Flags, s.FlagOrder = s.cloneFlags()
	return s
}

// cloneFlags copies the flags.
func (s AreaAssessment) cloneFlags() (map[string]Flag, []string) {
	var flags map[string]Flag
	if s.Flags != nil {
		flags = make(map[string]Flag, len(s.Flags))
		for k, v := range s.Flags {
			v.Indicators = caaCloneInts(v.Indicators)
			flags[k] = v
		}
	}
	return flags, append([]string(nil), s.FlagOrder...)
}

// Apply folds one event into the state and returns the new state. Events of
// other aggregates are ignored (the version does not move).
func (s AreaAssessment) Apply(e domain.Event) AreaAssessment {
	if !s.Process.apply(domain.KindAreaAssessment, &s.Version, e) {
		return s
	}
	s.Flags, s.FlagOrder = s.cloneFlags()
	if s.Flags == nil {
		s.Flags = map[string]Flag{}
	}
	switch e := e.(type) {
	case AssessmentOpened:
		s.Area, s.AreaName, s.Region, s.Year = e.Area, e.AreaName, e.Region, e.Year
	case FlagProposed:
		s.Flags[e.FlagID] = Flag{ID: e.FlagID, Colour: e.Colour, Theme: e.Theme,
			Indicators: caaCloneInts(e.Indicators), Rationale: e.Rationale,
			LeadInspectorate: e.LeadInspectorate, Status: StatusStanding}
		s.FlagOrder = append(s.FlagOrder, e.FlagID)
	case FlagChanged:
		f := s.Flags[e.FlagID]
		f.Colour, f.Theme, f.Indicators, f.Rationale = e.Colour, e.Theme, caaCloneInts(e.Indicators), e.Rationale
		s.Flags[e.FlagID] = f
	case FlagDropped:
		f := s.Flags[e.FlagID]
		f.Status = StatusDropped
		s.Flags[e.FlagID] = f
	case ReviewDecided:
		f := s.Flags[e.FlagID]
		switch e.Outcome {
		case ReviewAmended:
			f.Colour, f.Theme, f.Indicators, f.Rationale = e.Colour, e.Theme, caaCloneInts(e.Indicators), e.Rationale
		case ReviewWithdrawn:
			f.Status = StatusWithdrawn
		}
		s.Flags[e.FlagID] = f
	}
	return s
}

// FoldAreaAssessment folds events, oldest first, from the zero state.
func FoldAreaAssessment(events []domain.Event) AreaAssessment { return fold[AreaAssessment](events) }
