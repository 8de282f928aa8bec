package eventstore

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/laaledger/laaledger/domain/jsonscan"
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
// known only once stored and is not part of the hash. Its JSON form is the
// stored one, field for field in the order of [envelopeFields] (see
// [Envelope.MarshalJSON]), not the order of the Go fields.
type Envelope struct {
	EventID          string `json:"event_id"`
	AggregateKind    string `json:"aggregate_kind"`
	AggregateID      string `json:"aggregate_id"`
	AggregateVersion uint64 `json:"aggregate_version"`
	CommandID        string `json:"command_id"`
	Event
	RecordedAt time.Time `json:"recorded_at"`
	PrevHash   string    `json:"prev_hash"`
	Hash       string    `json:"hash"`
	Sequence   uint64    `json:"-"`
}

// MarshalJSON writes the stored form, so that encoding/json (export
// bundles, command results) writes an envelope exactly as the ledger
// stores it. Decoding needs no method of its own: the JSON names are the
// fields' and [Event]'s.
func (e Envelope) MarshalJSON() ([]byte, error) { return appendEnvelopeJSON(nil, &e), nil }

// Aggregate returns the aggregate the event belongs to.
func (e *Envelope) Aggregate() Aggregate { return Aggregate{Kind: e.AggregateKind, ID: e.AggregateID} }

// IndexInCommit is the position of events[i] within its commit, for
// events in stream order as a read of one aggregate returns them: the
// events of one commit are adjacent and share a sequence.
func IndexInCommit(events []Envelope, i int) int {
	n := 0
	for j := i - 1; j >= 0 && events[j].Sequence == events[i].Sequence; j-- {
		n++
	}
	return n
}

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
// That is the order of [envelopeFields], which derives it; the event's own
// hash field is not part of it.
func (e *Envelope) ComputeHash() string {
	buf := hashBufs.Get().(*[]byte)
	h := hashBuf((*buf)[:0]).str(hashDomain)
	for i := range envelopeFields {
		if f := &envelopeFields[i]; f.hash != nil {
			h = f.hash(h, e)
		}
	}
	sum := sha256.Sum256(h)
	if cap(h) <= maxPooledHashBuf {
		*buf = h
		hashBufs.Put(buf)
	}
	return hex.EncodeToString(sum[:])
}

// hashBufs holds the buffers ComputeHash encodes into: one per event
// otherwise, on every append and every verification.
var hashBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledHashBuf is the largest buffer kept for reuse.
const maxPooledHashBuf = 64 << 10

// hashBuf accumulates the canonical encoding: each item as an unsigned
// LEB128 length and then its bytes. Its methods return the grown buffer,
// as append does, so that it stays off the heap's slice headers.
type hashBuf []byte

func (h hashBuf) bytes(b []byte) hashBuf {
	h = binary.AppendUvarint(h, uint64(len(b)))
	return append(h, b...)
}

func (h hashBuf) str(s string) hashBuf {
	h = binary.AppendUvarint(h, uint64(len(s)))
	return append(h, s...)
}

func (h hashBuf) int(n int64) hashBuf {
	var num [20]byte
	return h.bytes(strconv.AppendInt(num[:0], n, 10))
}

func (h hashBuf) uint(n uint64) hashBuf {
	var num [20]byte
	return h.bytes(strconv.AppendUint(num[:0], n, 10))
}

func (h hashBuf) time(t time.Time) hashBuf {
	var ts [40]byte
	return h.bytes(t.UTC().AppendFormat(ts[:0], time.RFC3339Nano))
}

// envelopeField is one field of [Envelope]: how it is hashed, written in
// the stored JSON and read back. Plain funcs, not reflection: they run for
// every event appended and read.
type envelopeField struct {
	// key is the field's JSON name; actor's nested fields are its own.
	key string
	// omitEmpty leaves the field out of the JSON when empty reports true.
	omitEmpty bool
	empty     func(e *Envelope) bool
	// aggregate marks aggregate_kind and aggregate_id, which read models
	// serve as one "aggregate" object; chain marks prev_hash and hash.
	aggregate, chain bool
	// hash appends the field to the canonical encoding; nil leaves it out.
	hash func(h hashBuf, e *Envelope) hashBuf
	// json appends the field's JSON value.
	json func(dst []byte, e *Envelope) []byte
	// parse decodes the field's JSON value (the fast path; see decode.go).
	parse func(p *jsonscan.Scanner, e *Envelope) bool
	// text hands f each string the field holds, named as an error message
	// names it, until f returns false; nil for fields that hold no text.
	text func(e *Envelope, f func(name, s string) bool) bool
	// put and get are the field in a binary encoding (see
	// [Envelope.EncodeFields]).
	put func(w FieldEncoder, e *Envelope)
	get func(r FieldDecoder, e *Envelope)
}

// fieldTrait marks how a field of the table is treated beyond its kind.
type fieldTrait uint8

const (
	// symbol: the string repeats across events, so a binary encoding may
	// write it once and then by number.
	symbol fieldTrait = 1 << iota
	// omitted: left out of the JSON when empty.
	omitted
	// inAggregate: aggregate_kind and aggregate_id (see envelopeField.aggregate).
	inAggregate
	// inChain: prev_hash and hash (see envelopeField.chain).
	inChain
	// unhashed: not part of the canonical encoding (the hash itself).
	unhashed
)

// strField is a string field; name is how error messages name it. The
// accessor at is one plain func call on the hot paths, not reflection.
func strField(key, name string, traits fieldTrait, at func(e *Envelope) *string) envelopeField {
	f := envelopeField{key: key,
		omitEmpty: traits&omitted != 0,
		aggregate: traits&inAggregate != 0,
		chain:     traits&inChain != 0,
		hash:      func(h hashBuf, e *Envelope) hashBuf { return h.str(*at(e)) },
		json:      func(dst []byte, e *Envelope) []byte { return appendJSONString(dst, *at(e)) },
		parse:     func(p *jsonscan.Scanner, e *Envelope) bool { return p.Str(at(e)) },
		text:      func(e *Envelope, f func(name, s string) bool) bool { return f(name, *at(e)) },
		put:       func(w FieldEncoder, e *Envelope) { w.Str(*at(e)) },
		get:       func(r FieldDecoder, e *Envelope) { *at(e) = r.Str() },
	}
	if f.omitEmpty {
		f.empty = func(e *Envelope) bool { return *at(e) == "" }
	}
	if traits&symbol != 0 {
		f.put = func(w FieldEncoder, e *Envelope) { w.Sym(*at(e)) }
		f.get = func(r FieldDecoder, e *Envelope) { *at(e) = r.Sym() }
	}
	if traits&unhashed != 0 {
		f.hash = nil
	}
	return f
}

// timeField is a time field: RFC 3339 with nanoseconds in the JSON and the
// hash, Unix nanoseconds in a binary encoding; it comes back in UTC.
func timeField(key string, at func(e *Envelope) *time.Time) envelopeField {
	return envelopeField{key: key,
		hash:  func(h hashBuf, e *Envelope) hashBuf { return h.time(*at(e)) },
		json:  func(dst []byte, e *Envelope) []byte { return appendJSONTime(dst, *at(e)) },
		parse: func(p *jsonscan.Scanner, e *Envelope) bool { return p.Time(at(e)) },
		put:   func(w FieldEncoder, e *Envelope) { w.Varint(at(e).UnixNano()) },
		get:   func(r FieldDecoder, e *Envelope) { *at(e) = time.Unix(0, r.Varint()).UTC() },
	}
}

// envelopeFields is the envelope's one field list, in the order of the
// stored JSON and of the canonical hash encoding. Adding a field here
// changes every hash: a new field needs a new hashDomain.
var envelopeFields = [...]envelopeField{
	strField("event_id", "event id", 0, func(e *Envelope) *string { return &e.EventID }),
	strField("type", "type", symbol, func(e *Envelope) *string { return &e.Type }),
	{key: "schema_version",
		hash:  func(h hashBuf, e *Envelope) hashBuf { return h.int(int64(e.SchemaVersion)) },
		json:  func(dst []byte, e *Envelope) []byte { return strconv.AppendInt(dst, int64(e.SchemaVersion), 10) },
		parse: func(p *jsonscan.Scanner, e *Envelope) bool { return p.Int(&e.SchemaVersion) },
		put:   func(w FieldEncoder, e *Envelope) { w.Uvarint(uint64(e.SchemaVersion)) },
		get:   func(r FieldDecoder, e *Envelope) { e.SchemaVersion = int(r.Uvarint()) }},
	strField("aggregate_kind", "aggregate kind", symbol|inAggregate, func(e *Envelope) *string { return &e.AggregateKind }),
	strField("aggregate_id", "aggregate id", symbol|inAggregate, func(e *Envelope) *string { return &e.AggregateID }),
	{key: "aggregate_version",
		hash:  func(h hashBuf, e *Envelope) hashBuf { return h.uint(e.AggregateVersion) },
		json:  func(dst []byte, e *Envelope) []byte { return strconv.AppendUint(dst, e.AggregateVersion, 10) },
		parse: func(p *jsonscan.Scanner, e *Envelope) bool { return p.Uint(&e.AggregateVersion) },
		put:   func(w FieldEncoder, e *Envelope) { w.Uvarint(e.AggregateVersion) },
		get:   func(r FieldDecoder, e *Envelope) { e.AggregateVersion = r.Uvarint() }},
	strField("command_id", "command id", 0, func(e *Envelope) *string { return &e.CommandID }),
	{key: "actor",
		hash: func(h hashBuf, e *Envelope) hashBuf {
			return h.str(e.Actor.ID).str(e.Actor.Role).str(e.Actor.Organisation)
		},
		json: func(dst []byte, e *Envelope) []byte {
			dst = append(dst, `{"id":`...)
			dst = appendJSONString(dst, e.Actor.ID)
			dst = append(dst, `,"role":`...)
			dst = appendJSONString(dst, e.Actor.Role)
			dst = append(dst, `,"organisation":`...)
			dst = appendJSONString(dst, e.Actor.Organisation)
			return append(dst, '}')
		},
		parse: func(p *jsonscan.Scanner, e *Envelope) bool { return parseActor(p, &e.Actor) },
		text: func(e *Envelope, f func(name, s string) bool) bool {
			return f("actor id", e.Actor.ID) && f("actor role", e.Actor.Role) && f("actor organisation", e.Actor.Organisation)
		},
		put: func(w FieldEncoder, e *Envelope) {
			w.Sym(e.Actor.ID)
			w.Sym(e.Actor.Role)
			w.Sym(e.Actor.Organisation)
		},
		get: func(r FieldDecoder, e *Envelope) {
			e.Actor = Actor{ID: r.Sym(), Role: r.Sym(), Organisation: r.Sym()}
		}},
	strField("reason", "reason", omitted, func(e *Envelope) *string { return &e.Reason }),
	{key: "evidence", omitEmpty: true,
		empty: func(e *Envelope) bool { return len(e.Evidence) == 0 },
		hash: func(h hashBuf, e *Envelope) hashBuf {
			h = h.int(int64(len(e.Evidence)))
			for _, ev := range e.Evidence {
				h = h.str(ev)
			}
			return h
		},
		json: func(dst []byte, e *Envelope) []byte {
			dst = append(dst, '[')
			for i, ev := range e.Evidence {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendJSONString(dst, ev)
			}
			return append(dst, ']')
		},
		parse: func(p *jsonscan.Scanner, e *Envelope) bool { return p.Strs(&e.Evidence) },
		text: func(e *Envelope, f func(name, s string) bool) bool {
			for _, ev := range e.Evidence {
				if !f("an evidence reference", ev) {
					return false
				}
			}
			return true
		},
		put: func(w FieldEncoder, e *Envelope) {
			w.Uvarint(uint64(len(e.Evidence)))
			for _, ev := range e.Evidence {
				w.Str(ev)
			}
		},
		get: func(r FieldDecoder, e *Envelope) {
			if n := r.Uvarint(); n > 0 && r.Err() == nil {
				e.Evidence = make([]string, n)
				for i := range e.Evidence {
					e.Evidence[i] = r.Str()
				}
			}
		}},
	strField("causation_id", "causation id", omitted, func(e *Envelope) *string { return &e.CausationID }),
	strField("correlation_id", "correlation id", omitted, func(e *Envelope) *string { return &e.CorrelationID }),
	timeField("occurred_at", func(e *Envelope) *time.Time { return &e.OccurredAt }),
	timeField("recorded_at", func(e *Envelope) *time.Time { return &e.RecordedAt }),
	{key: "data",
		hash: func(h hashBuf, e *Envelope) hashBuf { return h.bytes(e.Data) },
		json: func(dst []byte, e *Envelope) []byte {
			if len(e.Data) == 0 {
				return append(dst, "null"...)
			}
			return append(dst, e.Data...)
		},
		parse: func(p *jsonscan.Scanner, e *Envelope) bool {
			raw, ok := p.Raw()
			e.Data = raw
			return ok
		},
		put: func(w FieldEncoder, e *Envelope) { w.Bytes(e.Data) },
		get: func(r FieldDecoder, e *Envelope) { e.Data = r.Bytes() }},
	strField("prev_hash", "prev hash", inChain, func(e *Envelope) *string { return &e.PrevHash }),
	strField("hash", "hash", inChain|unhashed, func(e *Envelope) *string { return &e.Hash }),
}

// envelope is the caller's part of an envelope. The ledger's own fields
// (id, aggregate, version, command id, recorded time, hash chain) are left
// for Append to fill.
func (e *Event) envelope() Envelope { return Envelope{Event: *e} }

// eachText hands f each text of e, named as an error message names it,
// until f returns false, and reports whether f accepted them all.
func (e *Envelope) eachText(f func(name, s string) bool) bool {
	for i := range envelopeFields {
		if t := envelopeFields[i].text; t != nil && !t(e, f) {
			return false
		}
	}
	return true
}

// FieldEncoder is a binary encoding of envelopes, such as a read model's
// snapshot: [Envelope.EncodeFields] hands it each field in turn. Sym marks
// strings that repeat across events (types, aggregates, actors), which an
// encoder may write once and then by number; times are Unix nanoseconds.
type FieldEncoder interface {
	Uvarint(v uint64)
	Varint(v int64)
	Bytes(b []byte)
	Str(s string)
	Sym(s string)
}

// FieldDecoder reads back what a [FieldEncoder] wrote. After a failure its
// methods return zero values and Err the failure.
type FieldDecoder interface {
	Uvarint() uint64
	Varint() int64
	Bytes() []byte
	Str() string
	Sym() string
	Err() error
}

// EncodeFields writes the envelope's fields to w in [envelopeFields] order,
// without Sequence (the caller places the event) and with the hash chain
// only when withChain.
func (e *Envelope) EncodeFields(w FieldEncoder, withChain bool) {
	for i := range envelopeFields {
		if f := &envelopeFields[i]; withChain || !f.chain {
			f.put(w, e)
		}
	}
}

// DecodeFields reads back what [Envelope.EncodeFields] wrote with the same
// withChain; times come back in UTC. Check r.Err afterwards.
func (e *Envelope) DecodeFields(r FieldDecoder, withChain bool) {
	for i := range envelopeFields {
		if f := &envelopeFields[i]; withChain || !f.chain {
			f.get(r, e)
		}
	}
}

// actorFields are [Actor]'s JSON names.
var actorFields = []string{"id", "role", "organisation"}

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
