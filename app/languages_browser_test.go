package app

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"borderflow/models"
)

// pageLayout is what the browser reports about a page as a reader sees it.
type pageLayout struct {
	Lang       string   `json:"lang"`
	Dir        string   `json:"dir"`
	Sideways   bool     `json:"sideways"`
	Overlaps   []string `json:"overlaps"`
	FontLoaded bool     `json:"fontLoaded"`
	Western    []string `json:"western"`
	Missing    []string `json:"missing"`
}

// readLayout measures the page in the browser: whether it scrolls
// sideways; which pieces of text overlap others; whether the Arabic-script
// web font was loaded and used; which texts outside isolated Latin names
// and codes still carry Western digits; and any message the catalogs lack.
const readLayout = `(async () => {
	await document.fonts.ready;
	const visible = e => { const r = e.getBoundingClientRect(); return r.width > 2 && r.height > 2 && e.checkVisibility({visibilityProperty: true, opacityProperty: true}); };
	const ownText = e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== '');
	const boxes = [...document.querySelectorAll('body *')].filter(e => !e.closest('svg') && ownText(e) && visible(e));
	// Line by line: an inline element wrapping over two lines has a
	// bounding box that covers its neighbours, but not its line boxes.
	const lines = boxes.map(e => [...e.getClientRects()]);
	const overlaps = [];
	for (let i = 0; i < boxes.length; i++) {
		for (let j = i + 1; j < boxes.length; j++) {
			if (boxes[i].contains(boxes[j]) || boxes[j].contains(boxes[i])) continue;
			const hit = lines[i].some(a => lines[j].some(b => {
				const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
				return w > 3 && h > 3;
			}));
			if (hit) overlaps.push(boxes[i].textContent.trim().slice(0, 40) + ' / ' + boxes[j].textContent.trim().slice(0, 40));
		}
	}
	const western = [];
	const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
	for (let n; (n = walker.nextNode());) {
		if (/[0-9]/.test(n.textContent) && !n.parentElement.closest('bdi, code, .sha256, [lang="en"], script, style')) western.push(n.textContent.trim().slice(0, 60));
	}
	const arabic = [...document.fonts].find(f => f.family.includes('Noto Naskh Arabic'));
	return {
		lang: document.documentElement.lang, dir: document.documentElement.dir || 'ltr',
		sideways: document.documentElement.scrollWidth > window.innerWidth,
		overlaps, western,
		fontLoaded: !!arabic && arabic.status === 'loaded',
		missing: (document.body.innerText.match(/⟦[^⟧]*⟧/g) || []),
	};
})()`

// TestEveryLanguageReadsCleanlyOnAPhone opens, in a real Chromium at
// 360 px, the board, a crossing page, the entry form with a validation
// error and a weekly report in each of the four languages, chosen from
// the language menu as a reader would, and checks that each page is in
// that language and direction, does not scroll sideways, has no text over
// other text, uses the Arabic-script web font for Urdu, Pashto and Dari
// (never for English), and writes Pashto and Dari numbers in their digits.
// The screenshots are left in BORDERFLOW_SCREENSHOT_DIR to look at.
func TestEveryLanguageReadsCleanlyOnAPhone(t *testing.T) {
	ctx := browser(t)
	a := newReportsApp(t, "sqlite:"+t.TempDir()+"/borderflow.db")
	createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	dir := screenshotDir(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 800)); err != nil {
		t.Fatal(err)
	}
	browserSignIn(t, ctx, srv.URL, "gul.khan")
	entry := entryPath("torkham", entryDay(t, a, "torkham", -1))

	for _, lang := range []string{"en", "ur", "ps", "fa-AF"} {
		// The menu on every page sets the language for the whole visit.
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
			t.Fatal(err)
		}
		// RunResponse waits for the page the menu's form leads to.
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form.languages button[value="`+lang+`"]`)); err != nil {
			t.Fatalf("%s: choose the language from the menu: %v", lang, err)
		}
		pages := []struct{ name, path, ready string }{
			{"board", "/", ".card"},
			{"crossing", "/crossings/torkham", "figure.stacked"},
			{"report", "/reports/2026-W47", "table.summary"},
			{"entry-error", entry, "#entry-form"},
		}
		for _, p := range pages {
			actions := []chromedp.Action[chromedp.Void]{chromedp.Navigate(srv.URL + p.path), chromedp.WaitVisible(p.ready)}
			if p.name == "entry-error" {
				actions = append(actions, chromedp.SetValue(cellInput("to_afghanistan.cement.bilateral.trucks"), "12x"),
					chromedp.Submit(cellInput("to_afghanistan.cement.bilateral.trucks")), chromedp.WaitVisible(".problems"))
			}
			if err := chromedp.Do(ctx, actions...); err != nil {
				t.Fatalf("%s %s: %v", lang, p.name, err)
			}
			got, err := chromedp.Run(ctx, chromedp.Evaluate[pageLayout](readLayout, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("%s %s: %v", lang, p.name, err)
			}
			rtl := lang != "en"
			if want := map[bool]string{false: "ltr", true: "rtl"}[rtl]; got.Lang != lang || got.Dir != want {
				t.Errorf("%s %s: html lang=%q dir=%q, want %q %q", lang, p.name, got.Lang, got.Dir, lang, want)
			}
			if got.Sideways {
				t.Errorf("%s %s: the page scrolls sideways at 360 px", lang, p.name)
			}
			if len(got.Overlaps) > 0 {
				t.Errorf("%s %s: text over text: %q", lang, p.name, got.Overlaps)
			}
			if got.FontLoaded != rtl {
				t.Errorf("%s %s: Arabic-script font loaded = %v", lang, p.name, got.FontLoaded)
			}
			if (lang == "ps" || lang == "fa-AF") && len(got.Western) > 0 {
				t.Errorf("%s %s: Western digits in %q", lang, p.name, got.Western)
			}
			if len(got.Missing) > 0 {
				t.Errorf("%s %s: messages missing from the catalog: %q", lang, p.name, got.Missing)
			}
			saveScreenshot(t, ctx, dir, fmt.Sprintf("%s-%s-360.png", strings.ToLower(lang), p.name))
		}
	}
}
