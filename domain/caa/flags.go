package caa

import (
	"time"

	"github.com/laaledger/laaledger/domain"
)

// Flags is a read model of CAA flags built from area assessment events.
// It answers the question of the LAA refresh decision's FlagView (package
// domain/laa), which it consults before reopening a locked target on CAA
// grounds. Feed it each event of kind
// "caa" with the event's aggregate, in stream order; events of other kinds
// are ignored. The zero value is ready to use. It is not safe for
// concurrent use: the caller that feeds it owns it.
//
// A flag appears once proposed. A draft dropped before publication
// disappears (it was never a judgement). A flag withdrawn on review stays,
// with Withdrawn set: the reader must treat it as no flag. Published and
// PublishedAt (midnight UTC of the publication date) are set when its
// assessment is published, and the colour,
// theme and indicators are those after any change or review amendment.
type Flags struct {
	flags map[domain.FlagRef]domain.FlagInfo
}

// Apply folds one event of the aggregate ref into the view.
func (v *Flags) Apply(ref domain.AggregateRef, e domain.Event) {
	if ref.Kind != domain.KindAreaAssessment {
		return
	}
	area, year, ok := caaSplitID(ref.ID)
	if !ok {
		return
	}
	if v.flags == nil {
		v.flags = map[domain.FlagRef]domain.FlagInfo{}
	}
	key := func(id string) domain.FlagRef { return domain.FlagRef{Area: area, Year: year, FlagID: id} }
	switch e := e.(type) {
	case FlagProposed:
		v.flags[key(e.FlagID)] = domain.FlagInfo{Ref: key(e.FlagID), Colour: e.Colour, Theme: e.Theme, Indicators: caaCloneInts(e.Indicators)}
	case FlagChanged:
		if f, ok := v.flags[key(e.FlagID)]; ok {
			f.Colour, f.Theme, f.Indicators = e.Colour, e.Theme, caaCloneInts(e.Indicators)
			v.flags[key(e.FlagID)] = f
		}
	case FlagDropped:
		delete(v.flags, key(e.FlagID))
	case ReviewDecided:
		f, ok := v.flags[key(e.FlagID)]
		if !ok {
			return
		}
		switch e.Outcome {
		case ReviewAmended:
			f.Colour, f.Theme, f.Indicators = e.Colour, e.Theme, caaCloneInts(e.Indicators)
		case ReviewWithdrawn:
			f.Withdrawn = true
		}
		v.flags[key(e.FlagID)] = f
	case AssessmentPublished:
		at, err := time.Parse(time.DateOnly, e.PublishedOn)
		if err != nil {
			return // Decide never records such a date
		}
		for k, f := range v.flags {
			if k.Area == area && k.Year == year {
				f.Published, f.PublishedAt = true, at
				v.flags[k] = f
			}
		}
	}
}

// Flag returns the flag as it stands, and false if there is none. It never
// fails: the view is in memory.
func (v *Flags) Flag(ref domain.FlagRef) (domain.FlagInfo, bool, error) {
	if v == nil {
		return domain.FlagInfo{}, false, nil
	}
	f, ok := v.flags[ref]
	if !ok {
		return domain.FlagInfo{}, false, nil
	}
	f.Indicators = caaCloneInts(f.Indicators)
	return f, true, nil
}

// FlagInfo returns what the LAA refresh needs to know of one of the
// assessment's flags, read from its folded state; it agrees with
// [Flags] fed the same events. A dropped draft is no flag.
func (s AreaAssessment) FlagInfo(id string) (domain.FlagInfo, bool) {
	f, ok := s.Flags[id]
	if !ok || f.Status == StatusDropped {
		return domain.FlagInfo{}, false
	}
	info := domain.FlagInfo{Ref: domain.FlagRef{Area: s.Area, Year: s.Year, FlagID: id}, Colour: f.Colour, Theme: f.Theme,
		Indicators: caaCloneInts(f.Indicators), Withdrawn: f.Status == StatusWithdrawn}
	if s.Published {
		if at, err := time.Parse(time.DateOnly, s.PublishedOn); err == nil {
			info.Published, info.PublishedAt = true, at
		}
	}
	return info, true
}
