package laa

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/catalogue"
)

// laaMust stops the test with a message when cond is false.
func laaMust(t testing.TB, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Fatalf(format, args...)
	}
}

// laaCheck records a failure when cond is false.
func laaCheck(t testing.TB, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Errorf(format, args...)
	}
}

// laaEqual records a failure when got and want differ.
func laaEqual(t testing.TB, got, want any, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %s, want %s", what, show(got), show(want))
	}
}

func show(v any) string { return fmt.Sprintf("%#v", v) }

// laaNoErr stops the test on an error.
func laaNoErr(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// laaWantRule checks err is an *Error with the given rule.
func laaWantRule(t testing.TB, err error, rule string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want refusal %s, got success", rule)
	}
	if got := domain.ErrorRule(err); got != rule {
		t.Fatalf("want rule %s, got %q (%v)", rule, got, err)
	}
}

// kindTypes is a registry of this package's types and the catalogue's, for
// the tests that encode and decode them (domain/registry imports this
// package, so its tests cannot use that one).
var kindTypes = domain.NewRegistry(catalogue.Register, Register)

func opMeta(id string, at time.Time) domain.Meta {
	return domain.Meta{CommandID: id, Actor: domain.Actor{ID: "op1", Role: domain.RoleOperator, Organisation: "laaledger"}, OccurredAt: at}
}

func foldCatalogue(c catalogue.Catalogue, evs []domain.Event) catalogue.Catalogue {
	for _, e := range evs {
		c = c.Apply(e)
	}
	return c
}
