package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// tokenFormat is the contract of a token: bf_ and 52 base32 characters.
var tokenFormat = regexp.MustCompile(`^bf_[a-z2-7]{52}$`)

func TestAdminCreatesAndRevokesAPITokens(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		ctx := context.Background()
		root := createAccount(t, a, "root", models.RoleAdmin)
		createAccount(t, a, "counter", models.RoleOfficer, "torkham")
		admin := signIn(t, a, "root", testPassword)
		admin.get("/admin/tokens")
		name := `Torkham <b>counter</b>`
		rec := admin.post("/admin/tokens", url.Values{"user": {"counter"}, "name": {name}})
		if rec.Code != http.StatusCreated {
			t.Fatalf("create: %d %s", rec.Code, excerpt(rec.Body.String(), "field-error"))
		}
		doc := page(t, rec)
		token := doc.Find(".shown-once code.secret").Text()
		if !tokenFormat.MatchString(token) {
			t.Fatalf("shown token %q is not bf_ and 52 base32 characters", token)
		}
		if body := rec.Body.String(); strings.Contains(body, "<b>counter</b>") || !strings.Contains(body, "Torkham &lt;b&gt;counter&lt;/b&gt;") {
			t.Error("the token's name is not shown escaped")
		}
		if _, user, err := models.AuthenticateAPIToken(ctx, a.db, token, time.Now()); err != nil || user.Username != "counter" {
			t.Fatalf("the shown token does not authenticate as counter: %v %v", user.Username, err)
		}
		// Shown once: the list shows its first characters only.
		list := admin.get("/admin/tokens").Body.String()
		if strings.Contains(list, token) || !strings.Contains(list, token[:8]+"…") {
			t.Error("the list shows the whole token, or not its prefix")
		}
		var stored models.APIToken
		a.db.Take(&stored)
		if stored.Prefix != token[:8] || stored.TokenHash == token || len(stored.TokenHash) != 64 {
			t.Errorf("stored prefix %q, hash %q; want the first 8 characters and a SHA-256 in hex", stored.Prefix, stored.TokenHash)
		}

		rec = admin.post(fmt.Sprintf("/admin/tokens/%d/revoke", stored.ID), nil)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("revoke: %d", rec.Code)
		}
		if msg := page(t, admin.get("/admin/tokens")).Find(".notice").Text(); !strings.Contains(msg, "revoked") {
			t.Errorf("no confirmation of the revocation: %q", msg)
		}
		if _, _, err := models.AuthenticateAPIToken(ctx, a.db, token, time.Now()); err == nil {
			t.Error("a revoked token still authenticates")
		}

		entries := auditOf(t, a, "api_token", fmt.Sprint(stored.ID))
		if len(entries) != 2 || entries[0].Action != "create" || entries[1].Action != "revoke" {
			t.Fatalf("token audit = %+v", entries)
		}
		for _, e := range entries {
			checkAuditedBy(t, e, "root", root.ID)
			if strings.Contains(e.Before+e.After, token[8:]) || strings.Contains(e.Before+e.After, stored.TokenHash) {
				t.Error("the audit holds the token or its hash")
			}
		}
		if auditValues(t, entries[1].Before)["revoked_at"] != nil || auditValues(t, entries[1].After)["revoked_at"] == nil {
			t.Errorf("revoke audit: %s → %s", entries[1].Before, entries[1].After)
		}

		// Refusals name the field and create nothing.
		for message, form := range map[string]url.Values{
			"Choose an existing account": {"user": {"nobody"}},
			"at most 100 characters":     {"user": {"counter"}, "name": {strings.Repeat("n", 101)}},
		} {
			rec := admin.post("/admin/tokens", form)
			if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(page(t, rec).Find(".field-error").Text(), message) {
				t.Errorf("%v: %d, want 422 saying %q", form, rec.Code, message)
			}
		}
		var n int64
		a.db.Model(&models.APIToken{}).Count(&n)
		if n != 1 {
			t.Errorf("tokens stored = %d, want 1", n)
		}
	})
}
