package crashtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The commands the clients send: outturns of Hartlepool's agreed targets,
// recorded by its LSP. An outturn may be recorded again for the same year
// (it revises the previous one) as long as the value or source differs, so
// every command here is legal however many are sent, and each carries its
// own Idempotency-Key in its source so that its event can be told apart.
const (
	agreement  = "00EB/2008-11"
	lspToken   = "demo-lsp-hartlepool-00EB"
	readToken  = "demo-auditor-readonly"
	keyPrefix  = "crash-"
	occurredAt = "2011-03-31T12:00:00Z" // after every act of the demo history
)

var (
	outturnTargets = []string{"NI 112", "NI 152", "NI 154", "NI 4", "LOCAL HP-L1"}
	outturnYears   = []string{"2008/09", "2009/10", "2010/11"}
)

// command is one command a client sent, kept so that a retry sends exactly
// the same body under the same key.
type command struct {
	key    string
	target string
	year   string
	value  float64
	source string
	body   []byte
}

// ack is the answer to an acknowledged (2xx) command.
type ack struct {
	Key          string   `json:"key"`
	Status       int      `json:"status"`
	Sequence     uint64   `json:"sequence"`
	FirstVersion uint64   `json:"first_version"`
	LastVersion  uint64   `json:"last_version"`
	Duplicate    bool     `json:"duplicate"`
	EventIDs     []string `json:"event_ids"`
	Round        int      `json:"round"`
	Retry        bool     `json:"retry"` // the answer to a retry after a crash
}

// commandResult is the part of the API's answer the suite checks.
type commandResult struct {
	CommandID    string        `json:"command_id"`
	Sequence     uint64        `json:"sequence"`
	FirstVersion uint64        `json:"first_version"`
	LastVersion  uint64        `json:"last_version"`
	Duplicate    bool          `json:"duplicate"`
	Events       []resultEvent `json:"events"`
}

// resultEvent names one event of an acknowledged command.
type resultEvent struct {
	EventID          string `json:"event_id"`
	AggregateVersion uint64 `json:"aggregate_version"`
	Sequence         uint64 `json:"sequence"`
}

// journal is the clients' record of everything sent and every answer. It
// is what the ledger is checked against. Safe for concurrent use.
type journal struct {
	mu       sync.Mutex
	n        int
	sent     map[string]*command
	acks     map[string]ack
	refused  map[string]string // key → "status code: detail"
	pending  map[string]*command
	statuses map[string]int // "409 version_conflict" → count, every non-2xx answer
	ackLog   io.Writer
	round    int
}

func newJournal(ackLog io.Writer) *journal {
	return &journal{sent: map[string]*command{}, acks: map[string]ack{}, refused: map[string]string{},
		pending: map[string]*command{}, statuses: map[string]int{}, ackLog: ackLog}
}

// next makes a new command for client c and records it as sent and
// unanswered before it goes on the wire.
func (j *journal) next(client int) *command {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.n++
	n := j.n
	key := fmt.Sprintf("%sr%d-c%d-%d", keyPrefix, j.round, client, n)
	c := &command{key: key, target: outturnTargets[n%len(outturnTargets)], year: outturnYears[(n/len(outturnTargets))%len(outturnYears)],
		value: float64(n) + 0.5, source: "crash suite " + key}
	body, err := json.Marshal(map[string]any{
		"occurred_at": occurredAt,
		"reason":      "crash suite",
		"command": map[string]any{"agreement": agreement, "target": c.target, "year": c.year,
			"value": c.value, "source": c.source},
	})
	if err != nil {
		panic(err)
	}
	c.body = body
	j.sent[key] = c
	j.pending[key] = c
	return c
}

func (j *journal) setRound(r int) {
	j.mu.Lock()
	j.round = r
	j.mu.Unlock()
}

func (j *journal) recordAck(c *command, status int, res commandResult, retry bool) ack {
	j.mu.Lock()
	defer j.mu.Unlock()
	a := ack{Key: c.key, Status: status, Sequence: res.Sequence, FirstVersion: res.FirstVersion, LastVersion: res.LastVersion,
		Duplicate: res.Duplicate, Round: j.round, Retry: retry}
	for _, e := range res.Events {
		a.EventIDs = append(a.EventIDs, e.EventID)
	}
	delete(j.pending, c.key)
	if _, ok := j.acks[c.key]; !ok {
		j.acks[c.key] = a
		line, _ := json.Marshal(a)
		fmt.Fprintf(j.ackLog, "%s\n", line)
	}
	return a
}

func (j *journal) recordRefusal(c *command, status int, code, detail string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.pending, c.key)
	j.refused[c.key] = fmt.Sprintf("%d %s: %s", status, code, detail)
}

func (j *journal) countStatus(s string) {
	j.mu.Lock()
	j.statuses[s]++
	j.mu.Unlock()
}

// takePending returns the unanswered commands, in key order.
func (j *journal) takePending() []*command {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.SortedFunc(maps.Values(j.pending), func(a, b *command) int { return strings.Compare(a.key, b.key) })
}

func (j *journal) ackCount() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.acks)
}

// sortedAcks returns every acknowledgement, in key order.
func (j *journal) sortedAcks() []ack {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.SortedFunc(maps.Values(j.acks), func(a, b ack) int { return strings.Compare(a.Key, b.Key) })
}

func (j *journal) maxSequence() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	var m uint64
	for _, a := range j.acks {
		m = max(m, a.Sequence)
	}
	return m
}

func (j *journal) statusSummary() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	keys := make([]string, 0, len(j.statuses))
	for k := range j.statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, j.statuses[k])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// outcome is what one POST of a command came to.
type outcome int

const (
	outcomeAcked   outcome = iota // 2xx
	outcomeRetry                  // lost a race, or the server was briefly unable: send again with the same key
	outcomeRefused                // any other answer: final
	outcomeNoReply                // no HTTP answer (the server died, or the client gave up)
)

// client posts commands to one server.
type client struct {
	base string
	http *http.Client
	j    *journal
}

// retryBackoff is how long a client waits before it retries a command that
// lost a race or met an unavailable server.
const retryBackoff = 5 * time.Millisecond

func newHTTPClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
}

// post sends the command once.
func (cl *client) post(ctx context.Context, c *command, retry bool) (outcome, ack, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.base+"/v1/commands/laa.RecordOutturn", bytes.NewReader(c.body))
	if err != nil {
		return outcomeNoReply, ack{}, err
	}
	req.Header.Set("Authorization", "Bearer "+lspToken)
	req.Header.Set("Idempotency-Key", c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := cl.http.Do(req)
	if err != nil {
		return outcomeNoReply, ack{}, err
	}
	body := readBody(resp)
	if resp.StatusCode/100 == 2 {
		var res commandResult
		if err := json.Unmarshal(body, &res); err != nil {
			// An acknowledgement the client cannot read is no acknowledgement.
			cl.j.countStatus(fmt.Sprintf("%d unreadable", resp.StatusCode))
			return outcomeRetry, ack{}, fmt.Errorf("%d with unreadable body %q: %w", resp.StatusCode, clip(string(body)), err)
		}
		return outcomeAcked, cl.j.recordAck(c, resp.StatusCode, res, retry), nil
	}
	var p struct {
		Code   string `json:"code"`
		Detail string `json:"detail"`
	}
	_ = json.Unmarshal(body, &p)
	cl.j.countStatus(fmt.Sprintf("%d %s", resp.StatusCode, p.Code))
	switch {
	case resp.StatusCode == http.StatusConflict && p.Code == "version_conflict",
		resp.StatusCode == http.StatusServiceUnavailable,
		resp.StatusCode == http.StatusTooManyRequests:
		return outcomeRetry, ack{}, fmt.Errorf("%d %s: %s", resp.StatusCode, p.Code, p.Detail)
	}
	cl.j.recordRefusal(c, resp.StatusCode, p.Code, p.Detail)
	return outcomeRefused, ack{}, fmt.Errorf("%d %s: %s", resp.StatusCode, p.Code, p.Detail)
}

// deliver sends the command until it gets a final answer (acked or
// refused) and reports whether it did. It gives up at the first request
// that gets no answer, leaving the command unanswered: that is the client
// whose server was killed.
func (cl *client) deliver(ctx context.Context, c *command, retry bool) bool {
	for {
		o, _, _ := cl.post(ctx, c, retry)
		switch o {
		case outcomeAcked, outcomeRefused:
			return true
		case outcomeNoReply:
			return false
		}
		// Back off a little before the retry, as a well-behaved client would.
		select {
		case <-ctx.Done():
			return false
		case <-time.After(retryBackoff):
		}
	}
}

// run sends new commands one after another until ctx ends or the server
// stops answering.
func (cl *client) run(ctx context.Context, id int) {
	for ctx.Err() == nil {
		if !cl.deliver(ctx, cl.j.next(id), false) {
			return
		}
	}
}

// get fetches a read endpoint as the read-only auditor and decodes it.
func (cl *client) get(ctx context.Context, path string) (any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cl.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+readToken)
	resp, err := cl.http.Do(req)
	if err != nil {
		return nil, err
	}
	body := readBody(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, clip(string(body)))
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return v, nil
}

func readBody(resp *http.Response) []byte {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

// startClients runs n clients through cl until ctx ends; wait on the
// group for them to stop.
func startClients(ctx context.Context, cl *client, n int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for c := range n {
		wg.Go(func() {
			cl.run(ctx, c)
		})
	}
	return &wg
}

// journalIn returns a journal that logs every acknowledgement to
// acks.jsonl in dir, one JSON object a line; the file is closed when the
// test ends.
func journalIn(t *testing.T, dir string) *journal {
	t.Helper()
	ackLog, err := os.OpenFile(filepath.Join(dir, "acks.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ackLog.Close() })
	return newJournal(ackLog)
}
