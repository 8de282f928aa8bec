package service

import (
	"github.com/laaledger/laaledger/domain"
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
