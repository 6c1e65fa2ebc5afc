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

func TestBoardShowsStatusSinceReasonAndLatestCounts(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		ctx := context.Background()
		db := a.DB()
		torkham, err := models.CrossingBySlug(ctx, db, "torkham")
		if err != nil {
			t.Fatal(err)
		}
		categories, _ := models.CargoCategories(ctx, db)
		byCode := map[string]int64{}
		for _, c := range categories {
			byCode[c.Code] = c.ID
		}
		pkt := time.FixedZone("PKT", 5*3600)
		now := time.Date(2026, 11, 27, 12, 0, 0, 0, pkt)
		a.now = func() time.Time { return now }
		reason, future := models.ReasonSecurity, models.ReasonHoliday
		changes := []models.StatusChange{
			{CrossingID: torkham.ID, State: models.StateOpen, EffectiveAt: now.Add(-30 * 24 * time.Hour), Source: "seed"},
			{CrossingID: torkham.ID, State: models.StateClosed, Reason: &reason, Note: "Firing near the gate", EffectiveAt: now.Add(-(3*24 + 4) * time.Hour), Source: "form"},
			// Recorded in advance, not yet in effect: the board must ignore it.
			{CrossingID: torkham.ID, State: models.StateClosed, Reason: &future, EffectiveAt: now.Add(48 * time.Hour), Source: "form"},
		}
		if err := db.Create(&changes).Error; err != nil {
			t.Fatal(err)
		}
		day := models.NewDate(2026, 11, 23)
		figures := []models.DailyFigure{
			{CrossingID: torkham.ID, Day: day.AddDays(-1), Direction: models.ToAfghanistan, CategoryID: byCode["cement"], Regime: models.RegimeBilateral, Trucks: 999, Source: "form"},
			{CrossingID: torkham.ID, Day: day, Direction: models.ToAfghanistan, CategoryID: byCode["cement"], Regime: models.RegimeBilateral, Trucks: 1200, Source: "form"},
			{CrossingID: torkham.ID, Day: day, Direction: models.ToAfghanistan, CategoryID: byCode["medicine"], Regime: models.RegimeBilateral, Trucks: 6, Source: "form"},
			{CrossingID: torkham.ID, Day: day, Direction: models.ToPakistan, CategoryID: byCode["coal"], Regime: models.RegimeBilateral, Trucks: 120, Source: "form"},
			// Empty trucks are never counted as loaded.
			{CrossingID: torkham.ID, Day: day, Direction: models.ToPakistan, CategoryID: byCode["empty"], Regime: models.RegimeBilateral, Trucks: 300, Source: "form"},
		}
		if err := db.Create(&figures).Error; err != nil {
			t.Fatal(err)
		}

		rec := get(t, a, "/")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET / = %d", rec.Code)
		}
		doc := page(t, rec)
		card := doc.Find("#crossing-torkham")
		checks := map[string]string{
			".state-word": "Closed",
			".since":      "since 24 Nov 2026, 08:00 PKT",
			".duration":   "for 3 days 4 hours",
			".reason":     "Reason: security incident",
			".note":       "Firing near the gate",
			"caption":     "Loaded trucks on 2026-11-23",
		}
		for sel, want := range checks {
			if got := strings.TrimSpace(card.Find(sel).Text()); got != want {
				t.Errorf("torkham %s = %q, want %q", sel, got, want)
			}
		}
		rows := card.Find("table.counts td").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
		want := []string{"1,206 loaded trucks", "120 loaded trucks", "1,326 loaded trucks"}
		if strings.Join(rows, "|") != strings.Join(want, "|") {
			t.Errorf("torkham counts = %q, want %q", rows, want)
		}
		if !card.HasClass("state-closed") {
			t.Error("torkham card lacks the state-closed class")
		}
		chaman := doc.Find("#crossing-chaman")
		if got := chaman.Find(".state-word").Text(); got != "Unknown" {
			t.Errorf("chaman with no status shows %q, want Unknown", got)
		}
		if got := strings.TrimSpace(chaman.Find(".no-figures").Text()); got != "No truck counts reported yet." {
			t.Errorf("chaman without figures shows %q", got)
		}
		if lang, _ := doc.Find("html").Attr("lang"); lang != "en" {
			t.Errorf("html lang = %q", lang)
		}
	})
}
