package app

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"borderflow/models"
	"borderflow/models/testdb"
)

// auditShown lists the records an audit page shows, as "action entity entity_id".
func auditShown(doc *goquery.Document) []string {
	var out []string
	doc.Find("section.audit-entry h2").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.Join(strings.Fields(strings.ReplaceAll(s.Text(), "·", " ")), " "))
	})
	return out
}

// auditIDs lists the record IDs an audit page shows, in order.
func auditIDs(t *testing.T, doc *goquery.Document) []int64 {
	t.Helper()
	var ids []int64
	doc.Find("section.audit-entry").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		n, err := strconv.ParseInt(strings.TrimPrefix(id, "audit-"), 10, 64)
		if err != nil {
			t.Fatalf("record id %q", id)
		}
		ids = append(ids, n)
	})
	return ids
}

func TestAuditBrowserFiltersAndShowsChanges(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "root", models.RoleAdmin)
		createAccount(t, a, "amina", models.RoleAdmin)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		root, amina := signIn(t, a, "root", testPassword), signIn(t, a, "amina", testPassword)
		root.submit("/admin/crossings/new", "/admin/crossings", ghulamKhan())
		edit := crossingPath(crossingID(t, a, "ghulam-khan"))
		if rec := amina.submit(edit, edit, with(ghulamKhan(), "hours", `<i>24 hours</i>`)); rec.Code != http.StatusSeeOther {
			t.Fatalf("edit: %d", rec.Code)
		}
		root.submit("/admin/limits", "/admin/limits", url.Values{"max.chaman.to_pakistan": {"450"}})
		status := "/staff/crossings/ghulam-khan/status"
		root.submit(status, status, url.Values{"state": {"closed"}, "reason": {"weather"}})
		officer := signIn(t, a, "gul.khan", testPassword)
		postEntry(officer, "torkham", entryDay(t, a, "torkham", -1), 0, typicalDay)

		today := a.now().In(a.cfg.TimeZone).Format(models.DateLayout)
		tomorrow := a.now().In(a.cfg.TimeZone).AddDate(0, 0, 1).Format(models.DateLayout)
		update := auditOf(t, a, "crossing", "ghulam-khan")[1]
		cases := []struct {
			query string
			want  []string
		}{
			{"entity=crossing", []string{"update crossing ghulam-khan", "create crossing ghulam-khan"}},
			{"entity=crossing&action=update", []string{"update crossing ghulam-khan"}},
			{"actor=amina", []string{"update crossing ghulam-khan"}},
			{"crossing=ghulam-khan", []string{"create status_change", "update crossing ghulam-khan", "create crossing ghulam-khan"}},
			{"crossing=chaman", []string{"update plausibility_limit chaman/to_pakistan"}},
			{"crossing=torkham&actor=gul.khan", []string{"create crossing_day torkham/" + entryDay(t, a, "torkham", -1).String()}},
			{"request_id=" + url.QueryEscape(update.RequestID), []string{"update crossing ghulam-khan"}},
			{"entity=crossing&from=" + today + "&to=" + today, []string{"update crossing ghulam-khan", "create crossing ghulam-khan"}},
			{"entity=crossing&from=" + tomorrow, nil},
		}
		for _, c := range cases {
			rec := root.get("/admin/audit?" + c.query)
			if rec.Code != http.StatusOK {
				t.Errorf("%s: %d", c.query, rec.Code)
				continue
			}
			doc := page(t, rec)
			got := auditShown(doc)
			// A status change is named by its number: compare what precedes it.
			for i := range got {
				if strings.HasPrefix(got[i], "create status_change") {
					got[i] = "create status_change"
				}
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("%s shows %q, want %q", c.query, got, c.want)
			}
			if len(c.want) == 0 && !strings.Contains(doc.Find("main").Text(), "No records match") {
				t.Errorf("%s: no message for an empty result", c.query)
			}
		}

		// The update shows each value before and after, the changed one
		// marked, markup as text.
		doc := page(t, root.get("/admin/audit?actor=amina"))
		entry := doc.Find("section.audit-entry").First()
		hours := entry.Find("tr.changed")
		if hours.Length() != 1 || hours.Find("th").Text() != "hours changed" {
			t.Fatalf("changed rows: %q", hours.Text())
		}
		if cells := texts(hours.Find("td")); len(cells) != 2 || cells[0] != "Trade 08:00–17:00" || cells[1] != "<i>24 hours</i>" {
			t.Errorf("hours before and after = %q", cells)
		}
		if strings.Contains(root.get("/admin/audit?actor=amina").Body.String(), "<i>24") {
			t.Error("a value's markup is not escaped")
		}
		if by := entry.Text(); !strings.Contains(by, "By amina") || !strings.Contains(by, "192.0.2.10") || !strings.Contains(by, update.RequestID) {
			t.Errorf("the record does not say who, from where and which request: %q", by)
		}
		if name := entry.Find(`tr:contains("name") td`).First().Text(); name != "Ghulam Khan" {
			t.Errorf("an unchanged value shows as %q", name)
		}
	})
}

func TestAuditBrowserRefusesBadFilters(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "root", models.RoleAdmin)
		admin := signIn(t, a, "root", testPassword)
		cases := []struct{ query, field, want string }{
			{"entity=" + url.QueryEscape(`<script>x</script>`), "entity", "lower-case word"},
			{"action=Update", "action", "lower-case word"},
			{"actor=" + url.QueryEscape("Root User"), "actor", "must be a user name"},
			{"crossing=wagah", "crossing", "“wagah” is not a crossing"},
			{"from=2026-02-30", "from", "not a date"},
			{"from=2026-03-02&to=2026-03-01", "to", "before the first day (2026-03-02)"},
			{"request_id=" + url.QueryEscape("a b"), "request_id", "without spaces"},
			{"before=-4", "before", "not a page of this log"},
		}
		for _, c := range cases {
			rec := admin.get("/admin/audit?" + c.query)
			if rec.Code != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", c.query, rec.Code)
				continue
			}
			doc := page(t, rec)
			if msg := doc.Find("#" + c.field + "-error").Text(); !strings.Contains(msg, c.want) {
				t.Errorf("%s: message %q, want %q", c.query, msg, c.want)
			}
			if doc.Find("section.audit-entry").Length() != 0 {
				t.Errorf("%s: records shown for a filter that cannot be used", c.query)
			}
		}
		doc := page(t, admin.get("/admin/audit?entity="+url.QueryEscape(`<script>x</script>`)))
		if v, _ := doc.Find("#entity").Attr("value"); v != `<script>x</script>` {
			t.Errorf("the filter lost what was typed: %q", v)
		}
		if strings.Contains(admin.get("/admin/audit?entity="+url.QueryEscape(`<script>x</script>`)).Body.String(), "<script>x") {
			t.Error("the typed filter is sent back unescaped")
		}
	})
}

func TestAuditBrowserPagesByID(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "root", models.RoleAdmin)
		admin := signIn(t, a, "root", testPassword)
		write := func(n int) {
			for i := range n {
				e := models.AuditEntry{Actor: "cli", Action: "import", Entity: "test_file", EntityID: strconv.Itoa(i)}
				if err := models.WriteAudit(a.db.WithContext(context.Background()), e); err != nil {
					t.Fatal(err)
				}
			}
		}
		write(120)
		seen := map[int64]bool{}
		var last int64
		next, pages := "/admin/audit?entity=test_file", 0
		for next != "" {
			doc := page(t, admin.get(next))
			ids := auditIDs(t, doc)
			for _, id := range ids {
				if seen[id] {
					t.Errorf("record %d shown twice", id)
				}
				if last != 0 && id >= last {
					t.Errorf("record %d after %d: not newest first", id, last)
				}
				seen[id], last = true, id
			}
			pages++
			if pages == 1 {
				if len(ids) != models.AuditPageSize || doc.Find(`a:contains("Newest")`).Length() != 0 {
					t.Errorf("first page: %d records", len(ids))
				}
				// Records written meanwhile do not move the later pages.
				write(3)
			} else if doc.Find(`a:contains("Newest")`).AttrOr("href", "") != "/admin/audit?entity=test_file" {
				t.Errorf("page %d has no link back to the newest", pages)
			}
			next = doc.Find(`a[rel="next"]`).AttrOr("href", "")
			if next != "" && !strings.Contains(next, "entity=test_file") {
				t.Errorf("the next page %q drops the filter", next)
			}
		}
		if pages != 3 || len(seen) != 120 {
			t.Errorf("%d pages, %d records; want 3 pages of the 120 first written", pages, len(seen))
		}
	})
}
