package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"borderflow/models"
	"borderflow/models/testdb"
)

// ghulamKhan is the crossing form for Ghulam Khan (North Waziristan), at
// about 33.20 N, 70.06 E; DOMAIN.md names it without coordinates.
func ghulamKhan() url.Values {
	return url.Values{"slug": {"ghulam-khan"}, "name": {"Ghulam Khan"}, "afghan_side": {"Zazai Maidan (Khost)"},
		"province": {"Khyber Pakhtunkhwa"}, "latitude": {"33.20"}, "longitude": {"70.06"}, "time_zone": {"Asia/Karachi"},
		"hours": {"Trade 08:00–17:00"}, "records_from": {"2024-01-01"}, "sort_order": {"3"}, "active": {"1"}}
}

// angoorAdda is the crossing form for Angoor Adda (South Waziristan).
func angoorAdda() url.Values {
	return url.Values{"slug": {"angoor-adda"}, "name": {"Angoor Adda"}, "afghan_side": {"Barmal (Paktika)"},
		"province": {"Khyber Pakhtunkhwa"}, "latitude": {"32.33"}, "longitude": {"69.33"}, "time_zone": {"Asia/Karachi"},
		"records_from": {"2024-01-01"}, "sort_order": {"4"}, "active": {"1"}}
}

// with is form with the fields given replaced.
func with(form url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// without is form with the fields named removed (an unticked box).
func without(form url.Values, names ...string) url.Values {
	out := with(form)
	for _, n := range names {
		out.Del(n)
	}
	return out
}

// crossingID finds a crossing's ID by slug.
func crossingID(t *testing.T, a *App, slug string) int64 {
	t.Helper()
	c, err := models.CrossingBySlug(context.Background(), a.db, slug)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// countRows counts the rows of a model's table.
func countRows(t *testing.T, a *App, model any) int64 {
	t.Helper()
	var n int64
	if err := a.db.Model(model).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// submit loads page (for its CSRF token) and posts form to action.
func (b *staffClient) submit(page, action string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	b.get(page)
	return b.post(action, form)
}

func TestAdminAddsCrossingsThatAppearOnTheBoard(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		root := createAccount(t, a, "root", models.RoleAdmin)
		admin := signIn(t, a, "root", testPassword)
		get(t, a, "/") // the board is cached from here on
		for _, form := range []url.Values{ghulamKhan(), angoorAdda()} {
			rec := admin.submit("/admin/crossings/new", "/admin/crossings", form)
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/crossings" {
				t.Fatalf("add %s: %d %s", form.Get("slug"), rec.Code, excerpt(rec.Body.String(), "<main"))
			}
		}
		list := page(t, admin.get("/admin/crossings"))
		if msg := list.Find(".notice").Text(); !strings.Contains(msg, "saved") {
			t.Errorf("no confirmation after saving: %q", msg)
		}
		if rows := texts(list.Find("table.staff-table tbody tr td:first-child")); strings.Join(rows, ",") != "Torkham,Chaman,Ghulam Khan,Angoor Adda" {
			t.Errorf("crossings listed = %v", rows)
		}
		board := page(t, get(t, a, "/"))
		for _, slug := range []string{"ghulam-khan", "angoor-adda"} {
			if board.Find(`h2 a[href="/crossings/`+slug+`"]`).Length() != 1 {
				t.Errorf("the board does not show %s", slug)
			}
		}
		c, err := models.CrossingBySlug(context.Background(), a.db, "ghulam-khan")
		if err != nil {
			t.Fatal(err)
		}
		if c.Latitude != 33.20 || c.Longitude != 70.06 || c.TimeZone != "Asia/Karachi" || c.RecordsFrom.String() != "2024-01-01" || !c.Active || c.AfghanSide != "Zazai Maidan (Khost)" {
			t.Errorf("stored %+v", c)
		}
		entries := auditOf(t, a, "crossing", "ghulam-khan")
		if len(entries) != 1 || entries[0].Action != "create" || entries[0].Before != "" {
			t.Fatalf("audit = %+v, want one creation", entries)
		}
		checkAuditedBy(t, entries[0], "root", root.ID)
		if after := auditValues(t, entries[0].After); after["name"] != "Ghulam Khan" || after["latitude"] != 33.2 || after["active"] != true {
			t.Errorf("audit after = %v", after)
		}

		// An edit: the slug stays whatever the form sends.
		id := crossingID(t, a, "ghulam-khan")
		edit := crossingPath(id)
		if v := page(t, admin.get(edit)).Find("code").First().Text(); v != "ghulam-khan" {
			t.Errorf("the edit page shows the slug as %q", v)
		}
		rec := admin.submit(edit, edit, with(ghulamKhan(), "slug", "renamed", "hours", "24 hours"))
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", rec.Code, excerpt(rec.Body.String(), "<main"))
		}
		c, _ = models.CrossingBySlug(context.Background(), a.db, "ghulam-khan")
		if c.Hours != "24 hours" || c.ID != id {
			t.Errorf("after the edit: %+v", c)
		}
		entries = auditOf(t, a, "crossing", "ghulam-khan")
		if len(entries) != 2 || entries[1].Action != "update" {
			t.Fatalf("audit = %+v, want a creation and an update", entries)
		}
		before, after := auditValues(t, entries[1].Before), auditValues(t, entries[1].After)
		if before["hours"] != "Trade 08:00–17:00" || after["hours"] != "24 hours" || after["slug"] != "ghulam-khan" {
			t.Errorf("audit before %v after %v", before, after)
		}
		// Saving again what is stored changes nothing and records nothing.
		admin.submit(edit, edit, with(ghulamKhan(), "hours", "24 hours"))
		if n := len(auditOf(t, a, "crossing", "ghulam-khan")); n != 2 {
			t.Errorf("an unchanged save wrote %d audit records", n-2)
		}
	})
}

// TestDeactivatedCrossingLeavesTheBoardAndKeepsItsHistory: the public
// crossing page of a hidden crossing answers 404, as its API does
// (models.PublicCrossingBySlug): hiding a crossing takes it off every
// public page, while its records stay and come back when it is shown again.
func TestDeactivatedCrossingLeavesTheBoardAndKeepsItsHistory(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "root", models.RoleAdmin)
		admin := signIn(t, a, "root", testPassword)
		admin.submit("/admin/crossings/new", "/admin/crossings", angoorAdda())
		status := "/staff/crossings/angoor-adda/status"
		if rec := admin.submit(status, status, url.Values{"state": {"closed"}, "reason": {"security"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("status: %d %s", rec.Code, excerpt(rec.Body.String(), "<main"))
		}
		if rec := get(t, a, "/crossings/angoor-adda"); rec.Code != http.StatusOK {
			t.Fatalf("the new crossing's page: %d", rec.Code)
		}
		edit := crossingPath(crossingID(t, a, "angoor-adda"))
		if rec := admin.submit(edit, edit, without(angoorAdda(), "active")); rec.Code != http.StatusSeeOther {
			t.Fatalf("deactivate: %d %s", rec.Code, excerpt(rec.Body.String(), "<main"))
		}
		if page(t, get(t, a, "/")).Find(`a[href="/crossings/angoor-adda"]`).Length() != 0 {
			t.Error("the board still shows the hidden crossing")
		}
		if rec := get(t, a, "/crossings/angoor-adda"); rec.Code != http.StatusNotFound {
			t.Errorf("the hidden crossing's page: %d, want 404", rec.Code)
		}
		if rec := get(t, a, "/api/v1/crossings/angoor-adda"); rec.Code != http.StatusNotFound {
			t.Errorf("the hidden crossing in the API: %d, want 404", rec.Code)
		}
		if row := page(t, admin.get("/admin/crossings")).Find("tr.disabled").Text(); !strings.Contains(row, "Angoor Adda") || !strings.Contains(row, "hidden") {
			t.Errorf("the admin list shows the hidden crossing as %q", row)
		}
		var changes int64
		a.db.Model(&models.StatusChange{}).Where("crossing_id = ?", crossingID(t, a, "angoor-adda")).Count(&changes)
		if changes != 1 {
			t.Errorf("status changes kept = %d, want 1", changes)
		}
		admin.submit(edit, edit, angoorAdda())
		card := page(t, get(t, a, "/")).Find(`h2:has(a[href="/crossings/angoor-adda"])`).Parent().Text()
		if !strings.Contains(card, "Closed") {
			t.Errorf("shown again, the crossing's card lost its status: %q", card)
		}
	})
}

func TestCrossingFormRefusesBadInputAndKeepsWhatWasTyped(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "root", models.RoleAdmin)
		admin := signIn(t, a, "root", testPassword)
		cases := []struct {
			name  string
			form  url.Values
			field string
			want  string
		}{
			{"slug with capitals", with(ghulamKhan(), "slug", "Ghulam Khan"), "slug", "lower-case letters, digits or dashes"},
			{"slug taken", with(ghulamKhan(), "slug", "torkham"), "slug", "“torkham” already exists"},
			{"no name", with(ghulamKhan(), "name", "  "), "name", "Name is required"},
			{"name too long", with(ghulamKhan(), "name", strings.Repeat("x", 101)), "name", "longer than 100"},
			{"latitude not a number", with(ghulamKhan(), "latitude", "33,2"), "latitude", "Latitude must be a number"},
			{"latitude out of range", with(ghulamKhan(), "latitude", "95"), "latitude", "between -90 and 90"},
			{"longitude missing", with(ghulamKhan(), "longitude", ""), "longitude", "Longitude is required"},
			{"unknown time zone", with(ghulamKhan(), "time_zone", "Asia/Peshawar"), "time_zone", "“Asia/Peshawar” is not a time zone"},
			{"Local is no zone", with(ghulamKhan(), "time_zone", "Local"), "time_zone", "not a time zone"},
			{"bad date", with(ghulamKhan(), "records_from", "2024-13-01"), "records_from", "not a date"},
			{"date too early", with(ghulamKhan(), "records_from", "1900-01-01"), "records_from", "before 1947-08-14"},
			{"order out of range", with(ghulamKhan(), "sort_order", "-1"), "sort_order", "between 0 and 10,000"},
			{"control character", with(ghulamKhan(), "hours", "open\x00"), "hours", "control characters"},
		}
		crossings, audit := countRows(t, a, &models.Crossing{}), countRows(t, a, &models.AuditEntry{})
		for _, c := range cases {
			rec := admin.submit("/admin/crossings/new", "/admin/crossings", c.form)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d, want 422", c.name, rec.Code)
				continue
			}
			doc := page(t, rec)
			if msg := doc.Find("#" + c.field + "-error").Text(); !strings.Contains(msg, c.want) {
				t.Errorf("%s: message for %s = %q, want %q", c.name, c.field, msg, c.want)
			}
			if v, _ := doc.Find("#name").Attr("value"); v != c.form.Get("name") {
				t.Errorf("%s: the form lost the name: %q", c.name, v)
			}
			if v, _ := doc.Find("#latitude").Attr("value"); v != c.form.Get("latitude") {
				t.Errorf("%s: the form lost the latitude: %q", c.name, v)
			}
		}
		if n := countRows(t, a, &models.Crossing{}); n != crossings {
			t.Errorf("refused forms created %d crossings", n-crossings)
		}
		if n := countRows(t, a, &models.AuditEntry{}); n != audit {
			t.Errorf("refused forms wrote %d audit records", n-audit)
		}

		// The first day of records cannot move past stored figures.
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		clerk := signIn(t, a, "gul.khan", testPassword)
		day := entryDay(t, a, "torkham", -3)
		if rec := postEntry(clerk, "torkham", day, 0, typicalDay); rec.Code != http.StatusSeeOther {
			t.Fatalf("save figures: %d", rec.Code)
		}
		torkham, _ := models.CrossingBySlug(context.Background(), a.db, "torkham")
		form := crossingFormOf(torkham)
		values := url.Values{"name": {form.Name}, "afghan_side": {form.AfghanSide}, "province": {form.Province}, "latitude": {form.Latitude},
			"longitude": {form.Longitude}, "time_zone": {form.TimeZone}, "hours": {form.Hours}, "records_from": {day.AddDays(1).String()},
			"sort_order": {form.SortOrder}, "active": {"1"}}
		edit := crossingPath(torkham.ID)
		rec := admin.submit(edit, edit, values)
		if msg := page(t, rec).Find("#records_from-error").Text(); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(msg, day.String()) {
			t.Errorf("records from after the first figures: %d %q", rec.Code, msg)
		}
	})
}

func TestCrossingTextIsStoredAsTypedAndShownEscaped(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "root", models.RoleAdmin)
		admin := signIn(t, a, "root", testPassword)
		name, hours := `<b>Kharlachi</b> & "Co"`, `<script>alert("x")</script>`
		if rec := admin.submit("/admin/crossings/new", "/admin/crossings", with(ghulamKhan(), "slug", "kharlachi", "name", name, "hours", hours)); rec.Code != http.StatusSeeOther {
			t.Fatalf("add: %d %s", rec.Code, excerpt(rec.Body.String(), "<main"))
		}
		c, _ := models.CrossingBySlug(context.Background(), a.db, "kharlachi")
		if c.Name != name || c.Hours != hours {
			t.Errorf("stored %q / %q, want them as typed", c.Name, c.Hours)
		}
		for _, path := range []string{"/admin/crossings", crossingPath(c.ID), "/", "/crossings/kharlachi", "/admin/audit"} {
			var body string
			if strings.HasPrefix(path, "/admin") {
				body = admin.get(path).Body.String()
			} else {
				body = get(t, a, path).Body.String()
			}
			if strings.Contains(body, "<b>Kharlachi") || strings.Contains(body, `<script>alert`) {
				t.Errorf("%s shows markup unescaped", path)
			}
			if !strings.Contains(body, "&lt;b&gt;Kharlachi&lt;/b&gt;") {
				t.Errorf("%s does not show the name as text", path)
			}
		}
	})
}
