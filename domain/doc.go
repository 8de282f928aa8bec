// Package domain holds the rules of Local Area Agreement (LAA) negotiation and
// Comprehensive Area Assessment (CAA): commands, events, the decision
// functions (state + command → events or a typed *Error), the folds
// (state + event → state) and the embedded reference data.
//
// The package is pure. It must not import the event store, NATS, net/http,
// the file system (beyond the embedded reference data) or a clock: business
// time, ids and reference views are passed in. That keeps every rule fast to
// test and makes a replay deterministic.
//
// Aggregates, each identified by a kind and an id whose tokens are joined
// with "/":
//
//	laa  agreement             area/period   00EB/2008-11
//	caa  area assessment       area/year     00EB/2009
//	oa   organisational assess org/year      00EB/2009
//	nis  indicator catalogue   "catalogue"
//
// Areas are identified by their 2008 ONS/SNAC code (see refdata/SOURCES.md).
//
// Every event and command type is listed once, in registry.go; the
// registries are built when the package is initialised, and no init
// function writes them. The demo histories live outside the pure domain, in
// package domain/demo, which imports this one; this package must not import
// it, nor anything else of this repository.
package domain
