package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/cloudevent"
	"github.com/laaledger/laaledger/eventstore/webhook"
)

// typeList is a repeatable --type flag.
type typeList []string

func (l *typeList) String() string     { return strings.Join(*l, ",") }
func (l *typeList) Set(v string) error { *l = append(*l, v); return nil }

const webhookUsage = `webhook SUBCOMMAND [flags] [NAME [URL]]

  webhook add [--integration NAME] [--filter SUBJECT] [--type TYPE]...
              [--from-sequence N | --from-time RFC3339 | --new-only] NAME URL
  webhook list [--integration NAME]
  webhook show NAME
  webhook dead NAME
  webhook replay NAME
  webhook status NAME              (--server only)
  webhook disable|enable NAME      (--server only)
  webhook remove NAME              (--server only)

With --server (or LAALEDGER_SERVER) the subcommands ask a running serve
through its API, with an operator token (--token or LAALEDGER_TOKEN), and
take effect at once. Without it they work on --data while serve is stopped;
serve delivers to a webhook added so when it next starts.`

func runWebhook(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"webhook needs a subcommand: add, list, show, status, dead, replay, disable, enable or remove (webhook -h)"}
	}
	if isHelp(args[0]) {
		args = []string{"help", "-h"}
	}
	sub := args[0]
	fs := newFlagSet("webhook "+sub, webhookUsage, stderr)
	f := webhookFlags(fs)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	rest := fs.Args()
	want := map[string]int{"add": 2, "list": 0, "show": 1, "status": 1, "dead": 1, "replay": 1, "disable": 1, "enable": 1, "remove": 1}
	n, ok := want[sub]
	if !ok {
		return usageError{"webhook: unknown subcommand " + sub + "; use add, list, show, status, dead, replay, disable, enable or remove"}
	}
	if len(rest) != n {
		return usageError{fmt.Sprintf("webhook %s takes %d argument(s): see laaledger webhook -h", sub, n)}
	}
	if f.srv.server != "" {
		return webhookRemote(ctx, f, sub, rest, stdout)
	}
	if err := ledgerExists(*f.data); err != nil {
		return err // only serve, demo and gen-history create a data directory
	}
	return webhookLocal(ctx, f, sub, rest, stdout)
}

type webhookFlagValues struct {
	data, filter, integration *string
	fromSeq                   *uint64
	fromTime                  *string
	newOnly                   *bool
	types                     *typeList
	asJSON                    *bool
	srv                       serverFlags
}

func webhookFlags(fs *flag.FlagSet) *webhookFlagValues {
	f := &webhookFlagValues{types: &typeList{}}
	f.data = fs.String("data", envOr("LAALEDGER_DATA", "./laaledger-data"), "data directory of the ledger, without --server (env LAALEDGER_DATA)")
	f.filter = fs.String("filter", "", "add: deliver only events on these ledger subjects, e.g. ledger.laa.>")
	f.integration = fs.String("integration", "", "add: the integration the webhook delivers to (default: the webhook's name); list: only this integration's")
	fs.Var(f.types, "type", "add: deliver only events of this ledger type; repeatable")
	f.fromSeq = fs.Uint64("from-sequence", 0, "add: start deliveries at this stream sequence (default: the ledger's first commit)")
	f.fromTime = fs.String("from-time", "", "add: start deliveries at the first commit recorded at or after this RFC 3339 time")
	f.newOnly = fs.Bool("new-only", false, "add: deliver only commits after the ledger's last one when the webhook is registered (without --server: when serve next starts)")
	f.asJSON = fs.Bool("json", false, "print JSON")
	f.srv.register(fs)
	fs.Lookup("token").Usage = "operator bearer token for --server (default: env LAALEDGER_TOKEN)"
	return f
}

const secretAdvice = `Verify each request with the Standard Webhooks headers (webhook-id, webhook-timestamp,
webhook-signature: HMAC-SHA256 under the base64 key after "whsec_"); webhook-id is the
event id, your idempotency key. The secret is shown only now.
`

// start reads the add subcommand's start flags.
func (f *webhookFlagValues) start() (webhook.Start, error) {
	s := webhook.Start{FromSequence: *f.fromSeq, NewOnly: *f.newOnly}
	if *f.fromTime != "" {
		t, err := time.Parse(time.RFC3339Nano, *f.fromTime)
		if err != nil {
			return webhook.Start{}, usageError{fmt.Sprintf("--from-time %q: not an RFC 3339 time (e.g. 2009-04-01T00:00:00Z)", *f.fromTime)}
		}
		s.FromTime = &t
	}
	return s, nil
}

// startNote says where a registration's deliveries begin, for add's output.
func startNote(s webhook.Start, running bool) string {
	switch {
	case s.FromSequence > 0:
		return fmt.Sprintf("from stream sequence %d", s.FromSequence)
	case s.FromTime != nil:
		return "from the first event recorded at or after " + s.FromTime.UTC().Format(time.RFC3339)
	case s.NewOnly && running:
		return "with the events committed from now on"
	case s.NewOnly:
		return "with the events committed after it starts"
	}
	return "from the ledger's first event"
}

// webhookLocal works on the data directory, while serve is stopped.
func webhookLocal(ctx context.Context, f *webhookFlagValues, sub string, rest []string, stdout io.Writer) error {
	data := *f.data
	switch sub {
	case "add":
		start, err := f.start()
		if err != nil {
			return err
		}
		if err := api.CheckWebhookTypes(*f.types); err != nil {
			return usageError{err.Error()}
		}
		reg, err := webhook.Register(data, webhook.Registration{Name: rest[0], Integration: *f.integration, URL: rest[1], Filter: *f.filter, Types: *f.types,
			Start: start})
		if err != nil {
			return usageError{err.Error()}
		}
		if *f.asJSON {
			return writeJSONOut(stdout, api.WebhookCreated{Webhook: api.WebhookView(reg), Secret: reg.Secret})
		}
		fmt.Fprintf(stdout, "webhook %s registered for integration %s; serve delivers to it %s when it next starts.\n  url     %s\n  secret  %s\n%s",
			reg.Name, reg.Integration, startNote(reg.Start, false), reg.URL, reg.Secret, secretAdvice)
		return nil
	case "list", "show":
		list, err := webhook.Load(data)
		if err != nil {
			return err
		}
		var out []api.Webhook
		for _, r := range list {
			v := api.WebhookView(r)
			if sub == "show" && r.Name == rest[0] || sub == "list" && (*f.integration == "" || v.Integration == *f.integration) {
				out = append(out, v)
			}
		}
		if sub == "show" {
			if len(out) == 0 {
				return fmt.Errorf("webhook %s: %w", rest[0], eventstore.ErrNotFound)
			}
			return printWebhooks(stdout, out, *f.asJSON, true)
		}
		return printWebhooks(stdout, out, *f.asJSON, false)
	case "dead", "replay":
		ep, err := findWebhook(data, rest[0])
		if err != nil {
			return err
		}
		dead := &webhook.DeadLetters{Dir: data}
		if sub == "dead" {
			list, err := dead.List(ep.Name)
			if err != nil {
				return err
			}
			var out []api.WebhookDeadLetter
			for _, dl := range list {
				out = append(out, api.WebhookDeadLetter{EventID: dl.EventID, Sequence: dl.Sequence, Index: dl.Index, Attempts: dl.Attempts, LastErr: dl.LastErr})
			}
			return printDeadLetters(stdout, out, *f.asJSON)
		}
		n, left, err := dead.Replay(ctx, &http.Client{Timeout: 10 * time.Second}, ep, nil)
		if err != nil {
			return err
		}
		return printReplay(stdout, api.WebhookReplay{Delivered: n, Remaining: left}, *f.asJSON)
	}
	return usageError{"webhook " + sub + " needs a running server: give --server and an operator --token"}
}

// webhookRemote asks a running serve through its API.
func webhookRemote(ctx context.Context, f *webhookFlagValues, sub string, rest []string, stdout io.Writer) error {
	s := &f.srv
	path := "/v1/webhooks"
	if len(rest) > 0 && sub != "add" {
		path += "/" + rest[0]
	}
	switch sub {
	case "add":
		integ := *f.integration
		if integ == "" {
			integ = rest[0]
		}
		start, err := f.start()
		if err != nil {
			return err
		}
		var c api.WebhookCreated
		req := api.WebhookRequest{Name: rest[0], Integration: integ, URL: rest[1], Filter: *f.filter, Types: *f.types,
			Start: start}
		if err := s.sendJSON(ctx, http.MethodPost, path, req, &c); err != nil {
			return err
		}
		if *f.asJSON {
			return writeJSONOut(stdout, c)
		}
		fmt.Fprintf(stdout, "webhook %s registered for integration %s; the server delivers to it now, %s.\n  url     %s\n  secret  %s\n%s",
			c.Name, c.Integration, startNote(c.Start, true), c.URL, c.Secret, secretAdvice)
		return nil
	case "list":
		var l api.WebhookList
		if *f.integration != "" {
			path += "?integration=" + *f.integration
		}
		if err := s.sendJSON(ctx, http.MethodGet, path, nil, &l); err != nil {
			return err
		}
		return printWebhooks(stdout, l.Webhooks, *f.asJSON, false)
	case "show":
		var w api.Webhook
		if err := s.sendJSON(ctx, http.MethodGet, path, nil, &w); err != nil {
			return err
		}
		return printWebhooks(stdout, []api.Webhook{w}, *f.asJSON, true)
	case "status":
		var st webhook.Status
		if err := s.sendJSON(ctx, http.MethodGet, path+"/status", nil, &st); err != nil {
			return err
		}
		if *f.asJSON {
			return writeJSONOut(stdout, st)
		}
		state := "running"
		switch {
		case !st.Enabled:
			state = "disabled"
		case st.Stopped != "":
			state = "stopped: " + st.Stopped
		case !st.Running:
			state = "not running"
		}
		fmt.Fprintf(stdout, "webhook %s: %s\n  last delivered sequence  %d\n  pending commits          %d\n  delivered                %d\n  attempts                 %d (%d failed; %d on the event in hand)\n  dead letters             %d\n",
			st.Name, state, st.LastSequence, st.PendingCommits, st.Delivered, st.Attempts, st.FailedAttempts, st.CurrentAttempts, st.DeadLetters)
		if st.LastError != "" {
			fmt.Fprintf(stdout, "  last error               %s (%s)\n", st.LastError, st.LastErrorAt.Format(time.RFC3339))
		}
		return nil
	case "dead":
		var d api.WebhookDeadLetters
		if err := s.sendJSON(ctx, http.MethodGet, path+"/dead-letters", nil, &d); err != nil {
			return err
		}
		return printDeadLetters(stdout, d.DeadLetters, *f.asJSON)
	case "replay":
		var r api.WebhookReplay
		if err := s.sendJSON(ctx, http.MethodPost, path+"/dead-letters/replay", nil, &r); err != nil {
			return err
		}
		return printReplay(stdout, r, *f.asJSON)
	case "disable", "enable":
		var w api.Webhook
		if err := s.sendJSON(ctx, http.MethodPatch, path, api.WebhookChange{Enabled: sub == "enable"}, &w); err != nil {
			return err
		}
		return printWebhooks(stdout, []api.Webhook{w}, *f.asJSON, true)
	case "remove":
		if err := s.sendJSON(ctx, http.MethodDelete, path, nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "webhook %s removed; nothing more is sent to it\n", rest[0])
		return nil
	}
	return usageError{"webhook: unknown subcommand " + sub}
}

func writeJSONOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printWebhooks(w io.Writer, list []api.Webhook, asJSON, one bool) error {
	if asJSON {
		if one {
			return writeJSONOut(w, list[0])
		}
		if list == nil {
			list = []api.Webhook{}
		}
		return writeJSONOut(w, api.WebhookList{Webhooks: list})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tINTEGRATION\tENABLED\tURL\tFILTER\tTYPES")
	for _, h := range list {
		fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\t%s\n", h.Name, h.Integration, h.Enabled, h.URL, h.Filter, strings.Join(h.Types, ","))
	}
	return tw.Flush()
}

func printDeadLetters(w io.Writer, list []api.WebhookDeadLetter, asJSON bool) error {
	if asJSON {
		if list == nil {
			list = []api.WebhookDeadLetter{}
		}
		return writeJSONOut(w, api.WebhookDeadLetters{DeadLetters: list})
	}
	for _, dl := range list {
		fmt.Fprintf(w, "%d:%d  %s  %d attempts  %s\n", dl.Sequence, dl.Index, dl.EventID, dl.Attempts, dl.LastErr)
	}
	fmt.Fprintf(w, "%d dead letters\n", len(list))
	return nil
}

func printReplay(w io.Writer, r api.WebhookReplay, asJSON bool) error {
	if asJSON {
		if err := writeJSONOut(w, r); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "%d delivered, %d still failing\n", r.Delivered, r.Remaining)
	}
	if r.Remaining > 0 {
		return errors.New("some dead letters were not delivered; they are kept")
	}
	return nil
}

// sendJSON makes one API call with a JSON body (nil for none) and
// decodes a 2xx answer into out (nil, or a 204, to discard it).
func (f *serverFlags) sendJSON(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	var header map[string]string
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, header = b, map[string]string{"Content-Type": "application/json"}
	}
	return f.send(ctx, method, path, nil, header, body, out)
}

func findWebhook(data, name string) (webhook.Endpoint, error) {
	list, err := webhook.Load(data)
	if err != nil {
		return webhook.Endpoint{}, err
	}
	for _, r := range list {
		if r.Name == name {
			return r.Endpoint()
		}
	}
	return webhook.Endpoint{}, fmt.Errorf("no webhook %s: %w", name, eventstore.ErrNotFound)
}

// webhookMetrics count each webhook's deliveries, failed attempts and
// dead letters as they happen ([webhook.Observer]), and report where each
// stands at every scrape.
type webhookMetrics struct {
	delivered, failed, dead *prometheus.CounterVec
	m                       *webhook.Manager

	lastSeq, pending, deadNow, up *prometheus.Desc
}

func newWebhookMetrics(reg prometheus.Registerer) (*webhookMetrics, error) {
	m := &webhookMetrics{
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "laaledger_webhook_deliveries_total",
			Help: "Events a webhook endpoint accepted (2xx)."}, []string{"webhook"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "laaledger_webhook_failed_attempts_total",
			Help: "Delivery attempts that failed and were retried or given up."}, []string{"webhook"}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "laaledger_webhook_dead_letters_total",
			Help: "Events given up on after the last attempt, kept as dead letters."}, []string{"webhook"}),
		lastSeq: prometheus.NewDesc("laaledger_webhook_last_delivered_sequence",
			"Stream sequence of the last commit a webhook wholly handled.", []string{"webhook"}, nil),
		pending: prometheus.NewDesc("laaledger_webhook_pending_commits",
			"Commits on a webhook's subjects not yet wholly handled.", []string{"webhook"}, nil),
		deadNow: prometheus.NewDesc("laaledger_webhook_dead_letters",
			"Dead letters a webhook holds now, waiting for a replay.", []string{"webhook"}, nil),
		up: prometheus.NewDesc("laaledger_webhook_running",
			"1 while a webhook's deliveries run; 0 when disabled or stopped on an error.", []string{"webhook"}, nil),
	}
	for _, c := range []prometheus.Collector{m.delivered, m.failed, m.dead, m} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *webhookMetrics) Delivered(name string)    { m.delivered.WithLabelValues(name).Inc() }
func (m *webhookMetrics) Failed(name string)       { m.failed.WithLabelValues(name).Inc() }
func (m *webhookMetrics) DeadLettered(name string) { m.dead.WithLabelValues(name).Inc() }
func (m *webhookMetrics) Removed(name string) {
	m.delivered.DeleteLabelValues(name)
	m.failed.DeleteLabelValues(name)
	m.dead.DeleteLabelValues(name)
}

// Describe and Collect make the status gauges a prometheus.Collector.
func (m *webhookMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.lastSeq
	ch <- m.pending
	ch <- m.deadNow
	ch <- m.up
}

func (m *webhookMetrics) Collect(ch chan<- prometheus.Metric) {
	if m.m == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, _ := m.m.Statuses(ctx)
	for _, st := range list {
		up := 0.0
		if st.Running {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(m.lastSeq, prometheus.GaugeValue, float64(st.LastSequence), st.Name)
		ch <- prometheus.MustNewConstMetric(m.pending, prometheus.GaugeValue, float64(st.PendingCommits), st.Name)
		ch <- prometheus.MustNewConstMetric(m.deadNow, prometheus.GaugeValue, float64(st.DeadLetters), st.Name)
		ch <- prometheus.MustNewConstMetric(m.up, prometheus.GaugeValue, up, st.Name)
	}
}

// newWebhooks returns the manager of the data directory's webhooks, its
// metrics registered; [webhook.Manager.Start] starts the deliveries.
func newWebhooks(data string, s *eventstore.Store, ce cloudevent.Mapper, log *slog.Logger, reg prometheus.Registerer) (*webhook.Manager, error) {
	met, err := newWebhookMetrics(reg)
	if err != nil {
		return nil, err
	}
	met.m = webhook.NewManager(webhook.ManagerConfig{Store: s, DataDir: data, Mapper: ce, Logger: log, Observer: met})
	return met.m, nil
}
