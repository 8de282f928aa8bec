package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/eventstore"
)

// FeedEvent is the data of one server-sent event: the stored envelope with
// its hash chain, and its place in the stream (Envelope.Sequence, and
// Index within the commit). Its JSON is the served form of
// [eventstore.Envelope.AppendServedJSON], hash chain included.
type FeedEvent struct {
	eventstore.Envelope
	Index int
}

// MarshalJSON writes the served form with the hash chain.
func (f FeedEvent) MarshalJSON() ([]byte, error) { return f.AppendServedJSON(nil, f.Index, true), nil }

// UnmarshalJSON reads the served form.
func (f *FeedEvent) UnmarshalJSON(data []byte) error {
	idx, err := f.UnmarshalServedJSON(data)
	f.Index = idx
	return err
}

// EventID is the SSE id of the event at index idx of the commit at stream
// sequence seq. Ids order as the stream does, and one commit's events
// share its sequence, so a client that lost its connection half-way
// through a commit resumes at the next event of that commit.
func EventID(seq uint64, idx int) string { return u64(seq) + ":" + strconv.Itoa(idx) }

// parseLastEventID returns where to resume after the event id: the commit
// to start from and how many of its events to skip. A bare sequence means
// the whole commit was delivered.
func parseLastEventID(id string) (from uint64, skip int, err error) {
	seqS, idxS, hasIdx := strings.Cut(id, ":")
	seq, err := strconv.ParseUint(seqS, 10, 64)
	// The largest sequence has no successor; resuming after it must not
	// wrap round to the start of the ledger.
	if err != nil || seq == 0 || seq == math.MaxUint64 {
		return 0, 0, badRequest("bad_request", "Last-Event-ID must be an id this stream sent, <sequence>:<index>")
	}
	if !hasIdx {
		return seq + 1, 0, nil
	}
	idx, err := strconv.Atoi(idxS)
	if err != nil || idx < 0 {
		return 0, 0, badRequest("bad_request", "Last-Event-ID must be an id this stream sent, <sequence>:<index>")
	}
	return seq, idx + 1, nil
}

type streamFilter struct {
	area, kind string
	types      map[string]bool
}

func (f streamFilter) match(e *eventstore.Envelope) bool {
	if f.kind != "" && e.AggregateKind != f.kind {
		return false
	}
	if f.area != "" {
		first, _, _ := strings.Cut(e.AggregateID, "/")
		if first != f.area {
			return false
		}
	}
	return len(f.types) == 0 || f.types[e.Type]
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Feed == nil {
		s.writeError(w, r, &requestError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "the event stream is not available on this server"})
		return
	}
	q := r.URL.Query()
	opts := eventstore.ReadOptions{FromSequence: 1}
	skip := 0
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		from, n, err := parseLastEventID(id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		opts.FromSequence, skip = from, n
	} else if v := q.Get("from_sequence"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			s.writeError(w, r, badRequest("bad_request", "from_sequence must be a ledger sequence, 1 or more"))
			return
		}
		opts.FromSequence = n
	}
	asCloudEvents, err := streamFormat(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := streamFilter{area: q.Get("area"), kind: q.Get("kind")}
	if err := checkKindArea(s.cfg.Kinds, f.kind, f.area); err != nil {
		s.writeError(w, r, err)
		return
	}
	if ts := q["type"]; len(ts) > 0 {
		f.types = map[string]bool{}
		for _, t := range ts {
			f.types[t] = true
		}
	}
	if f.kind != "" {
		// The server filters by kind; the area is checked here, since an
		// aggregate id may be the area alone or begin with it.
		filter, err := eventstore.FilterSubject(f.kind)
		if err != nil {
			s.writeError(w, r, badRequest("bad_request", "kind and area must be ledger subject tokens: "+err.Error()))
			return
		}
		opts.Filter = filter
	}

	actor, _ := ActorFrom(r.Context())
	release, err := s.acquireStream(actor.ID)
	if err != nil {
		w.Header().Set("Retry-After", "5")
		s.writeError(w, r, err)
		return
	}
	defer release()

	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(s.streams, cancel)
	defer stop()
	commits := make(chan *eventstore.Commit)
	done := make(chan error, 1)
	go func() {
		done <- s.cfg.Feed.Subscribe(ctx, opts, func(c *eventstore.Commit) error {
			select {
			case commits <- c:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	defer func() {
		cancel()
		<-done
	}()

	s.metrics.sseClients.Inc()
	defer s.metrics.sseClients.Dec()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	bw := bufio.NewWriter(w)
	// Every write has its own deadline: a client that stops reading fills
	// the connection's buffers and would otherwise block this handler, and
	// hold its stream slot, for ever.
	deadlines := rc.SetWriteDeadline(time.Now().Add(s.cfg.StreamWriteTimeout)) == nil
	defer func() {
		if deadlines {
			_ = rc.SetWriteDeadline(time.Time{})
		}
	}()
	flush := func() bool {
		if deadlines {
			_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.StreamWriteTimeout))
		}
		// bw writes through to w whenever it fills, so the error may be
		// that of an earlier write; a failed write also cancels ctx.
		err := bw.Flush()
		if err == nil {
			err = rc.Flush()
		}
		if err == nil {
			return true
		}
		if s.streams.Err() != nil {
			return false // the server is stopping
		}
		reason := "write_failed"
		if errors.Is(err, os.ErrDeadlineExceeded) {
			reason = "write_timeout"
		}
		s.metrics.sseDrops.WithLabelValues(reason).Inc()
		s.log.InfoContext(ctx, "event stream client dropped", "correlation_id", correlationID(ctx), "actor", actor.ID,
			"reason", reason, "write_timeout", s.cfg.StreamWriteTimeout, "err", err)
		return false
	}
	bw.WriteString("retry: 2000\n: laaledger event stream\n\n")
	if !flush() {
		return
	}
	tick := time.NewTicker(s.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-done:
			// The subscription ended on its own: the ledger went away.
			// Say so; the client reconnects with Last-Event-ID.
			done <- err
			s.log.WarnContext(ctx, "event stream subscription ended", "correlation_id", correlationID(ctx), "err", err)
			bw.WriteString("event: error\ndata: {\"code\":\"unavailable\"}\n\n")
			flush()
			return
		case <-tick.C:
			bw.WriteString(": heartbeat\n\n")
			if !flush() {
				return
			}
		case c := <-commits:
			for i := range c.Events {
				e := &c.Events[i]
				if e.Sequence == opts.FromSequence && i < skip {
					continue
				}
				if !f.match(e) {
					continue
				}
				var data []byte
				if asCloudEvents {
					data = s.cfg.CloudEvents.Marshal(e, i)
				} else if data, err = json.Marshal(FeedEvent{Envelope: *e, Index: i}); err != nil {
					return
				}
				bw.WriteString("id: " + EventID(e.Sequence, i) + "\nevent: " + e.Type + "\ndata: ")
				bw.Write(data)
				bw.WriteString("\n\n")
			}
			if !flush() {
				return
			}
		}
	}
}
