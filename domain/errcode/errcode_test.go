package errcode_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/laaledger/laaledger/domain/errcode"
)

// refusal is a package's own error type: it reports its code without
// depending on errcode.Error.
type refusal struct{ rule string }

func (r *refusal) Error() string     { return "refused by " + r.rule }
func (r *refusal) ErrorCode() string { return errcode.EFORBIDDEN }

func TestOfReadsTheFirstCodeInTheChain(t *testing.T) {
	notFound := errcode.New(errcode.ENOTFOUND, "not found")
	for _, tc := range []struct {
		desc string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"an Error", notFound, errcode.ENOTFOUND},
		{"a wrapped sentinel", fmt.Errorf("read x: %w", notFound), errcode.ENOTFOUND},
		{"a package's own type", fmt.Errorf("decide: %w", &refusal{"laa.not_party"}), errcode.EFORBIDDEN},
		{"the first of two", fmt.Errorf("%w: %w", errcode.Errorf(errcode.EUNAVAILABLE, "down"), notFound), errcode.EUNAVAILABLE},
		{"no code", errors.New("boom"), errcode.EINTERNAL},
	} {
		if got := errcode.Of(tc.err); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.desc, got, tc.want)
		}
	}
}

func ExampleOf() {
	errNotFound := errcode.New(errcode.ENOTFOUND, "not found")
	err := fmt.Errorf("read laa/00EB/2008-11: %w", errNotFound)
	fmt.Println(errcode.Of(err), errors.Is(err, errNotFound))
	fmt.Println(errcode.Of(errors.New("boom")))
	// Output:
	// not_found true
	// internal
}
