package caa

import (
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// caaGen draws commands that are often valid and often not: a small set of
// flag ids, themes, request ids and actors so sequences collide.
type caaGen struct{ r *rand.Rand }

func (g caaGen) pick(xs ...string) string { return xs[g.r.Intn(len(xs))] }

func (g caaGen) nis() []int {
	pool := []int{1, 15, 16, 39, 56, 112, 116, 136, 199, 1, 112, 56, 31, 200, 0}
	n := g.r.Intn(3)
	if g.r.Intn(10) == 0 {
		n = 0
	}
	out := make([]int, 0, n+1)
	for range n + 1 {
		out = append(out, pool[g.r.Intn(len(pool))])
	}
	return out
}

func (g caaGen) actor() domain.Actor {
	switch g.r.Intn(6) {
	case 0, 1:
		return caaAC
	case 2:
		return caaInsp
	case 3:
		return domain.Actor{ID: "x", Role: domain.RoleLA, Organisation: g.pick("00EB", "00EB", "00AG")}
	case 4:
		return caaLSP
	default:
		return domain.Actor{ID: "x", Role: domain.Roles[g.r.Intn(len(domain.Roles))], Organisation: g.pick("00EB", "North East")}
	}
}

// actorFor picks, most of the time, an actor the command's rules allow, so
// that sequences get far into the cycle; otherwise anyone.
func (g caaGen) actorFor(cmd domain.Command) domain.Actor {
	if g.r.Intn(5) == 0 {
		return g.actor()
	}
	switch cmd.(type) {
	case SubmitLocalityComment, RequestReview, OASubmitComment, OARequestReview:
		if _, ok := cmd.(RequestReview); ok && g.r.Intn(2) == 0 {
			return caaLSP
		}
		return caaLA
	}
	if g.r.Intn(2) == 0 {
		return caaInsp
	}
	return caaAC
}

func (g caaGen) areaCmd() domain.Command {
	k := caaK
	if g.r.Intn(40) == 0 {
		k = CAAKey{Area: "00AG", Year: 2009}
	}
	flag := g.pick("R1", "R2", "G1", "G2", "R1", "G1", "bad id")
	colour := g.pick(FlagRed, FlagGreen, FlagRed, FlagGreen, "amber")
	theme := g.pick("Health", "health ", "Crime", "Skills", "Health", "Crime", "")
	rq := g.pick("RR1", "RR2", "RR3", "RR4")
	switch n := g.r.Intn(30); {
	case n == 0:
		return OpenAssessment{CAAKey: k}
	case n <= 6:
		return ProposeFlag{CAAKey: k, FlagID: flag, Colour: colour, Theme: theme, Indicators: g.nis(), Rationale: "r", LeadInspectorate: "AC"}
	case n <= 8:
		return ChangeFlag{CAAKey: k, FlagID: flag, Colour: colour, Theme: theme, Indicators: g.nis(), Rationale: "r"}
	case n == 9:
		return DropFlag{CAAKey: k, FlagID: flag, Reason: "r"}
	case n <= 11:
		return IssuePrePublicationReport{CAAKey: k}
	case n <= 13:
		return SubmitLocalityComment{CAAKey: k, FlagID: g.pick("", flag), Comment: "c"}
	case n <= 18:
		return RequestReview{CAAKey: k, RequestID: rq, FlagID: flag, Grounds: "g"}
	case n <= 25:
		c := DecideReview{CAAKey: k, RequestID: rq, Outcome: g.pick(ReviewUpheld, ReviewAmended, ReviewWithdrawn, "maybe"), Reasons: "r"}
		if c.Outcome == ReviewAmended || g.r.Intn(10) == 0 {
			c.Colour, c.Theme, c.Indicators, c.Rationale = colour, theme, g.nis(), "r"
		}
		return c
	case n == 26:
		return PublishAssessment{CAAKey: k, PublishedOn: g.pick("2009-12-10", "2009-12-10", "tenth")}
	default:
		return RecordCorrection{CAAKey: k, CorrectsEventID: g.pick("e1", ""), Reason: "r", Correction: "c"}
	}
}

func (g caaGen) orgCmd() domain.Command {
	k := oaK
	if g.r.Intn(40) == 0 {
		k = OAKey{Org: "00AG", Year: 2009}
	}
	score := func() int { return g.r.Intn(7) - 1 }
	el := g.pick(ScoreElements...)
	rq := g.pick("RR1", "RR2", "RR3")
	switch g.r.Intn(9) {
	case 0:
		return OAOpenAssessment{OAKey: k}
	case 1, 2:
		return OAProposeScores{OAKey: k, OrgScores: OrgScores{ManagingPerformance: score(), UseOfResources: score(), Overall: score(),
			DirectionOfTravel: g.pick("", "improving")}, Rationale: "r"}
	case 3:
		return OAIssuePrePublicationReport{OAKey: k}
	case 4:
		return OASubmitComment{OAKey: k, Element: g.pick("", el), Comment: "c"}
	case 5:
		return OARequestReview{OAKey: k, RequestID: rq, Element: el, Grounds: "g"}
	case 6:
		c := OADecideReview{OAKey: k, RequestID: rq, Outcome: g.pick(ReviewUpheld, ReviewAmended, ReviewWithdrawn), Reasons: "r"}
		if c.Outcome == ReviewAmended {
			if g.r.Intn(2) == 0 {
				c.Score = score()
			} else {
				c.DirectionOfTravel = "improving well"
			}
		}
		return c
	case 7:
		return OAPublishAssessment{OAKey: k, PublishedOn: "2009-12-10"}
	default:
		return OARecordCorrection{OAKey: k, CorrectsEventID: "e", Reason: "r", Correction: "c"}
	}
}

func caaCheckRefusal(t *testing.T, where string, err error) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Rule == "" || de.Code == "" || de.Message == "" {
		t.Fatalf("%s: refusal is not a complete *Error: %#v", where, err)
	}
}

func caaCheckAreaInvariants(t *testing.T, where string, s AreaAssessment) {
	t.Helper()
	standing := map[string]string{} // theme -> colour
	for id, f := range s.Flags {
		if f.ID != id || (f.Colour != FlagRed && f.Colour != FlagGreen) || caaCheckIndicators(f.Indicators) != nil {
			t.Fatalf("%s: malformed flag %+v", where, f)
		}
		if f.Status != StatusStanding {
			continue
		}
		th := caaNormTheme(f.Theme)
		if c, ok := standing[th]; ok && c != f.Colour {
			t.Fatalf("%s: red and green flags stand on theme %q: %+v", where, f.Theme, s.Flags)
		}
		standing[th] = f.Colour
	}
	if s.Published && len(s.PendingReviews()) > 0 {
		t.Fatalf("%s: published with pending reviews", where)
	}
}

func TestAreaAssessmentRandomSequencesKeepInvariants(t *testing.T) {
	var accepted, refused, published, decided int
	for seed := int64(1); seed <= 40; seed++ {
		g := caaGen{rand.New(rand.NewSource(seed))}
		for run := range 25 {
			var s AreaAssessment
			var all []domain.Event
			var atPublication *AreaAssessment
			for i := range 80 {
				where := fmt.Sprintf("seed %d run %d step %d", seed, run, i)
				cmd := g.areaCmd()
				m := domain.Meta{CommandID: where, Actor: g.actorFor(cmd), OccurredAt: time.Date(2009, 11, 1, 0, 0, 0, 0, time.UTC)}
				if i == 0 {
					cmd, m.Actor = OpenAssessment{CAAKey: caaK}, caaAC
				}
				before := s.clone()
				evs, err := DecideAreaAssessment(s, m, cmd, nil)
				if !reflect.DeepEqual(before, s) {
					t.Fatalf("%s: Decide changed its input", where)
				}
				if err != nil {
					refused++
					caaCheckRefusal(t, where, err)
					if evs != nil {
						t.Fatalf("%s: refusal with events", where)
					}
					continue
				}
				accepted++
				for _, e := range evs {
					if s.Published {
						switch e.(type) {
						case CorrectionRecorded, ReviewDecided:
						default:
							t.Fatalf("%s: %s after publication", where, e.EventType())
						}
					}
					if _, ok := e.(ReviewDecided); ok {
						decided++
					}
					s = s.Apply(e)
					all = append(all, e)
				}
				caaCheckAreaInvariants(t, where, s)
				if s.Published && atPublication == nil {
					p := s.clone()
					atPublication = &p
					published++
				}
				if atPublication != nil && !reflect.DeepEqual(atPublication.Flags, s.Flags) {
					t.Fatalf("%s: flags changed after publication", where)
				}
				if got := FoldAreaAssessment(all); !reflect.DeepEqual(got, s) {
					t.Fatalf("%s: folding the events from zero gives\n%+v\nnot\n%+v", where, got, s)
				}
				if s.Version != len(all) {
					t.Fatalf("%s: version %d after %d events", where, s.Version, len(all))
				}
			}
		}
	}
	// The generator must reach both sides, or the test proves nothing.
	t.Logf("accepted %d, refused %d, published %d, reviews decided %d", accepted, refused, published, decided)
	if accepted < 1000 || refused < 1000 || published < 50 || decided < 50 {
		t.Fatalf("accepted %d, refused %d, published %d, reviews decided %d: generator too narrow", accepted, refused, published, decided)
	}
}

func TestOrgAssessmentRandomSequencesKeepInvariants(t *testing.T) {
	var accepted, refused, published int
	for seed := int64(1); seed <= 40; seed++ {
		g := caaGen{rand.New(rand.NewSource(seed))}
		for run := range 25 {
			var s OrgAssessment
			var all []domain.Event
			var atPublication *OrgScores
			for i := range 60 {
				where := fmt.Sprintf("seed %d run %d step %d", seed, run, i)
				cmd := g.orgCmd()
				a := g.actorFor(cmd)
				if i == 0 {
					cmd, a = OAOpenAssessment{OAKey: oaK}, caaAC
				}
				m := domain.Meta{CommandID: where, Actor: a, OccurredAt: time.Date(2009, 11, 1, 0, 0, 0, 0, time.UTC)}
				evs, err := DecideOrgAssessment(s, m, cmd, nil)
				if err != nil {
					refused++
					caaCheckRefusal(t, where, err)
					continue
				}
				accepted++
				for _, e := range evs {
					if s.Published {
						switch e.(type) {
						case OACorrectionRecorded, OAReviewDecided:
						default:
							t.Fatalf("%s: %s after publication", where, e.EventType())
						}
					}
					s = s.Apply(e)
					all = append(all, e)
				}
				for _, v := range []int{s.Scores.ManagingPerformance, s.Scores.UseOfResources, s.Scores.Overall} {
					if v < 0 || v > 4 || (v == 0 && s.ScoresProposed && len(s.Reviews) == 0) {
						t.Fatalf("%s: score out of range: %+v", where, s.Scores)
					}
				}
				if s.Published && atPublication == nil {
					p := s.Scores
					atPublication = &p
					published++
				}
				if atPublication != nil && *atPublication != s.Scores {
					t.Fatalf("%s: scores changed after publication", where)
				}
				if got := FoldOrgAssessment(all); !reflect.DeepEqual(got, s) {
					t.Fatalf("%s: folding the events from zero gives %+v, not %+v", where, got, s)
				}
			}
		}
	}
	t.Logf("accepted %d, refused %d, published %d", accepted, refused, published)
	if accepted < 1000 || refused < 1000 || published < 50 {
		t.Fatalf("accepted %d, refused %d, published %d: generator too narrow", accepted, refused, published)
	}
}
