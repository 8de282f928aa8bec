// Package jsonscan is the fast path for decoding hot, known JSON shapes
// without reflection: the event store's commits and the domain's commonest
// event bodies, each decoded field by field by its package. It is the
// module's one JSON tokenizer: a byte-level scanner over the document in
// memory, with the one set of rules both users need to decode into Go
// values exactly as encoding/json would.
//
// It is a fast path, not a second definition of JSON. Each method accepts
// only input it decodes exactly as encoding/json would and otherwise
// reports false; the caller then hands the whole document to
// encoding/json, whose result or error stands. It refuses, among others,
// syntax errors, nulls where a value is expected, keys with escapes, keys
// that name a field only without regard to case (see [Scanner.Unknown]),
// numbers that do not fit and nesting deeper than [MaxDepth]. Strings with
// escapes or invalid UTF-8 are decoded by encoding/json, token by token.
// The fuzz targets here and in its users compare it with encoding/json.
//
// Why not a library's tokenizer: github.com/go-json-experiment/json's
// jsontext (the syntax layer of the proposed encoding/json/v2) did this
// job before, as a streaming decoder whose state machine and buffering
// took most of the time. Reading the ledger back shares two cores with
// the server, so decoding is taken from the read: in place, decoding a
// commit went from 9.8 to 5.6 µs of CPU with this tokenizer, and the
// decode-only read of the 1M ledger from about 0.55 to about 0.7 of the
// raw read (docs/PERFORMANCE.md, "Decoding: one tokenizer written for
// documents in memory").
//
// The package is pure: it does no I/O and imports nothing of this module.
// It lives under domain because the domain may import nothing from the
// event store, while the event store may use the domain's pure leaf
// packages (this one and errcode).
package jsonscan

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// Scanner walks one JSON document held in memory. The zero value is an
// empty document; call [New].
type Scanner struct {
	b     []byte
	i     int // the next byte to read
	depth int // objects and arrays open at i
}

// New returns a scanner at the start of b. It reads b in place and keeps
// no reference to it once done with.
func New(b []byte) Scanner { return Scanner{b: b} }

// MaxDepth is the nesting encoding/json accepts; deeper input is refused
// here and left to encoding/json, which refuses it too.
const MaxDepth = 10000

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

// End reports whether only white space remains.
func (p *Scanner) End() bool {
	p.space()
	return p.i == len(p.b)
}

// Object walks an object, calling field with each key (escape-free; a key
// with escapes is refused) positioned before the key's value.
func (p *Scanner) Object(field func(key []byte) bool) bool {
	if !p.open('{') {
		return false
	}
	for first := true; ; first = false {
		key, end, ok := p.member(first)
		if end || !ok {
			return ok
		}
		if !field(key) {
			return false
		}
	}
}

// open reads the opening c ('{' or '[') of an object or an array.
func (p *Scanner) open(c byte) bool {
	if p.peek() != c || p.depth >= MaxDepth {
		return false
	}
	p.i++
	p.depth++
	return true
}

// more reads what comes before the next element of the open object or
// array that close ends: nothing before the first element, a comma before
// each other. At close (read) it reports end; ok is false for anything
// else. The element's own reader checks that a value starts there.
func (p *Scanner) more(close byte, first bool) (end, ok bool) {
	switch p.peek() {
	case close:
		p.i++
		p.depth--
		return true, true
	case ',':
		if first {
			return false, false
		}
		p.i++
		return false, true
	}
	return false, first
}

// member reads what comes next inside an object: its next key and colon,
// positioned before the key's value, or its closing brace (end). ok is
// false for anything else, a key with escapes included.
func (p *Scanner) member(first bool) (key []byte, end, ok bool) {
	tok, plain, end, ok := p.name(first)
	if end || !ok {
		return nil, end, ok
	}
	return tok[1 : len(tok)-1], false, plain
}

// name is member for any key: it returns the key's token (quotes
// included) and whether it is plain (no escapes, ASCII or valid UTF-8).
func (p *Scanner) name(first bool) (tok []byte, plain, end, ok bool) {
	if end, ok := p.more('}', first); end || !ok {
		return nil, false, end, ok
	}
	tok, plain, ok = p.str()
	if !ok || p.peek() != ':' {
		return nil, false, false, false
	}
	p.i++
	return tok, plain, false, true
}

// Fields walks an object whose members are the fields named by keys (each
// written in lower case), calling field with the index in keys of each
// field met, positioned before its value. A field met twice is refused (see
// [Seen]); any other key goes to [Scanner.Unknown] with keys. Writers put
// the fields in the order of keys, so the keys after the last field met
// are tried first.
//
// Fields does not go through Object: a rebuild decodes every field of
// every event here, and a second closure call per field cost it 2 % more.
// The two share the steps of reading the braces and the keys.
func (p *Scanner) Fields(keys []string, field func(i int) bool) bool {
	if !p.open('{') {
		return false
	}
	var seen Seen
	next := 0
	for first := true; ; first = false {
		key, end, ok := p.member(first)
		if end || !ok {
			return ok
		}
		i := next
		if i >= len(keys) || keys[i] != string(key) {
			if i = fieldIndex(keys, key, next); i < 0 {
				if !p.Unknown(key, keys) {
					return false
				}
				continue
			}
		}
		next = i + 1
		if !seen.First(i) || !field(i) {
			return false
		}
	}
}

// fieldIndex returns the position of key in keys, or -1, looking from
// position from on first: fields left out (empty, omitted) are skipped
// forward.
func fieldIndex(keys []string, key []byte, from int) int {
	for i := from; i < len(keys); i++ {
		if keys[i] == string(key) {
			return i
		}
	}
	for i := range min(from, len(keys)) {
		if keys[i] == string(key) {
			return i
		}
	}
	return -1
}

// Map walks an object whose keys are data rather than field names (any
// string, escapes decoded), calling value with each key positioned before
// its value. A repeated key is the caller's to resolve: encoding/json keeps
// the last value for a map.
func (p *Scanner) Map(value func(key string) bool) bool {
	if !p.open('{') {
		return false
	}
	for first := true; ; first = false {
		tok, plain, end, ok := p.name(first)
		if end || !ok {
			return ok
		}
		var k string
		if !text(tok, plain, &k) || !value(k) {
			return false
		}
	}
}

// Array walks an array (not null), calling elem positioned before each
// element.
func (p *Scanner) Array(elem func() bool) bool {
	if !p.open('[') {
		return false
	}
	for first := true; ; first = false {
		end, ok := p.more(']', first)
		if end || !ok {
			return ok
		}
		if !elem() {
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
	return p.Skip()
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

// Str decodes a string (not null). Strings with escapes or invalid UTF-8
// (which encoding/json replaces) are rare and left to encoding/json.
func (p *Scanner) Str(dst *string) bool {
	tok, plain, ok := p.str()
	return ok && text(tok, plain, dst)
}

// text decodes a string token (quotes included) into dst: in place when
// plain, by encoding/json otherwise.
func text(tok []byte, plain bool, dst *string) bool {
	if !plain {
		return json.Unmarshal(tok, dst) == nil
	}
	*dst = string(tok[1 : len(tok)-1])
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
	tok, _, ok := p.str()
	if !ok {
		return false
	}
	var t time.Time
	if t.UnmarshalJSON(tok) != nil {
		return false
	}
	*dst = t
	return true
}

// number returns a number literal; with integer set, only one without a
// fraction or exponent (which encoding/json refuses for an integer field).
func (p *Scanner) number(integer bool) ([]byte, bool) {
	lit, ok := p.num()
	if !ok || integer && bytes.ContainsAny(lit, ".eE") {
		return nil, false
	}
	return lit, true
}

// Int decodes an integer as encoding/json does, with strconv.ParseInt.
func (p *Scanner) Int(dst *int) bool {
	lit, ok := p.number(true)
	v, err := strconv.ParseInt(string(lit), 10, strconv.IntSize)
	return store(dst, int(v), ok && err == nil)
}

// Uint decodes an unsigned integer as encoding/json does, with
// strconv.ParseUint.
func (p *Scanner) Uint(dst *uint64) bool {
	lit, ok := p.number(true)
	v, err := strconv.ParseUint(string(lit), 10, 64)
	return store(dst, v, ok && err == nil)
}

// Float decodes a number as encoding/json does, with strconv.ParseFloat;
// one out of range is refused.
func (p *Scanner) Float(dst *float64) bool {
	lit, ok := p.number(false)
	v, err := strconv.ParseFloat(string(lit), 64)
	return store(dst, v, ok && err == nil)
}

// store sets *dst to v if the number scanned and parsed (ok), and reports
// ok. A literal that did not scan is nil and fails to parse, cheaply.
func store[T int | uint64 | float64](dst *T, v T, ok bool) bool {
	if ok {
		*dst = v
	}
	return ok
}

// Raw returns a copy of the next value's bytes, as json.RawMessage keeps
// them.
func (p *Scanner) Raw() ([]byte, bool) {
	p.space()
	from := p.i
	if !p.Skip() {
		return nil, false
	}
	return bytes.Clone(p.b[from:p.i]), true
}

// Skip passes over one value, checking its syntax. Its loops over an
// object's members and an array's elements are those of [Scanner.Map] and
// [Scanner.Array] written out again: passing Skip to them as a closure made
// decoding a commit 7-10 % slower (it skips every event body).
func (p *Scanner) Skip() bool {
	switch c := p.peek(); c {
	case '"':
		_, _, ok := p.str()
		return ok
	case '{':
		if !p.open('{') {
			return false
		}
		for first := true; ; first = false {
			_, _, end, ok := p.name(first)
			if end || !ok {
				return ok
			}
			if !p.Skip() {
				return false
			}
		}
	case '[':
		if !p.open('[') {
			return false
		}
		for first := true; ; first = false {
			end, ok := p.more(']', first)
			if end || !ok {
				return ok
			}
			if !p.Skip() {
				return false
			}
		}
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	}
	_, ok := p.num()
	return ok
}

// The tokenizer. Each step first passes over white space.

// space passes over white space.
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

// peek returns the next byte after white space, or 0 at the end.
func (p *Scanner) peek() byte {
	p.space()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// plainByte marks the bytes a string may hold as they are: not the quote,
// the backslash, a control character or a byte of a multi-byte character.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads a string and returns its token, quotes included. plain means
// it has no escapes and is valid UTF-8, so that its bytes are its value.
// Invalid UTF-8 is accepted, as encoding/json accepts it.
func (p *Scanner) str() (tok []byte, plain, ok bool) {
	if p.peek() != '"' {
		return nil, false, false
	}
	b, from := p.b, p.i
	i, plain, ascii := from+1, true, true
	for i < len(b) {
		c := b[i]
		if plainByte[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			p.i = i + 1
			tok = b[from:p.i]
			return tok, plain && (ascii || utf8.Valid(tok)), true
		case c == '\\':
			plain = false
			if i+1 >= len(b) {
				return nil, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !hex4(b[i+2:i+6]) {
					return nil, false, false
				}
				i += 6
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		default:
			ascii = false
			i++
		}
	}
	return nil, false, false
}

// hex4 reports whether the four bytes after a \u escape are hex digits.
func hex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// num reads a number literal as JSON writes it: an optional minus, an
// integer part without leading zeros, an optional fraction and exponent.
func (p *Scanner) num() ([]byte, bool) {
	p.space()
	b, from := p.b, p.i
	i := from
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i)
	default:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		if j := digits(b, i+1); j > i+1 {
			i = j
		} else {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return nil, false
		}
		i = j
	}
	p.i = i
	return b[from:i], true
}

// digits returns the position after the run of digits at b[i:].
func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// literal reads the word w (true, false or null).
func (p *Scanner) literal(w string) bool {
	if end := p.i + len(w); end > len(p.b) || string(p.b[p.i:end]) != w {
		return false
	}
	p.i += len(w)
	return true
}
