package eventstore

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Actor is who caused an event: a person, the role they acted in and the
// organisation they acted for.
type Actor struct {
	ID           string `json:"id"`
	Role         string `json:"role"`
	Organisation string `json:"organisation"`
}

// Event is what a caller hands to Append: an opaque body plus the metadata
// the ledger keeps beside it.
type Event struct {
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	Data          json.RawMessage `json:"data"`
	Actor         Actor           `json:"actor"`
	Reason        string          `json:"reason,omitempty"`
	Evidence      []string        `json:"evidence,omitempty"`
	CausationID   string          `json:"causation_id,omitempty"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	// OccurredAt is business time, given by the caller.
	OccurredAt time.Time `json:"occurred_at"`
}

// Envelope is a stored event: the caller's [Event] plus what the ledger
// adds (id, aggregate, version, command id, recorded time and the hash
// chain). Sequence is the stream sequence of the commit that holds it; it is
// known only once stored and is not part of the hash.
type Envelope struct {
	EventID          string          `json:"event_id"`
	Type             string          `json:"type"`
	SchemaVersion    int             `json:"schema_version"`
	AggregateKind    string          `json:"aggregate_kind"`
	AggregateID      string          `json:"aggregate_id"`
	AggregateVersion uint64          `json:"aggregate_version"`
	CommandID        string          `json:"command_id"`
	Actor            Actor           `json:"actor"`
	Reason           string          `json:"reason,omitempty"`
	Evidence         []string        `json:"evidence,omitempty"`
	CausationID      string          `json:"causation_id,omitempty"`
	CorrelationID    string          `json:"correlation_id,omitempty"`
	OccurredAt       time.Time       `json:"occurred_at"`
	RecordedAt       time.Time       `json:"recorded_at"`
	Data             json.RawMessage `json:"data"`
	PrevHash         string          `json:"prev_hash"`
	Hash             string          `json:"hash"`
	Sequence         uint64          `json:"-"`
}

// Aggregate returns the aggregate the event belongs to.
func (e *Envelope) Aggregate() Aggregate { return Aggregate{Kind: e.AggregateKind, ID: e.AggregateID} }

// Commit is the body of one JetStream message: every event of one command,
// in version order. Storing a command as one message makes it atomic.
type Commit struct {
	CommandID string `json:"command_id"`
	// Fingerprint, when the caller gave one, identifies the command's
	// content (see [WithFingerprint]), so that a command id reused for
	// another command is told apart from a retry. It is not part of any
	// event's hash: altering it can only make a retry be refused.
	Fingerprint string     `json:"fingerprint,omitempty"`
	Events      []Envelope `json:"events"`
}

// ZeroHash is the PrevHash of an aggregate's first event.
const ZeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// hashDomain separates ledger event hashes from any other SHA-256 use.
const hashDomain = "laaledger/event/v1"

// ComputeHash returns the hex SHA-256 of the event's canonical encoding.
//
// The canonical encoding is language-neutral: the string "laaledger/event/v1"
// followed by each of these fields, in this order, as an unsigned LEB128
// length and then its bytes:
//
//	event_id, type, schema_version (decimal), aggregate_kind, aggregate_id,
//	aggregate_version (decimal), command_id, actor.id, actor.role,
//	actor.organisation, reason, number of evidence items (decimal), each
//	evidence item, causation_id, correlation_id, occurred_at and recorded_at
//	(RFC 3339 with nanoseconds, UTC), data (the body's bytes exactly as
//	stored), prev_hash (lower-case hex).
//
// The event's own hash field is not part of it.
func (e *Envelope) ComputeHash() string {
	buf := make([]byte, 0, 1024+len(e.Data))
	put := func(s string) {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	putBytes := func(b []byte) {
		buf = binary.AppendUvarint(buf, uint64(len(b)))
		buf = append(buf, b...)
	}
	var num [20]byte
	var ts [40]byte
	put(hashDomain)
	put(e.EventID)
	put(e.Type)
	putBytes(strconv.AppendInt(num[:0], int64(e.SchemaVersion), 10))
	put(e.AggregateKind)
	put(e.AggregateID)
	putBytes(strconv.AppendUint(num[:0], e.AggregateVersion, 10))
	put(e.CommandID)
	put(e.Actor.ID)
	put(e.Actor.Role)
	put(e.Actor.Organisation)
	put(e.Reason)
	putBytes(strconv.AppendInt(num[:0], int64(len(e.Evidence)), 10))
	for _, ev := range e.Evidence {
		put(ev)
	}
	put(e.CausationID)
	put(e.CorrelationID)
	putBytes(e.OccurredAt.UTC().AppendFormat(ts[:0], time.RFC3339Nano))
	putBytes(e.RecordedAt.UTC().AppendFormat(ts[:0], time.RFC3339Nano))
	putBytes(e.Data)
	put(e.PrevHash)
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// ChainError names the first event whose hash or link does not hold.
type ChainError struct {
	Aggregate Aggregate
	Version   uint64
	Sequence  uint64
	Reason    string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("hash chain of %s broken at version %d (stream sequence %d): %s", e.Aggregate, e.Version, e.Sequence, e.Reason)
}

// Is makes errors.Is(err, ErrTampered) true.
func (e *ChainError) Is(target error) bool { return target == ErrTampered }

// ChainVerifier checks, event by event, that every aggregate's events are
// numbered 1, 2, 3…, that each links to its predecessor's hash and that each
// hash matches its content. Feed it events in stream order.
type ChainVerifier struct {
	heads map[Aggregate]chainHead
}

type chainHead struct {
	version uint64
	hash    string
}

// NewChainVerifier returns an empty verifier.
func NewChainVerifier() *ChainVerifier { return &ChainVerifier{heads: map[Aggregate]chainHead{}} }

// Check verifies one event against its aggregate's chain so far.
func (v *ChainVerifier) Check(e *Envelope) error {
	agg := e.Aggregate()
	head, ok := v.heads[agg]
	if !ok {
		head = chainHead{hash: ZeroHash}
	}
	fail := func(format string, args ...any) error {
		return &ChainError{Aggregate: agg, Version: e.AggregateVersion, Sequence: e.Sequence, Reason: fmt.Sprintf(format, args...)}
	}
	if e.AggregateVersion != head.version+1 {
		return fail("version %d follows version %d", e.AggregateVersion, head.version)
	}
	if e.PrevHash != head.hash {
		return fail("prev_hash %.12s… does not match the previous event's hash %.12s…", e.PrevHash, head.hash)
	}
	if got := e.ComputeHash(); got != e.Hash {
		return fail("content hashes to %.12s…, stored hash is %.12s…", got, e.Hash)
	}
	v.heads[agg] = chainHead{version: e.AggregateVersion, hash: e.Hash}
	return nil
}
