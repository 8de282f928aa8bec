package crashtest

import (
	"encoding/json"
	"io"
	"testing"
)

// TestCheckLedgerFindsEachFault feeds the ledger check a journal and
// ledgers with one fault each: the crash rounds are only as good as this
// check.
func TestCheckLedgerFindsEachFault(t *testing.T) {
	// A journal of three commands: two acknowledged, one refused.
	j := newJournal(io.Discard)
	cmds := []*command{j.next(0), j.next(0), j.next(0)}
	commit := func(seq, version uint64, c *command, id string) exportLine {
		var l exportLine
		l.Sequence = seq
		l.Commit.CommandID = c.key
		data, _ := json.Marshal(map[string]any{"target": c.target, "year": c.year, "value": c.value, "source": c.source})
		l.Commit.Events = []exportEvent{{EventID: id, Type: "laa.OutturnRecorded", AggregateKind: "laa", AggregateID: agreement,
			AggregateVersion: version, CommandID: c.key, Data: data}}
		return l
	}
	j.recordAck(cmds[0], 201, commandResult{Sequence: 1, FirstVersion: 1, LastVersion: 1, Events: eventsOf("e1")}, false)
	j.recordAck(cmds[1], 201, commandResult{Sequence: 2, FirstVersion: 2, LastVersion: 2, Events: eventsOf("e2")}, false)
	j.recordRefusal(cmds[2], 409, "laa.outturn_unchanged", "")
	stranger := &command{key: keyPrefix + "never-sent", target: "NI 112", year: "2009/10", value: 1, source: "x"}
	altered := *cmds[1]
	altered.value++

	good := []exportLine{commit(1, 1, cmds[0], "e1"), commit(2, 2, cmds[1], "e2")}
	for _, tc := range []struct {
		desc  string
		lines []exportLine
		last  uint64
		field func(findings) int
	}{
		{"intact", good, 2, func(findings) int { return 0 }},
		{"acknowledged command missing", good[:1], 1, func(f findings) int { return f.lost }},
		{"command stored twice", append(good[:2:2], commit(3, 3, cmds[1], "e3")), 3, func(f findings) int { return f.duplicated }},
		{"command nobody sent", append(good[:2:2], commit(3, 3, stranger, "e3")), 3, func(f findings) int { return f.unknown }},
		{"refused command stored", append(good[:2:2], commit(3, 3, cmds[2], "e3")), 3, func(f findings) int { return f.refusedStored }},
		{"stored at another sequence", []exportLine{commit(1, 1, cmds[0], "e1"), commit(2, 2, &command{key: "demo-1"}, "d"), commit(3, 3, cmds[1], "e2")}, 3,
			func(f findings) int { return f.mismatched }},
		{"stored with other content", []exportLine{commit(1, 1, cmds[0], "e1"), commit(2, 2, &altered, "e2")}, 2, func(f findings) int { return f.mismatched }},
		{"stream sequence gap", []exportLine{commit(1, 1, cmds[0], "e1"), commit(3, 2, cmds[1], "e2")}, 3, func(f findings) int { return f.gaps }},
		{"aggregate version gap", []exportLine{commit(1, 1, cmds[0], "e1"), commit(2, 3, cmds[1], "e2")}, 2, func(f findings) int { return f.gaps }},
		{"stream longer than the export", good, 5, func(f findings) int { return f.gaps }},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			f := checkLedger(j, ledger{lines: tc.lines, last: tc.last})
			if tc.desc == "intact" {
				if !f.ok() {
					t.Fatalf("intact ledger reported as %s: %v", f, f.problems)
				}
				return
			}
			if f.ok() || tc.field(f) == 0 {
				t.Fatalf("fault not found: %s %v", f, f.problems)
			}
		})
	}
}

func eventsOf(ids ...string) []resultEvent {
	out := make([]resultEvent, len(ids))
	for i, id := range ids {
		out[i].EventID = id
	}
	return out
}
