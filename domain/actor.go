package domain

import (
	"fmt"
	"strings"
)

// Role is what an actor acts as. The decision functions check it against
// the command; the HTTP layer derives it from the caller's token and never
// from the request body.
type Role string

// Roles known to the ledger.
const (
	// RoleLSP is the Local Strategic Partnership of an area; Organisation is
	// the area's SNAC code.
	RoleLSP Role = "lsp"
	// RoleLA is the lead local authority of an area; Organisation is the
	// area's SNAC code.
	RoleLA Role = "la"
	// RoleGO is a Government Office; Organisation is the region's name as
	// in refdata (for example "North East").
	RoleGO Role = "go"
	// RoleCLG is Communities and Local Government.
	RoleCLG Role = "clg"
	// RoleMinister approves agreements and refreshes.
	RoleMinister Role = "minister"
	// RoleDCSF is the Department for Children, Schools and Families.
	RoleDCSF Role = "dcsf"
	// RoleAuditCommission runs CAA with the other inspectorates.
	RoleAuditCommission Role = "audit_commission"
	// RoleInspectorate is one of the other CAA inspectorates; Organisation
	// names it (for example "Ofsted").
	RoleInspectorate Role = "inspectorate"
	// RoleAuditor reads and verifies; it issues no commands.
	RoleAuditor Role = "auditor"
	// RoleScrutiny is a scrutiny committee member or officer; read-only.
	RoleScrutiny Role = "scrutiny"
	// RoleIntegration is a subscribing system; read-only.
	RoleIntegration Role = "integration"
	// RoleOperator maintains reference data such as the indicator catalogue.
	RoleOperator Role = "operator"
)

// Roles lists every role, in a stable order.
var Roles = []Role{RoleLSP, RoleLA, RoleGO, RoleCLG, RoleMinister, RoleDCSF,
	RoleAuditCommission, RoleInspectorate, RoleAuditor, RoleScrutiny,
	RoleIntegration, RoleOperator}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// ReadOnly reports whether the role may only read.
func (r Role) ReadOnly() bool {
	return r == RoleAuditor || r == RoleScrutiny || r == RoleIntegration
}

// LocalSide reports whether the role negotiates for an area (LSP or LA).
func (r Role) LocalSide() bool { return r == RoleLSP || r == RoleLA }

// Actor is who issued a command: a person (ID), the role they act in and the
// organisation they act for.
type Actor struct {
	ID           string `json:"id"`
	Role         Role   `json:"role"`
	Organisation string `json:"organisation"`
}

// Validate checks the actor is complete and its role known.
func (a Actor) Validate() error {
	switch {
	case a.ID == "":
		return Errorf(EINVALID, "actor.missing_id", "actor has no id")
	case !a.Role.Valid():
		return Errorf(EINVALID, "actor.unknown_role", "actor %q has unknown role %q", a.ID, a.Role)
	case a.Organisation == "":
		return Errorf(EINVALID, "actor.missing_organisation", "actor %q (%s) names no organisation", a.ID, a.Role)
	}
	return nil
}

func (a Actor) String() string {
	return fmt.Sprintf("%s (%s, %s)", a.ID, a.Role, a.Organisation)
}

// CheckOrganisation checks, against the reference data, the organisation of
// a role whose organisations the reference data lists: an LSP or lead
// authority acts for one of the 150 LAA areas (its SNAC code), a Government
// Office for one of the nine regions (its name). The other roles'
// organisations (CLG, DCSF, the Audit Commission, the inspectorates, the
// read-only readers, operators) have no list in the sources, so any
// non-empty name stands for them.
func CheckOrganisation(role Role, organisation string) error {
	switch role {
	case RoleLSP, RoleLA:
		if _, ok := LookupArea(organisation); !ok {
			return Errorf(EINVALID, "actor.unknown_area", "%s actors act for an LAA area, given by its SNAC code; %q is not one of the %d areas", role, organisation, len(Areas()))
		}
	case RoleGO:
		if !IsRegion(organisation) {
			return Errorf(EINVALID, "actor.unknown_region", "a Government Office acts for a region; %q is not one of %s", organisation, strings.Join(Regions(), ", "))
		}
	default:
		if organisation == "" {
			return Errorf(EINVALID, "actor.missing_organisation", "a %s actor names no organisation", role)
		}
	}
	return nil
}
