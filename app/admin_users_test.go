package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"borderflow/models"
	"borderflow/models/testdb"
)

// auditOf returns the audit records of one entity, oldest first.
func auditOf(t *testing.T, a *App, entity, entityID string) []models.AuditEntry {
	t.Helper()
	var entries []models.AuditEntry
	if err := a.db.Where("entity = ? AND entity_id = ?", entity, entityID).Order("id").Find(&entries).Error; err != nil {
		t.Fatal(err)
	}
	return entries
}

// auditValues decodes an audit record's before or after JSON.
func auditValues(t *testing.T, s string) map[string]any {
	t.Helper()
	if s == "" {
		return nil
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("audit values %q: %v", s, err)
	}
	return v
}

// checkAuditedBy checks who and from where an audit record says.
func checkAuditedBy(t *testing.T, e models.AuditEntry, actor string, actorID int64) {
	t.Helper()
	if e.Actor != actor || e.UserID == nil || *e.UserID != actorID || e.IP != "192.0.2.10" || e.RequestID == "" {
		t.Errorf("audit %s %s: actor %q (id %v), ip %q, request %q; want %s from 192.0.2.10 with a request ID",
			e.Action, e.Entity, e.Actor, e.UserID, e.IP, e.RequestID, actor)
	}
}

func TestAdminCreatesAccountWithPasswordShownOnce(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		root := createAccount(t, a, "root", models.RoleAdmin)
		admin := signIn(t, a, "root", testPassword)
		admin.get("/admin/users")
		rec := admin.post("/admin/users", url.Values{"username": {"gul.khan"}, "role": {"officer"}, "crossing": {"torkham", "chaman"}})
		if rec.Code != http.StatusCreated {
			t.Fatalf("create: %d %s", rec.Code, excerpt(rec.Body.String(), "<main"))
		}
		doc := page(t, rec)
		password := doc.Find(".shown-once code.secret").Text()
		if len(password) < models.MinPasswordLength {
			t.Fatalf("no generated password shown: %q", doc.Find(".shown-once").Text())
		}
		if row := doc.Find("table.staff-table tr:contains('gul.khan')").Text(); !strings.Contains(row, "Officer") || !strings.Contains(row, "Torkham, Chaman") {
			t.Errorf("the list shows %q", row)
		}
		// Shown once: the list page never shows it again.
		if strings.Contains(admin.get("/admin/users").Body.String(), password) {
			t.Error("the password is shown again")
		}
		signIn(t, a, "gul.khan", password)

		user, err := models.UserByName(context.Background(), a.db, "gul.khan")
		if err != nil {
			t.Fatal(err)
		}
		entries := auditOf(t, a, "user", fmt.Sprint(user.ID))
		if len(entries) != 1 || entries[0].Action != "create" || entries[0].Before != "" {
			t.Fatalf("audit = %+v, want one creation", entries)
		}
		checkAuditedBy(t, entries[0], "root", root.ID)
		after := auditValues(t, entries[0].After)
		if after["role"] != "officer" || after["username"] != "gul.khan" || len(after["crossings"].([]any)) != 2 {
			t.Errorf("audit after = %v", after)
		}
		if strings.Contains(entries[0].After, password) || strings.Contains(entries[0].After, "argon2") {
			t.Error("the audit record holds the password or its hash")
		}

		// A password of the admin's choosing is checked by the rules and not shown.
		rec = admin.post("/admin/users", url.Values{"username": {"sana"}, "role": {"admin"}, "password": {testPassword}})
		if rec.Code != http.StatusCreated || page(t, rec).Find("code.secret").Length() != 0 {
			t.Errorf("create with a chosen password: %d, secret shown: %v", rec.Code, page(t, rec).Find("code.secret").Text())
		}
	})
}

func TestAccountFormRefusesBadInputAndKeepsWhatWasTyped(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "root", models.RoleAdmin)
		createAccount(t, a, "taken", models.RoleOfficer, "chaman")
		admin := signIn(t, a, "root", testPassword)
		admin.get("/admin/users")
		script := `<script>alert("x")</script>`
		cases := []struct {
			name  string
			form  url.Values
			field string
			want  string
		}{
			{"markup in the name", url.Values{"username": {script}, "role": {"admin"}}, "username", "lower-case letters"},
			{"name taken", url.Values{"username": {"taken"}, "role": {"admin"}}, "username", "already exists"},
			{"officer without crossing", url.Values{"username": {"new.one"}, "role": {"officer"}}, "crossings", "at least one crossing"},
			{"unknown role", url.Values{"username": {"new.one"}, "role": {"chief"}}, "role", "Choose officer"},
			{"unknown crossing", url.Values{"username": {"new.one"}, "role": {"officer"}, "crossing": {"wagah"}}, "crossings", "does not exist"},
			{"short password", url.Values{"username": {"new.one"}, "role": {"admin"}, "password": {"short"}}, "password", "at least 12"},
			{"common password", url.Values{"username": {"new.one"}, "role": {"admin"}, "password": {"Password2024!"}}, "password", "most common"},
			{"password with the name", url.Values{"username": {"new.one"}, "role": {"admin"}, "password": {"I am new.one at torkham"}}, "password", "user name"},
		}
		var before int64
		a.db.Model(&models.User{}).Count(&before)
		for _, c := range cases {
			rec := admin.post("/admin/users", c.form)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d, want 422", c.name, rec.Code)
				continue
			}
			doc := page(t, rec)
			if msg := doc.Find(".field-error").Text(); !strings.Contains(msg, c.want) {
				t.Errorf("%s: messages %q do not say %q", c.name, msg, c.want)
			}
			if v, _ := doc.Find("#username").Attr("value"); v != c.form.Get("username") {
				t.Errorf("%s: the form lost the user name: %q", c.name, v)
			}
		}
		var after int64
		a.db.Model(&models.User{}).Count(&after)
		if after != before {
			t.Errorf("refused forms created %d accounts", after-before)
		}
		// The markup comes back as text, escaped.
		body := admin.post("/admin/users", url.Values{"username": {script}, "role": {"admin"}}).Body.String()
		if strings.Contains(body, script) || !strings.Contains(body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`) {
			t.Errorf("the typed markup is not escaped: %s", excerpt(body, "alert"))
		}
	})
}

func TestAdminChangesRoleAndCrossingsWithAudit(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		root := createAccount(t, a, "root", models.RoleAdmin)
		officer := createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		admin := signIn(t, a, "root", testPassword)
		doc := page(t, admin.get(userEditPath(officer.ID)))
		if doc.Find(`input[value="torkham"][checked]`).Length() != 1 || doc.Find(`input[value="chaman"][checked]`).Length() != 0 {
			t.Error("the edit page does not show the stored crossings")
		}
		rec := admin.post(userEditPath(officer.ID), url.Values{"role": {"supervisor"}, "crossing": {"chaman"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("update: %d %s", rec.Code, excerpt(rec.Body.String(), "field-error"))
		}
		if msg := page(t, admin.get(rec.Header().Get("Location"))).Find(".notice").Text(); !strings.Contains(msg, "saved") {
			t.Errorf("no confirmation after saving: %q", msg)
		}
		stored, _ := models.UserByID(context.Background(), a.db, officer.ID)
		if stored.Role != models.RoleSupervisor || len(stored.Crossings) != 1 || stored.Crossings[0].Slug != "chaman" {
			t.Errorf("stored = %s %v", stored.Role, stored.Crossings)
		}
		entries := auditOf(t, a, "user", fmt.Sprint(officer.ID))
		last := entries[len(entries)-1]
		checkAuditedBy(t, last, "root", root.ID)
		before, after := auditValues(t, last.Before), auditValues(t, last.After)
		if last.Action != "update" || before["role"] != "officer" || after["role"] != "supervisor" ||
			before["crossings"].([]any)[0] != "torkham" || after["crossings"].([]any)[0] != "chaman" {
			t.Errorf("audit %s: before %v, after %v", last.Action, before, after)
		}
		// The new rights hold at once: the supervisor may now edit Chaman only.
		sup := signIn(t, a, "gul.khan", testPassword)
		if rec := sup.get("/staff"); !strings.Contains(rec.Body.String(), "/staff/crossings/chaman/entry") ||
			strings.Contains(rec.Body.String(), "/staff/crossings/torkham/entry") {
			t.Error("the staff home does not follow the new crossings")
		}
	})
}

func TestAdminDisablesAndEnablesAnAccount(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		root := createAccount(t, a, "root", models.RoleAdmin)
		officer := createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		admin := signIn(t, a, "root", testPassword)
		admin.get(userEditPath(officer.ID))
		admin.post(userEditPath(officer.ID)+"/disable", nil)
		admin.get(userEditPath(officer.ID))
		if rec := admin.post(userEditPath(officer.ID)+"/enable", nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("enable: %d", rec.Code)
		}
		signIn(t, a, "gul.khan", testPassword)
		entries := auditOf(t, a, "user", fmt.Sprint(officer.ID))
		if len(entries) != 3 || entries[1].Action != "disable" || entries[2].Action != "enable" {
			t.Fatalf("audit actions = %v", entries)
		}
		for _, e := range entries[1:] {
			checkAuditedBy(t, e, "root", root.ID)
		}
		d := entries[1]
		if auditValues(t, d.Before)["disabled"] != false || auditValues(t, d.After)["disabled"] != true ||
			auditValues(t, d.After)["session_generation"].(float64) != auditValues(t, d.Before)["session_generation"].(float64)+1 {
			t.Errorf("disable audit: before %s, after %s", d.Before, d.After)
		}

		// An admin cannot lock themselves out.
		rec := admin.post(userEditPath(root.ID)+"/disable", nil)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(page(t, rec).Find(".field-error").Text(), "your own account") {
			t.Errorf("disabling oneself: %d", rec.Code)
		}
		if stored, _ := models.UserByID(context.Background(), a.db, root.ID); stored.Disabled {
			t.Error("the admin disabled their own account")
		}
	})
}

func TestAdminPasswordResetEndsTheUsersSessions(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		root := createAccount(t, a, "root", models.RoleAdmin)
		officer := createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		session := signIn(t, a, "gul.khan", testPassword)
		admin := signIn(t, a, "root", testPassword)
		admin.get(userEditPath(officer.ID))
		rec := admin.post(userEditPath(officer.ID)+"/password", nil)
		password := page(t, rec).Find(".shown-once code.secret").Text()
		if rec.Code != http.StatusOK || len(password) < models.MinPasswordLength {
			t.Fatalf("reset: %d, password %q", rec.Code, password)
		}
		redirectsToSignIn(t, session.get("/staff"))
		b := newBrowser(t, a)
		b.get("/login")
		if rec := b.post("/login", url.Values{"username": {"gul.khan"}, "password": {testPassword}}); rec.Code != http.StatusOK {
			t.Errorf("the old password still works: %d", rec.Code)
		}
		signIn(t, a, "gul.khan", password)
		if rec := admin.get("/admin/users"); rec.Code != http.StatusOK {
			t.Errorf("the admin's own session ended: %d", rec.Code)
		}
		entries := auditOf(t, a, "user", fmt.Sprint(officer.ID))
		last := entries[len(entries)-1]
		checkAuditedBy(t, last, "root", root.ID)
		if last.Action != "reset_password" || auditValues(t, last.After)["password_changed_at"] == nil ||
			strings.Contains(last.After, password) || strings.Contains(last.Before+last.After, "argon2") {
			t.Errorf("reset audit: %s before %s after %s", last.Action, last.Before, last.After)
		}
	})
}

func TestChangingOwnPassword(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		officer := createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		other := signIn(t, a, "gul.khan", testPassword)
		b := signIn(t, a, "gul.khan", testPassword)
		b.get("/account/password")
		newPassword := "violet harbour signal 7"
		refusals := []struct {
			name                  string
			current, next, repeat string
			field, want           string
		}{
			{"too short", testPassword, "short pw", "short pw", "new", "at least 12"},
			{"common", testPassword, "qwertyuiop123", "qwertyuiop123", "new", "most common"},
			{"contains the user name", testPassword, "gul.khan forever 2026", "gul.khan forever 2026", "new", "user name"},
			{"repeated character", testPassword, "aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa", "new", "repeated"},
			{"confirmation differs", testPassword, newPassword, newPassword + "!", "confirm", "differ"},
			{"wrong current password", "not my password 1", newPassword, newPassword, "current", "current password is wrong"},
		}
		for _, r := range refusals {
			rec := b.post("/account/password", url.Values{"current": {r.current}, "new": {r.next}, "confirm": {r.repeat}})
			if rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d, want 422", r.name, rec.Code)
				continue
			}
			if msg := page(t, rec).Find("#" + r.field + "-error").Text(); !strings.Contains(msg, r.want) {
				t.Errorf("%s: message at %s is %q", r.name, r.field, msg)
			}
		}
		if stored, _ := models.UserByID(context.Background(), a.db, officer.ID); stored.PasswordHash != officer.PasswordHash {
			t.Fatal("a refused change altered the password")
		}
		rec := b.post("/account/password", url.Values{"current": {testPassword}, "new": {newPassword}, "confirm": {newPassword}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("change: %d %s", rec.Code, excerpt(rec.Body.String(), "field-error"))
		}
		if msg := page(t, b.get("/staff")).Find(".notice").Text(); !strings.Contains(msg, "password has been changed") {
			t.Errorf("this session continues, with a confirmation: %q", msg)
		}
		redirectsToSignIn(t, other.get("/staff"))
		signIn(t, a, "gul.khan", newPassword)
		entries := auditOf(t, a, "user", fmt.Sprint(officer.ID))
		last := entries[len(entries)-1]
		checkAuditedBy(t, last, "gul.khan", officer.ID)
		if last.Action != "change_password" || auditValues(t, last.Before)["session_generation"] == auditValues(t, last.After)["session_generation"] {
			t.Errorf("change audit: %s %s → %s", last.Action, last.Before, last.After)
		}
	})
}
