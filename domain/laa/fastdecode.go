package laa

import (
	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/jsonscan"
)

// A rebuild of the read models decodes every stored event body, and
// encoding/json spends most of that time on reflection and on checking the
// whole input before decoding it. The commonest LAA events are therefore
// decoded by hand, with the module's one JSON scanner, domain/jsonscan
// (pure, like the domain). The hand-written decoder is a fast path, not a
// second definition of the format: it accepts only input it can decode
// exactly as encoding/json would (any field order, whitespace, escaped strings,
// unknown fields) and reports false on everything else — a syntax error, a
// null, a duplicated or case-folded key, a number that does not parse as
// encoding/json parses it — so that [domain.Registry.DecodeEvent] hands the body to
// encoding/json, whose result or error then stands. The fuzz tests in
// domain/registry/fastdecode_test.go compare the two.

// DecodeFast decodes the body of a schema version 1 event of one of the
// hand-decoded types, or reports false.
func DecodeFast(typ string, data []byte) (domain.Event, bool) {
	p := bodyParser{jsonscan.New(data)}
	var (
		e  domain.Event
		ok bool
	)
	switch typ {
	case "laa.OutturnRecorded":
		var v OutturnRecorded
		ok = p.outturnRecorded(&v)
		e = v
	case "laa.TargetProposed":
		var v TargetProposed
		ok = p.targetProposed(&v)
		e = v
	case "laa.TargetCounterProposed":
		var v TargetCounterProposed
		ok = p.targetCounterProposed(&v)
		e = v
	case "laa.TargetAgreed":
		var v TargetAgreed
		ok = p.targetAgreed(&v)
		e = v
	default:
		return nil, false
	}
	if !ok {
		return nil, false
	}
	if !p.End() {
		return nil, false
	}
	return e, true
}

// Field names of each hand-decoded object, for refusing keys that match
// one only without regard to case.
var (
	outturnRecordedFields       = []string{"target", "year", "value", "source", "revision", "previous_value", "previous_source", "at"}
	targetProposedFields        = []string{"target", "ni", "local_code", "title", "kind", "baseline", "values", "rationale", "catalogue_version", "round", "side", "proposed_by", "at"}
	targetCounterProposedFields = []string{"target", "baseline", "values", "rationale", "catalogue_version", "round", "side", "proposed_by", "at"}
	targetAgreedFields          = []string{"target", "round", "proposed_by", "proposed_by_side", "accepted_by", "accepted_by_side", "baseline", "values", "at"}
	baselineFields              = []string{"value", "year", "source"}
)

func (p *bodyParser) outturnRecorded(e *OutturnRecorded) bool {
	var seen jsonscan.Seen
	return p.Object(func(key []byte) bool {
		switch string(key) {
		case "target":
			return seen.First(0) && p.Str(&e.Target)
		case "year":
			return seen.First(1) && p.Str(&e.Year)
		case "value":
			return seen.First(2) && p.Float(&e.Value)
		case "source":
			return seen.First(3) && p.Str(&e.Source)
		case "revision":
			return seen.First(4) && p.Int(&e.Revision)
		case "previous_value":
			if !seen.First(5) {
				return false
			}
			var f float64
			if !p.Float(&f) {
				return false
			}
			e.PreviousValue = &f
			return true
		case "previous_source":
			return seen.First(6) && p.Str(&e.PreviousSource)
		case "at":
			return seen.First(7) && p.Time(&e.At)
		}
		return p.Unknown(key, outturnRecordedFields)
	})
}

func (p *bodyParser) targetProposed(e *TargetProposed) bool {
	var seen jsonscan.Seen
	return p.Object(func(key []byte) bool {
		switch string(key) {
		case "target":
			return seen.First(0) && p.Str(&e.Target)
		case "ni":
			return seen.First(1) && p.Int(&e.NI)
		case "local_code":
			return seen.First(2) && p.Str(&e.LocalCode)
		case "title":
			return seen.First(3) && p.Str(&e.Title)
		case "kind":
			return seen.First(4) && p.Str((*string)(&e.Kind))
		case "baseline":
			return seen.First(5) && p.baseline(&e.Baseline)
		case "values":
			return seen.First(6) && p.values(&e.Values)
		case "rationale":
			return seen.First(7) && p.Str(&e.Rationale)
		case "catalogue_version":
			return seen.First(8) && p.Int(&e.CatalogueVersion)
		case "round":
			return seen.First(9) && p.Int(&e.Round)
		case "side":
			return seen.First(10) && p.Str((*string)(&e.Side))
		case "proposed_by":
			return seen.First(11) && p.Str(&e.ProposedBy)
		case "at":
			return seen.First(12) && p.Time(&e.At)
		}
		return p.Unknown(key, targetProposedFields)
	})
}

func (p *bodyParser) targetCounterProposed(e *TargetCounterProposed) bool {
	var seen jsonscan.Seen
	return p.Object(func(key []byte) bool {
		switch string(key) {
		case "target":
			return seen.First(0) && p.Str(&e.Target)
		case "baseline":
			return seen.First(1) && p.baseline(&e.Baseline)
		case "values":
			return seen.First(2) && p.values(&e.Values)
		case "rationale":
			return seen.First(3) && p.Str(&e.Rationale)
		case "catalogue_version":
			return seen.First(4) && p.Int(&e.CatalogueVersion)
		case "round":
			return seen.First(5) && p.Int(&e.Round)
		case "side":
			return seen.First(6) && p.Str((*string)(&e.Side))
		case "proposed_by":
			return seen.First(7) && p.Str(&e.ProposedBy)
		case "at":
			return seen.First(8) && p.Time(&e.At)
		}
		return p.Unknown(key, targetCounterProposedFields)
	})
}

func (p *bodyParser) targetAgreed(e *TargetAgreed) bool {
	var seen jsonscan.Seen
	return p.Object(func(key []byte) bool {
		switch string(key) {
		case "target":
			return seen.First(0) && p.Str(&e.Target)
		case "round":
			return seen.First(1) && p.Int(&e.Round)
		case "proposed_by":
			return seen.First(2) && p.Str(&e.ProposedBy)
		case "proposed_by_side":
			return seen.First(3) && p.Str((*string)(&e.ProposedBySide))
		case "accepted_by":
			return seen.First(4) && p.Str(&e.AcceptedBy)
		case "accepted_by_side":
			return seen.First(5) && p.Str((*string)(&e.AcceptedBySide))
		case "baseline":
			return seen.First(6) && p.baseline(&e.Baseline)
		case "values":
			return seen.First(7) && p.values(&e.Values)
		case "at":
			return seen.First(8) && p.Time(&e.At)
		}
		return p.Unknown(key, targetAgreedFields)
	})
}

// baseline decodes a baseline object into a new Baseline; a null (which
// leaves the pointer nil) goes to encoding/json.
func (p *bodyParser) baseline(dst **Baseline) bool {
	b := &Baseline{}
	var seen jsonscan.Seen
	ok := p.Object(func(key []byte) bool {
		switch string(key) {
		case "value":
			return seen.First(0) && p.Float(&b.Value)
		case "year":
			return seen.First(1) && p.Str(&b.Year)
		case "source":
			return seen.First(2) && p.Str(&b.Source)
		}
		return p.Unknown(key, baselineFields)
	})
	if !ok {
		return false
	}
	*dst = b
	return true
}

// values decodes an object of numbers into a new map, as encoding/json
// does: a repeated key keeps its last value. A null goes to encoding/json.
func (p *bodyParser) values(dst *Values) bool {
	m := make(Values, 4)
	ok := p.Map(func(key string) bool {
		var f float64
		if !p.Float(&f) {
			return false
		}
		m[key] = f
		return true
	})
	if ok {
		*dst = m
	}
	return ok
}

// bodyParser walks one event body with the shared scanner. Every method
// returns false when it meets something the fast path does not decode.
type bodyParser struct {
	jsonscan.Scanner
}
