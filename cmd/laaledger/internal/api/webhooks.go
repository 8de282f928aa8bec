package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/errcode"
	"github.com/laaledger/laaledger/domain/registry"
	"github.com/laaledger/laaledger/eventstore/webhook"
)

// Webhooks registers the webhooks of integrations and reports on their
// deliveries, while they run: *webhook.Manager is one. Only the operator
// role may use the routes that reach it.
//
// Errors: *webhook.Error (code invalid, conflict or not_found, with a
// rule), eventstore.ErrUnavailable.
type Webhooks interface {
	Add(ctx context.Context, r webhook.Registration) (webhook.Registration, error)
	List() ([]webhook.Registration, error)
	Get(name string) (webhook.Registration, error)
	SetDisabled(name string, disabled bool) (webhook.Registration, error)
	Remove(ctx context.Context, name string) error
	Status(ctx context.Context, name string) (webhook.Status, error)
	DeadLetters(name string) ([]webhook.DeadLetter, error)
	Replay(ctx context.Context, name string) (delivered, remaining int, err error)
}

// WebhookRequest registers a webhook (POST /v1/webhooks).
type WebhookRequest struct {
	Name        string `json:"name"`
	Integration string `json:"integration"`
	URL         string `json:"url"`
	// Secret, when given, is "whsec_" and the base64 of 24 to 64 bytes;
	// without it the server makes one.
	Secret string   `json:"secret,omitempty"`
	Filter string   `json:"filter,omitempty"`
	Types  []string `json:"types,omitempty"`
	// Start says where deliveries begin (at most one of its fields; none:
	// the ledger's first commit).
	webhook.Start
}

// Webhook is a registered webhook as the API shows it: never its secret.
type Webhook struct {
	Name        string    `json:"name"`
	Integration string    `json:"integration"`
	URL         string    `json:"url"`
	Filter      string    `json:"filter,omitempty"`
	Types       []string  `json:"types,omitempty"`
	Enabled     bool      `json:"enabled"`
	Created     time.Time `json:"created"`
	// Start is where deliveries began, when not at the first commit. A
	// webhook registered through the API with new_only shows the sequence
	// that meant; NewOnly stays only on one registered while serve was
	// stopped.
	webhook.Start
}

// WebhookCreated is the answer to a registration: the only one that
// holds the secret.
type WebhookCreated struct {
	Webhook
	Secret string `json:"secret"`
}

// WebhookList is the answer of GET /v1/webhooks.
type WebhookList struct {
	Webhooks []Webhook `json:"webhooks"`
}

// WebhookChange enables or disables a webhook (PATCH /v1/webhooks/{name}).
type WebhookChange struct {
	Enabled bool `json:"enabled"`
}

// WebhookDeadLetter is an event given up on, without the body sent.
type WebhookDeadLetter struct {
	EventID  string `json:"event_id"`
	Sequence uint64 `json:"sequence"`
	Index    int    `json:"index"`
	Attempts int    `json:"attempts"`
	LastErr  string `json:"last_error"`
}

// WebhookDeadLetters is the answer of GET /v1/webhooks/{name}/dead-letters.
type WebhookDeadLetters struct {
	DeadLetters []WebhookDeadLetter `json:"dead_letters"`
}

// WebhookReplay is the answer of a dead-letter replay.
type WebhookReplay struct {
	Delivered int `json:"delivered"`
	Remaining int `json:"remaining"`
}

func init() {
	for name, v := range map[string]any{
		"WebhookRequest": WebhookRequest{}, "Webhook": Webhook{}, "WebhookCreated": WebhookCreated{},
		"WebhookList": WebhookList{}, "WebhookChange": WebhookChange{}, "WebhookStatus": webhook.Status{},
		"WebhookDeadLetters": WebhookDeadLetters{}, "WebhookReplay": WebhookReplay{},
	} {
		componentTypes[name] = v
	}
}

// WebhookView is a registration as the API and the CLI show it: without
// its secret, with any password in its URL masked.
func WebhookView(r webhook.Registration) Webhook {
	r = r.Public()
	return Webhook{Name: r.Name, Integration: r.Integration, URL: r.URL, Filter: r.Filter, Types: r.Types,
		Enabled: !r.Disabled, Created: r.Created, Start: r.Start}
}

// webhookRoutes adds the webhook routes, each for the operator only.
func (s *Server) webhookRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /v1/webhooks", s.operator(s.listWebhooks))
	m.HandleFunc("POST /v1/webhooks", s.operator(s.createWebhook))
	m.HandleFunc("GET /v1/webhooks/{name}", s.operator(s.getWebhook))
	m.HandleFunc("PATCH /v1/webhooks/{name}", s.operator(s.changeWebhook))
	m.HandleFunc("DELETE /v1/webhooks/{name}", s.operator(s.deleteWebhook))
	m.HandleFunc("GET /v1/webhooks/{name}/status", s.operator(s.webhookStatus))
	m.HandleFunc("GET /v1/webhooks/{name}/dead-letters", s.operator(s.webhookDeadLetters))
	m.HandleFunc("POST /v1/webhooks/{name}/dead-letters/replay", s.operator(s.replayWebhook))
	for path, methods := range map[string]string{
		"/v1/webhooks": "GET, POST", "/v1/webhooks/{name}": "GET, PATCH, DELETE",
		"/v1/webhooks/{name}/status": "GET", "/v1/webhooks/{name}/dead-letters": "GET",
		"/v1/webhooks/{name}/dead-letters/replay": "POST",
	} {
		m.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", methods)
			writeProblem(w, r, problem(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here; use "+methods))
		})
	}
}

// operator runs h for a valid token of the operator role only; webhooks
// reach outside the ledger and hold secrets.
func (s *Server) operator(h http.HandlerFunc) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request) {
		a, _ := ActorFrom(r.Context())
		if a.Role != domain.RoleOperator {
			s.writeError(w, r, domain.Errorf(domain.EFORBIDDEN, "webhook.operator_only", "%s may not manage webhooks: only the %s role may", a, domain.RoleOperator))
			return
		}
		if s.cfg.Webhooks == nil {
			writeProblem(w, r, problem(http.StatusServiceUnavailable, "unavailable", "this server delivers no webhooks"))
			return
		}
		h(w, r)
	})
}

// webhookError writes err, naming a webhook's refusal by its rule.
func (s *Server) webhookError(w http.ResponseWriter, r *http.Request, err error) {
	var we *webhook.Error
	if errors.As(err, &we) {
		err = domain.Errorf(we.Code, we.Rule, "%s", we.Message)
	}
	s.writeError(w, r, err)
}

// decodeStrict reads a JSON body into v, refusing unknown fields and
// trailing data.
func (s *Server) decodeStrict(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		writeProblem(w, r, problem(http.StatusRequestEntityTooLarge, "body_too_large", "the request body is larger than the server accepts"))
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		if err == nil {
			err = errors.New("data after the JSON value")
		}
		writeProblem(w, r, problem(http.StatusBadRequest, "bad_json", "request body: "+err.Error()))
		return false
	}
	return true
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	list, err := s.cfg.Webhooks.List()
	if err != nil {
		s.webhookError(w, r, err)
		return
	}
	integ := r.URL.Query().Get("integration")
	out := WebhookList{Webhooks: []Webhook{}}
	for _, reg := range list {
		v := WebhookView(reg)
		if integ == "" || v.Integration == integ {
			out.Webhooks = append(out.Webhooks, v)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in WebhookRequest
	if !s.decodeStrict(w, r, &in) {
		return
	}
	if in.Integration == "" {
		s.writeError(w, r, domain.Errorf(domain.EINVALID, "webhook.integration", "a webhook names the integration it delivers to (integration)"))
		return
	}
	if err := CheckWebhookTypes(in.Types); err != nil {
		s.webhookError(w, r, err)
		return
	}
	reg, err := s.cfg.Webhooks.Add(r.Context(), webhook.Registration{Name: in.Name, Integration: in.Integration, URL: in.URL,
		Secret: in.Secret, Filter: in.Filter, Types: in.Types, Start: in.Start})
	if err != nil {
		s.webhookError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/webhooks/"+reg.Name)
	writeJSON(w, http.StatusCreated, WebhookCreated{Webhook: WebhookView(reg), Secret: reg.Secret})
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	reg, err := s.cfg.Webhooks.Get(r.PathValue("name"))
	if err != nil {
		s.webhookError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, WebhookView(reg))
}

func (s *Server) changeWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Enabled *bool `json:"enabled"`
	}
	if !s.decodeStrict(w, r, &in) {
		return
	}
	if in.Enabled == nil {
		writeProblem(w, r, problem(http.StatusBadRequest, "bad_json", "request body: enabled (true or false) is required"))
		return
	}
	reg, err := s.cfg.Webhooks.SetDisabled(r.PathValue("name"), !*in.Enabled)
	if err != nil {
		s.webhookError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, WebhookView(reg))
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Webhooks.Remove(r.Context(), r.PathValue("name")); err != nil {
		s.webhookError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) webhookStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.cfg.Webhooks.Status(r.Context(), r.PathValue("name"))
	if err != nil {
		s.webhookError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) webhookDeadLetters(w http.ResponseWriter, r *http.Request) {
	list, err := s.cfg.Webhooks.DeadLetters(r.PathValue("name"))
	if err != nil {
		s.webhookError(w, r, err)
		return
	}
	out := WebhookDeadLetters{DeadLetters: []WebhookDeadLetter{}}
	for _, dl := range list {
		out.DeadLetters = append(out.DeadLetters, WebhookDeadLetter{EventID: dl.EventID, Sequence: dl.Sequence,
			Index: dl.Index, Attempts: dl.Attempts, LastErr: dl.LastErr})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) replayWebhook(w http.ResponseWriter, r *http.Request) {
	n, left, err := s.cfg.Webhooks.Replay(r.Context(), r.PathValue("name"))
	if err != nil {
		s.webhookError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, WebhookReplay{Delivered: n, Remaining: left})
}

// CheckWebhookTypes refuses a type filter naming an event type the ledger
// does not have: such a webhook would never deliver anything. (The
// webhook package checks only the form, kind.Name; the types are the
// domain's.)
func CheckWebhookTypes(types []string) error {
	known := registry.EventTypes()
	for _, t := range types {
		if !slices.Contains(known, t) {
			return &webhook.Error{Code: errcode.EINVALID, Rule: "webhook.type",
				Message: fmt.Sprintf("%q is not an event type of the ledger; GET /v1/schemas lists them", t)}
		}
	}
	return nil
}
