package jobs

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

// TestStaleDataMarksOverdueStatusAndMissingFigures: at 15:00 in Karachi,
// Torkham is up to date, Chaman's status was last recorded 40 hours ago,
// and Ghulam Khan has no figures for yesterday.
func TestStaleDataMarksOverdueStatusAndMissingFigures(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
		yesterday := models.NewDate(2026, 11, 26)
		ghulam := models.Crossing{Slug: "ghulam-khan", Name: "Ghulam Khan", AfghanSide: "Gurbuz", Province: "Khyber Pakhtunkhwa",
			TimeZone: "Asia/Karachi", RecordsFrom: models.NewDate(2020, 1, 1), SortOrder: 3, Active: true}
		if err := db.Create(&ghulam).Error; err != nil {
			t.Fatal(err)
		}
		ids := map[string]int64{"ghulam-khan": ghulam.ID}
		for _, slug := range []string{"torkham", "chaman"} {
			c, err := models.CrossingBySlug(t.Context(), db, slug)
			if err != nil {
				t.Fatal(err)
			}
			ids[slug] = c.ID
		}
		categories, err := models.CargoCategories(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		addStatus := func(slug string, recorded time.Time) {
			s := models.StatusChange{CrossingID: ids[slug], State: models.StateOpen, EffectiveAt: recorded, RecordedAt: recorded, Source: "form"}
			if err := db.Create(&s).Error; err != nil {
				t.Fatal(err)
			}
		}
		addFigures := func(slug string, day models.Date) {
			f := models.DailyFigure{CrossingID: ids[slug], Day: day, Direction: models.ToPakistan, CategoryID: categories[0].ID,
				Regime: models.RegimeBilateral, Trucks: 12, Source: "form"}
			if err := db.Create(&f).Error; err != nil {
				t.Fatal(err)
			}
		}
		addStatus("torkham", now.Add(-time.Hour))
		addStatus("chaman", now.Add(-40*time.Hour))
		addStatus("ghulam-khan", now.Add(-2*time.Hour))
		addFigures("torkham", yesterday)
		addFigures("chaman", yesterday)
		addFigures("ghulam-khan", yesterday.AddDays(-1))

		s := testScheduler(t, db)
		job, _ := s.Job("stale-data")
		run, err := s.RunScheduled(job, now)
		if err != nil || run.RowsWritten != 3 {
			t.Fatalf("stale-data = %+v, %v; want a mark for each of 3 crossings", run, err)
		}
		marks, err := models.StaleMarks(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][2]bool{"torkham": {false, false}, "chaman": {true, false}, "ghulam-khan": {false, true}}
		for slug, w := range want {
			m := marks[ids[slug]]
			if m.StatusOverdue != w[0] || m.FiguresOverdue != w[1] || m.FiguresDay != yesterday || !m.ComputedAt.Equal(now) {
				t.Errorf("%s: mark %+v, want status overdue %v, figures of %s overdue %v", slug, m, w[0], yesterday, w[1])
			}
		}
		if r := marks[ids["chaman"]].StatusRecordedAt; r == nil || !r.Equal(now.Add(-40*time.Hour)) {
			t.Errorf("Chaman's mark says the status was recorded at %v", r)
		}

		// Figures arrive and Chaman confirms its status: the next run clears the marks.
		addFigures("ghulam-khan", yesterday)
		addStatus("chaman", now.Add(30*time.Minute))
		if _, err := s.RunScheduled(job, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		marks, _ = models.StaleMarks(t.Context(), db)
		for slug, id := range ids {
			if marks[id].Overdue() {
				t.Errorf("%s still overdue after the next run: %+v", slug, marks[id])
			}
		}
		if len(marks) != 3 {
			t.Errorf("%d marks after the second run, want 3 (replaced, not added)", len(marks))
		}
	})
}
