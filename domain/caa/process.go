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

// clone copies the slices and maps, so that the fold never changes the
// state it was given; [Process.started] makes the map of a state that has
// none yet.
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

func (p *Process) started() {
	if p.Reviews == nil {
		p.Reviews = map[string]Review{}
	}
}

func (p *Process) prePublish()          { p.PrePublished = true }
func (p *Process) comment(c Comment)    { p.Comments = append(p.Comments, c) }
func (p *Process) publish(on string)    { p.Published, p.PublishedOn = true, on }
func (p *Process) correct(c Correction) { p.Corrections = append(p.Corrections, c) }
func (p *Process) requestReview(r Review) {
	p.Reviews[r.ID] = r
	p.ReviewOrder = append(p.ReviewOrder, r.ID)
}
func (p *Process) decideReview(id, outcome, reasons string) {
	r := p.Reviews[id]
	r.Outcome, r.Reasons = outcome, reasons
	p.Reviews[id] = r
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

// assessment is one kind of assessment as the process sees it.
type assessment interface {
	// kind is the aggregate kind whose commands it decides ("caa", "oa");
	// name names it in errors ("area assessment").
	kind() string
	name() string
	opened() bool
	ref() domain.AggregateRef
	process() Process
	// checkParty lets the assessed party, and only it, comment and request
	// reviews; what says what it tries to do.
	checkParty(m domain.Meta, what string) error
	// partyName names the party in errors; audience says where the
	// pre-publication report goes ("the locality").
	partyName() string
	audience() string
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
	// (report, comment, review request and decision, publication,
	// correction); r is the review a decision is about.
	event(m domain.Meta, cmd domain.Command, r Review) domain.Event
}

// decideStep decides a command for an assessment a of either kind,
// returning its events or an *Error naming the rule that refuses it. The
// order of the checks is part of the rules: the command's shape first, then
// that it is a command of this kind, that the assessment is open and is the
// one named, who may act, and last what the state allows.
func decideStep(a assessment, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
	if cmd == nil {
		return nil, caaUnknownCommand(a.name(), cmd)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := caaValidateCmd(cmd); err != nil {
		return nil, err
	}
	sc, ok := cmd.(stepper)
	if !ok || cmd.Aggregate().Kind != a.kind() {
		return nil, caaUnknownCommand(a.name(), cmd)
	}
	st := sc.step()
	p, ref := a.process(), a.ref()
	if st.op == opOpen {
		if err := caaCheckJudge(m, cmd.CommandType()); err != nil {
			return nil, err
		}
		if a.opened() {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAAlreadyOpened, "assessment %s is already open", ref.ID)
		}
		return a.open(cmd)
	}
	if !a.opened() {
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
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAPrePubRequired, "assessment %s cannot be published before its pre-publication report has gone to %s", ref.ID, a.audience())
		}
		if pending := p.PendingReviews(); len(pending) > 0 {
			return nil, domain.Errorf(domain.ECONFLICT, RuleCAAReviewPending, "assessment %s cannot be published while review requests %v await a decision", ref.ID, pending)
		}
		return []domain.Event{a.event(m, cmd, Review{})}, nil
	case opCorrect:
		return []domain.Event{a.event(m, cmd, Review{})}, nil
	}
	return nil, caaUnknownCommand(a.name(), cmd)
}

// checkParty lets the assessed party act, between the pre-publication
// report and publication.
func checkParty(a assessment, p Process, m domain.Meta, what string) error {
	if err := a.checkParty(m, what); err != nil {
		return err
	}
	if !p.PrePublished || p.Published {
		return domain.Errorf(domain.ECONFLICT, RuleCAACommentWindow, "%s can %s only between the pre-publication report and publication", a.partyName(), what)
	}
	return nil
}

// decideAssessment decides with [decideStep] and then checks the command
// against what the ledger recorded of the assessment: business-time order
// (rule) and, for a correction, that the corrected event is there.
func decideAssessment(a assessment, rule string, m domain.Meta, cmd domain.Command, h domain.History) ([]domain.Event, error) {
	events, err := decideStep(a, m, cmd)
	if err != nil {
		return nil, err
	}
	if err := domain.CheckTimeOrder(h, rule, m, cmd, timingOf(events)); err != nil {
		return nil, err
	}
	if c, ok := cmd.(interface{ corrects() string }); ok {
		if err := domain.CheckCorrects(h, cmd, c.corrects()); err != nil {
			return nil, err
		}
	}
	if c, ok := cmd.(interface{ publishedOn() string }); ok {
		if err := checkPublicationDate(h, m, cmd, c.publishedOn()); err != nil {
			return nil, err
		}
	}
	return events, nil
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
