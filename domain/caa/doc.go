// Package caa holds the Comprehensive Area Assessment aggregates: the area
// assessment (kind "caa", id "<area>/<year>"), whose red and green flags
// are proposed, changed and dropped by the inspectorates, and the
// organisational assessment (kind "oa", id "<org>/<year>"), which scores a
// council or another public body. Both go through the same review and
// publication process: a draft, a pre-publication report, the locality's
// comments, requests for review and their outcome, publication and
// corrections recorded afterwards. The package also holds [Flags], the read
// model of flags that an LAA refresh consults, and [Register], which
// records its types in a [domain.Registry].
//
// It imports only domain. It must not import domain/laa (the agreement
// consults flags through its own FlagView interface, which [Flags]
// satisfies), domain/registry, domain/demo, domain/service, the event
// store, projections or anything under cmd.
//
// Acts and facts: every assessment event is an act in its sequence except
// a correction, a fact about the past that may be dated before later acts
// (the table timings in register.go, explained in docs/TIME.md).
package caa
