package app

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"borderflow/models"
)

// findChromium returns the browser the end-to-end tests drive. Without one
// they skip loudly, except under CI=true, where they fail.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "browser tests NOT RUN: no chromium on PATH (apt-get install chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true requires them")
	}
	t.Skip("!!! " + msg + " !!!")
	return ""
}

// browser starts a headless Chromium for one test.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(findChromium(t)), chromedp.Headless, chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// screenshotDir is where the browser tests leave their screenshots:
// BORDERFLOW_SCREENSHOT_DIR when set (to look at them), else the test's temp dir.
func screenshotDir(t *testing.T) string {
	if dir := os.Getenv("BORDERFLOW_SCREENSHOT_DIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// saveScreenshot writes a full-page PNG (quality 100 means PNG, lower JPEG).
func saveScreenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(png) < 1000 {
		t.Errorf("screenshot %s is only %d bytes", name, len(png))
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// cardStatus is what a person reads on a card: the crossing and its status word.
type cardStatus struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

// TestTraderReadsBoardOnPhoneAndDesktop opens the board with demo data in a
// real headless Chromium at 360 px and at 1280 px, reads each crossing's
// status, checks nothing scrolls sideways and the links are easy to tap,
// and follows a card to its crossing page.
func TestTraderReadsBoardOnPhoneAndDesktop(t *testing.T) {
	ctx := browser(t)
	a := newSQLiteApp(t)
	now := time.Now()
	if _, err := models.LoadDemo(context.Background(), a.DB(), models.DemoOptions{
		Days: 180, End: models.DateOf(now, a.cfg.TimeZone).AddDays(-1), Now: now, Seed: 1,
	}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	dir := screenshotDir(t)

	for _, width := range []int64{360, 1280} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800), chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(".card")); err != nil {
			t.Fatalf("open the board at %d px: %v", width, err)
		}
		cards, err := chromedp.Run(ctx, chromedp.Evaluate[[]cardStatus](`[...document.querySelectorAll('.card')].map(c => ({
			name: c.querySelector('h2 a').innerText.trim(), status: c.querySelector('.status').innerText.trim()}))`))
		if err != nil {
			t.Fatal(err)
		}
		// The demo data has Torkham open and Chaman closed by a protest since yesterday.
		want := []cardStatus{{"Torkham", "OPEN"}, {"Chaman", "CLOSED"}}
		if len(cards) != 2 || cards[0] != want[0] || cards[1] != want[1] {
			t.Errorf("at %d px the board reads %+v, want %+v", width, cards, want)
		}
		overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err != nil || overflow {
			t.Errorf("at %d px the page scrolls sideways (%v)", width, err)
		}
		smallest, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`Math.min(...[...document.querySelectorAll('.more a')].map(a => a.getBoundingClientRect().height))`))
		if err != nil || smallest < 40 {
			t.Errorf("at %d px the card links are %.0f px tall, want at least 40 to tap (%v)", width, smallest, err)
		}
		saveScreenshot(t, ctx, dir, fmt.Sprintf("board-%d.png", width))
	}

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 800), chromedp.Navigate(srv.URL+"/"),
		chromedp.Click("#crossing-torkham .more a"), chromedp.WaitVisible(".crossing h1")); err != nil {
		t.Fatalf("follow the Torkham card: %v", err)
	}
	location, _ := chromedp.Run(ctx, chromedp.Location())
	heading, _ := chromedp.Run(ctx, chromedp.Text(".crossing h1"))
	if !strings.HasSuffix(location, "/crossings/torkham") || !strings.HasPrefix(heading, "Torkham") {
		t.Errorf("after the click: %s with heading %q", location, heading)
	}
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil || overflow {
		t.Errorf("the crossing page scrolls sideways at 360 px (%v)", err)
	}
	saveScreenshot(t, ctx, dir, "crossing-torkham-360.png")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(srv.URL+"/crossings/chaman")); err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, ctx, dir, "crossing-chaman-1280.png")
}
