package clustertest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/laaledger/laaledger/eventstore"
)

// clusterName is the NATS cluster's name; the stream's placement uses it.
const clusterName = "laaledger"

// auth is what an operator would generate with nsc: an operator, a system
// account, the LEDGER account with JetStream, and two users of it with
// credentials files.
type auth struct {
	operatorJWT string
	sysPub      string
	sysJWT      string
	ledgerPub   string
	ledgerJWT   string
	adminCreds  string // path
	svcCreds    string // path
}

func newAuth(t *testing.T, dir string) *auth {
	t.Helper()
	op := mustKP(t, nkeys.CreateOperator)
	opPub := mustPub(t, op)
	sys, ledger := mustKP(t, nkeys.CreateAccount), mustKP(t, nkeys.CreateAccount)
	a := &auth{sysPub: mustPub(t, sys), ledgerPub: mustPub(t, ledger)}

	oc := jwt.NewOperatorClaims(opPub)
	oc.Name = "laaledger-test"
	oc.SystemAccount = a.sysPub
	a.operatorJWT = mustEncode(t, oc.Encode, op)

	sc := jwt.NewAccountClaims(a.sysPub)
	sc.Name = "SYS"
	a.sysJWT = mustEncode(t, sc.Encode, op)

	lc := jwt.NewAccountClaims(a.ledgerPub)
	lc.Name = "LEDGER"
	lc.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	a.ledgerJWT = mustEncode(t, lc.Encode, op)

	a.adminCreds = writeCreds(t, dir, "admin", ledger, nil)
	a.svcCreds = writeCreds(t, dir, "service", ledger, eventstore.ServicePermissions())
	return a
}

// writeCreds issues a user of the account with the given publish
// permissions (nil: unrestricted) and writes its credentials file.
func writeCreds(t *testing.T, dir, name string, account nkeys.KeyPair, perms *server.Permissions) string {
	t.Helper()
	u := mustKP(t, nkeys.CreateUser)
	uc := jwt.NewUserClaims(mustPub(t, u))
	uc.Name = name
	if perms != nil && perms.Publish != nil {
		uc.Pub.Allow.Add(perms.Publish.Allow...)
		uc.Pub.Deny.Add(perms.Publish.Deny...)
	}
	if perms != nil && perms.Subscribe != nil {
		uc.Sub.Allow.Add(perms.Subscribe.Allow...)
		uc.Sub.Deny.Add(perms.Subscribe.Deny...)
	}
	token := mustEncode(t, uc.Encode, account)
	seed, err := u.Seed()
	if err != nil {
		t.Fatal(err)
	}
	creds, err := jwt.FormatUserConfig(token, seed)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".creds")
	if err := os.WriteFile(path, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustKP(t *testing.T, create func() (nkeys.KeyPair, error)) nkeys.KeyPair {
	t.Helper()
	kp, err := create()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func mustPub(t *testing.T, kp nkeys.KeyPair) string {
	t.Helper()
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func mustEncode(t *testing.T, encode func(nkeys.KeyPair) (string, error), kp nkeys.KeyPair) string {
	t.Helper()
	s, err := encode(kp)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// nodeConfig is a node's nats-server configuration file, the same shape as
// the sample in docs/OPERATIONS.md.
func nodeConfig(name string, clientPort, routePort int, routes []int, storeDir string, a *auth) string {
	urls := make([]string, len(routes))
	for i, p := range routes {
		urls[i] = fmt.Sprintf("nats-route://127.0.0.1:%d", p)
	}
	return fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d

jetstream {
  store_dir: %q
}

cluster {
  name: %s
  listen: 127.0.0.1:%d
  routes: [
    %s
  ]
}

operator: %s
system_account: %s
resolver: MEMORY
resolver_preload: {
  %s: %s
  %s: %s
}
`, name, clientPort, storeDir, clusterName, routePort, strings.Join(urls, "\n    "),
		a.operatorJWT, a.sysPub, a.sysPub, a.sysJWT, a.ledgerPub, a.ledgerJWT)
}

// node is one nats-server of the cluster; its store directory and ports
// survive a restart.
type node struct {
	name       string
	configFile string
	storeDir   string
	clientPort int
	srv        *server.Server // nil while down
}

// cluster is three nodes on loopback.
type cluster struct {
	t     *testing.T
	auth  *auth
	nodes []*node
}

// startCluster writes the nodes' configuration files and starts them, and
// returns once JetStream has a meta leader.
func startCluster(t *testing.T, size int) *cluster {
	t.Helper()
	dir := t.TempDir()
	c := &cluster{t: t, auth: newAuth(t, dir)}
	ports := freePorts(t, 2*size)
	routes := ports[size:]
	for i := range size {
		n := &node{name: fmt.Sprintf("n%d", i+1), clientPort: ports[i]}
		n.configFile = filepath.Join(dir, n.name+".conf")
		n.storeDir = filepath.Join(dir, n.name, "jetstream")
		conf := nodeConfig(n.name, n.clientPort, routes[i], routes, n.storeDir, c.auth)
		if err := os.WriteFile(n.configFile, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, n)
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			c.stop(n)
		}
	})
	for _, n := range c.nodes {
		c.start(n)
	}
	c.waitFor("a JetStream meta leader", 30*time.Second, func() bool {
		for _, n := range c.nodes {
			if n.srv.JetStreamIsLeader() {
				return true
			}
		}
		return false
	})
	// Each node enables JetStream for the account once it has caught up
	// with the meta leader; until then a client there is told "JetStream
	// not enabled for account".
	c.waitFor("JetStream for the ledger account on every node", 30*time.Second, func() bool {
		for _, n := range c.nodes {
			if !n.srv.JetStreamIsCurrent() {
				return false
			}
			acc, err := n.srv.LookupAccount(c.auth.ledgerPub)
			if err != nil || !acc.JetStreamEnabled() {
				return false
			}
		}
		return true
	})
	return c
}

// freePorts asks the kernel for n free loopback ports. They are released
// before the servers bind them, which leaves a small window in which
// another process could take one; the servers then fail to start loudly.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	var ls []net.Listener
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// start runs the node from its configuration file (same ports, same store
// directory as before).
func (c *cluster) start(n *node) {
	c.t.Helper()
	opts, err := server.ProcessConfigFile(n.configFile)
	if err != nil {
		c.t.Fatalf("node %s: %v", n.name, err)
	}
	opts.NoSigs = true
	opts.NoLog = os.Getenv("CLUSTERTEST_NATS_LOG") == ""
	srv, err := server.NewServer(opts)
	if err != nil {
		c.t.Fatalf("node %s: %v", n.name, err)
	}
	if !opts.NoLog {
		srv.ConfigureLogger()
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		c.t.Fatalf("node %s: not ready for connections after 30s", n.name)
	}
	n.srv = srv
}

// stop shuts the node down and waits until it has. In-process, this is as
// abrupt as the server allows: its connections, routes and Raft groups go
// away at once.
func (c *cluster) stop(n *node) {
	if n.srv == nil {
		return
	}
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
	n.srv = nil
}

func (c *cluster) byName(name string) *node {
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	c.t.Fatalf("no node named %q", name)
	return nil
}

// url lists every node's client address, as a client of a real cluster
// would be configured.
func (c *cluster) url() string {
	urls := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		urls[i] = fmt.Sprintf("nats://127.0.0.1:%d", n.clientPort)
	}
	return strings.Join(urls, ",")
}

// config is the store configuration a `serve --nats-url --creds
// --admin-creds --replicas 3` process would use.
func (c *cluster) config() eventstore.Config {
	return eventstore.Config{
		NATSURL:        c.url(),
		CredsFile:      c.auth.svcCreds,
		AdminCredsFile: c.auth.adminCreds,
		Replicas:       3,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// open opens a store on the cluster and closes it with the test.
func (c *cluster) open(ctx context.Context) *eventstore.Store {
	c.t.Helper()
	s, err := eventstore.Open(ctx, c.config())
	if err != nil {
		c.t.Fatalf("open store on the cluster: %v", err)
	}
	c.t.Cleanup(func() { s.Close() })
	return s
}

// streamCurrent reports whether every running node holds a current replica
// of the ledger stream.
func (c *cluster) streamCurrent() bool {
	for _, n := range c.nodes {
		if n.srv == nil {
			continue
		}
		if !n.srv.JetStreamIsStreamCurrent(c.auth.ledgerPub, eventstore.DefaultStream) {
			return false
		}
	}
	return true
}

// metaLeader names the node leading the JetStream meta group, or "".
func (c *cluster) metaLeader() string {
	for _, n := range c.nodes {
		if n.srv != nil && n.srv.JetStreamIsLeader() {
			return n.name
		}
	}
	return ""
}

// localState is the ledger stream's state in the node's own store, and
// false if the node holds no replica of it.
func (c *cluster) localState(n *node) (server.StreamState, bool) {
	info, err := n.srv.Jsz(&server.JSzOptions{Account: c.auth.ledgerPub, Accounts: true, Streams: true})
	if err != nil {
		return server.StreamState{}, false
	}
	for _, acc := range info.AccountDetails {
		for _, st := range acc.Streams {
			if st.Name == eventstore.DefaultStream {
				return st.State, true
			}
		}
	}
	return server.StreamState{}, false
}

// waitFor polls cond until it holds, failing the test after d. Polling a
// condition is the only way to observe a Raft election from outside.
func (c *cluster) waitFor(what string, d time.Duration, cond func() bool) time.Duration {
	c.t.Helper()
	start := time.Now()
	deadline := start.Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("waited %s for %s", d, what)
		}
		<-tick.C
	}
	took := time.Since(start)
	c.t.Logf("%s: %s", what, took.Round(time.Millisecond))
	return took
}
