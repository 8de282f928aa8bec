package api

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/projections"
)

// catalogueHarness is a demo harness whose catalogue holds the seed, and
// the operator's token.
func catalogueHarness(t *testing.T) (*harness, string) {
	t.Helper()
	h, tokenOf := demoHarness(t)
	res, err := h.svc.Execute(t.Context(), catalogue.SeedMeta(), catalogue.SeedCommand(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Wait for the read side to hold the seed.
	if r := h.do(req{method: "GET", path: fmt.Sprintf("/v1/catalogue?min_sequence=%d", res.Sequence), token: tokScrutiny}); r.Status != 200 {
		t.Fatalf("catalogue after the seed: %d %s", r.Status, r.Body)
	}
	return h, tokenOf[catalogue.SeedMeta().Actor.ID]
}

func (h *harness) importCSV(token, query string, body []byte, header map[string]string) *resp {
	h.t.Helper()
	hdr := map[string]string{"Content-Type": "text/csv"}
	for k, v := range header {
		hdr[k] = v
	}
	return h.do(req{method: "POST", path: "/v1/catalogue/import?" + query, token: token, body: body, header: hdr})
}

func TestCatalogueExportIsTheImportFormatAndImportingItRecordsNothing(t *testing.T) {
	h, op := catalogueHarness(t)
	r := h.do(req{method: "GET", path: "/v1/catalogue?format=csv&at=2008-04-01", token: tokScrutiny})
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	if !bytes.Equal(r.Body, domain.IndicatorsCSV()) {
		t.Errorf("the export of the seeded catalogue is not the embedded file:\n%s", r.Body)
	}
	// Accept: text/csv asks for the same.
	if r2 := h.do(req{method: "GET", path: "/v1/catalogue?at=2008-04-01", token: tokScrutiny, header: map[string]string{"Accept": "text/csv"}}); !bytes.Equal(r2.Body, r.Body) {
		t.Errorf("Accept: text/csv answered %s", r2.Body)
	}
	before := h.lastSequence()
	imp := h.importCSV(op, "effective=2009-01-01&source=export", r.Body, nil)
	var res CommandResult
	imp.decode(t, &res)
	if imp.Status != 200 || len(res.Events) != 0 || res.Duplicate {
		t.Fatalf("import of the export: %d %s, want 200 with no events", imp.Status, imp.Body)
	}
	if after := h.lastSequence(); after != before {
		t.Errorf("import of the export appended: sequence %d → %d", before, after)
	}

	var view projections.CatalogueView
	h.do(req{method: "GET", path: "/v1/catalogue?at=2008-04-01", token: tokScrutiny}).decode(t, &view)
	if len(view.Indicators) != 87 || view.Version != 87 {
		t.Errorf("JSON export: %d indicators, version %d; want 87 and 87", len(view.Indicators), view.Version)
	}
}

func TestCatalogueImportIsIdempotentAndPartialChangesOnlyItsRows(t *testing.T) {
	h, op := catalogueHarness(t)
	file := []byte("ni,number,title,theme,data_source,place_survey,dcsf_statutory,status,source\n" +
		"NI 8,8,Adult participation in sport,,,no,,,a named document\n")
	first := h.importCSV(op, "effective=2009-01-01&source=sport.csv&partial=true", file, nil)
	var res CommandResult
	first.decode(t, &res)
	if first.Status != 201 || len(res.Events) != 1 || res.Events[0].Type != "nis.IndicatorAdded" {
		t.Fatalf("partial import: %d %s", first.Status, first.Body)
	}
	if want := catalogue.ImportCommandID(file, mustDate(t, "2009-01-01"), "sport.csv", true); res.CommandID != want {
		t.Errorf("command id %s, want the content-derived %s", res.CommandID, want)
	}
	again := h.importCSV(op, "effective=2009-01-01&source=sport.csv&partial=true", file, nil)
	var res2 CommandResult
	again.decode(t, &res2)
	if again.Status != 200 || !res2.Duplicate || res2.Sequence != res.Sequence {
		t.Errorf("the same import again: %d %s, want the original as a duplicate", again.Status, again.Body)
	}
	var view projections.CatalogueView
	h.do(req{method: "GET", path: fmt.Sprintf("/v1/catalogue?at=2009-01-01&min_sequence=%d", res.Sequence), token: tokScrutiny}).decode(t, &view)
	if len(view.Indicators) != 88 {
		t.Errorf("after a partial import of one new indicator: %d indicators, want 88", len(view.Indicators))
	}
}

func TestCatalogueImportRefusals(t *testing.T) {
	h, op := catalogueHarness(t)
	good := []byte("number,title\n8,Adult participation in sport\n")
	before := h.lastSequence()
	tests := []struct {
		desc    string
		token   string
		query   string
		body    string
		header  map[string]string
		status  int
		code    string
		detail  string
		invalid bool
	}{
		{desc: "not the operator", token: tokGO, query: "effective=2009-01-01&source=s", body: string(good), status: 403, code: "nis.operator_only"},
		{desc: "read-only role", token: tokScrutiny, query: "effective=2009-01-01&source=s", body: string(good), status: 403, code: "nis.operator_only"},
		{desc: "no date", token: op, query: "source=s", body: string(good), status: 400, code: "missing_effective", invalid: true},
		{desc: "bad date", token: op, query: "effective=2009-13-01&source=s", body: string(good), status: 400, code: "bad_request", invalid: true},
		{desc: "no source", token: op, query: "effective=2009-01-01", body: string(good), status: 400, code: "missing_source", invalid: true},
		{desc: "not CSV", token: op, query: "effective=2009-01-01&source=s", body: `{"rows":[]}`, header: map[string]string{"Content-Type": "application/json"}, status: 415, code: "unsupported_media_type", invalid: true},
		{desc: "no number column", token: op, query: "effective=2009-01-01&source=s", body: "title\nx\n", status: 400, code: "nis.csv"},
		{desc: "one bad row among good ones", token: op, query: "effective=2009-01-01&source=s",
			body: "number,title,place_survey\n8,Adult participation in sport,no\n9,Use of public libraries,perhaps\n", status: 422, code: "nis.row_yes_no", detail: "row 2 (line 3): NI 9: place_survey"},
		{desc: "a partial import removes nothing", token: op, query: "effective=2009-01-01&source=s&partial=true",
			body: "number,title,status\n8,Adult participation in sport,\n112,Under 18 conception rate,withdrawn\n", status: 422, code: "nis.partial_withdrawal", detail: "row 2 (line 3): NI 112"},
		{desc: "backdated", token: op, query: "effective=2007-01-01&source=s", body: string(good), status: 409, code: "nis.backdated_import"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			hdr := map[string]string{"Content-Type": "text/csv"}
			for k, v := range tc.header {
				hdr[k] = v
			}
			r := h.do(req{method: "POST", path: "/v1/catalogue/import?" + tc.query, token: tc.token, body: []byte(tc.body), header: hdr, invalid: tc.invalid})
			r.wantProblem(t, tc.status, tc.code)
			if p := r.problem(t); !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not contain %q", p.Detail, tc.detail)
			}
		})
	}
	if after := h.lastSequence(); after != before {
		t.Errorf("refused imports appended: sequence %d → %d", before, after)
	}
}

func TestCatalogueSetAndWithdrawThroughTheCommandAPI(t *testing.T) {
	h, op := catalogueHarness(t)
	r := h.command(op, "nis.SetIndicator", "set-112", map[string]any{"ni": 112, "theme": "Children and young people", "source": "a named document",
		"effective_from": "2009-01-01T00:00:00Z"}, nil)
	if r.Status != 201 {
		t.Fatalf("set: %d %s", r.Status, r.Body)
	}
	r = h.command(op, "nis.WithdrawIndicator", "withdraw-199", map[string]any{"ni": 199, "source": "a named document",
		"effective_from": "2009-01-01T00:00:00Z"}, nil)
	var res CommandResult
	r.decode(t, &res)
	if r.Status != 201 {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	var view projections.CatalogueView
	h.do(req{method: "GET", path: fmt.Sprintf("/v1/catalogue?at=2009-06-01&min_sequence=%d", res.Sequence), token: tokAuditor}).decode(t, &view)
	found := map[int]catalogue.Indicator{}
	for _, ind := range view.Indicators {
		found[ind.NI] = ind
	}
	if _, ok := found[199]; ok || len(view.Indicators) != 86 {
		t.Errorf("after withdrawing NI 199: %d indicators, NI 199 present %v", len(view.Indicators), ok)
	}
	if found[112].Theme != "Children and young people" || found[112].Title == "" {
		t.Errorf("NI 112 after the change: %+v", found[112])
	}
	r = h.command(tokGO, "nis.WithdrawIndicator", "withdraw-112", map[string]any{"ni": 112, "source": "s"}, nil)
	r.wantProblem(t, 403, "nis.operator_only")
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
