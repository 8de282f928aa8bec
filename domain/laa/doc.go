// Package laa holds the Local Area Agreement aggregate (kind "laa", id
// "<area>/<period>"): the [Agreement] and its [Target]s, the commands and
// events of negotiation, sign-off, annual review, refresh, outturns and
// corrections, the decision [DecideAgreement] and the fold
// [Agreement.Apply] (with an in-place variant for rebuilds), the fast
// decoders of its commonest events ([DecodeFast]) and [Register], which
// records its types in a [domain.Registry].
//
// Acts and facts: each event type is an act in the agreement's sequence
// or a fact about its past (the table timings in events.go, explained in
// docs/TIME.md). Acts keep business-time order (laa.time_order); an
// outturn or a correction may be dated before later acts, within the
// agreement's life. Folds apply events in the canonical order of
// [domain.Canonical], where a [CorrectionRecorded] carrying a corrected
// body replaces the body of the event it corrects.
//
// A refresh may reopen a locked target on CAA grounds; the decision asks
// a [FlagView] about the flag, which the caller builds from the area
// assessments (package domain/caa has one). This package therefore does
// not import domain/caa.
//
// It imports domain, domain/catalogue (a proposal is checked against the
// catalogue as of its date) and domain/jsonscan (the fast decoders). It
// must not import domain/caa, domain/registry, domain/demo, domain/service,
// the event store, projections or anything under cmd.
package laa
