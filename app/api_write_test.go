package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// writeNow is when the API write tests run: 27 November 2026, noon at the border.
var writeNow = time.Date(2026, 11, 27, 12, 0, 0, 0, pkt)

// newWriteApp is the App on databaseURL with its clock at writeNow.
func newWriteApp(t *testing.T, databaseURL string) *App {
	t.Helper()
	a := newTestApp(t, databaseURL)
	a.now = func() time.Time { return writeNow }
	return a
}

// apiToken creates an account and an API token that acts as it.
func apiToken(t testing.TB, a *App, name string, role models.Role, crossings ...string) (models.User, string) {
	t.Helper()
	u := createAccount(t, a, name, role, crossings...)
	token, _, err := models.CreateAPIToken(context.Background(), a.db, name, name+"'s counter", models.Actor{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return u, token
}

// postJSON posts body to path with the token ("" for none) as JSON from
// 192.0.2.10; header pairs are added, or replace the defaults.
func postJSON(t *testing.T, a *App, path, token, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	return postReader(t, a, path, token, strings.NewReader(body), header...)
}

func postReader(t *testing.T, a *App, path, token string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, body)
	req.RemoteAddr = "192.0.2.10:4321"
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	return rec
}

// apiErrorOf decodes the JSON error shape, failing the test if the body is
// not in it or the status is not want.
func apiErrorOf(t *testing.T, rec *httptest.ResponseRecorder, want int) apiErrorBody {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("status %d, want %d: %s", rec.Code, want, rec.Body)
	}
	var e apiError
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not the JSON error shape (%v): %s", err, rec.Body)
	}
	if e.Error.Code != errorCode(want) {
		t.Errorf("code %q, want %q", e.Error.Code, errorCode(want))
	}
	if IsMissing(rec.Body.String()) {
		t.Errorf("untranslated message: %s", rec.Body)
	}
	return e.Error
}

// dayAnswer is apiDay as a client reads it.
type dayAnswer struct {
	Crossing  string      `json:"crossing"`
	Date      string      `json:"date"`
	Version   int         `json:"version"`
	Verified  bool        `json:"verified"`
	UpdatedAt *string     `json:"updated_at"`
	Unit      string      `json:"unit"`
	Figures   []apiFigure `json:"figures"`
}

// statusAnswer is apiStoredStatus as a client reads it.
type statusAnswer struct {
	Crossing string `json:"crossing"`
	statusJSON
}

const cementDay = `{"date": "2026-11-27", "figures": [
	{"direction": "to_afghanistan", "category": "cement", "trucks": 90, "tonnes": 3600, "value_usd": 225000, "regime": "bilateral"},
	{"direction": "to_pakistan", "category": "coal", "trucks": 40}]}`

func TestAPIWriteFiguresForEachRoleAndCrossing(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newWriteApp(t, dbURL)
		logs := captureLog(a)
		officer, officerToken := apiToken(t, a, "gul.khan", models.RoleOfficer, "torkham")
		_, supervisorToken := apiToken(t, a, "zarmina", models.RoleSupervisor, "chaman")
		_, adminToken := apiToken(t, a, "root", models.RoleAdmin)

		before := page(t, get(t, a, "/")).Find("#crossing-torkham table.counts tbody td").First().Text()
		rec := postJSON(t, a, "/api/v1/crossings/torkham/figures", officerToken, cementDay)
		if rec.Code != http.StatusOK {
			t.Fatalf("officer on own crossing: %d %s", rec.Code, rec.Body)
		}
		var day dayAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &day); err != nil {
			t.Fatal(err)
		}
		if day.Crossing != "torkham" || day.Date != "2026-11-27" || day.Version != 1 || day.Verified || len(day.Figures) != 2 || day.Unit != "loaded_trucks" {
			t.Errorf("answer = %+v", day)
		}
		if f := day.Figures[0]; f.Category != "cement" || f.Trucks != 90 || f.Tonnes == nil || *f.Tonnes != 3600 {
			t.Errorf("first figure = %+v", f)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		// The board shows the write at once (its page cache was dropped).
		after := page(t, get(t, a, "/")).Find("#crossing-torkham table.counts tbody td").First().Text()
		if after == before || !strings.Contains(after, "90") {
			t.Errorf("the board's count went from %q to %q, want 90 loaded trucks", before, after)
		}
		audit := auditOf(t, a, "crossing_day", "torkham/2026-11-27")
		if len(audit) != 1 || audit[0].Action != "create" {
			t.Fatalf("audit = %+v", audit)
		}
		checkAuditedBy(t, audit[0], "gul.khan", officer.ID)
		var stored models.DailyFigure
		a.db.Where("trucks = 90").Take(&stored)
		if stored.Source != "api" || stored.EnteredBy == nil || *stored.EnteredBy != officer.ID {
			t.Errorf("stored source %q by %v", stored.Source, stored.EnteredBy)
		}

		// Another crossing: 403 in the JSON error shape, logged, nothing written.
		e := apiErrorOf(t, postJSON(t, a, "/api/v1/crossings/chaman/figures", officerToken, cementDay), http.StatusForbidden)
		if !strings.Contains(e.Message, "Chaman") {
			t.Errorf("403 message %q does not name the crossing", e.Message)
		}
		if !strings.Contains(logs.String(), "access denied") || !strings.Contains(logs.String(), "gul.khan") {
			t.Errorf("the refusal was not logged: %s", logs)
		}
		var n int64
		a.db.Model(&models.DailyFigure{}).Where("crossing_id = (SELECT id FROM crossings WHERE slug = 'chaman')").Count(&n)
		if n != 0 {
			t.Errorf("%d figures written for chaman by a refused request", n)
		}
		if rec := postJSON(t, a, "/api/v1/crossings/chaman/figures", supervisorToken, cementDay); rec.Code != http.StatusOK {
			t.Errorf("supervisor on own crossing: %d %s", rec.Code, rec.Body)
		}
		apiErrorOf(t, postJSON(t, a, "/api/v1/crossings/torkham/figures", supervisorToken, cementDay), http.StatusForbidden)
		for _, slug := range []string{"torkham", "chaman"} {
			body := strings.Replace(cementDay, `"trucks": 40`, `"trucks": 41`, 1)
			if rec := postJSON(t, a, "/api/v1/crossings/"+slug+"/figures", adminToken, body); rec.Code != http.StatusOK {
				t.Errorf("admin on %s: %d %s", slug, rec.Code, rec.Body)
			}
		}
		apiErrorOf(t, postJSON(t, a, "/api/v1/crossings/nowhere/figures", adminToken, cementDay), http.StatusNotFound)
	})
}

func TestAPIWriteReplacesOnlyTheFiguresGiven(t *testing.T) {
	a := newWriteApp(t, "sqlite:"+t.TempDir()+"/bf.db")
	_, token := apiToken(t, a, "gul.khan", models.RoleOfficer, "torkham")
	postJSON(t, a, "/api/v1/crossings/torkham/figures", token, cementDay)
	rec := postJSON(t, a, "/api/v1/crossings/torkham/figures", token,
		`{"date": "2026-11-27", "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": 45}]}`)
	var day dayAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &day); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	got := map[string]int{}
	for _, f := range day.Figures {
		got[f.Category] = f.Trucks
	}
	if len(got) != 2 || got["cement"] != 90 || got["coal"] != 45 || day.Version != 2 {
		t.Errorf("day after a partial write = %v (version %d); want cement kept at 90, coal 45, version 2", got, day.Version)
	}
	// Sending what is stored changes nothing: the version stays.
	rec = postJSON(t, a, "/api/v1/crossings/torkham/figures", token,
		`{"date": "2026-11-27", "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": 45}]}`)
	if err := json.Unmarshal(rec.Body.Bytes(), &day); err != nil || day.Version != 2 {
		t.Errorf("a resend moved the version to %d", day.Version)
	}
}

func TestAPIWriteNeedsAValidToken(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newWriteApp(t, dbURL)
		logs := captureLog(a)
		officer, token := apiToken(t, a, "gul.khan", models.RoleOfficer, "torkham")
		for name, tok := range map[string]string{"no token": "", "unknown token": "bf_" + strings.Repeat("a", 52)} {
			rec := postJSON(t, a, "/api/v1/crossings/torkham/figures", tok, cementDay)
			apiErrorOf(t, rec, http.StatusUnauthorized)
			if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: no Bearer challenge", name)
			}
		}
		var record models.APIToken
		a.db.Take(&record)
		if err := models.RevokeAPIToken(context.Background(), a.db, record.ID, models.Actor{Name: "test"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		apiErrorOf(t, postJSON(t, a, "/api/v1/crossings/torkham/figures", token, cementDay), http.StatusUnauthorized)
		_, live := apiToken(t, a, "other", models.RoleOfficer, "torkham")
		if _, err := models.SetUserDisabled(context.Background(), a.db, officer.ID+1, true, models.Actor{Name: "test"}); err != nil {
			t.Fatal(err)
		}
		apiErrorOf(t, postJSON(t, a, "/api/v1/crossings/torkham/status", live, `{"state": "open"}`), http.StatusUnauthorized)
		var n int64
		a.db.Model(&models.DailyFigure{}).Count(&n)
		if n != 0 {
			t.Errorf("%d figures written without a valid token", n)
		}
		if strings.Contains(logs.String(), token) {
			t.Error("the log holds a token")
		}
	})
}

func TestAPIWriteRefusesBadBodies(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newWriteApp(t, dbURL)
		_, token := apiToken(t, a, "gul.khan", models.RoleOfficer, "torkham")
		figures, status := "/api/v1/crossings/torkham/figures", "/api/v1/crossings/torkham/status"
		cases := []struct {
			name, path, body string
			want             int
			fields           []string // the fields the error must name
			message          string   // a part of the message, when there are no fields
		}{
			{"not JSON", figures, `{"date": "2026-11-27",`, 400, nil, "not valid JSON"},
			{"a list", figures, `[1, 2]`, 400, nil, "one JSON object"},
			{"two objects", figures, `{} {}`, 400, nil, "more than one"},
			{"empty", figures, ``, 400, nil, "one JSON object"},
			{"unknown fields", figures, `{"date": "2026-11-27", "colour": 1, "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": 4, "lorries": 5}]}`,
				400, []string{"colour", "figures[0].lorries"}, ""},
			{"wrong types", figures, `{"date": 20261127, "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": "4"}, {"direction": "to_pakistan", "category": "cement", "trucks": 4.5, "tonnes": "3"}]}`,
				400, []string{"date", "figures[0].trucks", "figures[1].trucks", "figures[1].tonnes"}, ""},
			{"missing fields", figures, `{"figures": [{"category": "coal"}]}`, 400, []string{"date", "figures[0].direction", "figures[0].trucks"}, ""},
			{"no figures", figures, `{"date": "2026-11-27", "figures": []}`, 400, []string{"figures"}, ""},
			{"bad date", figures, `{"date": "27/11/2026", "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": 4}]}`, 400, []string{"date"}, ""},
			{"negative", figures, `{"date": "2026-11-27", "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": -4}]}`, 422, []string{"figures[0].trucks"}, ""},
			{"future day", figures, `{"date": "2026-11-28", "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": 4}]}`, 422, []string{"date"}, ""},
			{"unknown codes", figures, `{"date": "2026-11-27", "figures": [{"direction": "north", "category": "gold", "trucks": 4, "regime": "barter"}]}`,
				422, []string{"figures[0].direction", "figures[0].category", "figures[0].regime"}, ""},
			{"repeated figure", figures, `{"date": "2026-11-27", "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": 4}, {"direction": "to_pakistan", "category": "coal", "trucks": 5}]}`,
				422, []string{"figures[1]"}, ""},
			{"unknown state", status, `{"state": "shut"}`, 422, []string{"state"}, ""},
			{"restricted without scope", status, `{"state": "restricted", "reason": "security"}`, 422, []string{"scope"}, ""},
			{"closed without reason", status, `{"state": "closed"}`, 422, []string{"reason"}, ""},
			{"bad time", status, `{"state": "open", "effective_at": "2026-11-27 08:00"}`, 400, []string{"effective_at"}, ""},
			{"status types", status, `{"state": true, "note": 5, "extra": null}`, 400, []string{"state", "note", "extra"}, ""},
			{"back-dated by an officer", status, `{"state": "open", "effective_at": "2026-11-01T08:00:00+05:00"}`, 422, []string{"effective_at"}, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := apiErrorOf(t, postJSON(t, a, c.path, token, c.body), c.want)
				for _, f := range c.fields {
					if e.Fields[f] == "" {
						t.Errorf("fields %v do not name %s", e.Fields, f)
					}
				}
				if len(c.fields) > 0 && len(e.Fields) != len(c.fields) {
					t.Errorf("fields = %v, want exactly %v", e.Fields, c.fields)
				}
				if !strings.Contains(e.Message, c.message) {
					t.Errorf("message %q does not say %q", e.Message, c.message)
				}
			})
		}
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", ""} {
			e := apiErrorOf(t, postJSON(t, a, figures, token, cementDay, "Content-Type", ct), http.StatusUnsupportedMediaType)
			if !strings.Contains(e.Message, "application/json") {
				t.Errorf("%q: 415 message %q", ct, e.Message)
			}
		}
		if rec := postJSON(t, a, figures, token, cementDay, "Content-Type", "application/json; charset=UTF-8"); rec.Code != http.StatusOK {
			t.Errorf("charset=UTF-8: %d %s", rec.Code, rec.Body)
		}
		// 10 MB of padding: refused at once when its length is announced,
		// and part way when it is not (chunked).
		padding := `{"date": "2026-11-27", "note": "` + strings.Repeat(" ", 10<<20) + `"}`
		apiErrorOf(t, postJSON(t, a, status, token, padding), http.StatusRequestEntityTooLarge)
		apiErrorOf(t, postReader(t, a, status, token, io.MultiReader(strings.NewReader(padding))), http.StatusRequestEntityTooLarge)
		var n int64
		a.db.Model(&models.StatusChange{}).Count(&n)
		if n != 0 {
			t.Errorf("%d status changes written by refused requests", n)
		}
	})
}

func TestAPIWriteWithIdempotencyKey(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newWriteApp(t, dbURL)
		_, token := apiToken(t, a, "gul.khan", models.RoleOfficer, "torkham")
		_, other := apiToken(t, a, "wali", models.RoleOfficer, "torkham")
		path := "/api/v1/crossings/torkham/figures"
		first := postJSON(t, a, path, token, cementDay, "Idempotency-Key", "day-2026-11-27-a")
		if first.Code != http.StatusOK || first.Header().Get(headerReplayed) != "" {
			t.Fatalf("first: %d %s", first.Code, first.Body)
		}
		// Meanwhile someone else changes the day; the retry still gets the
		// first answer, and writes nothing.
		postJSON(t, a, path, other, `{"date": "2026-11-27", "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": 7}]}`)
		again := postJSON(t, a, path, token, cementDay, "Idempotency-Key", "day-2026-11-27-a")
		if again.Code != first.Code || again.Body.String() != first.Body.String() || again.Header().Get(headerReplayed) != "true" {
			t.Errorf("replay: %d %q %s, want the first answer marked replayed", again.Code, again.Header().Get(headerReplayed), again.Body)
		}
		if audit := auditOf(t, a, "crossing_day", "torkham/2026-11-27"); len(audit) != 2 {
			t.Errorf("%d saves audited, want 2 (the first and the other user's)", len(audit))
		}
		e := apiErrorOf(t, postJSON(t, a, path, token, strings.Replace(cementDay, "90", "91", 1), "Idempotency-Key", "day-2026-11-27-a"),
			http.StatusUnprocessableEntity)
		if !strings.Contains(e.Message, "different request") || e.Fields["Idempotency-Key"] == "" {
			t.Errorf("mismatch: %+v", e)
		}
		// Keys are per token: another token's same key is a new write.
		if rec := postJSON(t, a, path, other, cementDay, "Idempotency-Key", "day-2026-11-27-a"); rec.Code != http.StatusOK || rec.Header().Get(headerReplayed) != "" {
			t.Errorf("another token's key: %d %q", rec.Code, rec.Header().Get(headerReplayed))
		}
		// A refused write keeps nothing: the key may be used again once mended.
		bad := `{"date": "2026-11-27", "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": -1}]}`
		apiErrorOf(t, postJSON(t, a, path, token, bad, "Idempotency-Key", "k2"), http.StatusUnprocessableEntity)
		if rec := postJSON(t, a, path, token, strings.Replace(bad, `"trucks": -1`, `"trucks": 1`, 1), "Idempotency-Key", "k2"); rec.Code != http.StatusOK {
			t.Errorf("the mended write with the same key: %d %s", rec.Code, rec.Body)
		}
		// Status changes too: a replay is 201 again, with one change stored.
		status := `{"state": "closed", "reason": "security", "note": "<script>alert(1)</script> & co"}`
		s1 := postJSON(t, a, "/api/v1/crossings/torkham/status", token, status, "Idempotency-Key", "s1")
		s2 := postJSON(t, a, "/api/v1/crossings/torkham/status", token, status, "Idempotency-Key", "s1")
		if s1.Code != http.StatusCreated || s2.Code != http.StatusCreated || s1.Body.String() != s2.Body.String() {
			t.Errorf("status replay: %d %d", s1.Code, s2.Code)
		}
		var n int64
		a.db.Model(&models.StatusChange{}).Count(&n)
		if n != 1 {
			t.Errorf("%d status changes, want 1", n)
		}
		for _, key := range []string{strings.Repeat("k", 201), "two words", "ключ"} {
			apiErrorOf(t, postJSON(t, a, path, token, cementDay, "Idempotency-Key", key), http.StatusBadRequest)
		}
	})
}

func TestAPIWriteConflictsWithANewerVersion(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newWriteApp(t, dbURL)
		_, token := apiToken(t, a, "gul.khan", models.RoleOfficer, "torkham")
		_, other := apiToken(t, a, "wali", models.RoleOfficer, "torkham")
		path := "/api/v1/crossings/torkham/figures"
		if rec := postJSON(t, a, path, other, cementDay); rec.Code != http.StatusOK {
			t.Fatal(rec.Body)
		}
		// Based on the day without figures (version 0): refused, with what is stored.
		stale := `{"date": "2026-11-27", "base_version": 0, "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": 12}]}`
		rec := postJSON(t, a, path, token, stale)
		if rec.Code != http.StatusConflict {
			t.Fatalf("stale save: %d %s", rec.Code, rec.Body)
		}
		var conflict struct {
			Error   apiErrorBody `json:"error"`
			Current dayAnswer    `json:"current"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &conflict); err != nil {
			t.Fatal(err)
		}
		if conflict.Error.Code != "conflict" || !strings.Contains(conflict.Error.Message, "wali") || conflict.Current.Version != 1 || len(conflict.Current.Figures) != 2 {
			t.Errorf("conflict = %+v", conflict)
		}
		rec = postJSON(t, a, path, token, strings.Replace(stale, `"base_version": 0`, `"base_version": 1`, 1))
		var day dayAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &day); err != nil || rec.Code != http.StatusOK || day.Version != 2 {
			t.Errorf("save on the current version: %d %s", rec.Code, rec.Body)
		}
	})
}

func TestAPIWriteConfirmationOfImplausibleFigures(t *testing.T) {
	a := newWriteApp(t, "sqlite:"+t.TempDir()+"/bf.db")
	_, officer := apiToken(t, a, "gul.khan", models.RoleOfficer, "chaman")
	_, supervisor := apiToken(t, a, "zarmina", models.RoleSupervisor, "chaman")
	path := "/api/v1/crossings/chaman/figures"
	body := `{"date": "2026-11-27", "figures": [{"direction": "to_afghanistan", "category": "cement", "trucks": 900}]}`
	e := apiErrorOf(t, postJSON(t, a, path, officer, body), http.StatusUnprocessableEntity)
	if !strings.Contains(e.Fields["totals.to_afghanistan"], "500") {
		t.Errorf("over the limit: %+v", e)
	}
	confirmed := strings.Replace(body, `"figures"`, `"confirm_implausible": true, "figures"`, 1)
	apiErrorOf(t, postJSON(t, a, path, officer, confirmed), http.StatusForbidden)
	if rec := postJSON(t, a, path, supervisor, confirmed); rec.Code != http.StatusOK {
		t.Errorf("supervisor's confirmation: %d %s", rec.Code, rec.Body)
	}
}

func TestAPIWriteStatusShowsOnTheBoard(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newWriteApp(t, dbURL)
		officer, token := apiToken(t, a, "gul.khan", models.RoleOfficer, "torkham")
		_, supervisor := apiToken(t, a, "zarmina", models.RoleSupervisor, "torkham")
		page(t, get(t, a, "/")) // fills the page cache
		path := "/api/v1/crossings/torkham/status"
		note := `Gate closed <script>alert("x")</script>`
		rec := postJSON(t, a, path, token, fmt.Sprintf(`{"state": "closed", "reason": "security", "scope": null, "note": %q, "effective_at": "2026-11-27T08:30:00+05:00"}`, note))
		if rec.Code != http.StatusCreated {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		var change statusAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &change); err != nil {
			t.Fatal(err)
		}
		if change.Crossing != "torkham" || change.State != "closed" || change.Note != note || change.EffectiveAt != "2026-11-27T03:30:00Z" {
			t.Errorf("answer = %+v", change)
		}
		board := get(t, a, "/")
		card := page(t, board).Find("#crossing-torkham")
		if got := card.Find(".state-word").Text(); got != "Closed" {
			t.Errorf("the board says %q, want Closed", got)
		}
		if strings.Contains(board.Body.String(), "<script>alert") {
			t.Error("the note reached the board unescaped")
		}
		// The same status again: nothing new (200, the change in effect).
		rec = postJSON(t, a, path, token, fmt.Sprintf(`{"state": "closed", "reason": "security", "note": %q, "effective_at": "2026-11-27T09:30:00+05:00"}`, note))
		if rec.Code != http.StatusOK {
			t.Errorf("a repeat: %d %s", rec.Code, rec.Body)
		}
		audit := auditOf(t, a, "status_change", "1")
		if len(audit) != 1 {
			t.Fatalf("status audit = %+v", audit)
		}
		checkAuditedBy(t, audit[0], "gul.khan", officer.ID)
		// Back-dating beyond a week: a supervisor's token may.
		old := `{"state": "open", "effective_at": "2026-11-01T08:00:00+05:00"}`
		apiErrorOf(t, postJSON(t, a, path, token, old), http.StatusUnprocessableEntity)
		if rec := postJSON(t, a, path, supervisor, old); rec.Code != http.StatusCreated {
			t.Errorf("supervisor back-dating: %d %s", rec.Code, rec.Body)
		}
	})
}
