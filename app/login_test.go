package app

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// storedSession finds the database row of a session cookie's token (the
// store keeps a hash of the token, never the token).
func storedSession(t *testing.T, a *App, token string) (models.Session, bool) {
	t.Helper()
	sum := sha256.Sum256([]byte(token))
	var rows []models.Session
	if err := a.db.Where("token = ?", base64.RawURLEncoding.EncodeToString(sum[:])).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		return models.Session{}, false
	}
	return rows[0], true
}

// loginAttempts counts the recorded attempts for a user name.
func loginAttempts(t *testing.T, a *App, username string, succeeded bool) int64 {
	t.Helper()
	var n int64
	if err := a.db.Model(&models.LoginAttempt{}).Where("username = ? AND succeeded = ?", username, succeeded).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignInGivesANewSessionTokenAndSafeCookies(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		b := newBrowser(t, a)
		if rec := b.get("/login"); rec.Code != http.StatusOK || b.sessionCookie() != nil {
			t.Fatalf("the sign-in page: %d, session cookie %v (none should exist before sign-in)", rec.Code, b.sessionCookie())
		}
		rec := b.post("/login", url.Values{"username": {"Gul.Khan "}, "password": {testPassword}, "next": {"/account/password"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/account/password" {
			t.Fatalf("sign-in: %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		cookie := b.sessionCookie()
		if cookie.Name != "bf_session" || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.Secure {
			t.Errorf("session cookie over plain HTTP = %+v; want bf_session, HttpOnly, SameSite=Lax, Path=/, not Secure", cookie)
		}
		csrf := b.cookies["bf_csrf"]
		if csrf == nil || !csrf.HttpOnly || csrf.SameSite != http.SameSiteLaxMode || csrf.Path != "/" {
			t.Errorf("CSRF cookie = %+v; want HttpOnly, SameSite=Lax, Path=/", csrf)
		}
		if rec := b.get("/staff"); rec.Code != http.StatusOK {
			t.Fatalf("/staff after sign-in = %d", rec.Code)
		}
		if loginAttempts(t, a, "gul.khan", true) != 1 {
			t.Error("the successful sign-in was not recorded")
		}

		// Signing in again, as after a token was planted on the browser,
		// gives a new token and the old one stops working (ASVS V3.2.1).
		old := cookie.Value
		b.get("/login")
		b.post("/login", url.Values{"username": {"gul.khan"}, "password": {testPassword}})
		if b.sessionCookie() == nil || b.sessionCookie().Value == old {
			t.Fatal("signing in kept the session token it was given")
		}
		if _, ok := storedSession(t, a, old); ok {
			t.Error("the token from before sign-in is still stored")
		}
		stale := newBrowser(t, a)
		stale.cookies["bf_session"] = &http.Cookie{Name: "bf_session", Value: old}
		redirectsToSignIn(t, stale.get("/staff"))
	})
}

func TestCookiesBehindTLSAreSecureWithHostPrefix(t *testing.T) {
	a := newSQLiteApp(t)
	a.cfg.BaseURL = "https://borderflow.example.org"
	a.sessions = newSessionManager(models.NewSessionStore(a.db), a.servedOverTLS())
	a.echo = a.routes()
	createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
	b := signIn(t, a, "gul.khan", testPassword)
	for _, name := range []string{"__Host-bf_session", "__Host-bf_csrf"} {
		c := b.cookies[name]
		if c == nil || !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %s = %+v; want Secure, HttpOnly, Path=/, no Domain, SameSite=Lax", name, c)
		}
	}
	if len(b.cookies) != 2 {
		t.Errorf("cookies = %v, want only the two prefixed ones", b.cookies)
	}
}

func TestWrongPasswordAndUnknownUserGetTheSameAnswer(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		answers := map[string]string{}
		for _, name := range []string{"gul.khan", "nobody"} {
			b := newBrowser(t, a)
			b.get("/login")
			rec := b.post("/login", url.Values{"username": {name}, "password": {"not the password 123"}})
			if rec.Code != http.StatusOK || b.sessionCookie() != nil {
				t.Errorf("%s: %d, session %v; want the form again without a session", name, rec.Code, b.sessionCookie())
			}
			doc := page(t, rec)
			answers[name] = doc.Find(".form-error").Text()
			if v, _ := doc.Find("#username").Attr("value"); v != name {
				t.Errorf("%s: the form lost the user name (%q)", name, v)
			}
			if v, _ := doc.Find("#password").Attr("value"); v != "" {
				t.Errorf("%s: the form sends the password back", name)
			}
			if loginAttempts(t, a, name, false) != 1 {
				t.Errorf("%s: the failed attempt was not recorded", name)
			}
		}
		if answers["gul.khan"] != "The user name or password is wrong." || answers["nobody"] != answers["gul.khan"] {
			t.Errorf("answers differ or are not the generic message: %q", answers)
		}
	})
}

func TestDisabledAccountCannotSignIn(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		u := createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		if _, err := models.SetUserDisabled(context.Background(), a.db, u.ID, true, models.Actor{Name: "test"}); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, a)
		b.get("/login")
		rec := b.post("/login", url.Values{"username": {"gul.khan"}, "password": {testPassword}})
		if rec.Code != http.StatusForbidden || b.sessionCookie() != nil {
			t.Errorf("disabled account: %d, session %v", rec.Code, b.sessionCookie())
		}
		if msg := page(t, rec).Find(".form-error").Text(); !strings.Contains(msg, "disabled") {
			t.Errorf("message %q does not say the account is disabled", msg)
		}
	})
}

func TestSignInThrottle(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
		a.now = func() time.Time { return now }
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		createAccount(t, a, "sana", models.RoleOfficer, "chaman")
		attempt := func(remote, name, password string) (*staffClient, int, string) {
			b := newBrowser(t, a)
			b.remote = remote
			b.get("/login")
			rec := b.post("/login", url.Values{"username": {name}, "password": {password}})
			return b, rec.Code, page(t, rec).Find(".form-error").Text()
		}

		t.Run("per account", func(t *testing.T) {
			// Five failures from five addresses, a minute apart.
			for i := range 5 {
				attempt("198.51.100."+string(rune('1'+i))+":1000", "gul.khan", "guess number one two")
				now = now.Add(time.Minute)
			}
			b, code, msg := attempt("203.0.113.7:1000", "gul.khan", testPassword)
			if code != http.StatusTooManyRequests || b.sessionCookie() != nil {
				t.Fatalf("the right password while throttled: %d, session %v", code, b.sessionCookie())
			}
			// The refused attempt is stored as a failure: the five latest now
			// start with the second, 4 minutes ago, which leaves in 11.
			if !strings.Contains(msg, "wait 11 minutes") {
				t.Errorf("message %q does not say how long to wait", msg)
			}
			if n := loginAttempts(t, a, "gul.khan", false); n != 6 {
				t.Errorf("failures recorded = %d, want 6 (5 checked, 1 refused)", n)
			}
			var refused int64
			a.db.Model(&models.LoginAttempt{}).Where("username = ? AND throttled = ? AND ip = ?", "gul.khan", true, "203.0.113.7").Count(&refused)
			if refused != 1 {
				t.Errorf("throttled attempts stored = %d, want 1, with its address", refused)
			}
			// Another account from the same address is not affected.
			if _, code, _ := attempt("203.0.113.7:1000", "sana", testPassword); code != http.StatusSeeOther {
				t.Errorf("another account while gul.khan is throttled: %d", code)
			}
			now = now.Add(10 * time.Minute)
			if _, code, _ := attempt("203.0.113.7:1000", "gul.khan", testPassword); code != http.StatusTooManyRequests {
				t.Errorf("10 minutes on, before the wait named: %d", code)
			}
			now = now.Add(12 * time.Minute)
			if b, code, msg := attempt("203.0.113.7:1000", "gul.khan", testPassword); code != http.StatusSeeOther || b.sessionCookie() == nil {
				t.Errorf("after the wait: %d %q", code, msg)
			}
		})

		t.Run("guessing on while throttled keeps the throttle on", func(t *testing.T) {
			now = now.Add(time.Hour)
			for range 5 {
				attempt("198.51.100.50:1000", "sana", "guess number one two")
			}
			// A guess a minute for half an hour: without the refused
			// attempts counted, one of them would have been checked.
			for range 30 {
				now = now.Add(time.Minute)
				if _, code, _ := attempt("198.51.100.50:1000", "sana", testPassword); code != http.StatusTooManyRequests {
					t.Fatalf("a guess while throttled was checked: %d", code)
				}
			}
			if n := loginAttempts(t, a, "sana", false); n != 35 {
				t.Errorf("failures of sana recorded = %d, want 35", n)
			}
		})

		t.Run("per address", func(t *testing.T) {
			now = now.Add(time.Hour)
			for i := range 5 {
				attempt("192.0.2.200:1000", "guess"+string(rune('a'+i)), "guess number one two")
			}
			_, code, msg := attempt("192.0.2.200:1000", "sana", testPassword)
			if code != http.StatusTooManyRequests || !strings.Contains(msg, "wait 15 minutes") {
				t.Errorf("the right password from a throttled address: %d %q", code, msg)
			}
			if _, code, _ := attempt("192.0.2.201:1000", "sana", testPassword); code != http.StatusSeeOther {
				t.Errorf("the same account from another address: %d", code)
			}
		})
	})
}

func TestSignOutEndsTheSessionOnTheServer(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		b := signIn(t, a, "gul.khan", testPassword)
		b.get("/staff")
		token := b.sessionCookie().Value
		if _, ok := storedSession(t, a, token); !ok {
			t.Fatal("the session is not stored")
		}
		rec := b.post("/logout", nil)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login?out=1" {
			t.Errorf("sign-out: %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		if b.sessionCookie() != nil {
			t.Error("the session cookie was not cleared")
		}
		if _, ok := storedSession(t, a, token); ok {
			t.Error("the session is still stored after sign-out")
		}
		// A copy of the old cookie is worthless.
		copyHolder := newBrowser(t, a)
		copyHolder.cookies["bf_session"] = &http.Cookie{Name: "bf_session", Value: token}
		redirectsToSignIn(t, copyHolder.get("/staff"))
		if msg := page(t, b.get("/login?out=1")).Find(".notice").Text(); msg != "You are signed out." {
			t.Errorf("notice after sign-out = %q", msg)
		}
	})
}

func TestSessionTimeouts(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		if a.sessions.IdleTimeout != 12*time.Hour || a.sessions.Lifetime != 7*24*time.Hour {
			t.Errorf("idle timeout %v, lifetime %v; want 12h and 7 days", a.sessions.IdleTimeout, a.sessions.Lifetime)
		}
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		b := signIn(t, a, "gul.khan", testPassword)
		signedIn := time.Now()
		row, ok := storedSession(t, a, b.sessionCookie().Value)
		if !ok {
			t.Fatal("no stored session")
		}
		if d := row.Expiry.Sub(signedIn); d < 12*time.Hour-time.Minute || d > 12*time.Hour+time.Minute {
			t.Errorf("stored expiry is %v after sign-in, want the 12 h idle timeout", d)
		}
		deadline, _, err := a.sessions.Codec.Decode(row.Data)
		if err != nil {
			t.Fatal(err)
		}
		if d := deadline.Sub(signedIn); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour+time.Minute {
			t.Errorf("absolute deadline is %v after sign-in, want 7 days", d)
		}
		// Twelve idle hours later the stored session has expired: it is
		// treated as absent, and the user signs in again.
		if err := a.db.Model(&models.Session{}).Where("token = ?", row.Token).Update("expiry", time.Now().Add(-time.Second)).Error; err != nil {
			t.Fatal(err)
		}
		redirectsToSignIn(t, b.get("/staff"))
	})
}

func TestDisablingAnAccountEndsItsSessions(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "root", models.RoleAdmin)
		officer := createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		phone, desk := signIn(t, a, "gul.khan", testPassword), signIn(t, a, "gul.khan", testPassword)
		admin := signIn(t, a, "root", testPassword)
		admin.get(userEditPath(officer.ID))
		if rec := admin.post(userEditPath(officer.ID)+"/disable", nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("disable: %d", rec.Code)
		}
		for name, b := range map[string]*staffClient{"phone": phone, "desk": desk} {
			rec := b.get("/staff")
			redirectsToSignIn(t, rec)
			if loc := rec.Header().Get("Location"); !strings.Contains(loc, "ended=1") {
				t.Errorf("%s: redirect %q does not say the session ended", name, loc)
			}
			if msg := page(t, b.get(rec.Header().Get("Location"))).Find(".notice").Text(); !strings.Contains(msg, "Your session has ended") {
				t.Errorf("%s: sign-in page notice %q", name, msg)
			}
		}
	})
}

func TestSignInNextStaysOnThisSite(t *testing.T) {
	cases := map[string]string{
		"":             "/staff",
		"/admin/users": "/admin/users",
		"/staff/crossings/torkham/entry?date=2026-11-27": "/staff/crossings/torkham/entry?date=2026-11-27",
		"//evil.example":               "/staff",
		"//evil.example/staff":         "/staff",
		"https://evil.example":         "/staff",
		"http:evil.example":            "/staff",
		"/\\evil.example":              "/staff",
		"\\\\evil.example":             "/staff",
		"/\t/evil.example":             "/staff",
		"javascript:alert(1)":          "/staff",
		"evil.example":                 "/staff",
		"/%0d%0aSet-Cookie:x=1":        "/%0d%0aSet-Cookie:x=1",
		"/ok\r\nLocation: http://evil": "/staff",
	}
	for next, want := range cases {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
	// Through the real sign-in, as a link would send it.
	a := newSQLiteApp(t)
	createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
	for _, next := range []string{"//evil.example", "https://evil.example", "/\\evil.example"} {
		b := newBrowser(t, a)
		doc := page(t, b.get("/login?next="+url.QueryEscape(next)))
		if v, _ := doc.Find(`input[name="next"]`).Attr("value"); v != "/staff" {
			t.Errorf("the form carries next=%q for %q", v, next)
		}
		rec := b.post("/login", url.Values{"username": {"gul.khan"}, "password": {testPassword}, "next": {next}})
		if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || loc != "/staff" {
			t.Errorf("next=%q: %d to %q, want /staff", next, rec.Code, loc)
		}
	}
}
