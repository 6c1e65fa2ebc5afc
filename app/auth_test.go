package app

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"borderflow/models"
	"borderflow/models/testdb"
)

// testPassword is a password every account rule accepts.
const testPassword = "amber river lantern 42"

// staffClient is a test client that keeps cookies as a browser does and picks
// up the CSRF token of each page it loads, so that a test can fill in forms
// as a person would. It sends no Sec-Fetch-Site header, so the CSRF token
// itself is what is checked.
type staffClient struct {
	t       *testing.T
	a       *App
	remote  string
	cookies map[string]*http.Cookie
	csrf    string
}

func newBrowser(t *testing.T, a *App) *staffClient {
	return &staffClient{t: t, a: a, remote: "192.0.2.10:4321", cookies: map[string]*http.Cookie{}}
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// do sends req with the browser's cookies and keeps those the answer sets.
func (b *staffClient) do(req *http.Request) *httptest.ResponseRecorder {
	b.t.Helper()
	req.RemoteAddr = b.remote
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	rec := httptest.NewRecorder()
	b.a.Handler().ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	if m := csrfInput.FindStringSubmatch(rec.Body.String()); m != nil {
		b.csrf = html.UnescapeString(m[1])
	}
	return rec
}

func (b *staffClient) get(path string) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.do(httptest.NewRequest(http.MethodGet, path, nil))
}

// post submits form as a urlencoded form, with the CSRF token of the last
// page loaded unless form has its own _csrf.
func (b *staffClient) post(path string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("_csrf") {
		form.Set("_csrf", b.csrf)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// sessionCookie is the browser's session cookie, nil when it has none.
func (b *staffClient) sessionCookie() *http.Cookie { return b.cookies[b.a.sessions.Cookie.Name] }

// createAccount stores an account through the models, as `user add` does.
func createAccount(t testing.TB, a *App, name string, role models.Role, crossings ...string) models.User {
	t.Helper()
	u, err := models.CreateUser(context.Background(), a.db, models.NewUser{Username: name, Password: testPassword,
		Role: role, CrossingSlugs: crossings}, models.Actor{Name: "test"})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return u
}

// signIn opens the sign-in page and signs in, failing the test unless it works.
func signIn(t *testing.T, a *App, name, password string) *staffClient {
	t.Helper()
	b := newBrowser(t, a)
	b.get("/login")
	rec := b.post("/login", url.Values{"username": {name}, "password": {password}})
	if rec.Code != http.StatusSeeOther || b.sessionCookie() == nil {
		t.Fatalf("sign in as %s: status %d, cookies %v, body %s", name, rec.Code, b.cookies, excerpt(rec.Body.String(), "<main"))
	}
	return b
}

// redirectsToSignIn checks that rec sends the browser to the sign-in page.
func redirectsToSignIn(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?") {
		t.Errorf("got %d to %q, want a redirect to sign in", rec.Code, loc)
	}
}

// captureLog sends the App's log into a buffer, through the configured
// logger as a server would write it.
func captureLog(a *App) *syncBuffer {
	buf := &syncBuffer{}
	a.cfg.LogOutput = buf
	a.log = NewLogger(a.cfg)
	return buf
}

func TestStaffPagesSendStrangersToSignIn(t *testing.T) {
	a := newSQLiteApp(t)
	for _, path := range []string{"/staff", "/account/password", "/admin/users", "/admin/tokens", "/admin/users/1"} {
		rec := get(t, a, path)
		redirectsToSignIn(t, rec)
		if want := "/login?next=" + url.QueryEscape(path); rec.Header().Get("Location") != want {
			t.Errorf("%s redirects to %q, want %q", path, rec.Header().Get("Location"), want)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", path, cc)
		}
	}
}

func TestRolesAreEnforcedOnTheServer(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		logs := captureLog(a)
		createAccount(t, a, "root", models.RoleAdmin)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		createAccount(t, a, "sana", models.RoleSupervisor, "chaman")
		for _, name := range []string{"gul.khan", "sana"} {
			b := signIn(t, a, name, testPassword)
			for _, path := range []string{"/admin/users", "/admin/tokens", "/admin/users/1"} {
				rec := b.get(path)
				if rec.Code != http.StatusForbidden {
					t.Errorf("%s GET %s = %d, want 403", name, path, rec.Code)
					continue
				}
				if msg := page(t, rec).Find(".error-message").Text(); !strings.Contains(msg, "You do not have access") {
					t.Errorf("%s GET %s: message %q", name, path, msg)
				}
			}
			// Not even with a valid form: nothing is created.
			rec := b.post("/admin/users", url.Values{"username": {"intruder"}, "role": {"admin"}, "password": {testPassword}})
			if rec.Code != http.StatusForbidden {
				t.Errorf("%s POST /admin/users = %d, want 403", name, rec.Code)
			}
			if _, err := models.UserByName(context.Background(), a.db, "intruder"); err == nil {
				t.Errorf("%s created an account", name)
			}
			if rec := b.get("/staff"); rec.Code != http.StatusOK {
				t.Errorf("%s GET /staff = %d", name, rec.Code)
			}
		}
		if got := strings.Count(logs.String(), `msg="access denied" reason=role`); got != 8 {
			t.Errorf("logged %d access-control failures, want 8:\n%s", got, logs)
		}
		if !strings.Contains(logs.String(), "user=gul.khan role=officer method=GET path=/admin/users") {
			t.Errorf("the refusal log does not say who and what:\n%s", logs)
		}
		admin := signIn(t, a, "root", testPassword)
		for _, path := range []string{"/admin/users", "/admin/tokens"} {
			if rec := admin.get(path); rec.Code != http.StatusOK {
				t.Errorf("admin GET %s = %d", path, rec.Code)
			}
		}
	})
}

func TestMayEditCrossingOnlyForAssignedCrossings(t *testing.T) {
	a := &App{}
	torkham, chaman := models.Crossing{ID: 1, Slug: "torkham"}, models.Crossing{ID: 2, Slug: "chaman"}
	officer := &models.User{Role: models.RoleOfficer, Crossings: []models.Crossing{torkham}}
	supervisor := &models.User{Role: models.RoleSupervisor, Crossings: []models.Crossing{chaman}}
	admin := &models.User{Role: models.RoleAdmin}
	disabledAdmin := &models.User{Role: models.RoleAdmin, Disabled: true}
	cases := []struct {
		name     string
		user     *models.User
		crossing int64
		want     bool
	}{
		{"officer, own crossing", officer, 1, true},
		{"officer, other crossing", officer, 2, false},
		{"supervisor, own crossing", supervisor, 2, true},
		{"supervisor, other crossing", supervisor, 1, false},
		{"admin, any crossing", admin, 1, true},
		{"admin, a crossing added later", admin, 99, true},
		{"disabled admin", disabledAdmin, 1, false},
		{"nobody", nil, 1, false},
	}
	for _, c := range cases {
		if got := a.mayEditCrossing(c.user, c.crossing); got != c.want {
			t.Errorf("%s: mayEditCrossing = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestStaffHomeListsOwnCrossingsAndAdminLinks(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "root", models.RoleAdmin)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		doc := page(t, signIn(t, a, "gul.khan", testPassword).get("/staff"))
		var links []string
		doc.Find("main a").Each(func(_ int, s *goquery.Selection) { links = append(links, s.AttrOr("href", "")) })
		want := []string{"/staff/crossings/torkham/entry", "/staff/crossings/torkham/status"}
		if strings.Join(links, " ") != strings.Join(want, " ") {
			t.Errorf("officer's links = %v, want %v", links, want)
		}
		if nav := doc.Find("nav.account").Text(); !strings.Contains(nav, "gul.khan") || !strings.Contains(nav, "Sign out") {
			t.Errorf("the navigation does not show the signed-in user: %q", nav)
		}
		doc = page(t, signIn(t, a, "root", testPassword).get("/staff"))
		for _, href := range []string{"/staff/crossings/chaman/entry", "/admin/users", "/admin/tokens"} {
			if doc.Find(`main a[href="`+href+`"]`).Length() != 1 {
				t.Errorf("the admin's staff home lacks a link to %s", href)
			}
		}
	})
}

// TestPublicPagesNeverTouchTheSession sends a signed-in user's cookies to
// the public pages: they set no cookie, do not vary by cookie, and show
// the sign-in link rather than the user (they are cached for everybody).
func TestPublicPagesNeverTouchTheSession(t *testing.T) {
	a := newSQLiteApp(t)
	createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
	b := signIn(t, a, "gul.khan", testPassword)
	for _, path := range []string{"/", "/crossings/torkham", "/no/such/page"} {
		rec := b.get(path)
		if sc := rec.Header().Values("Set-Cookie"); len(sc) > 0 {
			t.Errorf("%s sets cookies %v", path, sc)
		}
		if strings.Contains(rec.Header().Get("Vary"), "Cookie") {
			t.Errorf("%s varies by cookie", path)
		}
		body := rec.Body.String()
		if rec.Header().Get("Content-Encoding") == "" && (strings.Contains(body, "gul.khan") || !strings.Contains(body, `href="/login"`)) {
			t.Errorf("%s shows the user, or no sign-in link", path)
		}
	}
}

func TestAPITokenMiddleware(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		ctx := context.Background()
		officer := createAccount(t, a, "counter", models.RoleOfficer, "torkham")
		a.echo.POST("/api/v1/test-write", func(c echo.Context) error {
			return c.String(http.StatusOK, "written by "+currentUser(c).Username)
		}, a.requireToken)
		send := func(authorization string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/test-write", strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			if authorization != "" {
				req.Header.Set("Authorization", authorization)
			}
			rec := httptest.NewRecorder()
			a.Handler().ServeHTTP(rec, req)
			return rec
		}
		unauthorized := func(name string, rec *httptest.ResponseRecorder) {
			t.Helper()
			var body apiError
			if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: %d, WWW-Authenticate %q; want 401 with a Bearer challenge", name, rec.Code, rec.Header().Get("WWW-Authenticate"))
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != "unauthorized" || body.Error.Message == "" {
				t.Errorf("%s: body %s is not the API's error shape", name, rec.Body)
			}
		}
		unauthorized("no token", send(""))
		unauthorized("basic auth", send("Basic Y291bnRlcjpwYXNz"))
		unauthorized("made-up token", send("Bearer bf_"+strings.Repeat("a", 52)))

		token, record, err := models.CreateAPIToken(ctx, a.db, "counter", "terminal", models.Actor{Name: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if rec := send("Bearer " + token); rec.Code != http.StatusOK || rec.Body.String() != "written by counter" {
			t.Fatalf("valid token: %d %q", rec.Code, rec.Body)
		}
		var stored models.APIToken
		a.db.First(&stored, record.ID)
		if stored.LastUsedAt == nil {
			t.Error("last_used_at not set after a use")
		}
		if _, err := models.SetUserDisabled(ctx, a.db, officer.ID, true, models.Actor{Name: "test"}); err != nil {
			t.Fatal(err)
		}
		unauthorized("token of a disabled account", send("Bearer "+token))
		if _, err := models.SetUserDisabled(ctx, a.db, officer.ID, false, models.Actor{Name: "test"}); err != nil {
			t.Fatal(err)
		}
		if rec := send("Bearer " + token); rec.Code != http.StatusOK {
			t.Errorf("re-enabled account's token: %d", rec.Code)
		}
		if err := models.RevokeAPIToken(ctx, a.db, record.ID, models.Actor{Name: "test"}, a.now()); err != nil {
			t.Fatal(err)
		}
		unauthorized("revoked token", send("Bearer "+token))
	})
}

// TestLogsNeverHoldPasswordsOrTokens goes through sign-in (right and wrong
// passwords, one typed into the user name field), a password change, a
// token's creation and use, and checks the log for every secret.
func TestLogsNeverHoldPasswordsOrTokens(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		logs := captureLog(a)
		createAccount(t, a, "root", models.RoleAdmin)
		wrong := "wrong horse battery 99"
		b := newBrowser(t, a)
		b.get("/login")
		b.post("/login", url.Values{"username": {"root"}, "password": {wrong}})
		b.post("/login", url.Values{"username": {wrong}, "password": {testPassword}})
		b = signIn(t, a, "root", testPassword)
		session := b.sessionCookie().Value
		b.get("/account/password")
		newPassword := "violet harbour signal 7"
		if rec := b.post("/account/password", url.Values{"current": {testPassword}, "new": {newPassword}, "confirm": {newPassword}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("password change: %d", rec.Code)
		}
		b.get("/admin/tokens")
		rec := b.post("/admin/tokens", url.Values{"user": {"root"}, "name": {"scanner"}})
		token := page(t, rec).Find("code.secret").Text()
		if !strings.HasPrefix(token, "bf_") {
			t.Fatalf("no token shown: %s", rec.Body)
		}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/write-probe", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		a.echo.POST("/api/v1/write-probe", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, a.requireToken)
		a.Handler().ServeHTTP(httptest.NewRecorder(), req)

		log := logs.String()
		for name, secret := range map[string]string{"password": testPassword, "wrong password": wrong,
			"new password": newPassword, "session token": session, "new session token": b.sessionCookie().Value,
			"API token": token, "API token body": token[3:]} {
			if strings.Contains(log, secret) {
				t.Errorf("the log holds the %s", name)
			}
		}
		for _, want := range []string{"outcome=bad_credentials user=root", `outcome=bad_credentials user="(not a valid user name)"`,
			"outcome=success user=root", "outcome=password_changed user=root", "outcome=token_accepted user=root"} {
			if !strings.Contains(log, want) {
				t.Errorf("the log lacks %q", want)
			}
		}
		if !regexp.MustCompile(`outcome=success user=root ip=192\.0\.2\.10 request_id=\w+`).MatchString(log) {
			t.Errorf("a sign-in is not logged with address and request ID:\n%s", log)
		}
	})
}
