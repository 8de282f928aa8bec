package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

func TestExitCodeMapsEveryPackagesErrorsByCode(t *testing.T) {
	for _, tc := range []struct {
		desc string
		err  error
		want int
	}{
		{"bad flag", usageError{"x"}, exitUsage},
		{"domain invalid", domain.Errorf(domain.EINVALID, "laa.designated_limit", "x"), exitUsage},
		{"domain conflict", domain.Errorf(domain.ECONFLICT, "laa.lifecycle", "x"), exitConflict},
		{"domain not found", domain.Errorf(domain.ENOTFOUND, "laa.not_opened", "x"), exitNotFound},
		{"domain forbidden", domain.Errorf(domain.EFORBIDDEN, "laa.not_party", "x"), exitForbidden},
		{"version conflict", fmt.Errorf("append: %w", &eventstore.ConflictError{Expected: 1, Actual: 2}), exitConflict},
		{"command id reused", fmt.Errorf("append: %w", eventstore.ErrDuplicate), exitConflict},
		{"store not found", fmt.Errorf("read: %w", eventstore.ErrNotFound), exitNotFound},
		{"store invalid", fmt.Errorf("open: %w", eventstore.ErrInvalid), exitUsage},
		{"store unavailable", fmt.Errorf("open: %w", eventstore.ErrInUse), exitUnavailable},
		{"broken chain", &eventstore.ChainError{Reason: "hash"}, exitTampered},
		{"projections stopped", fmt.Errorf("wait: %w", projections.ErrStopped), exitUnavailable},
		{"projections behind", &projections.NotReachedError{Want: 2, Cause: context.DeadlineExceeded}, exitUnavailable},
		{"server: bad token", &serverError{status: 401, code: "unauthenticated", category: "unauthenticated"}, exitUnauthenticated},
		{"server: role refused", &serverError{status: 403, code: "forbidden", category: "forbidden"}, exitForbidden},
		{"server: a rule refused", &serverError{status: 422, code: "laa.designated_limit", category: "invalid"}, exitUsage},
		{"server: unknown area", &serverError{status: 404, code: "area.unknown", category: "not_found"}, exitNotFound},
		{"server: read models behind", &serverError{status: 503, code: "not_caught_up", category: "unavailable"}, exitUnavailable},
		{"server: tampered", &serverError{status: 500, code: "tampered", category: "tampered"}, exitTampered},
		{"server: not a problem document", &serverError{status: 502}, exitInternal},
		{"anything else", errors.New("boom"), exitInternal},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: got exit %d, want %d", tc.desc, got, tc.want)
		}
	}
}
