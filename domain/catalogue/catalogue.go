package catalogue

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// CatalogueID is the id of the one indicator catalogue aggregate.
const CatalogueID = "catalogue"

// catalogueRef is the aggregate every catalogue command is for.
var catalogueRef = domain.AggregateRef{Kind: domain.KindCatalogue, ID: CatalogueID}

// NI 31 (re-offending by registered sex offenders) was dropped from the set
// before publication; the numbering runs 1–199 without it (refdata/SOURCES.md).
const (
	MinNI     = 1
	MaxNI     = 199
	DroppedNI = 31
)

// Indicator is one National Indicator as the catalogue holds it at a point
// in business time.
type Indicator struct {
	NI    int    `json:"ni"`
	Title string `json:"title"`
	// TitleProvisional marks a title that the source file gave as
	// provisional (status provisional_title): an abbreviated label, or one
	// paired with its number by row order (refdata/SOURCES.md).
	TitleProvisional bool   `json:"title_provisional,omitempty"`
	Theme            string `json:"theme,omitempty"`
	DataSource       string `json:"data_source,omitempty"`
	PlaceSurvey      bool   `json:"place_survey"`
	// DCSFStatutory is true only when an imported file said so; the
	// embedded file leaves it blank because no source listing the statutory
	// set was found.
	DCSFStatutory bool      `json:"dcsf_statutory"`
	Source        string    `json:"source,omitempty"`
	EffectiveFrom time.Time `json:"effective_from"`
}

// indicatorVersion is one state of an indicator from a business time on.
type indicatorVersion struct {
	Indicator Indicator `json:"indicator"`
	Withdrawn bool      `json:"withdrawn,omitempty"`
}

// Catalogue is the state of the indicator catalogue aggregate: every
// version of every indicator, so that a decision can ask what the catalogue
// said at the business time of a command. The zero value is an empty
// catalogue. Apply never mutates the receiver's maps, so earlier states stay
// valid. It encodes (JSON and gob) with its whole history (encoding.go).
type Catalogue struct {
	// Version counts the events applied: the aggregate version. Target
	// proposals record it.
	Version int `json:"version"`
	// LastEffective is the latest effective date of any applied event;
	// changes may not be backdated before it.
	LastEffective time.Time `json:"last_effective,omitzero"`
	history       map[int][]indicatorVersion
}

// Lookup returns the indicator as the catalogue stood at business time at,
// and false if it was not (or no longer) in the catalogue then.
func (c Catalogue) Lookup(ni int, at time.Time) (Indicator, bool) {
	vs := c.history[ni]
	for i := len(vs) - 1; i >= 0; i-- {
		if !vs[i].Indicator.EffectiveFrom.After(at) {
			if vs[i].Withdrawn {
				return Indicator{}, false
			}
			return vs[i].Indicator, true
		}
	}
	return Indicator{}, false
}

// current returns the latest version of an indicator regardless of time.
func (c Catalogue) current(ni int) (Indicator, bool) {
	vs := c.history[ni]
	if len(vs) == 0 || vs[len(vs)-1].Withdrawn {
		return Indicator{}, false
	}
	return vs[len(vs)-1].Indicator, true
}

// Indicators returns the catalogue as it stood at at, sorted by NI.
func (c Catalogue) Indicators(at time.Time) []Indicator {
	var out []Indicator
	for ni := range c.history {
		if ind, ok := c.Lookup(ni, at); ok {
			out = append(out, ind)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NI < out[j].NI })
	return out
}

// HasStatutorySet reports whether any indicator in the catalogue at at is
// marked DCSF statutory, that is whether the statutory set has been imported.
func (c Catalogue) HasStatutorySet(at time.Time) bool {
	for _, ind := range c.Indicators(at) {
		if ind.DCSFStatutory {
			return true
		}
	}
	return false
}

// Catalogue events. Each carries the provenance of the fact (Source, the
// row's source or else the import's) and the business date it is effective
// from; Import names the file it came from.
type (
	// IndicatorAdded: an indicator entered the catalogue (or re-entered it
	// after a withdrawal).
	IndicatorAdded struct {
		Indicator
		Import string `json:"import"`
	}
	// IndicatorRetitled: the title changed.
	IndicatorRetitled struct {
		NI            int    `json:"ni"`
		Title         string `json:"title"`
		PreviousTitle string `json:"previous_title"`
		// Provisional tells whether the new title is provisional; a
		// provisional title confirmed as it stands is a retitle too.
		Provisional   bool      `json:"provisional,omitempty"`
		Source        string    `json:"source"`
		EffectiveFrom time.Time `json:"effective_from"`
		Import        string    `json:"import"`
	}
	// IndicatorReclassified: an attribute other than the title changed
	// (theme, data source, Place Survey or DCSF statutory membership). An
	// import of the statutory set produces these.
	IndicatorReclassified struct {
		NI            int       `json:"ni"`
		Theme         string    `json:"theme,omitempty"`
		DataSource    string    `json:"data_source,omitempty"`
		PlaceSurvey   bool      `json:"place_survey"`
		DCSFStatutory bool      `json:"dcsf_statutory"`
		Source        string    `json:"source"`
		EffectiveFrom time.Time `json:"effective_from"`
		Import        string    `json:"import"`
	}
	// IndicatorWithdrawn: the indicator left the catalogue.
	IndicatorWithdrawn struct {
		NI            int       `json:"ni"`
		Source        string    `json:"source"`
		EffectiveFrom time.Time `json:"effective_from"`
		Import        string    `json:"import"`
	}
)

func (IndicatorAdded) EventType() string        { return "nis.IndicatorAdded" }
func (IndicatorRetitled) EventType() string     { return "nis.IndicatorRetitled" }
func (IndicatorReclassified) EventType() string { return "nis.IndicatorReclassified" }
func (IndicatorWithdrawn) EventType() string    { return "nis.IndicatorWithdrawn" }

// IndicatorRow is one row of an indicator file, as read, before validation.
// The yes/no columns stay text so that the import can name a bad value.
type IndicatorRow struct {
	// Line is the row's line in the file (header is line 1); 0 if the rows
	// did not come from a file.
	Line          int    `json:"line,omitempty"`
	NI            int    `json:"ni"`
	Title         string `json:"title"`
	Theme         string `json:"theme,omitempty"`
	DataSource    string `json:"data_source,omitempty"`
	PlaceSurvey   string `json:"place_survey"`
	DCSFStatutory string `json:"dcsf_statutory"`
	Status        string `json:"status,omitempty"`
	Source        string `json:"source,omitempty"`
}

func (r IndicatorRow) where(i int) string {
	if r.Line > 0 {
		return fmt.Sprintf("row %d (line %d)", i+1, r.Line)
	}
	return fmt.Sprintf("row %d", i+1)
}

// ImportIndicators replaces the catalogue with the file's content: the
// decision emits only the difference (new, retitled, reclassified and
// withdrawn indicators), so importing the same file twice changes nothing
// the second time. A file is the whole catalogue: an indicator missing from
// it, or whose status is "withdrawn" or "deleted", is withdrawn. Only the
// operator may import.
//
// A Partial import adds or changes the indicators it names and leaves the
// others as they are; it removes nothing, so a row with status "withdrawn"
// or "deleted" is refused: [WithdrawIndicator] removes an indicator.
type ImportIndicators struct {
	Rows   []IndicatorRow `json:"rows"`
	Source string         `json:"source"`
	// EffectiveFrom is the business date the file's content holds from;
	// zero means the command's business time.
	EffectiveFrom time.Time `json:"effective_from,omitzero"`
	Partial       bool      `json:"partial,omitempty"`
}

func (ImportIndicators) CommandType() string            { return "nis.ImportIndicators" }
func (ImportIndicators) Aggregate() domain.AggregateRef { return catalogueRef }

// Validate checks the rows: NI in 1..199 and not 31, a title, yes/no/blank
// in the yes/no columns, a known status and no NI twice.
func (c ImportIndicators) Validate() error {
	if strings.TrimSpace(c.Source) == "" {
		return domain.Errorf(domain.EINVALID, "nis.missing_source", "indicator import names no source (where the file came from)")
	}
	if len(c.Rows) == 0 {
		return domain.Errorf(domain.EINVALID, "nis.empty_import", "indicator import from %s has no rows", c.Source)
	}
	seen := map[int]int{}
	for i, r := range c.Rows {
		w := r.where(i)
		if err := checkNI(r.NI, w); err != nil {
			return err
		}
		if strings.TrimSpace(r.Title) == "" {
			return domain.Errorf(domain.EINVALID, "nis.row_title", "%s: NI %d has no title", w, r.NI)
		}
		if _, err := parseYesNo(r.PlaceSurvey); err != nil {
			return domain.Errorf(domain.EINVALID, "nis.row_yes_no", "%s: NI %d: place_survey %v", w, r.NI, err)
		}
		if _, err := parseYesNo(r.DCSFStatutory); err != nil {
			return domain.Errorf(domain.EINVALID, "nis.row_yes_no", "%s: NI %d: dcsf_statutory %v", w, r.NI, err)
		}
		withdrawn, _, err := rowStatus(r.Status)
		if err != nil {
			return domain.Errorf(domain.EINVALID, "nis.row_status", "%s: NI %d: %v", w, r.NI, err)
		}
		if withdrawn && c.Partial {
			return domain.Errorf(domain.EINVALID, "nis.partial_withdrawal", "%s: NI %d has status %q, but a partial import removes nothing; withdraw it with nis.WithdrawIndicator (laaledger indicators withdraw)", w, r.NI, r.Status)
		}
		if j, dup := seen[r.NI]; dup {
			return domain.Errorf(domain.EINVALID, "nis.row_duplicate", "%s: NI %d appears twice in the file (also %s)", w, r.NI, c.Rows[j].where(j))
		}
		seen[r.NI] = i
	}
	return nil
}

// parseYesNo reads a yes/no column; blank means not stated and counts as no.
func parseYesNo(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes":
		return true, nil
	case "no", "":
		return false, nil
	}
	return false, fmt.Errorf("is %q; want yes, no or blank", s)
}

// rowStatus reads the status column: blank or active, provisional_title
// (in the set, its title not confirmed), withdrawn or deleted.
func rowStatus(status string) (withdrawn, provisional bool, err error) {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "", "active":
		return false, false, nil
	case "provisional_title":
		return false, true, nil
	case "withdrawn", "deleted":
		return true, false, nil
	}
	return false, false, fmt.Errorf("status is %q; want blank, active, provisional_title, withdrawn or deleted", status)
}

// DecideCatalogue decides a catalogue command ([ImportIndicators],
// [SetIndicator], [WithdrawIndicator]) against the catalogue's current
// state. Only the operator may change the catalogue, and no change may be
// effective before the catalogue's latest one.
func DecideCatalogue(c Catalogue, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	var (
		effective time.Time
		source    string
	)
	v, _ := cmd.(interface{ Validate() error })
	switch cmd := cmd.(type) {
	case ImportIndicators:
		effective, source = cmd.EffectiveFrom, "indicator import from "+cmd.Source
	case SetIndicator:
		effective, source = cmd.EffectiveFrom, fmt.Sprintf("change of NI %d", cmd.NI)
	case WithdrawIndicator:
		effective, source = cmd.EffectiveFrom, fmt.Sprintf("withdrawal of NI %d", cmd.NI)
	default:
		return nil, domain.Errorf(domain.EINVALID, "nis.unknown_command", "the indicator catalogue does not handle %s", cmd.CommandType())
	}
	if m.Actor.Role != domain.RoleOperator {
		return nil, domain.Errorf(domain.EFORBIDDEN, "nis.operator_only", "only an operator may change the indicator catalogue; %s may not", m.Actor)
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	eff := effective
	if eff.IsZero() {
		eff = m.OccurredAt
	}
	if eff.Before(c.LastEffective) {
		return nil, domain.Errorf(domain.ECONFLICT, "nis.backdated_import", "%s is effective from %s, before the catalogue's latest change (%s); give a date from then or later",
			source, eff.Format(time.DateOnly), c.LastEffective.Format(time.DateOnly))
	}
	switch cmd := cmd.(type) {
	case SetIndicator:
		return decideSet(c, cmd, eff)
	case WithdrawIndicator:
		return decideWithdraw(c, cmd, eff)
	}
	return decideImport(c, cmd.(ImportIndicators), eff), nil
}

// decideImport emits the difference between the catalogue and the file.
func decideImport(c Catalogue, imp ImportIndicators, eff time.Time) []domain.Event {
	var events []domain.Event
	inFile := map[int]bool{}
	for _, r := range imp.Rows {
		withdrawn, provisional, _ := rowStatus(r.Status)
		if withdrawn {
			continue
		}
		inFile[r.NI] = true
		ps, _ := parseYesNo(r.PlaceSurvey)
		st, _ := parseYesNo(r.DCSFStatutory)
		src := strings.TrimSpace(r.Source)
		if src == "" {
			src = imp.Source
		}
		next := Indicator{NI: r.NI, Title: strings.TrimSpace(r.Title), TitleProvisional: provisional, Theme: strings.TrimSpace(r.Theme),
			DataSource: strings.TrimSpace(r.DataSource), PlaceSurvey: ps, DCSFStatutory: st, Source: src, EffectiveFrom: eff}
		events = append(events, change(c, next, imp.Source)...)
	}
	if imp.Partial {
		return events
	}
	var gone []int
	for ni := range c.history {
		if _, ok := c.current(ni); ok && !inFile[ni] {
			gone = append(gone, ni)
		}
	}
	sort.Ints(gone)
	for _, ni := range gone {
		events = append(events, IndicatorWithdrawn{NI: ni, Source: imp.Source, EffectiveFrom: eff, Import: imp.Source})
	}
	return events
}

// change returns the events that make the catalogue's current entry for
// next.NI into next: an addition, or a retitle and a reclassification as
// far as they differ; none if nothing differs. Import names where the
// change came from.
func change(c Catalogue, next Indicator, imp string) []domain.Event {
	cur, ok := c.current(next.NI)
	if !ok {
		return []domain.Event{IndicatorAdded{Indicator: next, Import: imp}}
	}
	var events []domain.Event
	if cur.Title != next.Title || cur.TitleProvisional != next.TitleProvisional {
		events = append(events, IndicatorRetitled{NI: next.NI, Title: next.Title, PreviousTitle: cur.Title, Provisional: next.TitleProvisional,
			Source: next.Source, EffectiveFrom: next.EffectiveFrom, Import: imp})
	}
	if cur.Theme != next.Theme || cur.DataSource != next.DataSource || cur.PlaceSurvey != next.PlaceSurvey || cur.DCSFStatutory != next.DCSFStatutory {
		events = append(events, IndicatorReclassified{NI: next.NI, Theme: next.Theme, DataSource: next.DataSource,
			PlaceSurvey: next.PlaceSurvey, DCSFStatutory: next.DCSFStatutory, Source: next.Source, EffectiveFrom: next.EffectiveFrom, Import: imp})
	}
	return events
}

// Apply folds one catalogue event into the state; other events leave it
// unchanged.
func (c Catalogue) Apply(e domain.Event) Catalogue {
	var (
		ni int
		v  indicatorVersion
	)
	cur := func(n int) Indicator {
		vs := c.history[n]
		if len(vs) == 0 {
			return Indicator{NI: n}
		}
		return vs[len(vs)-1].Indicator
	}
	switch e := e.(type) {
	case IndicatorAdded:
		ni, v = e.NI, indicatorVersion{Indicator: e.Indicator}
	case IndicatorRetitled:
		ind := cur(e.NI)
		ind.Title, ind.TitleProvisional, ind.Source, ind.EffectiveFrom = e.Title, e.Provisional, e.Source, e.EffectiveFrom
		ni, v = e.NI, indicatorVersion{Indicator: ind}
	case IndicatorReclassified:
		ind := cur(e.NI)
		ind.Theme, ind.DataSource, ind.PlaceSurvey, ind.DCSFStatutory = e.Theme, e.DataSource, e.PlaceSurvey, e.DCSFStatutory
		ind.Source, ind.EffectiveFrom = e.Source, e.EffectiveFrom
		ni, v = e.NI, indicatorVersion{Indicator: ind}
	case IndicatorWithdrawn:
		ind := cur(e.NI)
		ind.EffectiveFrom = e.EffectiveFrom
		ni, v = e.NI, indicatorVersion{Indicator: ind, Withdrawn: true}
	default:
		return c
	}
	h := make(map[int][]indicatorVersion, len(c.history)+1)
	for k, vs := range c.history {
		h[k] = vs
	}
	vs := slices.Clip(h[ni])
	// A second change effective the same day replaces the first, so that
	// Lookup returns the last word for that day.
	if n := len(vs); n > 0 && vs[n-1].Indicator.EffectiveFrom.Equal(v.Indicator.EffectiveFrom) {
		vs = append(slices.Clone(vs[:n-1]), v)
	} else {
		vs = append(vs, v)
	}
	h[ni] = vs
	c.history = h
	c.Version++
	if v.Indicator.EffectiveFrom.After(c.LastEffective) {
		c.LastEffective = v.Indicator.EffectiveFrom
	}
	return c
}

// ParseIndicatorCSV reads an indicator file with the columns of
// refdata/national_indicators.csv (ni, number, title, theme, data_source,
// place_survey, dcsf_statutory, status, source) in any order. It checks only
// that the file is CSV and that each row's number is a number; the import
// command validates the rest, naming the row.
func ParseIndicatorCSV(r io.Reader) ([]IndicatorRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, domain.Errorf(domain.EINVALID, "nis.csv", "indicator file is empty")
	}
	if err != nil {
		return nil, domain.Errorf(domain.EINVALID, "nis.csv", "indicator file header: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	_, hasNumber := col["number"]
	_, hasNI := col["ni"]
	if !hasNumber && !hasNI {
		return nil, domain.Errorf(domain.EINVALID, "nis.csv", "indicator file header has neither a number nor an ni column")
	}
	if _, ok := col["title"]; !ok {
		return nil, domain.Errorf(domain.EINVALID, "nis.csv", "indicator file header has no title column")
	}
	var rows []IndicatorRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, domain.Errorf(domain.EINVALID, "nis.csv", "indicator file: %v", err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue
		}
		num := get("number")
		if num == "" {
			num = strings.TrimSpace(strings.TrimPrefix(strings.ToUpper(get("ni")), "NI"))
		}
		ni, err := strconv.Atoi(num)
		if err != nil {
			return nil, domain.Errorf(domain.EINVALID, "nis.csv", "indicator file line %d: indicator number %q is not a number", line, num)
		}
		rows = append(rows, IndicatorRow{Line: line, NI: ni, Title: get("title"), Theme: get("theme"), DataSource: get("data_source"),
			PlaceSurvey: get("place_survey"), DCSFStatutory: get("dcsf_statutory"), Status: get("status"), Source: get("source")})
	}
	return rows, nil
}

// SeedSource names the embedded indicator file as an import source.
const SeedSource = "embedded refdata/national_indicators.csv (provenance per row; see refdata/SOURCES.md)"

// SeedEffectiveFrom is the date the single set of 198 national indicators
// was announced (11 October 2007, CLG National Indicators page cited in
// refdata/SOURCES.md); the embedded catalogue holds from then.
var SeedEffectiveFrom = time.Date(2007, 10, 11, 0, 0, 0, 0, time.UTC)

// SeedCommand returns the import of the embedded, incomplete
// indicator file (87 of the 198 indicators, 15 of them with provisional
// titles, no DCSF statutory flags). It panics if the
// embedded file cannot be read, which a test rules out.
func SeedCommand() ImportIndicators {
	rows, err := ParseIndicatorCSV(bytes.NewReader(domain.IndicatorsCSV()))
	if err != nil {
		panic("domain: embedded national_indicators.csv: " + err.Error())
	}
	return ImportIndicators{Rows: rows, Source: SeedSource, EffectiveFrom: SeedEffectiveFrom}
}

// SeedMeta is the meta of the seed import: an operator, business time the
// seed's effective date, and a command id derived from the embedded file's
// content, so that a re-run appends nothing while a ledger seeded from an
// earlier copy of the file takes the new one as a further import (only the
// differences are recorded).
func SeedMeta() domain.Meta {
	sum := sha256.Sum256(domain.IndicatorsCSV())
	return domain.Meta{CommandID: "seed-nis-" + hex.EncodeToString(sum[:6]), Actor: domain.Actor{ID: "seed", Role: domain.RoleOperator, Organisation: "laaledger"},
		OccurredAt: SeedEffectiveFrom, Reason: "load the embedded indicator catalogue"}
}

// Seed returns the catalogue state after the seed import.
func Seed() Catalogue {
	evs, err := DecideCatalogue(Catalogue{}, SeedMeta(), SeedCommand())
	if err != nil {
		panic("domain: seed catalogue: " + err.Error())
	}
	var c Catalogue
	for _, e := range evs {
		c = c.Apply(e)
	}
	return c
}
