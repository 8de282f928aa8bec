package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/laaledger/laaledger/projections"
)

// A timeline page is the API's largest and most read answer (50 entries are
// some 37 KB), so it is encoded by hand into a reused buffer rather than by
// encoding/json, which would re-read and re-compact every entry's
// MarshalJSON output. The bytes are those json.Encoder writes for a
// [projections.TimelineView] (TestTimelineJSONIsWhatEncodingJSONWrites).

// pageBuffers holds the buffers pages are encoded into; a page the cache
// keeps is copied out of its buffer at its exact size.
var pageBuffers = sync.Pool{New: func() any { return new([]byte) }}

// appendTimelineJSON appends v as json.Encoder writes it: the fields in
// the struct's order, empty ones left out, strings HTML-escaped and a
// closing newline. Each entry is its served form
// ([eventstore.Envelope.AppendServedJSON]), which is compact already (event
// bodies are stored compact), so only the HTML escaping that
// json.Encoder adds is left to do, and only for the entries that need it.
func appendTimelineJSON(dst []byte, v *projections.TimelineView) ([]byte, error) {
	dst = append(dst, `{"entries":`...)
	if v.Entries == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range v.Entries {
			if i > 0 {
				dst = append(dst, ',')
			}
			e := &v.Entries[i]
			start := len(dst)
			dst = e.AppendServedJSON(dst, e.Index, false)
			if needsHTMLEscape(dst[start:]) {
				var esc bytes.Buffer
				json.HTMLEscape(&esc, dst[start:])
				dst = append(dst[:start], esc.Bytes()...)
			}
		}
		dst = append(dst, ']')
	}
	for _, f := range []struct {
		key   string
		v     any
		empty bool
	}{
		{`,"next":`, v.Next, v.Next == ""},
		{`,"corrects":`, v.Corrects, len(v.Corrects) == 0},
		{`,"corrected_by":`, v.CorrectedBy, len(v.CorrectedBy) == 0},
	} {
		if f.empty {
			continue
		}
		b, err := json.Marshal(f.v)
		if err != nil {
			return dst, err
		}
		dst = append(append(dst, f.key...), b...)
	}
	if v.Position != 0 {
		dst = strconv.AppendUint(append(dst, `,"position":`...), v.Position, 10)
	}
	return append(dst, '}', '\n'), nil
}

// needsHTMLEscape reports whether b holds a byte sequence json.Encoder
// escapes: <, >, & or the line and paragraph separators U+2028, U+2029.
// The separators are looked for apart: with only ASCII in its set
// bytes.ContainsAny scans bytes, with them it decodes every rune, which
// cost more than the encoding.
func needsHTMLEscape(b []byte) bool {
	return bytes.ContainsAny(b, "<>&") || bytes.Contains(b, lineSep) || bytes.Contains(b, paraSep)
}

var lineSep, paraSep = []byte("\u2028"), []byte("\u2029")

// writeJSONBody writes a 200 with body, JSON encoded already, and the
// headers [writeJSON] sets.
func writeJSONBody(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
