package web_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestScreenshots saves a screenshot of each page to the directory named by
// LAALEDGER_SCREENSHOTS (docs/screenshots for the README), the first screen
// of each at 1280×1024:
//
//	LAALEDGER_SCREENSHOTS=$PWD/docs/screenshots go test -run Screenshots ./cmd/laaledger/internal/web/
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("LAALEDGER_SCREENSHOTS")
	if dir == "" {
		t.Skip("set LAALEDGER_SCREENSHOTS to a directory to save screenshots of the pages")
	}
	ctx := newChrome(t, 120*time.Second)
	s := newSite(t)
	do(t, ctx, "sign in",
		chromedp.Navigate(s.srv.URL+"/sign-in"),
		chromedp.WaitVisible(chromedp.ID("token")),
	)
	shot(t, ctx, dir, "signin.png")
	do(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.ID("token"), tokScrutiny),
		chromedp.Click(chromedp.ID("signin-submit")),
		chromedp.WaitVisible(chromedp.ID("records")),
	)
	for _, p := range []struct{ path, wait, file string }{
		{"/", "#records", "home.png"},
		{"/areas/00EB", "#agreement-status", "area.png"},
		{"/agreements/00EB/2008-11/targets/NI%20112", "#trajectory-chart", "target.png"},
		{"/agreements/00EB/2008-11/targets/NI%20112?known_at=2008-02-20", "#trajectory-chart", "target-as-of.png"},
		{"/indicators/154", "#indicator-targets", "indicator.png"},
		{"/events/6/0", "#hash-ok", "event.png"},
	} {
		do(t, ctx, p.path, chromedp.Navigate(s.srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
		shot(t, ctx, dir, p.file)
	}
}

func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
