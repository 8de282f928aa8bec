package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain/errcode"
	"github.com/laaledger/laaledger/eventstore"
)

// serverFlags let the read commands ask a running `laaledger serve` instead
// of opening the data directory (which the server holds).
type serverFlags struct {
	server string
	token  string
}

func (f *serverFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.server, "server", os.Getenv("LAALEDGER_SERVER"), "ask this running server (e.g. http://127.0.0.1:8080) instead of opening --data (env LAALEDGER_SERVER)")
	fs.StringVar(&f.token, "token", "", "bearer token for --server (default: env LAALEDGER_TOKEN)")
}

// serverError is a problem answered by the server. It reports the
// problem's category, the server's errcode, so that [exitCode] maps it as it
// would the same error met locally.
type serverError struct {
	status   int
	code     string
	category string
	detail   string
}

func (e *serverError) Error() string {
	return fmt.Sprintf("server answered %d %s: %s", e.status, e.code, e.detail)
}

// ErrorCode reports the problem's category to errcode.Of; an answer that is
// not a problem document (a proxy's error page) has none and is EINTERNAL.
func (e *serverError) ErrorCode() string {
	if e.category == "" {
		return errcode.EINTERNAL
	}
	return e.category
}

// get fetches path from the server into out.
func (f *serverFlags) get(ctx context.Context, path string, q url.Values, out any) error {
	return f.send(ctx, http.MethodGet, path, q, nil, nil, out)
}

// send makes one request of the server with the given headers and body
// and decodes a 2xx answer's JSON into out; any other answer is a
// [serverError].
func (f *serverFlags) send(ctx context.Context, method, path string, q url.Values, header map[string]string, body []byte, out any) error {
	token := f.token
	if token == "" {
		token = os.Getenv("LAALEDGER_TOKEN")
	}
	if token == "" {
		return usageError{"--server needs a bearer token: --token or LAALEDGER_TOKEN"}
	}
	u := strings.TrimRight(f.server, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return usageError{fmt.Sprintf("--server %q: %v", f.server, err)}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", eventstore.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%w: %v", eventstore.ErrUnavailable, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var p struct {
			Code     string `json:"code"`
			Category string `json:"category"`
			Detail   string `json:"detail"`
			Title    string `json:"title"`
		}
		_ = json.Unmarshal(answer, &p)
		if p.Detail == "" {
			p.Detail = p.Title
		}
		return &serverError{status: resp.StatusCode, code: p.Code, category: p.Category, detail: p.Detail}
	}
	return json.Unmarshal(answer, out)
}
