package eventstore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// Reading the ledger back spends most of its decoding time in encoding/json's
// reflection, so commits are decoded by hand. The hand-written decoder is a
// fast path, not a second definition of the format: it accepts only input it
// can decode exactly as encoding/json would (any field order, whitespace,
// escaped strings, unknown fields) and hands everything else — a syntax
// error, a null, a duplicated or case-folded key, a number that does not fit
// — to encoding/json, whose result or error then stands. FuzzDecodeCommit
// compares the two.

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

// commitParser walks one commit's JSON. Every method returns false when it
// meets something the fast path does not decode.
type commitParser struct {
	b []byte
	i int
}

// parseCommit decodes data as encoding/json would decode it into a Commit,
// or reports false.
func parseCommit(data []byte) (*Commit, bool) {
	p := commitParser{b: data}
	c := &Commit{}
	var seen uint8
	ok := p.object(func(key []byte) bool {
		switch string(key) {
		case "command_id":
			return p.once(&seen, 1) && p.str(&c.CommandID)
		case "events":
			return p.once(&seen, 2) && p.events(&c.Events)
		case "fingerprint":
			return p.once(&seen, 4) && p.str(&c.Fingerprint)
		}
		return p.unknown(key)
	})
	if !ok {
		return nil, false
	}
	p.space()
	return c, p.i == len(p.b)
}

func (p *commitParser) events(dst *[]Envelope) bool {
	if !p.consume('[') {
		return false
	}
	evs := make([]Envelope, 0, 1)
	p.space()
	if p.consume(']') {
		*dst = evs
		return true
	}
	for {
		evs = append(evs, Envelope{})
		if !p.envelope(&evs[len(evs)-1]) {
			return false
		}
		p.space()
		if p.consume(']') {
			*dst = evs
			return true
		}
		if !p.consume(',') {
			return false
		}
	}
}

func (p *commitParser) envelope(e *Envelope) bool {
	var seen uint32
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "event_id":
			return p.once32(&seen, 1<<0) && p.str(&e.EventID)
		case "type":
			return p.once32(&seen, 1<<1) && p.str(&e.Type)
		case "schema_version":
			return p.once32(&seen, 1<<2) && p.int(&e.SchemaVersion)
		case "aggregate_kind":
			return p.once32(&seen, 1<<3) && p.str(&e.AggregateKind)
		case "aggregate_id":
			return p.once32(&seen, 1<<4) && p.str(&e.AggregateID)
		case "aggregate_version":
			return p.once32(&seen, 1<<5) && p.uint(&e.AggregateVersion)
		case "command_id":
			return p.once32(&seen, 1<<6) && p.str(&e.CommandID)
		case "actor":
			return p.once32(&seen, 1<<7) && p.actor(&e.Actor)
		case "reason":
			return p.once32(&seen, 1<<8) && p.str(&e.Reason)
		case "evidence":
			return p.once32(&seen, 1<<9) && p.strs(&e.Evidence)
		case "causation_id":
			return p.once32(&seen, 1<<10) && p.str(&e.CausationID)
		case "correlation_id":
			return p.once32(&seen, 1<<11) && p.str(&e.CorrelationID)
		case "occurred_at":
			return p.once32(&seen, 1<<12) && p.time(&e.OccurredAt)
		case "recorded_at":
			return p.once32(&seen, 1<<13) && p.time(&e.RecordedAt)
		case "data":
			return p.once32(&seen, 1<<14) && p.raw(&e.Data)
		case "prev_hash":
			return p.once32(&seen, 1<<15) && p.str(&e.PrevHash)
		case "hash":
			return p.once32(&seen, 1<<16) && p.str(&e.Hash)
		}
		return p.unknown(key)
	})
}

func (p *commitParser) actor(a *Actor) bool {
	var seen uint8
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return p.once(&seen, 1) && p.str(&a.ID)
		case "role":
			return p.once(&seen, 2) && p.str(&a.Role)
		case "organisation":
			return p.once(&seen, 4) && p.str(&a.Organisation)
		}
		return p.unknown(key)
	})
}

// once and once32 refuse a key seen before in the same object: a repeated
// key merges into the earlier value in ways left to encoding/json.
func (p *commitParser) once(seen *uint8, bit uint8) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

func (p *commitParser) once32(seen *uint32, bit uint32) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// unknown skips the value of a key no field is named after. encoding/json
// also matches keys to fields without regard to case (and Unicode folding),
// so a key is skipped only when it is plain ASCII whose lower case names no
// field; anything else goes to encoding/json.
func (p *commitParser) unknown(key []byte) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf || c == '\\' {
			return false
		}
	}
	if knownKey(key) {
		return false
	}
	return p.skip(0)
}

var fieldNames = []string{
	"command_id", "events", "event_id", "type", "schema_version", "aggregate_kind", "aggregate_id",
	"aggregate_version", "actor", "reason", "evidence", "causation_id", "correlation_id", "occurred_at",
	"recorded_at", "data", "prev_hash", "hash", "id", "role", "organisation",
}

// knownKey reports whether key names a field of any level, ignoring ASCII
// case.
func knownKey(key []byte) bool {
	for _, n := range fieldNames {
		if len(n) != len(key) {
			continue
		}
		same := true
		for i := range key {
			c := key[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != n[i] {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

func (p *commitParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *commitParser) consume(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object walks an object, calling field with each key (escape-free; a key
// with escapes is refused) positioned before the key's value.
func (p *commitParser) object(field func(key []byte) bool) bool {
	p.space()
	if !p.consume('{') {
		return false
	}
	p.space()
	if p.consume('}') {
		return true
	}
	for {
		p.space()
		if !p.consume('"') {
			return false
		}
		start := p.i
		for p.i < len(p.b) && p.b[p.i] != '"' && p.b[p.i] != '\\' && p.b[p.i] >= 0x20 {
			p.i++
		}
		if !p.consume('"') {
			return false
		}
		key := p.b[start : p.i-1]
		p.space()
		if !p.consume(':') {
			return false
		}
		p.space()
		if !field(key) {
			return false
		}
		p.space()
		if p.consume('}') {
			return true
		}
		if !p.consume(',') {
			return false
		}
	}
}

// token returns the raw string token (quotes included) at the current
// position, whether it has escapes, and whether it is plain ASCII. It
// checks the token is valid JSON.
func (p *commitParser) token() (raw []byte, escaped, ascii, ok bool) {
	if !p.consume('"') {
		return nil, false, false, false
	}
	start := p.i - 1
	ascii = true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return p.b[start:p.i], escaped, ascii, true
		case c == '\\':
			escaped = true
			if p.i+1 >= len(p.b) {
				return nil, false, false, false
			}
			switch p.b[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				if p.i+6 > len(p.b) {
					return nil, false, false, false
				}
				for _, h := range p.b[p.i+2 : p.i+6] {
					if !isHex(h) {
						return nil, false, false, false
					}
				}
				p.i += 6
			default:
				return nil, false, false, false
			}
		case c < 0x20:
			return nil, false, false, false
		default:
			if c >= utf8.RuneSelf {
				ascii = false
			}
			p.i++
		}
	}
	return nil, false, false, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// str decodes a string. Strings with escapes or invalid UTF-8 (which
// encoding/json replaces) are rare and left to encoding/json, token by token.
func (p *commitParser) str(dst *string) bool {
	raw, escaped, ascii, ok := p.token()
	if !ok {
		return false
	}
	body := raw[1 : len(raw)-1]
	if escaped || (!ascii && !utf8.Valid(body)) {
		return json.Unmarshal(raw, dst) == nil
	}
	*dst = string(body)
	return true
}

func (p *commitParser) strs(dst *[]string) bool {
	if !p.consume('[') {
		return false
	}
	out := []string{}
	p.space()
	if p.consume(']') {
		*dst = out
		return true
	}
	for {
		p.space()
		var s string
		if !p.str(&s) {
			return false
		}
		out = append(out, s)
		p.space()
		if p.consume(']') {
			*dst = out
			return true
		}
		if !p.consume(',') {
			return false
		}
	}
}

// time decodes a timestamp with time.Time's own UnmarshalJSON, given the raw
// token as encoding/json gives it.
func (p *commitParser) time(dst *time.Time) bool {
	raw, _, _, ok := p.token()
	if !ok {
		return false
	}
	var t time.Time
	if t.UnmarshalJSON(raw) != nil {
		return false
	}
	*dst = t
	return true
}

// digits returns an integer literal: an optional minus, then 0 or digits
// not starting with 0, not followed by a fraction or exponent.
func (p *commitParser) digits() ([]byte, bool) {
	start := p.i
	p.consume('-')
	d := p.i
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
	}
	switch {
	case p.i == d, p.b[d] == '0' && p.i-d > 1:
		return nil, false
	case p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E'):
		return nil, false
	}
	return p.b[start:p.i], true
}

func (p *commitParser) int(dst *int) bool {
	lit, ok := p.digits()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(string(lit), 10, strconv.IntSize)
	if err != nil {
		return false
	}
	*dst = int(v)
	return true
}

func (p *commitParser) uint(dst *uint64) bool {
	lit, ok := p.digits()
	if !ok {
		return false
	}
	v, err := strconv.ParseUint(string(lit), 10, 64)
	if err != nil {
		return false
	}
	*dst = v
	return true
}

// raw copies a value's bytes, as json.RawMessage does.
func (p *commitParser) raw(dst *json.RawMessage) bool {
	start := p.i
	if !p.skip(0) {
		return false
	}
	*dst = append(json.RawMessage(nil), p.b[start:p.i]...)
	return true
}

// maxDepth bounds the nesting the fast path skips, well inside
// encoding/json's limit of 10,000; deeper input goes to encoding/json.
const maxDepth = 1000

// skip passes over one JSON value, checking its syntax.
func (p *commitParser) skip(depth int) bool {
	if depth >= maxDepth || p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		_, _, _, ok := p.token()
		return ok
	case c == '{':
		p.i++
		p.space()
		if p.consume('}') {
			return true
		}
		for {
			p.space()
			if _, _, _, ok := p.token(); !ok {
				return false
			}
			p.space()
			if !p.consume(':') {
				return false
			}
			p.space()
			if !p.skip(depth + 1) {
				return false
			}
			p.space()
			if p.consume('}') {
				return true
			}
			if !p.consume(',') {
				return false
			}
		}
	case c == '[':
		p.i++
		p.space()
		if p.consume(']') {
			return true
		}
		for {
			p.space()
			if !p.skip(depth + 1) {
				return false
			}
			p.space()
			if p.consume(']') {
				return true
			}
			if !p.consume(',') {
				return false
			}
		}
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(p.b)-p.i >= len(lit) && string(p.b[p.i:p.i+len(lit)]) == lit {
				p.i += len(lit)
				return true
			}
		}
		return false
	}
}

// number passes over a number literal, checking JSON's grammar.
func (p *commitParser) number() bool {
	p.consume('-')
	digits := func() int {
		n := 0
		for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	switch {
	case p.consume('0'):
	case digits() == 0:
		return false
	}
	if p.consume('.') && digits() == 0 {
		return false
	}
	if p.consume('e') || p.consume('E') {
		if !p.consume('+') {
			p.consume('-')
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
