package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"borderflow/models"
	"borderflow/models/testdb"
)

// limitOf reads a crossing's stored limit in one direction, 0 when none.
func limitOf(t *testing.T, a *App, slug string, d models.Direction) int {
	t.Helper()
	var limits []models.PlausibilityLimit
	if err := a.db.Where("crossing_id = ? AND direction = ?", crossingID(t, a, slug), d).Find(&limits).Error; err != nil {
		t.Fatal(err)
	}
	if len(limits) == 0 {
		return 0
	}
	return limits[0].MaxTrucks
}

func TestLimitChangeAppliesToTheNextSave(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		root := createAccount(t, a, "root", models.RoleAdmin)
		createAccount(t, a, "sana", models.RoleOfficer, "chaman")
		admin := signIn(t, a, "root", testPassword)
		admin.submit("/admin/crossings/new", "/admin/crossings", ghulamKhan())
		doc := page(t, admin.get("/admin/limits"))
		if v, _ := doc.Find(`[name="max.torkham.to_afghanistan"]`).Attr("value"); v != "1000" {
			t.Errorf("Torkham's limit to Afghanistan shows as %q", v)
		}
		if cell := doc.Find(`td:has([name="max.ghulam-khan.to_pakistan"])`).Text(); !strings.Contains(cell, "No limit yet") {
			t.Errorf("the new crossing's cell says %q", cell)
		}

		officer := signIn(t, a, "sana", testPassword)
		day := entryDay(t, a, "chaman", -1)
		coal := map[string]string{"to_pakistan.coal.bilateral.trucks": "350"}
		if rec := postEntry(officer, "chaman", day, 0, coal); rec.Code != http.StatusSeeOther {
			t.Fatalf("350 trucks under Chaman's limit of 500: %d", rec.Code)
		}

		form := url.Values{"max.chaman.to_pakistan": {"300"}, "max.chaman.to_afghanistan": {"500"}, "max.ghulam-khan.to_pakistan": {"200"},
			"max.ghulam-khan.to_afghanistan": {""}}
		if rec := admin.submit("/admin/limits", "/admin/limits", form); rec.Code != http.StatusSeeOther {
			t.Fatalf("save limits: %d %s", rec.Code, excerpt(rec.Body.String(), "<main"))
		}
		if got := limitOf(t, a, "chaman", models.ToPakistan); got != 300 {
			t.Errorf("Chaman to Pakistan = %d, want 300", got)
		}
		if got := limitOf(t, a, "ghulam-khan", models.ToAfghanistan); got != 0 {
			t.Errorf("an empty box set a limit of %d", got)
		}
		update := auditOf(t, a, "plausibility_limit", "chaman/to_pakistan")
		if len(update) != 1 || update[0].Action != "update" {
			t.Fatalf("audit = %+v", update)
		}
		checkAuditedBy(t, update[0], "root", root.ID)
		if b, af := auditValues(t, update[0].Before), auditValues(t, update[0].After); b["max_trucks"] != 500.0 || af["max_trucks"] != 300.0 {
			t.Errorf("audit before %v after %v", b, af)
		}
		if created := auditOf(t, a, "plausibility_limit", "ghulam-khan/to_pakistan"); len(created) != 1 || created[0].Action != "create" || created[0].Before != "" {
			t.Errorf("audit of the new limit = %+v", created)
		}
		if unchanged := auditOf(t, a, "plausibility_limit", "chaman/to_afghanistan"); len(unchanged) != 0 {
			t.Errorf("an unchanged limit was audited: %+v", unchanged)
		}

		rec := postEntry(officer, "chaman", day, 1, coal)
		if msg := page(t, rec).Find(".field-error, .form-error").Text(); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(msg, "plausibility limit of 300") {
			t.Errorf("the same day after the change: %d %q", rec.Code, msg)
		}
	})
}

func TestLimitFormRefusesBadNumbersAndWritesNothing(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "root", models.RoleAdmin)
		admin := signIn(t, a, "root", testPassword)
		cases := []struct{ typed, want string }{
			{"0", "between 1 and 100,000"},
			{"-5", "between 1 and 100,000"},
			{"200000", "between 1 and 100,000"},
			{"2.5", "whole number"},
			{"lots", "must be a number"},
			{"", "not removed"},
		}
		audit := countRows(t, a, &models.AuditEntry{})
		for _, c := range cases {
			// A good change beside the bad one is not written either.
			form := url.Values{"max.torkham.to_pakistan": {c.typed}, "max.chaman.to_pakistan": {"450"}}
			rec := admin.submit("/admin/limits", "/admin/limits", form)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("%q: %d, want 422", c.typed, rec.Code)
				continue
			}
			doc := page(t, rec)
			if msg := doc.Find("#max\\.torkham\\.to_pakistan-error").Text(); !strings.Contains(msg, c.want) || !strings.Contains(msg, "Torkham, To Pakistan") {
				t.Errorf("%q: message %q, want %q naming the field", c.typed, msg, c.want)
			}
			if v, _ := doc.Find(`[name="max.torkham.to_pakistan"]`).Attr("value"); v != c.typed {
				t.Errorf("%q: the form shows %q", c.typed, v)
			}
			if v, _ := doc.Find(`[name="max.chaman.to_pakistan"]`).Attr("value"); v != "450" {
				t.Errorf("%q: the form lost the other value: %q", c.typed, v)
			}
		}
		if limitOf(t, a, "torkham", models.ToPakistan) != 1000 || limitOf(t, a, "chaman", models.ToPakistan) != 500 {
			t.Error("a refused form changed a limit")
		}
		if n := countRows(t, a, &models.AuditEntry{}); n != audit {
			t.Errorf("refused forms wrote %d audit records", n-audit)
		}
	})
}

func TestAdminPagesAreForAdministratorsOnly(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "root", models.RoleAdmin)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		createAccount(t, a, "sana", models.RoleSupervisor, "chaman")
		torkham := crossingPath(crossingID(t, a, "torkham"))
		coal := categoryPath(categoryByCode(t, a, "coal").ID)
		pages := []string{"/admin/crossings", "/admin/crossings/new", torkham, "/admin/categories", "/admin/categories/new", coal,
			"/admin/limits", "/admin/audit"}
		posts := []struct {
			path string
			form url.Values
		}{
			{"/admin/crossings", ghulamKhan()},
			{torkham, with(ghulamKhan(), "name", "Taken over")},
			{"/admin/categories", pineNuts()},
			{coal, with(pineNuts(), "name", "Taken over")},
			{"/admin/limits", url.Values{"max.torkham.to_pakistan": {"5"}}},
		}
		written := func() int64 {
			return countRows(t, a, &models.AuditEntry{}) + countRows(t, a, &models.Crossing{}) + countRows(t, a, &models.CargoCategory{})
		}
		before := written()
		for _, name := range []string{"gul.khan", "sana"} {
			b := signIn(t, a, name, testPassword)
			for _, path := range pages {
				if rec := b.get(path); rec.Code != http.StatusForbidden {
					t.Errorf("%s GET %s = %d, want 403", name, path, rec.Code)
				}
			}
			b.get("/staff") // a page of theirs, for a valid CSRF token
			for _, p := range posts {
				if rec := b.post(p.path, p.form); rec.Code != http.StatusForbidden {
					t.Errorf("%s POST %s = %d, want 403", name, p.path, rec.Code)
				}
			}
			if links := page(t, b.get("/staff")).Find(`a[href^="/admin/"]`).Length(); links != 0 {
				t.Errorf("%s's home links %d administrator pages", name, links)
			}
		}
		if got := written(); got != before {
			t.Errorf("refused requests wrote %d rows", got-before)
		}
		if limitOf(t, a, "torkham", models.ToPakistan) != 1000 {
			t.Error("a refused request changed a limit")
		}

		admin := signIn(t, a, "root", testPassword)
		for _, path := range pages {
			if rec := admin.get(path); rec.Code != http.StatusOK {
				t.Errorf("admin GET %s = %d", path, rec.Code)
			}
		}
		home := page(t, admin.get("/staff"))
		for _, path := range []string{"/admin/crossings", "/admin/categories", "/admin/limits", "/admin/audit"} {
			if home.Find(`a[href="`+path+`"]`).Length() != 1 {
				t.Errorf("the staff home does not link %s", path)
			}
		}
		// Without the CSRF token, or with a forged one: refused, nothing written.
		for _, token := range []string{"", "forged"} {
			for _, p := range posts {
				form := with(p.form, "_csrf", token)
				if rec := admin.post(p.path, form); rec.Code != http.StatusForbidden {
					t.Errorf("admin POST %s with CSRF token %q = %d, want 403", p.path, token, rec.Code)
				}
			}
		}
		if got := written(); got != before {
			t.Errorf("requests without a valid CSRF token wrote %d rows", got-before)
		}
		if limitOf(t, a, "torkham", models.ToPakistan) != 1000 {
			t.Error("a request without a valid CSRF token changed a limit")
		}
		// Unknown or malformed IDs are not found.
		for _, path := range []string{"/admin/crossings/999999", "/admin/crossings/x", "/admin/categories/0"} {
			if rec := admin.get(path); rec.Code != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 404", path, rec.Code)
			}
		}
	})
}
