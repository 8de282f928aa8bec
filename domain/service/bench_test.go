package service_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/caa"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
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

// BenchmarkExecuteOnColdAggregate decides and appends commands on
// aggregates whose histories are long, with a store cache of one event and
// one folded state per kind, alternating between two aggregates so that
// every command misses both caches: each decision starts from the
// aggregate's snapshot and the events after it. The latency should not
// depend on the history's length.
func BenchmarkExecuteOnColdAggregate(b *testing.B) {
	at := time.Date(2009, 9, 1, 12, 0, 0, 0, time.UTC)
	meta := func(id string) domain.Meta {
		return domain.Meta{CommandID: id, Actor: auditCommission, OccurredAt: at}
	}
	for _, history := range []int{500, 2000, 6700} {
		l := estest.Open(b, func(c *eventstore.Config) {
			c.CacheEvents = 1
			c.SyncInterval = time.Minute // filling the histories; durability is not under test
		})
		ctx := b.Context()
		svc := service.New(l.Store, service.Kinds(), service.WithFoldedStates(1))
		var keys []caa.OAKey
		for _, a := range domain.Areas()[:2] {
			keys = append(keys, caa.OAKey{Org: a.Code, Year: 2009})
		}
		scores := func(k caa.OAKey) caa.OAProposeScores {
			return caa.OAProposeScores{OAKey: k, OrgScores: caa.OrgScores{ManagingPerformance: 3, UseOfResources: 3, Overall: 3},
				Rationale: "benchmark"}
		}
		for _, k := range keys {
			if _, err := svc.Execute(ctx, meta("open-"+k.Org), caa.OAOpenAssessment{OAKey: k}, nil); err != nil {
				b.Fatal(err)
			}
		}
		for i := 1; i < history; i++ {
			for _, k := range keys {
				if _, err := svc.Execute(ctx, meta(fmt.Sprintf("fill-%s-%d", k.Org, i)), scores(k), nil); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := l.Store.FlushSnapshots(ctx); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := range b.N {
				k := keys[i%2]
				began := time.Now()
				if _, err := svc.Execute(ctx, meta(fmt.Sprintf("cold-%s-%d-%d", k.Org, b.N, i)), scores(k), nil); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(began))
			}
			slices.Sort(lat)
			q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1e3 }
			b.ReportMetric(q(0.50), "p50_ms")
			b.ReportMetric(q(0.99), "p99_ms")
		})
	}
}
