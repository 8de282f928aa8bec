package caa

import (
	"strings"

	"github.com/laaledger/laaledger/domain"
)

// OrgAssessment is the state of one organisational assessment, folded from
// its events by Apply. The zero value is an assessment not yet opened.
// Apply never changes the maps and slices of the state it is given.
type OrgAssessment struct {
	Org            string    `json:"org"`
	Name           string    `json:"name,omitempty"`
	Region         string    `json:"region,omitempty"`
	Year           int       `json:"year"`
	Version        int       `json:"version"` // number of events applied
	Scores         OrgScores `json:"scores"`
	ScoresProposed bool      `json:"scores_proposed"`
	Rationale      string    `json:"rationale,omitempty"`
	Process
}

// Opened reports whether the assessment has been opened.
func (s OrgAssessment) Opened() bool { return s.Org != "" }

// Council reports whether the assessed organisation is a council.
func (s OrgAssessment) Council() bool { return s.Opened() && !strings.HasPrefix(s.Org, BodyPrefix) }

// Ref returns the assessment's aggregate.
func (s OrgAssessment) Ref() domain.AggregateRef { return OrgAssessmentRef(s.Org, s.Year) }

// clone copies the slices and maps of the process.
func (s OrgAssessment) clone() OrgAssessment {
	s.Process = s.Process.clone()
	return s
}

// Apply folds one event into the state and returns the new state. Events of
// other aggregates are ignored (the version does not move).
func (s OrgAssessment) Apply(e domain.Event) OrgAssessment {
	if !s.Process.apply(domain.KindOrgAssessment, &s.Version, e) {
		return s
	}
	switch e := e.(type) {
	case OAAssessmentOpened:
		s.Org, s.Name, s.Region, s.Year = e.Org, e.Name, e.Region, e.Year
	case OAScoresProposed:
		s.Scores, s.Rationale, s.ScoresProposed = e.OrgScores, e.Rationale, true
	case OAReviewDecided:
		switch e.Outcome {
		case ReviewAmended:
			s.Scores = s.Scores.set(e.Element, e.Score, e.DirectionOfTravel)
		case ReviewWithdrawn:
			s.Scores = s.Scores.set(e.Element, 0, "")
		}
	}
	return s
}

// FoldOrgAssessment folds events, oldest first, from the zero state.
func FoldOrgAssessment(events []domain.Event) OrgAssessment { return fold[OrgAssessment](events) }

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
	return decideAssessment(s, domain.RuleOATimeOrder, m, cmd, h)
}

// The organisational assessment in the shared process (see process.go):
// its party is the organisation itself, its judgements are scores.

func (s OrgAssessment) profile() profile {
	return profile{kind: domain.KindOrgAssessment, name: "organisational assessment", party: s.Org, audience: "the organisation",
		opened: s.Opened(), ref: s.Ref(), process: s.Process, events: orgEvents}
}

func (s OrgAssessment) reviewLabel(el string) string { return el }
func (s OrgAssessment) checkCommented(string) error  { return nil }

func (s OrgAssessment) checkReviewable(el string) error {
	if !s.Scores.has(el) {
		return domain.Errorf(domain.ECONFLICT, RuleCAAScoreElement, "%s of %s has no judgement to review", el, s.Ref().ID)
	}
	return nil
}

func (s OrgAssessment) checkReport() error {
	if !s.ScoresProposed {
		return domain.Errorf(domain.ECONFLICT, RuleCAANoScores, "assessment %s has no proposed scores to report", s.Ref().ID)
	}
	return nil
}

// checkDecision checks that an amendment gives what the element under
// review takes: a score, or the wording of a direction of travel.
func (s OrgAssessment) checkDecision(r Review, cmd domain.Command) error {
	c := cmd.(OADecideReview)
	if r.Target == ScoreDirectionOfTravel && c.DirectionOfTravel == "" {
		return domain.Errorf(domain.EINVALID, RuleCAAReviewOutcome, "review %s is of direction of travel: an amendment gives its new wording, not a score", c.RequestID)
	}
	if r.Target != ScoreDirectionOfTravel && c.Score == 0 {
		return domain.Errorf(domain.EINVALID, RuleCAAReviewOutcome, "review %s is of the %s score: an amendment gives a new score 1-4", c.RequestID, r.Target)
	}
	return nil
}

func (s OrgAssessment) open(cmd domain.Command) ([]domain.Event, error) {
	c := cmd.(OAOpenAssessment)
	ev := OAAssessmentOpened{Org: c.Org, Year: c.Year}
	if a, ok := domain.LookupArea(c.Org); ok {
		ev.Name, ev.Region = a.Name, a.Region
	}
	return []domain.Event{ev}, nil
}

func (s OrgAssessment) draft(cmd domain.Command) ([]domain.Event, error) {
	c := cmd.(OAProposeScores)
	if p := s.PendingReviews(); len(p) > 0 {
		return nil, domain.Errorf(domain.ECONFLICT, RuleCAAUnderReview, "scores of %s are under review (%v); decide the review instead", s.Ref().ID, p)
	}
	return []domain.Event{OAScoresProposed{OrgScores: c.OrgScores, Rationale: c.Rationale}}, nil
}

func (s OrgAssessment) event(m domain.Meta, cmd domain.Command, r Review) domain.Event {
	switch c := cmd.(type) {
	case OASubmitComment:
		return OACommentSubmitted{By: m.Actor.Organisation, Element: c.Element, Comment: c.Comment}
	case OARequestReview:
		return OAReviewRequested{RequestID: c.RequestID, Element: c.Element, By: m.Actor.Organisation, Grounds: c.Grounds}
	case OAIssuePrePublicationReport:
		return OAPrePublicationReportIssued{Organisation: s.Org, Note: c.Note}
	case OADecideReview:
		return OAReviewDecided{RequestID: c.RequestID, Element: r.Target, Outcome: c.Outcome, Reasons: c.Reasons,
			Score: c.Score, DirectionOfTravel: c.DirectionOfTravel}
	case OAPublishAssessment:
		return OAAssessmentPublished{PublishedOn: c.PublishedOn}
	}
	panic("caa: no event for " + cmd.CommandType())
}

func (s OrgAssessment) corrected(c Correction) domain.Event { return OACorrectionRecorded(c) }

// commandOf returns the command that produced scores, a review decision
// or a publication, and for a decision the review it decided.
func (s OrgAssessment) commandOf(e domain.Event) (domain.Command, Review) {
	k := OAKey{Org: s.Org, Year: s.Year}
	switch e := e.(type) {
	case OAScoresProposed:
		return OAProposeScores{OAKey: k, OrgScores: e.OrgScores, Rationale: e.Rationale}, Review{}
	case OAReviewDecided:
		return OADecideReview{OAKey: k, RequestID: e.RequestID, Outcome: e.Outcome, Reasons: e.Reasons, Score: e.Score, DirectionOfTravel: e.DirectionOfTravel},
			Review{ID: e.RequestID, Target: e.Element}
	case OAAssessmentPublished:
		return OAPublishAssessment{OAKey: k, PublishedOn: e.PublishedOn}, Review{}
	}
	return nil, Review{}
}

// checkParty lets the assessed organisation itself act: a council as
// RoleLA, another body as RoleLSP.
func (s OrgAssessment) checkParty(m domain.Meta, what string) error {
	want := domain.RoleLA
	if !s.Council() {
		want = domain.RoleLSP
	}
	if m.Actor.Role != want || m.Actor.Organisation != s.Org {
		return domain.Errorf(domain.EFORBIDDEN, RuleCAALocalityRole, "only %s itself (role %s) may %s on its organisational assessment, not %s", s.Org, want, what, m.Actor)
	}
	return nil
}
