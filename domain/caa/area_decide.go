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
	events, err := decideAreaAssessment(s, m, cmd)
	if err != nil {
		return nil, err
	}
	if err := domain.CheckTimeOrder(h, domain.RuleCAATimeOrder, m, cmd); err != nil {
		return nil, err
	}
	if c, ok := cmd.(RecordCorrection); ok {
		if err := domain.CheckCorrects(h, cmd, c.CorrectsEventID); err != nil {
			return nil, err
		}
	}
	return events, nil
}

func decideAreaAssessment(s AreaAssessment, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
	if cmd == nil {
		return nil, caaUnknownCommand("area assessment", cmd)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := caaValidateCmd(cmd); err != nil {
		return nil, err
	}
	if open, ok := cmd.(OpenAssessment); ok {
		return caaDecideOpen(s, m, open)
	}
	if !caaIsCommand(cmd) {
		return nil, caaUnknownCommand("area assessment", cmd)
	}
	if !s.Opened() {
		return nil, domain.Errorf(domain.ENOTFOUND, RuleCAANotOpened, "%s: the assessment %s has not been opened", cmd.CommandType(), cmd.Aggregate().ID)
	}
	if cmd.Aggregate() != s.Ref() {
		return nil, caaWrongAggregate(cmd, s.Ref())
	}

	switch c := cmd.(type) {
	case SubmitLocalityComment:
		if err := s.checkLocality(m, "comment"); err != nil {
			return nil, err
		}
		if c.FlagID != "" {
			if _, err := s.standingFlag(c.FlagID); err != nil {
				return nil, err
			}
		}
		return []domain.Event{LocalityCommentSubmitted{By: m.Actor.Organisation, FlagID: c.FlagID, Comment: c.Comment}}, nil
	case RequestReview:
		if err := s.checkLocality(m, "request a review"); err != nil {
			return nil, err
		}
		if _, dup := s.Reviews[c.RequestID]; dup {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAReviewExists, "review request %s already exists in %s", c.RequestID, s.Ref().ID)
		}
		if _, err := s.standingFlag(c.FlagID); err != nil {
			return nil, err
		}
		if id := s.pendingReviewOf(c.FlagID); id != "" {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAReviewPending, "flag %s already has review request %s awaiting a decision", c.FlagID, id)
		}
		return []domain.Event{ReviewRequested{RequestID: c.RequestID, FlagID: c.FlagID, By: m.Actor.Organisation, Grounds: c.Grounds}}, nil
	}

	if err := caaCheckJudge(m, cmd.CommandType()); err != nil {
		return nil, err
	}
	if s.Published {
		switch cmd.(type) {
		case RecordCorrection, DecideReview:
		default:
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAPublished, "%s: assessment %s was published on %s; only a correction can be recorded now", cmd.CommandType(), s.Ref().ID, s.PublishedOn)
		}
	}

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
	case IssuePrePublicationReport:
		if s.PrePublished {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAPrePubIssued, "the pre-publication report for %s has already been issued", s.Ref().ID)
		}
		return []domain.Event{PrePublicationReportIssued{Locality: s.Area, Note: c.Note}}, nil
	case DecideReview:
		r, ok := s.Reviews[c.RequestID]
		if !ok {
			return nil, domain.Errorf(domain.ENOTFOUND, RuleCAAReviewNotFound, "there is no review request %s in %s", c.RequestID, s.Ref().ID)
		}
		if r.Decided() {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAReviewDecided, "review request %s was already decided (%s)", c.RequestID, r.Outcome)
		}
		if c.Outcome == ReviewAmended {
			if err := s.checkTheme(r.Target, c.Colour, c.Theme); err != nil {
				return nil, err
			}
		}
		return []domain.Event{ReviewDecided{RequestID: c.RequestID, FlagID: r.Target, Outcome: c.Outcome, Reasons: c.Reasons,
			Colour: c.Colour, Theme: c.Theme, Indicators: caaCloneInts(c.Indicators), Rationale: c.Rationale}}, nil
	case PublishAssessment:
		if !s.PrePublished {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAPrePubRequired, "assessment %s cannot be published before its pre-publication report has gone to the locality", s.Ref().ID)
		}
		if p := s.PendingReviews(); len(p) > 0 {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAReviewPending, "assessment %s cannot be published while review requests %v await a decision", s.Ref().ID, p)
		}
		return []domain.Event{AssessmentPublished{PublishedOn: c.PublishedOn}}, nil
	case RecordCorrection:
		return []domain.Event{CorrectionRecorded{CorrectsEventID: c.CorrectsEventID, Reason: c.Reason, Correction: c.Correction}}, nil
	}
	return nil, caaUnknownCommand("area assessment", cmd)
}

func caaDecideOpen(s AreaAssessment, m domain.Meta, c OpenAssessment) ([]domain.Event, error) {
	if err := caaCheckJudge(m, c.CommandType()); err != nil {
		return nil, err
	}
	if s.Opened() {
		return nil, domain.Errorf(domain.ECONFLICT, RuleCAAAlreadyOpened, "assessment %s is already open", s.Ref().ID)
	}
	a, ok := domain.LookupArea(c.Area)
	if !ok {
		return nil, caaCheckArea(c.Area)
	}
	return []domain.Event{AssessmentOpened{Area: a.Code, AreaName: a.Name, Region: a.Region, Year: c.Year}}, nil
}

func caaIsCommand(cmd domain.Command) bool {
	switch cmd.(type) {
	case ProposeFlag, ChangeFlag, DropFlag, IssuePrePublicationReport,
		SubmitLocalityComment, RequestReview, DecideReview, PublishAssessment,
		RecordCorrection:
		return true
	}
	return false
}

// checkLocality lets the assessed area's LSP or lead council act, between
// the pre-publication report and publication.
func (s AreaAssessment) checkLocality(m domain.Meta, what string) error {
	if !m.Actor.Role.LocalSide() || m.Actor.Organisation != s.Area {
		return domain.Errorf(domain.EFORBIDDEN, RuleCAALocalityRole, "only %s's own partnership or council may %s on its assessment, not %s", s.AreaName, what, m.Actor)
	}
	if !s.PrePublished || s.Published {
		return domain.Errorf(domain.ECONFLICT, RuleCAACommentWindow, "%s can %s only between the pre-publication report and publication", s.AreaName, what)
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

func (s AreaAssessment) pendingReviewOf(flagID string) string {
	for _, id := range s.ReviewOrder {
		if r := s.Reviews[id]; r.Target == flagID && !r.Decided() {
			return id
		}
	}
	return ""
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
