package app

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"borderflow/models"
	"borderflow/models/testdb"
)

// TestCSRFProtectsEveryForm sends the account form in the ways a browser,
// a script or an attacker would: only those carrying the token of the
// browser's CSRF cookie (or a browser's own Sec-Fetch-Site: same-origin)
// get through; the others are a 403 with a translated page, and nothing is
// written.
func TestCSRFProtectsEveryForm(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		logs := captureLog(a)
		createAccount(t, a, "root", models.RoleAdmin)
		admin := signIn(t, a, "root", testPassword)
		admin.get("/admin/users")
		token := admin.csrf
		if token == "" {
			t.Fatal("the form has no CSRF token")
		}
		form := func(name string) url.Values {
			return url.Values{"username": {name}, "role": {"admin"}, "password": {testPassword}}
		}
		multipartBody := func(name, csrf string) (*bytes.Buffer, string) {
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			for k, v := range form(name) {
				_ = w.WriteField(k, v[0])
			}
			if csrf != "" {
				_ = w.WriteField("_csrf", csrf)
			}
			_ = w.Close()
			return &body, w.FormDataContentType()
		}
		urlencoded := func(v url.Values) (*bytes.Buffer, string) {
			return bytes.NewBufferString(v.Encode()), "application/x-www-form-urlencoded"
		}
		withToken := func(name, csrf string) url.Values {
			v := form(name)
			v.Set("_csrf", csrf)
			return v
		}
		cases := []struct {
			name    string
			body    func() (*bytes.Buffer, string)
			headers map[string]string
			allowed bool
		}{
			{"plain form with the token", func() (*bytes.Buffer, string) { return urlencoded(withToken("plain", token)) }, nil, true},
			{"multipart form with the token", func() (*bytes.Buffer, string) { return multipartBody("multi", token) }, nil, true},
			{"script with the header", func() (*bytes.Buffer, string) { return urlencoded(form("script")) }, map[string]string{"X-CSRF-Token": token}, true},
			{"browser saying same-origin", func() (*bytes.Buffer, string) { return urlencoded(form("sameorigin")) }, map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
			{"no token", func() (*bytes.Buffer, string) { return urlencoded(form("none")) }, nil, false},
			{"wrong token", func() (*bytes.Buffer, string) { return urlencoded(withToken("wrong", strings.Repeat("x", len(token)))) }, nil, false},
			{"multipart, wrong token", func() (*bytes.Buffer, string) { return multipartBody("multiwrong", "forged") }, nil, false},
			{"cross-site, even with the token", func() (*bytes.Buffer, string) { return urlencoded(withToken("cross", token)) }, map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
			{"same-site, wrong token", func() (*bytes.Buffer, string) { return urlencoded(withToken("samesite", "forged")) }, map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		}
		for _, c := range cases {
			body, contentType := c.body()
			req := httptest.NewRequest(http.MethodPost, "/admin/users", body)
			req.Header.Set("Content-Type", contentType)
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			rec := admin.do(req)
			if c.allowed {
				if rec.Code != http.StatusCreated {
					t.Errorf("%s: %d, want 201", c.name, rec.Code)
				}
				continue
			}
			if rec.Code != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", c.name, rec.Code)
				continue
			}
			if msg := page(t, rec).Find(".error-message").Text(); !strings.Contains(msg, "nothing was saved") {
				t.Errorf("%s: message %q", c.name, msg)
			}
		}
		var created []string
		a.db.Model(&models.User{}).Where("username <> ?", "root").Order("username").Pluck("username", &created)
		if strings.Join(created, " ") != "multi plain sameorigin script" {
			t.Errorf("accounts created = %v, want only those of the allowed requests", created)
		}
		if n := strings.Count(logs.String(), "reason=csrf"); n != 5 {
			t.Errorf("logged %d CSRF refusals, want 5", n)
		}

		// Signing out is a form too: without the token the session stays.
		rec := admin.post("/logout", url.Values{"_csrf": {"forged"}})
		if rec.Code != http.StatusForbidden || admin.get("/staff").Code != http.StatusOK {
			t.Errorf("sign-out with a forged token: %d, and the session should survive", rec.Code)
		}
	})
}
