package caa

import (
	"github.com/laaledger/laaledger/domain"
)

// DecideAreaAssessment decides a command for an area assessment: it returns
// the events the command produces, or an *Error naming the rule that
// refuses it. It is pure: s is the assessment folded from its events, h
// what the ledger recorded of them (see [domain.History]), m carries who, when and
// why.
//
// Rules (Rule ids in caa.go):
//   - only the Audit Commission and the inspectorates (RoleAuditCommission,
//     RoleInspectorate) open assessments, propose, change and drop flags,
//     issue the pre-publication report, decide reviews, publish and record
//     corrections (caa.judge_role);
//   - only the assessed area's own bodies, its LSP or lead council (RoleLSP or
//     RoleLA with Organisation equal to the area's SNAC code), comment and
//     request review (caa.locality_role), and only between the
//     pre-publication report and publication (caa.comment_window);
//   - a flag names at least one National Indicator, each NI 1-199 but not
//     31 (caa.indicator); a red and a green flag cannot stand on the same
//     theme at once (caa.theme_conflict; themes compare without case or
//     extra spaces);
//   - new flags are proposed before the pre-publication report, so the
//     locality sees every flag it may comment on (caa.flag_after_prepublication);
//     flags can be changed or dropped until publication, but not while a
//     review of them is pending (caa.under_review);
//   - one pending review per flag (caa.review_pending); a decision needs an
//     existing undecided request (caa.review_not_found, caa.review_decided);
//   - publication needs the pre-publication report
//     (caa.prepublication_required) and no undecided review request
//     (caa.review_pending): year one's reviews were concluded before the
//     results were published on 10 December 2009;
//   - after publication nothing changes (caa.published) except a recorded
//     correction, which names an event of this assessment
//     (correction.unknown_event, checked against h);
//   - a command the rules above accept is still refused if it is dated
//     before the assessment's latest event in h (caa.time_order): who may
//     act, and what, is answered first.
func DecideAreaAssessment(s AreaAssessment, m domain.Meta, cmd domain.Command, h domain.History) ([]domain.Event, error) {
	return decideAssessment(s, domain.RuleCAATimeOrder, m, cmd, h)
}

// The area assessment in the shared process (see process.go): its party is
// the locality, its judgements are flags.

func (s AreaAssessment) profile() profile {
	return profile{kind: domain.KindAreaAssessment, name: "area assessment", party: s.AreaName, audience: "the locality",
		opened: s.Opened(), ref: s.Ref(), process: s.Process, events: areaEvents}
}

func (s AreaAssessment) reviewLabel(id string) string { return "flag " + id }
func (s AreaAssessment) checkReport() error           { return nil }

func (s AreaAssessment) checkCommented(flagID string) error {
	if flagID == "" {
		return nil
	}
	_, err := s.standingFlag(flagID)
	return err
}

func (s AreaAssessment) checkReviewable(flagID string) error {
	_, err := s.standingFlag(flagID)
	return err
}

// checkDecision checks a flag amended on review against the other flags.
func (s AreaAssessment) checkDecision(r Review, cmd domain.Command) error {
	c := cmd.(DecideReview)
	return s.checkTheme(r.Target, c.Colour, c.Theme)
}

func (s AreaAssessment) open(cmd domain.Command) ([]domain.Event, error) {
	c := cmd.(OpenAssessment)
	a, ok := domain.LookupArea(c.Area)
	if !ok {
		return nil, caaCheckArea(c.Area)
	}
	return []domain.Event{AssessmentOpened{Area: a.Code, AreaName: a.Name, Region: a.Region, Year: c.Year}}, nil
}

func (s AreaAssessment) draft(cmd domain.Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case ProposeFlag:
		if _, dup := s.Flags[c.FlagID]; dup {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAFlagExists, "flag id %s is already used in %s; choose another", c.FlagID, s.Ref().ID)
		}
		if s.PrePublished {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAFlagAfterPrePub, "flag %s: the pre-publication report has gone to the locality; a new flag cannot be added now", c.FlagID)
		}
		if err := s.checkTheme(c.FlagID, c.Colour, c.Theme); err != nil {
			return nil, err
		}
		return []domain.Event{FlagProposed{FlagID: c.FlagID, Colour: c.Colour, Theme: c.Theme,
			Indicators: caaCloneInts(c.Indicators), Rationale: c.Rationale, LeadInspectorate: c.LeadInspectorate}}, nil
	case ChangeFlag:
		if err := s.checkAlterable(c.FlagID); err != nil {
			return nil, err
		}
		if err := s.checkTheme(c.FlagID, c.Colour, c.Theme); err != nil {
			return nil, err
		}
		return []domain.Event{FlagChanged{FlagID: c.FlagID, Colour: c.Colour, Theme: c.Theme,
			Indicators: caaCloneInts(c.Indicators), Rationale: c.Rationale}}, nil
	case DropFlag:
		if err := s.checkAlterable(c.FlagID); err != nil {
			return nil, err
		}
		return []domain.Event{FlagDropped{FlagID: c.FlagID, Reason: c.Reason}}, nil
	}
	return nil, caaUnknownCommand(s.profile().name, cmd)
}

func (s AreaAssessment) event(m domain.Meta, cmd domain.Command, r Review) domain.Event {
	switch c := cmd.(type) {
	case SubmitLocalityComment:
		return LocalityCommentSubmitted{By: m.Actor.Organisation, FlagID: c.FlagID, Comment: c.Comment}
	case RequestReview:
		return ReviewRequested{RequestID: c.RequestID, FlagID: c.FlagID, By: m.Actor.Organisation, Grounds: c.Grounds}
	case IssuePrePublicationReport:
		return PrePublicationReportIssued{Locality: s.Area, Note: c.Note}
	case DecideReview:
		return ReviewDecided{RequestID: c.RequestID, FlagID: r.Target, Outcome: c.Outcome, Reasons: c.Reasons,
			Colour: c.Colour, Theme: c.Theme, Indicators: caaCloneInts(c.Indicators), Rationale: c.Rationale}
	case PublishAssessment:
		return AssessmentPublished{PublishedOn: c.PublishedOn}
	}
	panic("caa: no event for " + cmd.CommandType())
}

func (s AreaAssessment) corrected(c Correction) domain.Event { return CorrectionRecorded(c) }

// commandOf returns the command that produced a flag, a review decision
// or a publication, and for a decision the review it decided.
func (s AreaAssessment) commandOf(e domain.Event) (domain.Command, Review) {
	k := CAAKey{Area: s.Area, Year: s.Year}
	switch e := e.(type) {
	case FlagProposed:
		return ProposeFlag{CAAKey: k, FlagID: e.FlagID, Colour: e.Colour, Theme: e.Theme, Indicators: e.Indicators,
			Rationale: e.Rationale, LeadInspectorate: e.LeadInspectorate}, Review{}
	case FlagChanged:
		return ChangeFlag{CAAKey: k, FlagID: e.FlagID, Colour: e.Colour, Theme: e.Theme, Indicators: e.Indicators, Rationale: e.Rationale}, Review{}
	case ReviewDecided:
		return DecideReview{CAAKey: k, RequestID: e.RequestID, Outcome: e.Outcome, Reasons: e.Reasons,
			Colour: e.Colour, Theme: e.Theme, Indicators: e.Indicators, Rationale: e.Rationale}, Review{ID: e.RequestID, Target: e.FlagID}
	case AssessmentPublished:
		return PublishAssessment{CAAKey: k, PublishedOn: e.PublishedOn}, Review{}
	}
	return nil, Review{}
}

// checkParty lets the assessed area's LSP or lead council act.
func (s AreaAssessment) checkParty(m domain.Meta, what string) error {
	if !m.Actor.Role.LocalSide() || m.Actor.Organisation != s.Area {
		return domain.Errorf(domain.EFORBIDDEN, RuleCAALocalityRole, "only %s's own partnership or council may %s on its assessment, not %s", s.AreaName, what, m.Actor)
	}
	return nil
}

func (s AreaAssessment) standingFlag(id string) (Flag, error) {
	f, ok := s.Flags[id]
	if !ok {
		return Flag{}, domain.Errorf(domain.ENOTFOUND, RuleCAAFlagNotFound, "there is no flag %s in %s", id, s.Ref().ID)
	}
	if f.Status != StatusStanding {
		return Flag{}, domain.Errorf(domain.ECONFLICT, RuleCAAFlagNotStanding, "flag %s in %s was %s", id, s.Ref().ID, f.Status)
	}
	return f, nil
}

// checkAlterable allows a judge to change or drop a standing flag that has
// no review pending; the pending review decides it instead.
func (s AreaAssessment) checkAlterable(id string) error {
	if _, err := s.standingFlag(id); err != nil {
		return err
	}
	if rid := s.pendingReviewOf(id); rid != "" {
		return domain.Errorf(domain.ECONFLICT, RuleCAAUnderReview, "flag %s is under review (request %s); decide the review instead", id, rid)
	}
	return nil
}

// checkTheme refuses a flag of one colour on a theme where a standing flag
// of the other colour already is.
func (s AreaAssessment) checkTheme(flagID, colour, theme string) error {
	t := caaNormTheme(theme)
	for _, fid := range s.FlagOrder {
		f := s.Flags[fid]
		if fid == flagID || f.Status != StatusStanding || f.Colour == colour || caaNormTheme(f.Theme) != t {
			continue
		}
		return domain.Errorf(domain.ECONFLICT, RuleCAAThemeConflict, "a %s flag cannot stand on theme %q while %s flag %s stands on it", colour, theme, f.Colour, fid)
	}
	return nil
}
