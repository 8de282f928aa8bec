package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

const benchTypeFilter = "test.Agreed"

func benchModels(tl *projections.Timelines) []projections.ReadModel {
	return []projections.ReadModel{tl}
}

func benchAggregates() []eventstore.Aggregate {
	var out []eventstore.Aggregate
	for _, a := range domain.Areas() {
		out = append(out, eventstore.Aggregate{Kind: "laa", ID: a.Code + "/2008-11"})
	}
	return out
}

// generate appends n events, one to three per command, across every area's
// agreement from 64 writers, and returns the last sequence.
func generate(ctx context.Context, s *eventstore.Store, n int) (uint64, error) {
	aggs := benchAggregates()
	const workers = 64
	var (
		mu   sync.Mutex
		last uint64
		werr error
		wg   sync.WaitGroup
	)
	per := n / workers
	for w := range workers {
		quota := per
		if w == workers-1 {
			quota = n - per*(workers-1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			versions := map[eventstore.Aggregate]uint64{}
			at := time.Date(2008, 4, 1, 9, 0, 0, 0, time.UTC)
			var own []eventstore.Aggregate
			for i := w; i < len(aggs); i += workers {
				own = append(own, aggs[i])
			}
			for i := 0; quota > 0; i++ {
				agg := own[i%len(own)]
				k := min(quota, 1+i%3)
				events := make([]eventstore.Event, k)
				for j := range events {
					at = at.Add(time.Hour)
					body, _ := json.Marshal(map[string]any{"target": fmt.Sprintf("NI%d", 1+(i+j)%198), "values": map[string]float64{"2008/09": float64(i % 97), "2009/10": float64(j), "2010/11": 3.5},
						"rationale": "Reduce under-18 conceptions in line with the national strategy; trajectory agreed with the PCT."})
					events[j] = eventstore.Event{Type: testTypes[(i+j)%len(testTypes)], SchemaVersion: 1, Data: body,
						Actor: actors[(i+j)%len(actors)], OccurredAt: at, Reason: "negotiation round"}
				}
				res, err := s.Append(ctx, agg, versions[agg], events, fmt.Sprintf("gen-%d-%d", w, i))
				if err != nil {
					mu.Lock()
					werr = err
					mu.Unlock()
					return
				}
				versions[agg] = res.LastVersion
				quota -= k
				mu.Lock()
				last = max(last, res.Sequence)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return last, werr
}
