// Package domaintest holds what the domain packages' tests share: checks
// that read as the domain's rules (a refusal names its rule) and the
// operator's meta. It imports only package domain, so that the tests
// inside every aggregate package may use it.
package domaintest

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// Must stops the test with a message when cond is false.
func Must(t testing.TB, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Fatalf(format, args...)
	}
}

// Check records a failure when cond is false.
func Check(t testing.TB, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Errorf(format, args...)
	}
}

// Equal records a failure when got and want differ.
func Equal(t testing.TB, got, want any, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %s, want %s", what, Show(got), Show(want))
	}
}

// Show prints v with its types and field names, for failure messages.
func Show(v any) string { return fmt.Sprintf("%#v", v) }

// NoErr stops the test on an error.
func NoErr(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// WantRule checks err is an *Error with the given rule.
func WantRule(t testing.TB, err error, rule string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want refusal %s, got success", rule)
	}
	if got := domain.ErrorRule(err); got != rule {
		t.Fatalf("want rule %s, got %q (%v)", rule, got, err)
	}
}

// OperatorMeta is the meta of an operator's command id at business time at.
func OperatorMeta(id string, at time.Time) domain.Meta {
	return domain.Meta{CommandID: id, Actor: domain.Actor{ID: "op1", Role: domain.RoleOperator, Organisation: "laaledger"}, OccurredAt: at}
}

// Fold folds evs, oldest first, into s.
func Fold[S interface{ Apply(domain.Event) S }](s S, evs []domain.Event) S {
	for _, e := range evs {
		s = s.Apply(e)
	}
	return s
}

// OfKinds returns those of types (registered event or command types,
// "<kind>.<Name>") that belong to one of the aggregate kinds, in the order
// given.
func OfKinds(types []string, kinds ...string) []string {
	var out []string
	for _, typ := range types {
		kind, _, _ := strings.Cut(typ, ".")
		if slices.Contains(kinds, kind) {
			out = append(out, typ)
		}
	}
	return out
}
