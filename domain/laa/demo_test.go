package laa_test

import (
	"reflect"
	"testing"

	"github.com/laaledger/laaledger/domain/laa"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/demo"
)

// The domain's checks that need a long, realistic history run over the demo
// histories, which live outside the pure domain (package demo).

func decideDemo(t *testing.T, steps []demo.Step, each func(demo.Step, []domain.Event)) demo.Decided {
	t.Helper()
	d, err := demo.Decide(steps, each)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestApplyInPlaceFoldsTheDemoHistoryLikeApply(t *testing.T) {
	events := map[string][]domain.Event{}
	d := decideDemo(t, demo.History(), func(st demo.Step, evs []domain.Event) {
		if ref := st.Command.Aggregate(); ref.Kind == domain.KindAgreement {
			events[ref.ID] = append(events[ref.ID], evs...)
		}
	})
	if len(events) != 4 {
		t.Fatalf("agreements in the demo: %d, want 4", len(events))
	}
	for id, evs := range events {
		got := laa.CheckInPlaceFoldsLikeApply(t, id, evs)
		if !reflect.DeepEqual(got, d.Agreements[id]) {
			t.Errorf("%s: in-place fold differs from the decisions' state", id)
		}
	}
}

// The folded state answers flag questions exactly as the event-fed view.
