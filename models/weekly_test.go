package models_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

func TestParseISOWeek(t *testing.T) {
	cases := []struct {
		in       string
		code     string // "" when valid
		from, to string
	}{
		{"2026-W47", "", "2026-11-16", "2026-11-22"},
		{"2026-W01", "", "2025-12-29", "2026-01-04"},
		{"2026-W53", "", "2026-12-28", "2027-01-03"}, // 2026 starts on a Thursday: 53 weeks
		{"2025-W53", "week_range", "", ""},
		{"2026-W54", "week_range", "", ""},
		{"2026-W00", "week_range", "", ""},
		{"2026-47", "week_format", "", ""},
		{"2026-W4", "week_format", "", ""},
		{"", "week_format", "", ""},
	}
	for _, c := range cases {
		w, err := models.ParseISOWeek(c.in)
		var ve *models.ValidationError
		switch {
		case c.code == "" && err != nil:
			t.Errorf("ParseISOWeek(%q): %v", c.in, err)
		case c.code != "" && (!errors.As(err, &ve) || ve.Fields[0].Code != c.code):
			t.Errorf("ParseISOWeek(%q) = %v, want %s", c.in, err, c.code)
		case c.code == "":
			if r := w.Range(); r.From.String() != c.from || r.To.String() != c.to || w.String() != c.in {
				t.Errorf("%s = %s %s to %s, want %s to %s", c.in, w, r.From, r.To, c.from, c.to)
			}
		}
	}
	loc, _ := time.LoadLocation("Asia/Karachi")
	// Monday 23 November 2026, 00:30 in Karachi: week 47 is over, 48 has begun.
	now := time.Date(2026, 11, 23, 0, 30, 0, 0, loc)
	if got := models.LastCompleteWeek(now, loc); got.String() != "2026-W47" {
		t.Errorf("last complete week = %s", got)
	}
	for _, w := range []string{"2026-W48", "2027-W02"} {
		week, _ := models.ParseISOWeek(w)
		if err := models.CheckWeekOver(week, now, loc); err == nil {
			t.Errorf("%s is not over at %s, yet accepted", w, now)
		}
	}
}

// testLanguage stands in for a message catalog in models' tests: a message is
// its ID unless messages has it; eastern writes Extended Arabic-Indic digits.
type testLanguage struct {
	tag      string
	rtl      bool
	eastern  bool
	messages map[string]string
}

func (l testLanguage) Lang() string      { return l.tag }
func (l testLanguage) RightToLeft() bool { return l.rtl }

func (l testLanguage) CategoryName(code, name string) string {
	if m, ok := l.messages["category_name."+code]; ok {
		return m
	}
	return name
}

func (l testLanguage) T(id string, args ...any) string {
	if m, ok := l.messages[id]; ok {
		return m
	}
	return id
}

var easternDigits = strings.NewReplacer("0", "۰", "1", "۱", "2", "۲", "3", "۳", "4", "۴", "5", "۵", "6", "۶", "7", "۷", "8", "۸", "9", "۹")

func (l testLanguage) Digits(s string) string {
	if l.eastern {
		return easternDigits.Replace(s)
	}
	return s
}

// reportOptions writes the PDF and XLSX in English and Pashto.
func reportOptions() models.ReportOptions {
	return models.ReportOptions{License: models.DefaultReportLicense, Citation: models.DefaultReportCitation,
		Location: time.UTC, Languages: []models.ReportLanguage{testLanguage{tag: "en"}, testLanguage{tag: "ps", rtl: true, eastern: true}}}
}

// loadDemoWeeks stores demo data for the six weeks before now.
func loadDemoWeeks(t *testing.T, db *gorm.DB, now time.Time) {
	t.Helper()
	if _, err := models.LoadDemo(context.Background(), db, models.DemoOptions{
		Days: 60, End: models.DateOf(now, time.UTC).AddDays(-1), Now: now, Seed: 3}); err != nil {
		t.Fatal(err)
	}
}

// TestPublishedRevisionNeverChanges publishes a week, publishes it again
// unchanged (nothing is written), then corrects a figure and publishes:
// revision 1 is byte for byte what it was, with the same checksum, in
// every format and language, and revision 2 lists the change.
func TestPublishedRevisionNeverChanges(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		loadDemoWeeks(t, db, now)
		week, _ := models.ParseISOWeek("2026-W47")
		n, err := models.PublishWeeklySummaries(ctx, db, week, now, reportOptions())
		if err != nil {
			t.Fatal(err)
		}
		// The summary, then for all crossings and for each of the two the
		// CSV and JSON once, the PDF and XLSX in English and Pashto.
		if n != 1+(2+2*2)*3 {
			t.Errorf("first publication wrote %d rows, want 19", n)
		}
		first, err := models.FindWeeklySummaryFile(ctx, db, week, 0, "", "csv", "ps")
		if err != nil {
			t.Fatal(err)
		}
		type fileKey struct{ crossing, format, lang string }
		firstFiles := map[fileKey]models.StoredSummaryFile{}
		for _, crossing := range []string{"", "torkham"} {
			for _, format := range []string{"pdf", "xlsx"} {
				for _, lang := range []string{"en", "ps"} {
					f, err := models.FindWeeklySummaryFile(ctx, db, week, 0, crossing, format, lang)
					if err != nil || f.Lang != lang {
						t.Fatalf("the %s %s of %q: %v (lang %q)", lang, format, crossing, err, f.Lang)
					}
					firstFiles[fileKey{crossing, format, lang}] = f
				}
			}
		}
		if firstFiles[fileKey{"", "pdf", "en"}].SHA256 == firstFiles[fileKey{"", "pdf", "ps"}].SHA256 {
			t.Error("the Pashto PDF is the English one")
		}
		if n, err := models.PublishWeeklySummaries(ctx, db, week, now.Add(time.Hour), reportOptions()); err != nil || n != 0 {
			t.Fatalf("publishing an unchanged week wrote %d rows (%v), want none", n, err)
		}

		// A supervisor corrects Torkham's Wednesday.
		torkham, _ := models.CrossingBySlug(ctx, db, "torkham")
		day := models.NewDate(2026, 11, 18)
		res := db.Exec(`UPDATE daily_figures SET trucks = trucks + 7 WHERE id = (SELECT MIN(f.id) FROM daily_figures f
			JOIN cargo_categories c ON c.id = f.category_id WHERE f.crossing_id = ? AND f.day = ? AND f.direction = 'to_afghanistan' AND c.loaded)`,
			torkham.ID, day)
		if res.Error != nil || res.RowsAffected != 1 {
			t.Fatalf("correct a figure: %v (%d rows)", res.Error, res.RowsAffected)
		}
		if n, err := models.PublishWeeklySummaries(ctx, db, week, now.Add(2*time.Hour), reportOptions()); err != nil || n == 0 {
			t.Fatalf("publishing a changed week wrote %d rows (%v)", n, err)
		}
		again, err := models.FindWeeklySummaryFile(ctx, db, week, 1, "", "csv", "")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Content, first.Content) || again.SHA256 != first.SHA256 || again.Revision != 1 {
			t.Error("revision 1 changed after revision 2 was published")
		}
		for k, f := range firstFiles {
			again, err := models.FindWeeklySummaryFile(ctx, db, week, 1, k.crossing, k.format, k.lang)
			if err != nil || !bytes.Equal(again.Content, f.Content) || again.SHA256 != f.SHA256 {
				t.Errorf("revision 1's %s %s of %q changed after revision 2 was published (%v)", k.lang, k.format, k.crossing, err)
			}
			latest, err := models.FindWeeklySummaryFile(ctx, db, week, 2, k.crossing, k.format, k.lang)
			if err != nil || latest.SHA256 == f.SHA256 {
				t.Errorf("revision 2's %s %s of %q: %v, or the same checksum as revision 1", k.lang, k.format, k.crossing, err)
			}
		}
		latest, err := models.FindWeeklySummaryFile(ctx, db, week, 0, "", "csv", "")
		if err != nil || latest.Revision != 2 || latest.SHA256 == first.SHA256 {
			t.Fatalf("latest = revision %d (%v), want 2 with another checksum", latest.Revision, err)
		}
		revisions, err := models.WeeklySummaryRevisions(ctx, db, week)
		if err != nil || len(revisions) != 2 {
			t.Fatalf("revisions = %d (%v)", len(revisions), err)
		}
		changes := revisions[0].ParsedChanges()
		if !slices.ContainsFunc(changes, func(c models.SummaryChange) bool {
			return c.Crossing == "torkham" && c.Date == "2026-11-18" && c.Field == "to_afghanistan"
		}) {
			t.Errorf("revision 2 does not list the corrected day: %+v", changes)
		}
		if len(revisions[1].ParsedChanges()) != 0 {
			t.Errorf("revision 1 lists changes: %s", revisions[1].Changes)
		}

		// The database itself refuses to alter or remove a published revision.
		for _, stmt := range []string{
			"UPDATE weekly_summaries SET data = '{}' WHERE revision = 1",
			"DELETE FROM weekly_summaries WHERE revision = 1",
			"UPDATE weekly_summary_files SET sha256 = sha256",
			"UPDATE weekly_summary_files SET content = content WHERE lang = 'ps'",
			"DELETE FROM weekly_summary_files",
			"DELETE FROM weekly_summary_files WHERE format = 'pdf' AND lang = 'ps'",
		} {
			if err := db.Exec(stmt).Error; err == nil || !strings.Contains(err.Error(), "never changes") {
				t.Errorf("%s: %v, want refused", stmt, err)
			}
		}
		_, err = models.FindWeeklySummaryFile(ctx, db, week, 3, "", "csv", "")
		if !errors.Is(err, models.ErrNoSuchRevision) {
			t.Errorf("revision 3: %v, want ErrNoSuchRevision", err)
		}
	})
}

// TestWeekWithoutDataSaysSo publishes a week before any record: every file
// exists and says there is no data.
func TestWeekWithoutDataSaysSo(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		week, _ := models.ParseISOWeek("2026-W10")
		if _, err := models.PublishWeeklySummaries(ctx, db, week, now, reportOptions()); err != nil {
			t.Fatal(err)
		}
		for _, format := range models.ReportFormats {
			f, err := models.FindWeeklySummaryFile(ctx, db, week, 0, "", format, "ps")
			if err != nil || len(f.Content) == 0 {
				t.Fatalf("%s: %v (%d bytes)", format, err, len(f.Content))
			}
		}
		f, _ := models.FindWeeklySummaryFile(ctx, db, week, 0, "", "json", "")
		var s models.WeeklySummary
		if err := json.Unmarshal(f.Content, &s); err != nil || s.HasData || len(s.Crossings) != 2 {
			t.Errorf("summary of an empty week: has_data %v, %d crossings (%v)", s.HasData, len(s.Crossings), err)
		}
		csv, _ := models.FindWeeklySummaryFile(ctx, db, week, 0, "", "csv", "")
		if !strings.Contains(string(csv.Content), "no_data,") {
			t.Errorf("the CSV of an empty week does not say so:\n%s", csv.Content)
		}
	})
}

// TestSummaryCarriesStoredClosureCosts closes Torkham for two days of week
// 47, runs the loss model over the period, and finds its stored episode in
// the summary with the costs as a range; before the model ran, the summary
// says the costs are not yet computed.
func TestSummaryCarriesStoredClosureCosts(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		loadDemoWeeks(t, db, now)
		torkham, _ := models.CrossingBySlug(ctx, db, "torkham")
		security := models.ReasonSecurity
		for _, in := range []models.StatusInput{
			{CrossingID: torkham.ID, State: models.StateClosed, Reason: &security, EffectiveAt: time.Date(2026, 11, 17, 1, 0, 0, 0, time.UTC), AllowOldBackdate: true},
			{CrossingID: torkham.ID, State: models.StateOpen, EffectiveAt: time.Date(2026, 11, 19, 1, 0, 0, 0, time.UTC), AllowOldBackdate: true},
		} {
			if _, err := models.RecordStatusChange(ctx, db, models.Actor{Name: "test"}, in, now); err != nil {
				t.Fatal(err)
			}
		}
		week, _ := models.ParseISOWeek("2026-W47")
		before, err := models.BuildWeeklySummary(ctx, db, week, now)
		if err != nil {
			t.Fatal(err)
		}
		if c := before.Crossings[0]; c.CostsStatus != models.CostsNotComputed || c.Totals.HoursClosed != 48 {
			t.Fatalf("before the model ran: costs %s, %v hours closed", c.CostsStatus, c.Totals.HoursClosed)
		}
		if _, err := models.RecomputeImpactAsOf(ctx, db, models.Date{}, models.Date{}, now); err != nil {
			t.Fatal(err)
		}
		after, err := models.BuildWeeklySummary(ctx, db, week, now)
		if err != nil {
			t.Fatal(err)
		}
		c := after.Crossings[0]
		i := slices.IndexFunc(c.Closures, func(e models.ClosureWeek) bool { return e.Start.String() == "2026-11-17" })
		if c.CostsStatus != models.CostsComputed || i < 0 {
			t.Fatalf("after the model ran: costs %s, closures %+v", c.CostsStatus, c.Closures)
		}
		e := c.Closures[i]
		if e.TradeValueForegoneUSD == nil || !(e.TradeValueForegoneUSD.Low <= e.TradeValueForegoneUSD.Central &&
			e.TradeValueForegoneUSD.Central <= e.TradeValueForegoneUSD.High) || e.TradeValueForegoneUSD.Central <= 0 {
			t.Errorf("the episode's value foregone is not a range: %+v", e.TradeValueForegoneUSD)
		}
		if e.ModelVersion != after.ModelVersion || len(after.Assumptions.ExchangeRates) == 0 {
			t.Errorf("model version %q / %q, %d exchange rates", e.ModelVersion, after.ModelVersion, len(after.Assumptions.ExchangeRates))
		}
	})
}

// TestFilesPublishedBeforeLanguagesAreEnglish takes the schema back to
// before the files had a language, as a database published then is, and
// migrates it again: its PDF and XLSX are English and unchanged, its CSV
// and JSON language-neutral, another language is told which it has, and
// the files still cannot be changed.
func TestFilesPublishedBeforeLanguagesAreEnglish(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		loadDemoWeeks(t, db, now)
		week, _ := models.ParseISOWeek("2026-W47")
		if _, err := models.PublishWeeklySummaries(ctx, db, week, now, reportOptions()); err != nil {
			t.Fatal(err)
		}
		before, err := models.FindWeeklySummaryFile(ctx, db, week, 0, "torkham", "pdf", "en")
		if err != nil {
			t.Fatal(err)
		}
		if err := models.MigrateDownTo(ctx, db, 11); err != nil {
			t.Fatalf("migrate down to 11: %v", err)
		}
		var n int64
		if err := db.Raw("SELECT count(*) FROM weekly_summary_files").Scan(&n).Error; err != nil || n != 3*4 {
			t.Fatalf("before languages: %d files (%v), want 12: one a format for all crossings and each of two", n, err)
		}
		if err := models.Migrate(ctx, db, nil); err != nil {
			t.Fatalf("migrate up again: %v", err)
		}
		after, err := models.FindWeeklySummaryFile(ctx, db, week, 0, "torkham", "pdf", "en")
		if err != nil || after.SHA256 != before.SHA256 || !bytes.Equal(after.Content, before.Content) {
			t.Errorf("the English PDF after the migration: %v, or changed", err)
		}
		for _, format := range []string{"csv", "json"} {
			if f, err := models.FindWeeklySummaryFile(ctx, db, week, 0, "", format, "ps"); err != nil || f.Lang != "" {
				t.Errorf("the %s after the migration: lang %q (%v), want language-neutral", format, f.Lang, err)
			}
		}
		_, err = models.FindWeeklySummaryFile(ctx, db, week, 0, "", "xlsx", "ps")
		var notIn *models.NotInLanguageError
		if !errors.As(err, &notIn) || !slices.Equal(notIn.Available, []string{"en"}) {
			t.Errorf("a Pashto XLSX of a revision published before languages: %v, want only English available", err)
		}
		for _, stmt := range []string{"UPDATE weekly_summary_files SET lang = 'ps' WHERE format = 'pdf'", "DELETE FROM weekly_summary_files"} {
			if err := db.Exec(stmt).Error; err == nil || !strings.Contains(err.Error(), "never changes") {
				t.Errorf("%s after the migration: %v, want refused", stmt, err)
			}
		}
	})
}
