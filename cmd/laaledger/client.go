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
	fs.StringVar(&f.server, "server", os.Getenv("LAALEDGER_SERVER"), "ask this running server (e.g. http://127.0.0.1:8080, or host:port for http) instead of opening --data (env LAALEDGER_SERVER)")
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

// baseURL is --server as a URL: a bare host:port (127.0.0.1:8080) means
// http://host:port.
func (f *serverFlags) baseURL() (string, error) {
	raw := strings.TrimSpace(f.server)
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", usageError{fmt.Sprintf("--server %q: want the server's address, e.g. http://127.0.0.1:8080 or 127.0.0.1:8080", f.server)}
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// get fetches path from the server into out.
func (f *serverFlags) get(ctx context.Context, path string, q url.Values, out any) error {
	return f.send(ctx, http.MethodGet, path, q, nil, nil, out)
}

// send makes one request of the server with the given headers and body
// and decodes a 2xx answer's JSON into out (nil, or a 204, to discard
// it); any other answer is a [serverError].
func (f *serverFlags) send(ctx context.Context, method, path string, q url.Values, header map[string]string, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return f.doResponse(ctx, method, path, q, header, body, func(resp *http.Response) error {
		answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		if err != nil {
			return fmt.Errorf("%w: %v", eventstore.ErrUnavailable, err)
		}
		if out == nil || resp.StatusCode == http.StatusNoContent {
			return nil
		}
		return json.Unmarshal(answer, out)
	})
}

// do sends one request without a body to the server and hands a 2xx
// answer's body to read; any other answer is a [serverError].
func (f *serverFlags) do(ctx context.Context, method, path string, q url.Values, read func(body io.Reader) error) error {
	return f.doResponse(ctx, method, path, q, nil, nil, func(resp *http.Response) error { return read(resp.Body) })
}

// doResponse sends one request and hands a 2xx answer whole to read (for
// its trailers too); any other answer is a [serverError].
func (f *serverFlags) doResponse(ctx context.Context, method, path string, q url.Values, header map[string]string, body []byte, read func(resp *http.Response) error) error {
	token := f.token
	if token == "" {
		token = os.Getenv("LAALEDGER_TOKEN")
	}
	if token == "" {
		return usageError{"--server needs a bearer token: --token or LAALEDGER_TOKEN"}
	}
	base, err := f.baseURL()
	if err != nil {
		return err
	}
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
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
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
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
	return read(resp)
}
