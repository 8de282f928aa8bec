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

// Recorded is what the ledger records of one stored event: its id, the
// command that produced it, its type and [Timing], its business time and
// its body as stored (JSON; a correction is checked against it).
type Recorded struct {
	EventID    string
	CommandID  string
	Type       string
	Timing     Timing
	OccurredAt time.Time
	Data       []byte
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

// LatestAct returns the business time of the latest act in h (see
// [Timing]; an event of no declared timing counts as an act), zero if
// there is none.
func LatestAct(h History) time.Time {
	if h == nil {
		return time.Time{}
	}
	for i := h.Len() - 1; i >= 0; i-- {
		if r := h.At(i); r.Timing != Fact {
			return r.OccurredAt
		}
	}
	return time.Time{}
}

// CheckTimeOrder checks a command's business time against h, with rule:
// a command producing an act (timing Act) may not be dated before the
// latest act in h; one producing a fact may not be dated before the
// aggregate's first event (its opening).
func CheckTimeOrder(h History, rule string, m Meta, cmd Command, timing Timing) error {
	if h == nil || h.Len() == 0 {
		return nil
	}
	if timing == Fact {
		return CheckWithinLife(h.At(0).OccurredAt, rule, m, cmd)
	}
	last := LatestAct(h)
	if m.OccurredAt.Before(last) {
		return Errorf(ECONFLICT, rule,
			"%s dated %s is before the latest act of %s (%s); acts are recorded in business-time order (facts about the past, such as corrections, may be dated earlier)",
			cmd.CommandType(), m.OccurredAt.UTC().Format(time.RFC3339), cmd.Aggregate(), last.UTC().Format(time.RFC3339))
	}
	return nil
}

// CheckWithinLife refuses, with rule, a fact dated before its aggregate
// was opened (at opened).
func CheckWithinLife(opened time.Time, rule string, m Meta, cmd Command) error {
	if m.OccurredAt.Before(opened) {
		return Errorf(ECONFLICT, rule,
			"%s dated %s is before %s was opened (%s); a fact about the past must fall within the life of what it is about",
			cmd.CommandType(), m.OccurredAt.UTC().Format(time.RFC3339), cmd.Aggregate(), opened.UTC().Format(time.RFC3339))
	}
	return nil
}

// RuleRecordedBeforeOccurred refuses a command whose business time is
// after the time the ledger records it: nothing is known before it
// happens.
const RuleRecordedBeforeOccurred = "meta.occurred_after_recorded"

// CheckRecordable refuses, with [RuleRecordedBeforeOccurred], a command
// dated after recordedAt, the time the ledger records it. The domain has
// no clock: the application service passes its own.
func CheckRecordable(m Meta, recordedAt time.Time) error {
	if m.OccurredAt.After(recordedAt) {
		return Errorf(EINVALID, RuleRecordedBeforeOccurred,
			"command %s is dated %s, after the ledger records it (%s); business time says when something happened, and the ledger cannot learn of it before",
			m.CommandID, m.OccurredAt.UTC().Format(time.RFC3339), recordedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// FindCorrected makes sure a correction names an event in h, and returns
// it: by its event id, or as "<command id>#<index>" (the index-th event of
// that command, from 0), which a script can know before the ledger assigns
// ids. With a nil h it returns the zero Recorded and no error.
func FindCorrected(h History, cmd Command, ref string) (Recorded, error) {
	if h == nil {
		return Recorded{}, nil
	}
	cmdID, idx, byCommand := strings.Cut(ref, "#")
	n, convErr := strconv.Atoi(idx)
	byCommand = byCommand && convErr == nil
	seen := 0 // events of cmdID before the i-th
	for i := range h.Len() {
		e := h.At(i)
		if e.EventID == ref {
			return e, nil
		}
		if byCommand && e.CommandID == cmdID {
			if seen == n {
				return e, nil
			}
			seen++
		}
	}
	return Recorded{}, Errorf(ENOTFOUND, RuleCorrectionUnknownEvent, "%s: event %q is not in the history of %s", cmd.CommandType(), ref, cmd.Aggregate())
}
