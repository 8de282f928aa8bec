package api

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// smallBuffers gives every accepted connection a small send buffer, so that
// a client that stops reading blocks the server's writes after a few
// kilobytes instead of after the megabytes the kernel would otherwise
// buffer.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

// A client that opens the event stream and then never reads (a raw TCP
// connection with a tiny receive buffer) must be dropped within the write
// deadline, counted, and its stream slot freed: with one stream allowed
// per actor, the same token can open a new stream afterwards.
func TestStalledEventStreamClientIsDroppedAndItsSlotFreed(t *testing.T) {
	const writeTimeout = 300 * time.Millisecond
	reg := prometheus.NewRegistry()
	h := newHarness(t, testKinds, func(c *Config) {
		c.MaxStreamsPerActor, c.Heartbeat, c.StreamWriteTimeout, c.Registry = 1, 50*time.Millisecond, writeTimeout, reg
	})
	// Enough events that the stream cannot fit them in the connection's
	// buffers: some 400 KB.
	for i := range 20 {
		r := h.command(tokLA, "apitest.Note", fmt.Sprintf("big-%d", i), apiNote{Subject: "00EB", Text: strings.Repeat("x", 4000), Repeat: 5}, nil)
		if r.Status != http.StatusCreated {
			t.Fatalf("append: %d %s", r.Status, r.Body)
		}
	}

	srv := httptest.NewUnstartedServer(h.api)
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	defer srv.Close()

	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1024) })
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = io.WriteString(conn, "GET /v1/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+tokIntegration+"\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	// Read the status line only: the stream is then open and holds the
	// actor's one slot (taken before the response starts), and the client
	// stops reading.
	if err := conn.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	status, err := bufio.NewReaderSize(conn, 16).ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200 ") {
		t.Fatalf("stalled client's stream: status line %q, %v; want 200", status, err)
	}
	opened := time.Now()
	// The stalled stream holds the actor's one slot until it is dropped.
	deadline := opened.Add(30 * time.Second)
	for {
		status, _, closeFn := streamStatusOn(t, srv.URL, tokIntegration)
		if status == http.StatusOK {
			closeFn()
			break
		}
		if status != http.StatusTooManyRequests {
			t.Fatalf("second stream: %d, want 429 while the first holds the slot, then 200", status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("a client that stopped reading still holds its stream slot after %s (write timeout %s)", time.Since(opened), writeTimeout)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
	if took := time.Since(opened); took > 20*writeTimeout {
		t.Errorf("dropped after %s, write timeout %s", took, writeTimeout)
	}
	if n := dropCount(t, reg, "write_timeout"); n != 1 {
		t.Errorf("laaledger_event_stream_drops_total{reason=write_timeout} = %v, want 1", n)
	}
}

// streamStatusOn opens the event stream of the server at url with token and
// returns its status; an accepted stream stays open until closeFn.
func streamStatusOn(t *testing.T, url, token string) (status int, body string, closeFn func()) {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/v1/events/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, string(b), func() {}
	}
	return res.StatusCode, "", func() { res.Body.Close() }
}

func dropCount(t *testing.T, reg *prometheus.Registry, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "laaledger_event_stream_drops_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
