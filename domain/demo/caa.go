package demo

import (
	"fmt"
	"time"

	"github.com/laaledger/laaledger/domain/caa"

	"github.com/laaledger/laaledger/domain"
)

// CAAFlagRef is the published red flag of the demo history that the LAA
// demo cites to reopen NI 112 (under-18 conception rate) for Hartlepool.
var CAAFlagRef = domain.FlagRef{Area: "00EB", Year: 2009, FlagID: "R1"}

// CAAHistory returns a year-one (2009) CAA history for three areas:
// Hartlepool (00EB, North East), Camden (00AG, London) and Blackburn with
// Darwen (00EX, North West). It runs from draft flags through the
// pre-publication reports of November 2009, a locality comment, one review
// that amends a flag and one that is upheld, to publication on 10 December
// 2009, with organisational assessment scores for the three councils, and
// includes commands the rules refuse.
//
// The flags, themes, rationales, scores and people are ILLUSTRATIVE: they
// are made up to exercise the ledger and are not the judgements the Audit
// Commission and inspectorates published for these councils. Area codes
// come from the reference data, indicator numbers from
// refdata/national_indicators.csv, and the dates from the seeds' timetable
// (pre-publication reports before publication on 10 December 2009).
//
// Command ids run "demo-caa-0001", "demo-caa-0002", ... so the history is
// the same on every call.
func CAAHistory() []Step {
	var steps []Step
	add := func(actor domain.Actor, date string, reason string, cmd domain.Command, expect string) {
		at, err := time.Parse(time.DateOnly, date)
		if err != nil {
			panic("demo_caa: bad date " + date)
		}
		steps = append(steps, Step{
			Meta: domain.Meta{
				CommandID:  fmt.Sprintf("demo-caa-%04d", len(steps)+1),
				Actor:      actor,
				OccurredAt: at.Add(10 * time.Hour),
				Reason:     reason,
			},
			Command:     cmd,
			ExpectError: expect,
		})
	}
	ac := domain.Actor{ID: "demo-caa-lead", Role: domain.RoleAuditCommission, Organisation: "Audit Commission"}
	ofsted := domain.Actor{ID: "demo-ofsted-inspector", Role: domain.RoleInspectorate, Organisation: "Ofsted"}
	la := func(area string) domain.Actor {
		return domain.Actor{ID: "demo-officer-" + area, Role: domain.RoleLA, Organisation: area}
	}
	lsp := func(area string) domain.Actor {
		return domain.Actor{ID: "demo-lsp-" + area, Role: domain.RoleLSP, Organisation: area}
	}
	key := func(area string) caa.CAAKey { return caa.CAAKey{Area: area, Year: 2009} }
	oa := func(area string) caa.OAKey { return caa.OAKey{Org: area, Year: 2009} }
	const (
		hpl = "00EB" // Hartlepool, North East
		cam = "00AG" // Camden, London
		bwd = "00EX" // Blackburn with Darwen, North West
	)

	// Draft judgements.
	for _, a := range []string{hpl, cam, bwd} {
		add(ac, "2009-09-01", "open year-one area assessment", caa.OpenAssessment{CAAKey: key(a)}, "")
	}
	add(ofsted, "2009-10-05", "draft judgement", caa.ProposeFlag{CAAKey: key(hpl), FlagID: "R1", Colour: caa.FlagRed,
		Theme: "Teenage pregnancy", Indicators: []int{112},
		Rationale:        "Illustrative: under-18 conceptions are not falling in line with the agreed trajectory and partners' plans do not yet tackle it adequately.",
		LeadInspectorate: "Ofsted"}, "")
	add(ac, "2009-10-05", "draft judgement", caa.ProposeFlag{CAAKey: key(hpl), FlagID: "G1", Colour: caa.FlagGreen,
		Theme: "Community safety", Indicators: []int{15, 16},
		Rationale:        "Illustrative: partnership work on violent and acquisitive crime others could learn from.",
		LeadInspectorate: "Audit Commission"}, "")
	add(ac, "2009-10-06", "draft judgement", caa.ProposeFlag{CAAKey: key(hpl), FlagID: "G2", Colour: caa.FlagGreen,
		Theme: "teenage  pregnancy", Indicators: []int{112},
		Rationale: "Illustrative: a green flag on a theme that already has a red flag.", LeadInspectorate: "Audit Commission"},
		caa.RuleCAAThemeConflict)
	add(ac, "2009-10-07", "draft judgement", caa.ProposeFlag{CAAKey: key(cam), FlagID: "R1", Colour: caa.FlagRed,
		Theme: "Child health", Indicators: []int{56},
		Rationale:        "Illustrative: obesity among year 6 children is high and rising.",
		LeadInspectorate: "Audit Commission"}, "")
	add(ac, "2009-10-07", "draft judgement", caa.ProposeFlag{CAAKey: key(cam), FlagID: "G1", Colour: caa.FlagGreen,
		Theme: "Independent living", Indicators: []int{136},
		Rationale:        "Illustrative: many people supported to live independently.",
		LeadInspectorate: "Audit Commission"}, "")
	add(ac, "2009-10-08", "draft judgement", caa.ProposeFlag{CAAKey: key(bwd), FlagID: "R1", Colour: caa.FlagRed,
		Theme: "Alcohol harm", Indicators: []int{39},
		Rationale:        "Illustrative: alcohol-related hospital admissions remain high.",
		LeadInspectorate: "Audit Commission"}, "")
	add(ac, "2009-10-08", "draft judgement", caa.ProposeFlag{CAAKey: key(bwd), FlagID: "G1", Colour: caa.FlagGreen,
		Theme: "Community cohesion", Indicators: []int{1},
		Rationale:        "Illustrative: work bringing people from different backgrounds together.",
		LeadInspectorate: "Audit Commission"}, "")
	add(ac, "2009-10-09", "draft judgement", caa.ProposeFlag{CAAKey: key(bwd), FlagID: "G2", Colour: caa.FlagGreen,
		Theme: "Volunteering", Indicators: []int{6},
		Rationale: "Illustrative draft.", LeadInspectorate: "Audit Commission"}, "")
	add(ac, "2009-10-20", "quality assurance", caa.DropFlag{CAAKey: key(bwd), FlagID: "G2",
		Reason: "Illustrative: evidence not strong enough for a green flag."}, "")
	add(ac, "2009-10-21", "quality assurance", caa.ChangeFlag{CAAKey: key(hpl), FlagID: "G1", Colour: caa.FlagGreen,
		Theme: "Community safety", Indicators: []int{15, 16, 20},
		Rationale: "Illustrative: partnership work on violent, acquisitive and assault crime others could learn from."}, "")
	add(ac, "2009-10-22", "publish early", caa.PublishAssessment{CAAKey: key(bwd), PublishedOn: "2009-10-22"}, caa.RuleCAAPrePubRequired)

	// Organisational assessments: draft scores.
	for _, a := range []struct {
		org           string
		mp, uor, over int
	}{{hpl, 3, 3, 3}, {cam, 3, 2, 3}, {bwd, 2, 2, 2}} {
		add(ac, "2009-09-01", "open year-one organisational assessment", caa.OAOpenAssessment{OAKey: oa(a.org)}, "")
		add(ac, "2009-10-12", "draft scores", caa.OAProposeScores{OAKey: oa(a.org),
			OrgScores: caa.OrgScores{ManagingPerformance: a.mp, UseOfResources: a.uor, Overall: a.over, DirectionOfTravel: "Illustrative: improving"},
			Rationale: "Illustrative scores."}, "")
	}
	add(ac, "2009-10-13", "draft scores", caa.OAProposeScores{OAKey: oa(bwd),
		OrgScores: caa.OrgScores{ManagingPerformance: 5, UseOfResources: 2, Overall: 2}, Rationale: "Illustrative: out of range."},
		caa.RuleCAAScoreRange)

	// Pre-publication reports, November 2009.
	for i, a := range []string{hpl, cam, bwd} {
		d := fmt.Sprintf("2009-11-%02d", 2+i)
		add(ac, d, "pre-publication report to the locality", caa.IssuePrePublicationReport{CAAKey: key(a)}, "")
		add(ac, d, "pre-publication report to the council", caa.OAIssuePrePublicationReport{OAKey: oa(a)}, "")
	}
	add(ac, "2009-11-05", "late draft", caa.ProposeFlag{CAAKey: key(hpl), FlagID: "R2", Colour: caa.FlagRed,
		Theme: "Worklessness", Indicators: []int{152}, Rationale: "Illustrative.", LeadInspectorate: "Audit Commission"},
		caa.RuleCAAFlagAfterPrePub)

	// The localities respond.
	add(la(hpl), "2009-11-12", "locality comment", caa.SubmitLocalityComment{CAAKey: key(hpl), FlagID: "R1",
		Comment: "Illustrative: the partnership's new teenage pregnancy strategy started in October 2009."}, "")
	add(la(cam), "2009-11-12", "comment on another area", caa.SubmitLocalityComment{CAAKey: key(hpl),
		Comment: "Illustrative: a council commenting on another area's assessment."}, caa.RuleCAALocalityRole)
	add(lsp(hpl), "2009-11-16", "request review", caa.RequestReview{CAAKey: key(hpl), RequestID: "00EB-2009-RR1", FlagID: "R1",
		Grounds: "Illustrative: the strategy in place answers the concern."}, "")
	add(lsp(cam), "2009-11-16", "request review", caa.RequestReview{CAAKey: key(cam), RequestID: "00AG-2009-RR1", FlagID: "R1",
		Grounds: "Illustrative: the flag should also reflect breastfeeding work under way."}, "")
	add(la(cam), "2009-11-17", "request review", caa.OARequestReview{OAKey: oa(cam), RequestID: "00AG-2009-OA-RR1",
		Element: caa.ScoreUseOfResources, Grounds: "Illustrative: the 2008/09 accounts evidence was not taken into account."}, "")
	add(ac, "2009-11-20", "publish with a review open", caa.PublishAssessment{CAAKey: key(hpl), PublishedOn: "2009-12-10"}, caa.RuleCAAReviewPending)

	// Review outcomes.
	add(ofsted, "2009-11-25", "review decided", caa.DecideReview{CAAKey: key(hpl), RequestID: "00EB-2009-RR1",
		Outcome: caa.ReviewUpheld, Reasons: "Illustrative: the strategy is too new to show it is tackling the concern adequately."}, "")
	add(ac, "2009-11-25", "review decided", caa.DecideReview{CAAKey: key(cam), RequestID: "00AG-2009-RR1",
		Outcome: caa.ReviewAmended, Reasons: "Illustrative: wording amended to reflect early years work.",
		Colour: caa.FlagRed, Theme: "Child health", Indicators: []int{56, 53},
		Rationale: "Illustrative: obesity among year 6 children is high; breastfeeding work has started but is not yet enough."}, "")
	add(ac, "2009-11-26", "review decided", caa.OADecideReview{OAKey: oa(cam), RequestID: "00AG-2009-OA-RR1",
		Outcome: caa.ReviewAmended, Reasons: "Illustrative: further evidence considered.", Score: 3}, "")
	add(ac, "2009-11-27", "review decided again", caa.DecideReview{CAAKey: key(hpl), RequestID: "00EB-2009-RR1",
		Outcome: caa.ReviewUpheld, Reasons: "Illustrative."}, caa.RuleCAAReviewDecided)

	// Publication, 10 December 2009.
	for _, a := range []string{hpl, cam, bwd} {
		add(ac, "2009-12-10", "publication", caa.PublishAssessment{CAAKey: key(a), PublishedOn: "2009-12-10"}, "")
		add(ac, "2009-12-10", "publication", caa.OAPublishAssessment{OAKey: oa(a), PublishedOn: "2009-12-10"}, "")
	}
	add(la(hpl), "2009-12-11", "late comment", caa.SubmitLocalityComment{CAAKey: key(hpl), Comment: "Illustrative: after publication."}, caa.RuleCAACommentWindow)
	add(ac, "2009-12-14", "change after publication", caa.ChangeFlag{CAAKey: key(hpl), FlagID: "G1", Colour: caa.FlagGreen,
		Theme: "Community safety", Indicators: []int{15}, Rationale: "Illustrative."}, caa.RuleCAAPublished)
	// Event ids are given by the ledger, not the domain; the demo cites a
	// placeholder for the event that demo-caa-0009 produced.
	add(ac, "2009-12-14", "correction", caa.RecordCorrection{CAAKey: key(bwd), CorrectsEventID: EventRef("demo-caa-0009", 0),
		Reason: "Illustrative: typing error in the published rationale.", Correction: "Illustrative: read 'admission rates' for 'admissions'."}, "")
	return steps
}
