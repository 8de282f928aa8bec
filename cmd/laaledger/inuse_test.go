package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A command that meets a data directory held by serve says what to do:
// ask the server, for a command that can (--server), or stop it first,
// for one that reads the directory itself, without offering a flag it
// does not have.
func TestCommandOnAHeldDataDirectorySaysWhatToDo(t *testing.T) {
	data := demoLedger(t)
	_, stop := startServe(t, data, serveReady, "--demo")
	defer stop()

	_, errOut, code := cli(t, "history", "--data", data, "laa", "00EB/2008-11")
	require.Equal(t, 5, code, errOut)
	require.Contains(t, errOut, "stop it first: history reads the data directory itself")
	require.NotContains(t, errOut, "--server")

	_, errOut, code = cli(t, "state", "--data", data, "laa", "00EB/2008-11")
	require.Equal(t, 5, code, errOut)
	require.Contains(t, errOut, "--server http://ADDRESS")
}
