package domain

import (
	"testing"
	"time"
)

func TestMetaRefusesBusinessTimesOutsideTheRange(t *testing.T) {
	base := Meta{CommandID: "c1", Actor: Actor{ID: "jo", Role: RoleLA, Organisation: "00EB"}}
	for _, tc := range []struct {
		desc string
		at   time.Time
		rule string
	}{
		{"missing", time.Time{}, "meta.missing_occurred_at"},
		{"before the range", time.Date(1989, 12, 31, 0, 0, 0, 0, time.UTC), "meta.occurred_at_range"},
		{"a typing error", time.Date(20010, 1, 1, 0, 0, 0, 0, time.UTC), "meta.occurred_at_range"},
		{"the far side of midnight in UTC", time.Date(2100, 12, 31, 23, 0, 0, 0, time.FixedZone("EST", -5*3600)), "meta.occurred_at_range"},
		{"inside", time.Date(2008, 6, 30, 12, 0, 0, 0, time.UTC), ""},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			m := base
			m.OccurredAt = tc.at
			if got := ErrorRule(m.Validate()); got != tc.rule {
				t.Fatalf("rule %q, want %q", got, tc.rule)
			}
		})
	}
}
