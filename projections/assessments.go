package projections

import (
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/registry"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// Assessments holds the current state of every CAA area assessment and
// organisational assessment, folded with the domain's own Apply.
type Assessments struct {
	mu     sync.RWMutex
	areas  map[string]caa.AreaAssessment
	orgs   map[string]caa.OrgAssessment
	refold refoldLog[eventstore.Aggregate]
}

// NewAssessments returns an empty assessments read model.
func NewAssessments() *Assessments {
	a := &Assessments{}
	a.Reset()
	return a
}

// Name implements [ReadModel].
func (a *Assessments) Name() string { return "assessments" }

// Version implements [ReadModel]. 2: the states' JSON names are snake_case
// (version 1 snapshots hold Go field names, whose multi-word fields version
// 2 would read as empty). 3: an aggregate with a late fact or a correction
// is folded in the canonical order.
func (a *Assessments) Version() int { return 3 }

// Reset implements [ReadModel].
func (a *Assessments) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.areas = map[string]caa.AreaAssessment{}
	a.orgs = map[string]caa.OrgAssessment{}
	a.refold.reset()
}

// Apply implements [ReadModel].
func (a *Assessments) Apply(c *eventstore.Commit) error {
	type decoded struct {
		kind, id string
		ev       domain.Event
		at       time.Time
	}
	var evs []decoded
	for i := range c.Events {
		e := &c.Events[i]
		if e.AggregateKind != domain.KindAreaAssessment && e.AggregateKind != domain.KindOrgAssessment {
			continue
		}
		ev, err := registry.DecodeEvent(e.Type, e.SchemaVersion, e.Data)
		if err != nil {
			return err
		}
		evs = append(evs, decoded{e.AggregateKind, e.AggregateID, ev, e.OccurredAt})
	}
	if len(evs) == 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, d := range evs {
		agg := eventstore.Aggregate{Kind: d.kind, ID: d.id}
		if !a.refold.admit(agg, agg, d.ev, d.at) {
			continue
		}
		if d.kind == domain.KindAreaAssessment {
			a.areas[d.id] = a.areas[d.id].Apply(d.ev)
		} else {
			a.orgs[d.id] = a.orgs[d.id].Apply(d.ev)
		}
	}
	return nil
}

// TakeRefolds implements [Refolder].
func (a *Assessments) TakeRefolds() []eventstore.Aggregate {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refold.take()
}

// Area returns an area assessment ("00EB/2009"). Treat it as read-only.
func (a *Assessments) Area(id string) (caa.AreaAssessment, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	s, ok := a.areas[id]
	return s, ok
}

// Org returns an organisational assessment ("00EB/2009"). Treat it as
// read-only.
func (a *Assessments) Org(id string) (caa.OrgAssessment, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	s, ok := a.orgs[id]
	return s, ok
}

// Areas returns every area assessment, by id.
func (a *Assessments) Areas() []caa.AreaAssessment {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return inKeyOrder(a.areas)
}

// Orgs returns every organisational assessment, by id.
func (a *Assessments) Orgs() []caa.OrgAssessment {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return inKeyOrder(a.orgs)
}

// inKeyOrder returns m's values in the order of their keys.
func inKeyOrder[V any](m map[string]V) []V {
	out := make([]V, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

type assessmentsSnapshot struct {
	Areas map[string]caa.AreaAssessment `json:"areas"`
	Orgs  map[string]caa.OrgAssessment  `json:"orgs"`
	// LastAt is each assessment's latest business time, by "kind id".
	LastAt map[string]time.Time `json:"last_at,omitempty"`
}

// WriteSnapshot implements [ReadModel].
func (a *Assessments) WriteSnapshot(w io.Writer) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	last := make(map[string]time.Time, len(a.refold.lastAt))
	for agg, t := range a.refold.lastAt {
		last[agg.Kind+" "+agg.ID] = t
	}
	return json.NewEncoder(w).Encode(assessmentsSnapshot{Areas: a.areas, Orgs: a.orgs, LastAt: last})
}

// ReadSnapshot implements [ReadModel].
func (a *Assessments) ReadSnapshot(r io.Reader) error {
	var s assessmentsSnapshot
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return err
	}
	a.Reset()
	a.mu.Lock()
	defer a.mu.Unlock()
	if s.Areas != nil {
		a.areas = s.Areas
	}
	if s.Orgs != nil {
		a.orgs = s.Orgs
	}
	for k, t := range s.LastAt {
		kind, id, _ := strings.Cut(k, " ")
		a.refold.lastAt[eventstore.Aggregate{Kind: kind, ID: id}] = t
	}
	return nil
}

// RebuildAggregate implements [AggregateRebuilder].
func (a *Assessments) RebuildAggregate(agg eventstore.Aggregate, events []eventstore.Envelope) error {
	if agg.Kind != domain.KindAreaAssessment && agg.Kind != domain.KindOrgAssessment {
		return nil
	}
	stamped, err := stampEnvelopes(events)
	if err != nil {
		return err
	}
	var (
		area caa.AreaAssessment
		org  caa.OrgAssessment
		last time.Time
	)
	for _, e := range domain.Canonical(stamped) {
		area, org = area.Apply(e.Event), org.Apply(e.Event)
		if e.OccurredAt.After(last) {
			last = e.OccurredAt
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refold.lastAt[agg] = last
	switch {
	case agg.Kind == domain.KindAreaAssessment && len(events) > 0:
		a.areas[agg.ID] = area
	case agg.Kind == domain.KindAreaAssessment:
		delete(a.areas, agg.ID)
	case len(events) > 0:
		a.orgs[agg.ID] = org
	default:
		delete(a.orgs, agg.ID)
	}
	return nil
}
