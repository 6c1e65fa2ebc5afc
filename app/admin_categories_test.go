package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// pineNuts is the form of a new perishable-free category.
func pineNuts() url.Values {
	return url.Values{"code": {"pine_nuts"}, "name": {"Pine nuts"}, "usual_direction": {"to_pakistan"}, "loaded": {"1"},
		"value_per_truck_usd": {"90000"}, "holding_cost_usd_per_day": {"21"}, "shelf_life_days": {""},
		"daily_spoilage_rate": {"0"}, "assumption_source": {"5 t at about $18,000/t (traders, 2025)"}, "sort_order": {"20"}}
}

// categoryByCode finds a category by its code.
func categoryByCode(t *testing.T, a *App, code string) models.CargoCategory {
	t.Helper()
	var c models.CargoCategory
	if err := a.db.Where("code = ?", code).Take(&c).Error; err != nil {
		t.Fatalf("category %s: %v", code, err)
	}
	return c
}

func TestAdminAddsAndEditsCategoriesWithAudit(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		root := createAccount(t, a, "root", models.RoleAdmin)
		admin := signIn(t, a, "root", testPassword)
		rec := admin.submit("/admin/categories/new", "/admin/categories", pineNuts())
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/categories" {
			t.Fatalf("add: %d %s", rec.Code, excerpt(rec.Body.String(), "<main"))
		}
		row := page(t, admin.get("/admin/categories")).Find("tr:contains('Pine nuts')").Text()
		for _, want := range []string{"pine_nuts", "To Pakistan", "US$ 90000", "US$ 21", "5 t at about $18,000/t"} {
			if !strings.Contains(row, want) {
				t.Errorf("the list row %q lacks %q", row, want)
			}
		}
		c := categoryByCode(t, a, "pine_nuts")
		if c.ValuePerTruckUSD != 90000 || c.ShelfLifeDays != nil || !c.Loaded || c.Perishable {
			t.Errorf("stored %+v", c)
		}
		entries := auditOf(t, a, "cargo_category", "pine_nuts")
		if len(entries) != 1 || entries[0].Action != "create" || entries[0].Before != "" {
			t.Fatalf("audit = %+v", entries)
		}
		checkAuditedBy(t, entries[0], "root", root.ID)

		// Editing the assumptions of a seeded category: the code stays.
		produce := categoryByCode(t, a, "fresh_produce")
		edit := categoryPath(produce.ID)
		form := page(t, admin.get(edit))
		if v, _ := form.Find("#value_per_truck_usd").Attr("value"); v != "6000" {
			t.Errorf("the form shows the value as %q", v)
		}
		values := url.Values{"code": {"renamed"}, "name": {produce.Name}, "usual_direction": {"both"}, "loaded": {"1"}, "perishable": {"1"},
			"value_per_truck_usd": {"6500.50"}, "holding_cost_usd_per_day": {"25"}, "shelf_life_days": {"12"},
			"daily_spoilage_rate": {"0.1"}, "assumption_source": {"Dawn, 2026"}, "sort_order": {"1"}}
		edited := time.Now().UTC().Add(-time.Millisecond)
		if rec := admin.submit(edit, edit, values); rec.Code != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", rec.Code, excerpt(rec.Body.String(), "<main"))
		}
		after := categoryByCode(t, a, "fresh_produce")
		if after.ID != produce.ID || after.ValuePerTruckUSD != 6500.5 || *after.ShelfLifeDays != 12 || after.DailySpoilageRate != 0.1 ||
			!after.UpdatedAt.After(produce.UpdatedAt) {
			t.Errorf("after the edit %+v (before %+v)", after, produce)
		}
		entries = auditOf(t, a, "cargo_category", "fresh_produce")
		if len(entries) != 1 || entries[0].Action != "update" {
			t.Fatalf("audit = %+v", entries)
		}
		b, af := auditValues(t, entries[0].Before), auditValues(t, entries[0].After)
		if b["value_per_truck_usd"] != 6000.0 || af["value_per_truck_usd"] != 6500.5 || b["shelf_life_days"] != 10.0 || af["shelf_life_days"] != 12.0 {
			t.Errorf("audit before %v after %v", b, af)
		}
		if page(t, admin.get("/admin/categories")).Find(`form[action*="delete"], button:contains("Delete")`).Length() != 0 {
			t.Error("the categories page offers to delete")
		}
		// The estimates are recomputed with the new assumptions at once, by
		// a run of the impact job recorded as the admin's.
		deadline := time.Now().Add(10 * time.Second)
		for {
			runs, err := models.RecentJobRuns(context.Background(), a.DB(), "impact", 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) == 1 && runs[0].Status == models.JobSucceeded && !runs[0].StartedAt.Before(edited) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no impact run started after the edit and finished: %+v", runs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

func TestCategoryFormRefusesImplausibleAssumptions(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "root", models.RoleAdmin)
		admin := signIn(t, a, "root", testPassword)
		script := `<script>alert("x")</script>`
		cases := []struct {
			name  string
			form  url.Values
			field string
			want  string
		}{
			{"bad code", with(pineNuts(), "code", "Pine Nuts"), "code", "lower-case letters, digits or underscores"},
			{"code taken", with(pineNuts(), "code", "coal"), "code", "“coal” already exists"},
			{"no name", with(pineNuts(), "name", ""), "name", "Name is required"},
			{"unknown direction", with(pineNuts(), "usual_direction", "sideways"), "usual_direction", "choose both ways"},
			{"negative value", with(pineNuts(), "value_per_truck_usd", "-1"), "value_per_truck_usd", "cannot be negative"},
			{"value too large", with(pineNuts(), "value_per_truck_usd", "90000000"), "value_per_truck_usd", "larger than 1,000,000"},
			{"value with commas", with(pineNuts(), "value_per_truck_usd", "90,000"), "value_per_truck_usd", "must be a number"},
			{"value in fractions of cents", with(pineNuts(), "value_per_truck_usd", "1.005"), "value_per_truck_usd", "at most 2 decimal places"},
			{"holding missing", with(pineNuts(), "holding_cost_usd_per_day", ""), "holding_cost_usd_per_day", "is required"},
			{"holding too large", with(pineNuts(), "holding_cost_usd_per_day", "20000"), "holding_cost_usd_per_day", "larger than 10,000"},
			{"perishable without shelf life", with(pineNuts(), "perishable", "1"), "shelf_life_days", "required for a perishable"},
			{"shelf life not perishable", with(pineNuts(), "shelf_life_days", "5"), "shelf_life_days", "only to a perishable"},
			{"shelf life too long", with(pineNuts(), "perishable", "1", "shelf_life_days", "400"), "shelf_life_days", "between 1 and 365"},
			{"shelf life not whole", with(pineNuts(), "perishable", "1", "shelf_life_days", "2.5"), "shelf_life_days", "whole number"},
			{"spoilage above one", with(pineNuts(), "perishable", "1", "shelf_life_days", "5", "daily_spoilage_rate", "8"), "daily_spoilage_rate", "share from 0 to 1"},
			{"empty trucks with value", without(pineNuts(), "loaded"), "value_per_truck_usd", "must be 0 for empty trucks"},
		}
		categories, audit := countRows(t, a, &models.CargoCategory{}), countRows(t, a, &models.AuditEntry{})
		for _, c := range cases {
			c.form.Set("assumption_source", script)
			rec := admin.submit("/admin/categories/new", "/admin/categories", c.form)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d, want 422", c.name, rec.Code)
				continue
			}
			doc := page(t, rec)
			if msg := doc.Find("#" + c.field + "-error").Text(); !strings.Contains(msg, c.want) {
				t.Errorf("%s: message for %s = %q, want %q", c.name, c.field, msg, c.want)
			}
			if v, _ := doc.Find("#value_per_truck_usd").Attr("value"); v != c.form.Get("value_per_truck_usd") {
				t.Errorf("%s: the form lost the value: %q", c.name, v)
			}
			if v := doc.Find("#assumption_source").Text(); v != script {
				t.Errorf("%s: the form lost the source: %q", c.name, v)
			}
			if strings.Contains(rec.Body.String(), script) {
				t.Errorf("%s: the typed markup is sent back unescaped", c.name)
			}
		}
		if n := countRows(t, a, &models.CargoCategory{}); n != categories {
			t.Errorf("refused forms created %d categories", n-categories)
		}
		if n := countRows(t, a, &models.AuditEntry{}); n != audit {
			t.Errorf("refused forms wrote %d audit records", n-audit)
		}
	})
}

func TestSaveCargoCategoryIsOneTransactionWithItsAudit(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		ctx := context.Background()
		coal := categoryByCode(t, a, "coal")
		in := models.CategoryInput{Name: "Coal", UsualDirection: "to_pakistan", Loaded: true, ValuePerTruckUSD: 4200, HoldingCostUSDPerDay: 21}
		// An audit record that cannot be written (its actor names no user)
		// takes the change down with it.
		ghost := int64(1 << 40)
		if _, err := models.SaveCargoCategory(ctx, a.db, coal.ID, in, models.Actor{UserID: &ghost, Name: "ghost"}, a.now()); err == nil {
			t.Fatal("a save whose audit record failed succeeded")
		}
		if got := categoryByCode(t, a, "coal"); got.ValuePerTruckUSD != coal.ValuePerTruckUSD {
			t.Errorf("the value changed to %v without its audit record", got.ValuePerTruckUSD)
		}
	})
}
