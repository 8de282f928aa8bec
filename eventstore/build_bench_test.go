package eventstore

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// BenchmarkBuildCommit is the CPU the store spends per event before the
// server sees it: ids, hash chain, encoding.
func BenchmarkBuildCommit(b *testing.B) {
	s := &Store{}
	st := &aggState{agg: Aggregate{Kind: "laa", ID: "00EB/2008-11"}}
	st.reset()
	ev := []Event{{Type: "laa.TargetProposed", SchemaVersion: 1,
		Data:       json.RawMessage(fmt.Sprintf(`{"indicator":112,"kind":"designated","baseline":{"value":1.5,"year":"2006/07","source":"ONS conception statistics"},"values":{"2008/09":1.1,"2009/10":1.2,"2010/11":1.3},"rationale":"Reduce under-18 conceptions in line with the national strategy %0100d"}`, 0)),
		Actor:      Actor{ID: "officer", Role: "la", Organisation: "00EB"},
		OccurredAt: time.Date(2008, 5, 1, 0, 0, 0, 0, time.UTC)}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.buildCommitBody(st, ev, "cmd-1", ""); err != nil {
			b.Fatal(err)
		}
	}
}
