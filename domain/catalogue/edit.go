package catalogue

import (
	"fmt"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// SetIndicator adds one indicator to the catalogue or changes the
// attributes of one it holds, leaving every other indicator as it is. A
// nil field keeps the current value; an indicator not yet catalogued needs
// a title. Source says where the new facts come from (a document, a
// dataset): the catalogue records no indicator data without provenance.
// Setting what the catalogue already says records nothing.
type SetIndicator struct {
	NI               int     `json:"ni"`
	Title            *string `json:"title,omitempty"`
	TitleProvisional *bool   `json:"title_provisional,omitempty"`
	Theme            *string `json:"theme,omitempty"`
	DataSource       *string `json:"data_source,omitempty"`
	PlaceSurvey      *bool   `json:"place_survey,omitempty"`
	DCSFStatutory    *bool   `json:"dcsf_statutory,omitempty"`
	Source           string  `json:"source"`
	// EffectiveFrom is the business date the change holds from; zero means
	// the command's business time.
	EffectiveFrom time.Time `json:"effective_from,omitzero"`
}

func (SetIndicator) CommandType() string            { return "nis.SetIndicator" }
func (SetIndicator) Aggregate() domain.AggregateRef { return catalogueRef }

// Validate checks the number, the source, that something is set and that a
// title given is not blank.
func (c SetIndicator) Validate() error {
	if err := checkEdit(c.NI, c.Source, "change", "where the new facts come from"); err != nil {
		return err
	}
	if c.Title == nil && c.TitleProvisional == nil && c.Theme == nil && c.DataSource == nil && c.PlaceSurvey == nil && c.DCSFStatutory == nil {
		return domain.Errorf(domain.EINVALID, "nis.nothing_set", "the change of NI %d sets nothing; give a title, title_provisional, theme, data_source, place_survey or dcsf_statutory", c.NI)
	}
	if c.Title != nil && strings.TrimSpace(*c.Title) == "" {
		return domain.Errorf(domain.EINVALID, "nis.row_title", "the change of NI %d: title is blank", c.NI)
	}
	return nil
}

// WithdrawIndicator removes one indicator from the catalogue from its
// effective date on; its earlier versions stay, so that targets proposed
// while it was catalogued still find it as of their time. Source says on
// what authority it is withdrawn.
type WithdrawIndicator struct {
	NI     int    `json:"ni"`
	Source string `json:"source"`
	// EffectiveFrom is the business date the withdrawal holds from; zero
	// means the command's business time.
	EffectiveFrom time.Time `json:"effective_from,omitzero"`
}

func (WithdrawIndicator) CommandType() string            { return "nis.WithdrawIndicator" }
func (WithdrawIndicator) Aggregate() domain.AggregateRef { return catalogueRef }

// Validate checks the number and the source.
func (c WithdrawIndicator) Validate() error {
	return checkEdit(c.NI, c.Source, "withdrawal", "on what authority it is withdrawn")
}

// checkEdit checks the number and the source of an edit of one
// indicator; what names the edit ("change") and why what its source is
// for.
func checkEdit(ni int, source, what, why string) error {
	if err := checkNI(ni, fmt.Sprintf("NI %d", ni)); err != nil {
		return err
	}
	if strings.TrimSpace(source) == "" {
		return domain.Errorf(domain.EINVALID, "nis.missing_source", "the %s of NI %d names no source (%s)", what, ni, why)
	}
	return nil
}

// checkNI refuses a number outside the National Indicator Set; what names
// the row or command in the message.
func checkNI(ni int, what string) error {
	switch {
	case ni == DroppedNI:
		return domain.Errorf(domain.EINVALID, "nis.row_ni", "%s: NI 31 is not in the National Indicator Set (it was dropped before publication)", what)
	case ni < MinNI || ni > MaxNI:
		return domain.Errorf(domain.EINVALID, "nis.row_ni", "%s: NI %d is outside the National Indicator Set (1 to 199)", what, ni)
	}
	return nil
}

func decideSet(c Catalogue, cmd SetIndicator, eff time.Time) ([]domain.Event, error) {
	next, ok := c.current(cmd.NI)
	if !ok {
		if cmd.Title == nil {
			return nil, domain.Errorf(domain.EINVALID, "nis.set_without_title", "NI %d is not in the catalogue; adding it needs a title", cmd.NI)
		}
		next = Indicator{NI: cmd.NI}
	}
	str := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	flag := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	str(&next.Title, cmd.Title)
	flag(&next.TitleProvisional, cmd.TitleProvisional)
	str(&next.Theme, cmd.Theme)
	str(&next.DataSource, cmd.DataSource)
	flag(&next.PlaceSurvey, cmd.PlaceSurvey)
	flag(&next.DCSFStatutory, cmd.DCSFStatutory)
	src := strings.TrimSpace(cmd.Source)
	events := change(c, Indicator{NI: next.NI, Title: next.Title, TitleProvisional: next.TitleProvisional, Theme: next.Theme,
		DataSource: next.DataSource, PlaceSurvey: next.PlaceSurvey, DCSFStatutory: next.DCSFStatutory, Source: src, EffectiveFrom: eff}, src)
	return events, nil
}

func decideWithdraw(c Catalogue, cmd WithdrawIndicator, eff time.Time) ([]domain.Event, error) {
	if _, ok := c.current(cmd.NI); !ok {
		return nil, domain.Errorf(domain.ENOTFOUND, "nis.not_catalogued", "NI %d is not in the catalogue, so there is nothing to withdraw", cmd.NI)
	}
	src := strings.TrimSpace(cmd.Source)
	return []domain.Event{IndicatorWithdrawn{NI: cmd.NI, Source: src, EffectiveFrom: eff, Import: src}}, nil
}
