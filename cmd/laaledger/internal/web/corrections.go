package web

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// correctionLink is a correction and the event it corrects, each linked
// to its event page: why, by whom, when, and what values it changes.
type correctionLink struct {
	CorrectionID, CorrectionLink string
	CorrectedID, CorrectedLink   string
	CorrectedType                string
	Reason, Actor, At            string
	Changes                      []string // "colour: \"green\" → \"red\""
}

// correctionsOf pairs each correction among events, an aggregate's
// history, with the event it corrects (named by its id or by
// "<command id>#<index>").
func correctionsOf(events []projections.Entry) []correctionLink {
	byRef := make(map[string]*projections.Entry, 2*len(events))
	for i := range events {
		e := &events[i]
		byRef[e.EventID] = e
		byRef[e.CommandID+"#"+strconv.Itoa(e.Index)] = e
	}
	var out []correctionLink
	for i := range events {
		e := &events[i]
		var c struct {
			CorrectsEventID string          `json:"corrects_event_id"`
			Reason          string          `json:"reason"`
			CorrectedType   string          `json:"corrected_type"`
			Corrected       json.RawMessage `json:"corrected"`
		}
		if !strings.HasSuffix(e.Type, ".CorrectionRecorded") || json.Unmarshal(e.Data, &c) != nil || c.CorrectsEventID == "" {
			continue
		}
		l := correctionLink{CorrectionID: e.EventID, CorrectionLink: eventLink(e), CorrectedID: c.CorrectsEventID,
			CorrectedType: c.CorrectedType, Reason: c.Reason, Actor: e.Actor.ID, At: date(e.OccurredAt)}
		if orig, ok := byRef[c.CorrectsEventID]; ok {
			l.CorrectedID, l.CorrectedLink = orig.EventID, eventLink(orig)
			if len(c.Corrected) > 0 {
				l.Changes = changes(orig.Data, c.Corrected)
			}
		}
		out = append(out, l)
	}
	return out
}

func eventLink(e *projections.Entry) string { return fmt.Sprintf("/events/%d/%d", e.Sequence, e.Index) }

// changes lists the top-level fields whose values differ between two
// JSON objects, in name order.
func changes(was, now []byte) []string {
	var a, b map[string]json.RawMessage
	if json.Unmarshal(was, &a) != nil || json.Unmarshal(now, &b) != nil {
		return nil
	}
	keys := make([]string, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		if x, y := compactJSON(a[k]), compactJSON(b[k]); x != y {
			out = append(out, k+": "+orNone(x)+" → "+orNone(y))
		}
	}
	return out
}

func compactJSON(r json.RawMessage) string {
	var v any
	if json.Unmarshal(r, &v) != nil {
		return string(r)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func orNone(s string) string {
	if s == "" || s == "null" {
		return "none"
	}
	return s
}

// correctionsOfEvent returns the corrections of the event id and the
// correction that the event id is, if it is one.
func correctionsOfEvent(all []correctionLink, id string) (by []correctionLink, of *correctionLink) {
	for i := range all {
		if all[i].CorrectedID == id {
			by = append(by, all[i])
		}
		if all[i].CorrectionID == id {
			of = &all[i]
		}
	}
	return by, of
}

// correctionsBlock is what the "corrections" template shows.
type correctionsBlock struct {
	Param string
	Rows  []correctionLink
}

// recordedCorrections returns the corrections of the aggregate agg among
// its events, the first n (those the state shown counts), or none if it
// cannot read them.
func recordedCorrections(ctx context.Context, q Queries, agg eventstore.Aggregate, n int) []correctionLink {
	if n == 0 {
		return nil
	}
	events, err := q.History(ctx, agg, nil)
	if err != nil {
		return nil
	}
	all := correctionsOf(events)
	if len(all) > n {
		all = all[:n]
	}
	return all
}
