package webhook

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/laaledger/laaledger/domain/errcode"
	"github.com/laaledger/laaledger/eventstore/integration"
	"github.com/laaledger/laaledger/eventstore/internal/atomicfile"
)

// Registration is a webhook kept in the data directory (webhooks.json,
// mode 0600). The secret is kept as it is: signing needs it. It never
// leaves the process except in the answer to the registration that set it
// ([Registration.Public] is the form to show).
type Registration struct {
	Name string `json:"name"`
	// Integration names the integration service the webhook delivers to;
	// it groups an integration's webhooks. Default: the webhook's name.
	Integration string    `json:"integration,omitempty"`
	URL         string    `json:"url"`
	Secret      string    `json:"secret"`
	Filter      string    `json:"filter,omitempty"`
	Types       []string  `json:"types,omitempty"`
	Disabled    bool      `json:"disabled,omitempty"`
	Created     time.Time `json:"created"`
	Start
}

// Start says where a webhook's deliveries begin: at most one field is
// set, and with none they begin at the ledger's first commit. It is the
// same in the registry file, in the HTTP API's requests and answers and
// in the CLI, whose JSON holds its fields beside the webhook's own.
type Start struct {
	// FromSequence starts at that stream sequence (a commit).
	FromSequence uint64 `json:"from_sequence,omitempty"`
	// FromTime starts at the first commit recorded at or after it.
	FromTime *time.Time `json:"from_time,omitempty"`
	// NewOnly starts after the last commit there is when deliveries
	// start: a [Manager] turns it into the FromSequence after the
	// ledger's last commit as it registers the webhook; kept as it is (a
	// registration made while serve is stopped) it means the commits
	// after serve next starts delivering.
	NewOnly bool `json:"new_only,omitempty"`
}

// Endpoint is the registration as [Deliverer] takes it. The secret's
// "whsec_" prefix is not part of the key; its base64 body is.
func (r Registration) Endpoint() (Endpoint, error) {
	key, err := decodeSecret(r.Secret)
	if err != nil {
		return Endpoint{}, fmt.Errorf("webhook %s: secret: %w", r.Name, err)
	}
	return Endpoint{Name: r.Name, URL: r.URL, Secret: key, Filter: r.Filter, Types: r.Types,
		StartSequence: r.FromSequence, StartTime: r.FromTime, NewOnly: r.NewOnly}, nil
}

// Public is the registration without its secret, and with any password
// in its URL masked: what list and show output may hold.
func (r Registration) Public() Registration {
	r.Secret = ""
	if u, err := url.Parse(r.URL); err == nil {
		r.URL = u.Redacted()
	}
	if r.Integration == "" {
		r.Integration = r.Name
	}
	return r
}

func decodeSecret(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
}

// Error is a registration refused: Rule names what was wrong
// ("webhook.url"), stably, for a problem document's code.
type Error struct {
	Code    string // errcode: invalid, conflict or not_found
	Rule    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// ErrorCode reports the refusal's code to errcode.Of.
func (e *Error) ErrorCode() string { return e.Code }

// Is makes errors.Is(err, ErrExists) and errors.Is(err, ErrNotFound) hold
// for the refusals they name.
func (e *Error) Is(target error) bool {
	return target == ErrExists && e.Rule == "webhook.exists" || target == ErrNotFound && e.Rule == "webhook.not_found"
}

func invalid(rule, format string, args ...any) error {
	return &Error{Code: errcode.EINVALID, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

var typePattern = regexp.MustCompile(`^[a-z][a-z0-9]*\.[A-Za-z0-9_]+$`)

// Validate checks a registration before it is kept: its name, integration,
// URL, filter, types and, when given, its secret.
func (r Registration) Validate() error {
	if !webhookName.MatchString(r.Name) {
		return invalid("webhook.name", "webhook %q: a name is 1 to 32 lower-case letters, digits and hyphens, starting with a letter or digit", r.Name)
	}
	if r.Integration != "" && !webhookName.MatchString(r.Integration) {
		return invalid("webhook.integration", "webhook %s: integration %q: a name is 1 to 32 lower-case letters, digits and hyphens", r.Name, r.Integration)
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("webhook.url", "webhook %s: %q is not an http(s) URL", r.Name, redacted(r.URL))
	}
	if f := r.Filter; f != "" && f != "ledger.>" && (!strings.HasPrefix(f, "ledger.") || strings.ContainsAny(f, " \t") || strings.Contains(f, "..") || strings.HasSuffix(f, ".")) {
		return invalid("webhook.filter", "webhook %s: filter %q is not a ledger subject (ledger.<kind>.<id tokens>, wildcards allowed)", r.Name, f)
	}
	for _, t := range r.Types {
		if !typePattern.MatchString(t) {
			return invalid("webhook.type", "webhook %s: %q is not a ledger event type (kind.Name, e.g. laa.TargetAgreed)", r.Name, t)
		}
	}
	starts := 0
	for _, set := range []bool{r.FromSequence > 0, r.FromTime != nil, r.NewOnly} {
		if set {
			starts++
		}
	}
	if starts > 1 {
		return invalid("webhook.start", "webhook %s: give one start (from_sequence, from_time or new_only), not %d", r.Name, starts)
	}
	if r.FromTime != nil && r.FromTime.IsZero() {
		return invalid("webhook.start", "webhook %s: from_time is the zero time; leave it out to start at the first commit", r.Name)
	}
	if r.Secret != "" {
		key, err := decodeSecret(r.Secret)
		if !strings.HasPrefix(r.Secret, "whsec_") || err != nil || len(key) < 24 || len(key) > 64 {
			// The secret is not repeated: it may be nearly right.
			return invalid("webhook.secret", "webhook %s: a secret is \"whsec_\" and the base64 of 24 to 64 random bytes", r.Name)
		}
	}
	return nil
}

// redacted masks a password in a URL for messages.
func redacted(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

// RegistryFile is the file in the data directory that holds the webhooks.
const RegistryFile = "webhooks.json"

var webhookName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// Errors of the registry.
var (
	// ErrExists is returned by [Register] for a name already taken.
	ErrExists = errors.New("webhook: name already in use")
	// ErrNotFound is returned for a webhook that is not registered.
	ErrNotFound = errors.New("webhook: no such webhook")
)

// Load reads the webhooks of a data directory; none when there is no file.
func Load(dataDir string) ([]Registration, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, RegistryFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load webhooks: %w", err)
	}
	var list []Registration
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("load webhooks: %w", err)
	}
	return list, nil
}

// Register adds a webhook and returns it, secret included. Without a
// secret it is given a new one ("whsec_" and the base64 of 32 random
// bytes, the Standard Webhooks form). Callers that register from several
// goroutines serialise their calls (a [Manager] does).
func Register(dataDir string, r Registration) (Registration, error) {
	if err := r.Validate(); err != nil {
		return Registration{}, err
	}
	if r.Integration != "" {
		if err := checkIntegration(dataDir, r); err != nil {
			return Registration{}, err
		}
	}
	list, err := Load(dataDir)
	if err != nil {
		return Registration{}, err
	}
	for _, x := range list {
		if x.Name == r.Name {
			return Registration{}, &Error{Code: errcode.ECONFLICT, Rule: "webhook.exists", Message: fmt.Sprintf("webhook %s: %v", r.Name, ErrExists)}
		}
	}
	if r.Secret == "" {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return Registration{}, err
		}
		r.Secret = "whsec_" + base64.StdEncoding.EncodeToString(key)
	}
	if r.Integration == "" {
		r.Integration = r.Name
	}
	if r.FromTime != nil {
		t := r.FromTime.UTC()
		r.FromTime = &t
	}
	r.Created = time.Now().UTC()
	list = append(list, r)
	if err := saveRegistry(dataDir, list); err != nil {
		return Registration{}, fmt.Errorf("webhook %s: %w", r.Name, err)
	}
	return r, nil
}

// checkIntegration refuses a registration that names an integration the
// data directory's register (integrations.json) does not hold.
func checkIntegration(dataDir string, r Registration) error {
	list, err := integration.Load(dataDir)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", r.Name, err)
	}
	names := make([]string, 0, len(list))
	for _, in := range list {
		if in.Name == r.Integration {
			return nil
		}
		names = append(names, in.Name)
	}
	known := "none is registered"
	if len(names) > 0 {
		known = "registered: " + strings.Join(names, ", ")
	}
	return invalid("webhook.integration_unknown", "webhook %s: integration %q is not registered (%s); add it first with laaledger integration add", r.Name, r.Integration, known)
}

// update applies fn to the registration named name and keeps the result;
// fn returning false removes it. It returns the registration as it was.
func update(dataDir, name string, fn func(r *Registration) bool) (Registration, error) {
	list, err := Load(dataDir)
	if err != nil {
		return Registration{}, err
	}
	for i := range list {
		if list[i].Name != name {
			continue
		}
		old := list[i]
		if !fn(&list[i]) {
			list = append(list[:i], list[i+1:]...)
		}
		return old, saveRegistry(dataDir, list)
	}
	return Registration{}, notFound(name)
}

func notFound(name string) error {
	return &Error{Code: errcode.ENOTFOUND, Rule: "webhook.not_found", Message: fmt.Sprintf("webhook %s: %v", name, ErrNotFound)}
}

func saveRegistry(dataDir string, list []Registration) error {
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	if list == nil {
		list = []Registration{}
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return err
	}
	return atomicfile.WriteJSON(filepath.Join(dataDir, RegistryFile), list)
}

// DeadLetters keeps the dead letters of the webhooks of a data directory,
// one JSON line each in webhook-dead/<name>.jsonl. It is safe for
// concurrent use within one process.
type DeadLetters struct {
	Dir string
	mu  sync.Mutex
	// replaying holds the webhooks whose letters are being sent again.
	replaying map[string]bool
}

func (d *DeadLetters) path(name string) string {
	return filepath.Join(d.Dir, "webhook-dead", name+".jsonl")
}

// Keep appends a dead letter and syncs it; it is a [Deliverer.DeadLetter].
func (d *DeadLetters) Keep(_ context.Context, dl DeadLetter) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(d.path(dl.Endpoint)), 0o750); err != nil {
		return err
	}
	f, err := os.OpenFile(d.path(dl.Endpoint), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(dl)
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// List returns the dead letters of a webhook, oldest first.
func (d *DeadLetters) List(name string) ([]DeadLetter, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.list(name)
}

func (d *DeadLetters) list(name string) ([]DeadLetter, error) {
	f, err := os.Open(d.path(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []DeadLetter
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var dl DeadLetter
		if err := json.Unmarshal(sc.Bytes(), &dl); err != nil {
			return nil, fmt.Errorf("dead letters of %s: %w", name, err)
		}
		out = append(out, dl)
	}
	return out, sc.Err()
}

// Replay sends a webhook's dead letters again, oldest first, and keeps
// only those that fail again (and any kept while it ran); it returns how
// many were delivered and how many remain. The letters are sent without
// holding the file, so that new dead letters and a removal of the webhook
// need not wait for a slow receiver. current, if not nil, is asked once
// the letters were sent whether the webhook is still the one they were
// sent for; if not (it was removed meanwhile) Replay writes nothing, so it
// leaves no file behind, and reports it not found.
//
// Errors: an *[Error] of code conflict while another replay of the webhook
// runs, or not_found when current says it is gone.
func (d *DeadLetters) Replay(ctx context.Context, client *http.Client, ep Endpoint, current func() bool) (delivered, remaining int, err error) {
	d.mu.Lock()
	if d.replaying[ep.Name] {
		d.mu.Unlock()
		return 0, 0, &Error{Code: errcode.ECONFLICT, Rule: "webhook.replay_running", Message: fmt.Sprintf("webhook %s: its dead letters are being replayed already", ep.Name)}
	}
	list, err := d.list(ep.Name)
	if err != nil || len(list) == 0 {
		d.mu.Unlock()
		return 0, 0, err
	}
	if d.replaying == nil {
		d.replaying = map[string]bool{}
	}
	d.replaying[ep.Name] = true
	d.mu.Unlock()

	outcome := make(map[string]*DeadLetter, len(list)) // event id → letter kept, nil when delivered
	for i := range list {
		dl := &list[i]
		if serr := Send(ctx, client, ep, dl.EventID, dl.Body, time.Now()); serr != nil {
			dl.Attempts++
			dl.LastErr = serr.Error()
			outcome[dl.EventID] = dl
			continue
		}
		outcome[dl.EventID] = nil
		delivered++
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.replaying, ep.Name)
	if current != nil && !current() {
		return 0, 0, notFound(ep.Name)
	}
	now, err := d.list(ep.Name)
	if err != nil {
		return 0, 0, err
	}
	var keep []byte
	for _, dl := range now {
		if out, sent := outcome[dl.EventID]; sent {
			if out == nil {
				continue
			}
			dl = *out
		}
		b, _ := json.Marshal(dl)
		keep = append(append(keep, b...), '\n')
		remaining++
	}
	if remaining == 0 {
		return delivered, 0, d.removeLocked(ep.Name)
	}
	return delivered, remaining, atomicfile.Write(d.path(ep.Name), keep)
}
