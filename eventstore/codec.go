package eventstore

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The stored form of a commit is JSON. Decoding uses encoding/json;
// encoding, on the append path, is written out by hand because
// encoding/json re-validates every json.RawMessage body it embeds, which
// cost a third of Append's CPU. The output decodes with encoding/json to the
// same Commit (tested in codec_test.go); event bodies must already be
// compact, valid JSON (buildCommit guarantees it).

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

func appendEnvelopeJSON(dst []byte, e *Envelope) []byte {
	str := func(name, v string, omitEmpty bool) {
		if omitEmpty && v == "" {
			return
		}
		dst = append(dst, `,"`...)
		dst = append(dst, name...)
		dst = append(dst, `":`...)
		dst = appendJSONString(dst, v)
	}
	dst = append(dst, `{"event_id":`...)
	dst = appendJSONString(dst, e.EventID)
	str("type", e.Type, false)
	dst = append(dst, `,"schema_version":`...)
	dst = strconv.AppendInt(dst, int64(e.SchemaVersion), 10)
	str("aggregate_kind", e.AggregateKind, false)
	str("aggregate_id", e.AggregateID, false)
	dst = append(dst, `,"aggregate_version":`...)
	dst = strconv.AppendUint(dst, e.AggregateVersion, 10)
	str("command_id", e.CommandID, false)
	dst = append(dst, `,"actor":{"id":`...)
	dst = appendJSONString(dst, e.Actor.ID)
	dst = append(dst, `,"role":`...)
	dst = appendJSONString(dst, e.Actor.Role)
	dst = append(dst, `,"organisation":`...)
	dst = appendJSONString(dst, e.Actor.Organisation)
	dst = append(dst, '}')
	str("reason", e.Reason, true)
	if len(e.Evidence) > 0 {
		dst = append(dst, `,"evidence":[`...)
		for i, ev := range e.Evidence {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, ev)
		}
		dst = append(dst, ']')
	}
	str("causation_id", e.CausationID, true)
	str("correlation_id", e.CorrelationID, true)
	dst = append(dst, `,"occurred_at":`...)
	dst = appendJSONTime(dst, e.OccurredAt)
	dst = append(dst, `,"recorded_at":`...)
	dst = appendJSONTime(dst, e.RecordedAt)
	dst = append(dst, `,"data":`...)
	if len(e.Data) == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, e.Data...)
	}
	str("prev_hash", e.PrevHash, false)
	str("hash", e.Hash, false)
	return append(dst, '}')
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
