package domain

import "sort"

// Flag statuses in an area assessment.
const (
	FlagStanding  = "standing"  // proposed, possibly changed or amended on review
	FlagDropped   = "dropped"   // dropped as a draft before publication
	FlagWithdrawn = "withdrawn" // withdrawn on review
)

// CAAFlag is a flag as it stands in an area assessment.
type CAAFlag struct {
	ID               string
	Colour           string
	Theme            string
	Indicators       []int
	Rationale        string
	LeadInspectorate string
	Status           string
}

// CAAComment is a comment on a pre-publication report.
type CAAComment struct {
	By      string
	Target  string // a flag id or a score element; empty for the whole report
	Comment string
}

// CAAReview is a request for review and, once decided, its outcome. Target
// is the flag id (area assessment) or the score element (organisational
// assessment) under review.
type CAAReview struct {
	ID      string
	Target  string
	By      string
	Grounds string
	Outcome string // "" while undecided
	Reasons string
}

// Decided reports whether the review has an outcome.
func (r CAAReview) Decided() bool { return r.Outcome != "" }

// CAACorrection is a recorded correction of an earlier event.
type CAACorrection struct {
	CorrectsEventID string
	Reason          string
	Correction      string
}

// AreaAssessment is the state of one area assessment, folded from its
// events by Apply. The zero value is an assessment not yet opened. Apply
// never changes the maps and slices of the state it is given, so an earlier
// state stays valid after a later one is built from it.
type AreaAssessment struct {
	Area         string
	AreaName     string
	Region       string
	Year         int
	Version      int // number of events applied
	Flags        map[string]CAAFlag
	FlagOrder    []string // flag ids in the order proposed
	PrePublished bool
	Comments     []CAAComment
	Reviews      map[string]CAAReview
	ReviewOrder  []string
	Published    bool
	PublishedOn  string
	Corrections  []CAACorrection
}

// Opened reports whether the assessment has been opened.
func (s AreaAssessment) Opened() bool { return s.Area != "" }

// Ref returns the assessment's aggregate.
func (s AreaAssessment) Ref() AggregateRef { return AreaAssessmentRef(s.Area, s.Year) }

// StandingFlags returns the flags that stand, in the order proposed.
func (s AreaAssessment) StandingFlags() []CAAFlag {
	var out []CAAFlag
	for _, id := range s.FlagOrder {
		if f := s.Flags[id]; f.Status == FlagStanding {
			out = append(out, f)
		}
	}
	return out
}

// PendingReviews returns the ids of undecided review requests, sorted.
func (s AreaAssessment) PendingReviews() []string { return caaPendingReviews(s.Reviews) }

func caaPendingReviews(rs map[string]CAAReview) []string {
	var out []string
	for id, r := range rs {
		if !r.Decided() {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func (s AreaAssessment) clone() AreaAssessment {
	c := s
	if s.Flags != nil {
		c.Flags = make(map[string]CAAFlag, len(s.Flags))
		for k, v := range s.Flags {
			v.Indicators = caaCloneInts(v.Indicators)
			c.Flags[k] = v
		}
	}
	c.FlagOrder = append([]string(nil), s.FlagOrder...)
	c.Comments = append([]CAAComment(nil), s.Comments...)
	c.Reviews = caaCloneReviews(s.Reviews)
	c.ReviewOrder = append([]string(nil), s.ReviewOrder...)
	c.Corrections = append([]CAACorrection(nil), s.Corrections...)
	return c
}

func caaCloneReviews(rs map[string]CAAReview) map[string]CAAReview {
	if rs == nil {
		return nil
	}
	c := make(map[string]CAAReview, len(rs))
	for k, v := range rs {
		c[k] = v
	}
	return c
}

// Apply folds one event into the state and returns the new state. Events of
// other aggregates are ignored (the version does not move).
func (s AreaAssessment) Apply(e Event) AreaAssessment {
	switch e.(type) {
	case CAAAssessmentOpened, CAAFlagProposed, CAAFlagChanged, CAAFlagDropped,
		CAAPrePublicationReportIssued, CAALocalityCommentSubmitted, CAAReviewRequested,
		CAAReviewDecided, CAAAssessmentPublished, CAACorrectionRecorded:
	default:
		return s
	}
	s = s.clone()
	if s.Flags == nil {
		s.Flags, s.Reviews = map[string]CAAFlag{}, map[string]CAAReview{}
	}
	s.Version++
	switch e := e.(type) {
	case CAAAssessmentOpened:
		s.Area, s.AreaName, s.Region, s.Year = e.Area, e.AreaName, e.Region, e.Year
	case CAAFlagProposed:
		s.Flags[e.FlagID] = CAAFlag{ID: e.FlagID, Colour: e.Colour, Theme: e.Theme,
			Indicators: caaCloneInts(e.Indicators), Rationale: e.Rationale,
			LeadInspectorate: e.LeadInspectorate, Status: FlagStanding}
		s.FlagOrder = append(s.FlagOrder, e.FlagID)
	case CAAFlagChanged:
		f := s.Flags[e.FlagID]
		f.Colour, f.Theme, f.Indicators, f.Rationale = e.Colour, e.Theme, caaCloneInts(e.Indicators), e.Rationale
		s.Flags[e.FlagID] = f
	case CAAFlagDropped:
		f := s.Flags[e.FlagID]
		f.Status = FlagDropped
		s.Flags[e.FlagID] = f
	case CAAPrePublicationReportIssued:
		s.PrePublished = true
	case CAALocalityCommentSubmitted:
		s.Comments = append(s.Comments, CAAComment{By: e.By, Target: e.FlagID, Comment: e.Comment})
	case CAAReviewRequested:
		s.Reviews[e.RequestID] = CAAReview{ID: e.RequestID, Target: e.FlagID, By: e.By, Grounds: e.Grounds}
		s.ReviewOrder = append(s.ReviewOrder, e.RequestID)
	case CAAReviewDecided:
		r := s.Reviews[e.RequestID]
		r.Outcome, r.Reasons = e.Outcome, e.Reasons
		s.Reviews[e.RequestID] = r
		f := s.Flags[e.FlagID]
		switch e.Outcome {
		case ReviewAmended:
			f.Colour, f.Theme, f.Indicators, f.Rationale = e.Colour, e.Theme, caaCloneInts(e.Indicators), e.Rationale
		case ReviewWithdrawn:
			f.Status = FlagWithdrawn
		}
		s.Flags[e.FlagID] = f
	case CAAAssessmentPublished:
		s.Published, s.PublishedOn = true, e.PublishedOn
	case CAACorrectionRecorded:
		s.Corrections = append(s.Corrections, CAACorrection(e))
	}
	return s
}

// FoldAreaAssessment folds events, oldest first, from the zero state.
func FoldAreaAssessment(events []Event) AreaAssessment {
	var s AreaAssessment
	for _, e := range events {
		s = s.Apply(e)
	}
	return s
}
