package eventstore

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The stored form of a commit is JSON, encoded and decoded by hand from
// the one field table [envelopeFields] (decoding in decode.go, with
// encoding/json as the fallback for anything unusual). Encoding on the
// append path is hand-written because encoding/json re-validates every
// json.RawMessage body it embeds, which cost a third of Append's CPU. The
// output decodes with encoding/json to the same Commit (tested in
// codec_test.go); event bodies must already be compact, valid JSON
// (buildCommit guarantees it).

// appendCommitJSON appends c's JSON encoding to dst.
func appendCommitJSON(dst []byte, c *Commit) []byte {
	dst = append(dst, `{"command_id":`...)
	dst = appendJSONString(dst, c.CommandID)
	if c.Fingerprint != "" {
		dst = append(dst, `,"fingerprint":`...)
		dst = appendJSONString(dst, c.Fingerprint)
	}
	dst = append(dst, `,"events":[`...)
	for i := range c.Events {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendEnvelopeJSON(dst, &c.Events[i])
	}
	return append(dst, "]}"...)
}

// appendEnvelopeJSON appends e's stored JSON form: [envelopeFields] in
// order, empty optional fields left out.
func appendEnvelopeJSON(dst []byte, e *Envelope) []byte {
	dst = append(dst, '{')
	for i := range envelopeFields {
		f := &envelopeFields[i]
		if f.omitEmpty && f.empty(e) {
			continue
		}
		if i > 0 { // the first field, event_id, is never left out
			dst = append(dst, ',')
		}
		dst = appendKey(dst, f.key)
		dst = f.json(dst, e)
	}
	return append(dst, '}')
}

// AppendServedJSON appends the JSON form in which read models and feeds
// serve the event at position index of its commit: "sequence" and "index"
// first, then the stored fields in their order (see [Envelope]) with the
// aggregate as one {"kind","id"} object and times in UTC; prev_hash and
// hash only when withChain. It is what encoding/json would make of a struct
// with those fields, so that one table keeps the stored and the served
// form in step.
func (e *Envelope) AppendServedJSON(dst []byte, index int, withChain bool) []byte {
	u := *e
	u.OccurredAt, u.RecordedAt = e.OccurredAt.UTC(), e.RecordedAt.UTC()
	dst = append(dst, `{"sequence":`...)
	dst = strconv.AppendUint(dst, e.Sequence, 10)
	dst = append(dst, `,"index":`...)
	dst = strconv.AppendInt(dst, int64(index), 10)
	aggregate := false
	for i := range envelopeFields {
		f := &envelopeFields[i]
		switch {
		case f.omitEmpty && f.empty(&u), f.chain && !withChain:
			continue
		case f.aggregate:
			if !aggregate {
				aggregate = true
				dst = append(dst, `,"aggregate":{"kind":`...)
				dst = appendJSONString(dst, u.AggregateKind)
				dst = append(dst, `,"id":`...)
				dst = appendJSONString(dst, u.AggregateID)
				dst = append(dst, '}')
			}
			continue
		}
		dst = append(dst, ',')
		dst = appendKey(dst, f.key)
		dst = f.json(dst, &u)
	}
	return append(dst, '}')
}

func appendKey(dst []byte, key string) []byte {
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

func appendJSONTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD as
// encoding/json does.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
