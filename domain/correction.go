package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"
)

// A correction names an earlier event of its own aggregate and may carry
// that event's corrected body: corrected_type, the original's event type,
// and corrected, the whole body as it should have read. The folds put the
// corrected body in the original's place ([Canonical]). The rules below
// are the same for every aggregate that records corrections; their ids
// are "<prefix>.correction_payload" and so on, with the aggregate's rule
// prefix ("laa", "caa").

// CheckCorrectionPayload checks the shape of a correction command's
// corrected payload, as its Validate does: none, or a JSON object together
// with the type it is a body of (<prefix>.correction_payload).
func CheckCorrectionPayload(prefix, ref, typ string, body json.RawMessage) error {
	if len(body) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return Errorf(EINVALID, prefix+".correction_payload", "the corrected payload of event %s must be a JSON object", ref)
	}
	if typ == "" {
		return Errorf(EINVALID, prefix+".correction_payload", "a corrected payload needs corrected_type, the event type it is a body of")
	}
	return nil
}

// Correction is a correction command as [DecideCorrection] checks it.
type Correction struct {
	// Prefix starts the rule ids ("laa", "caa").
	Prefix string
	// Ref names the corrected event (corrects_event_id); Type and Body are
	// the corrected payload, Body empty for a correction that is a note.
	Ref  string
	Type string
	Body json.RawMessage
	// At is the correction's business time.
	At time.Time
	// Events are the aggregate's event types: a corrected body must decode
	// strictly as one of them.
	Events []Event
	// Identity names the fields (Go names) that say what an event is
	// about (a target and year, a flag id): a corrected body keeps them.
	// CorrectsEventID and CorrectedType are always kept, so that a
	// correction of a correction corrects only what it said.
	Identity []string
	// Check, if not nil, checks the values of a corrected body as the
	// command that produced the original was checked.
	Check func(Event) error
}

// DecideCorrection checks a correction against h, the history of its
// aggregate, and returns the corrected body to store, nil for a note. The
// named event must be in h (correction.unknown_event); the correction may
// not be dated before it (<prefix>.correction_before_original); a
// corrected body must be of the original's type (<prefix>.correction_type),
// decode strictly as that type, keep the original's identity fields and
// pass Check (<prefix>.correction_payload), and keep its business time, a
// field At, which is filled in when missing (<prefix>.correction_time): a
// correction changes what an event said, not when it happened or what it
// is about. With a nil h (deciding without the ledger's record) only what
// needs no original is checked.
func DecideCorrection(h History, cmd Command, c Correction) (json.RawMessage, error) {
	orig, err := FindCorrected(h, cmd, c.Ref)
	if err != nil {
		return nil, err
	}
	known := orig.EventID != "" || orig.CommandID != ""
	if known && c.At.Before(orig.OccurredAt) {
		return nil, Errorf(ECONFLICT, c.Prefix+".correction_before_original", "the correction of event %s is dated %s, before the event it corrects (%s)",
			c.Ref, c.At.Format(time.DateOnly), orig.OccurredAt.Format(time.DateOnly))
	}
	if len(c.Body) == 0 {
		return nil, nil
	}
	payload := func(format string, args ...any) error {
		return Errorf(EINVALID, c.Prefix+".correction_payload", "the corrected body of event %s: "+format, append([]any{c.Ref}, args...)...)
	}
	if known && c.Type != orig.Type {
		return nil, Errorf(EINVALID, c.Prefix+".correction_type", "event %s is a %s; its corrected body must be one too, not a %s", c.Ref, orig.Type, c.Type)
	}
	body, err := DecodeBody(c.Events, c.Type, c.Body)
	if err != nil {
		return nil, payload("not a valid %s body: %v", c.Type, err)
	}
	// The corrected body states facts as the command that recorded the
	// original did: the same refusals of a number left out, out of range,
	// or text no field may hold.
	if err := checkInputAt(reflect.TypeOf(body), c.Body, "corrected"); err != nil {
		return nil, err
	}
	v := reflect.ValueOf(&body).Elem()
	nv := reflect.New(v.Elem().Type()).Elem()
	nv.Set(v.Elem())
	if at := nv.FieldByName("At"); at.IsValid() && known {
		switch given := at.Interface().(time.Time); {
		case given.IsZero():
			at.Set(reflect.ValueOf(orig.OccurredAt.UTC()))
		case !given.Equal(orig.OccurredAt):
			return nil, Errorf(EINVALID, c.Prefix+".correction_time", "the corrected body of event %s is dated %s, the event %s; a correction changes what an event said, not when it happened",
				c.Ref, given.UTC().Format(time.RFC3339), orig.OccurredAt.UTC().Format(time.RFC3339))
		}
	}
	if known {
		was, err := DecodeBody(c.Events, orig.Type, orig.Data)
		if err != nil {
			return nil, payload("the original event cannot be read: %v", err)
		}
		ov := reflect.ValueOf(was)
		for _, f := range append([]string{"CorrectsEventID", "CorrectedType"}, c.Identity...) {
			if a, b := nv.FieldByName(f), ov.FieldByName(f); a.IsValid() && b.IsValid() && a.Interface() != b.Interface() {
				return nil, payload("it changes %s from %v to %v; a correction may correct values, not what the event is about", f, b.Interface(), a.Interface())
			}
		}
	}
	if nt, nb := nv.FieldByName("CorrectedType"), nv.FieldByName("Corrected"); nt.IsValid() && nb.IsValid() && nb.Len() > 0 {
		inner, err := DecodeBody(c.Events, nt.String(), nb.Bytes())
		if err != nil {
			return nil, payload("its corrected body is not a valid %s body: %v", nt.String(), err)
		}
		if err := checkInputAt(reflect.TypeOf(inner), nb.Bytes(), "corrected.corrected"); err != nil {
			return nil, err
		}
	}
	if c.Check != nil {
		if err := c.Check(nv.Interface().(Event)); err != nil {
			return nil, payload("%v", err)
		}
	}
	data, err := json.Marshal(nv.Interface())
	if err != nil {
		return nil, payload("%v", err)
	}
	return data, nil
}

// CorrectedBody is a correction's corrected body, decoded as typ, one of
// events; false for a correction that carries none (or one the decision
// would have refused). The aggregate packages' [Correcting] events call it.
func CorrectedBody(events []Event, typ string, body []byte) (Event, bool) {
	if len(body) == 0 || typ == "" {
		return nil, false
	}
	ev, err := DecodeBody(events, typ, body)
	return ev, err == nil
}

// DecodeBody decodes the JSON body of an event of type typ, one of
// events, refusing unknown fields and trailing data.
func DecodeBody(events []Event, typ string, data []byte) (Event, error) {
	for _, proto := range events {
		if proto.EventType() != typ {
			continue
		}
		v := reflect.New(reflect.TypeOf(proto))
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v.Interface()); err != nil {
			return nil, err
		}
		if dec.More() {
			return nil, errors.New("unexpected data after the JSON object")
		}
		return v.Elem().Interface().(Event), nil
	}
	return nil, fmt.Errorf("%q is not an event type of this aggregate", typ)
}
