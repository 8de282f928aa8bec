package caa

import (
	"sort"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// Both kinds of assessment go through one review-and-publication process:
// the judges (the Audit Commission and the inspectorates) open the
// assessment and draft its judgements (flags, or scores); they issue a
// pre-publication report to the assessed party (the area's locality, or
// the organisation); the party comments and requests reviews of single
// judgements until publication; the judges decide the reviews, publish
// once the report has gone out and no review is pending, and after that
// only decide outstanding reviews and record corrections. [Process] is the
// state of that process and [decide] its rules; each kind of assessment
// supplies, through [assessment], who its party is and what its judgements
// are.

// Process is the state of an assessment's review-and-publication process.
// [AreaAssessment] and [OrgAssessment] embed it.
type Process struct {
	PrePublished bool              `json:"pre_published"`
	Comments     []Comment         `json:"comments,omitempty"`
	Reviews      map[string]Review `json:"reviews"`
	ReviewOrder  []string          `json:"review_order"`
	Published    bool              `json:"published"`
	PublishedOn  string            `json:"published_on,omitempty"` // YYYY-MM-DD
	Corrections  []Correction      `json:"corrections,omitempty"`
}

// PendingReviews returns the ids of undecided review requests, sorted.
func (p Process) PendingReviews() []string {
	var out []string
	for id, r := range p.Reviews {
		if !r.Decided() {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// pendingReviewOf returns the id of the undecided review of target, or "".
func (p Process) pendingReviewOf(target string) string {
	for _, id := range p.ReviewOrder {
		if r := p.Reviews[id]; r.Target == target && !r.Decided() {
			return id
		}
	}
	return ""
}

// clone copies the slices and maps; [Process.apply] makes the map of a
// state that has none yet.
func (p Process) clone() Process {
	c := p
	c.Comments = append([]Comment(nil), p.Comments...)
	if p.Reviews != nil {
		c.Reviews = make(map[string]Review, len(p.Reviews))
		for k, v := range p.Reviews {
			c.Reviews[k] = v
		}
	}
	c.ReviewOrder = append([]string(nil), p.ReviewOrder...)
	c.Corrections = append([]Correction(nil), p.Corrections...)
	return c
}

// The steps of the process, as folded from either kind's events.

// stepEvent is an event of a step of the process, of either kind: it
// folds itself into the process.
type stepEvent interface {
	domain.Event
	foldInto(p *Process)
}

// apply starts folding e into the state of an assessment of kind whose
// process is p and version *version: it reports false, and changes
// nothing, if e is not an event of kind; otherwise it gives p its own
// copies of its slices and maps (the fold never changes the state it was
// given), moves the version on and folds e into p if it is an event of
// the process's own steps. The kind's Apply folds the rest.
func (p *Process) apply(kind string, version *int, e domain.Event) bool {
	if !ofKind(e, kind) {
		return false
	}
	*p = p.clone()
	*version++
	if p.Reviews == nil {
		p.Reviews = map[string]Review{}
	}
	if se, ok := e.(stepEvent); ok {
		se.foldInto(p)
	}
	return true
}

func (PrePublicationReportIssued) foldInto(p *Process)   { p.PrePublished = true }
func (OAPrePublicationReportIssued) foldInto(p *Process) { p.PrePublished = true }
func (e LocalityCommentSubmitted) foldInto(p *Process) {
	p.Comments = append(p.Comments, Comment{By: e.By, Target: e.FlagID, Comment: e.Comment})
}
func (e OACommentSubmitted) foldInto(p *Process) {
	p.Comments = append(p.Comments, Comment{By: e.By, Target: e.Element, Comment: e.Comment})
}
func (e ReviewRequested) foldInto(p *Process) {
	p.requestReview(Review{ID: e.RequestID, Target: e.FlagID, By: e.By, Grounds: e.Grounds})
}
func (e OAReviewRequested) foldInto(p *Process) {
	p.requestReview(Review{ID: e.RequestID, Target: e.Element, By: e.By, Grounds: e.Grounds})
}
func (e ReviewDecided) foldInto(p *Process)         { p.decideReview(e.RequestID, e.Outcome, e.Reasons) }
func (e OAReviewDecided) foldInto(p *Process)       { p.decideReview(e.RequestID, e.Outcome, e.Reasons) }
func (e AssessmentPublished) foldInto(p *Process)   { p.Published, p.PublishedOn = true, e.PublishedOn }
func (e OAAssessmentPublished) foldInto(p *Process) { p.Published, p.PublishedOn = true, e.PublishedOn }
func (e CorrectionRecorded) foldInto(p *Process) {
	p.Corrections = append(p.Corrections, Correction(e))
}
func (e OACorrectionRecorded) foldInto(p *Process) {
	p.Corrections = append(p.Corrections, Correction(e))
}

func (p *Process) requestReview(r Review) {
	p.Reviews[r.ID] = r
	p.ReviewOrder = append(p.ReviewOrder, r.ID)
}
func (p *Process) decideReview(id, outcome, reasons string) {
	r := p.Reviews[id]
	r.Outcome, r.Reasons = outcome, reasons
	p.Reviews[id] = r
}

// ofKind reports whether e is an event of the aggregate kind.
func ofKind(e domain.Event, kind string) bool {
	if e == nil {
		return false
	}
	t := e.EventType()
	return len(t) > len(kind) && t[len(kind)] == '.' && t[:len(kind)] == kind
}

// fold folds events, oldest first, from the zero state of an assessment.
func fold[S interface{ Apply(domain.Event) S }](events []domain.Event) S {
	var s S
	for _, e := range events {
		s = s.Apply(e)
	}
	return s
}

// op is a step of the process that a command asks for.
type op int

const (
	opOpen          op = iota + 1
	opDraft            // the kind's own drafting: flags, or scores
	opReport           // issue the pre-publication report
	opComment          // the party comments
	opRequestReview    // the party requests a review
	opDecideReview     // the judges decide a review
	opPublish          // the judges publish
	opCorrect          // the judges record a correction
)

// step is what the process needs to know of a command: the step it asks
// for and, for the party's commands and review decisions, the judgement it
// is about (a flag id or a score element) or the review request.
type step struct {
	op        op
	target    string
	requestID string
	outcome   string
}

// stepper is a command of the process; every command of both kinds is one.
type stepper interface {
	domain.Command
	step() step
}

// profile is what the process needs to know of an assessment to name it
// and to find its state.
type profile struct {
	kind     string // the aggregate kind whose commands it decides ("caa", "oa")
	name     string // names it in errors ("area assessment")
	party    string // names the assessed party in errors
	audience string // where the pre-publication report goes ("the locality")
	opened   bool
	ref      domain.AggregateRef
	process  Process
	events   []domain.Event // the kind's event types
}

// assessment is one kind of assessment as the process sees it.
type assessment interface {
	profile() profile
	// checkParty lets the assessed party, and only it, comment and request
	// reviews; what says what it tries to do.
	checkParty(m domain.Meta, what string) error
	// checkCommented refuses a comment on a judgement that is not there (an
	// empty target is the report as a whole); checkReviewable a review
	// request of one; reviewLabel names a judgement in errors.
	checkCommented(target string) error
	checkReviewable(target string) error
	reviewLabel(target string) string
	// checkReport refuses a pre-publication report with nothing to report;
	// checkDecision an amendment that does not fit the review r.
	checkReport() error
	checkDecision(r Review, cmd domain.Command) error
	// open decides the opening command, once the judges' role and that the
	// assessment is not open yet are checked; draft decides the kind's own
	// drafting commands.
	open(cmd domain.Command) ([]domain.Event, error)
	draft(cmd domain.Command) ([]domain.Event, error)
	// event is the event of an accepted command of the process's own steps
	// (report, comment, review request and decision, publication); r is
	// the review a decision is about.
	event(m domain.Meta, cmd domain.Command, r Review) domain.Event
	// corrected is the kind's event recording the correction c;
	// commandOf is the command that produced an event whose values a
	// corrected body may change (nil for any other), with the review r
	// a review decision decided, so that the body is checked as that
	// command was ([checkCorrected]).
	corrected(c Correction) domain.Event
	commandOf(e domain.Event) (cmd domain.Command, r Review)
}

// decideStep decides a command for an assessment a of either kind,
// returning its events or an *Error naming the rule that refuses it. The
// order of the checks is part of the rules: the command's shape first, then
// that it is a command of this kind, that the assessment is open and is the
// one named, who may act, and last what the state allows.
func decideStep(a assessment, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
	pr := a.profile()
	if cmd == nil {
		return nil, caaUnknownCommand(pr.name, cmd)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := caaValidateCmd(cmd); err != nil {
		return nil, err
	}
	sc, ok := cmd.(stepper)
	if !ok || cmd.Aggregate().Kind != pr.kind {
		return nil, caaUnknownCommand(pr.name, cmd)
	}
	st := sc.step()
	p, ref := pr.process, pr.ref
	if st.op == opOpen {
		if err := caaCheckJudge(m, cmd.CommandType()); err != nil {
			return nil, err
		}
		if pr.opened {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAAlreadyOpened, "assessment %s is already open", ref.ID)
		}
		return a.open(cmd)
	}
	if !pr.opened {
		return nil, domain.Errorf(domain.ENOTFOUND, RuleCAANotOpened, "%s: the assessment %s has not been opened", cmd.CommandType(), cmd.Aggregate().ID)
	}
	if cmd.Aggregate() != ref {
		return nil, caaWrongAggregate(cmd, ref)
	}

	// The assessed party's steps.
	switch st.op {
	case opComment:
		if err := checkParty(a, p, m, "comment"); err != nil {
			return nil, err
		}
		if err := a.checkCommented(st.target); err != nil {
			return nil, err
		}
		return []domain.Event{a.event(m, cmd, Review{})}, nil
	case opRequestReview:
		if err := checkParty(a, p, m, "request a review"); err != nil {
			return nil, err
		}
		if _, dup := p.Reviews[st.requestID]; dup {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAReviewExists, "review request %s already exists in %s", st.requestID, ref.ID)
		}
		if err := a.checkReviewable(st.target); err != nil {
			return nil, err
		}
		if id := p.pendingReviewOf(st.target); id != "" {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAReviewPending, "%s already has review request %s awaiting a decision", a.reviewLabel(st.target), id)
		}
		return []domain.Event{a.event(m, cmd, Review{})}, nil
	}

	// The judges' steps.
	if err := caaCheckJudge(m, cmd.CommandType()); err != nil {
		return nil, err
	}
	if p.Published && st.op != opCorrect && st.op != opDecideReview {
		return nil, domain.Errorf(domain.ECONFLICT, RuleCAAPublished, "%s: assessment %s was published on %s; only a correction can be recorded now", cmd.CommandType(), ref.ID, p.PublishedOn)
	}
	switch st.op {
	case opDraft:
		return a.draft(cmd)
	case opReport:
		if p.PrePublished {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAPrePubIssued, "the pre-publication report for %s has already been issued", ref.ID)
		}
		if err := a.checkReport(); err != nil {
			return nil, err
		}
		return []domain.Event{a.event(m, cmd, Review{})}, nil
	case opDecideReview:
		r, ok := p.Reviews[st.requestID]
		if !ok {
			return nil, domain.Errorf(domain.ENOTFOUND, RuleCAAReviewNotFound, "there is no review request %s in %s", st.requestID, ref.ID)
		}
		if r.Decided() {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAReviewDecided, "review request %s was already decided (%s)", st.requestID, r.Outcome)
		}
		if st.outcome == ReviewAmended {
			if err := a.checkDecision(r, cmd); err != nil {
				return nil, err
			}
		}
		return []domain.Event{a.event(m, cmd, r)}, nil
	case opPublish:
		if !p.PrePublished {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAPrePubRequired, "assessment %s cannot be published before its pre-publication report has gone to %s", ref.ID, pr.audience)
		}
		if pending := p.PendingReviews(); len(pending) > 0 {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAReviewPending, "assessment %s cannot be published while review requests %v await a decision", ref.ID, pending)
		}
		return []domain.Event{a.event(m, cmd, Review{})}, nil
	case opCorrect:
		if c, ok := cmd.(corrector); ok {
			return []domain.Event{a.corrected(c.correction())}, nil
		}
	}
	return nil, caaUnknownCommand(pr.name, cmd)
}

// checkParty lets the assessed party act, between the pre-publication
// report and publication.
func checkParty(a assessment, p Process, m domain.Meta, what string) error {
	if err := a.checkParty(m, what); err != nil {
		return err
	}
	if !p.PrePublished || p.Published {
		return domain.Errorf(domain.ECONFLICT, RuleCAACommentWindow, "%s can %s only between the pre-publication report and publication", a.profile().party, what)
	}
	return nil
}

// decideAssessment decides with [decideStep] and then checks the command
// against what the ledger recorded of the assessment: business-time order
// (rule) and, for a correction, the ledger's rules for corrections
// ([decideCorrection]).
func decideAssessment(a assessment, rule string, m domain.Meta, cmd domain.Command, h domain.History) ([]domain.Event, error) {
	events, err := decideStep(a, m, cmd)
	if err != nil {
		return nil, err
	}
	if err := domain.CheckTimeOrder(h, rule, m, cmd, timingOf(events)); err != nil {
		return nil, err
	}
	if c, ok := cmd.(corrector); ok {
		fix, err := decideCorrection(a, h, m, cmd, c.correction())
		if err != nil {
			return nil, err
		}
		events = []domain.Event{a.corrected(fix)}
	}
	if c, ok := cmd.(interface{ publishedOn() string }); ok {
		if err := checkPublicationDate(h, m, cmd, c.publishedOn()); err != nil {
			return nil, err
		}
	}
	return events, nil
}

// corrector is a command recording a correction.
type corrector interface {
	domain.Command
	correction() Correction
}

// identityFields are the fields of the assessment events that say what an
// event is about: a correction keeps them (see [domain.Correction]).
var identityFields = []string{"Area", "Org", "Year", "FlagID", "Theme", "RequestID", "Element", "Locality", "Organisation"}

// decideCorrection checks the correction c of an assessment a with the
// ledger's rules for corrections ([domain.DecideCorrection], rule ids
// caa.correction_*): it names an event of a's history h, is not dated
// before it, and a corrected body is of the original's type, decodes
// strictly as that type, keeps what the event is about (a flag id and
// theme, a review request, a score element, the assessed area or
// organisation) and passes the checks of the command that produced the
// original. It returns c with the body as stored.
func decideCorrection(a assessment, h domain.History, m domain.Meta, cmd domain.Command, c Correction) (Correction, error) {
	body, err := domain.DecideCorrection(h, cmd, domain.Correction{Prefix: "caa", Ref: c.CorrectsEventID,
		Type: c.CorrectedType, Body: c.Corrected, At: m.OccurredAt, Events: a.profile().events,
		Identity: identityFields, Check: func(e domain.Event) error { return checkCorrected(a, e) }})
	if err != nil {
		return Correction{}, err
	}
	if body == nil {
		c.CorrectedType = ""
	}
	c.Corrected = body
	return c, nil
}

// checkCorrected checks a corrected body's values as the command that
// produced the original was checked: its shape and, for an amending
// review decision, that the amendment fits the review.
func checkCorrected(a assessment, e domain.Event) error {
	cmd, r := a.commandOf(e)
	if cmd == nil {
		return nil
	}
	if err := caaValidateCmd(cmd); err != nil {
		return err
	}
	if cmd.(stepper).step().outcome != ReviewAmended {
		return nil
	}
	return a.checkDecision(r, cmd)
}

// validate checks a correction's shape: what it corrects and why, and
// either what was wrong in words or a corrected payload.
func (c Correction) validate() error {
	note := caaOptional("correction", c.Correction)
	if len(c.Corrected) == 0 {
		note = caaRequired("correction", c.Correction)
	}
	return caaFirstErr(caaRequired("corrects_event_id", c.CorrectsEventID), caaRequired("reason", c.Reason), note,
		domain.CheckCorrectionPayload("caa", c.CorrectsEventID, c.CorrectedType, c.Corrected))
}

// checkPublicationDate refuses a publication date before the assessment
// was opened, or after the ledger records the publication
// (m.RecordedAt, when known): the LAA's reopening rule trusts this date, so a
// flag must not count as published before it existed or before the
// publication was made.
func checkPublicationDate(h domain.History, m domain.Meta, cmd domain.Command, on string) error {
	day, err := caaParseDate(on)
	if err != nil {
		return err
	}
	if rec := m.RecordedAt.UTC(); !rec.IsZero() && day.After(rec) {
		return domain.Errorf(domain.EINVALID, RuleCAAPublicationDate, "%s: publication date %s is after the ledger records the publication (%s); a publication is recorded on or after the day it is made",
			cmd.CommandType(), on, rec.Format(time.RFC3339))
	}
	if h != nil && h.Len() > 0 {
		opened := h.At(0).OccurredAt.UTC().Truncate(24 * time.Hour)
		if day.Before(opened) {
			return domain.Errorf(domain.EINVALID, RuleCAAPublicationDate, "%s: publication date %s is before the assessment %s was opened (%s)",
				cmd.CommandType(), on, cmd.Aggregate().ID, opened.Format(time.DateOnly))
		}
	}
	return nil
}
