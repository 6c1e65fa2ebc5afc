package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"borderflow/models"
	"borderflow/models/testdb"
)

// An administrator changes Torkham's customs revenue and the rupee's rate:
// both are stored, audited with before and after, and the API's
// assumptions say so; a bad value is refused with the form refilled and
// nothing stored; an officer may not even see the page.
func TestAdminEditsCustomsRevenueAndExchangeRates(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, url_ string) {
		a := newTestApp(t, url_)
		createAccount(t, a, "root", models.RoleAdmin)
		createAccount(t, a, "wali", models.RoleOfficer, "torkham")
		if rec := signIn(t, a, "wali", testPassword).get("/admin/assumptions"); rec.Code != http.StatusForbidden {
			t.Errorf("an officer gets %d, want 403", rec.Code)
		}
		admin := signIn(t, a, "root", testPassword)
		form := page(t, admin.get("/admin/assumptions"))
		if v, _ := form.Find(`input[name="revenue.torkham"]`).Attr("value"); v != "178571.43" {
			t.Fatalf("Torkham's revenue shows as %q", v)
		}
		values := url.Values{"revenue.torkham": {"abc"}, "revenue_source.torkham": {"<b>Customs</b>"}, "rate.PKR": {"283.5"}, "rate_source.PKR": {"SBP"}, "rate_as_of.PKR": {"2026-11-20"}}
		rec := admin.post("/admin/assumptions", values)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "Customs revenue a day at torkham") {
			t.Fatalf("a bad value: %d", rec.Code)
		}
		if v, _ := page(t, rec).Find(`input[name="revenue.torkham"]`).Attr("value"); v != "abc" {
			t.Errorf("the form came back with %q", v)
		}
		values.Set("revenue.torkham", "۱۹۰۰۰۰")
		if rec := admin.post("/admin/assumptions", values); rec.Code != http.StatusSeeOther {
			t.Fatalf("saving: %d %s", rec.Code, excerpt(rec.Body.String(), "field-error"))
		}
		current, err := models.CurrentAssumptions(context.Background(), a.DB())
		if err != nil {
			t.Fatal(err)
		}
		if current.ExchangeRates["PKR"].UnitsPerUSD != 283.5 {
			t.Errorf("PKR rate %v", current.ExchangeRates["PKR"])
		}
		for _, c := range current.Crossings {
			if c.Slug == "torkham" && (c.CustomsRevenuePerDayUSD != 190000 || c.Source != "<b>Customs</b>") {
				t.Errorf("Torkham %+v", c)
			}
		}
		for entity, id := range map[string]string{"crossing_assumption": "torkham", "exchange_rate": "PKR"} {
			if entries := auditOf(t, a, entity, id); len(entries) != 1 || entries[0].Before == "" || entries[0].After == "" {
				t.Errorf("audit of %s %s: %+v", entity, id, entries)
			}
		}
		if html := admin.get("/admin/assumptions").Body.String(); !strings.Contains(html, `value="&lt;b&gt;Customs&lt;/b&gt;"`) {
			t.Error("the source typed as HTML is not shown escaped")
		}
	})
}
