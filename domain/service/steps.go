package service

import (
	"context"
	"fmt"

	"github.com/laaledger/laaledger/domain"
)

// Step is one command of a scripted history (the demo, a generator), with
// the rule id it is expected to be refused by, or "" if it must succeed.
type Step struct {
	Meta        domain.Meta
	Command     domain.Command
	ExpectError string
}

// Outcome is what happened to one step.
type Outcome struct {
	Step   Step
	Result Result
	Err    error // the expected refusal, if any
}

// RunSteps executes steps in order. A step that succeeds when it should be
// refused, or is refused by another rule or for another reason, stops the
// run with an error naming the step.
//
// Re-running the same steps appends nothing: every accepted command id is
// already in its aggregate's history and comes back as a duplicate. A step
// meant to be refused is then decided against the later state and may be
// refused by a different rule; once the first step turns out to be a
// duplicate, any domain refusal of such a step is accepted.
func (s *Service) RunSteps(ctx context.Context, steps []Step) ([]Outcome, error) {
	out := make([]Outcome, 0, len(steps))
	replay := false
	for i, st := range steps {
		res, err := s.Execute(ctx, st.Meta, st.Command, nil)
		if i == 0 && err == nil && res.Duplicate {
			replay = true
		}
		if replay && st.ExpectError != "" && domain.ErrorRule(err) != "" {
			out = append(out, Outcome{Step: st, Result: res, Err: err})
			continue
		}
		switch {
		case st.ExpectError == "" && err != nil:
			return out, fmt.Errorf("step %d (%s %s): %w", i+1, st.Command.CommandType(), st.Meta.CommandID, err)
		case st.ExpectError != "" && err == nil:
			return out, fmt.Errorf("step %d (%s %s): expected refusal %s, but it was accepted", i+1, st.Command.CommandType(), st.Meta.CommandID, st.ExpectError)
		case st.ExpectError != "" && domain.ErrorRule(err) != st.ExpectError:
			return out, fmt.Errorf("step %d (%s %s): expected refusal %s, got: %w", i+1, st.Command.CommandType(), st.Meta.CommandID, st.ExpectError, err)
		}
		out = append(out, Outcome{Step: st, Result: res, Err: err})
	}
	return out, nil
}
