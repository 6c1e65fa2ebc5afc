package app

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"borderflow/models"
)

// cellInput selects a grid input by its name.
func cellInput(name string) chromedp.CSS { return chromedp.CSS(`[name="` + name + `"]`) }

// browserSignIn signs in through the real sign-in page and waits for the staff home.
func browserSignIn(t *testing.T, ctx context.Context, base, user string) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Navigate(base+"/login"),
		chromedp.SetValue(chromedp.CSS("#username"), user), chromedp.SetValue(chromedp.CSS("#password"), testPassword),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS(".staff-crossings")))
	if err != nil {
		t.Fatalf("sign in as %s: %v", user, err)
	}
}

// TestOfficerEntersADayOnAPhoneAndAStaleSaveIsRefused drives the staff side
// in a real Chromium on a 360 px screen: an officer enters a day (a reload
// in the middle loses nothing), sees the board change, a second officer who
// opened the form earlier is refused and shown the first one's figures, and
// a supervisor verifies the day, which the public page then shows.
func TestOfficerEntersADayOnAPhoneAndAStaleSaveIsRefused(t *testing.T) {
	first := browser(t)
	a := newSQLiteApp(t)
	createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
	createAccount(t, a, "rahim", models.RoleOfficer, "torkham")
	createAccount(t, a, "amina", models.RoleSupervisor, "torkham")
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	dir := screenshotDir(t)
	today := entryDay(t, a, "torkham", 0)
	entryURL := srv.URL + entryPath("torkham", today)
	phone := chromedp.EmulateViewport(360, 800)
	if err := chromedp.Do(first, phone); err != nil {
		t.Fatal(err)
	}
	// The second officer has a browser of their own (own cookies and storage).
	second, cancel := chromedp.NewContext(first, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(second, phone); err != nil {
		t.Fatal(err)
	}

	// Rahim opens the form first and starts typing.
	browserSignIn(t, second, srv.URL, "rahim")
	if err := chromedp.Do(second, chromedp.Navigate(entryURL), chromedp.WaitVisible(chromedp.CSS("#entry-form")),
		chromedp.SendKeys(cellInput("to_afghanistan.cement.bilateral.trucks"), "95")); err != nil {
		t.Fatalf("rahim opens the form: %v", err)
	}

	// Gul Khan goes from the staff home to the form, types, and reloads by mistake.
	browserSignIn(t, first, srv.URL, "gul.khan")
	err := chromedp.Do(first, chromedp.Click(chromedp.CSS(`a[href="/staff/crossings/torkham/entry"]`)), chromedp.WaitVisible(chromedp.CSS("#entry-form")),
		chromedp.SendKeys(cellInput("to_afghanistan.cement.bilateral.trucks"), "90"),
		chromedp.SendKeys(cellInput("to_afghanistan.medicine.bilateral.trucks"), "12"),
		chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#draft-notice")))
	if err != nil {
		t.Fatalf("type and reload: %v", err)
	}
	restored, err := chromedp.Run(first, chromedp.Value(cellInput("to_afghanistan.cement.bilateral.trucks")))
	if err != nil || restored != "90" {
		t.Errorf("after a reload the cement box holds %q (%v), want the 90 typed", restored, err)
	}
	err = chromedp.Do(first, chromedp.SendKeys(cellInput("to_pakistan.coal.bilateral.trucks"), "140"),
		chromedp.SendKeys(cellInput("to_pakistan.empty.bilateral.trucks"), "80"))
	if err != nil {
		t.Fatal(err)
	}
	totals, err := chromedp.Run(first, chromedp.Evaluate[[]string](`[...document.querySelectorAll("output[data-total-for]")].map(o => o.textContent)`))
	if err != nil || strings.Join(totals, " ") != "102 140" {
		t.Errorf("live totals %q (%v), want 102 and 140 (the 80 empty trucks apart)", totals, err)
	}
	overflow, err := chromedp.Run(first, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil || overflow {
		t.Errorf("the entry form scrolls sideways at 360 px (%v)", err)
	}
	smallest, err := chromedp.Run(first, chromedp.Evaluate[float64](`Math.min(...[...document.querySelectorAll("#entry-form input:not([type=hidden])")].map(i => i.getBoundingClientRect().height))`))
	if err != nil || smallest < 40 {
		t.Errorf("inputs are %.0f px tall, want at least 40 to tap (%v)", smallest, err)
	}
	saveScreenshot(t, first, dir, "entry-typed-360.png")
	err = chromedp.Do(first, chromedp.Click(chromedp.CSS("button.save")), chromedp.WaitVisible(chromedp.CSS(".notice[role=status]")))
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	notice, _ := chromedp.Run(first, chromedp.Text(chromedp.CSS(".notice[role=status]")))
	draft, _ := chromedp.Run(first, chromedp.Evaluate[bool](`localStorage.getItem(document.getElementById("entry-form").dataset.draftKey) === null`))
	if !strings.Contains(notice, "The figures are saved") || !draft {
		t.Errorf("after saving: notice %q, draft cleared %v", notice, draft)
	}
	saveScreenshot(t, first, dir, "entry-saved-360.png")

	// The board changes at once.
	board, err := chromedp.Run(first, chromedp.Evaluate[[]string](`(async () => {
		const doc = new DOMParser().parseFromString(await (await fetch("/", {cache: "no-store"})).text(), "text/html");
		return [...doc.querySelectorAll("#crossing-torkham .counts tbody tr td:nth-child(2) b")].map(b => b.textContent);
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || strings.Join(board, " ") != "102 140 242" {
		t.Errorf("the board shows today %q (%v), want 102 to Afghanistan, 140 to Pakistan, 242 in all (no empty trucks)", board, err)
	}
	if err := chromedp.Do(first, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#crossing-torkham"))); err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, first, dir, "board-after-entry-360.png")

	// Rahim's form was based on the empty day: his save is refused, the
	// first officer's figures and name are shown, and nothing is overwritten.
	err = chromedp.Do(second, chromedp.Click(chromedp.CSS("button.save")), chromedp.WaitVisible(chromedp.CSS(".conflict")))
	if err != nil {
		t.Fatalf("stale save: %v", err)
	}
	conflict, _ := chromedp.Run(second, chromedp.Text(chromedp.CSS(".conflict")))
	beside, _ := chromedp.Run(second, chromedp.Text(chromedp.CSS(`[name="to_afghanistan.cement.bilateral.trucks"] ~ .theirs`)))
	if !strings.Contains(conflict, "gul.khan saved figures for this day") || !strings.Contains(conflict, "90 trucks") || beside != "gul.khan: 90" {
		t.Errorf("conflict %q, beside the input %q", conflict, beside)
	}
	if mine, _ := chromedp.Run(second, chromedp.Value(cellInput("to_afghanistan.cement.bilateral.trucks"))); mine != "95" {
		t.Errorf("rahim's own figure is gone from the form: %q", mine)
	}
	saveScreenshot(t, second, dir, "entry-conflict-360.png")
	_, rows, err := models.DayFigures(context.Background(), a.db, 1, today)
	if err != nil || len(rows) != 4 || rows[0].Trucks != 90 {
		t.Errorf("stored after the refused save: %+v, %v", rows, err)
	}

	// A supervisor verifies the day in the second browser.
	err = chromedp.Do(second, chromedp.Click(chromedp.CSS("nav.account button")), chromedp.WaitVisible(chromedp.CSS("#username")))
	if err != nil {
		t.Fatalf("sign out: %v", err)
	}
	browserSignIn(t, second, srv.URL, "amina")
	err = chromedp.Do(second, chromedp.Navigate(entryURL), chromedp.WaitVisible(chromedp.CSS(".verify-form")),
		chromedp.Click(chromedp.CSS(".verify-form button")), chromedp.WaitVisible(chromedp.CSS(".badge.verified")))
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if shown, _ := chromedp.Run(second, chromedp.Value(cellInput("to_afghanistan.cement.bilateral.trucks"))); shown != "90" {
		t.Errorf("the supervisor's form shows %q for cement, want the stored 90 (not rahim's unsaved 95 from this device)", shown)
	}
	state, _ := chromedp.Run(second, chromedp.Text(chromedp.CSS(".day-state")))
	if !strings.Contains(state, "verified") || !strings.Contains(state, "amina") {
		t.Errorf("after verifying: %q", state)
	}
	saveScreenshot(t, second, dir, "entry-verified-360.png")
	mark, err := chromedp.Run(second, chromedp.Evaluate[string](`(async () => {
		const doc = new DOMParser().parseFromString(await (await fetch("/crossings/torkham", {cache: "no-store"})).text(), "text/html");
		const row = [...doc.querySelectorAll("table.figures tbody tr")].find(r => r.querySelector("th").textContent === "`+a.translator.Locale("en").Date(today)+`");
		return row ? row.lastElementChild.textContent : "";
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || mark != "verified" {
		t.Errorf("the public crossing page marks the day %q (%v)", mark, err)
	}
}
