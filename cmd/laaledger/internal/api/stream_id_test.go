package api

import (
	"math"
	"strconv"
	"testing"
)

func TestParseLastEventID(t *testing.T) {
	for _, tc := range []struct {
		desc string
		id   string
		from uint64
		skip int
		bad  bool
	}{
		{desc: "whole commit delivered", id: "7", from: 8},
		{desc: "inside a commit", id: "7:1", from: 7, skip: 2},
		{desc: "zero", id: "0", bad: true},
		{desc: "garbage", id: "x:1", bad: true},
		{desc: "negative index", id: "7:-1", bad: true},
		{desc: "the largest sequence does not wrap to the start", id: strconv.FormatUint(math.MaxUint64, 10), bad: true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			from, skip, err := parseLastEventID(tc.id)
			if (err != nil) != tc.bad {
				t.Fatalf("err %v, want bad=%v", err, tc.bad)
			}
			if !tc.bad && (from != tc.from || skip != tc.skip) {
				t.Fatalf("got %d, %d; want %d, %d", from, skip, tc.from, tc.skip)
			}
		})
	}
}
