package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/actors"
)

func TestActorRegisterOverHTTP(t *testing.T) {
	h, tokenOf := demoHarness(t)
	op := tokenOf["seed"] // the demo's operator
	if op == "" {
		t.Fatal("the demo history has no operator")
	}
	var last uint64 // the sequence of the last command: read your writes
	list := func() ActorList {
		t.Helper()
		r := h.do(req{method: "GET", path: fmt.Sprintf("/v1/actors?min_sequence=%d", last), token: tokAuditor})
		if r.Status != http.StatusOK {
			t.Fatalf("GET /v1/actors: %d %s", r.Status, r.Body)
		}
		var v ActorList
		r.decode(t, &v)
		return v
	}
	if v := list(); v.InUse || len(v.Actors) != 0 {
		t.Fatalf("empty register: %+v", v)
	}

	// Only an operator changes the register; organisations are checked
	// against the reference data.
	h.command(tokGO, "actors.RegisterActor", "reg-0", actors.RegisterActor{ID: "demo.go.northeast", Role: domain.RoleGO, Organisation: "North East"}, nil).
		wantProblem(t, http.StatusForbidden, "actors.operator_only")
	h.command(op, "actors.RegisterActor", "reg-1", actors.RegisterActor{ID: "go.nowhere", Role: domain.RoleGO, Organisation: "Nowhere"}, nil).
		wantProblem(t, http.StatusBadRequest, "actor.unknown_region")

	r := h.command(op, "actors.RegisterActor", "reg-2", actors.RegisterActor{ID: "seed", Role: domain.RoleOperator, Organisation: "laaledger", Name: "Ledger operator"}, nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("register the operator: %d %s", r.Status, r.Body)
	}
	var res CommandResult
	r.decode(t, &res)
	last = res.Sequence
	v := list()
	if !v.InUse || len(v.Actors) != 1 || v.Actors[0].ID != "seed" || !v.Actors[0].Active || v.Actors[0].Name != "Ledger operator" {
		t.Fatalf("register after one operator: %+v", v)
	}

	// In use: the GO's command is refused until it is registered.
	note := map[string]any{"occurred_at": "2008-06-02T10:00:00Z", "reason": "test", "command": map[string]any{"agreement": "00EB/2008-11"}}
	r = h.do(req{method: "POST", path: "/v1/commands/laa.OpenAgreement", token: tokGO, header: map[string]string{"Idempotency-Key": "open-1"}, body: mustJSON(t, note)})
	r.wantProblem(t, http.StatusForbidden, "actor.not_registered")
	if r := h.command(op, "actors.RegisterActor", "reg-3", actors.RegisterActor{ID: "demo.go.northeast", Role: domain.RoleGO, Organisation: "North East"}, nil); r.Status != http.StatusCreated {
		t.Fatalf("register the GO: %d %s", r.Status, r.Body)
	}
	r = h.do(req{method: "POST", path: "/v1/commands/laa.OpenAgreement", token: tokGO, header: map[string]string{"Idempotency-Key": "open-2"}, body: mustJSON(t, note)})
	if r.Status != http.StatusCreated {
		t.Fatalf("open as a registered GO: %d %s", r.Status, r.Body)
	}
}
