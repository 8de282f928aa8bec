package service

import (
	"context"
	"strconv"
	"strings"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// DemoSteps is the whole demo history: the LAA demo (catalogue seed,
// negotiations, approvals, reviews, refreshes, outturns, a correction and a
// reopening on a CAA flag) merged in business-time order with the CAA demo
// (year-one area and organisational assessments). Each list keeps its own
// order; values are illustrative (see domain.DemoIllustrative).
func DemoSteps() []Step {
	laa := domain.DemoLAAHistory()
	caa := domain.DemoCAAHistory()
	out := make([]Step, 0, len(laa)+len(caa))
	i, j := 0, 0
	for i < len(laa) || j < len(caa) {
		if j >= len(caa) || (i < len(laa) && !caa[j].Meta.OccurredAt.Before(laa[i].Meta.OccurredAt)) {
			out = append(out, Step{Meta: laa[i].Meta, Command: laa[i].Command, ExpectError: laa[i].ExpectError})
			i++
			continue
		}
		out = append(out, Step{Meta: caa[j].Meta, Command: caa[j].Command, ExpectError: caa[j].ExpectError})
		j++
	}
	return out
}

// correctedEvent returns the event id a correction command names, if cmd is
// a correction.
func correctedEvent(cmd domain.Command) (string, bool) {
	switch c := cmd.(type) {
	case domain.RecordCorrection:
		return c.CorrectsEventID, true
	case domain.CAARecordCorrection:
		return c.CorrectsEventID, true
	case domain.OARecordCorrection:
		return c.CorrectsEventID, true
	}
	return "", false
}

// checkCorrection makes sure a correction names an event of its own
// aggregate: by its event id, or as "<command id>#<index>" (the index-th
// event of that command), which a script can know before the ledger
// assigns ids.
func checkCorrection(ctx context.Context, store *eventstore.Store, cmd domain.Command) error {
	ref, ok := correctedEvent(cmd)
	if !ok {
		return nil
	}
	agg := cmd.Aggregate()
	h, err := store.Load(ctx, eventstore.Aggregate{Kind: agg.Kind, ID: agg.ID})
	if err != nil {
		return err
	}
	cmdID, idx, byCommand := strings.Cut(ref, "#")
	n, convErr := strconv.Atoi(idx)
	seen := map[string]int{}
	for _, e := range h.Events {
		if e.EventID == ref {
			return nil
		}
		if byCommand && convErr == nil && e.CommandID == cmdID && seen[cmdID] == n {
			return nil
		}
		seen[e.CommandID]++
	}
	return domain.Errorf(domain.ENOTFOUND, "correction.unknown_event", "%s: event %q is not in the history of %s", cmd.CommandType(), ref, agg)
}
