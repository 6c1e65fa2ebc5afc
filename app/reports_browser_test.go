package app

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// downloadedFile is what the browser got for one download link.
type downloadedFile struct {
	Format string `json:"format"`
	Status int    `json:"status"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
	Shown  string `json:"shown"`
}

// TestNGOFindsLastWeeksSummaryFromTheBoard follows, in a real Chromium,
// the board's link to the weekly reports, opens last week's summary and
// downloads each format of it, checking each file against the SHA-256
// the page shows.
func TestNGOFindsLastWeeksSummaryFromTheBoard(t *testing.T) {
	ctx := browser(t)
	a := newReportsApp(t, "sqlite:"+t.TempDir()+"/borderflow.db")
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/"),
		chromedp.Click("a.reports-link"), chromedp.WaitVisible("table.reports"),
		chromedp.Click("#week-2026-W47 a"), chromedp.WaitVisible("table.downloads")); err != nil {
		t.Fatalf("from the board to last week's summary: %v", err)
	}
	heading, _ := chromedp.Run(ctx, chromedp.Text("main h1"))
	if !strings.Contains(heading, "2026-W47") {
		t.Errorf("the summary page is headed %q", heading)
	}
	files, err := chromedp.Run(ctx, chromedp.Evaluate[[]downloadedFile](`Promise.all([...document.querySelectorAll('table.downloads tr:first-child a[data-format]')].map(async a => {
		const r = await fetch(a.href);
		const body = await r.arrayBuffer();
		const digest = await crypto.subtle.digest('SHA-256', body);
		return {format: a.dataset.format, status: r.status, type: r.headers.get('Content-Type'),
			name: r.headers.get('Content-Disposition'), size: body.byteLength,
			sha256: [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join(''),
			shown: a.parentElement.querySelector('.sha256').innerText.trim()};
	}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 {
		t.Fatalf("downloaded %d formats, want 4: %+v", len(files), files)
	}
	for _, f := range files {
		if f.Status != 200 || f.Size < 100 || f.SHA256 != f.Shown || !strings.Contains(f.Name, "borderflow-2026-W47-all-crossings-r1."+f.Format) ||
			f.Type != reportContentTypes[f.Format] {
			t.Errorf("%s: %+v", f.Format, f)
		}
	}
	saveScreenshot(t, ctx, screenshotDir(t), "report-week-1280.png")
}
