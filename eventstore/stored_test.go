package eventstore_test

import (
	"testing"

	"github.com/laaledger/laaledger/eventstore"
)

func TestSequenceGapNamesTheMissingCommits(t *testing.T) {
	for _, tc := range []struct {
		desc      string
		prev, seq uint64
		want      string
	}{
		{"one missing", 1, 3, "sequence 3 follows 1: commits 2 to 2 are missing"},
		{"several missing", 7, 12, "sequence 12 follows 7: commits 8 to 11 are missing"},
		{"start missing", 0, 4, "sequence 4 follows 0: commits 1 to 3 are missing"},
	} {
		if got := eventstore.SequenceGap(tc.prev, tc.seq); got != tc.want {
			t.Errorf("%s: SequenceGap(%d, %d) = %q, want %q", tc.desc, tc.prev, tc.seq, got, tc.want)
		}
	}
}
