package integration_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/integration"
)

// natsCLIVersion is the nats CLI the test reads the feed with.
const natsCLIVersion = "v0.5.0"

// natsCLI returns the nats CLI: $LAALEDGER_NATS_CLI, or the one built
// here before (kept in the user's cache directory), or a new build of
// natscli at natsCLIVersion through the Go toolchain.
func natsCLI(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LAALEDGER_NATS_CLI"); p != "" {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "laaledger", "natscli-"+natsCLIVersion)
	bin := filepath.Join(dir, "nats")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command("go", "install", "github.com/nats-io/natscli/nats@"+natsCLIVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the nats CLI %s: %v\n%s", natsCLIVersion, err, out)
	}
	return bin
}

func TestNatsCLIReadsTheFeedAndIsRefusedEverythingElse(t *testing.T) {
	bin := natsCLI(t)
	l := openListening(t)
	appendCommits(t, l, "a", 2)
	ctx := estest.Context(t)
	cred := addIntegration(t, l, integration.Spec{Name: "cli"})
	other := addIntegration(t, l, integration.Spec{Name: "other"})
	l.Restart()
	nats := func(args ...string) (string, error) {
		all := append([]string{"--server", l.Server().ClientURL(), "--user", cred.User, "--password", cred.Password,
			"--inbox-prefix", cred.InboxPrefix, "--timeout", "2s"}, args...)
		out, err := exec.Command(bin, all...).CombinedOutput()
		return string(out), err
	}

	out, err := nats("consumer", "next", cred.Stream, cred.Consumer, "--count", "2")
	if err != nil || strings.Count(out, `{"command_id":"a`) != 2 {
		t.Fatalf("nats consumer next: %v\n%s", err, out)
	}

	for _, tc := range []struct {
		desc    string
		args    []string
		subject string
	}{
		{"publish to the ledger", []string{"pub", "--jetstream", "ledger.laa.00EB.2008-11", "{}"}, "ledger.laa.00EB.2008-11"},
		{"delete a message", []string{"stream", "rmm", cred.Stream, "1", "-f"}, "$JS.API.STREAM.MSG.DELETE." + cred.Stream},
		{"purge the stream", []string{"stream", "purge", cred.Stream, "-f"}, "$JS.API.STREAM.PURGE." + cred.Stream},
		{"delete the stream", []string{"stream", "rm", cred.Stream, "-f"}, "$JS.API.STREAM.DELETE." + cred.Stream},
		{"delete another consumer", []string{"consumer", "rm", cred.Stream, other.Consumer, "-f"}, "$JS.API.CONSUMER.DELETE." + cred.Stream + "." + other.Consumer},
	} {
		out, err := nats(tc.args...)
		if err == nil || !strings.Contains(out, `Permissions Violation for Publish to "`+tc.subject+`"`) {
			t.Errorf("%s: want the server's permissions violation for %s; the nats CLI said (%v):\n%s", tc.desc, tc.subject, err, out)
		}
	}

	// The server refused them all: the ledger and the other consumer are
	// as they were.
	s, err := l.AdminJetStream().Stream(ctx, cred.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Errorf("stream holds %d messages, want 2", info.State.Msgs)
	}
	if _, err := s.Consumer(ctx, other.Consumer); err != nil {
		t.Errorf("the other consumer: %v", err)
	}
}
