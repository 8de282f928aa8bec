package eventstore

import (
	"encoding/json"
	"fmt"

	"github.com/laaledger/laaledger/domain/jsonscan"
)

// Reading the ledger back spends most of its decoding time in encoding/json's
// reflection, so commits are decoded by hand, with the shared scanner
// [jsonscan] and the field table [envelopeFields]. The hand-written decoder
// is a fast path, not a second definition of the format: it accepts only
// input it can decode exactly as encoding/json would (any field order,
// whitespace, escaped strings, unknown fields) and hands everything else — a
// syntax error, a null, a duplicated or case-folded key, a number that does
// not fit — to encoding/json, whose result or error then stands.
// FuzzDecodeCommit compares the two.

// decodeCommit parses a stored message body and stamps each event with the
// message's stream sequence.
func decodeCommit(data []byte, seq uint64) (*Commit, error) {
	c, ok := parseCommit(data)
	if !ok {
		c = &Commit{}
		if err := json.Unmarshal(data, c); err != nil {
			return nil, fmt.Errorf("decode commit at sequence %d: %w", seq, err)
		}
	}
	if len(c.Events) == 0 {
		return nil, fmt.Errorf("decode commit at sequence %d: no events", seq)
	}
	for i := range c.Events {
		c.Events[i].Sequence = seq
	}
	return c, nil
}

// The JSON names of each level of a commit, for refusing keys that match
// one only without regard to case (see [jsonscan.Scanner.Unknown]).
var (
	commitFields = []string{"command_id", "fingerprint", "events"}
	envelopeKeys = func() []string {
		names := make([]string, len(envelopeFields))
		for i := range envelopeFields {
			names[i] = envelopeFields[i].key
		}
		return names
	}()
)

// parseCommit decodes data as encoding/json would decode it into a Commit,
// or reports false.
func parseCommit(data []byte) (*Commit, bool) {
	// The field table's parsers are called indirectly, so the scanner
	// escapes; one allocation holds it and the commit.
	d := &struct {
		c Commit
		p jsonscan.Scanner
	}{p: jsonscan.New(data)}
	c, p := &d.c, &d.p
	ok := p.Fields(commitFields, func(i int) bool {
		switch i {
		case 0:
			return p.Str(&c.CommandID)
		case 1:
			return p.Str(&c.Fingerprint)
		case 2:
			return parseEvents(p, &c.Events)
		}
		return false
	})
	if !ok || !p.End() {
		return nil, false
	}
	return c, true
}

func parseEvents(p *jsonscan.Scanner, dst *[]Envelope) bool {
	evs := make([]Envelope, 0, 1)
	ok := p.Array(func() bool {
		evs = append(evs, Envelope{})
		return parseEnvelope(p, &evs[len(evs)-1])
	})
	if ok {
		*dst = evs
	}
	return ok
}

// parseEnvelope decodes one event by [envelopeFields].
func parseEnvelope(p *jsonscan.Scanner, e *Envelope) bool {
	return p.Fields(envelopeKeys, func(i int) bool {
		return envelopeFields[i].parse(p, e)
	})
}

func parseActor(p *jsonscan.Scanner, a *Actor) bool {
	return parseStrings(p, actorFields, &a.ID, &a.Role, &a.Organisation)
}

// parseStrings decodes an object of string members, each at most once, the
// one named keys[i] into dst[i]; it refuses any other member.
func parseStrings(p *jsonscan.Scanner, keys []string, dst ...*string) bool {
	return p.Fields(keys, func(i int) bool { return p.Str(dst[i]) })
}

// servedKeys are the top-level JSON names of the served form: three of its
// own, then the stored fields but the aggregate's, whose positions in
// [envelopeFields] servedFields holds.
var servedKeys, servedFields = func() ([]string, []int) {
	names := []string{"sequence", "index", "aggregate"}
	var fields []int
	for i := range envelopeFields {
		if !envelopeFields[i].aggregate {
			names = append(names, envelopeFields[i].key)
			fields = append(fields, i)
		}
	}
	return names, fields
}()

var aggregateKeys = []string{"kind", "id"}

// UnmarshalServedJSON decodes the form [Envelope.AppendServedJSON] writes,
// in any field order, into e (Sequence included) and returns the event's
// index in its commit. Read models and API clients use it; it is not the
// ledger's read path and has no encoding/json fallback, so it refuses
// input that only encoding/json's leniency would accept (a key that
// differs from a field's name only in case, a null for a string).
func (e *Envelope) UnmarshalServedJSON(data []byte) (index int, err error) {
	var u Envelope
	p := jsonscan.New(data)
	ok := p.Fields(servedKeys, func(i int) bool {
		switch i {
		case 0:
			return p.Uint(&u.Sequence)
		case 1:
			return p.Int(&index)
		case 2:
			return parseAggregate(&p, &u)
		}
		return envelopeFields[servedFields[i-3]].parse(&p, &u)
	})
	if !ok || !p.End() {
		return 0, fmt.Errorf("decode event: not the JSON form of a served event")
	}
	*e = u
	return index, nil
}

func parseAggregate(p *jsonscan.Scanner, e *Envelope) bool {
	return parseStrings(p, aggregateKeys, &e.AggregateKind, &e.AggregateID)
}
