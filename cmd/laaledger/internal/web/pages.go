package web

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/notary"
	"github.com/laaledger/laaledger/projections"
)

type homeData struct {
	Search    string
	Regions   []regionGroup
	Dashboard *dashboard
}

// indicatorQuery matches a search for an indicator: "NI 112", "ni112", "112".
var indicatorQuery = regexp.MustCompile(`^(?i:ni)?\s*([0-9]{1,3})$`)

func (h *Handler) home(w http.ResponseWriter, r *http.Request, p *page) {
	search := strings.TrimSpace(r.URL.Query().Get("q"))
	// A SNAC code first: counties' codes are numbers ("12" is
	// Cambridgeshire), so "NI 12" is how to ask for the indicator.
	if a, ok := lookupArea(strings.ToUpper(search)); ok {
		http.Redirect(w, r, "/areas/"+a.Code+p.Param(), http.StatusSeeOther)
		return
	}
	if m := indicatorQuery.FindStringSubmatch(search); m != nil {
		http.Redirect(w, r, "/indicators/"+m[1]+p.Param(), http.StatusSeeOther)
		return
	}
	regions, err := directory(r.Context(), h.cfg.Queries, p.AsOf, search)
	if err != nil {
		h.failErr(w, r, p, err)
		return
	}
	d := homeData{Search: search, Regions: regions}
	// The dashboard counts are the current state only.
	if !p.Historic() {
		dv, err := h.cfg.Queries.Dashboard(r.Context())
		if err != nil {
			h.failErr(w, r, p, err)
			return
		}
		v := dashboardView(dv)
		d.Dashboard = &v
	}
	p.Title, p.Data = "Local Area Agreements and CAA", d
	h.render(w, r, http.StatusOK, "home", p)
}

type areaData struct {
	Area        areaInfo
	Agreement   *agreementPage
	Assessments []assessmentView
	Orgs        []orgView
}

func (h *Handler) area(w http.ResponseWriter, r *http.Request, p *page) {
	a, ok := lookupArea(r.PathValue("area"))
	if !ok {
		h.fail(w, r, p, http.StatusNotFound, "No LAA area has the 2008 SNAC code "+strconv.Quote(r.PathValue("area"))+".")
		return
	}
	d := areaData{Area: a}
	ag, err := agreementAt(r.Context(), h.cfg.Queries, agreementAgg(a.Code), p.AsOf)
	switch {
	case err == nil:
		v := agreementView(ag)
		if len(v.Corrections) > 0 {
			if events, err := h.cfg.Queries.History(r.Context(), agreementAgg(a.Code), nil); err == nil {
				linkCorrections(v.Corrections, events)
			}
		}
		d.Agreement = &v
	case !isNotFound(err):
		h.failErr(w, r, p, err)
		return
	}
	if d.Assessments, d.Orgs, err = areaAssessments(r.Context(), h.cfg.Queries, a.Code, p.AsOf); err != nil {
		h.failErr(w, r, p, err)
		return
	}
	p.Title, p.Data = a.Name, d
	h.render(w, r, http.StatusOK, "area", p)
}

func (h *Handler) target(w http.ResponseWriter, r *http.Request, p *page) {
	area, key := r.PathValue("area"), r.PathValue("target")
	if _, ok := lookupArea(area); !ok || r.PathValue("period") != period {
		h.fail(w, r, p, http.StatusNotFound, "There is no agreement "+area+"/"+r.PathValue("period")+".")
		return
	}
	agg := agreementAgg(area)
	ag, err := agreementAt(r.Context(), h.cfg.Queries, agg, p.AsOf)
	if err != nil {
		h.failErr(w, r, p, err)
		return
	}
	t, ok := ag.Target(key)
	if !ok {
		h.fail(w, r, p, http.StatusNotFound, "The agreement "+agg.ID+" has no target "+strconv.Quote(key)+" at this point.")
		return
	}
	rounds, err := h.cfg.Queries.TargetRounds(r.Context(), agg.ID, key)
	if err != nil {
		h.failErr(w, r, p, err)
		return
	}
	if r.PathValue("file") != "" {
		writeCSV(w, agg.ID+"-"+key+"-rounds.csv", roundsCSV(agg.ID, key, rounds.Rounds, p.AsOf))
		return
	}
	v := targetView(ag, t, rounds.Rounds, p.AsOf)
	if len(v.Corrections) > 0 {
		if events, err := h.cfg.Queries.History(r.Context(), agg, nil); err == nil {
			linkCorrections(v.Corrections, events)
		}
		v.CorrectionLinks = recordedCorrections(r.Context(), h.cfg.Queries, agg, len(v.Corrections))
	}
	p.Title, p.Data = v.AreaName+": "+t.Key, v
	h.render(w, r, http.StatusOK, "target", p)
}

func (h *Handler) indicator(w http.ResponseWriter, r *http.Request, p *page) {
	n, ok := atoiPositive(r.PathValue("number"))
	if !ok || n > 999 {
		h.fail(w, r, p, http.StatusNotFound, "An indicator is named by its number, as in /indicators/112.")
		return
	}
	iv, err := h.cfg.Queries.Indicator(r.Context(), n)
	if err != nil {
		h.failErr(w, r, p, err)
		return
	}
	v, err := indicatorView(r.Context(), h.cfg.Queries, iv, p.AsOf, r.URL.Query().Get("sort"))
	if err != nil {
		h.failErr(w, r, p, err)
		return
	}
	p.Title, p.Data = "NI "+strconv.Itoa(n), v
	if v.Title != "" {
		p.Title += ": " + v.Title
	}
	h.render(w, r, http.StatusOK, "indicator", p)
}

// SortLink is the indicator table's link that sorts by a column, keeping
// the as-of point.
func (p *page) SortLink(by string) string {
	q := url.Values{"sort": {by}}
	if p.Historic() {
		q.Set(p.AsOf.Basis.Param(), p.AsOf.At.Format(time.RFC3339Nano))
	}
	return p.Path + "?" + q.Encode()
}

func (h *Handler) event(w http.ResponseWriter, r *http.Request, p *page) {
	seq, err1 := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	idx, err2 := strconv.Atoi(r.PathValue("index"))
	if err1 != nil || err2 != nil || seq == 0 || idx < 0 {
		h.fail(w, r, p, http.StatusNotFound, "An event is named by its ledger sequence and its position in the commit, as in /events/6/0.")
		return
	}
	if h.cfg.Commits == nil {
		h.fail(w, r, p, http.StatusServiceUnavailable, "This server cannot read single events.")
		return
	}
	c, err := h.cfg.Commits.Commit(r.Context(), seq)
	if err != nil {
		h.failErr(w, r, p, err)
		return
	}
	if idx >= len(c.Events) {
		h.fail(w, r, p, http.StatusNotFound, "The commit at sequence "+strconv.FormatUint(seq, 10)+" has "+strconv.Itoa(len(c.Events))+" events.")
		return
	}
	e := &c.Events[idx]
	var data bytes.Buffer
	if err := json.Indent(&data, e.Data, "", "  "); err != nil {
		data.Reset()
		data.Write(e.Data)
	}
	v := envelopeView(e, seq, idx, data.String())
	switch p.AsOf.Basis {
	case projections.Recorded:
		v.Later = e.RecordedAt.After(p.AsOf.At)
	case projections.Known:
		v.Later = e.OccurredAt.After(p.AsOf.At)
	}
	h.chain(r, e, &v)
	h.proof(r, seq, &v)
	if v.AggregateLink != "" {
		if events, err := h.cfg.Queries.History(r.Context(), e.Aggregate(), nil); err == nil {
			v.CorrectedBy, v.Corrects = correctionsOfEvent(correctionsOf(events), e.EventID)
		}
	}
	p.Title, p.Data = e.Type+" "+e.EventID, v
	h.render(w, r, http.StatusOK, "event", p)
}

// chain finds the event's neighbours in its aggregate's history and checks
// the link to the previous one.
func (h *Handler) chain(r *http.Request, e *eventstore.Envelope, v *eventPage) {
	hist, err := h.cfg.Queries.History(r.Context(), e.Aggregate(), nil)
	if err != nil {
		return
	}
	for _, x := range hist {
		link := &chainLink{Version: x.AggregateVersion, Link: "/events/" + strconv.FormatUint(x.Sequence, 10) + "/" + strconv.Itoa(x.Index), Type: x.Type}
		switch x.AggregateVersion {
		case e.AggregateVersion - 1:
			v.Prev = link
		case e.AggregateVersion + 1:
			v.Next = link
		}
	}
	if v.Prev == nil {
		return
	}
	for _, x := range hist {
		if x.AggregateVersion != v.Prev.Version {
			continue
		}
		c, err := h.cfg.Commits.Commit(r.Context(), x.Sequence)
		if err != nil || x.Index >= len(c.Events) {
			return
		}
		v.Prev.Hash = c.Events[x.Index].Hash
		v.PrevChecked, v.PrevHashOK = true, v.Prev.Hash == e.PrevHash
	}
}

// proof asks the notary for the commit's inclusion in the latest checkpoint
// and verifies it with the verifier key alone.
func (h *Handler) proof(r *http.Request, seq uint64, v *eventPage) {
	if h.cfg.Proofs == nil {
		return
	}
	p, err := h.cfg.Proofs.InclusionProof(r.Context(), seq, 0)
	if err != nil {
		v.ProofProblem = "No inclusion proof yet: " + err.Error()
		return
	}
	pv := &proofView{TreeSize: p.TreeSize, Leaf: b64(p.LeafHash)}
	for _, x := range p.Hashes {
		pv.Path = append(pv.Path, b64(x))
	}
	ver, err := notary.NewVerifier(h.cfg.Proofs.VerifierKey())
	if err == nil {
		var cp notary.Checkpoint
		cp, err = ver.VerifyInclusion(p)
		pv.Root, pv.Time, pv.Origin = b64(cp.Hash), stamp(cp.Time), cp.Origin
	}
	if err != nil {
		pv.Problem = err.Error()
	} else {
		pv.Verified = true
	}
	v.Proof = pv
}

// writeCSV sends rows as a CSV download. A text cell that a spreadsheet
// would read as a formula is prefixed with an apostrophe; numbers are
// left as they are.
func writeCSV(w http.ResponseWriter, name string, rows [][]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": strings.ReplaceAll(name, "/", "_")}))
	cw := csv.NewWriter(w)
	for _, row := range rows {
		for i, c := range row {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				if _, err := strconv.ParseFloat(c, 64); err != nil {
					row[i] = "'" + c
				}
			}
		}
		_ = cw.Write(row)
	}
	cw.Flush()
}
