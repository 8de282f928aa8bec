package bundle

import (
	"bytes"
	"strconv"
)

// commitLine reads a commit line in the exact form the writers produce,
// {"sequence":N,"commit":…}, without a JSON decoder: the line decoder was
// half of verification's time. Anything else reports false and goes to
// encoding/json; the commit value is decoded, and so checked, afterwards.
func commitLine(b []byte) (uint64, []byte, bool) {
	const pre, mid = `{"sequence":`, `,"commit":`
	if !bytes.HasPrefix(b, []byte(pre)) || len(b) < len(pre)+len(mid)+3 || b[len(b)-1] != '}' {
		return 0, nil, false
	}
	b = b[len(pre) : len(b)-1]
	i := bytes.IndexByte(b, ',')
	if i <= 0 || !bytes.HasPrefix(b[i:], []byte(mid)) {
		return 0, nil, false
	}
	seq, err := strconv.ParseUint(string(b[:i]), 10, 64)
	if err != nil || strconv.FormatUint(seq, 10) != string(b[:i]) {
		return 0, nil, false
	}
	raw := b[i+len(mid):]
	if len(raw) == 0 || raw[0] != '{' {
		return 0, nil, false
	}
	return seq, raw, true
}
