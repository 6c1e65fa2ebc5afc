package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"borderflow/models"
	"borderflow/models/testdb"
)

func TestSupervisorVerifiesAndAnEditNeedsAReason(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		amina := createAccount(t, a, "amina", models.RoleSupervisor, "torkham")
		officer := signIn(t, a, "gul.khan", testPassword)
		day := entryDay(t, a, "torkham", -1)
		verifyPath := "/staff/crossings/torkham/days/" + day.String() + "/verify"
		if rec := postEntry(officer, "torkham", day, 0, typicalDay); rec.Code != http.StatusSeeOther {
			t.Fatal(rec.Code)
		}
		doc := page(t, officer.get(entryPath("torkham", day)))
		if doc.Find(".verify-form").Length() != 0 {
			t.Error("an officer is offered to verify")
		}
		if rec := officer.post(verifyPath, url.Values{"version": {"1"}}); rec.Code != http.StatusForbidden {
			t.Errorf("officer verifies: %d, want 403", rec.Code)
		}
		supervisor := signIn(t, a, "amina", testPassword)
		doc = page(t, supervisor.get(entryPath("torkham", day)))
		if v, _ := doc.Find(`.verify-form [name=version]`).Attr("value"); v != "1" {
			t.Fatalf("the verify form carries version %q", v)
		}
		// A version the supervisor did not see is not verified.
		rec := supervisor.post(verifyPath, url.Values{"version": {"2"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatal(rec.Code)
		}
		if got := page(t, supervisor.get(rec.Header().Get("Location"))).Find(".notice").Text(); !strings.Contains(got, "nothing was verified") {
			t.Errorf("stale verification: %q", got)
		}
		if rec := supervisor.post(verifyPath, url.Values{"version": {"1"}}); rec.Code != http.StatusSeeOther {
			t.Fatal(rec.Code)
		}
		doc = page(t, supervisor.get(entryPath("torkham", day)))
		if got := doc.Find(".day-state").Text(); !strings.Contains(got, "verified") || !strings.Contains(got, "by amina") {
			t.Errorf("after verifying: %q", got)
		}
		public := page(t, get(t, a, "/crossings/torkham"))
		var mark string
		public.Find("table.figures tbody tr").Each(func(_ int, s *goquery.Selection) {
			if s.Find("th").Text() == a.translator.Locale("en").Date(day) {
				mark = s.Find("td").Last().Text()
			}
		})
		if mark != "verified" {
			t.Errorf("the crossing page marks the day %q", mark)
		}

		// An edit of a verified day asks for a reason and makes it provisional.
		changed := map[string]string{"to_afghanistan.cement.bilateral.trucks": "92", "to_pakistan.coal.bilateral.trucks": "140"}
		doc = page(t, officer.get(entryPath("torkham", day)))
		if doc.Find("textarea[name=edit_reason]").Length() != 1 {
			t.Error("no reason field on a verified day")
		}
		rec = officer.post(entryPath("torkham", day), entryValues(day, 1, changed))
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(page(t, rec).Find("#edit_reason-error").Text(), "a reason is required") {
			t.Fatalf("edit without a reason: %d", rec.Code)
		}
		form := entryValues(day, 1, changed)
		form.Set("edit_reason", `<b>recount</b> at gate 2`)
		if rec := officer.post(entryPath("torkham", day), form); rec.Code != http.StatusSeeOther {
			t.Fatalf("edit with a reason: %d", rec.Code)
		}
		if got := page(t, officer.get(entryPath("torkham", day))).Find(".badge").Text(); got != "provisional" {
			t.Errorf("after the edit the day is %q", got)
		}

		// The day's history: who, when, from where, before and after.
		rec = officer.get("/staff/crossings/torkham/days/" + day.String() + "/history")
		if rec.Code != http.StatusOK {
			t.Fatal(rec.Code)
		}
		if !strings.Contains(rec.Body.String(), "&lt;b&gt;recount&lt;/b&gt; at gate 2") {
			t.Error("the reason is not shown escaped")
		}
		doc = page(t, rec)
		entries := doc.Find(".history-entry")
		if entries.Length() != 3 {
			t.Fatalf("%d history entries, want 3 (save, verify, change)", entries.Length())
		}
		latest := entries.First()
		if h := latest.Find("h2").Text(); h != "Changed · version 2" || !strings.Contains(latest.Find(".who").Text(), "gul.khan") ||
			!strings.Contains(latest.Text(), "192.0.2.10") {
			t.Errorf("latest entry: %q", latest.Text())
		}
		var rows []string
		latest.Find("tbody tr").Each(func(_ int, s *goquery.Selection) { rows = append(rows, strings.Join(texts(s.Children()), " | ")) })
		want := []string{"Cement and building materials | To Afghanistan | 90 trucks, 3600 t, US$ 225000 | 92 trucks",
			"Medicines and medical supplies | To Afghanistan | 12 trucks | –", "Empty trucks returning | To Pakistan | 80 trucks | –"}
		if strings.Join(rows, "\n") != strings.Join(want, "\n") {
			t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
		}
		if got := entries.Eq(1).Find("h2").Text(); got != "Verified · version 1" || !strings.Contains(entries.Eq(1).Text(), "amina") {
			t.Errorf("verification entry: %q", entries.Eq(1).Text())
		}
		audits := auditOf(t, a, "crossing_day", "torkham/"+day.String())
		checkAuditedBy(t, audits[1], "amina", amina.ID)
	})
}
