// Package demo holds the demo histories: scripted commands, each with the
// outcome the rules must give it, that exercise the LAA and CAA rules on
// real areas, indicators and timetables with illustrative values (see
// [Illustrative]). The CLI's demo
// command, the HTTP end-to-end tests and the projection tests load them.
//
// It owns nothing the domain needs: the pure domain must not import it. It
// imports only the domain and the standard library (no event store, no
// service), so a test of any layer can use it.
package demo

import (
	"fmt"

	"github.com/laaledger/laaledger/domain"
)

// Illustrative says what the demo histories are: their areas (SNAC codes,
// regions), their indicators (all in the embedded catalogue) and the
// 2009/10 review and refresh dates (seed 004: 13 November 2009
// self-assessment, 25 January 2010 GO report, 12 March 2010 adoption, 15
// March refresh concluded, 31 March approval) are real; every target
// value, baseline, outturn, rationale, flag, score, person and every other
// date is illustrative, made up to exercise the ledger, and must not be
// read as what any area agreed or any inspectorate judged.
const Illustrative = "illustrative demo data: areas, indicators and the 2009/10 timetable are real; values, people and other dates are made up"

// Step is one command of a demo history and what deciding it should give:
// who issues it and when (Meta), the command, and ExpectError, the rule id
// of the expected refusal or "" for success.
type Step struct {
	Meta        domain.Meta
	Command     domain.Command
	ExpectError string
}

// EventRef names, inside the demo, the index-th event produced by the
// command with the given id ("demo-laa-0042#0"). The pure domain never sees
// event ids; a loader whose event ids differ maps such a reference to the
// stored id before it decides the correction.
func EventRef(commandID string, index int) string { return fmt.Sprintf("%s#%d", commandID, index) }

// History is the whole demo: [LAAHistory] (catalogue seed, negotiations,
// approvals, reviews, refreshes, outturns, a correction and a reopening on a
// CAA flag) merged in business-time order with [CAAHistory] (year-one area
// and organisational assessments). Each list keeps its own order.
func History() []Step {
	laa, caa := LAAHistory(), CAAHistory()
	out := make([]Step, 0, len(laa)+len(caa))
	i, j := 0, 0
	for i < len(laa) || j < len(caa) {
		if j >= len(caa) || (i < len(laa) && !caa[j].Meta.OccurredAt.Before(laa[i].Meta.OccurredAt)) {
			out = append(out, laa[i])
			i++
			continue
		}
		out = append(out, caa[j])
		j++
	}
	return out
}
