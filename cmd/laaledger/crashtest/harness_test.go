package crashtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Deadlines of the waits. None of them paces the test: each bounds a wait
// for a condition, so a hung child fails the test instead of hanging it.
const (
	buildTimeout = 5 * time.Minute
	startTimeout = time.Minute // until "serving on" is printed and /readyz answers 200
	exitTimeout  = time.Minute // after a signal, until the process has exited
	cliTimeout   = 2 * time.Minute
	pollInterval = 20 * time.Millisecond
)

// buildLaaledger builds the laaledger binary into a temporary directory and
// returns its path.
func buildLaaledger(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "laaledger")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/laaledger/laaledger/cmd/laaledger").CombinedOutput()
	if err != nil {
		t.Fatalf("go build laaledger: %v\n%s", err, out)
	}
	return bin
}

// workDir returns the directory a test keeps its ledger and logs in: a new
// directory under $LAALEDGER_CRASH_DIR when that is set (kept afterwards,
// for a post-mortem), else a temporary one.
func workDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("LAALEDGER_CRASH_DIR")
	if base == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(base, strings.ReplaceAll(t.Name(), "/", "_")+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("work directory (kept): %s", dir)
	return dir
}

// servingLine is what `laaledger serve` prints on stdout once it listens and
// its ledger is open.
var servingLine = regexp.MustCompile(`laaledger serving on (http://\S+)`)

// server is one `laaledger serve --demo` child process.
type server struct {
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:PORT
	addr    <-chan string
	logPath string
	exited  chan struct{}
	waitErr error // set before exited is closed
}

// addrWriter copies the child's stdout into its log and reports the address
// of the first "serving on" line.
type addrWriter struct {
	mu   sync.Mutex
	buf  []byte
	log  *os.File
	addr chan string
	sent bool
}

func (w *addrWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.log.Write(p); err != nil {
		return 0, err
	}
	if w.sent {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	if m := servingLine.FindSubmatch(w.buf); m != nil {
		w.addr <- string(m[1])
		w.sent = true
		w.buf = nil
	}
	return len(p), nil
}

// startServer starts `laaledger serve --demo` on the data directory, on a
// loopback port the kernel chooses, and waits until /readyz answers 200.
// Its stdout and stderr go to logDir/serve-NAME.log. An error means the
// process did not come up (it may have exited, which is then said); the
// process is killed at the end of the test if still running.
func startServer(t *testing.T, bin, data, logDir, name string) (*server, error) {
	t.Helper()
	s, err := launchServer(t, bin, data, logDir, name)
	if err != nil {
		return s, err
	}
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	return s, s.waitReady(deadline.C)
}

// launchServer starts `laaledger serve --demo` like startServer but
// returns as soon as it prints its address, ready or not.
func launchServer(t *testing.T, bin, data, logDir, name string) (*server, error) {
	t.Helper()
	s, err := spawnServer(t, bin, data, logDir, name)
	if err != nil {
		return nil, err
	}
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	select {
	case s.base = <-s.addr:
	case <-s.exited:
		return s, fmt.Errorf("laaledger serve exited before serving (%v):\n%s", s.waitErr, s.logTail())
	case <-deadline.C:
		return s, fmt.Errorf("laaledger serve printed no address within %s:\n%s", startTimeout, s.logTail())
	}
	return s, nil
}

// spawnServer starts the process and returns at once; its address arrives
// on s.addr when it prints it.
func spawnServer(t *testing.T, bin, data, logDir, name string) (*server, error) {
	t.Helper()
	logPath := filepath.Join(logDir, "serve-"+name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	w := &addrWriter{log: logf, addr: make(chan string, 1)}
	cmd := exec.Command(bin, "serve", "--demo", "--data", data, "--http", "127.0.0.1:0")
	cmd.Stdout = w
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start laaledger serve: %w", err)
	}
	s := &server{cmd: cmd, logPath: logPath, addr: w.addr, exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = cmd.Process.Kill()
			<-s.exited
		}
	})
	return s, nil
}

// killWhileStarting starts the server and kills it with SIGKILL after
// delay, however far it got: opening the store, loading the demo history,
// catching up the projections, or serving. It reports how far that was.
func killWhileStarting(t *testing.T, bin, data, logDir, name string, delay time.Duration) string {
	t.Helper()
	s, err := spawnServer(t, bin, data, logDir, name)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(delay) // the random moment of the kill
	s.kill(t)
	if s.waitErr != nil && !strings.Contains(s.waitErr.Error(), "killed") {
		t.Errorf("laaledger serve failed while starting: %v\n%s", s.waitErr, s.logTail())
	}
	select {
	case <-s.addr:
		return "after it printed its address"
	default:
		return "before it printed its address"
	}
}

// mustStartServer is startServer for a test that cannot go on without it.
func mustStartServer(t *testing.T, bin, data, logDir, name string) *server {
	t.Helper()
	s, err := startServer(t, bin, data, logDir, name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitReady polls /readyz until it answers 200, the process exits or the
// deadline fires.
func (s *server) waitReady(deadline <-chan time.Time) error {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	last := "no answer"
	for {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			body := readBody(resp)
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		select {
		case <-tick.C:
		case <-s.exited:
			return fmt.Errorf("laaledger serve exited before it was ready (%v):\n%s", s.waitErr, s.logTail())
		case <-deadline:
			return fmt.Errorf("laaledger serve not ready in time; /readyz: %s", last)
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	s.waitExit(t)
}

// stop sends SIGTERM, the operator's stop, and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	s.waitExit(t)
	if s.waitErr != nil {
		t.Errorf("laaledger serve did not stop cleanly on SIGTERM: %v\n%s", s.waitErr, s.logTail())
	}
}

func (s *server) waitExit(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
	case <-time.After(exitTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		t.Fatalf("laaledger serve (pid %d) still running %s after a signal", s.cmd.Process.Pid, exitTimeout)
	}
}

// logTail returns the end of the process's log, for failure messages.
func (s *server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// cliResult is what a CLI invocation did.
type cliResult struct {
	args           []string
	stdout, stderr string
	code           int // exit code; -1 if it was killed at the deadline
}

func (r cliResult) String() string {
	return fmt.Sprintf("laaledger %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(r.args, " "), r.code, clip(r.stdout), clip(r.stderr))
}

// runCLI runs the binary with args and a deadline. A run that outlives the
// deadline is killed and reported with code -1: a hung verify is a finding,
// not a reason to hang the suite.
func runCLI(t *testing.T, bin string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	r := cliResult{args: args, stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.code = -1
		r.stderr += fmt.Sprintf("\n(killed: still running after %s)", cliTimeout)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run laaledger %v: %v", args, err)
	}
	return r
}

func clip(s string) string {
	const max = 2000
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
