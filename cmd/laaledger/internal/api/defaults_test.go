package api

import (
	"testing"
	"time"
)

func TestOrDefaultFillsOnlyUnsetLimits(t *testing.T) {
	for _, tc := range []struct {
		desc      string
		v, def, w time.Duration
	}{
		{"zero takes the default", 0, time.Second, time.Second},
		{"negative takes the default", -1, time.Second, time.Second},
		{"set is kept", 3 * time.Millisecond, time.Second, 3 * time.Millisecond},
	} {
		v := tc.v
		orDefault(&v, tc.def)
		if v != tc.w {
			t.Errorf("%s: got %v, want %v", tc.desc, v, tc.w)
		}
	}
	n := int64(0)
	orDefault(&n, 1<<20)
	if n != 1<<20 {
		t.Errorf("int64: got %d, want %d", n, 1<<20)
	}
}
