// Package integration gives integration services (performance systems,
// dashboards, GO and CLG systems) their own way into the embedded NATS
// server: a user per integration that may read the ledger through one
// durable JetStream consumer of its own, and nothing else.
//
// An integration user may pull from and acknowledge its consumer, read
// that consumer's and the stream's info, and receive replies on its own
// inbox prefix. It may not publish to ledger subjects, delete or purge
// anything, change the stream, read messages directly, create, change or
// delete consumers (its own included), or listen on another client's
// inbox: every other JetStream API subject is outside its allow list, so
// the server refuses it.
//
// Users are kept in the data directory (integrations.json, mode 0600) with
// bcrypt-hashed passwords, which nats-server compares directly; the
// password is shown once, when the integration is added. They are loaded
// each time the embedded server starts ([Users], for
// [eventstore.Config.EmbeddedUsers]); adding one takes effect at the next
// start.
//
// What a consumer delivers is the stored commit: one message per command,
// holding that command's events in version order ([eventstore.Commit]),
// byte for byte what the ledger hashes and notarises. Each event converts
// to a CloudEvent with [cloudevent.Mapper].
//
// The package imports eventstore and NATS, never the domain.
package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/internal/atomicfile"
	"github.com/laaledger/laaledger/eventstore/internal/conns"
)

// FileName is the file in the data directory that holds the integrations.
const FileName = "integrations.json"

// Integration is one integration's record. It holds no password, only its
// bcrypt hash.
type Integration struct {
	Name string `json:"name"`
	// User is the NATS user name, "integration-<name>".
	User         string `json:"user"`
	PasswordHash string `json:"password_hash,omitempty"`
	// Stream and Consumer name the durable consumer it reads.
	Stream   string `json:"stream"`
	Consumer string `json:"consumer"`
	// InboxPrefix is the only subject space the user may subscribe to; its
	// client must use it for replies (nats.CustomInboxPrefix, or the nats
	// CLI's --inbox-prefix).
	InboxPrefix string    `json:"inbox_prefix"`
	Filter      string    `json:"filter,omitempty"`
	Created     time.Time `json:"created"`
}

// Start says where a new integration's consumer begins.
type Start struct {
	// Sequence, when positive, starts at that stream sequence (a commit).
	Sequence uint64
	// Time, when set, starts at the first commit recorded at or after it.
	Time time.Time
	// Neither: from the first commit of the ledger.
}

// Spec describes an integration to add.
type Spec struct {
	Name string
	// Filter, when set, is a subject filter on the ledger stream
	// ("ledger.laa.>", "ledger.caa.00EB.>"); empty reads every commit.
	Filter string
	Start  Start
	// PasswordCost is the bcrypt cost of the stored password hash; 0 is
	// bcrypt.DefaultCost. The server pays it on every connect; tests,
	// which connect often under the race detector, lower it.
	PasswordCost int
}

// Credentials are what the integrator needs, shown once.
type Credentials struct {
	Integration
	Password string `json:"password"`
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// ErrExists is returned by [Add] for a name already taken.
var ErrExists = errors.New("integration: name already in use")

// Path returns the integrations file of a data directory.
func Path(dataDir string) string { return filepath.Join(dataDir, FileName) }

// Load reads the integrations of a data directory; none when the file
// does not exist.
func Load(dataDir string) ([]Integration, error) {
	b, err := os.ReadFile(Path(dataDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load integrations: %w", err)
	}
	var list []Integration
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("load integrations from %s: %w", Path(dataDir), err)
	}
	return list, nil
}

// Users returns a function for [eventstore.Config.EmbeddedUsers] that
// admits the integrations of dataDir, each with its [Permissions].
func Users(dataDir string) func() ([]*server.User, error) {
	return func() ([]*server.User, error) {
		list, err := Load(dataDir)
		if err != nil {
			return nil, err
		}
		users := make([]*server.User, 0, len(list))
		for _, in := range list {
			users = append(users, &server.User{Username: in.User, Password: in.PasswordHash, Permissions: Permissions(in)})
		}
		return users, nil
	}
}

// Permissions are all an integration user may do: pull from and
// acknowledge its own consumer, read its info and the stream's, and
// receive replies on its own inbox prefix.
func Permissions(in Integration) *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"$JS.API.CONSUMER.MSG.NEXT." + in.Stream + "." + in.Consumer,
			"$JS.API.CONSUMER.INFO." + in.Stream + "." + in.Consumer,
			"$JS.API.STREAM.INFO." + in.Stream,
			"$JS.ACK." + in.Stream + "." + in.Consumer + ".>",
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{in.InboxPrefix + ".>"}},
	}
}

// Add creates the integration's durable consumer on the store's stream and
// records its user in dataDir, and returns its credentials, password
// included: it is stored only as a bcrypt hash. The user can connect once
// the embedded server next starts with [Users].
func Add(ctx context.Context, store *eventstore.Store, dataDir string, spec Spec) (Credentials, error) {
	if !namePattern.MatchString(spec.Name) {
		return Credentials{}, fmt.Errorf("add integration %q: %w: a name is 1 to 32 lower-case letters, digits and hyphens, starting with a letter or digit", spec.Name, eventstore.ErrInvalid)
	}
	list, err := Load(dataDir)
	if err != nil {
		return Credentials{}, err
	}
	for _, in := range list {
		if in.Name == spec.Name {
			return Credentials{}, fmt.Errorf("add integration %q: %w", spec.Name, ErrExists)
		}
	}
	h := conns.Of(store)
	stream := store.StreamConfig().Name
	in := Integration{
		Name:        spec.Name,
		User:        "integration-" + spec.Name,
		Stream:      stream,
		Consumer:    "integration-" + spec.Name,
		InboxPrefix: "_INBOX_integration-" + spec.Name,
		Filter:      spec.Filter,
		Created:     time.Now().UTC(),
	}
	cc, err := ConsumerConfig(in, spec.Start)
	if err != nil {
		return Credentials{}, fmt.Errorf("add integration %q: %w", spec.Name, err)
	}
	password := randomSecret()
	cost := spec.PasswordCost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return Credentials{}, fmt.Errorf("add integration %q: %w", spec.Name, err)
	}
	in.PasswordHash = string(hash)
	if _, err := h.JetStream.CreateConsumer(ctx, stream, cc); err != nil {
		return Credentials{}, fmt.Errorf("add integration %q: create consumer %s: %w", spec.Name, in.Consumer, err)
	}
	list = append(list, in)
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	if err := save(dataDir, list); err != nil {
		return Credentials{}, fmt.Errorf("add integration %q: %w", spec.Name, err)
	}
	return Credentials{Integration: in, Password: password}, nil
}

// MaxAckPending is how many commits an integration's consumer hands out
// before it waits for an acknowledgement. It is well above the pull
// batches an integrator asks for, so that acknowledging every few hundred
// commits never stalls the feed: at the JetStream default (1,000) a
// client pulling 1,000 at a time waited for each acknowledgement's round
// trip (docs/PERFORMANCE.md).
const MaxAckPending = 20_000

// ConsumerConfig is the durable consumer of an integration, starting
// where start says.
func ConsumerConfig(in Integration, start Start) (jetstream.ConsumerConfig, error) {
	cc := jetstream.ConsumerConfig{
		Durable:     in.Consumer,
		Description: "read-only feed of integration " + in.Name,
		// Acknowledging a commit acknowledges every one before it: an
		// integrator reads in order, and acknowledging in batches is what
		// lets it keep up with the ledger (see docs/PERFORMANCE.md).
		AckPolicy:     jetstream.AckAllPolicy,
		MaxAckPending: MaxAckPending,
		FilterSubject: in.Filter,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	switch {
	case start.Sequence > 0 && !start.Time.IsZero():
		return cc, fmt.Errorf("%w: start at a sequence or at a time, not both", eventstore.ErrInvalid)
	case start.Sequence > 0:
		cc.DeliverPolicy, cc.OptStartSeq = jetstream.DeliverByStartSequencePolicy, start.Sequence
	case !start.Time.IsZero():
		t := start.Time.UTC()
		cc.DeliverPolicy, cc.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	}
	return cc, nil
}

// save replaces the integrations file whole, so that a crash leaves the
// old file or the new one.
func save(dataDir string, list []Integration) error {
	return atomicfile.WriteJSON(Path(dataDir), list)
}

func randomSecret() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
