// Package jsonscan is the fast path for decoding hot, known JSON shapes
// without reflection: the event store's commits and the domain's commonest
// event bodies, each decoded field by field by its package. Tokenizing is
// github.com/go-json-experiment/json/jsontext's (the syntax layer of the
// proposed encoding/json/v2); what this package adds is the one set of
// rules both users need to decode into Go values exactly as encoding/json
// would.
//
// It is a fast path, not a second definition of JSON. Each method accepts
// only input it decodes exactly as encoding/json would and otherwise
// reports false; the caller then hands the whole document to
// encoding/json, whose result or error stands. It refuses, among others,
// syntax errors, nulls where a value is expected, keys with escapes, keys
// that name a field only without regard to case (see [Scanner.Unknown])
// and numbers that do not fit. Strings with escapes or invalid UTF-8 are
// decoded by encoding/json, token by token.
//
// The package is pure: it does no I/O and imports nothing of this module.
// It lives under domain because the domain may import nothing from the
// event store, while the event store may use the domain's pure leaf
// packages (this one and errcode).
package jsonscan

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// Scanner walks one JSON document. The zero value is not usable; call [New].
// A scanner is done with once [Scanner.End] has been called.
type Scanner struct{ s *state }

// state is a pooled decoder: a rebuild scans millions of small documents.
type state struct {
	d   jsontext.Decoder
	buf bytes.Buffer
}

var states = sync.Pool{New: func() any { return new(state) }}

// decodeOptions leave repeated keys to [Seen] and invalid UTF-8 to
// [Scanner.Str], so that what jsontext refuses is only what encoding/json
// refuses too.
var decodeOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// New returns a scanner at the start of b. Decoding from a bytes.Buffer,
// jsontext reads b in place.
func New(b []byte) Scanner {
	st := states.Get().(*state)
	st.buf = *bytes.NewBuffer(b)
	st.d.Reset(&st.buf, decodeOptions...)
	return Scanner{st}
}

// MaxDepth is the nesting jsontext and encoding/json both accept.
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

// End reports whether only white space remains, and releases the scanner.
func (p *Scanner) End() bool {
	_, err := p.s.d.ReadToken()
	p.s.buf = bytes.Buffer{}
	states.Put(p.s)
	p.s = nil
	return err == io.EOF
}

// Object walks an object, calling field with each key (escape-free; a key
// with escapes is refused) positioned before the key's value.
func (p *Scanner) Object(field func(key []byte) bool) bool {
	if !p.open() {
		return false
	}
	for {
		key, end, ok := p.member()
		if end || !ok {
			return ok
		}
		if !field(key) {
			return false
		}
	}
}

// open reads the opening brace of an object.
func (p *Scanner) open() bool {
	t, err := p.s.d.ReadToken()
	return err == nil && t.Kind() == '{'
}

// member reads what comes next inside an object: its next key, positioned
// before the key's value, or its closing brace (end). ok is false for
// anything else, a key with escapes included.
func (p *Scanner) member() (key []byte, end, ok bool) {
	d := &p.s.d
	if d.PeekKind() == '}' {
		_, err := d.ReadToken()
		return nil, true, err == nil
	}
	v, err := d.ReadValue()
	if err != nil || v.Kind() != '"' {
		return nil, false, false
	}
	key = v[1 : len(v)-1]
	return key, false, bytes.IndexByte(key, '\\') < 0
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
	if !p.open() {
		return false
	}
	var seen Seen
	next := 0
	for {
		key, end, ok := p.member()
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
	d := &p.s.d
	if t, err := d.ReadToken(); err != nil || t.Kind() != '{' {
		return false
	}
	for {
		if d.PeekKind() == '}' {
			_, err := d.ReadToken()
			return err == nil
		}
		var k string
		if !p.Str(&k) || !value(k) {
			return false
		}
	}
}

// Array walks an array (not null), calling elem positioned before each
// element.
func (p *Scanner) Array(elem func() bool) bool {
	d := &p.s.d
	if t, err := d.ReadToken(); err != nil || t.Kind() != '[' {
		return false
	}
	for {
		if d.PeekKind() == ']' {
			_, err := d.ReadToken()
			return err == nil
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
	v, err := p.s.d.ReadValue()
	if err != nil || v.Kind() != '"' {
		return false
	}
	body := v[1 : len(v)-1]
	if bytes.IndexByte(body, '\\') >= 0 || !utf8.Valid(body) {
		return json.Unmarshal(v, dst) == nil
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
	v, err := p.s.d.ReadValue()
	if err != nil || v.Kind() != '"' {
		return false
	}
	var t time.Time
	if t.UnmarshalJSON(v) != nil {
		return false
	}
	*dst = t
	return true
}

// number returns a number literal; with integer set, only one without a
// fraction or exponent (which encoding/json refuses for an integer field).
func (p *Scanner) number(integer bool) ([]byte, bool) {
	v, err := p.s.d.ReadValue()
	if err != nil || v.Kind() != '0' || integer && bytes.ContainsAny(v, ".eE") {
		return nil, false
	}
	return v, true
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
	v, err := p.s.d.ReadValue()
	if err != nil {
		return nil, false
	}
	return bytes.Clone(v), true
}

// Skip passes over one value, checking its syntax.
func (p *Scanner) Skip() bool { return p.s.d.SkipValue() == nil }
