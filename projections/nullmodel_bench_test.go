package projections_test

import (
	"context"
	"io"
	"testing"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

type nullModel struct{ n int }

func (m *nullModel) Name() string                     { return "null" }
func (m *nullModel) Version() int                     { return 1 }
func (m *nullModel) Reset()                           { m.n = 0 }
func (m *nullModel) Apply(c *eventstore.Commit) error { m.n += len(c.Events); return nil }
func (m *nullModel) WriteSnapshot(w io.Writer) error  { return nil }
func (m *nullModel) ReadSnapshot(r io.Reader) error   { return nil }

func BenchmarkRebuildDecodeOnly(b *testing.B) {
	l, last, events := sharedLedger(b)
	ctx := context.Background()
	r, err := projections.Open(ctx, projections.Config{Store: l.Store, Logger: quiet}, &nullModel{})
	if err != nil {
		b.Fatal(err)
	}
	benchRebuild(b, ctx, l, last, events, r)
}
