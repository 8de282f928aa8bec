package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxMagnitude bounds every number a command carries. Indicator values are
// percentages, rates, counts of people or homes and sums of money; none
// comes near 10^12, while a value such as 1e308 is a typing or encoding
// error that an immutable ledger must not record as a fact. Negative
// values are accepted: several indicators measure a change.
const MaxMagnitude = 1e12

// RuleBadText is the rule of a refusal for text no field may hold:
// invalid UTF-8, a lone surrogate, U+FFFD or a control character.
const RuleBadText = "command.bad_text"

// checkInput refuses, before a command is decoded, what encoding/json
// would otherwise turn silently into a different fact:
//
//   - a numeric field that is absent (it would decode as 0) — every numeric
//     field without omitempty is required;
//   - a number that is not finite or whose magnitude exceeds MaxMagnitude;
//   - text that is not valid UTF-8, holds a lone surrogate escape (both
//     decode as U+FFFD, so U+FFFD itself is refused), or a control
//     character other than tab, line feed and carriage return.
//
// Each refusal names the field, as a JSON path ("values.2009/10").
func checkInput(t reflect.Type, data []byte) error {
	return checkInputAt(t, data, "")
}

// checkInputAt is checkInput for a body nested at path (as "corrected"),
// whose refusals name their fields below it.
func checkInputAt(t reflect.Type, data []byte, path string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil // the typed decode reports malformed JSON
	}
	return checkValue(t, v, path)
}

func checkValue(t reflect.Type, v any, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := v.(type) {
	case string:
		return checkText(path, x)
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > MaxMagnitude {
			return Errorf(EINVALID, "command.value_out_of_range", "field %s: %s is outside the accepted range (finite, magnitude at most %g)", name(path), x, MaxMagnitude)
		}
	case []any:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return nil
		}
		for i, e := range x {
			if err := checkValue(t.Elem(), e, join(path, strconv.Itoa(i))); err != nil {
				return err
			}
		}
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for k, e := range x {
				if err := checkText(join(path, k)+" (key)", k); err != nil {
					return err
				}
				if err := checkValue(t.Elem(), e, join(path, k)); err != nil {
					return err
				}
			}
		case reflect.Struct:
			return checkStruct(t, x, path)
		}
	}
	return nil
}

func checkStruct(t reflect.Type, obj map[string]any, path string) error {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		key, opts, _ := strings.Cut(tag, ",")
		if key == "" {
			key = f.Name
		}
		v, present := obj[key]
		if !present {
			if isNumber(f.Type.Kind()) && !strings.Contains(opts, "omitempty") {
				return Errorf(EINVALID, "command.missing_field", "field %s is required (an absent number would be recorded as 0)", name(join(path, key)))
			}
			continue
		}
		if err := checkValue(f.Type, v, join(path, key)); err != nil {
			return err
		}
	}
	return nil
}

func checkText(path, s string) error {
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		return Errorf(EINVALID, RuleBadText, "field %s is not valid UTF-8 text (invalid bytes, a lone surrogate or U+FFFD)", name(path))
	}
	for i, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return Errorf(EINVALID, RuleBadText, "field %s holds control character %U at byte %d", name(path), r, i)
		}
	}
	return nil
}

func isNumber(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func name(path string) string {
	if path == "" {
		return "(the command)"
	}
	return fmt.Sprintf("%q", path)
}
