package eventstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/laaledger/laaledger/eventstore/internal/conns"
)

// PublishTimeout bounds the wait for the server's acknowledgement of one
// append, whatever the caller's context allows.
const PublishTimeout = 10 * time.Second

// DefaultStream is the name of the ledger stream.
const DefaultStream = "LEDGER"

// DefaultStreamDescription is the ledger stream's description unless
// [Config.StreamDescription] names another.
const DefaultStreamDescription = "append-only event ledger: every event hash-chained to its aggregate's previous one"

// Config says where the ledger lives and how it is kept. The zero value plus
// a DataDir is a working embedded ledger.
type Config struct {
	// DataDir holds the embedded server's JetStream store. Ignored when
	// NATSURL is set.
	DataDir string
	// NATSURL connects to an external NATS server or cluster instead of
	// starting one in-process.
	NATSURL string
	// CredsFile is the service user's credentials for NATSURL. The service
	// user must not be allowed to delete, purge or update the stream.
	CredsFile string
	// AdminCredsFile, for NATSURL, is used once at start to create the
	// stream if it is missing, then closed. Without it a missing stream is
	// an error.
	AdminCredsFile string
	// Replicas of the stream when it is created: 1 embedded, 3 for a
	// cluster.
	Replicas int
	// DuplicateWindow is how long the server remembers command ids
	// (Nats-Msg-Id). Default 2 minutes; repeats after it are still caught
	// from the aggregate's own history. It is applied to an existing stream
	// at every Open that has administrator rights (always, embedded); the
	// window never weakens the ledger, so changing it is the operator's
	// call. Without administrator rights the stream keeps its window and a
	// warning is logged.
	DuplicateWindow time.Duration
	// SyncInterval, when positive, lets the embedded server flush to disk on
	// that interval instead of before every acknowledgement. The default, 0,
	// syncs every write (sync_always): an acknowledged event survives a power
	// cut. Interval syncing trades that for throughput; use it only where
	// losing the last interval's acknowledged events is acceptable.
	SyncInterval time.Duration
	// Stream is the ledger stream's name; default "LEDGER".
	Stream string
	// StreamDescription is the description the stream is created with;
	// default [DefaultStreamDescription]. It says what the ledger holds to
	// whoever lists the server's streams, and is not checked on an
	// existing stream.
	StreamDescription string
	// CacheEvents bounds the events kept in the aggregate cache; default
	// 200,000, about 200 MiB. An aggregate's entry holds its latest
	// snapshot and the events after it, not its whole history, so a miss
	// costs one snapshot read and the tail whatever the history's length;
	// size it to the tails of the aggregates that take commands.
	CacheEvents int
	// ListenAddr, when set, also opens the embedded server's client port on
	// that address (loopback only is advised) so other processes can read.
	ListenAddr string
	// EmbeddedUsers, when set, is called each time the embedded server
	// starts for more users to admit beside the ledger's own (the
	// read-only integration users of package integration). Their
	// permissions are theirs to state; none may be named admin or service.
	// They are admitted to an account of their own,
	// [EmbeddedUsersAccount], into which the ledger's account exports
	// exactly the subjects their permissions allow to publish, so that
	// the server's answers to them cannot reach a ledger stream.
	EmbeddedUsers func() ([]*server.User, error)
	// ConnectOptions are added to the connections to an external server
	// (TLS, user and password, …).
	ConnectOptions []nats.Option
	// Logger receives the store's own log lines; default slog.Default().
	Logger *slog.Logger
	// WatermarkFile keeps the ledger's high-water mark (see [Watermark]):
	// default DataDir/ledger.watermark, none when neither is set (an
	// external server without a data directory). Give each process that
	// writes to a shared cluster its own file.
	WatermarkFile string
	// WatermarkInterval is how often the watermark is written and the
	// stream checked against it while the store runs; default 100 ms.
	WatermarkInterval time.Duration
	// ReadIdleTimeout bounds how long a bounded read of the stream (a
	// [Store.Read], an aggregate load, an export, a rebuild, a verify) waits
	// for its next message without receiving one; it then fails with a
	// *[ReadStalledError] naming the sequence it was waiting for, instead
	// of hanging on a message that cannot be read. It is an idle deadline:
	// a long read that keeps receiving never hits it. Default
	// [DefaultReadIdleTimeout].
	ReadIdleTimeout time.Duration
	// ServerDebug and ServerTrace turn on the embedded server's debug and
	// trace lines, logged at Debug. Its warnings and errors are always
	// logged, its notices at Info while it runs and at Debug while it
	// starts and stops (its banner); trace logs every protocol message and
	// is for diagnosis only.
	ServerDebug, ServerTrace bool
}

// DefaultReadIdleTimeout is [Config.ReadIdleTimeout] unless set.
const DefaultReadIdleTimeout = 30 * time.Second

func (c *Config) setDefaults() error {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.StreamDescription == "" {
		c.StreamDescription = DefaultStreamDescription
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		return invalidf("replicas %d: must be between 1 and 5", c.Replicas)
	}
	if c.NATSURL == "" && c.Replicas != 1 {
		return invalidf("replicas %d: the embedded server is a single node; more replicas need an external cluster", c.Replicas)
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 2 * time.Minute
	}
	if c.DuplicateWindow < 0 {
		return invalidf("duplicate window %s: must be positive", c.DuplicateWindow)
	}
	if c.SyncInterval < 0 {
		return invalidf("sync interval %s: must be positive, or 0 to sync every write", c.SyncInterval)
	}
	if c.CacheEvents == 0 {
		c.CacheEvents = 200_000
	}
	if c.NATSURL == "" && c.DataDir == "" {
		return invalidf("no data directory and no NATS URL")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.WatermarkFile == "" && c.DataDir != "" {
		c.WatermarkFile = filepath.Join(c.DataDir, WatermarkFile)
	}
	if c.WatermarkInterval <= 0 {
		c.WatermarkInterval = 100 * time.Millisecond
	}
	if c.ReadIdleTimeout < 0 {
		return invalidf("read idle timeout %s: must be positive", c.ReadIdleTimeout)
	}
	if c.ReadIdleTimeout == 0 {
		c.ReadIdleTimeout = DefaultReadIdleTimeout
	}
	return nil
}

// Store is the ledger. It is safe for concurrent use.
type Store struct {
	cfg    Config
	ns     *server.Server // nil for an external server
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	cache  *cache
	snaps  snapshots
	// snapWriter writes snapshots in the background.
	snapWriter snapshotWriter
	log        *slog.Logger
	admin      []nats.Option
	svcID      []nats.Option // the embedded service user's identity
	lock       *dirLock      // the embedded server's hold on its data directory
	// wm keeps the high-water mark and holds an integrity failure, if one
	// was found at Open or since; nil without a watermark file.
	wm *watermarker
	// doubt is the integrity failure found at Open, if any.
	doubt error
	// distrust is the first integrity failure reported while running
	// (see Distrust).
	distrust atomic.Pointer[IntegrityError]
	// noCreate forbids creating a missing stream (a watermark exists).
	noCreate bool
	// readers holds a slot for every stream read in progress.
	readers chan struct{}
	// srvLog carries the embedded server's log into log; nil for an
	// external server.
	srvLog *serverLog
	// tailBatch and tailBytes bound one batched direct get of a tail
	// (see readTail); noBatchGet is set once the server is found not to
	// answer them.
	tailBatch, tailBytes int
	noBatchGet           atomic.Bool
}

// Open starts the embedded server (or connects to cfg.NATSURL), makes sure
// the ledger stream exists with a configuration that cannot lose events, and
// connects as the service user.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	s := &Store{cfg: cfg, log: cfg.Logger, cache: newCache(cfg.CacheEvents), readers: make(chan struct{}, maxReaders),
		tailBatch: maxTailBatch, tailBytes: maxTailBytes}
	var adminOpts, serviceOpts []nats.Option
	if cfg.NATSURL == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("open ledger in %s: %w", cfg.DataDir, err)
		}
		lock, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("open ledger: %w", err)
		}
		s.lock = lock
		s.srvLog = newServerLog(cfg.Logger)
		ns, admin, service, err := startEmbedded(cfg, s.srvLog)
		if err != nil {
			lock.release()
			return nil, fmt.Errorf("open ledger in %s: %w", cfg.DataDir, err)
		}
		s.ns = ns
		adminOpts = append(admin, nats.InProcessServer(ns))
		s.svcID = service
		serviceOpts = append(service, nats.InProcessServer(ns))
	} else {
		if cfg.AdminCredsFile != "" {
			adminOpts = append([]nats.Option{nats.UserCredentials(cfg.AdminCredsFile)}, cfg.ConnectOptions...)
		}
		serviceOpts = append([]nats.Option{}, cfg.ConnectOptions...)
		if cfg.CredsFile != "" {
			serviceOpts = append(serviceOpts, nats.UserCredentials(cfg.CredsFile))
		}
	}
	s.admin = adminOpts
	checkOpts, canCreate := adminOpts, adminOpts != nil
	if !canCreate {
		checkOpts = serviceOpts
	}
	mark, haveMark, err := Watermark{}, false, error(nil)
	if cfg.WatermarkFile != "" {
		mark, haveMark, err = readWatermark(cfg.WatermarkFile)
		var ie *IntegrityError
		if errors.As(err, &ie) {
			ie.Stream = cfg.Stream
			s.doubt = err
		} else if err != nil {
			s.Close()
			return nil, fmt.Errorf("open ledger: %w", err)
		}
	}
	// A ledger that acknowledged commits never creates its stream anew: a
	// missing stream is a lost one.
	s.noCreate = haveMark
	if err := s.ensureStream(ctx, checkOpts, canCreate); err != nil {
		if haveMark && errors.Is(err, ErrNotFound) {
			err = &IntegrityError{Stream: cfg.Stream, Reason: fmt.Sprintf(
				"the stream does not exist, but sequence %d was acknowledged (watermark of %s); it was deleted or this is another server",
				mark.Sequence, mark.UpdatedAt.UTC().Format(time.RFC3339))}
		}
		s.Close()
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	nc, err := nats.Connect(cfg.NATSURL, append(serviceOpts, nats.Name("laaledger"), nats.MaxReconnects(-1))...)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open ledger: connect: %w: %v", ErrUnavailable, err)
	}
	s.nc = nc
	// An acknowledgement that never comes (a stream leader lost mid-publish)
	// must not hold the aggregate's lock for ever: after the timeout the
	// append reports ErrUnavailable and a retry with the same command id is
	// safe.
	s.js, err = jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(PublishTimeout))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	s.stream, err = s.js.Stream(ctx, cfg.Stream)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open ledger: stream %s: %w", cfg.Stream, mapErr(err))
	}
	s.reportLost(ctx)
	if s.doubt == nil {
		mark.Stream = cfg.Stream
		if err := checkAgainstWatermark(ctx, s.stream, mark, haveMark); errors.Is(err, ErrIntegrity) {
			s.doubt = err
		} else if err != nil {
			s.Close()
			return nil, fmt.Errorf("open ledger: %w", err)
		}
	}
	if s.doubt != nil {
		s.log.Error("ledger integrity in doubt: appends are refused", "err", s.doubt)
	}
	if cfg.WatermarkFile != "" && s.doubt == nil {
		s.wm = newWatermarker(cfg.WatermarkFile, cfg.Stream, mark, cfg.WatermarkInterval)
		if !haveMark {
			// First start with a watermark (or a new ledger): record where
			// the stream stands now, so that a later start has something to
			// hold it to.
			if err := s.markCurrent(ctx); err != nil {
				s.Close()
				return nil, fmt.Errorf("open ledger: %w", err)
			}
		}
		go s.wm.run(context.Background(), s.stream, s.log.Warn)
	}
	return s, nil
}

// markCurrent records the stream's last commit as the watermark.
func (s *Store) markCurrent(ctx context.Context) error {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("read the state of stream %s: %w", s.cfg.Stream, mapErr(err))
	}
	if info.State.LastSeq == 0 {
		return nil
	}
	msg, err := s.stream.GetMsg(ctx, info.State.LastSeq)
	if err != nil {
		return fmt.Errorf("read commit %d: %w", info.State.LastSeq, mapErr(err))
	}
	s.wm.acknowledged(info.State.LastSeq, msg.Data)
	return s.wm.flush()
}

// Integrity returns why the stream cannot be trusted for writes — shorter
// than, gapped below or different from what this ledger acknowledged
// (errors.Is ErrIntegrity) — or nil. While it is not nil every Append is
// refused with it; reads still work, so that the damage can be examined
// and exported. Recovery is the operator's: restore the stream from a
// replica or a backup, then verify.
func (s *Store) Integrity() error {
	if s.doubt != nil {
		return s.doubt
	}
	if s.wm != nil {
		if err := s.wm.err(); err != nil {
			return err
		}
	}
	if e := s.distrust.Load(); e != nil {
		return e
	}
	return nil
}

// Distrust records that the stream was found not to be the history this
// ledger acknowledged while it runs — a verification that failed, a read
// that met a broken hash chain or a missing commit, a notary that could
// not re-hash what it signed — so that from then on, as for damage found
// at Open, every Append is refused and [Store.Integrity] says why. The
// first reason stands; later ones and nil are ignored. Nothing but a new
// Open, after the operator has restored the stream, clears it.
//
// The store calls it itself when an append meets a broken chain; a
// program that verifies the ledger through other means (the notary, a
// full verification) calls it with what it found.
func (s *Store) Distrust(reason error) {
	if reason == nil {
		return
	}
	var ie *IntegrityError
	if !errors.As(reason, &ie) {
		ie = &IntegrityError{Stream: s.cfg.Stream, Reason: "while running, " + reason.Error()}
	}
	if s.distrust.CompareAndSwap(nil, ie) {
		s.log.Error("ledger integrity in doubt: appends are refused from now on", "err", ie)
	}
}

// DistrustIfTampered passes err through, first recording it with
// [Store.Distrust] if it says the stored history does not verify
// (errors.Is ErrTampered or ErrIntegrity); any other error, and nil, only
// pass through. A program that reads the ledger through other means (a
// notary, a verification, an export) hands it what they returned.
func (s *Store) DistrustIfTampered(err error) error {
	if errors.Is(err, ErrTampered) || errors.Is(err, ErrIntegrity) {
		s.Distrust(err)
	}
	return err
}

// startEmbedded runs nats-server in-process with JetStream in dataDir and two
// users that exist only in this process: admin (creates the stream) and
// service (everything else, but no stream delete, purge, update or create).
func startEmbedded(cfg Config, log *serverLog) (*server.Server, []nats.Option, []nats.Option, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, nil, nil, err
	}
	adminPass, servicePass := randomSecret(), randomSecret()
	opts := &server.Options{
		ServerName: "laaledger",
		JetStream:  true,
		StoreDir:   filepath.Join(cfg.DataDir, "jetstream"),
		DontListen: cfg.ListenAddr == "",
		NoSigs:     true,
		NoLog:      true,
		// The server pings a new client about 2 s after it connects. A
		// client whose CONNECT is still being checked then (an
		// integration user's bcrypt password on a busy machine) reads that
		// PING where it expects the handshake's PONG and gives up; the
		// regular ping interval still finds stale connections.
		DisableShortFirstPing: true,
		Users: []*server.User{
			{Username: "admin", Password: adminPass},
			{Username: "service", Password: servicePass, Permissions: ServicePermissions()},
		},
	}
	if cfg.EmbeddedUsers != nil {
		more, err := cfg.EmbeddedUsers()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("embedded users: %w", err)
		}
		for _, u := range more {
			if u.Username == "admin" || u.Username == "service" {
				return nil, nil, nil, invalidf("embedded user %q: the name is the ledger's own", u.Username)
			}
		}
		if len(more) > 0 {
			// The embedded users live in an account of their own: the
			// server answers a request on whatever reply subject the client
			// names, and in the ledger's account a stream would store that
			// answer. Across the account boundary replies reach only
			// theirs (see shareWithEmbeddedUsers).
			acc := server.NewAccount(EmbeddedUsersAccount)
			opts.Accounts = append(opts.Accounts, acc)
			for _, u := range more {
				u.Account = acc
			}
		}
		opts.Users = append(opts.Users, more...)
	}
	if cfg.SyncInterval > 0 {
		opts.SyncInterval = cfg.SyncInterval
	} else {
		opts.SyncAlways = true
		opts.SyncInterval = 2 * time.Minute
	}
	if cfg.ListenAddr != "" {
		host, port, err := splitHostPort(cfg.ListenAddr)
		if err != nil {
			return nil, nil, nil, err
		}
		opts.Host, opts.Port = host, port
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("start embedded NATS: %w", err)
	}
	if len(opts.Accounts) > 0 {
		if err := shareWithEmbeddedUsers(ns, opts.Users); err != nil {
			return nil, nil, nil, fmt.Errorf("start embedded NATS: %w", err)
		}
	}
	// NoLog keeps the server from making a logger of its own (to stderr);
	// it logs to the ledger's instead, from before it recovers the stream.
	ns.SetLoggerV2(log, cfg.ServerDebug, cfg.ServerTrace, false)
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, nil, nil, fmt.Errorf("start embedded NATS: %w: not ready after 30s", ErrUnavailable)
	}
	// The server leaves JetStream off in the ledger's account once
	// another account exists; the ledger's streams are there.
	if g := ns.GlobalAccount(); len(opts.Accounts) > 0 && !g.JetStreamEnabled() {
		if err := g.EnableJetStream(nil, nil); err != nil {
			ns.Shutdown()
			return nil, nil, nil, fmt.Errorf("start embedded NATS: JetStream for the ledger's account: %w", err)
		}
	}
	log.running.Store(true)
	return ns, []nats.Option{nats.UserInfo("admin", adminPass)}, []nats.Option{nats.UserInfo("service", servicePass)}, nil
}

// EmbeddedUsersAccount is the NATS account of the users that
// [Config.EmbeddedUsers] adds; the ledger's streams are in the global
// account.
const EmbeddedUsersAccount = "EMBEDDED_USERS"

// shareWithEmbeddedUsers gives the embedded users' account what their
// permissions allow in the ledger's account, and nothing more: every
// subject a user may publish to is exported by the ledger's account as a
// service to theirs only, and imported there under the same name. The
// server answers such a request in the importing account, on the reply
// subject the client named, so no answer can reach a stream. A pull's
// answer is a stream of messages. The JetStream account info is shared
// too: importing it is what keeps the server from answering their
// JetStream requests itself as from an account without JetStream. It runs
// before the server starts.
func shareWithEmbeddedUsers(ns *server.Server, users []*server.User) error {
	g := ns.GlobalAccount()
	theirs, err := ns.LookupAccount(EmbeddedUsersAccount)
	if err != nil {
		return err
	}
	shared := map[string]bool{}
	subjects := []string{server.JSApiAccountInfo}
	for _, u := range users {
		if u.Account == nil || u.Account.Name != EmbeddedUsersAccount || u.Permissions == nil || u.Permissions.Publish == nil {
			continue
		}
		subjects = append(subjects, u.Permissions.Publish.Allow...)
	}
	for _, subject := range subjects {
		if shared[subject] {
			continue
		}
		shared[subject] = true
		resp := server.Singleton
		if strings.HasPrefix(subject, "$JS.API.CONSUMER.MSG.NEXT.") {
			resp = server.Streamed
		}
		if err := g.AddServiceExportWithResponse(subject, resp, []*server.Account{theirs}); err != nil {
			return fmt.Errorf("export %s: %w", subject, err)
		}
		if err := theirs.AddServiceImport(g, subject, subject); err != nil {
			return fmt.Errorf("import %s: %w", subject, err)
		}
	}
	return nil
}

// ServicePermissions are what the service user may do: everything except the
// JetStream API calls that could delete, purge, weaken or replace a stream or
// delete a message. Use the same deny list for an external server's service
// user.
func ServicePermissions() *server.Permissions {
	deny := []string{
		"$JS.API.STREAM.DELETE.>",
		"$JS.API.STREAM.PURGE.>",
		"$JS.API.STREAM.UPDATE.>",
		"$JS.API.STREAM.CREATE.>",
		"$JS.API.STREAM.MSG.DELETE.>",
		"$JS.API.STREAM.RESTORE.>",
	}
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{">"}, Deny: deny},
	}
}

func randomSecret() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// StreamConfig is the ledger stream's configuration.
func (s *Store) StreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              s.cfg.Stream,
		Description:       s.cfg.StreamDescription,
		Subjects:          []string{SubjectPrefix + ".>"},
		Storage:           jetstream.FileStorage,
		Retention:         jetstream.LimitsPolicy,
		Discard:           jetstream.DiscardNew,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxAge:            0,
		MaxMsgsPerSubject: -1,
		MaxMsgSize:        -1,
		Duplicates:        s.cfg.DuplicateWindow,
		Replicas:          s.cfg.Replicas,
		DenyDelete:        true,
		DenyPurge:         true,
		AllowDirect:       true,
	}
}

// ensureStream creates the stream through the admin connection if it is
// missing, and refuses to run on one whose configuration could lose events.
func (s *Store) ensureStream(ctx context.Context, opts []nats.Option, canCreate bool) error {
	nc, err := nats.Connect(s.cfg.NATSURL, append(opts, nats.Name("laaledger-setup"))...)
	if err != nil {
		return fmt.Errorf("connect to %s: %w: %v", orEmbedded(s.cfg.NATSURL), ErrUnavailable, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	st, err := js.Stream(ctx, s.cfg.Stream)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		if s.noCreate {
			return fmt.Errorf("stream %s: %w", s.cfg.Stream, ErrNotFound)
		}
		if !canCreate {
			return fmt.Errorf("stream %s does not exist on %s and no admin credentials were given to create it: %w", s.cfg.Stream, s.cfg.NATSURL, ErrNotFound)
		}
		if _, err := js.CreateStream(ctx, s.StreamConfig()); err != nil {
			return fmt.Errorf("create stream %s: %w", s.cfg.Stream, mapErr(err))
		}
		s.log.Info("created ledger stream", "stream", s.cfg.Stream, "replicas", s.cfg.Replicas)
		return nil
	case err != nil:
		return fmt.Errorf("look up stream %s: %w", s.cfg.Stream, mapErr(err))
	}
	cur := st.CachedInfo().Config
	if err := CheckStreamConfig(cur); err != nil {
		return err
	}
	if cur.Duplicates == s.cfg.DuplicateWindow {
		return nil
	}
	if !canCreate {
		s.log.Warn("ledger stream keeps its duplicate window: no administrator credentials to change it",
			"stream", s.cfg.Stream, "window", cur.Duplicates, "configured", s.cfg.DuplicateWindow)
		s.cfg.DuplicateWindow = cur.Duplicates
		return nil
	}
	// Only the window changes; every other setting stays as it was.
	cur.Duplicates = s.cfg.DuplicateWindow
	if _, err := js.UpdateStream(ctx, cur); err != nil {
		return fmt.Errorf("set duplicate window of stream %s to %s: %w", s.cfg.Stream, s.cfg.DuplicateWindow, mapErr(err))
	}
	s.log.Info("changed the ledger stream's duplicate window", "stream", s.cfg.Stream, "window", s.cfg.DuplicateWindow)
	return nil
}

// CheckStreamConfig refuses a stream configuration under which the server
// could drop, expire, roll up or let anyone delete a ledger event.
func CheckStreamConfig(c jetstream.StreamConfig) error {
	var probs []string
	if !c.DenyDelete {
		probs = append(probs, "deny_delete is off")
	}
	if !c.DenyPurge {
		probs = append(probs, "deny_purge is off")
	}
	if c.Storage != jetstream.FileStorage {
		probs = append(probs, "storage is not file")
	}
	if c.Retention != jetstream.LimitsPolicy {
		probs = append(probs, fmt.Sprintf("retention is %s, not limits", c.Retention))
	}
	if c.MaxAge > 0 {
		probs = append(probs, fmt.Sprintf("max_age %s would expire events", c.MaxAge))
	}
	if c.MaxMsgs > 0 {
		probs = append(probs, fmt.Sprintf("max_msgs %d", c.MaxMsgs))
	}
	if c.MaxBytes > 0 {
		probs = append(probs, fmt.Sprintf("max_bytes %d", c.MaxBytes))
	}
	if c.MaxMsgsPerSubject > 0 {
		probs = append(probs, fmt.Sprintf("max_msgs_per_subject %d", c.MaxMsgsPerSubject))
	}
	if c.AllowRollup {
		probs = append(probs, "rollups are allowed")
	}
	if c.AllowMsgTTL {
		probs = append(probs, "per-message TTLs are allowed")
	}
	if len(probs) > 0 {
		return invalidf("stream %s could lose events: %v; fix its configuration with an administrator account", c.Name, probs)
	}
	return nil
}

func orEmbedded(url string) string {
	if url == "" {
		return "the embedded server"
	}
	return url
}

// Close drains the service connection (pending acknowledgements are
// awaited) and shuts the embedded server down, flushing its store.
func (s *Store) Close() error {
	var err error
	if s.nc != nil {
		// Write the snapshots still pending; a lost one is only an
		// optimisation lost.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = s.FlushSnapshots(ctx)
		cancel()
	}
	if s.wm != nil {
		s.wm.close()
	}
	if s.nc != nil {
		if s.js != nil {
			select {
			case <-s.js.PublishAsyncComplete():
			case <-time.After(10 * time.Second):
			}
		}
		done := make(chan struct{})
		s.nc.SetClosedHandler(func(*nats.Conn) { close(done) })
		if derr := s.nc.Drain(); derr == nil {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
			}
		}
		s.nc.Close()
	}
	if s.ns != nil {
		s.srvLog.running.Store(false)
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
	}
	s.lock.release()
	return err
}

// adminConnect opens a connection as the administrator: the explicit path
// for setting up streams. It exists only for the embedded server or when
// AdminCredsFile was given; the caller closes it.
func (s *Store) adminConnect() (*nats.Conn, error) {
	if s.admin == nil {
		return nil, fmt.Errorf("admin connection: %w: no administrator credentials", ErrInvalid)
	}
	return nats.Connect(s.cfg.NATSURL, append(s.admin, nats.Name("laaledger-admin"))...)
}

// The store's NATS handles are for eventstore/estest and the tools under
// eventstore/internal only (see package conns); a library user reads and
// writes through the Store's methods.
func init() {
	conns.Of = func(store any) conns.Handles {
		s := store.(*Store)
		return conns.Handles{Conn: s.nc, JetStream: s.js, Stream: s.stream, Server: s.ns, Service: s.svcID, AdminConnect: s.adminConnect}
	}
}
