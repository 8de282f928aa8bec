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
)

// Registration is a webhook kept in the data directory (webhooks.json,
// mode 0600). The secret is kept as it is: signing needs it.
type Registration struct {
	Name    string    `json:"name"`
	URL     string    `json:"url"`
	Secret  string    `json:"secret"`
	Filter  string    `json:"filter,omitempty"`
	Types   []string  `json:"types,omitempty"`
	Created time.Time `json:"created"`
}

// Endpoint is the registration as [Deliverer] takes it. The secret's
// "whsec_" prefix is not part of the key; its base64 body is.
func (r Registration) Endpoint() (Endpoint, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.Secret, "whsec_"))
	if err != nil {
		return Endpoint{}, fmt.Errorf("webhook %s: secret: %w", r.Name, err)
	}
	return Endpoint{Name: r.Name, URL: r.URL, Secret: key, Filter: r.Filter, Types: r.Types}, nil
}

// RegistryFile is the file in the data directory that holds the webhooks.
const RegistryFile = "webhooks.json"

var webhookName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// ErrExists is returned by [Register] for a name already taken.
var ErrExists = errors.New("webhook: name already in use")

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

// Register adds a webhook with a new secret and returns it, secret
// included ("whsec_" and the base64 of 32 random bytes, the Standard
// Webhooks form).
func Register(dataDir string, r Registration) (Registration, error) {
	if !webhookName.MatchString(r.Name) {
		return Registration{}, fmt.Errorf("webhook %q: a name is 1 to 32 lower-case letters, digits and hyphens", r.Name)
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Registration{}, fmt.Errorf("webhook %s: %q is not an http(s) URL", r.Name, r.URL)
	}
	list, err := Load(dataDir)
	if err != nil {
		return Registration{}, err
	}
	for _, x := range list {
		if x.Name == r.Name {
			return Registration{}, fmt.Errorf("webhook %s: %w", r.Name, ErrExists)
		}
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return Registration{}, err
	}
	r.Secret = "whsec_" + base64.StdEncoding.EncodeToString(key)
	r.Created = time.Now().UTC()
	list = append(list, r)
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return Registration{}, err
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return Registration{}, err
	}
	if err := writeFile(filepath.Join(dataDir, RegistryFile), append(b, '\n')); err != nil {
		return Registration{}, fmt.Errorf("webhook %s: %w", r.Name, err)
	}
	return r, nil
}

// writeFile replaces a file whole (mode 0600), so that a crash leaves the
// old content or the new.
func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// DeadLetters keeps the dead letters of the webhooks of a data directory,
// one JSON line each in webhook-dead/<name>.jsonl. It is safe for
// concurrent use within one process.
type DeadLetters struct {
	Dir string
	mu  sync.Mutex
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
// only those that fail again; it returns how many were delivered and how
// many remain.
func (d *DeadLetters) Replay(ctx context.Context, client *http.Client, ep Endpoint) (delivered, remaining int, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	list, err := d.list(ep.Name)
	if err != nil || len(list) == 0 {
		return 0, 0, err
	}
	var keep []byte
	for _, dl := range list {
		if serr := Send(ctx, client, ep, dl.EventID, dl.Body, time.Now()); serr != nil {
			dl.Attempts++
			dl.LastErr = serr.Error()
			b, _ := json.Marshal(dl)
			keep = append(append(keep, b...), '\n')
			remaining++
			continue
		}
		delivered++
	}
	return delivered, remaining, writeFile(d.path(ep.Name), keep)
}
