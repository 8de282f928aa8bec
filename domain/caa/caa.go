package caa

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// CAA (Comprehensive Area Assessment) judgements live in two aggregates:
// the area assessment of an area for a year ([AreaAssessment], kind "caa"),
// which carries red and green flags, and the organisational assessment of a
// council or other body for a year ([OrgAssessment], kind "oa"), which
// carries scores. Both go through the cycle the seeds describe: draft
// judgements, a pre-publication report to the locality, the locality's
// comments and requests for review, the review outcomes, publication (year
// one on 10 December 2009) and, after that, only recorded corrections;
// process.go holds that cycle once, for both.
//
// Every refusal is an *Error whose Rule is one of the constants below.

// Rule ids of the CAA decisions. They are stable: clients match on them.
const (
	RuleCAANotOpened        = "caa.not_opened"
	RuleCAAAlreadyOpened    = "caa.already_opened"
	RuleCAAUnknownArea      = "caa.unknown_area"
	RuleCAAOrgID            = "caa.org_id"
	RuleCAAYear             = "caa.year"
	RuleCAAWrongAggregate   = "caa.wrong_aggregate"
	RuleCAAUnknownCommand   = "caa.unknown_command"
	RuleCAARequired         = "caa.required"
	RuleCAATooLong          = "caa.too_long"
	RuleCAAJudgeRole        = "caa.judge_role"
	RuleCAALocalityRole     = "caa.locality_role"
	RuleCAAFlagID           = "caa.flag_id"
	RuleCAAFlagColour       = "caa.flag_colour"
	RuleCAAFlagExists       = "caa.flag_exists"
	RuleCAAFlagNotFound     = "caa.flag_not_found"
	RuleCAAFlagNotStanding  = "caa.flag_not_standing"
	RuleCAAFlagAfterPrePub  = "caa.flag_after_prepublication"
	RuleCAAThemeConflict    = "caa.theme_conflict"
	RuleCAAIndicator        = "caa.indicator"
	RuleCAAScoreRange       = "caa.score_range"
	RuleCAAScoreElement     = "caa.score_element"
	RuleCAANoScores         = "caa.no_scores"
	RuleCAAPrePubIssued     = "caa.prepublication_issued"
	RuleCAAPrePubRequired   = "caa.prepublication_required"
	RuleCAACommentWindow    = "caa.comment_window"
	RuleCAAPublished        = "caa.published"
	RuleCAAReviewExists     = "caa.review_exists"
	RuleCAAReviewNotFound   = "caa.review_not_found"
	RuleCAAReviewDecided    = "caa.review_decided"
	RuleCAAReviewPending    = "caa.review_pending"
	RuleCAAUnderReview      = "caa.under_review"
	RuleCAAReviewOutcome    = "caa.review_outcome"
	RuleCAAPublicationDate  = "caa.publication_date"
	RuleCAARequestID        = "caa.request_id"
	RuleCAACorrectionTarget = "caa.correction_target"
)

// CAA years. The first assessments were published on 10 December 2009;
// the seeds plan a year two, and the Audit Commission's NIS page records
// that CAA work ended in May 2010, so no later year is accepted.
const (
	FirstYear = 2009
	LastYear  = 2010
)

// Flag colours.
const (
	FlagRed   = "red"
	FlagGreen = "green"
)

// Review outcomes, as the design brief names them.
const (
	ReviewUpheld    = "upheld"
	ReviewAmended   = "amended"
	ReviewWithdrawn = "withdrawn"
)

// caaMaxText bounds free text in commands, so a body cannot grow without limit.
const caaMaxText = 8000

var (
	caaFlagIDPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$`)
	caaRequestIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
)

// AreaAssessmentRef returns the aggregate of the area assessment of area
// (a 2008 SNAC code) for year.
func AreaAssessmentRef(area string, year int) domain.AggregateRef {
	return domain.AggregateRef{Kind: domain.KindAreaAssessment, ID: area + "/" + strconv.Itoa(year)}
}

// OrgAssessmentRef returns the aggregate of the organisational assessment of
// org (see [ValidateOrgID]) for year.
func OrgAssessmentRef(org string, year int) domain.AggregateRef {
	return domain.AggregateRef{Kind: domain.KindOrgAssessment, ID: org + "/" + strconv.Itoa(year)}
}

// caaSplitID splits "<token>/<year>".
func caaSplitID(id string) (string, int, bool) {
	i := strings.LastIndexByte(id, '/')
	if i <= 0 {
		return "", 0, false
	}
	y, err := strconv.Atoi(id[i+1:])
	if err != nil {
		return "", 0, false
	}
	return id[:i], y, true
}

// caaValidNI reports whether n can be a National Indicator number: the set
// runs NI 1 to NI 199 and NI 31 was dropped before it started (see
// refdata/SOURCES.md). Whether an indicator is in the catalogue is the
// catalogue's business; CAA judgements only need a well-formed number.
func caaValidNI(n int) bool { return n >= 1 && n <= 199 && n != 31 }

func caaCheckYear(year int) error {
	if year < FirstYear || year > LastYear {
		return domain.Errorf(domain.EINVALID, RuleCAAYear, "CAA year %d is outside %d-%d, the years CAA ran", year, FirstYear, LastYear)
	}
	return nil
}

func caaCheckArea(area string) error {
	if _, ok := domain.LookupArea(area); !ok {
		return domain.Errorf(domain.ENOTFOUND, RuleCAAUnknownArea, "area %q is not one of the 150 LAA areas (2008 SNAC code expected, for example 00EB)", area)
	}
	return nil
}

func caaRequired(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return domain.Errorf(domain.EINVALID, RuleCAARequired, "%s is required", field)
	}
	if len(v) > caaMaxText {
		return domain.Errorf(domain.EINVALID, RuleCAATooLong, "%s is longer than %d bytes", field, caaMaxText)
	}
	return nil
}

func caaOptional(field, v string) error {
	if len(v) > caaMaxText {
		return domain.Errorf(domain.EINVALID, RuleCAATooLong, "%s is longer than %d bytes", field, caaMaxText)
	}
	return nil
}

func caaCheckFlagID(id string) error {
	if !caaFlagIDPattern.MatchString(id) {
		return domain.Errorf(domain.EINVALID, RuleCAAFlagID, "flag id %q must be 1-16 letters, digits, '-' or '_' (for example R1 or G2)", id)
	}
	return nil
}

func caaCheckRequestID(id string) error {
	if !caaRequestIDPattern.MatchString(id) {
		return domain.Errorf(domain.EINVALID, RuleCAARequestID, "review request id %q must be 1-64 letters, digits, '.', '-' or '_'", id)
	}
	return nil
}

func caaCheckColour(c string) error {
	if c != FlagRed && c != FlagGreen {
		return domain.Errorf(domain.EINVALID, RuleCAAFlagColour, "flag colour %q must be %q or %q", c, FlagRed, FlagGreen)
	}
	return nil
}

// caaCheckIndicators wants at least one related indicator, each a valid NI
// number, none twice.
func caaCheckIndicators(nis []int) error {
	if len(nis) == 0 {
		return domain.Errorf(domain.EINVALID, RuleCAAIndicator, "a flag must name at least one related National Indicator")
	}
	seen := make(map[int]bool, len(nis))
	for _, n := range nis {
		if !caaValidNI(n) {
			return domain.Errorf(domain.EINVALID, RuleCAAIndicator, "NI %d is not a National Indicator number (1-199, NI 31 was dropped)", n)
		}
		if seen[n] {
			return domain.Errorf(domain.EINVALID, RuleCAAIndicator, "NI %d is listed twice", n)
		}
		seen[n] = true
	}
	return nil
}

func caaCheckScore(name string, v int) error {
	if v < 1 || v > 4 {
		return domain.Errorf(domain.EINVALID, RuleCAAScoreRange, "%s score %d is outside 1-4", name, v)
	}
	return nil
}

// caaParseDate parses a publication date, "2009-12-10".
func caaParseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, domain.Errorf(domain.EINVALID, RuleCAAPublicationDate, "publication date %q is not a date like 2009-12-10", s)
	}
	return t, nil
}

// caaCheckJudge refuses anyone but the Audit Commission and the other
// inspectorates: only they make, change and publish CAA judgements.
func caaCheckJudge(m domain.Meta, what string) error {
	if m.Actor.Role != domain.RoleAuditCommission && m.Actor.Role != domain.RoleInspectorate {
		return domain.Errorf(domain.EFORBIDDEN, RuleCAAJudgeRole, "%s: only the Audit Commission or an inspectorate may do this, not %s", what, m.Actor)
	}
	return nil
}

func caaNormTheme(t string) string { return strings.ToLower(strings.Join(strings.Fields(t), " ")) }

func caaWrongAggregate(cmd domain.Command, want domain.AggregateRef) error {
	return domain.Errorf(domain.EINVALID, RuleCAAWrongAggregate, "command %s is for %s, not %s", cmd.CommandType(), cmd.Aggregate(), want)
}

func caaUnknownCommand(kind string, cmd domain.Command) error {
	name := fmt.Sprintf("%T", cmd)
	if cmd != nil {
		name = cmd.CommandType()
	}
	return domain.Errorf(domain.EINVALID, RuleCAAUnknownCommand, "%s cannot decide command %s", kind, name)
}

func caaValidateCmd(cmd domain.Command) error {
	if v, ok := cmd.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

func caaCloneInts(s []int) []int {
	if s == nil {
		return nil
	}
	return append([]int(nil), s...)
}
