package laa_test

import (
	"reflect"
	"testing"

	"github.com/laaledger/laaledger/domain/laa"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/demo"
	"github.com/laaledger/laaledger/domain/demo/demotest"
)

// The domain's checks that need a long, realistic history run over the demo
// histories, which live outside the pure domain (package demo).

func TestApplyInPlaceFoldsTheDemoHistoryLikeApply(t *testing.T) {
	events := map[string][]domain.Stamped{}
	seq := uint64(0)
	d := demotest.Decide(t, demo.History(), func(st demo.Step, evs []domain.Event) {
		seq++
		if ref := st.Command.Aggregate(); ref.Kind == domain.KindAgreement {
			for i, e := range evs {
				events[ref.ID] = append(events[ref.ID], domain.Stamped{Event: e, CommandID: st.Meta.CommandID, Sequence: seq, Index: i, OccurredAt: st.Meta.OccurredAt})
			}
		}
	})
	if len(events) != 4 {
		t.Fatalf("agreements in the demo: %d, want 4", len(events))
	}
	for id, stamped := range events {
		// The decisions' state is the canonical fold (the demo corrects
		// an outturn of Oldham's): fold the same.
		var evs []domain.Event
		for _, e := range domain.Canonical(stamped) {
			evs = append(evs, e.Event)
		}
		got := laa.CheckInPlaceFoldsLikeApply(t, id, evs)
		if !reflect.DeepEqual(got, d.Agreements[id]) {
			t.Errorf("%s: in-place fold differs from the decisions' state", id)
		}
	}
}

// The folded state answers flag questions exactly as the event-fed view.
