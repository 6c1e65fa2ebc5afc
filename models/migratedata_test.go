package models_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

func TestSchemaVersionIsTheLatestMigration(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		state, err := models.SchemaState(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if got := models.SchemaVersion(); got != state.Latest || got != state.Current {
			t.Errorf("SchemaVersion() = %d, the migrated database is at %d of %d", got, state.Current, state.Latest)
		}
	})
}

// A freshly migrated PostgreSQL counts as empty: only the seeded tables
// hold rows, and the copy replaces them.
func TestCopyToPostgresKeepsEveryRowAndId(t *testing.T) {
	ctx := context.Background()
	src, dst := testdb.SQLite(t), testdb.Postgres(t)
	now := time.Date(2026, 3, 10, 9, 30, 15, 123456789, time.UTC)
	if _, err := models.LoadDemo(ctx, src, models.DemoOptions{Days: 20, End: models.DateOf(now, karachi).AddDays(-1), Now: now, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	// A crossing with a gap in the ids, so ids must be kept, not renumbered.
	if err := src.Exec("INSERT INTO crossings (id, slug, name, latitude, longitude, records_from) VALUES (40, 'ghulam-khan', 'Ghulam Khan', 33.2, 70.0, '2021-01-01')").Error; err != nil {
		t.Fatal(err)
	}
	// A published week: its files (bytes, in each language) must cross too.
	week, _ := models.ParseISOWeek("2026-W09")
	if _, err := models.PublishWeeklySummaries(ctx, src, week, now, reportOptions()); err != nil {
		t.Fatal(err)
	}
	officer, err := models.CreateUser(ctx, src, models.NewUser{Username: "nasreen", Password: "a long enough password", Role: models.RoleOfficer, CrossingSlugs: []string{"torkham", "ghulam-khan"}}, models.Actor{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}

	report, err := models.CopyToPostgres(ctx, src, dst)
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	want, err := models.TableCounts(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := models.TableCounts(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(report.Tables) != len(want) {
		t.Fatalf("%d tables in the embedded database, %d in PostgreSQL, %d copied", len(want), len(got), len(report.Tables))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: %d rows %s… in PostgreSQL, %d rows %s… in the embedded database", want[i].Table, got[i].Rows, got[i].Sum[:8], want[i].Rows, want[i].Sum[:8])
		}
	}
	// The checksum sees a single changed value.
	if err := dst.Exec("UPDATE daily_figures SET trucks = trucks + 1 WHERE id = (SELECT min(id) FROM daily_figures)").Error; err != nil {
		t.Fatal(err)
	}
	if changed, _ := models.TableCounts(ctx, dst); changed[indexOf(changed, "daily_figures")].Sum == want[indexOf(want, "daily_figures")].Sum {
		t.Error("a changed truck count leaves the checksum of daily_figures as it was")
	}
	if n := rowsOf(want, "weekly_summary_files"); n <= 0 || rowsOf(got, "weekly_summary_files") != n {
		t.Errorf("weekly summary files: %d in PostgreSQL, %d in the embedded database", rowsOf(got, "weekly_summary_files"), n)
	}
	var figures int64
	dst.Raw("SELECT count(*) FROM daily_figures").Scan(&figures)
	if figures == 0 || figures != rowsOf(want, "daily_figures") {
		t.Errorf("PostgreSQL holds %d daily figures, the embedded database %d", figures, rowsOf(want, "daily_figures"))
	}
	// The officer keeps their id and crossing; new rows get fresh ids.
	var crossings []string
	dst.Raw("SELECT c.slug FROM user_crossings uc JOIN crossings c ON c.id = uc.crossing_id WHERE uc.user_id = ? ORDER BY c.slug", officer.ID).Scan(&crossings)
	if len(crossings) != 2 || crossings[0] != "ghulam-khan" {
		t.Errorf("the officer's crossings in PostgreSQL: %v", crossings)
	}
	next, err := models.CreateUser(ctx, dst, models.NewUser{Username: "karim", Password: "another long password", Role: models.RoleAdmin}, models.Actor{Name: "test"})
	if err != nil {
		t.Fatalf("a new user after the copy: %v", err)
	}
	if next.ID <= officer.ID {
		t.Errorf("the new user got id %d, not past the copied %d", next.ID, officer.ID)
	}
	if err := dst.Exec("INSERT INTO crossings (slug, name, latitude, longitude, records_from) VALUES ('angoor-adda', 'Angoor Adda', 32.3, 69.4, '2021-01-01')").Error; err != nil {
		t.Errorf("a new crossing after the copy: %v", err)
	}
}

func TestCopyToPostgresRefusesADatabaseWithRecords(t *testing.T) {
	ctx := context.Background()
	src, dst := testdb.SQLite(t), testdb.Postgres(t)
	if _, err := models.CreateUser(ctx, dst, models.NewUser{Username: "already", Password: "a long enough password", Role: models.RoleAdmin}, models.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	before, err := models.TableCounts(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	_, err = models.CopyToPostgres(ctx, src, dst)
	if !errors.Is(err, models.ErrTargetNotEmpty) {
		t.Fatalf("copy into a database with a user: %v, want ErrTargetNotEmpty", err)
	}
	after, err := models.TableCounts(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("the refused copy changed %s", before[i].Table)
		}
	}
}

func rowsOf(counts []models.TableCount, table string) int64 {
	if i := indexOf(counts, table); i >= 0 {
		return counts[i].Rows
	}
	return -1
}

func indexOf(counts []models.TableCount, table string) int {
	return slices.IndexFunc(counts, func(c models.TableCount) bool { return c.Table == table })
}
