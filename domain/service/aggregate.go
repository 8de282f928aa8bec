package service

import (
	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// The domain names an aggregate with its own [domain.AggregateRef], so that
// it imports no infrastructure, and the event store with
// [eventstore.Aggregate]. The two are the same struct; StoreAggregate and
// DomainRef are the one place that translates between them (a field added
// to either stops these conversions compiling).

// StoreAggregate is the event store's name for the domain's aggregate ref.
func StoreAggregate(ref domain.AggregateRef) eventstore.Aggregate { return eventstore.Aggregate(ref) }

// DomainRef is the domain's name for the event store's aggregate a.
func DomainRef(a eventstore.Aggregate) domain.AggregateRef { return domain.AggregateRef(a) }
