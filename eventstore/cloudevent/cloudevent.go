// Package cloudevent is the CloudEvents 1.0 view of a stored ledger event:
// the one [eventstore.Envelope], written in the structured JSON mode
// (application/cloudevents+json) that integrators read from the event
// stream and from NATS without any of this repository's code.
//
// The mapping, which integrators may rely on for as long as the schema
// versions it names:
//
//	CloudEvents attribute  envelope field            example
//	specversion            -                         "1.0"
//	id                     event_id                  "0190c3f0-…" (a UUID, the idempotency key)
//	source                 Source + kind + id        "urn:laaledger:LEDGER/laa/00EB/2008-11"
//	type                   TypePrefix.type.vN        "uk.gov.laa.ledger.laa.TargetProposed.v1"
//	subject                aggregate_id              "00EB/2008-11"
//	time                   occurred_at (business)    "2008-04-01T10:00:00Z"
//	datacontenttype        -                         "application/json"
//	dataschema             SchemaBase + type         "https://ledger.example/v1/schemas/laa.TargetProposed" (when SchemaBase is set)
//	data                   data (the body, as stored)
//	streamseq              Sequence (decimal string) "42"
//	streamindex            index in the commit       0
//	recordedtime           recorded_at               "2026-12-03T10:47:38.123456789Z"
//	aggkind                aggregate_kind            "laa"
//	aggversion             aggregate_version (decimal string) "7"
//	commandid              command_id
//	actorid, actorrole, actororg  actor
//	reason                 reason (omitted when empty)
//	causationid            causation_id (omitted when empty)
//	correlationid          correlation_id (omitted when empty)
//	eventhash              hash (hex SHA-256, see [eventstore.Envelope.ComputeHash])
//	prevhash               prev_hash
//
// Stream sequence and aggregate version are strings of decimal digits, not
// CloudEvents Integers: those are 32-bit, the ledger's counters 64-bit, and
// an attribute's type must never change. The evidence list has no
// CloudEvents type (extensions are scalars) and is left out; the ledger's
// own feed format carries it. Every extension name is lower-case letters
// and digits of at most 20 characters, as the specification asks.
//
// The package imports only eventstore: it knows nothing of LAAs.
package cloudevent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/laaledger/laaledger/eventstore"
)

// ContentType is the media type of one event in the structured JSON mode.
const ContentType = "application/cloudevents+json"

// SpecVersion is the CloudEvents version this package writes.
const SpecVersion = "1.0"

// Defaults of [Mapper].
const (
	// DefaultSource is the source URI prefix of a ledger that was given
	// none: a URN naming the ledger stream.
	DefaultSource = "urn:laaledger:LEDGER"
	// DefaultTypePrefix is the reverse-DNS prefix of every event type.
	DefaultTypePrefix = "uk.gov.laa.ledger"
)

// Mapper writes ledger events as CloudEvents. Its zero value uses the
// defaults; it is safe for concurrent use.
type Mapper struct {
	// Source is the URI the aggregate's kind and id are appended to, with
	// "/" between; default [DefaultSource]. A ledger reached at a URL may
	// use it ("https://ledger.example/ledger").
	Source string
	// TypePrefix is the reverse-DNS prefix of the type attribute; default
	// [DefaultTypePrefix].
	TypePrefix string
	// SchemaBase, when set, is the URL the event type is appended to for
	// the dataschema attribute (the API serves /v1/schemas/{type}); empty
	// leaves dataschema out.
	SchemaBase string
}

func (m *Mapper) source() string {
	if m.Source == "" {
		return DefaultSource
	}
	return strings.TrimSuffix(m.Source, "/")
}

func (m *Mapper) prefix() string {
	if m.TypePrefix == "" {
		return DefaultTypePrefix
	}
	return strings.TrimSuffix(m.TypePrefix, ".")
}

// Type returns the CloudEvents type of a ledger event type at a schema
// version: "laa.TargetProposed", 1 → "uk.gov.laa.ledger.laa.TargetProposed.v1".
func (m *Mapper) Type(eventType string, schemaVersion int) string {
	return m.prefix() + "." + eventType + ".v" + strconv.Itoa(schemaVersion)
}

// ParseType is the inverse of [Mapper.Type].
func (m *Mapper) ParseType(ceType string) (eventType string, schemaVersion int, err error) {
	rest, ok := strings.CutPrefix(ceType, m.prefix()+".")
	if !ok {
		return "", 0, fmt.Errorf("cloudevent type %q: not under %q", ceType, m.prefix())
	}
	i := strings.LastIndex(rest, ".v")
	if i <= 0 {
		return "", 0, fmt.Errorf("cloudevent type %q: no schema version", ceType)
	}
	v, err := strconv.Atoi(rest[i+2:])
	if err != nil || v < 1 {
		return "", 0, fmt.Errorf("cloudevent type %q: bad schema version", ceType)
	}
	return rest[:i], v, nil
}

// SourceOf returns the source attribute of an aggregate.
func (m *Mapper) SourceOf(kind, id string) string { return m.source() + "/" + kind + "/" + id }

// AppendJSON appends the event at index idx of its commit as one
// CloudEvent in the structured JSON mode. The envelope's Sequence must be
// set (it is, on everything read from the store).
func (m *Mapper) AppendJSON(dst []byte, e *eventstore.Envelope, idx int) []byte {
	str := func(key, v string) {
		dst = append(dst, ',', '"')
		dst = append(dst, key...)
		dst = append(dst, '"', ':')
		dst, _ = jsontext.AppendQuote(dst, v)
	}
	opt := func(key, v string) {
		if v != "" {
			str(key, v)
		}
	}
	dst = append(dst, `{"specversion":"1.0"`...)
	str("id", e.EventID)
	str("source", m.SourceOf(e.AggregateKind, e.AggregateID))
	str("type", m.Type(e.Type, e.SchemaVersion))
	str("subject", e.AggregateID)
	str("time", e.OccurredAt.UTC().Format(time.RFC3339Nano))
	str("datacontenttype", "application/json")
	if m.SchemaBase != "" {
		str("dataschema", strings.TrimSuffix(m.SchemaBase, "/")+"/"+e.Type)
	}
	str("streamseq", strconv.FormatUint(e.Sequence, 10))
	dst = append(dst, `,"streamindex":`...)
	dst = strconv.AppendInt(dst, int64(idx), 10)
	str("recordedtime", e.RecordedAt.UTC().Format(time.RFC3339Nano))
	str("aggkind", e.AggregateKind)
	str("aggversion", strconv.FormatUint(e.AggregateVersion, 10))
	str("commandid", e.CommandID)
	str("actorid", e.Actor.ID)
	str("actorrole", e.Actor.Role)
	str("actororg", e.Actor.Organisation)
	opt("reason", e.Reason)
	opt("causationid", e.CausationID)
	opt("correlationid", e.CorrelationID)
	str("eventhash", e.Hash)
	str("prevhash", e.PrevHash)
	dst = append(dst, `,"data":`...)
	if len(e.Data) == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, e.Data...)
	}
	return append(dst, '}')
}

// Marshal returns the event at index idx of its commit as one CloudEvent.
func (m *Mapper) Marshal(e *eventstore.Envelope, idx int) []byte { return m.AppendJSON(nil, e, idx) }

// Event is a CloudEvent read back: the fields [Mapper.AppendJSON] writes,
// by their CloudEvents names. Integrators with the CloudEvents SDK need
// none of it; it serves tests and this repository's own clients.
type Event struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	DataSchema      string          `json:"dataschema,omitempty"`
	StreamSeq       string          `json:"streamseq"`
	StreamIndex     int             `json:"streamindex"`
	RecordedTime    time.Time       `json:"recordedtime"`
	AggKind         string          `json:"aggkind"`
	AggVersion      string          `json:"aggversion"`
	CommandID       string          `json:"commandid"`
	ActorID         string          `json:"actorid"`
	ActorRole       string          `json:"actorrole"`
	ActorOrg        string          `json:"actororg"`
	Reason          string          `json:"reason,omitempty"`
	CausationID     string          `json:"causationid,omitempty"`
	CorrelationID   string          `json:"correlationid,omitempty"`
	EventHash       string          `json:"eventhash"`
	PrevHash        string          `json:"prevhash"`
	Data            json.RawMessage `json:"data"`
}

// ErrNotLedgerEvent is returned by [Mapper.Envelope] for a CloudEvent that
// this mapping did not write.
var ErrNotLedgerEvent = errors.New("cloudevent: not a ledger event")

// Envelope rebuilds the stored envelope from a CloudEvent this mapper
// wrote, less the evidence list the CloudEvent does not carry, and returns
// the event's index in its commit. With no evidence on the original, the
// envelope's [eventstore.Envelope.ComputeHash] equals EventHash again:
// integrators can check the hash chain from CloudEvents alone.
func (m *Mapper) Envelope(ce *Event) (eventstore.Envelope, int, error) {
	if ce.SpecVersion != SpecVersion {
		return eventstore.Envelope{}, 0, fmt.Errorf("%w: specversion %q", ErrNotLedgerEvent, ce.SpecVersion)
	}
	typ, v, err := m.ParseType(ce.Type)
	if err != nil {
		return eventstore.Envelope{}, 0, fmt.Errorf("%w: %v", ErrNotLedgerEvent, err)
	}
	seq, err1 := strconv.ParseUint(ce.StreamSeq, 10, 64)
	ver, err2 := strconv.ParseUint(ce.AggVersion, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return eventstore.Envelope{}, 0, fmt.Errorf("%w: %v", ErrNotLedgerEvent, err)
	}
	if want := m.SourceOf(ce.AggKind, ce.Subject); ce.Source != want {
		return eventstore.Envelope{}, 0, fmt.Errorf("%w: source %q, want %q", ErrNotLedgerEvent, ce.Source, want)
	}
	return eventstore.Envelope{
		EventID:          ce.ID,
		AggregateKind:    ce.AggKind,
		AggregateID:      ce.Subject,
		AggregateVersion: ver,
		CommandID:        ce.CommandID,
		Event: eventstore.Event{
			Type:          typ,
			SchemaVersion: v,
			Actor:         eventstore.Actor{ID: ce.ActorID, Role: ce.ActorRole, Organisation: ce.ActorOrg},
			Reason:        ce.Reason,
			CausationID:   ce.CausationID,
			CorrelationID: ce.CorrelationID,
			OccurredAt:    ce.Time,
			Data:          []byte(ce.Data),
		},
		RecordedAt: ce.RecordedTime,
		PrevHash:   ce.PrevHash,
		Hash:       ce.EventHash,
		Sequence:   seq,
	}, ce.StreamIndex, nil
}
