package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/laa"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
)

// demoHarness serves the real domain, with a token for every actor of the
// demo history besides the demo tokens.
func demoHarness(t *testing.T, opts ...harnessOpt) (*harness, map[string]string) {
	t.Helper()
	entries := DemoTokens()
	tokenOf := map[string]string{}
	for _, st := range service.DemoSteps() {
		a := st.Meta.Actor
		if _, ok := tokenOf[a.ID]; ok {
			continue
		}
		tok := "test-token-for-" + a.ID
		tokenOf[a.ID] = tok
		entries = append(entries, TokenEntry{Token: tok, Actor: a})
	}
	tokens, err := NewTokens(entries)
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]harnessOpt{func(c *Config) {
		c.Tokens = tokens
		// The catalogue import carries the whole National Indicator Set.
		c.MaxBodyBytes = 1 << 20
	}}, opts...)
	return newHarness(t, service.Kinds(), opts...), tokenOf
}

// runDemoOverHTTP sends every step of the demo history as an HTTP command,
// with the step's actor's token, and checks each is accepted or refused by
// the rule the demo expects. On a second run every accepted step must come
// back as the original result.
func runDemoOverHTTP(t *testing.T, h *harness, tokenOf map[string]string, again bool) (results []CommandResult) {
	t.Helper()
	for i, st := range service.DemoSteps() {
		body := map[string]any{"occurred_at": st.Meta.OccurredAt, "command": st.Command}
		if st.Meta.Reason != "" {
			body["reason"] = st.Meta.Reason
		}
		if len(st.Meta.Evidence) > 0 {
			body["evidence"] = st.Meta.Evidence
		}
		r := h.do(req{method: "POST", path: "/v1/commands/" + st.Command.CommandType(), token: tokenOf[st.Meta.Actor.ID],
			header: map[string]string{"Idempotency-Key": st.Meta.CommandID}, body: mustJSON(t, body)})
		what := fmt.Sprintf("step %d %s %s", i+1, st.Command.CommandType(), st.Meta.CommandID)
		if st.ExpectError != "" {
			if r.Status < 400 || r.Status >= 500 {
				t.Fatalf("%s: want refusal %s, got %d %s", what, st.ExpectError, r.Status, r.Body)
			}
			if p := r.problem(t); p.Code != st.ExpectError && !again {
				t.Fatalf("%s: refused with %s (%s), want %s", what, p.Code, p.Detail, st.ExpectError)
			}
			continue
		}
		want := http.StatusCreated
		if again {
			want = http.StatusOK
		}
		if r.Status != want {
			t.Fatalf("%s: %d, want %d: %s", what, r.Status, want, r.Body)
		}
		var res CommandResult
		r.decode(t, &res)
		if res.Duplicate != again {
			t.Fatalf("%s: duplicate %v", what, res.Duplicate)
		}
		results = append(results, res)
	}
	return results
}

func TestDemoNegotiationApprovalAndRefreshOverHTTP(t *testing.T) {
	h, tokenOf := demoHarness(t)
	first := runDemoOverHTTP(t, h, tokenOf, false)
	last := h.lastSequence()
	if len(first) < 50 || last < uint64(len(first)) {
		t.Fatalf("the demo appended %d commands up to sequence %d", len(first), last)
	}

	// Hartlepool's agreement went through negotiation, approval and
	// refresh, and NI 112 was reopened on a CAA red flag.
	st, version, err := h.svc.State(t.Context(), domain.AggregateRef{Kind: domain.KindAgreement, ID: "00EB/2008-11"})
	if err != nil {
		t.Fatal(err)
	}
	hp := st.(laa.Agreement)
	if got := hp.Targets["NI 112"].Values["2010/11"]; got != 46.0 {
		t.Errorf("NI 112 2010/11 = %v, want 46 after the reopening", got)
	}
	if hp.Status == "" || version == 0 {
		t.Errorf("agreement state %q version %d", hp.Status, version)
	}

	// Every retry answers with the original result and writes nothing.
	again := runDemoOverHTTP(t, h, tokenOf, true)
	if got := h.lastSequence(); got != last {
		t.Fatalf("replaying the demo wrote: %d → %d", last, got)
	}
	for i := range first {
		a, b := first[i], again[i]
		b.Duplicate = false
		if mustString(t, a) != mustString(t, b) {
			t.Fatalf("retry %d differs:\n%s\n%s", i, mustString(t, a), mustString(t, b))
		}
	}
}

func TestRoleBoundariesOverHTTP(t *testing.T) {
	h, tokenOf := demoHarness(t)
	runDemoOverHTTP(t, h, tokenOf, false)
	before := h.lastSequence()
	propose := func(agreement string) map[string]any {
		return map[string]any{"agreement": agreement, "target": "NI 1", "values": map[string]float64{"2010/11": 1}}
	}
	for _, tc := range []struct {
		desc, token, typ string
		cmd              any
		status           int
		code             string
	}{
		{"LA for another area", tokBarnet, "laa.CounterProposeTarget", propose("00EB/2008-11"), 403, "laa.not_party"},
		{"GO for another region", tokGO, "laa.CounterProposeTarget", propose("00BK/2008-11"), 403, "laa.not_party"},
		{"LA approving", tokLA, "laa.ApproveAgreement", map[string]any{"agreement": "00EB/2008-11"}, 403, "laa.role_not_allowed"},
		{"LA issuing a CAA flag", tokLA, "caa.ProposeFlag", map[string]any{"area": "00EB", "year": 2009, "flag_id": "R9",
			"colour": "red", "theme": "t", "indicators": []int{112}, "rationale": "r", "lead_inspectorate": "Audit Commission"}, 403, caa.RuleCAAJudgeRole},
		{"scrutiny trying a command", tokScrutiny, "laa.ApproveAgreement", map[string]any{"agreement": "00EB/2008-11"}, 403, "role.read_only"},
		{"a command dated before the agreement's last act", tokLA, "laa.CounterProposeTarget", propose("00EB/2008-11"), 409, "laa.time_order"},
		{"an agreement never opened", tokGO, "laa.CounterProposeTarget", propose("00EH/2008-11"), 404, "laa.not_opened"},
		{"auditor trying a command", tokAuditor, "caa.OpenAssessment", map[string]any{"area": "00EB", "year": 2010}, 403, "role.read_only"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			r := h.command(tc.token, tc.typ, "refused-"+strings.ReplaceAll(tc.desc, " ", "-"), tc.cmd, nil)
			r.wantProblem(t, tc.status, tc.code)
		})
	}
	if got := h.lastSequence(); got != before {
		t.Errorf("refusals wrote: %d → %d", before, got)
	}
}
