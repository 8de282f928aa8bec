// Package jsonscan is a small JSON scanner for decoding hot, known shapes by
// hand: the event store's commits and the domain's commonest event bodies.
//
// It is a fast path, not a second definition of JSON. Each method accepts
// only input it decodes exactly as encoding/json would and otherwise
// reports false, leaving the scanner where it stopped; the caller then
// hands the whole document to encoding/json, whose result or error stands.
// It refuses, among others, syntax errors, nulls where a value is expected,
// keys with escapes, keys that name a field only without regard to case
// (see [Scanner.Unknown]) and numbers that do not fit. Strings with escapes
// or invalid UTF-8 are decoded by encoding/json, token by token.
//
// The package is pure: it imports only the standard library and nothing of
// this module, so the domain (which must do no I/O) may use it.
package jsonscan

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// Scanner walks one JSON document. The zero value is not usable; call [New].
type Scanner struct {
	b []byte
	i int
}

// New returns a scanner at the start of b.
func New(b []byte) Scanner { return Scanner{b: b} }

// Seen records which fields of one object have been decoded, by their
// number (0 to 63).
type Seen uint64

// First reports whether field n is met for the first time, and marks it.
// A repeated key merges into the earlier value in ways left to
// encoding/json, so callers refuse it.
func (s *Seen) First(n int) bool {
	bit := Seen(1) << n
	if *s&bit != 0 {
		return false
	}
	*s |= bit
	return true
}

// space skips white space.
func (p *Scanner) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// consume passes over c if it is the next byte.
func (p *Scanner) consume(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// End reports whether only white space remains.
func (p *Scanner) End() bool {
	p.space()
	return p.i == len(p.b)
}

// Object walks an object, calling field with each key (escape-free; a key
// with escapes is refused) positioned before the key's value.
func (p *Scanner) Object(field func(key []byte) bool) bool {
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

// Map walks an object whose keys are data rather than field names (any
// string, escapes decoded), calling value with each key positioned before
// its value. A repeated key is the caller's to resolve: encoding/json keeps
// the last value for a map.
func (p *Scanner) Map(value func(key string) bool) bool {
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
		var k string
		if !p.Str(&k) {
			return false
		}
		p.space()
		if !p.consume(':') {
			return false
		}
		p.space()
		if !value(k) {
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

// Array walks an array (not null), calling elem positioned before each
// element.
func (p *Scanner) Array(elem func() bool) bool {
	p.space()
	if !p.consume('[') {
		return false
	}
	p.space()
	if p.consume(']') {
		return true
	}
	for {
		p.space()
		if !elem() {
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
}

// Unknown skips the value of a key that names none of fields. encoding/json
// also matches keys to fields without regard to case (and Unicode folding),
// so a key is skipped only when it is plain ASCII whose lower case names
// none of fields (each written in lower case); anything else is refused.
func (p *Scanner) Unknown(key []byte, fields []string) bool {
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

// token returns the raw string token (quotes included) at the current
// position, whether it has escapes, and whether it is plain ASCII. It
// checks the token is valid JSON.
func (p *Scanner) token() (raw []byte, escaped, ascii, ok bool) {
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

// Str decodes a string (not null). Strings with escapes or invalid UTF-8
// (which encoding/json replaces) are rare and left to encoding/json.
func (p *Scanner) Str(dst *string) bool {
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

// Strs decodes an array of strings into a new slice; a null is refused.
func (p *Scanner) Strs(dst *[]string) bool {
	out := []string{}
	ok := p.Array(func() bool {
		var s string
		if !p.Str(&s) {
			return false
		}
		out = append(out, s)
		return true
	})
	if ok {
		*dst = out
	}
	return ok
}

// Time decodes a timestamp with time.Time's own UnmarshalJSON, given the
// raw token as encoding/json gives it.
func (p *Scanner) Time(dst *time.Time) bool {
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

// integer returns an integer literal: an optional minus, then 0 or digits
// not starting with 0, not followed by a fraction or exponent (which
// encoding/json refuses for an integer field).
func (p *Scanner) integer() ([]byte, bool) {
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

// Int decodes an integer as encoding/json does, with strconv.ParseInt.
func (p *Scanner) Int(dst *int) bool {
	lit, ok := p.integer()
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

// Uint decodes an unsigned integer as encoding/json does, with
// strconv.ParseUint.
func (p *Scanner) Uint(dst *uint64) bool {
	lit, ok := p.integer()
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

// Float decodes a number, checked against JSON's grammar and parsed with
// strconv.ParseFloat as encoding/json parses it; one out of range is
// refused.
func (p *Scanner) Float(dst *float64) bool {
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

// Raw returns a copy of the next value's bytes, as json.RawMessage keeps
// them.
func (p *Scanner) Raw() ([]byte, bool) {
	start := p.i
	if !p.skip(0) {
		return nil, false
	}
	return append([]byte(nil), p.b[start:p.i]...), true
}

// Skip passes over one value, checking its syntax.
func (p *Scanner) Skip() bool {
	p.space()
	return p.skip(0)
}

// MaxDepth bounds the nesting the fast path skips, well inside
// encoding/json's limit of 10,000; deeper input is refused.
const MaxDepth = 1000

// skip passes over one JSON value, checking its syntax.
func (p *Scanner) skip(depth int) bool {
	if depth >= MaxDepth || p.i >= len(p.b) {
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
func (p *Scanner) number() bool {
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
