package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/laaledger/laaledger/projections"
)

// chromium finds Debian's chromium, which CI installs (.ci/run).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium binary on PATH (apt-get install -y chromium): the browser tests need a real headless Chromium")
	return ""
}

// newChrome starts a headless Chromium with a fresh profile, quiet on the
// network, and returns a browser context that ends with the test or after
// the deadline.
func newChrome(t *testing.T, deadline time.Duration) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1024),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), deadline)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	return bctx
}

// apiRounds asks the HTTP API for a target's rounds, as an integration
// would, to compare with what the page shows.
func apiRounds(t *testing.T, s *site, path string) projections.TargetRounds {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tokScrutiny)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v projections.TargetRounds
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// do runs steps that return nothing; text reads an element's visible text.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text[S chromedp.Selectable](t *testing.T, ctx context.Context, sel S) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("text of %v: %v", sel, err)
	}
	return v
}

func TestBrowserSignInAreaTargetAsOfEventSignOut(t *testing.T) {
	ctx := newChrome(t, 90*time.Second)
	s := newSite(t)
	start := time.Now()

	// Every step waits on a condition (an element visible or gone, a
	// navigation finished) within the context's deadline; nothing sleeps.
	do(t, ctx, "sign in on the way to the area page",
		chromedp.Navigate(s.srv.URL+"/areas/00EB"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), tokScrutiny),
		chromedp.Click(chromedp.ID("signin-submit")),
		chromedp.WaitVisible(chromedp.ID("agreement-status")),
	)
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if h1, status := text(t, ctx, chromedp.CSS("h1")), text(t, ctx, chromedp.ID("agreement-status")); h1 != "Hartlepool" || !strings.HasSuffix(location, "/areas/00EB") || status != "approved" {
		t.Errorf("area page: h1 %q at %q, status %q; want Hartlepool at /areas/00EB, approved", h1, location, status)
	}

	// Area → target, by following the link a reader would.
	do(t, ctx, "open the target",
		chromedp.Click(chromedp.CSS(`#targets-designated a[href="/agreements/00EB/2008-11/targets/NI%20112"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#trajectory-chart svg`)),
	)
	lines, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#trajectory-chart svg g')).map(g => g.getAttribute('class'))`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(lines, "agreed") || !slices.Contains(lines, "proposal") || !slices.Contains(lines, "outturn") {
		t.Errorf("chart has series %v, want proposal, agreed and outturn", lines)
	}
	if state := text(t, ctx, chromedp.ID("target-state")); !strings.Contains(state, "refreshed") {
		t.Errorf("target state %q, want refreshed", state)
	}
	// The rounds and values shown are the API's.
	rounds := text(t, ctx, chromedp.ID("rounds"))
	want := apiRounds(t, s, "/v1/agreements/00EB/2008-11/targets/NI%20112/rounds")
	if len(want.Rounds) < 4 {
		t.Fatalf("API gives %d rounds", len(want.Rounds))
	}
	for i, r := range want.Rounds {
		if !strings.Contains(rounds, "Round "+strconv.Itoa(i+1)+":") || !strings.Contains(rounds, r.By.ID) {
			t.Errorf("round %d by %s not shown", i+1, r.By.ID)
		}
		for y, v := range r.Values {
			if !strings.Contains(rounds, strconv.FormatFloat(v, 'f', -1, 64)) {
				t.Errorf("round %d: %s value %v not shown", i+1, y, v)
			}
		}
	}

	// As now known on 20 February 2008: two rounds in, countered.
	do(t, ctx, "switch to an as-of date",
		chromedp.SetValue(chromedp.ID("asof-basis"), "known_at"),
		chromedp.SetValue(chromedp.ID("asof-date"), "2008-02-20"),
		chromedp.Submit(chromedp.ID("asof-date")),
		chromedp.WaitVisible(chromedp.CSS(`.asof.historic`)),
	)
	if label, state := text(t, ctx, chromedp.ID("asof-label")), text(t, ctx, chromedp.ID("target-state")); !strings.Contains(label, "as now known at 20 February 2008") || !strings.Contains(state, "countered") {
		t.Errorf("as-of view: label %q, state %q; want as now known at 20 February 2008, countered", label, state)
	}
	if later := text(t, ctx, chromedp.CSS(`#rounds li.later h3`)); !strings.Contains(later, "later") {
		t.Errorf("first later round reads %q", later)
	}

	// The event of round 1: its chain and proof; then back to now.
	do(t, ctx, "open the event",
		chromedp.Click(chromedp.CSS(`#rounds li:first-child a[href^="/events/"]`)),
		chromedp.WaitVisible(chromedp.ID("hash-ok")),
	)
	if ok, proof := text(t, ctx, chromedp.ID("hash-ok")), text(t, ctx, chromedp.ID("proof-result")); !strings.Contains(ok, "matches") || !strings.HasPrefix(proof, "Verified") {
		t.Errorf("event page: hash %q, proof %q", ok, proof)
	}
	do(t, ctx, "back to now",
		chromedp.Click(chromedp.ID("back-to-now")),
		chromedp.WaitNotPresent(chromedp.CSS(`.asof.historic`)),
	)
	if label := text(t, ctx, chromedp.ID("asof-label")); !strings.Contains(label, "now") {
		t.Errorf("label after back to now: %q", label)
	}

	// Printed, the page is a committee paper: the point in time stays, the
	// controls go.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "print media",
		chromedp.WaitNotVisible(chromedp.CSS(`.asof-form`)),
		chromedp.WaitNotVisible(chromedp.CSS(`header.site nav`)),
		chromedp.WaitVisible(chromedp.ID("asof-label")),
	)
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}

	// Sign out: the next page asks for the token again.
	do(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS(`header.site button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.Navigate(s.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
	)
	t.Logf("browser journey took %s", time.Since(start).Round(time.Millisecond))
}

// A CAA correction on the area page links to the event it corrects, whose
// page links back to the correction.
func TestBrowserCorrectionLinkedBothWays(t *testing.T) {
	ctx := newChrome(t, 90*time.Second)
	s := newSite(t)
	do(t, ctx, "sign in on the way to Blackburn with Darwen's area page",
		chromedp.Navigate(s.srv.URL+"/areas/00EX"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), tokScrutiny),
		chromedp.Click(chromedp.ID("signin-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#caa-h ~ table.corrections a.corrects`)),
	)
	row := text(t, ctx, chromedp.CSS(`#caa-h ~ table.corrections tbody tr`))
	if !strings.Contains(row, "corrects") || !strings.Contains(row, "typing error in the published rationale") {
		t.Fatalf("correction row on the area page: %q", row)
	}
	do(t, ctx, "follow the link to the corrected event",
		chromedp.Click(chromedp.CSS(`#caa-h ~ table.corrections tbody tr th a:not(.corrects)`)),
		chromedp.WaitVisible(chromedp.CSS(`.corrected-by-note a.corrected-by`)),
	)
	note := text(t, ctx, chromedp.CSS(`.corrected-by-note`))
	if !strings.Contains(note, "corrected by") || !strings.Contains(note, "typing error in the published rationale") {
		t.Fatalf("corrected event's note: %q", note)
	}
	do(t, ctx, "follow the link back to the correction",
		chromedp.Click(chromedp.CSS(`.corrected-by-note a.corrected-by`)),
		chromedp.WaitVisible(chromedp.ID("event-corrects")),
	)
	if got := text(t, ctx, chromedp.ID("event-corrects")); !strings.Contains(got, "This correction corrects") {
		t.Fatalf("correction's event page: %q", got)
	}
}
