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
