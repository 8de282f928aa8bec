package domain

import "time"

// The LAA demo asks for the steps that reopen a locked target on a
// published CAA red flag; they live here, beside the CAA demo that
// publishes the flag (DemoCAAFlagRef: Hartlepool's R1 on NI 112, published
// 10 December 2009). Values are illustrative.
func init() {
	demoCAAReopening = func(agreement string, at time.Time) []DemoStep {
		lsp := Actor{ID: "hartlepool-lsp-manager", Role: RoleLSP, Organisation: "00EB"}
		gov := Actor{ID: "hartlepool-go-locality-lead", Role: RoleGO, Organisation: "North East"}
		flag := DemoCAAFlagRef
		step := func(id string, at time.Time, by Actor, reason string, cmd Command, expect string) DemoStep {
			return DemoStep{Meta: Meta{CommandID: id, Actor: by, OccurredAt: at, Reason: reason,
				Evidence: []string{"CAA area assessment 2009, Hartlepool, red flag R1 (published 2009-12-10)"}}, Command: cmd, ExpectError: expect}
		}
		return []DemoStep{
			step("demo-caa-reopen-01", at, lsp, "reopen NI 152 on the teenage pregnancy flag", ProposeRevision{Agreement: agreement,
				Target: TargetKey(152, ""), Ground: GroundCAAReopening, Flag: &flag,
				Values: Values{"2010/11": 18.0}, Rationale: "illustrative: the flag does not cover NI 152"}, "laa.caa_flag_other_indicator"),
			step("demo-caa-reopen-02", at, lsp, "reopen NI 112 on the published red flag", ProposeRevision{Agreement: agreement,
				Target: TargetKey(112, ""), Ground: GroundCAAReopening, Flag: &flag,
				Values: Values{"2009/10": 52.0, "2010/11": 46.0}, Rationale: "illustrative: stretch the trajectory in response to the CAA red flag"}, ""),
			step("demo-caa-reopen-03", at.AddDate(0, 0, 7), gov, "GO agrees the reopened target", AgreeRevision{Agreement: agreement,
				Target: TargetKey(112, ""), Round: 1}, ""),
		}
	}
}
