package domain

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// A rebuild of the read models decodes every stored event body, and
// encoding/json spends most of that time on reflection and on checking the
// whole input before decoding it. The commonest LAA events are therefore
// decoded by hand. The hand-written decoder is a fast path, not a second
// definition of the format: it accepts only input it can decode exactly as
// encoding/json would (any field order, whitespace, escaped strings,
// unknown fields) and reports false on everything else — a syntax error, a
// null, a duplicated or case-folded key, a number that does not parse as
// encoding/json parses it — so that [DecodeEvent] hands the body to
// encoding/json, whose result or error then stands. The fuzz tests in
// event_fastdecode_test.go compare the two.

// decodeFast decodes the body of a schema version 1 event of one of the
// hand-decoded types, or reports false.
func decodeFast(typ string, data []byte) (Event, bool) {
	p := bodyParser{b: data}
	var (
		e  Event
		ok bool
	)
	switch typ {
	case "laa.OutturnRecorded":
		var v OutturnRecorded
		ok = p.outturnRecorded(&v)
		e = v
	case "laa.TargetProposed":
		var v TargetProposed
		ok = p.targetProposed(&v)
		e = v
	case "laa.TargetCounterProposed":
		var v TargetCounterProposed
		ok = p.targetCounterProposed(&v)
		e = v
	case "laa.TargetAgreed":
		var v TargetAgreed
		ok = p.targetAgreed(&v)
		e = v
	default:
		return nil, false
	}
	if !ok {
		return nil, false
	}
	p.space()
	if p.i != len(p.b) {
		return nil, false
	}
	return e, true
}

// Field names of each hand-decoded object, for refusing keys that match
// one only without regard to case.
var (
	outturnRecordedFields       = []string{"target", "year", "value", "source", "revision", "previous_value", "previous_source", "at"}
	targetProposedFields        = []string{"target", "ni", "local_code", "title", "kind", "baseline", "values", "rationale", "catalogue_version", "round", "side", "proposed_by", "at"}
	targetCounterProposedFields = []string{"target", "baseline", "values", "rationale", "catalogue_version", "round", "side", "proposed_by", "at"}
	targetAgreedFields          = []string{"target", "round", "proposed_by", "proposed_by_side", "accepted_by", "accepted_by_side", "baseline", "values", "at"}
	baselineFields              = []string{"value", "year", "source"}
)

func (p *bodyParser) outturnRecorded(e *OutturnRecorded) bool {
	var seen uint32
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "target":
			return p.once(&seen, 1<<0) && p.str(&e.Target)
		case "year":
			return p.once(&seen, 1<<1) && p.str(&e.Year)
		case "value":
			return p.once(&seen, 1<<2) && p.float(&e.Value)
		case "source":
			return p.once(&seen, 1<<3) && p.str(&e.Source)
		case "revision":
			return p.once(&seen, 1<<4) && p.int(&e.Revision)
		case "previous_value":
			if !p.once(&seen, 1<<5) {
				return false
			}
			var f float64
			if !p.float(&f) {
				return false
			}
			e.PreviousValue = &f
			return true
		case "previous_source":
			return p.once(&seen, 1<<6) && p.str(&e.PreviousSource)
		case "at":
			return p.once(&seen, 1<<7) && p.time(&e.At)
		}
		return p.unknown(key, outturnRecordedFields)
	})
}

func (p *bodyParser) targetProposed(e *TargetProposed) bool {
	var seen uint32
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "target":
			return p.once(&seen, 1<<0) && p.str(&e.Target)
		case "ni":
			return p.once(&seen, 1<<1) && p.int(&e.NI)
		case "local_code":
			return p.once(&seen, 1<<2) && p.str(&e.LocalCode)
		case "title":
			return p.once(&seen, 1<<3) && p.str(&e.Title)
		case "kind":
			return p.once(&seen, 1<<4) && p.str((*string)(&e.Kind))
		case "baseline":
			return p.once(&seen, 1<<5) && p.baseline(&e.Baseline)
		case "values":
			return p.once(&seen, 1<<6) && p.values(&e.Values)
		case "rationale":
			return p.once(&seen, 1<<7) && p.str(&e.Rationale)
		case "catalogue_version":
			return p.once(&seen, 1<<8) && p.int(&e.CatalogueVersion)
		case "round":
			return p.once(&seen, 1<<9) && p.int(&e.Round)
		case "side":
			return p.once(&seen, 1<<10) && p.str((*string)(&e.Side))
		case "proposed_by":
			return p.once(&seen, 1<<11) && p.str(&e.ProposedBy)
		case "at":
			return p.once(&seen, 1<<12) && p.time(&e.At)
		}
		return p.unknown(key, targetProposedFields)
	})
}

func (p *bodyParser) targetCounterProposed(e *TargetCounterProposed) bool {
	var seen uint32
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "target":
			return p.once(&seen, 1<<0) && p.str(&e.Target)
		case "baseline":
			return p.once(&seen, 1<<1) && p.baseline(&e.Baseline)
		case "values":
			return p.once(&seen, 1<<2) && p.values(&e.Values)
		case "rationale":
			return p.once(&seen, 1<<3) && p.str(&e.Rationale)
		case "catalogue_version":
			return p.once(&seen, 1<<4) && p.int(&e.CatalogueVersion)
		case "round":
			return p.once(&seen, 1<<5) && p.int(&e.Round)
		case "side":
			return p.once(&seen, 1<<6) && p.str((*string)(&e.Side))
		case "proposed_by":
			return p.once(&seen, 1<<7) && p.str(&e.ProposedBy)
		case "at":
			return p.once(&seen, 1<<8) && p.time(&e.At)
		}
		return p.unknown(key, targetCounterProposedFields)
	})
}

func (p *bodyParser) targetAgreed(e *TargetAgreed) bool {
	var seen uint32
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "target":
			return p.once(&seen, 1<<0) && p.str(&e.Target)
		case "round":
			return p.once(&seen, 1<<1) && p.int(&e.Round)
		case "proposed_by":
			return p.once(&seen, 1<<2) && p.str(&e.ProposedBy)
		case "proposed_by_side":
			return p.once(&seen, 1<<3) && p.str((*string)(&e.ProposedBySide))
		case "accepted_by":
			return p.once(&seen, 1<<4) && p.str(&e.AcceptedBy)
		case "accepted_by_side":
			return p.once(&seen, 1<<5) && p.str((*string)(&e.AcceptedBySide))
		case "baseline":
			return p.once(&seen, 1<<6) && p.baseline(&e.Baseline)
		case "values":
			return p.once(&seen, 1<<7) && p.values(&e.Values)
		case "at":
			return p.once(&seen, 1<<8) && p.time(&e.At)
		}
		return p.unknown(key, targetAgreedFields)
	})
}

// baseline decodes a baseline object into a new Baseline; a null (which
// leaves the pointer nil) goes to encoding/json.
func (p *bodyParser) baseline(dst **Baseline) bool {
	b := &Baseline{}
	var seen uint32
	ok := p.object(func(key []byte) bool {
		switch string(key) {
		case "value":
			return p.once(&seen, 1<<0) && p.float(&b.Value)
		case "year":
			return p.once(&seen, 1<<1) && p.str(&b.Year)
		case "source":
			return p.once(&seen, 1<<2) && p.str(&b.Source)
		}
		return p.unknown(key, baselineFields)
	})
	if !ok {
		return false
	}
	*dst = b
	return true
}

// values decodes an object of numbers into a new map, as encoding/json
// does: a repeated key keeps its last value. A null goes to encoding/json.
func (p *bodyParser) values(dst *Values) bool {
	if !p.consume('{') {
		return false
	}
	m := make(Values, 4)
	p.space()
	if p.consume('}') {
		*dst = m
		return true
	}
	for {
		p.space()
		var k string
		if !p.str(&k) {
			return false
		}
		p.space()
		if !p.consume(':') {
			return false
		}
		p.space()
		var f float64
		if !p.float(&f) {
			return false
		}
		m[k] = f
		p.space()
		if p.consume('}') {
			*dst = m
			return true
		}
		if !p.consume(',') {
			return false
		}
	}
}

// bodyParser walks one event body. Every method returns false when it meets
// something the fast path does not decode.
type bodyParser struct {
	b []byte
	i int
}

// once refuses a key seen before in the same object: a repeated key merges
// into the earlier value in ways left to encoding/json.
func (p *bodyParser) once(seen *uint32, bit uint32) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// unknown skips the value of a key no field is named after. encoding/json
// also matches keys to fields without regard to case (and Unicode folding),
// so a key is skipped only when it is plain ASCII whose lower case names
// none of fields; anything else goes to encoding/json.
func (p *bodyParser) unknown(key []byte, fields []string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf || c == '\\' {
			return false
		}
	}
	if foldedKey(key, fields) {
		return false
	}
	return p.skip(0)
}

// foldedKey reports whether key names one of fields, ignoring ASCII case.
func foldedKey(key []byte, fields []string) bool {
	for _, n := range fields {
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

func (p *bodyParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *bodyParser) consume(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object walks an object, calling field with each key (escape-free; a key
// with escapes is refused) positioned before the key's value.
func (p *bodyParser) object(field func(key []byte) bool) bool {
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
func (p *bodyParser) token() (raw []byte, escaped, ascii, ok bool) {
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
func (p *bodyParser) str(dst *string) bool {
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

// time decodes a timestamp with time.Time's own UnmarshalJSON, given the raw
// token as encoding/json gives it.
func (p *bodyParser) time(dst *time.Time) bool {
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

// int decodes an integer literal: an optional minus, then 0 or digits not
// starting with 0, not followed by a fraction or exponent (which
// encoding/json refuses for an int), parsed with strconv.ParseInt as
// encoding/json parses it.
func (p *bodyParser) int(dst *int) bool {
	start := p.i
	p.consume('-')
	d := p.i
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
	}
	switch {
	case p.i == d, p.b[d] == '0' && p.i-d > 1:
		return false
	case p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E'):
		return false
	}
	v, err := strconv.ParseInt(string(p.b[start:p.i]), 10, strconv.IntSize)
	if err != nil {
		return false
	}
	*dst = int(v)
	return true
}

// float decodes a number literal, checked against JSON's grammar and
// parsed with strconv.ParseFloat as encoding/json parses it; one out of
// range goes to encoding/json.
func (p *bodyParser) float(dst *float64) bool {
	start := p.i
	if !p.number() {
		return false
	}
	v, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	if err != nil {
		return false
	}
	*dst = v
	return true
}

// maxDepth bounds the nesting the fast path skips, well inside
// encoding/json's limit of 10,000; deeper input goes to encoding/json.
const maxDepth = 1000

// skip passes over one JSON value, checking its syntax.
func (p *bodyParser) skip(depth int) bool {
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
func (p *bodyParser) number() bool {
	if !p.consume('-') && (p.i >= len(p.b) || p.b[p.i] < '0' || p.b[p.i] > '9') {
		return false
	}
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
