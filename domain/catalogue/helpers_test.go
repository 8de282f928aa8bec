package catalogue

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
)

func opMeta(id string, at time.Time) domain.Meta {
	return domain.Meta{CommandID: id, Actor: domain.Actor{ID: "op1", Role: domain.RoleOperator, Organisation: "laaledger"}, OccurredAt: at}
}

func foldCatalogue(c Catalogue, evs []domain.Event) Catalogue {
	for _, e := range evs {
		c = c.Apply(e)
	}
	return c
}

// must stops the test with a message when cond is false.
func must(t testing.TB, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Fatalf(format, args...)
	}
}

// check records a failure when cond is false.
func check(t testing.TB, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Errorf(format, args...)
	}
}

// equal records a failure when got and want differ.
func equal(t testing.TB, got, want any, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %s, want %s", what, show(got), show(want))
	}
}

func show(v any) string { return fmt.Sprintf("%#v", v) }

// noErr stops the test on an error.
func noErr(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantRule checks err is an *Error with the given rule.
func wantRule(t testing.TB, err error, rule string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want refusal %s, got success", rule)
	}
	if got := domain.ErrorRule(err); got != rule {
		t.Fatalf("want rule %s, got %q (%v)", rule, got, err)
	}
}
