package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/cloudevent"
	"github.com/laaledger/laaledger/eventstore/webhook"
)

func init() {
	register("webhook", "register webhooks that serve delivers signed CloudEvents to, and list or replay their dead letters (webhook add|dead|replay)", runWebhook)
}

// typeList is a repeatable --type flag.
type typeList []string

func (l *typeList) String() string     { return strings.Join(*l, ",") }
func (l *typeList) Set(v string) error { *l = append(*l, v); return nil }

const webhookUsage = `usage:
  laaledger webhook add [--data DIR] [--filter SUBJECT] [--type TYPE]... NAME URL
  laaledger webhook dead [--data DIR] NAME
  laaledger webhook replay [--data DIR] NAME`

func runWebhook(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{webhookUsage}
	}
	if isHelp(args[0]) {
		args = []string{"help", "-h"}
	}
	fs := newFlagSet("webhook "+args[0], "webhook add|dead|replay [flags] ARGS\n\n"+strings.TrimPrefix(webhookUsage, "usage:\n"), stderr)
	data := fs.String("data", envOr("LAALEDGER_DATA", "./laaledger-data"), "data directory of the ledger (env LAALEDGER_DATA)")
	filter := fs.String("filter", "", "add: deliver only events on these ledger subjects, e.g. ledger.laa.>")
	var types typeList
	fs.Var(&types, "type", "add: deliver only events of this ledger type; repeatable")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	rest := fs.Args()
	if err := ledgerExists(*data); err != nil && (args[0] == "add" || args[0] == "dead" || args[0] == "replay") {
		return err // only serve, demo and gen-history create a data directory
	}
	switch args[0] {
	case "add":
		if len(rest) != 2 {
			return usageError{webhookUsage}
		}
		reg, err := webhook.Register(*data, webhook.Registration{Name: rest[0], URL: rest[1], Filter: *filter, Types: types})
		if err != nil {
			return usageError{err.Error()}
		}
		fmt.Fprintf(stdout, `webhook %s registered; serve delivers to it from the ledger's first event when it next starts.
  url     %s
  secret  %s
Verify each request with the Standard Webhooks headers (webhook-id, webhook-timestamp,
webhook-signature: HMAC-SHA256 under the base64 key after "whsec_"); webhook-id is the
event id, your idempotency key.
`, reg.Name, reg.URL, reg.Secret)
		return nil
	case "dead", "replay":
		if len(rest) != 1 {
			return usageError{webhookUsage}
		}
		ep, err := findWebhook(*data, rest[0])
		if err != nil {
			return err
		}
		dead := &webhook.DeadLetters{Dir: *data}
		if args[0] == "dead" {
			list, err := dead.List(ep.Name)
			if err != nil {
				return err
			}
			for _, dl := range list {
				fmt.Fprintf(stdout, "%d:%d  %s  %d attempts  %s\n", dl.Sequence, dl.Index, dl.EventID, dl.Attempts, dl.LastErr)
			}
			fmt.Fprintf(stdout, "%d dead letters\n", len(list))
			return nil
		}
		n, left, err := dead.Replay(ctx, &http.Client{Timeout: 10 * time.Second}, ep)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d delivered, %d still failing\n", n, left)
		if left > 0 {
			return errors.New("some dead letters were not delivered; they are kept")
		}
		return nil
	}
	return usageError{webhookUsage}
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
	return webhook.Endpoint{}, usageError{"no webhook " + name}
}

// webhookMetrics count each webhook's deliveries, failed attempts and
// dead letters.
type webhookMetrics struct {
	delivered, failed, dead *prometheus.CounterVec
}

func newWebhookMetrics(reg prometheus.Registerer) (*webhookMetrics, error) {
	m := &webhookMetrics{
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "laaledger_webhook_deliveries_total",
			Help: "Events a webhook endpoint accepted (2xx)."}, []string{"webhook"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "laaledger_webhook_failed_attempts_total",
			Help: "Delivery attempts that failed and were retried or given up."}, []string{"webhook"}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "laaledger_webhook_dead_letters_total",
			Help: "Events given up on after the last attempt, kept as dead letters."}, []string{"webhook"}),
	}
	for _, c := range []prometheus.Collector{m.delivered, m.failed, m.dead} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// startWebhooks runs a deliverer for every webhook registered in the data
// directory until ctx ends; dead letters are kept beside the registrations.
func startWebhooks(ctx context.Context, wg *sync.WaitGroup, data string, s *eventstore.Store, ce cloudevent.Mapper, log *slog.Logger, reg prometheus.Registerer) error {
	list, err := webhook.Load(data)
	if err != nil {
		return err
	}
	m, err := newWebhookMetrics(reg)
	if err != nil {
		return err
	}
	dead := &webhook.DeadLetters{Dir: data}
	for _, r := range list {
		ep, err := r.Endpoint()
		if err != nil {
			return err
		}
		d := &webhook.Deliverer{Store: s, Endpoint: ep, Mapper: ce,
			Delivered: func(_ string, attempts int) {
				m.delivered.WithLabelValues(ep.Name).Inc()
				m.failed.WithLabelValues(ep.Name).Add(float64(attempts - 1))
			},
			DeadLetter: func(ctx context.Context, dl webhook.DeadLetter) error {
				log.Warn("webhook delivery given up; kept as a dead letter", "webhook", dl.Endpoint, "event_id", dl.EventID, "attempts", dl.Attempts, "err", dl.LastErr)
				m.dead.WithLabelValues(ep.Name).Inc()
				m.failed.WithLabelValues(ep.Name).Add(float64(dl.Attempts))
				return dead.Keep(ctx, dl)
			}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.Run(ctx); !errors.Is(err, context.Canceled) {
				log.Error("webhook deliveries stopped", "webhook", ep.Name, "err", err)
			}
		}()
	}
	return nil
}
