package domain

import (
	"strconv"
	"strings"
	"time"
)

// History is a decision's read-only view of its aggregate's stored events:
// what the ledger records on each event's envelope and the folded state,
// built from event bodies, does not hold (the event's id, the command that
// produced it, its business time). Decisions use it for the rules that
// need those: an assessment keeps business-time order
// ([RuleCAATimeOrder], [RuleOATimeOrder]; the agreement's events carry
// their own time, see laa.time_order) and a correction names an event of
// its own aggregate ([RuleCorrectionUnknownEvent]).
//
// The application service supplies it from the event store; [Past] is one
// held in memory. A nil History means the caller decides without the
// ledger's record (a test or a tool folding event bodies): the rules above
// are then not checked.
type History interface {
	// Len returns the number of stored events.
	Len() int
	// At returns the i-th stored event (0 ≤ i < Len), oldest first.
	At(i int) Recorded
}

// Recorded is what the ledger records of one stored event besides its body.
type Recorded struct {
	EventID    string
	CommandID  string
	OccurredAt time.Time
}

// Past is a [History] held in memory, oldest event first.
type Past []Recorded

// Len returns the number of events.
func (p Past) Len() int { return len(p) }

// At returns the i-th event.
func (p Past) At(i int) Recorded { return p[i] }

// Rule ids of the checks made against an aggregate's [History].
const (
	// RuleCAATimeOrder and RuleOATimeOrder refuse an assessment command
	// dated before the assessment's latest event. Assessment events carry
	// no business time of their own, so without this an as-now-known view
	// could show a publication before its pre-publication report.
	RuleCAATimeOrder = "caa.time_order"
	RuleOATimeOrder  = "oa.time_order"
	// RuleCorrectionUnknownEvent refuses a correction naming an event that
	// is not in its aggregate's history.
	RuleCorrectionUnknownEvent = "correction.unknown_event"
)

// CheckTimeOrder refuses a command dated before the latest event in h,
// with rule.
func CheckTimeOrder(h History, rule string, m Meta, cmd Command) error {
	if h == nil || h.Len() == 0 {
		return nil
	}
	last := h.At(h.Len() - 1).OccurredAt
	if m.OccurredAt.Before(last) {
		return Errorf(ECONFLICT, rule,
			"%s dated %s is before the latest event of %s (%s); an assessment's history is recorded in business-time order",
			cmd.CommandType(), m.OccurredAt.UTC().Format(time.RFC3339), cmd.Aggregate(), last.UTC().Format(time.RFC3339))
	}
	return nil
}

// CheckCorrects makes sure a correction names an event in h: by its event
// id, or as "<command id>#<index>" (the index-th event of that command,
// from 0), which a script can know before the ledger assigns ids.
func CheckCorrects(h History, cmd Command, ref string) error {
	if h == nil {
		return nil
	}
	cmdID, idx, byCommand := strings.Cut(ref, "#")
	n, convErr := strconv.Atoi(idx)
	byCommand = byCommand && convErr == nil
	seen := 0 // events of cmdID before the i-th
	for i := range h.Len() {
		e := h.At(i)
		if e.EventID == ref {
			return nil
		}
		if byCommand && e.CommandID == cmdID {
			if seen == n {
				return nil
			}
			seen++
		}
	}
	return Errorf(ENOTFOUND, RuleCorrectionUnknownEvent, "%s: event %q is not in the history of %s", cmd.CommandType(), ref, cmd.Aggregate())
}
