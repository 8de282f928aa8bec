package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestProgressIsPlainLinesWhenStderrIsNoTerminal: gen-history and rebuild
// with stderr in a file or pipe write a few plain lines, never a bar's
// carriage-return redraws.
func TestProgressIsPlainLinesWhenStderrIsNoTerminal(t *testing.T) {
	data := filepath.Join(t.TempDir(), "ledger")
	out, errOut, code := cli(t, "gen-history", "--data", data, "--events", "1500", "--areas", "3")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "commands in")
	require.NotContains(t, errOut, "\r", "a progress bar was drawn into a pipe")
	lines := regexp.MustCompile(`(?m)^commands: \d+ of 1500 cmd`).FindAllString(errOut, -1)
	require.NotEmpty(t, lines, errOut)
	require.LessOrEqual(t, len(lines), 12, "one line a tenth of the way, and the last: %s", errOut)

	_, errOut, code = cli(t, "rebuild", "--data", data)
	require.Equal(t, 0, code, errOut)
	require.NotContains(t, errOut, "\r")
	require.Contains(t, errOut, "rebuilding (stream sequences): ")
	require.LessOrEqual(t, strings.Count(errOut, "rebuilding"), 12, errOut)
}

func TestPlainProgressReportsEachTenthOnce(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 1000, "work", "items")
	_, ok := p.(*plainProgress)
	require.True(t, ok, "a buffer is no terminal")
	for i := int64(1); i <= 1000; i++ {
		p.Set(i)
	}
	p.Finish()
	got := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, got, 11, buf.String()) // 10 %, 20 %, … 100 %, and the finish
	require.Contains(t, got[0], "work: 100 of 1000 items (10%)")
	require.Contains(t, got[10], "work: 1000 of 1000 items (100%)")

	// Between tenths, a slow run still says something every plainEvery.
	buf.Reset()
	pp := newProgress(&buf, 1000, "work", "items").(*plainProgress)
	pp.last = time.Now().Add(-plainEvery)
	pp.Set(1)
	require.Contains(t, buf.String(), "work: 1 of 1000 items (0%)")
}
