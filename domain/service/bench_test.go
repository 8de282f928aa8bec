package service_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/caa"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore/estest"
)

// BenchmarkExecute measures the command path against the embedded store:
// an accepted command (decided and appended, one synced write), a command
// the rules refuse (nothing written: the store's cache and the decision
// only), and a retry of a stored command (answered from the cache).
func BenchmarkExecute(b *testing.B) {
	l := estest.Open(b)
	ctx := b.Context()
	svc := service.New(l.Store, service.Kinds())
	key := caa.OAKey{Org: "00EB", Year: 2009}
	at := time.Date(2009, 9, 1, 12, 0, 0, 0, time.UTC)
	meta := func(id string, by domain.Actor) domain.Meta {
		return domain.Meta{CommandID: id, Actor: by, OccurredAt: at}
	}
	scores := caa.OAProposeScores{OAKey: key, OrgScores: caa.OrgScores{ManagingPerformance: 3, UseOfResources: 3, Overall: 3},
		Rationale: "benchmark"}
	if _, err := svc.Execute(ctx, meta("open", auditCommission), caa.OAOpenAssessment{OAKey: key}, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Execute(ctx, meta("scores", auditCommission), scores, nil); err != nil {
		b.Fatal(err)
	}

	n := 0 // command ids stay unique however often a sub-benchmark runs
	b.Run("accepted", func(b *testing.B) {
		for range b.N {
			n++
			if _, err := svc.Execute(ctx, meta(fmt.Sprintf("accepted-%d", n), auditCommission), scores, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commands/s")
	})
	b.Run("refused", func(b *testing.B) {
		la := domain.Actor{ID: "la", Role: domain.RoleLA, Organisation: "00EB"}
		for range b.N {
			n++
			_, err := svc.Execute(ctx, meta(fmt.Sprintf("refused-%d", n), la), scores, nil)
			if domain.ErrorRule(err) != caa.RuleCAAJudgeRole {
				b.Fatalf("want %s, got %v", caa.RuleCAAJudgeRole, err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commands/s")
	})
	b.Run("retry", func(b *testing.B) {
		for range b.N {
			res, err := svc.Execute(ctx, meta("scores", auditCommission), scores, nil)
			if err != nil || !res.Duplicate {
				b.Fatalf("want the original result, got %v, %v", res, err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commands/s")
	})
}
