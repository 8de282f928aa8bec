package main

import (
	"bytes"
	"context"
	"flag"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHelpShowsEveryFlagOfEverySubcommand runs `laaledger CMD -h` for
// every command (and `CMD SUB -h` for the subcommands), sees every flag set
// the command makes, and requires each defined flag to be in the help.
func TestHelpShowsEveryFlagOfEverySubcommand(t *testing.T) {
	var made []*flag.FlagSet
	flagSetCreated = func(fs *flag.FlagSet) { made = append(made, fs) }
	t.Cleanup(func() { flagSetCreated = nil })

	var invocations [][]string
	for name := range commands {
		invocations = append(invocations, []string{name})
	}
	invocations = append(invocations, []string{"indicators", "import"}, []string{"integration", "add"},
		[]string{"webhook", "add"}, []string{"webhook", "dead"}, []string{"webhook", "replay"},
		[]string{"actors", "list"}, []string{"actors", "register"}, []string{"actors", "retire"})
	slices.SortFunc(invocations, func(a, b []string) int { return strings.Compare(strings.Join(a, " "), strings.Join(b, " ")) })

	for _, inv := range invocations {
		made = nil
		var out bytes.Buffer
		code := run(context.Background(), append(slices.Clone(inv), "-h"), &out, &out)
		help := out.String()
		name := strings.Join(inv, " ")
		require.Equal(t, 0, code, "%s -h: %s", name, help)
		require.NotEmpty(t, made, "%s -h shows no flags", name)
		require.Contains(t, help, "Usage: laaledger "+inv[0], name)
		for _, fs := range made {
			fs.VisitAll(func(f *flag.Flag) {
				require.Regexp(t, `(?m)^\s+-`+regexp.QuoteMeta(f.Name)+`(\s|$)`, help, "%s -h does not show --%s", name, f.Name)
			})
		}
	}

	// The defect that started this: indicators -h hid --effective.
	var out bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"indicators", "-h"}, &out, &out))
	require.Contains(t, out.String(), "-effective")
}

// TestFlagsMayFollowTheArguments: flags after the positional arguments are
// read as flags, not as more arguments.
func TestFlagsMayFollowTheArguments(t *testing.T) {
	fs := flag.NewFlagSet("state", flag.ContinueOnError)
	at := fs.String("known-at", "", "")
	server := fs.String("server", "", "")
	asJSON := fs.Bool("json", false, "")
	require.NoError(t, parse(fs, []string{"--known-at", "2009-03-31", "laa", "--json", "00EB/2008-11", "--server", "127.0.0.1:8080"}))
	require.Equal(t, []string{"laa", "00EB/2008-11"}, fs.Args())
	require.Equal(t, "2009-03-31", *at)
	require.Equal(t, "127.0.0.1:8080", *server)
	require.True(t, *asJSON)

	// After "--" everything is an argument.
	fs = flag.NewFlagSet("state", flag.ContinueOnError)
	asJSON = fs.Bool("json", false, "")
	require.NoError(t, parse(fs, []string{"laa", "--", "--json"}))
	require.Equal(t, []string{"laa", "--json"}, fs.Args())
	require.False(t, *asJSON)

	// A misplaced unknown flag is named.
	fs = flag.NewFlagSet("state", flag.ContinueOnError)
	fs.SetOutput(&bytes.Buffer{})
	err := parse(fs, []string{"laa", "00EB/2008-11", "--knwon-at", "2009-03-31"})
	require.ErrorContains(t, err, "knwon-at")
}

func TestServerAddressWithoutSchemeMeansHTTP(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8080":          "http://127.0.0.1:8080",
		"http://127.0.0.1:8080/":  "http://127.0.0.1:8080",
		"https://ledger.example":  "https://ledger.example",
		"localhost:8080":          "http://localhost:8080",
		" http://[::1]:8080 ":     "http://[::1]:8080",
		"http://host:1/prefix/v0": "http://host:1/prefix/v0",
	} {
		got, err := (&serverFlags{server: in}).baseURL()
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"ftp://host", "http://", "http://host?x=1", "::"} {
		_, err := (&serverFlags{server: bad}).baseURL()
		require.Error(t, err, bad)
		require.Equal(t, exitUsage, exitCode(err), bad)
		require.ErrorContains(t, err, "--server")
	}
}
