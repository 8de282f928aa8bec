package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/cloudevent"
	"github.com/laaledger/laaledger/eventstore/internal/conns"
)

// Observer is told of what the deliverers of a [Manager] do, for metrics.
// Its methods are called from the deliverers' goroutines and must be safe
// for concurrent use.
type Observer interface {
	Delivered(webhook string)
	Failed(webhook string)
	DeadLettered(webhook string)
	// Removed says a webhook was deleted: forget its series.
	Removed(webhook string)
}

// Manager runs a deliverer for every enabled webhook of a data directory
// and adds, changes and removes webhooks while they run: a registration
// takes effect at once, without a restart. It is safe for concurrent use;
// registry changes are serialised, so two processes must not manage the
// same data directory (serve holds it).
type Manager struct {
	store  *eventstore.Store
	dir    string
	log    *slog.Logger
	obs    Observer
	tune   func(*Deliverer)
	mapper cloudevent.Mapper
	client *http.Client
	dead   *DeadLetters

	mu      sync.Mutex // serialises registry changes and guards running
	ctx     context.Context
	running map[string]*delivery
	wg      sync.WaitGroup
}

// ManagerConfig configures a [Manager].
type ManagerConfig struct {
	Store *eventstore.Store
	// DataDir holds webhooks.json and the dead letters.
	DataDir string
	Mapper  cloudevent.Mapper
	// Client sends deliveries and replays; default a client with a 10 s
	// timeout.
	Client *http.Client
	Logger *slog.Logger
	// Observer, if set, is told of deliveries for metrics.
	Observer Observer
	// Tune, if set, adjusts each deliverer before it starts (attempts,
	// backoff).
	Tune func(*Deliverer)
}

// NewManager returns a manager; [Manager.Start] starts the deliveries.
func NewManager(cfg ManagerConfig) *Manager {
	m := &Manager{store: cfg.Store, dir: cfg.DataDir, log: cfg.Logger, obs: cfg.Observer, tune: cfg.Tune,
		mapper: cfg.Mapper, client: cfg.Client, dead: &DeadLetters{Dir: cfg.DataDir}, running: map[string]*delivery{}}
	if m.client == nil {
		m.client = &http.Client{Timeout: 10 * time.Second}
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	return m
}

// delivery is one running deliverer and what it has done since it started.
type delivery struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu            sync.Mutex
	delivered     uint64
	attempts      uint64
	failed        uint64
	current       int // failed attempts of the event in hand
	lastErr       string
	lastErrAt     time.Time
	lastDelivered time.Time
	stopErr       string
}

// Start starts a deliverer for each enabled registered webhook; they run
// until ctx ends. [Manager.Wait] waits for them after that.
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ctx != nil {
		return errors.New("webhook manager: started twice")
	}
	m.ctx = ctx
	list, err := Load(m.dir)
	if err != nil {
		return err
	}
	for _, r := range list {
		if r.Disabled {
			continue
		}
		if err := m.startLocked(r); err != nil {
			return err
		}
	}
	return nil
}

// Wait waits for every deliverer to stop, once the context given to Start
// has ended.
func (m *Manager) Wait() { m.wg.Wait() }

func (m *Manager) startLocked(r Registration) error {
	ep, err := r.Endpoint()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(m.ctx)
	dv := &delivery{cancel: cancel, done: make(chan struct{})}
	d := &Deliverer{Store: m.store, Endpoint: ep, Mapper: m.mapper, Client: m.client,
		Delivered: func(_ string, attempts int) {
			dv.mu.Lock()
			dv.delivered++
			dv.attempts++
			dv.current = 0
			dv.lastDelivered = time.Now().UTC()
			dv.mu.Unlock()
			if m.obs != nil {
				m.obs.Delivered(ep.Name)
			}
		},
		Failed: func(_ string, attempt int, err error) {
			dv.mu.Lock()
			dv.attempts++
			dv.failed++
			dv.current = attempt
			dv.lastErr, dv.lastErrAt = err.Error(), time.Now().UTC()
			dv.mu.Unlock()
			if m.obs != nil {
				m.obs.Failed(ep.Name)
			}
		},
		DeadLetter: func(ctx context.Context, dl DeadLetter) error {
			m.log.Warn("webhook delivery given up; kept as a dead letter", "webhook", dl.Endpoint, "event_id", dl.EventID, "attempts", dl.Attempts, "err", dl.LastErr)
			dv.mu.Lock()
			dv.current = 0
			dv.mu.Unlock()
			if m.obs != nil {
				m.obs.DeadLettered(ep.Name)
			}
			return m.dead.Keep(ctx, dl)
		}}
	if m.tune != nil {
		m.tune(d)
	}
	m.running[r.Name] = dv
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(dv.done)
		if err := d.Run(ctx); ctx.Err() == nil {
			dv.mu.Lock()
			dv.stopErr = err.Error()
			dv.mu.Unlock()
			m.log.Error("webhook deliveries stopped", "webhook", ep.Name, "err", err)
		}
	}()
	return nil
}

// stopLocked stops a webhook's deliverer, if it runs, and waits for it:
// once it returns nothing more is sent.
func (m *Manager) stopLocked(name string) {
	if dv := m.running[name]; dv != nil {
		dv.cancel()
		<-dv.done
		delete(m.running, name)
	}
}

func (m *Manager) checkStarted() error {
	if m.ctx == nil || m.ctx.Err() != nil {
		return fmt.Errorf("webhooks: %w: deliveries are not running", eventstore.ErrUnavailable)
	}
	return nil
}

// Add registers a webhook and starts delivering to it, from the ledger's
// first commit unless the registration says where (FromSequence,
// FromTime, or NewOnly: the commits after the ledger's last one now, kept
// as that FromSequence). It returns the registration with its secret: the
// only time the secret is given out.
//
// Errors: an *[Error] (code invalid, or conflict for a name in use);
// eventstore.ErrUnavailable when the ledger's end cannot be read.
func (m *Manager) Add(ctx context.Context, r Registration) (Registration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkStarted(); err != nil {
		return Registration{}, err
	}
	r.Disabled = false
	if err := r.Validate(); err != nil {
		return Registration{}, err
	}
	if r.NewOnly || r.FromSequence > 0 {
		last, err := m.store.LastSequence(ctx)
		if err != nil {
			return Registration{}, fmt.Errorf("webhook %s: start: %w", r.Name, err)
		}
		if r.FromSequence > last+1 {
			return Registration{}, invalid("webhook.start", "webhook %s: from_sequence %d is beyond the ledger, which ends at sequence %d", r.Name, r.FromSequence, last)
		}
		if r.NewOnly {
			r.NewOnly, r.FromSequence = false, last+1
		}
	}
	reg, err := Register(m.dir, r)
	if err != nil {
		return Registration{}, err
	}
	if err := m.startLocked(reg); err != nil {
		return Registration{}, err
	}
	m.log.Info("webhook registered", "webhook", reg.Name, "integration", reg.Integration, "url", redacted(reg.URL))
	return reg, nil
}

// List returns the registrations, secrets removed.
func (m *Manager) List() ([]Registration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	list, err := Load(m.dir)
	for i := range list {
		list[i] = list[i].Public()
	}
	return list, err
}

// Get returns one registration, secret removed.
//
// Errors: an *[Error] of code not_found.
func (m *Manager) Get(name string) (Registration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.getRegistered(name)
	return r.Public(), err
}

// SetDisabled stops (true) or resumes (false) deliveries to a webhook. A
// disabled webhook keeps its position: enabled again, it resumes with the
// first commit it had not handled.
func (m *Manager) SetDisabled(name string, disabled bool) (Registration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkStarted(); err != nil {
		return Registration{}, err
	}
	old, err := update(m.dir, name, func(r *Registration) bool { r.Disabled = disabled; return true })
	if err != nil {
		return Registration{}, err
	}
	old.Disabled = disabled
	if disabled {
		m.stopLocked(name)
	} else if m.running[name] == nil {
		if err := m.startLocked(old); err != nil {
			return Registration{}, err
		}
	}
	m.log.Info("webhook changed", "webhook", name, "disabled", disabled)
	return old.Public(), nil
}

// Remove stops deliveries to a webhook, deletes its position (its durable
// consumer) and its dead letters, and forgets it. When Remove returns,
// nothing more is sent to it.
func (m *Manager) Remove(ctx context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkStarted(); err != nil {
		return err
	}
	if _, err := m.getRegistered(name); err != nil {
		return err
	}
	m.stopLocked(name)
	h := conns.Of(m.store)
	if err := h.JetStream.DeleteConsumer(ctx, m.store.StreamConfig().Name, ConsumerName(name)); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("webhook %s: delete consumer: %w", name, err)
	}
	if _, err := update(m.dir, name, func(*Registration) bool { return false }); err != nil {
		return err
	}
	if err := m.dead.remove(name); err != nil {
		return fmt.Errorf("webhook %s: dead letters: %w", name, err)
	}
	if m.obs != nil {
		m.obs.Removed(name)
	}
	m.log.Info("webhook removed", "webhook", name)
	return nil
}

// Status is where deliveries to one webhook stand.
type Status struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	// Running is false for a disabled webhook, or one whose deliverer
	// stopped on an error (Stopped says which).
	Running bool   `json:"running"`
	Stopped string `json:"stopped,omitempty"`
	// LastSequence is the stream sequence of the last commit wholly
	// handled: each of its events delivered or dead-lettered.
	LastSequence uint64 `json:"last_delivered_sequence"`
	// PendingCommits are the commits on the webhook's subjects not yet
	// wholly handled, the one in hand included.
	PendingCommits uint64 `json:"pending_commits"`
	// Delivered, Attempts and FailedAttempts count since the server
	// started; CurrentAttempts are the failed attempts of the event in
	// hand (0 when it is not being retried).
	Delivered       uint64     `json:"delivered"`
	Attempts        uint64     `json:"attempts"`
	FailedAttempts  uint64     `json:"failed_attempts"`
	CurrentAttempts int        `json:"current_attempts"`
	LastError       string     `json:"last_error,omitempty"`
	LastErrorAt     *time.Time `json:"last_error_at,omitempty"`
	LastDeliveredAt *time.Time `json:"last_delivered_at,omitempty"`
	DeadLetters     int        `json:"dead_letters"`
}

// Status reports where deliveries to a webhook stand.
//
// Errors: an *[Error] of code not_found; eventstore.ErrUnavailable when
// the stream cannot be asked.
func (m *Manager) Status(ctx context.Context, name string) (Status, error) {
	m.mu.Lock()
	r, err := m.getRegistered(name)
	dv := m.running[name]
	m.mu.Unlock()
	if err != nil {
		return Status{}, err
	}
	return m.status(ctx, r, dv)
}

// status reports where deliveries to the registered webhook r stand; dv is
// its running delivery, nil if none runs.
func (m *Manager) status(ctx context.Context, r Registration, dv *delivery) (Status, error) {
	name := r.Name
	st := Status{Name: name, Enabled: !r.Disabled}
	h := conns.Of(m.store)
	cons, err := h.JetStream.Consumer(ctx, m.store.StreamConfig().Name, ConsumerName(name))
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		// Not started yet: everything on its subjects is pending.
		info, err := h.JetStream.Stream(ctx, m.store.StreamConfig().Name)
		if err != nil {
			return Status{}, fmt.Errorf("webhook %s: %w: %v", name, eventstore.ErrUnavailable, err)
		}
		st.PendingCommits = info.CachedInfo().State.Msgs
	case err != nil:
		return Status{}, fmt.Errorf("webhook %s: %w: %v", name, eventstore.ErrUnavailable, err)
	default:
		info := cons.CachedInfo()
		st.LastSequence = info.AckFloor.Stream
		st.PendingCommits = info.NumPending + uint64(info.NumAckPending)
	}
	if dv != nil {
		dv.mu.Lock()
		select {
		case <-dv.done:
			st.Stopped = dv.stopErr
		default:
			st.Running = true
		}
		st.Delivered, st.Attempts, st.FailedAttempts, st.CurrentAttempts = dv.delivered, dv.attempts, dv.failed, dv.current
		st.LastError = dv.lastErr
		if !dv.lastErrAt.IsZero() {
			t := dv.lastErrAt
			st.LastErrorAt = &t
		}
		if !dv.lastDelivered.IsZero() {
			t := dv.lastDelivered
			st.LastDeliveredAt = &t
		}
		dv.mu.Unlock()
	}
	n, err := m.dead.count(name)
	if err != nil {
		return Status{}, err
	}
	st.DeadLetters = n
	return st, nil
}

// Statuses reports every webhook's status, for metrics, reading the
// registry once.
func (m *Manager) Statuses(ctx context.Context) ([]Status, error) {
	list, err := m.List()
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(list))
	for _, r := range list {
		m.mu.Lock()
		dv := m.running[r.Name]
		m.mu.Unlock()
		st, err := m.status(ctx, r, dv)
		if err != nil {
			return out, err
		}
		out = append(out, st)
	}
	return out, nil
}

// DeadLetters returns a webhook's dead letters, oldest first.
func (m *Manager) DeadLetters(name string) ([]DeadLetter, error) {
	if _, err := m.Get(name); err != nil {
		return nil, err
	}
	return m.dead.List(name)
}

// Replay sends a webhook's dead letters again (see [DeadLetters.Replay]).
func (m *Manager) Replay(ctx context.Context, name string) (delivered, remaining int, err error) {
	m.mu.Lock()
	r, err := m.getRegistered(name)
	m.mu.Unlock()
	if err != nil {
		return 0, 0, err
	}
	ep, err := r.Endpoint()
	if err != nil {
		return 0, 0, err
	}
	delivered, remaining, err = m.dead.Replay(ctx, m.client, ep, func() bool {
		// Still the webhook that was resolved above, not removed (and
		// perhaps registered again) while its letters were sent.
		now, err := m.getRegistered(name)
		return err == nil && now.Created.Equal(r.Created)
	})
	if err == nil {
		m.log.Info("webhook dead letters replayed", "webhook", name, "delivered", delivered, "remaining", remaining)
	}
	return delivered, remaining, err
}

// getRegistered reads a registration from the registry file. It needs no
// lock (the file is replaced whole, so a read sees it before or after a
// change), so it serves callers holding the manager's lock and a replay,
// which must not wait for it while a Remove holds it.
func (m *Manager) getRegistered(name string) (Registration, error) {
	list, err := Load(m.dir)
	if err != nil {
		return Registration{}, err
	}
	for _, r := range list {
		if r.Name == name {
			return r, nil
		}
	}
	return Registration{}, notFound(name)
}

// count returns how many dead letters a webhook has.
func (d *DeadLetters) count(name string) (int, error) {
	list, err := d.List(name)
	return len(list), err
}

// remove deletes a webhook's dead letters.
func (d *DeadLetters) remove(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.removeLocked(name)
}

func (d *DeadLetters) removeLocked(name string) error {
	if err := os.Remove(d.path(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
