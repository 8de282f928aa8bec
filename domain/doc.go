// Package domain is the shared core of the rules of Local Area Agreement
// (LAA) negotiation and Comprehensive Area Assessment (CAA): who acts
// ([Actor], [Role]), what accompanies a command ([Meta]), the [Event] and
// [Command] interfaces, [AggregateRef] and the aggregate kinds, the typed
// [Error] with its codes and rule ids, the [History] a decision may consult,
// the [Timing] of events (acts in a sequence and facts about the past) and
// [Canonical], the one order every fold uses, with corrections applied,
// the [Registry] that encodes and decodes events and commands (with the
// input checks every command body passes), the flag reference shared by the
// agreement and the area assessment ([FlagRef], [FlagInfo]) and the embedded
// reference data (areas, regions, the national indicator set).
//
// Each aggregate has its own package, which imports this one:
//
//	domain/catalogue  nis  indicator catalogue   "catalogue"
//	domain/laa        laa  agreement             area/period   00EB/2008-11
//	domain/caa        caa  area assessment       area/year     00EB/2009
//	domain/caa        oa   organisational assess org/year      00EB/2009
//
// Package domain/registry is the one place that lists them, building the
// registry of every event and command type; no init function writes it.
// Areas are identified by their 2008 ONS/SNAC code (see refdata/SOURCES.md).
//
// The domain is pure. Its packages must not import the event store, NATS,
// net/http, the file system (beyond the embedded reference data) or a
// clock: business time, ids and reference views are passed in. That keeps
// every rule fast to test and makes a replay deterministic. This package
// must not import the aggregate packages, domain/registry, domain/demo or
// domain/service, nor anything else of this repository but domain/errcode.
package domain
