package eventstore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/nats-io/nats.go/jetstream"
)

// serverLog carries the embedded nats-server's own log into the ledger's
// logger, so that what the server does to the data on its own — above all
// truncating a damaged message block when it recovers the stream — is on
// record where the ledger's operator looks.
//
// Warnings and errors are always logged (at Warn and Error). A notice is
// logged at Info while the server runs; the banner it prints while starting
// and the lines it prints while shutting down are routine, and go to Debug
// so that every command that opens the ledger does not print thirty lines.
// Debug and trace lines reach the logger only when [Config.ServerDebug] or
// [Config.ServerTrace] is set (the server does not produce them otherwise),
// and go to Debug.
type serverLog struct {
	log *slog.Logger
	// running is set once the server is ready for connections and cleared
	// when it is told to shut down.
	running atomic.Bool
}

func newServerLog(l *slog.Logger) *serverLog {
	return &serverLog{log: l.With("component", "nats-server")}
}

func (l *serverLog) emit(level slog.Level, format string, v []any) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, fmt.Sprintf(format, v...))
}

func (l *serverLog) Noticef(format string, v ...any) {
	level := slog.LevelDebug
	// "Server is ready" ends the start banner; the server may print it
	// just after it has begun to accept connections, when running is
	// already set.
	if l.running.Load() && format != "Server is ready" {
		level = slog.LevelInfo
	}
	l.emit(level, format, v)
}

// Warnf logs at Warn, except the server's warning that its users have
// plaintext passwords: the embedded server's are random, made afresh at
// each start and held only in memory, so it says nothing to an operator.
func (l *serverLog) Warnf(format string, v ...any) {
	if strings.HasPrefix(format, "Plaintext passwords detected") {
		l.emit(slog.LevelDebug, format, v)
		return
	}
	l.emit(slog.LevelWarn, format, v)
}

func (l *serverLog) Errorf(format string, v ...any) { l.emit(slog.LevelError, format, v) }
func (l *serverLog) Debugf(format string, v ...any) { l.emit(slog.LevelDebug, format, v) }
func (l *serverLog) Tracef(format string, v ...any) { l.emit(slog.LevelDebug, format, v) }

// Fatalf is logged at Error. nats-server calls it where its own standard
// logger would exit the process; an embedded server must not take the
// ledger's process down with it, and the failure surfaces to the ledger as
// the server not becoming ready or its connection closing.
func (l *serverLog) Fatalf(format string, v ...any) {
	l.emit(slog.LevelError, "fatal: "+format, v)
}

// reportLost logs what the server reports it lost of the stream: when it
// recovers a message block whose bytes fail their checksum it cuts the
// block at the damage and keeps the bytes (and, where its index named
// them, the sequences) it dropped in the stream's detailed state, without
// a line in its own log. The watermark check says whether acknowledged
// commits are among them; this line says what the server did, and holds
// for an external server too. The detailed state lists deleted sequences
// as well, of which a ledger stream has none.
func (s *Store) reportLost(ctx context.Context) {
	info, err := s.stream.Info(ctx, jetstream.WithDeletedDetails(true))
	if err != nil {
		s.log.Debug("read the stream's state for lost data", "stream", s.cfg.Stream, "err", err)
		return
	}
	lost := info.State.Lost
	if lost == nil {
		return
	}
	attrs := []any{"stream", s.cfg.Stream, "lost_bytes", lost.Bytes}
	if len(lost.Msgs) > 0 {
		attrs = append(attrs, "lost_commits", len(lost.Msgs), "lost_sequences", sequenceRanges(lost.Msgs, 10))
	}
	s.log.Warn("the NATS server cut damaged data from the ledger stream when it recovered it; see the integrity check for whether acknowledged commits were lost", attrs...)
}

// sequenceRanges writes seqs as ranges ("11-20, 25"), at most max of them.
func sequenceRanges(seqs []uint64, max int) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(seqs); {
		j := i
		for j+1 < len(seqs) && seqs[j+1] == seqs[j]+1 {
			j++
		}
		if n == max {
			fmt.Fprintf(&b, ", …")
			break
		}
		if n > 0 {
			b.WriteString(", ")
		}
		if i == j {
			fmt.Fprintf(&b, "%d", seqs[i])
		} else {
			fmt.Fprintf(&b, "%d-%d", seqs[i], seqs[j])
		}
		n++
		i = j + 1
	}
	return b.String()
}
