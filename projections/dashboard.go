package projections

import (
	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/laa"
)

// Dashboard is the counts the dashboards show.
type Dashboard struct {
	// AgreementsByRegion counts agreements by region, then status.
	AgreementsByRegion map[string]map[laa.AgreementStatus]int `json:"agreements_by_region"`
	// TargetsByIndicator counts targets on each National Indicator, by
	// state (local targets without an NI are not counted).
	TargetsByIndicator map[int]map[TargetState]int `json:"targets_by_indicator"`
	// FlagsByColour counts standing CAA flags (not dropped, not withdrawn)
	// by colour, then theme.
	FlagsByColour map[string]map[string]int `json:"flags_by_colour"`
}

// CountDashboard computes the dashboard counts from the current state. It
// walks every agreement and assessment (a few hundred), which costs well
// under a millisecond and can never drift from the states it counts.
func CountDashboard(ag *Agreements, as *Assessments) Dashboard {
	d := Dashboard{
		AgreementsByRegion: map[string]map[laa.AgreementStatus]int{},
		TargetsByIndicator: map[int]map[TargetState]int{},
		FlagsByColour:      map[string]map[string]int{},
	}
	if ag != nil {
		ag.mu.RLock()
		for _, s := range ag.states {
			if d.AgreementsByRegion[s.Region] == nil {
				d.AgreementsByRegion[s.Region] = map[laa.AgreementStatus]int{}
			}
			d.AgreementsByRegion[s.Region][s.Status]++
			for _, t := range s.Targets {
				if t.NI == 0 {
					continue
				}
				if d.TargetsByIndicator[t.NI] == nil {
					d.TargetsByIndicator[t.NI] = map[TargetState]int{}
				}
				d.TargetsByIndicator[t.NI][TargetStateOf(s, *t)]++
			}
		}
		ag.mu.RUnlock()
	}
	if as != nil {
		as.mu.RLock()
		for _, s := range as.areas {
			for _, f := range s.Flags {
				if f.Status != caa.StatusStanding {
					continue
				}
				if d.FlagsByColour[f.Colour] == nil {
					d.FlagsByColour[f.Colour] = map[string]int{}
				}
				d.FlagsByColour[f.Colour][f.Theme]++
			}
		}
		as.mu.RUnlock()
	}
	return d
}
