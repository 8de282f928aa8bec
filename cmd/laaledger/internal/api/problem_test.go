package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

func TestProblemForMapsEveryErrorKindInOnePlace(t *testing.T) {
	conflict := &eventstore.ConflictError{Aggregate: eventstore.Aggregate{Kind: "laa", ID: "00EB/2008-11"}, Expected: 3, Actual: 5}
	for _, tc := range []struct {
		desc     string
		err      error
		status   int
		code     string
		category string
	}{
		{"domain invalid from a decision", domain.Errorf(domain.EINVALID, "laa.statutory_not_dcsf", "x"), 422, "laa.statutory_not_dcsf", "invalid"},
		{"domain invalid while decoding", &decodeError{domain.Errorf(domain.EINVALID, "command.bad_json", "x")}, 400, "command.bad_json", "invalid"},
		{"domain invalid meta", fmt.Errorf("execute: %w", domain.Errorf(domain.EINVALID, "meta.missing_occurred_at", "x")), 400, "meta.missing_occurred_at", "invalid"},
		{"input no field may hold, found by a decision (a corrected body)", domain.Errorf(domain.EINVALID, "command.value_out_of_range", "x"), 400, "command.value_out_of_range", "invalid"},
		{"text no field may hold, in the request's reason", domain.Errorf(domain.EINVALID, domain.RuleBadText, "x"), 400, domain.RuleBadText, "invalid"},
		{"domain forbidden", domain.Errorf(domain.EFORBIDDEN, "laa.not_party", "x"), 403, "laa.not_party", "forbidden"},
		{"domain not found", domain.Errorf(domain.ENOTFOUND, "laa.not_opened", "x"), 404, "laa.not_opened", "not_found"},
		{"domain conflict", domain.Errorf(domain.ECONFLICT, "laa.lifecycle", "x"), 409, "laa.lifecycle", "conflict"},
		{"domain error without a rule", &domain.Error{Code: domain.ECONFLICT, Message: "x"}, 409, "conflict", "conflict"},
		{"domain internal error", domain.Errorf(domain.EINTERNAL, "laa.bug", "secret"), 500, "internal", "internal"},
		{"version conflict against If-Match", &preconditionError{fmt.Errorf("append: %w", conflict)}, 412, "version_conflict", "conflict"},
		{"version conflict after retries", fmt.Errorf("append: %w", conflict), 409, "version_conflict", "conflict"},
		{"key reused for another command", fmt.Errorf("append: %w", eventstore.ErrDuplicate), 409, "idempotency_key_reused", "conflict"},
		{"store not found", fmt.Errorf("read: %w", eventstore.ErrNotFound), 404, "not_found", "not_found"},
		{"store invalid", fmt.Errorf("append: %w", eventstore.ErrInvalid), 400, "invalid", "invalid"},
		{"store unavailable", fmt.Errorf("append: %w", eventstore.ErrUnavailable), 503, "unavailable", "unavailable"},
		{"data directory in use", fmt.Errorf("open: %w", eventstore.ErrInUse), 503, "unavailable", "unavailable"},
		{"tampered ledger", &eventstore.ChainError{Reason: "hash"}, 500, "tampered", "tampered"},
		{"projections invalid", fmt.Errorf("timeline: %w", projections.ErrInvalid), 400, "invalid", "invalid"},
		{"projections stopped", fmt.Errorf("wait: %w", projections.ErrStopped), 503, "unavailable", "unavailable"},
		{"read models behind", &notCaughtUpError{want: 9, reached: 3, err: context.DeadlineExceeded}, 503, "not_caught_up", "unavailable"},
		{"request refused", badRequest("bad_if_match", "x"), 400, "bad_if_match", "invalid"},
		{"request for an unknown area", &requestError{status: http.StatusNotFound, code: "area.unknown", msg: "x"}, 404, "area.unknown", "not_found"},
		{"anything else", errors.New("boom"), 500, "internal", "internal"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			p := problemFor(tc.err)
			if p.Status != tc.status || p.Code != tc.code || p.Category != tc.category || p.Title != http.StatusText(tc.status) {
				t.Errorf("got %d %s (%s) %q, want %d %s (%s)", p.Status, p.Code, p.Category, p.Title, tc.status, tc.code, tc.category)
			}
		})
	}
	p := problemFor(&preconditionError{conflict})
	if *p.CurrentVersion != 5 || *p.ExpectedVersion != 3 {
		t.Errorf("412 versions %+v", p)
	}
	for _, err := range []error{errors.New("secret detail"), domain.Errorf(domain.EINTERNAL, "laa.bug", "secret detail")} {
		if p := problemFor(err); p.Detail != "internal error" {
			t.Errorf("internal detail leaked: %q", p.Detail)
		}
	}
}
