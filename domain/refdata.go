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

var (
	areas      map[string]Area
	areaList   []Area
	regionList []string
)

func init() {
	r := csv.NewReader(bytes.NewReader(areasCSV))
	rows, err := r.ReadAll()
	if err != nil {
		panic(fmt.Sprintf("domain: embedded laa_areas.csv: %v", err))
	}
	areas = make(map[string]Area, len(rows))
	regions := map[string]bool{}
	for _, row := range rows[1:] {
		a := Area{Name: row[0], Type: row[1], Region: row[2], Code: row[3], GSS: row[4], ECode: row[5]}
		areas[a.Code] = a
		areaList = append(areaList, a)
		regions[a.Region] = true
	}
	sort.Slice(areaList, func(i, j int) bool { return areaList[i].Code < areaList[j].Code })
	for r := range regions {
		regionList = append(regionList, r)
	}
	sort.Strings(regionList)
}

// LookupArea returns the area with the given 2008 ONS/SNAC code.
func LookupArea(code string) (Area, bool) {
	a, ok := areas[code]
	return a, ok
}

// Areas returns every area, sorted by code.
func Areas() []Area { return append([]Area(nil), areaList...) }

// Regions returns the nine Government Office regions, sorted.
func Regions() []string { return append([]string(nil), regionList...) }

// IsRegion reports whether name is one of the nine regions.
func IsRegion(name string) bool {
	i := sort.SearchStrings(regionList, name)
	return i < len(regionList) && regionList[i] == name
}
