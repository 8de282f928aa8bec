package domain

import "time"

// FlagRef names a CAA flag: the area assessment (area and year) and the
// flag's id within it.
type FlagRef struct {
	Area   string `json:"area"`
	Year   int    `json:"year"`
	FlagID string `json:"flag_id"`
}

// FlagInfo is what the LAA refresh needs to know about a CAA flag.
type FlagInfo struct {
	Ref         FlagRef
	Colour      string // "red" or "green"
	Theme       string
	Indicators  []int // NI numbers the flag relates to
	Published   bool
	PublishedAt time.Time
	Withdrawn   bool
}

// FlagView answers, without I/O, the cross-aggregate question an LAA refresh
// asks when it reopens a locked target on CAA grounds. The caller builds it
// from the area assessments' events (a read model) and passes it to the
// decision; the LAA decision never reads the CAA stream itself.
type FlagView interface {
	// Flag returns the flag as it stands, and false if there is none. An
	// error means the flag could not be read (the decision fails with it
	// rather than deciding as if there were no flag).
	Flag(ref FlagRef) (FlagInfo, bool, error)
}
