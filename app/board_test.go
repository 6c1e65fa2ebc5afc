package app

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"borderflow/models"
	"borderflow/models/testdb"
)

// boardFixture stores, as of now (12:00 PKT on 27 Nov 2026): Torkham closed
// for security 3 days 4 hours ago with a closure scheduled for later, and
// figures for today, yesterday and three weeks ago; Chaman restricted
// three days ago with no figures since.
func boardFixture(t *testing.T, a *App) time.Time {
	t.Helper()
	ctx := context.Background()
	db := a.DB()
	crossing := func(slug string) int64 {
		c, err := models.CrossingBySlug(ctx, db, slug)
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	torkham, chaman := crossing("torkham"), crossing("chaman")
	categories, _ := models.CargoCategories(ctx, db)
	category := map[string]int64{}
	for _, c := range categories {
		category[c.Code] = c.ID
	}
	pkt := time.FixedZone("PKT", 5*3600)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, pkt)
	a.now = func() time.Time { return now }
	security, holiday, protest := models.ReasonSecurity, models.ReasonHoliday, models.ReasonProtest
	humanitarian := models.ScopeHumanitarianOnly
	closedAt := now.Add(-(3*24 + 4) * time.Hour)
	changes := []models.StatusChange{
		{CrossingID: torkham, State: models.StateOpen, EffectiveAt: now.AddDate(0, 0, -30), RecordedAt: now.AddDate(0, 0, -30), Source: "form"},
		{CrossingID: torkham, State: models.StateClosed, Reason: &security, Note: "Firing near the gate", EffectiveAt: closedAt, RecordedAt: closedAt.Add(10 * time.Minute), Source: "form"},
		// Recorded in advance, not yet in effect: the board must ignore it.
		{CrossingID: torkham, State: models.StateClosed, Reason: &holiday, EffectiveAt: now.Add(48 * time.Hour), RecordedAt: now.Add(-time.Hour), Source: "form"},
		{CrossingID: chaman, State: models.StateRestricted, Scope: &humanitarian, Reason: &protest, EffectiveAt: now.AddDate(0, 0, -3), RecordedAt: now.AddDate(0, 0, -3), Source: "form"},
	}
	if err := db.Create(&changes).Error; err != nil {
		t.Fatal(err)
	}
	today := models.NewDate(2026, 11, 27)
	entered := now.Add(-2 * time.Hour)
	figure := func(day models.Date, dir models.Direction, code string, trucks int) models.DailyFigure {
		return models.DailyFigure{CrossingID: torkham, Day: day, Direction: dir, CategoryID: category[code],
			Regime: models.RegimeBilateral, Trucks: trucks, Source: "form", CreatedAt: entered, UpdatedAt: entered}
	}
	figures := []models.DailyFigure{
		figure(today.AddDays(-21), models.ToAfghanistan, "cement", 999),
		figure(today.AddDays(-1), models.ToAfghanistan, "cement", 1200),
		figure(today.AddDays(-1), models.ToAfghanistan, "medicine", 6),
		figure(today.AddDays(-1), models.ToPakistan, "coal", 120),
		// Empty trucks are never counted as loaded.
		figure(today.AddDays(-1), models.ToPakistan, "empty", 300),
		figure(today, models.ToAfghanistan, "cement", 40),
	}
	if err := db.Create(&figures).Error; err != nil {
		t.Fatal(err)
	}
	return now
}

func TestBoardShowsStatusSinceReasonAndRecentCounts(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		boardFixture(t, a)
		rec := get(t, a, "/")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET / = %d", rec.Code)
		}
		doc := page(t, rec)
		card := doc.Find("#crossing-torkham")
		checks := map[string]string{
			".state-word": "Closed",
			".since":      "since 24 Nov 2026, 08:00 PKT · for 3 days 4 hours",
			".reason":     "Reason: security incident",
			".note":       "Firing near the gate",
			".updated":    "Last updated 27 Nov 2026, 10:00 PKT · by the Torkham customs office",
		}
		for sel, want := range checks {
			if got := strings.TrimSpace(card.Find(sel).Text()); got != want {
				t.Errorf("torkham %s = %q, want %q", sel, got, want)
			}
		}
		cells := card.Find("table.counts tbody td").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
		want := []string{
			"40 loaded trucks", "1,206 loaded trucks", // to Afghanistan: today, yesterday
			"0 loaded trucks", "120 loaded trucks", // to Pakistan
			"40 loaded trucks", "1,326 loaded trucks", // total
		}
		if strings.Join(cells, "|") != strings.Join(want, "|") {
			t.Errorf("torkham counts = %q, want %q", cells, want)
		}
		if card.Find(".stale").Length() != 0 {
			t.Error("torkham was updated 2 hours ago but is flagged stale")
		}
		// The sparkline: 14 days, today and yesterday drawn, the rest marked unreported.
		if n, unreported := card.Find(".sparkline svg > g > rect").Length(), card.Find(".sparkline rect.unreported").Length(); n != 14 || unreported != 12 {
			t.Errorf("sparkline has %d bars with %d unreported, want 14 with 12", n, unreported)
		}
		if !card.HasClass("state-closed") {
			t.Error("torkham card lacks the state-closed class")
		}

		chaman := doc.Find("#crossing-chaman")
		if got := strings.TrimSpace(chaman.Find(".status").Text()); got != "Restricted humanitarian cargo only" {
			t.Errorf("chaman status = %q", got)
		}
		if got := strings.TrimSpace(chaman.Find(".stale").Text()); got != "No update for 3 days: this may be out of date." {
			t.Errorf("chaman, silent for 3 days, stale warning = %q", got)
		}
		if got := chaman.Find("table.counts tbody td").First().Text(); got != "no report yet" {
			t.Errorf("chaman without figures shows %q, want not reported (never zero)", got)
		}
		if lang, _ := doc.Find("html").Attr("lang"); lang != "en" {
			t.Errorf("html lang = %q", lang)
		}
	})
}

// TestBoardRevalidationAndInvalidation: a browser's revalidation gets 304
// while nothing changed, and the new page as soon as a write invalidates.
func TestBoardRevalidationAndInvalidation(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		boardFixture(t, a)
		first := get(t, a, "/")
		etag, lastModified := first.Header().Get("ETag"), first.Header().Get("Last-Modified")
		if etag == "" || lastModified != "Fri, 27 Nov 2026 05:00:00 GMT" {
			t.Fatalf("ETag %q, Last-Modified %q (want the newest record, 10:00 PKT)", etag, lastModified)
		}
		if rec := get(t, a, "/", "If-None-Match", etag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
			t.Errorf("matching If-None-Match = %d with %d bytes, want an empty 304", rec.Code, rec.Body.Len())
		}
		if rec := get(t, a, "/", "If-Modified-Since", lastModified); rec.Code != http.StatusNotModified {
			t.Errorf("If-Modified-Since = %d, want 304", rec.Code)
		}
		for _, absurd := range []string{strings.Repeat("x", 8000), `"`, "W/", "*,*,*", `"abc", W/"def"`} {
			rec := get(t, a, "/", "If-None-Match", absurd)
			if absurd == "*,*,*" {
				continue // "*" matches any current representation
			}
			if rec.Code != http.StatusOK {
				t.Errorf("If-None-Match %.20q = %d, want 200", absurd, rec.Code)
			}
		}
		gz := get(t, a, "/", "Accept-Encoding", "gzip")
		if gz.Header().Get("Content-Encoding") != "gzip" || gz.Body.Len() >= first.Body.Len() {
			t.Errorf("gzip: encoding %q, %d bytes vs %d plain", gz.Header().Get("Content-Encoding"), gz.Body.Len(), first.Body.Len())
		}

		// Reopen Torkham: after invalidation the board says so at once.
		c, _ := models.CrossingBySlug(context.Background(), a.DB(), "torkham")
		reopen := models.StatusChange{CrossingID: c.ID, State: models.StateOpen, EffectiveAt: a.now().Add(-time.Minute), RecordedAt: a.now(), Source: "form"}
		if err := a.DB().Create(&reopen).Error; err != nil {
			t.Fatal(err)
		}
		if rec := get(t, a, "/"); !strings.Contains(rec.Body.String(), ">Closed<") {
			t.Error("within its lifetime the cached page should still be served until a write invalidates it")
		}
		a.pages.invalidate()
		rec := get(t, a, "/", "If-None-Match", etag)
		if rec.Code != http.StatusOK {
			t.Fatalf("after the change, the old ETag still got %d", rec.Code)
		}
		if got := page(t, rec).Find("#crossing-torkham .state-word").Text(); got != "Open" {
			t.Errorf("after reopening the board shows %q", got)
		}
	})
}
