package service

import (
	"strconv"
	"strings"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

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
func checkCorrection(h eventstore.History, cmd domain.Command) error {
	ref, ok := correctedEvent(cmd)
	if !ok {
		return nil
	}
	agg := cmd.Aggregate()
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
