package domain

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"sort"
)

// The reference data is read from public sources; refdata/SOURCES.md says
// which, row by row. Nothing here is invented: where a fact was not found the
// field is empty.
var (
	//go:embed refdata/laa_areas.csv
	areasCSV []byte
	//go:embed refdata/national_indicators.csv
	indicatorsCSV []byte
	//go:embed refdata/SOURCES.md
	// SourcesMD is the provenance of the embedded reference data.
	SourcesMD string
)

// IndicatorsCSV returns a copy of the embedded national indicator set,
// from which the catalogue is seeded.
func IndicatorsCSV() []byte { return append([]byte(nil), indicatorsCSV...) }

// Area is one of the 150 upper-tier authority areas of England that made a
// 2008-11 LAA, as structured before 1 April 2009.
type Area struct {
	Code   string `json:"code"` // 2008 ONS/SNAC code, the area's id
	Name   string `json:"name"`
	Type   string `json:"type"` // county, unitary, metropolitan, london
	Region string `json:"region"`
	GSS    string `json:"gss_code,omitempty"` // empty for the 7 counties abolished in 2009
	ECode  string `json:"clg_ecode"`
}

// refAreas is the embedded area list, parsed once when the package is
// initialised; a broken embedded file is a build defect and panics.
var refAreas = loadAreas(areasCSV)

type areaData struct {
	byCode  map[string]Area
	list    []Area   // sorted by code
	regions []string // sorted
}

func loadAreas(csvData []byte) areaData {
	rows, err := csv.NewReader(bytes.NewReader(csvData)).ReadAll()
	if err != nil {
		panic(fmt.Sprintf("domain: embedded laa_areas.csv: %v", err))
	}
	d := areaData{byCode: make(map[string]Area, len(rows))}
	regions := map[string]bool{}
	for _, row := range rows[1:] {
		a := Area{Name: row[0], Type: row[1], Region: row[2], Code: row[3], GSS: row[4], ECode: row[5]}
		d.byCode[a.Code] = a
		d.list = append(d.list, a)
		regions[a.Region] = true
	}
	sort.Slice(d.list, func(i, j int) bool { return d.list[i].Code < d.list[j].Code })
	for r := range regions {
		d.regions = append(d.regions, r)
	}
	sort.Strings(d.regions)
	return d
}

// LookupArea returns the area with the given 2008 ONS/SNAC code.
func LookupArea(code string) (Area, bool) {
	a, ok := refAreas.byCode[code]
	return a, ok
}

// Areas returns every area, sorted by code.
func Areas() []Area { return append([]Area(nil), refAreas.list...) }

// Regions returns the nine Government Office regions, sorted.
func Regions() []string { return append([]string(nil), refAreas.regions...) }

// IsRegion reports whether name is one of the nine regions.
func IsRegion(name string) bool {
	i := sort.SearchStrings(refAreas.regions, name)
	return i < len(refAreas.regions) && refAreas.regions[i] == name
}
