package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/integration"
)

// storeFlags are the flags every command that opens the ledger takes.
type storeFlags struct {
	data         string
	natsURL      string
	creds        string
	adminCreds   string
	replicas     int
	syncInterval time.Duration
	dupWindow    time.Duration
	listen       string
	cacheEvents  int
	// create lets open create the embedded ledger (serve, demo,
	// gen-history); every other command needs one that exists.
	create      bool
	readTimeout time.Duration
	// command names the command, and viaServer says whether it can ask a
	// running server instead (it has --server): what to do when the data
	// directory is held.
	command   string
	viaServer bool
}

// createsLedger names the commands that may create a data directory and
// the ledger in it.
var createsLedger = map[string]bool{"serve": true, "demo": true, "gen-history": true}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.data, "data", envOr("LAALEDGER_DATA", "./laaledger-data"), "data directory of the embedded NATS server (env LAALEDGER_DATA)")
	fs.StringVar(&f.natsURL, "nats-url", os.Getenv("LAALEDGER_NATS_URL"), "connect to this NATS server or cluster instead of the embedded one (env LAALEDGER_NATS_URL)")
	fs.StringVar(&f.creds, "creds", "", "credentials file of the service user, for --nats-url")
	fs.StringVar(&f.adminCreds, "admin-creds", "", "credentials file of an administrator, used once to create the stream on --nats-url")
	fs.IntVar(&f.replicas, "replicas", 0, "stream replicas when creating it (default 1 embedded; use 3 on a cluster)")
	fs.DurationVar(&f.syncInterval, "sync-interval", 0, "embedded only: flush to disk on this interval instead of before every acknowledgement (default: sync every write)")
	fs.DurationVar(&f.dupWindow, "duplicate-window", 2*time.Minute, "how long the server remembers command ids (older repeats are caught from history)")
	fs.IntVar(&f.cacheEvents, "cache-events", 200_000, "events kept in memory for decisions: each cached aggregate holds its snapshot and the events after it, so a miss costs one snapshot read and that tail, whatever the history's length")
	fs.DurationVar(&f.readTimeout, "read-timeout", eventstore.DefaultReadIdleTimeout, "a read of the stream (verify, export, rebuild, loads) that receives nothing for this long fails, naming the sequence it waited for")
	fs.StringVar(&f.listen, "nats-listen", "", "embedded only: also accept NATS clients on this loopback address, e.g. 127.0.0.1:4222; only the ledger's own and integration users (see integration add) are admitted")
}

func (f *storeFlags) config(log *slog.Logger) eventstore.Config {
	var users func() ([]*server.User, error)
	if f.natsURL == "" {
		users = integration.Users(f.data)
	}
	return eventstore.Config{
		EmbeddedUsers: users,
		DataDir:       f.data, NATSURL: f.natsURL, CredsFile: f.creds, AdminCredsFile: f.adminCreds,
		Replicas: f.replicas, SyncInterval: f.syncInterval, DuplicateWindow: f.dupWindow,
		ListenAddr: f.listen, CacheEvents: f.cacheEvents, ReadIdleTimeout: f.readTimeout, Logger: log,
		// -v (a logger at Debug) also logs the embedded server's debug lines.
		ServerDebug:       log.Enabled(context.Background(), slog.LevelDebug),
		StreamDescription: "laaledger: immutable events of LAA negotiations and CAA judgements",
	}
}

// open opens the ledger. The store's errors name no flags; where a flag is
// the way out, open says which.
func (f *storeFlags) open(ctx context.Context, log *slog.Logger) (*eventstore.Store, error) {
	if f.natsURL == "" && f.replicas > 1 {
		return nil, usageError{fmt.Sprintf("--replicas %d needs --nats-url: the embedded server is a single node", f.replicas)}
	}
	if f.listen != "" {
		if err := checkLoopback(f.listen); err != nil {
			return nil, err
		}
	}
	if f.natsURL == "" && !f.create {
		if err := ledgerExists(f.data); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	s, err := eventstore.Open(ctx, f.config(log))
	if errors.Is(err, eventstore.ErrInUse) && !f.viaServer && f.command != "" {
		return nil, fmt.Errorf("%w; stop it first: %s reads the data directory itself (a running server answers state, timeline and the event stream over its API)", err, f.command)
	}
	if errors.Is(err, eventstore.ErrInUse) {
		return nil, fmt.Errorf("%w; stop it, or ask it through its API instead: --server http://ADDRESS --token TOKEN (or LAALEDGER_SERVER, LAALEDGER_TOKEN)", err)
	}
	return s, err
}

// where names the ledger for messages: the NATS URL or the data directory.
func (f *storeFlags) where() string {
	if f.natsURL != "" {
		return f.natsURL
	}
	return f.data
}

// ledgerExists reports, as a not-found error saying what to do, a data
// directory that does not exist or holds no embedded ledger, so that a
// command other than serve, demo and gen-history never creates one.
func ledgerExists(dir string) error {
	const hint = "give --data DIR (env LAALEDGER_DATA) of a ledger, create one with `laaledger serve` or `laaledger demo`, or ask a running server with --server"
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: there is no ledger at %s: the directory does not exist; %s", eventstore.ErrNotFound, dir, hint)
	case err != nil:
		return fmt.Errorf("data directory: %w", err)
	case !fi.IsDir():
		return usageError{fmt.Sprintf("--data %s is not a directory", dir)}
	}
	// The embedded server keeps its store in DIR/jetstream (see
	// eventstore.Config.DataDir).
	if _, err := os.Stat(filepath.Join(dir, "jetstream")); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: there is no ledger at %s: the directory holds none; %s", eventstore.ErrNotFound, dir, hint)
	}
	return nil
}

// ledgerRun runs a command that works on the ledger, once its flags are
// parsed.
type ledgerRun func(ctx context.Context, c *call) error

// onLedger makes the run function of a command that works on the ledger.
// It gives the command a flag set holding the store flags (synopsis is the
// usage line, its first word the command's name), lets flags add the
// command's own and return what runs, parses args, and closes the ledger
// after the run if the run opened it, reporting the close's error if
// nothing failed before.
func onLedger(synopsis string, flags func(fs *flag.FlagSet) ledgerRun) func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
		fs := newFlagSet(strings.Fields(synopsis)[0], synopsis, stderr)
		c := &call{stdout: stdout, stderr: stderr, log: newLogger(stderr, false)}
		c.flags.register(fs)
		c.flags.create = createsLedger[fs.Name()]
		run := flags(fs)
		c.flags.command, c.flags.viaServer = fs.Name(), fs.Lookup("server") != nil
		if err := parse(fs, args); err != nil {
			return err
		}
		c.args = fs.Args()
		defer func() {
			if c.opened == nil {
				return
			}
			if cerr := c.opened.Close(); cerr != nil && err == nil {
				err = cerr
			}
		}()
		return run(ctx, c)
	}
}

// noFlags is the flags function of a command with no flags of its own.
func noFlags(run ledgerRun) func(*flag.FlagSet) ledgerRun {
	return func(*flag.FlagSet) ledgerRun { return run }
}

// call is one run of a command that works on the ledger.
type call struct {
	args           []string // the arguments after the flags
	stdout, stderr io.Writer
	// log is what the ledger logs to; a command may replace it before its
	// first [call.ledger] (serve does, for -v).
	log    *slog.Logger
	flags  storeFlags
	opened *eventstore.Store
}

// Args returns the arguments after the flags.
func (c *call) Args() []string { return c.args }

// ledger opens the ledger on first use; [onLedger] closes it. Commands
// call it only once their own input is checked, so a usage error leaves
// the data directory alone.
func (c *call) ledger(ctx context.Context) (*eventstore.Store, error) {
	if c.opened == nil {
		s, err := c.flags.open(ctx, c.log)
		if err != nil {
			return nil, err
		}
		c.opened = s
	}
	return c.opened, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// newFlagSet returns a flag set that reports errors instead of exiting and
// prints its usage to stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if flagSetCreated != nil {
		flagSetCreated(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: laaledger %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, turning -h into errHelp and bad flags into a usage
// error. Flags may come before, between or after the positional arguments
// (state laa 00EB/2008-11 --known-at 2009-03-31); after "--" everything is
// positional. fs.Args() is then the positional arguments in order.
func parse(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return errHelp
			}
			return usageError{err.Error()}
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Parse once more so that fs.Args() holds the positional arguments.
	return fs.Parse(append([]string{"--"}, positional...))
}

// flagSetCreated, when set (by tests), sees every flag set a command makes.
var flagSetCreated func(*flag.FlagSet)

func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
