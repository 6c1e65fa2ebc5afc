package app

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"borderflow/models"
	"borderflow/models/testdb"
)

// benchStaff signs in through the real sign-in page, as staffClient does
// for tests, and returns the cookies and the CSRF token of the session.
func benchStaff(b *testing.B, a *App, username string) ([]*http.Cookie, string) {
	b.Helper()
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
	cookies := rec.Result().Cookies()
	m := csrfInput.FindStringSubmatch(rec.Body.String())
	if m == nil {
		b.Fatal("no CSRF token on the sign-in page")
	}
	token := html.UnescapeString(m[1])
	form := url.Values{"_csrf": {token}, "username": {username}, "password": {testPassword}}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		b.Fatalf("sign in: %d", rec.Code)
	}
	return append(cookies, rec.Result().Cookies()...), token
}

// BenchmarkSaveDayGrid measures the server time of saving a full day's grid
// through the real router (session, CSRF, parsing, rules, the transaction
// with its audit record, the redirect): every cargo category in both
// directions with trucks, tonnes and value, each save changing every
// figure, on both databases. The target is under 30 ms.
//
//	go test ./app/ -run '^$' -bench BenchmarkSaveDayGrid -benchtime 200x
func BenchmarkSaveDayGrid(b *testing.B) {
	for _, db := range []struct {
		name string
		url  func(b *testing.B) string
	}{
		{models.DialectSQLite, func(b *testing.B) string { return "sqlite:" + filepath.Join(b.TempDir(), "borderflow.db") }},
		{models.DialectPostgres, func(b *testing.B) string { return testdb.PostgresURL(b) }},
	} {
		b.Run(db.name, func(b *testing.B) {
			a := newBenchApp(b, db.url(b), io.Discard)
			ctx := context.Background()
			if _, err := models.CreateUser(ctx, a.db, models.NewUser{Username: "gul.khan", Password: testPassword,
				Role: models.RoleOfficer, CrossingSlugs: []string{"torkham"}}, models.Actor{Name: "bench"}); err != nil {
				b.Fatal(err)
			}
			categories, err := models.CargoCategories(ctx, a.db)
			if err != nil {
				b.Fatal(err)
			}
			cookies, token := benchStaff(b, a, "gul.khan")
			torkham, err := models.CrossingBySlug(ctx, a.db, "torkham")
			if err != nil {
				b.Fatal(err)
			}
			day := models.DateOf(a.now(), torkham.Location()).AddDays(-1)
			path := entryPath("torkham", day)
			b.ResetTimer()
			for i := range b.N {
				form := url.Values{"_csrf": {token}, "date": {day.String()}, "base_version": {strconv.Itoa(i)}}
				for _, cat := range categories {
					for _, d := range models.Directions {
						cell := cellName(d, cat.Code, usualRegime(cat))
						trucks := 10 + (i+int(cat.ID))%40
						form.Set(cell+"."+measureTrucks, strconv.Itoa(trucks))
						if cat.Loaded {
							form.Set(cell+"."+measureTonnes, strconv.Itoa(trucks*20))
							form.Set(cell+"."+measureValue, strconv.Itoa(trucks*int(cat.ValuePerTruckUSD)))
						}
					}
				}
				req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for _, c := range cookies {
					req.AddCookie(c)
				}
				rec := httptest.NewRecorder()
				a.Handler().ServeHTTP(rec, req)
				if rec.Code != http.StatusSeeOther {
					b.Fatalf("save %d: %d %s", i, rec.Code, excerpt(rec.Body.String(), "problems"))
				}
			}
		})
	}
}
