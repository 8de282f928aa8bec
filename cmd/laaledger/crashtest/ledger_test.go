package crashtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// exportLine is one line of `laaledger export`: a commit, one command's
// events, at its stream sequence.
type exportLine struct {
	Sequence uint64 `json:"sequence"`
	Commit   struct {
		CommandID string        `json:"command_id"`
		Events    []exportEvent `json:"events"`
	} `json:"commit"`
}

type exportEvent struct {
	EventID          string          `json:"event_id"`
	Type             string          `json:"type"`
	AggregateKind    string          `json:"aggregate_kind"`
	AggregateID      string          `json:"aggregate_id"`
	AggregateVersion uint64          `json:"aggregate_version"`
	CommandID        string          `json:"command_id"`
	Data             json.RawMessage `json:"data"`
}

// ledger is the whole exported ledger.
type ledger struct {
	lines []exportLine
	last  uint64 // the last stream sequence, as export reports it
}

var (
	exportedLine = regexp.MustCompile(`exported (\d+) commits up to stream sequence (\d+)`)
	verifiedLine = regexp.MustCompile(`ledger intact: (\d+) events in (\d+) commits, up to stream sequence (\d+)`)
)

// exportLedger runs `laaledger export` on the stopped ledger and reads it
// back. It reports the CLI run as it went; the ledger is empty if it failed.
func exportLedger(t *testing.T, bin, data, dir, name string) (ledger, cliResult) {
	t.Helper()
	path := filepath.Join(dir, "export-"+name+".jsonl")
	r := runCLI(t, bin, "export", "--data", data, "-o", path)
	if r.code != 0 {
		return ledger{}, r
	}
	var l ledger
	m := exportedLine.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("export printed no summary: %s", r)
	}
	l.last, _ = strconv.ParseUint(m[2], 10, 64)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var line exportLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("%s line %d: %v", path, len(l.lines)+1, err)
		}
		if line.Sequence == 0 && len(line.Commit.Events) == 0 {
			continue // a header line: the verifier key or a checkpoint
		}
		l.lines = append(l.lines, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return l, r
}

// events returns the ledger's events of one aggregate, in version order.
func (l ledger) events(kind, id string) []exportEvent {
	var out []exportEvent
	for _, line := range l.lines {
		for _, e := range line.Commit.Events {
			if e.AggregateKind == kind && e.AggregateID == id {
				out = append(out, e)
			}
		}
	}
	return out
}

// findings is what checking the ledger against the journal found.
type findings struct {
	commits, events int
	acknowledged    int // acknowledged commands, each of which must be stored once
	lost            int // acknowledged, not in the ledger
	duplicated      int // stored more than once (under one key, or one key on one aggregate twice)
	unknown         int // in the ledger under a key no client sent
	mismatched      int // stored, but not as acknowledged (sequence, versions, event ids, content)
	refusedStored   int // finally refused, yet in the ledger
	gaps            int // breaks in stream sequences or aggregate versions
	problems        []string
}

func (f *findings) problem(format string, args ...any) {
	const max = 25
	if len(f.problems) < max {
		f.problems = append(f.problems, fmt.Sprintf(format, args...))
	} else if len(f.problems) == max {
		f.problems = append(f.problems, "… (more)")
	}
}

func (f findings) ok() bool {
	return f.lost+f.duplicated+f.unknown+f.mismatched+f.refusedStored+f.gaps == 0 && len(f.problems) == 0
}

func (f findings) String() string {
	return fmt.Sprintf("%d commits, %d events; acknowledged %d, lost %d, duplicated %d, unknown %d, mismatched %d, refused-but-stored %d, gaps %d",
		f.commits, f.events, f.acknowledged, f.lost, f.duplicated, f.unknown, f.mismatched, f.refusedStored, f.gaps)
}

// checkLedger checks the exported ledger against what the clients sent and
// were told: every acknowledged command stored exactly once, at the
// sequence and versions it was acknowledged with and with the content sent;
// no command stored that was never sent or was finally refused; stream
// sequences contiguous from 1 (the stream denies deletes, so a gap is a
// lost commit); every aggregate's versions contiguous from 1.
func checkLedger(j *journal, l ledger) findings {
	j.mu.Lock()
	defer j.mu.Unlock()
	var f findings
	f.commits = len(l.lines)
	f.acknowledged = len(j.acks)

	type aggKey struct{ kind, id, cmd string }
	byAggCmd := map[aggKey][]uint64{}
	byKey := map[string][]exportLine{}
	nextVersion := map[string]uint64{}
	var prevSeq uint64
	for i, line := range l.lines {
		if want := prevSeq + 1; line.Sequence != want {
			f.gaps++
			f.problem("commit %d of the export is at stream sequence %d, after %d", i+1, line.Sequence, prevSeq)
		}
		prevSeq = line.Sequence
		if len(line.Commit.Events) == 0 {
			f.problem("stream sequence %d: a commit with no events", line.Sequence)
			continue
		}
		for _, e := range line.Commit.Events {
			f.events++
			agg := e.AggregateKind + " " + e.AggregateID
			want := nextVersion[agg] + 1
			if e.AggregateVersion != want {
				f.gaps++
				f.problem("%s: version %d at stream sequence %d, want %d", agg, e.AggregateVersion, line.Sequence, want)
			}
			nextVersion[agg] = e.AggregateVersion
			if e.CommandID != line.Commit.CommandID {
				f.problem("stream sequence %d: event command id %q in a commit of %q", line.Sequence, e.CommandID, line.Commit.CommandID)
			}
		}
		e0 := line.Commit.Events[0]
		k := aggKey{e0.AggregateKind, e0.AggregateID, line.Commit.CommandID}
		byAggCmd[k] = append(byAggCmd[k], line.Sequence)
		if strings.HasPrefix(line.Commit.CommandID, keyPrefix) {
			byKey[line.Commit.CommandID] = append(byKey[line.Commit.CommandID], line)
		}
	}
	if l.last != prevSeq {
		f.gaps++
		f.problem("the stream's last sequence is %d but the export ends at %d", l.last, prevSeq)
	}
	for k, seqs := range byAggCmd {
		if len(seqs) > 1 && !strings.HasPrefix(k.cmd, keyPrefix) {
			f.duplicated++
			f.problem("command %s stored %d times on %s %s, at stream sequences %v", k.cmd, len(seqs), k.kind, k.id, seqs)
		}
	}
	for key, lines := range byKey {
		c, ok := j.sent[key]
		if !ok {
			f.unknown++
			f.problem("command %s is in the ledger at stream sequence %d, but no client sent it", key, lines[0].Sequence)
			continue
		}
		if len(lines) > 1 {
			f.duplicated++
			seqs := make([]uint64, len(lines))
			for i, line := range lines {
				seqs[i] = line.Sequence
			}
			_, acked := j.acks[key]
			f.problem("command %s (acknowledged: %v) is in the ledger %d times, at stream sequences %v", key, acked, len(lines), seqs)
		}
		for _, line := range lines {
			if err := matches(c, line); err != nil {
				f.mismatched++
				f.problem("command %s at stream sequence %d: %v", key, line.Sequence, err)
			}
		}
		if _, ok := j.refused[key]; ok {
			f.refusedStored++
			f.problem("command %s was refused (%s) yet is in the ledger at stream sequence %d", key, j.refused[key], lines[0].Sequence)
		}
	}
	for key, a := range j.acks {
		lines := byKey[key]
		if len(lines) == 0 {
			f.lost++
			f.problem("acknowledged command %s (stream sequence %d, version %d, round %d) is not in the ledger", key, a.Sequence, a.LastVersion, a.Round)
			continue
		}
		line := lines[0]
		evs := line.Commit.Events
		ids := make([]string, len(evs))
		for i, e := range evs {
			ids[i] = e.EventID
		}
		if line.Sequence != a.Sequence || evs[0].AggregateVersion != a.FirstVersion || evs[len(evs)-1].AggregateVersion != a.LastVersion ||
			!slices.Equal(ids, a.EventIDs) {
			f.mismatched++
			f.problem("command %s was acknowledged at sequence %d, versions %d..%d, events %v; the ledger has sequence %d, versions %d..%d, events %v",
				key, a.Sequence, a.FirstVersion, a.LastVersion, a.EventIDs, line.Sequence, evs[0].AggregateVersion, evs[len(evs)-1].AggregateVersion, ids)
		}
	}
	sort.Strings(f.problems)
	return f
}

// matches checks that a stored commit says what the command said.
func matches(c *command, line exportLine) error {
	if len(line.Commit.Events) != 1 {
		return fmt.Errorf("%d events, want 1", len(line.Commit.Events))
	}
	e := line.Commit.Events[0]
	if e.Type != "laa.OutturnRecorded" || e.AggregateKind != "laa" || e.AggregateID != agreement {
		return fmt.Errorf("a %s on %s %s, want laa.OutturnRecorded on laa %s", e.Type, e.AggregateKind, e.AggregateID, agreement)
	}
	var d struct {
		Target string  `json:"target"`
		Year   string  `json:"year"`
		Value  float64 `json:"value"`
		Source string  `json:"source"`
	}
	if err := json.Unmarshal(e.Data, &d); err != nil {
		return fmt.Errorf("event data: %w", err)
	}
	if d.Target != c.target || d.Year != c.year || d.Value != c.value || d.Source != c.source {
		return fmt.Errorf("stored %s %s %v %q, sent %s %s %v %q", d.Target, d.Year, d.Value, d.Source, c.target, c.year, c.value, c.source)
	}
	return nil
}

// views are the read models the suite compares, as the API serves them.
type views map[string]any

// fetchViews reads the agreement's state, its whole timeline (every page)
// and the dashboard, once the projections have reached minSeq.
func fetchViews(t *testing.T, cl *client, minSeq uint64) (views, error) {
	t.Helper()
	ctx := t.Context()
	q := "min_sequence=" + strconv.FormatUint(minSeq, 10)
	v := views{}
	var err error
	if v["agreement"], err = cl.get(ctx, "/v1/agreements/"+agreement+"?"+q); err != nil {
		return nil, err
	}
	if v["dashboard"], err = cl.get(ctx, "/v1/dashboard?"+q); err != nil {
		return nil, err
	}
	var entries []any
	after := ""
	for {
		page, err := cl.get(ctx, "/v1/agreements/"+agreement+"/timeline?limit=1000&"+q+after)
		if err != nil {
			return nil, err
		}
		p, _ := page.(map[string]any)
		es, _ := p["entries"].([]any)
		entries = append(entries, es...)
		next, _ := p["next"].(string)
		if next == "" {
			break
		}
		after = "&after=" + next
	}
	v["timeline"] = entries
	return v, nil
}

// checkTimeline checks that the served timeline holds each of the
// agreement's events in the ledger exactly once.
func checkTimeline(v views, l ledger) error {
	entries, _ := v["timeline"].([]any)
	want := map[string]int{}
	for _, e := range l.events("laa", agreement) {
		want[e.EventID]++
	}
	got := map[string]int{}
	for _, e := range entries {
		m, _ := e.(map[string]any)
		id, _ := m["event_id"].(string)
		got[id]++
	}
	if reflect.DeepEqual(got, want) {
		return nil
	}
	var missing, extra []string
	for id := range want {
		if got[id] == 0 {
			missing = append(missing, id)
		}
	}
	for id, n := range got {
		if want[id] != n {
			extra = append(extra, fmt.Sprintf("%s×%d", id, n))
		}
	}
	return fmt.Errorf("timeline has %d entries, the ledger %d events of %s; missing %v; extra or repeated %v",
		len(entries), len(want), agreement, clipList(missing), clipList(extra))
}

func clipList(s []string) []string {
	sort.Strings(s)
	if len(s) > 10 {
		return append(s[:10:10], fmt.Sprintf("… %d more", len(s)-10))
	}
	return s
}

// firstDiff returns where two decoded JSON values first differ, or "".
func firstDiff(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: object vs %T", path, b)
		}
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			av, aok := x[k]
			bv, bok := y[k]
			if aok != bok {
				return fmt.Sprintf("%s.%s: present %v vs %v", path, k, aok, bok)
			}
			if d := firstDiff(path+"."+k, av, bv); d != "" {
				return d
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok {
			return fmt.Sprintf("%s: array vs %T", path, b)
		}
		for i := range min(len(x), len(y)) {
			if d := firstDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); d != "" {
				return d
			}
		}
		if len(x) != len(y) {
			return fmt.Sprintf("%s: %d vs %d elements", path, len(x), len(y))
		}
		return ""
	default:
		if !reflect.DeepEqual(a, b) {
			return fmt.Sprintf("%s: %s vs %s", path, clip(fmt.Sprint(a)), clip(fmt.Sprint(b)))
		}
		return ""
	}
}
