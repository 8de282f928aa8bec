package caa

import (
	"strings"

	"github.com/laaledger/laaledger/domain"
)

// OrgAssessment is the state of one organisational assessment, folded from
// its events by Apply. The zero value is an assessment not yet opened.
// Apply never changes the maps and slices of the state it is given.
type OrgAssessment struct {
	Org            string
	Name           string
	Region         string
	Year           int
	Version        int // number of events applied
	Scores         OrgScores
	ScoresProposed bool
	Rationale      string
	PrePublished   bool
	Comments       []Comment
	Reviews        map[string]Review
	ReviewOrder    []string
	Published      bool
	PublishedOn    string
	Corrections    []Correction
}

// Opened reports whether the assessment has been opened.
func (s OrgAssessment) Opened() bool { return s.Org != "" }

// Council reports whether the assessed organisation is a council.
func (s OrgAssessment) Council() bool { return s.Opened() && !strings.HasPrefix(s.Org, BodyPrefix) }

// Ref returns the assessment's aggregate.
func (s OrgAssessment) Ref() domain.AggregateRef { return OrgAssessmentRef(s.Org, s.Year) }

// PendingReviews returns the ids of undecided review requests, sorted.
func (s OrgAssessment) PendingReviews() []string { return caaPendingReviews(s.Reviews) }

func (s OrgAssessment) clone() OrgAssessment {
	c := s
	c.Comments = append([]Comment(nil), s.Comments...)
	c.Reviews = caaCloneReviews(s.Reviews)
	c.ReviewOrder = append([]string(nil), s.ReviewOrder...)
	c.Corrections = append([]Correction(nil), s.Corrections...)
	return c
}

// Apply folds one event into the state and returns the new state. Events of
// other aggregates are ignored (the version does not move).
func (s OrgAssessment) Apply(e domain.Event) OrgAssessment {
	switch e.(type) {
	case OAAssessmentOpened, OAScoresProposed, OAPrePublicationReportIssued, OACommentSubmitted,
		OAReviewRequested, OAReviewDecided, OAAssessmentPublished, OACorrectionRecorded:
	default:
		return s
	}
	s = s.clone()
	if s.Reviews == nil {
		s.Reviews = map[string]Review{}
	}
	s.Version++
	switch e := e.(type) {
	case OAAssessmentOpened:
		s.Org, s.Name, s.Region, s.Year = e.Org, e.Name, e.Region, e.Year
	case OAScoresProposed:
		s.Scores, s.Rationale, s.ScoresProposed = e.OrgScores, e.Rationale, true
	case OAPrePublicationReportIssued:
		s.PrePublished = true
	case OACommentSubmitted:
		s.Comments = append(s.Comments, Comment{By: e.By, Target: e.Element, Comment: e.Comment})
	case OAReviewRequested:
		s.Reviews[e.RequestID] = Review{ID: e.RequestID, Target: e.Element, By: e.By, Grounds: e.Grounds}
		s.ReviewOrder = append(s.ReviewOrder, e.RequestID)
	case OAReviewDecided:
		r := s.Reviews[e.RequestID]
		r.Outcome, r.Reasons = e.Outcome, e.Reasons
		s.Reviews[e.RequestID] = r
		switch e.Outcome {
		case ReviewAmended:
			s.Scores = s.Scores.set(e.Element, e.Score, e.DirectionOfTravel)
		case ReviewWithdrawn:
			s.Scores = s.Scores.set(e.Element, 0, "")
		}
	case OAAssessmentPublished:
		s.Published, s.PublishedOn = true, e.PublishedOn
	case OACorrectionRecorded:
		s.Corrections = append(s.Corrections, Correction(e))
	}
	return s
}

// FoldOrgAssessment folds events, oldest first, from the zero state.
func FoldOrgAssessment(events []domain.Event) OrgAssessment {
	var s OrgAssessment
	for _, e := range events {
		s = s.Apply(e)
	}
	return s
}

// DecideOrgAssessment decides a command for an organisational assessment,
// returning its events or an *Error naming the rule that refuses it.
//
// The rules are those of the area assessment (see [DecideAreaAssessment]),
// with scores for flags:
//   - only the Audit Commission and the inspectorates propose scores, issue
//     the pre-publication report, decide reviews, publish and correct
//     (caa.judge_role);
//   - scores are integers 1-4 (caa.score_range); draft scores may be
//     proposed again, replacing the draft, until publication but not while a
//     review is pending (caa.under_review);
//   - the pre-publication report and publication need proposed scores
//     (caa.no_scores); publication needs the report
//     (caa.prepublication_required) and no undecided review (caa.review_pending);
//   - only the organisation itself comments and requests review
//     (caa.locality_role), between the report and publication
//     (caa.comment_window), one pending review per score element
//     (caa.review_pending), on an element that has a judgement
//     (caa.score_element);
//   - an amended numeric score gives a score, an amended direction of travel
//     gives its wording (caa.review_outcome); a withdrawn element is left
//     without a judgement;
//   - after publication only a correction is recorded (caa.published),
//     naming an event of this assessment (correction.unknown_event);
//   - an accepted command dated before the latest event in h is refused
//     (oa.time_order).
func DecideOrgAssessment(s OrgAssessment, m domain.Meta, cmd domain.Command, h domain.History) ([]domain.Event, error) {
	events, err := decideOrgAssessment(s, m, cmd)
	if err != nil {
		return nil, err
	}
	if err := domain.CheckTimeOrder(h, domain.RuleOATimeOrder, m, cmd); err != nil {
		return nil, err
	}
	if c, ok := cmd.(OARecordCorrection); ok {
		if err := domain.CheckCorrects(h, cmd, c.CorrectsEventID); err != nil {
			return nil, err
		}
	}
	return events, nil
}

func decideOrgAssessment(s OrgAssessment, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
	if cmd == nil {
		return nil, caaUnknownCommand("organisational assessment", cmd)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := caaValidateCmd(cmd); err != nil {
		return nil, err
	}
	if open, ok := cmd.(OAOpenAssessment); ok {
		if err := caaCheckJudge(m, open.CommandType()); err != nil {
			return nil, err
		}
		if s.Opened() {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAAlreadyOpened, "assessment %s is already open", s.Ref().ID)
		}
		ev := OAAssessmentOpened{Org: open.Org, Year: open.Year}
		if a, ok := domain.LookupArea(open.Org); ok {
			ev.Name, ev.Region = a.Name, a.Region
		}
		return []domain.Event{ev}, nil
	}
	switch cmd.(type) {
	case OAProposeScores, OAIssuePrePublicationReport, OASubmitComment, OARequestReview,
		OADecideReview, OAPublishAssessment, OARecordCorrection:
	default:
		return nil, caaUnknownCommand("organisational assessment", cmd)
	}
	if !s.Opened() {
		return nil, domain.Errorf(domain.ENOTFOUND, RuleCAANotOpened, "%s: the assessment %s has not been opened", cmd.CommandType(), cmd.Aggregate().ID)
	}
	if cmd.Aggregate() != s.Ref() {
		return nil, caaWrongAggregate(cmd, s.Ref())
	}

	switch c := cmd.(type) {
	case OASubmitComment:
		if err := s.checkOrganisation(m, "comment"); err != nil {
			return nil, err
		}
		return []domain.Event{OACommentSubmitted{By: m.Actor.Organisation, Element: c.Element, Comment: c.Comment}}, nil
	case OARequestReview:
		if err := s.checkOrganisation(m, "request a review"); err != nil {
			return nil, err
		}
		if _, dup := s.Reviews[c.RequestID]; dup {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAReviewExists, "review request %s already exists in %s", c.RequestID, s.Ref().ID)
		}
		if !s.Scores.has(c.Element) {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAScoreElement, "%s of %s has no judgement to review", c.Element, s.Ref().ID)
		}
		for _, id := range s.ReviewOrder {
			if r := s.Reviews[id]; r.Target == c.Element && !r.Decided() {
				return nil, domain.Errorf(domain.ECONFLICT, RuleCAAReviewPending, "%s already has review request %s awaiting a decision", c.Element, id)
			}
		}
		return []domain.Event{OAReviewRequested{RequestID: c.RequestID, Element: c.Element, By: m.Actor.Organisation, Grounds: c.Grounds}}, nil
	}

	if err := caaCheckJudge(m, cmd.CommandType()); err != nil {
		return nil, err
	}
	if s.Published {
		switch cmd.(type) {
		case OARecordCorrection, OADecideReview:
		default:
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAPublished, "%s: assessment %s was published on %s; only a correction can be recorded now", cmd.CommandType(), s.Ref().ID, s.PublishedOn)
		}
	}

	switch c := cmd.(type) {
	case OAProposeScores:
		if p := s.PendingReviews(); len(p) > 0 {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAUnderReview, "scores of %s are under review (%v); decide the review instead", s.Ref().ID, p)
		}
		return []domain.Event{OAScoresProposed{OrgScores: c.OrgScores, Rationale: c.Rationale}}, nil
	case OAIssuePrePublicationReport:
		if s.PrePublished {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAPrePubIssued, "the pre-publication report for %s has already been issued", s.Ref().ID)
		}
		if !s.ScoresProposed {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAANoScores, "assessment %s has no proposed scores to report", s.Ref().ID)
		}
		return []domain.Event{OAPrePublicationReportIssued{Organisation: s.Org, Note: c.Note}}, nil
	case OADecideReview:
		r, ok := s.Reviews[c.RequestID]
		if !ok {
			return nil, domain.Errorf(domain.ENOTFOUND, RuleCAAReviewNotFound, "there is no review request %s in %s", c.RequestID, s.Ref().ID)
		}
		if r.Decided() {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAReviewDecided, "review request %s was already decided (%s)", c.RequestID, r.Outcome)
		}
		if c.Outcome == ReviewAmended {
			if r.Target == ScoreDirectionOfTravel && c.DirectionOfTravel == "" {
				return nil, domain.Errorf(domain.EINVALID, RuleCAAReviewOutcome, "review %s is of direction of travel: an amendment gives its new wording, not a score", c.RequestID)
			}
			if r.Target != ScoreDirectionOfTravel && c.Score == 0 {
				return nil, domain.Errorf(domain.EINVALID, RuleCAAReviewOutcome, "review %s is of the %s score: an amendment gives a new score 1-4", c.RequestID, r.Target)
			}
		}
		return []domain.Event{OAReviewDecided{RequestID: c.RequestID, Element: r.Target, Outcome: c.Outcome, Reasons: c.Reasons,
			Score: c.Score, DirectionOfTravel: c.DirectionOfTravel}}, nil
	case OAPublishAssessment:
		if !s.PrePublished {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAPrePubRequired, "assessment %s cannot be published before its pre-publication report has gone to the organisation", s.Ref().ID)
		}
		if p := s.PendingReviews(); len(p) > 0 {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAReviewPending, "assessment %s cannot be published while review requests %v await a decision", s.Ref().ID, p)
		}
		return []domain.Event{OAAssessmentPublished{PublishedOn: c.PublishedOn}}, nil
	case OARecordCorrection:
		return []domain.Event{OACorrectionRecorded{CorrectsEventID: c.CorrectsEventID, Reason: c.Reason, Correction: c.Correction}}, nil
	}
	return nil, caaUnknownCommand("organisational assessment", cmd)
}

// checkOrganisation lets the assessed organisation itself act (a council as
// RoleLA, another body as RoleLSP), between the pre-publication report and
// publication.
func (s OrgAssessment) checkOrganisation(m domain.Meta, what string) error {
	want := domain.RoleLA
	if !s.Council() {
		want = domain.RoleLSP
	}
	if m.Actor.Role != want || m.Actor.Organisation != s.Org {
		return domain.Errorf(domain.EFORBIDDEN, RuleCAALocalityRole, "only %s itself (role %s) may %s on its organisational assessment, not %s", s.Org, want, what, m.Actor)
	}
	if !s.PrePublished || s.Published {
		return domain.Errorf(domain.ECONFLICT, RuleCAACommentWindow, "%s can %s only between the pre-publication report and publication", s.Org, what)
	}
	return nil
}
