package service

import (
	"github.com/laaledger/laaledger/domain/demo"
)

// DemoSteps is the whole demo history ([demo.History]: the LAA and CAA demos
// merged in business-time order) as steps for [Service.RunSteps]. Values
// are illustrative (see demo.Illustrative).
func DemoSteps() []Step {
	h := demo.History()
	out := make([]Step, len(h))
	for i, st := range h {
		out[i] = Step(st)
	}
	return out
}
