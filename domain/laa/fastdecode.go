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

// The fields of each hand-decoded object, in the order encoding/json
// writes them; each decoder's cases are their indexes in the list.
var (
	outturnRecordedFields       = []string{"target", "year", "value", "source", "revision", "previous_value", "previous_source", "at"}
	targetProposedFields        = []string{"target", "ni", "local_code", "title", "kind", "baseline", "values", "rationale", "catalogue_version", "round", "side", "proposed_by", "at"}
	targetCounterProposedFields = []string{"target", "baseline", "values", "rationale", "catalogue_version", "round", "side", "proposed_by", "at"}
	targetAgreedFields          = []string{"target", "round", "proposed_by", "proposed_by_side", "accepted_by", "accepted_by_side", "baseline", "values", "at"}
	baselineFields              = []string{"value", "year", "source"}
)

func (p *bodyParser) outturnRecorded(e *OutturnRecorded) bool {
	return p.Fields(outturnRecordedFields, func(i int) bool {
		switch i {
		case 0:
			return p.Str(&e.Target)
		case 1:
			return p.Str(&e.Year)
		case 2:
			return p.Float(&e.Value)
		case 3:
			return p.Str(&e.Source)
		case 4:
			return p.Int(&e.Revision)
		case 5:
			var f float64
			if !p.Float(&f) {
				return false
			}
			e.PreviousValue = &f
			return true
		case 6:
			return p.Str(&e.PreviousSource)
		case 7:
			return p.Time(&e.At)
		}
		return false
	})
}

func (p *bodyParser) targetProposed(e *TargetProposed) bool {
	return p.Fields(targetProposedFields, func(i int) bool {
		switch i {
		case 0:
			return p.Str(&e.Target)
		case 1:
			return p.Int(&e.NI)
		case 2:
			return p.Str(&e.LocalCode)
		case 3:
			return p.Str(&e.Title)
		case 4:
			return p.Str((*string)(&e.Kind))
		case 5:
			return p.baseline(&e.Baseline)
		case 6:
			return p.values(&e.Values)
		case 7:
			return p.Str(&e.Rationale)
		case 8:
			return p.Int(&e.CatalogueVersion)
		case 9:
			return p.Int(&e.Round)
		case 10:
			return p.Str((*string)(&e.Side))
		case 11:
			return p.Str(&e.ProposedBy)
		case 12:
			return p.Time(&e.At)
		}
		return false
	})
}

func (p *bodyParser) targetCounterProposed(e *TargetCounterProposed) bool {
	return p.Fields(targetCounterProposedFields, func(i int) bool {
		switch i {
		case 0:
			return p.Str(&e.Target)
		case 1:
			return p.baseline(&e.Baseline)
		case 2:
			return p.values(&e.Values)
		case 3:
			return p.Str(&e.Rationale)
		case 4:
			return p.Int(&e.CatalogueVersion)
		case 5:
			return p.Int(&e.Round)
		case 6:
			return p.Str((*string)(&e.Side))
		case 7:
			return p.Str(&e.ProposedBy)
		case 8:
			return p.Time(&e.At)
		}
		return false
	})
}

func (p *bodyParser) targetAgreed(e *TargetAgreed) bool {
	return p.Fields(targetAgreedFields, func(i int) bool {
		switch i {
		case 0:
			return p.Str(&e.Target)
		case 1:
			return p.Int(&e.Round)
		case 2:
			return p.Str(&e.ProposedBy)
		case 3:
			return p.Str((*string)(&e.ProposedBySide))
		case 4:
			return p.Str(&e.AcceptedBy)
		case 5:
			return p.Str((*string)(&e.AcceptedBySide))
		case 6:
			return p.baseline(&e.Baseline)
		case 7:
			return p.values(&e.Values)
		case 8:
			return p.Time(&e.At)
		}
		return false
	})
}

// baseline decodes a baseline object into a new Baseline; a null (which
// leaves the pointer nil) goes to encoding/json.
func (p *bodyParser) baseline(dst **Baseline) bool {
	b := &Baseline{}
	ok := p.Fields(baselineFields, func(i int) bool {
		switch i {
		case 0:
			return p.Float(&b.Value)
		case 1:
			return p.Str(&b.Year)
		case 2:
			return p.Str(&b.Source)
		}
		return false
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
