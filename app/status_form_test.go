package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// localTime writes an instant as a datetime-local input at Torkham sends it.
func localTime(t time.Time) string {
	loc, _ := time.LoadLocation("Asia/Karachi")
	return t.In(loc).Format("2006-01-02T15:04")
}

func TestOfficerClosesACrossingAndTheBoardAndFeedShowItAtOnce(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		officer := createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		b := signIn(t, a, "gul.khan", testPassword)
		get(t, a, "/") // the board is rendered and cached before the change
		doc := page(t, b.get("/staff/crossings/torkham/status"))
		if doc.Find(`input[type=radio][name=state]`).Length() != 3 || doc.Find(`select[name=reason] option`).Length() != 9 ||
			doc.Find(`input[type=datetime-local][name=effective_at]`).Length() != 1 {
			t.Fatal("the status form lacks its fields")
		}
		note := `<script>alert("x")</script> firing near the gate`
		rec := b.post("/staff/crossings/torkham/status", url.Values{"state": {"closed"}, "reason": {"security"}, "note": {note}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/staff/crossings/torkham/status" {
			t.Fatalf("record: %d %s", rec.Code, excerpt(rec.Body.String(), "problems"))
		}
		doc = page(t, b.get("/staff/crossings/torkham/status"))
		if got := doc.Find(".notice").Text(); !strings.Contains(got, "The status is recorded") {
			t.Errorf("notice %q", got)
		}
		board := get(t, a, "/")
		if strings.Contains(board.Body.String(), "<script>alert") || !strings.Contains(board.Body.String(), "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; firing near the gate") {
			t.Error("the note is not shown escaped on the board")
		}
		card := page(t, board).Find("#crossing-torkham")
		if got := card.Find(".state-word").Text(); got != "Closed" || !strings.Contains(card.Find(".reason").Text(), "security incident") {
			t.Errorf("the board shows %q (%q)", got, card.Find(".reason").Text())
		}
		feed := get(t, a, "/crossings/torkham/feed.atom")
		if !strings.Contains(feed.Body.String(), "Torkham: Closed") {
			t.Errorf("the feed lacks the change: %s", excerpt(feed.Body.String(), "<entry"))
		}
		var stored models.StatusChange
		a.db.Take(&stored)
		if stored.Note != note || stored.RecordedBy == nil || *stored.RecordedBy != officer.ID || stored.Source != "form" {
			t.Errorf("stored %+v", stored)
		}
		audits := auditOf(t, a, "status_change", "1")
		if len(audits) != 1 {
			t.Fatalf("audits %+v", audits)
		}
		checkAuditedBy(t, audits[0], "gul.khan", officer.ID)
		if after := auditValues(t, audits[0].After); after["note"] != note || after["state"] != "closed" {
			t.Errorf("audit after %v", after)
		}
	})
}

func TestStatusFormRefusesBadInputKeepingWhatWasTyped(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		b := signIn(t, a, "gul.khan", testPassword)
		now := a.now()
		cases := []struct {
			name string
			form url.Values
			want []string
		}{
			{"closed without a reason", url.Values{"state": {"closed"}}, []string{"Reason: a reason is required."}},
			{"restricted without scope", url.Values{"state": {"restricted"}, "reason": {"protest"}},
				[]string{"What the restriction lets through: a restriction needs its scope"}},
			{"open with a scope", url.Values{"state": {"open"}, "scope": {"reduced_hours"}}, []string{"only a restriction has a scope"}},
			{"no state", url.Values{"note": {"x"}}, []string{"Status: choose open, closed or restricted."}},
			{"unknown reason", url.Values{"state": {"closed"}, "reason": {"boredom"}}, []string{"“boredom” is not one of the choices"}},
			{"in the future", url.Values{"state": {"open"}, "effective_at": {localTime(now.Add(time.Hour))}}, []string{"In effect from is more than 5 minutes ahead of now."}},
			{"eight days back", url.Values{"state": {"open"}, "effective_at": {localTime(now.AddDate(0, 0, -8))}},
				[]string{"In effect from is more than 7 days ago; only a supervisor may record an older change."}},
			{"not a time", url.Values{"state": {"closed"}, "effective_at": {"yesterday"}},
				[]string{"In effect from is not a date and time", "Reason: a reason is required."}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				b.get("/staff/crossings/torkham/status")
				rec := b.post("/staff/crossings/torkham/status", c.form)
				if rec.Code != http.StatusUnprocessableEntity {
					t.Fatalf("status %d, want 422", rec.Code)
				}
				doc := page(t, rec)
				problems := doc.Find(".problems li").Text()
				for _, w := range c.want {
					if !strings.Contains(problems, w) {
						t.Errorf("problems %q lack %q", problems, w)
					}
				}
				if v := c.form.Get("effective_at"); v != "" {
					if got, _ := doc.Find("#effective_at").Attr("value"); got != v {
						t.Errorf("effective time shows %q, want %q as typed", got, v)
					}
				}
				if s := c.form.Get("state"); s != "" && doc.Find(`input[name=state][value=`+s+`][checked]`).Length() != 1 {
					t.Errorf("the state typed is not kept")
				}
			})
		}
		var n int64
		a.db.Model(&models.StatusChange{}).Count(&n)
		if n != 0 {
			t.Errorf("%d status changes stored after refusals", n)
		}
	})
}

func TestOnlySupervisorsBackdateMoreThanAWeek(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		createAccount(t, a, "amina", models.RoleSupervisor, "torkham")
		old := a.now().AddDate(0, 0, -10).Truncate(time.Minute)
		form := url.Values{"state": {"closed"}, "reason": {"weather"}, "effective_at": {localTime(old)}}
		officer := signIn(t, a, "gul.khan", testPassword)
		officer.get("/staff/crossings/torkham/status")
		if rec := officer.post("/staff/crossings/torkham/status", form); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("officer back-dates 10 days: %d, want 422", rec.Code)
		}
		form.Del("_csrf")
		supervisor := signIn(t, a, "amina", testPassword)
		doc := page(t, supervisor.get("/staff/crossings/torkham/status"))
		if !strings.Contains(doc.Find("#status-form").Text(), "As a supervisor you may back-date further") {
			t.Error("the supervisor is not told of the wider back-dating")
		}
		if rec := supervisor.post("/staff/crossings/torkham/status", form); rec.Code != http.StatusSeeOther {
			t.Fatalf("supervisor back-dates 10 days: %d %s", rec.Code, excerpt(rec.Body.String(), "problems"))
		}
		var stored models.StatusChange
		a.db.Take(&stored)
		if !stored.EffectiveAt.Equal(old) {
			t.Errorf("stored effective %s, want %s", stored.EffectiveAt, old)
		}
		// The same change sent again records nothing new.
		form.Del("_csrf")
		supervisor.get("/staff/crossings/torkham/status")
		if rec := supervisor.post("/staff/crossings/torkham/status", form); rec.Code != http.StatusSeeOther {
			t.Errorf("resent: %d", rec.Code)
		}
		var n int64
		a.db.Model(&models.StatusChange{}).Count(&n)
		if n != 1 {
			t.Errorf("%d status changes after a resend, want 1", n)
		}
	})
}
