package api

import (
	"encoding/json"

	"github.com/laaledger/laaledger/domain"
)

// DemoTokens returns fixed tokens for the demo actors. They are published
// in the source and so are for demonstrations and tests only: never give
// them to a server that holds real data. Every token starts "demo-" so a
// log reviewer or a secret scanner can tell them apart.
//
// The actors: the lead local authority and the LSP of Hartlepool (00EB,
// North East), the North East Government Office, the lead local authority
// of Barnet (00AC, a London borough), the Minister, CLG, DCSF, the Audit
// Commission, an Audit Commission auditor, a Hartlepool scrutiny committee
// officer, a subscribing performance system, and the ledger's operator
// (who manages webhooks).
func DemoTokens() []TokenEntry {
	a := func(token, id string, role domain.Role, org string) TokenEntry {
		return TokenEntry{Token: token, Actor: domain.Actor{ID: id, Role: role, Organisation: org}}
	}
	return []TokenEntry{
		a("demo-la-hartlepool-00EB", "demo.la.hartlepool", domain.RoleLA, "00EB"),
		a("demo-lsp-hartlepool-00EB", "demo.lsp.hartlepool", domain.RoleLSP, "00EB"),
		a("demo-go-north-east", "demo.go.northeast", domain.RoleGO, "North East"),
		a("demo-la-barnet-00AC", "demo.la.barnet", domain.RoleLA, "00AC"),
		a("demo-minister-clg", "demo.minister", domain.RoleMinister, "CLG"),
		a("demo-clg-lagreements", "demo.clg", domain.RoleCLG, "CLG"),
		a("demo-dcsf-statutory", "demo.dcsf", domain.RoleDCSF, "DCSF"),
		a("demo-audit-commission", "demo.audit_commission", domain.RoleAuditCommission, "Audit Commission"),
		a("demo-auditor-readonly", "demo.auditor", domain.RoleAuditor, "Audit Commission"),
		a("demo-scrutiny-hartlepool", "demo.scrutiny.hartlepool", domain.RoleScrutiny, "00EB"),
		a("demo-integration-feed", "demo.integration", domain.RoleIntegration, "Performance system"),
		a("demo-operator-laaledger", "demo.operator", domain.RoleOperator, "laaledger"),
	}
}

// DemoTokenFile returns [DemoTokens] as a token file, ready to write to
// disk for `serve --tokens`.
func DemoTokenFile() []byte {
	b, err := json.MarshalIndent(TokenFile{Tokens: DemoTokens()}, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}
