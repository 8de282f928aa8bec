package domain

import "testing"

// The counts are the ones refdata/SOURCES.md states.
func TestAreasMatchSources(t *testing.T) {
	if got, want := len(Areas()), 150; got != want {
		t.Fatalf("areas: got %d, want %d", got, want)
	}
	byType := map[string]int{}
	byRegion := map[string]int{}
	for _, a := range Areas() {
		byType[a.Type]++
		byRegion[a.Region]++
		if a.Code == "" {
			t.Errorf("area %q has no SNAC code", a.Name)
		}
	}
	wantType := map[string]int{"county": 34, "unitary": 47, "metropolitan": 36, "london": 33}
	for k, v := range wantType {
		if byType[k] != v {
			t.Errorf("type %s: got %d, want %d", k, byType[k], v)
		}
	}
	wantRegion := map[string]int{"North East": 12, "North West": 22, "Yorkshire and The Humber": 15,
		"East Midlands": 9, "West Midlands": 14, "East of England": 10, "London": 33, "South East": 19, "South West": 16}
	for k, v := range wantRegion {
		if byRegion[k] != v {
			t.Errorf("region %s: got %d, want %d", k, byRegion[k], v)
		}
	}
	if got := len(Regions()); got != 9 {
		t.Errorf("regions: got %d, want 9", got)
	}
	if a, ok := LookupArea("15UH"); !ok || a.Name != "Isles of Scilly" {
		t.Errorf("Isles of Scilly: got %+v, %v", a, ok)
	}
}
