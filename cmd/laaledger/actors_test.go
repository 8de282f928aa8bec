package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCLIActorRegisterAndServeStartCheck(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "ledger")
	_, errOut, code := cli(t, "actors", "list", "--data", data)
	require.Equal(t, 4, code, errOut)
	require.Contains(t, errOut, "there is no ledger at")
	_, errOut, code = cli(t, "demo", "--data", data)
	require.Equal(t, 0, code, errOut)
	out, errOut, code := cli(t, "actors", "list", "--data", data)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "the actor register is empty")

	// A bad organisation is refused, naming the rule's reason.
	_, errOut, code = cli(t, "actors", "register", "--data", data, "--reason", "test", "go.x", "go", "Nowhere")
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut, `"Nowhere" is not one of`)
	_, errOut, code = cli(t, "actors", "register", "--data", data, "ops.jones", "operator", "laaledger")
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "--reason is required")

	_, errOut, code = cli(t, "actors", "register", "--data", data, "--operator", "ops.jones", "--reason", "first operator",
		"--name", "J Jones", "--at", "2008-01-02", "ops.jones", "operator", "laaledger")
	require.Equal(t, 0, code, errOut)
	_, errOut, code = cli(t, "actors", "register", "--data", data, "--operator", "ops.jones", "--reason", "GO lead",
		"--at", "2008-01-03", "go.ne", "go", "North East")
	require.Equal(t, 0, code, errOut)
	out, errOut, code = cli(t, "actors", "list", "--data", data, "--json")
	require.Equal(t, 0, code, errOut)
	var list []struct {
		ID, Role, Organisation, Name string
		Active                       bool
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list, 2)
	require.Equal(t, "go.ne", list[0].ID)
	require.Equal(t, "J Jones", list[1].Name)

	// serve refuses a token whose actor the register does not hold, and a
	// token file naming an unknown region.
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	unregistered := write("t1.json", `{"tokens":[{"token":"a-token-of-sixteen-chars","actor":{"id":"go.other","role":"go","organisation":"North East"}}]}`)
	_, errOut, code = cli(t, "serve", "--data", data, "--http", "127.0.0.1:0", "--tokens", unregistered)
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "go.other")
	require.Contains(t, errOut, "not in the actor register")
	nowhere := write("t2.json", `{"tokens":[{"token":"a-token-of-sixteen-chars","actor":{"id":"go.x","role":"go","organisation":"Nowhere"}}]}`)
	_, errOut, code = cli(t, "serve", "--data", data, "--http", "127.0.0.1:0", "--tokens", nowhere)
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, `"Nowhere" is not one of`)

	// A registered token's server starts.
	ok := write("t3.json", `{"tokens":[{"token":"a-token-of-sixteen-chars","actor":{"id":"go.ne","role":"go","organisation":"North East"}}]}`)
	_, stop := startServe(t, data, serveReady, "--tokens", ok)
	stop()
}
