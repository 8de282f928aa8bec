package domain

import (
	"strconv"
	"time"
)

// Event is a fact recorded by a decision. Its type name is stable forever
// (it is stored); a change of shape bumps the schema version given at
// registration and keeps a decoder for every older version.
type Event interface {
	// EventType is the stored type name, "<kind>.<PastTenseName>", for
	// example "laa.TargetProposed".
	EventType() string
}

// Command asks for a change to one aggregate. Commands carry no actor,
// time or id: those travel in [Meta] so that a decision is a pure function
// of (state, meta, command).
type Command interface {
	// CommandType is the stable name of the command, for example
	// "laa.ProposeTarget"; the HTTP API and the CLI use it.
	CommandType() string
	// Aggregate names the aggregate the command is for.
	Aggregate() AggregateRef
}

// Meta is what accompanies every command: who, when and why. The ledger puts
// it on the envelope of every event the command produces.
type Meta struct {
	// CommandID makes the command idempotent; the event store uses it as
	// the message id.
	CommandID string `json:"command_id"`
	Actor     Actor  `json:"actor"`
	// OccurredAt is business time: when the act happened in the world (the
	// date of the meeting, the letter, the decision). It is never set by the
	// ledger's clock.
	OccurredAt    time.Time `json:"occurred_at"`
	Reason        string    `json:"reason,omitempty"`
	Evidence      []string  `json:"evidence,omitempty"`
	CorrelationID string    `json:"correlation_id,omitempty"`
	CausationID   string    `json:"causation_id,omitempty"`
	// RecordedAt is when the ledger records the command: the application
	// service sets it from its clock before deciding (the domain has
	// none), and zero means deciding without a ledger (a test, a tool).
	// Nothing may be dated after the ledger learns of it, so Validate
	// refuses an OccurredAt after it (meta.occurred_after_recorded), and
	// the decisions check the dates a command carries against it.
	RecordedAt time.Time `json:"-"`
}

// The business times the ledger accepts: the performance framework ran
// 2007-11, and the bounds leave room for history and for corrections
// recorded long after, while refusing dates that are typing errors.
const (
	MinBusinessYear = 1990
	MaxBusinessYear = 2100
)

// Validate checks the parts of Meta every command needs.
func (m Meta) Validate() error {
	if m.CommandID == "" {
		return Errorf(EINVALID, "meta.missing_command_id", "command has no id")
	}
	if err := m.Actor.Validate(); err != nil {
		return err
	}
	for _, f := range []struct{ name, text string }{{"reason", m.Reason}, {"causation_id", m.CausationID}, {"correlation_id", m.CorrelationID}} {
		if err := checkText(f.name, f.text); err != nil {
			return err
		}
	}
	for i, e := range m.Evidence {
		if err := checkText("evidence."+strconv.Itoa(i), e); err != nil {
			return err
		}
	}
	if m.OccurredAt.IsZero() {
		return Errorf(EINVALID, "meta.missing_occurred_at", "command %s has no business time (occurred_at)", m.CommandID)
	}
	if y := m.OccurredAt.UTC().Year(); y < MinBusinessYear || y > MaxBusinessYear {
		return Errorf(EINVALID, "meta.occurred_at_range", "command %s: business time %s is outside %d to %d",
			m.CommandID, m.OccurredAt.Format(time.RFC3339), MinBusinessYear, MaxBusinessYear)
	}
	if !m.RecordedAt.IsZero() {
		return CheckRecordable(m, m.RecordedAt)
	}
	return nil
}

// AggregateRef names an aggregate: its kind and its id, whose tokens are
// joined by "/" ("00EB/2008-11").
type AggregateRef struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

func (r AggregateRef) String() string { return r.Kind + " " + r.ID }

// Aggregate kinds.
const (
	KindAgreement      = "laa"
	KindAreaAssessment = "caa"
	KindOrgAssessment  = "oa"
	KindCatalogue      = "nis"
	KindActors         = "actors"
)
