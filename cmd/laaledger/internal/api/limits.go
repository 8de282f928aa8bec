package api

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Defaults for a server that faces untrusted clients. A command body is a
// few kilobytes, so a client that takes longer than DefaultReadTimeout to
// send one is holding the connection, not sending a command.
const (
	DefaultReadTimeout        = 30 * time.Second
	DefaultReadHeaderTimeout  = 10 * time.Second
	DefaultIdleTimeout        = 2 * time.Minute
	DefaultMaxHeaderBytes     = 64 << 10
	DefaultMaxStreams         = 256
	DefaultMaxStreamsPerActor = 8
	DefaultStreamWriteTimeout = 10 * time.Second
)

// HTTPServer returns an http.Server that serves s with its configured
// timeouts: a request's headers and body must arrive within the read
// timeouts, an idle keep-alive connection is closed after the idle
// timeout, and StopStreams runs at Shutdown. net/http lifts the read
// deadline once a request has been read whole, so a long-lived event
// stream is not cut at the read timeout (tested).
func (s *Server) HTTPServer() *http.Server {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    DefaultMaxHeaderBytes,
	}
	hs.RegisterOnShutdown(s.StopStreams)
	return hs
}

// streamSlots bounds the open event streams, in all and per actor: each
// costs a goroutine, a stream reader and buffers, and a read-only token
// must not be able to exhaust the server's memory by opening thousands.
type streamSlots struct {
	mu       sync.Mutex
	total    int
	perActor map[string]int
}

// acquire takes a slot for actor, or returns the problem to answer.
func (s *Server) acquireStream(actor string) (release func(), err error) {
	sl := &s.slots
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.total >= s.cfg.MaxStreams {
		return nil, &requestError{status: http.StatusServiceUnavailable, code: "too_many_streams",
			msg: "the server has " + strconv.Itoa(sl.total) + " event streams open, its limit; retry later"}
	}
	if sl.perActor[actor] >= s.cfg.MaxStreamsPerActor {
		return nil, &requestError{status: http.StatusTooManyRequests, code: "too_many_streams",
			msg: "this token already has " + strconv.Itoa(sl.perActor[actor]) + " event streams open, its limit; close one first"}
	}
	if sl.perActor == nil {
		sl.perActor = map[string]int{}
	}
	sl.total++
	sl.perActor[actor]++
	var once sync.Once
	return func() {
		once.Do(func() {
			sl.mu.Lock()
			defer sl.mu.Unlock()
			sl.total--
			if sl.perActor[actor]--; sl.perActor[actor] == 0 {
				delete(sl.perActor, actor)
			}
		})
	}, nil
}
