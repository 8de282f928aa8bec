package demo

import (
	"time"

	"github.com/laaledger/laaledger/domain/laa"

	"github.com/laaledger/laaledger/domain"
)

// caaReopening returns the steps of the LAA demo that reopen a locked
// Hartlepool target on the CAA demo's published red flag ([CAAFlagRef]: R1
// on NI 112, published 10 December 2009), at a business time after that
// publication and before the refresh is adopted. The first step names a
// target the flag does not cover and is refused. The steps carry their own
// command ids (not "demo-laa-…"), so that the LAA demo's ids stay stable.
// Values are illustrative.
func caaReopening(agreement string, at time.Time) []Step {
	lsp := domain.Actor{ID: "hartlepool-lsp-manager", Role: domain.RoleLSP, Organisation: "00EB"}
	gov := domain.Actor{ID: "hartlepool-go-locality-lead", Role: domain.RoleGO, Organisation: "North East"}
	flag := CAAFlagRef
	step := func(id string, at time.Time, by domain.Actor, reason string, cmd domain.Command, expect string) Step {
		return Step{Meta: domain.Meta{CommandID: id, Actor: by, OccurredAt: at, Reason: reason,
			Evidence: []string{"CAA area assessment 2009, Hartlepool, red flag R1 (published 2009-12-10)"}}, Command: cmd, ExpectError: expect}
	}
	return []Step{
		step("demo-caa-reopen-01", at, lsp, "reopen NI 152 on the teenage pregnancy flag", laa.ProposeRevision{Agreement: agreement,
			Target: laa.TargetKey(152, ""), Ground: laa.GroundCAAReopening, Flag: &flag,
			Values: laa.Values{"2010/11": 18.0}, Rationale: "illustrative: the flag does not cover NI 152"}, "laa.caa_flag_other_indicator"),
		step("demo-caa-reopen-02", at, lsp, "reopen NI 112 on the published red flag", laa.ProposeRevision{Agreement: agreement,
			Target: laa.TargetKey(112, ""), Ground: laa.GroundCAAReopening, Flag: &flag,
			Values: laa.Values{"2009/10": 52.0, "2010/11": 46.0}, Rationale: "illustrative: stretch the trajectory in response to the CAA red flag"}, ""),
		step("demo-caa-reopen-03", at.AddDate(0, 0, 7), gov, "GO agrees the reopened target", laa.AgreeRevision{Agreement: agreement,
			Target: laa.TargetKey(112, ""), Round: 1}, ""),
	}
}
