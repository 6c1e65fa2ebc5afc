package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

// entryFixture is Torkham's rules as of now, with an officer to act as.
type entryFixture struct {
	db      *gorm.DB
	rules   models.FigureRules
	officer models.User
	actor   models.Actor
	day     models.Date
}

func newEntryFixture(t *testing.T, db *gorm.DB) entryFixture {
	t.Helper()
	ctx := context.Background()
	torkham, err := models.CrossingBySlug(ctx, db, "torkham")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := models.LoadFigureRules(ctx, db, torkham, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	officer := newAccount(t, db, "gul.khan", models.RoleOfficer, "torkham")
	return entryFixture{db: db, rules: rules, officer: officer,
		actor: models.Actor{UserID: &officer.ID, Name: officer.Username, IP: "192.0.2.7", RequestID: "req-1"},
		day:   rules.Today.AddDays(-1)}
}

// grid is a typical day at Torkham as the form sends it.
func grid() []models.FigureInput {
	return []models.FigureInput{
		{Direction: models.ToAfghanistan, Category: "cement", Trucks: 90, Tonnes: ptr(3600), ValueUSD: ptr(225000)},
		{Direction: models.ToAfghanistan, Category: "medicine", Trucks: 12},
		{Direction: models.ToPakistan, Category: "coal", Trucks: 140, Tonnes: ptr(4200.5)},
		{Direction: models.ToPakistan, Category: "empty", Trucks: 80},
	}
}

func (f entryFixture) save(t *testing.T, actor models.Actor, in models.DayInput) (models.CrossingDay, error) {
	t.Helper()
	in.CrossingID = f.rules.Crossing.ID
	if in.Day.IsZero() {
		in.Day = f.day
	}
	return models.SaveDay(context.Background(), f.db, actor, f.rules, in)
}

// stored is the day's figures as "direction category regime trucks".
func (f entryFixture) stored(t *testing.T) []string {
	t.Helper()
	_, rows, err := models.DayFigures(context.Background(), f.db, f.rules.Crossing.ID, f.day)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = string(r.Direction) + " " + r.CategoryCode + " " + string(r.Regime) + " " + itoa(r.Trucks)
	}
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (f entryFixture) audits(t *testing.T) []models.AuditEntry {
	t.Helper()
	var entries []models.AuditEntry
	err := f.db.Where("entity = ? AND entity_id = ?", "crossing_day", models.CrossingDayEntityID(f.rules.Crossing, f.day)).
		Order("id").Find(&entries).Error
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func decodeDay(t *testing.T, s string) models.DayValues {
	t.Helper()
	var v models.DayValues
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("audit values %q: %v", s, err)
	}
	return v
}

func TestSaveDayStoresTheGridWithVersionAndAudit(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		f := newEntryFixture(t, db)
		day, err := f.save(t, f.actor, models.DayInput{Figures: grid(), ReplaceDay: true})
		if err != nil {
			t.Fatal(err)
		}
		if day.Version != 1 || day.Verified() || day.UpdatedBy == nil || *day.UpdatedBy != f.officer.ID {
			t.Errorf("day = %+v", day)
		}
		want := []string{"to_afghanistan cement bilateral 90", "to_afghanistan medicine bilateral 12",
			"to_pakistan coal bilateral 140", "to_pakistan empty bilateral 80"}
		if got := f.stored(t); !slices.Equal(got, want) {
			t.Errorf("stored %q, want %q", got, want)
		}
		_, rows, _ := models.DayFigures(context.Background(), db, f.rules.Crossing.ID, f.day)
		if rows[0].Tonnes == nil || *rows[0].Tonnes != 3600 || rows[0].ValueUSD == nil || *rows[0].ValueUSD != 225000 || rows[1].Tonnes != nil {
			t.Errorf("tonnes and value: %+v", rows[:2])
		}
		var sources []string
		db.Model(&models.DailyFigure{}).Distinct("source").Pluck("source", &sources)
		if !slices.Equal(sources, []string{"form"}) {
			t.Errorf("sources = %q", sources)
		}
		audits := f.audits(t)
		if len(audits) != 1 {
			t.Fatalf("%d audit records, want 1", len(audits))
		}
		a := audits[0]
		if a.Action != "create" || a.Actor != "gul.khan" || *a.UserID != f.officer.ID || a.IP != "192.0.2.7" || a.RequestID != "req-1" || a.Before != "" {
			t.Errorf("audit = %+v", a)
		}
		after := decodeDay(t, a.After)
		if after.Version != 1 || len(after.Figures) != 4 || after.Figures[2].Category != "coal" || *after.Figures[2].Tonnes != 4200.5 {
			t.Errorf("audit after = %+v", after)
		}
	})
}

func TestSaveDayRefusesEveryBadValueAtOnceAndWritesNothing(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		f := newEntryFixture(t, db)
		figures := []models.FigureInput{
			{Direction: models.ToAfghanistan, Category: "cement", Trucks: -4},
			{Direction: models.ToAfghanistan, Category: "uranium", Trucks: 3},
			{Direction: models.ToPakistan, Category: "coal", Trucks: 1_000_000},
			{Direction: models.ToPakistan, Category: "coal", Trucks: 3},
			{Direction: models.ToAfghanistan, Category: "textiles", Trucks: 10, ValueUSD: ptr(10)},
		}
		_, err := f.save(t, f.actor, models.DayInput{Day: f.rules.Today.AddDays(1), Figures: figures, ReplaceDay: true,
			EditReason: "nul\x00byte"})
		var ve *models.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("got %v, want a validation error", err)
		}
		want := []string{"date future_date", "edit_reason invalid_text", "figures[0].trucks negative",
			"figures[1].category unknown_category", "figures[2].trucks too_large", "figures[3] duplicate"}
		if got := codes(ve.Fields); !slices.Equal(got, want) {
			t.Errorf("refusals %q\nwant      %q", got, want)
		}
		if got := codes(ve.Warnings); !slices.Equal(got, []string{"figures[4].value_usd value_out_of_range!"}) {
			t.Errorf("warnings %q", got)
		}
		var n int64
		db.Model(&models.DailyFigure{}).Count(&n)
		var days int64
		db.Model(&models.CrossingDay{}).Count(&days)
		if n != 0 || days != 0 || len(f.audits(t)) != 0 {
			t.Errorf("after a refusal: %d figures, %d days, %d audits", n, days, len(f.audits(t)))
		}
		if _, err := f.save(t, f.actor, models.DayInput{ReplaceDay: true}); !errors.As(err, &ve) || codes(ve.Fields)[0] != "figures no_figures" {
			t.Errorf("an empty grid: %v", err)
		}
		if _, err := f.save(t, f.actor, models.DayInput{Day: models.NewDate(2019, 6, 1), Figures: grid(), ReplaceDay: true}); !errors.As(err, &ve) ||
			codes(ve.Fields)[0] != "date before_records" {
			t.Errorf("a day before the records: %v", err)
		}
	})
}

func TestSaveDayBasedOnAnOldVersionIsRefusedWithTheOtherValues(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		f := newEntryFixture(t, db)
		other := newAccount(t, db, "rahim", models.RoleOfficer, "torkham")
		otherActor := models.Actor{UserID: &other.ID, Name: "rahim"}
		if _, err := f.save(t, otherActor, models.DayInput{Figures: grid(), ReplaceDay: true}); err != nil {
			t.Fatal(err)
		}
		mine := grid()
		mine[0].Trucks = 95
		_, err := f.save(t, f.actor, models.DayInput{BaseVersion: 0, Figures: mine, ReplaceDay: true})
		var vc *models.VersionConflict
		if !errors.As(err, &vc) {
			t.Fatalf("got %v, want a version conflict", err)
		}
		if vc.By != "rahim" || vc.Current.Version != 1 || vc.Base != 0 || len(vc.Figures) != 4 ||
			vc.Figures[0].CategoryCode != "cement" || vc.Figures[0].Trucks != 90 {
			t.Errorf("conflict = %+v", vc)
		}
		if !strings.Contains(vc.Error(), "rahim") {
			t.Errorf("message %q does not name who saved", vc.Error())
		}
		if got := f.stored(t); got[0] != "to_afghanistan cement bilateral 90" {
			t.Errorf("the other's values were overwritten: %q", got)
		}
		// Based on the version shown in the conflict, the save goes through.
		day, err := f.save(t, f.actor, models.DayInput{BaseVersion: vc.Current.Version, Figures: mine, ReplaceDay: true})
		if err != nil || day.Version != 2 {
			t.Fatalf("deliberate save: %+v, %v", day, err)
		}
		audits := f.audits(t)
		if len(audits) != 2 || audits[1].Action != "update" || decodeDay(t, audits[1].Before).Figures[0].Trucks != 90 ||
			decodeDay(t, audits[1].After).Figures[0].Trucks != 95 {
			t.Errorf("audits = %+v", audits)
		}
	})
}

func TestSaveDaySentTwiceStoresOnce(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		f := newEntryFixture(t, db)
		in := models.DayInput{Figures: grid(), ReplaceDay: true}
		first, err := f.save(t, f.actor, in)
		if err != nil {
			t.Fatal(err)
		}
		second, err := f.save(t, f.actor, in)
		if err != nil {
			t.Fatalf("the same form sent again: %v", err)
		}
		if second.Version != first.Version {
			t.Errorf("version %d after a resend, want %d", second.Version, first.Version)
		}
		if got := f.stored(t); len(got) != 4 || got[0] != "to_afghanistan cement bilateral 90" {
			t.Errorf("stored %q", got)
		}
		if n := len(f.audits(t)); n != 1 {
			t.Errorf("%d audit records after a resend, want 1", n)
		}
		// Saving the stored values again on the current version changes nothing either.
		in.BaseVersion = first.Version
		if day, err := f.save(t, f.actor, in); err != nil || day.Version != first.Version || len(f.audits(t)) != 1 {
			t.Errorf("an unchanged save: %+v, %v, %d audits", day, err, len(f.audits(t)))
		}
	})
}

func TestSaveDayReplacesTheWholeDayFromTheForm(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		f := newEntryFixture(t, db)
		if _, err := f.save(t, f.actor, models.DayInput{Figures: grid(), ReplaceDay: true}); err != nil {
			t.Fatal(err)
		}
		next := grid()[:2]
		next[1].Trucks = 13
		day, err := f.save(t, f.actor, models.DayInput{BaseVersion: 1, Figures: next, ReplaceDay: true})
		if err != nil || day.Version != 2 {
			t.Fatalf("save: %+v, %v", day, err)
		}
		want := []string{"to_afghanistan cement bilateral 90", "to_afghanistan medicine bilateral 13"}
		if got := f.stored(t); !slices.Equal(got, want) {
			t.Errorf("stored %q, want %q", got, want)
		}
		a := f.audits(t)[1]
		if before, after := decodeDay(t, a.Before), decodeDay(t, a.After); len(before.Figures) != 4 || len(after.Figures) != 2 || after.Version != 2 {
			t.Errorf("audit %s → %s", a.Before, a.After)
		}
	})
}

func TestSaveDayFromTheAPIReplacesOnlyTheCategoriesGiven(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		f := newEntryFixture(t, db)
		if _, err := f.save(t, f.actor, models.DayInput{Figures: grid(), ReplaceDay: true}); err != nil {
			t.Fatal(err)
		}
		day, err := f.save(t, f.actor, models.DayInput{AnyVersion: true, Source: "api", Figures: []models.FigureInput{
			{Direction: models.ToAfghanistan, Category: "cement", Trucks: 91},
			{Direction: models.ToAfghanistan, Category: "transit", Regime: models.RegimeTransit, Trucks: 20},
		}})
		if err != nil || day.Version != 2 {
			t.Fatalf("save: %+v, %v", day, err)
		}
		want := []string{"to_afghanistan cement bilateral 91", "to_afghanistan medicine bilateral 12",
			"to_afghanistan transit transit 20", "to_pakistan coal bilateral 140", "to_pakistan empty bilateral 80"}
		if got := f.stored(t); !slices.Equal(got, want) {
			t.Errorf("stored %q, want %q", got, want)
		}
		var apiRows int64
		db.Model(&models.DailyFigure{}).Where("source = ?", "api").Count(&apiRows)
		if apiRows != 2 {
			t.Errorf("%d rows from the API, want the 2 sent", apiRows)
		}
	})
}

func TestSaveDayAboveThePlausibilityLimitNeedsConfirmation(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		f := newEntryFixture(t, db)
		figures := []models.FigureInput{{Direction: models.ToAfghanistan, Category: "cement", Trucks: 1001}}
		_, err := f.save(t, f.actor, models.DayInput{Figures: figures, ReplaceDay: true})
		var ve *models.ValidationError
		if !errors.As(err, &ve) || !slices.Equal(codes(ve.Fields), []string{"totals.to_afghanistan over_limit"}) {
			t.Fatalf("got %v, want over_limit", err)
		}
		day, err := f.save(t, f.actor, models.DayInput{Figures: figures, ReplaceDay: true, ConfirmImplausible: true})
		if err != nil || day.Version != 1 {
			t.Fatalf("confirmed: %+v, %v", day, err)
		}
		if after := decodeDay(t, f.audits(t)[0].After); !after.ConfirmedOverLimit {
			t.Errorf("the audit does not record the confirmation: %+v", after)
		}
		// From the API the limit applies to the day as it would be stored.
		_, err = f.save(t, f.actor, models.DayInput{AnyVersion: true, Figures: []models.FigureInput{
			{Direction: models.ToAfghanistan, Category: "medicine", Trucks: 5}}})
		if !errors.As(err, &ve) || ve.Fields[0].Params["Total"] != 1006 {
			t.Errorf("an API save on top of a confirmed day: %v", err)
		}
	})
}

func TestEditingAVerifiedDayNeedsAReasonAndMakesItProvisional(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		f := newEntryFixture(t, db)
		supervisor := newAccount(t, db, "amina", models.RoleSupervisor, "torkham")
		if _, err := f.save(t, f.actor, models.DayInput{Figures: grid(), ReplaceDay: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := models.VerifyDay(ctx, db, models.Actor{UserID: &supervisor.ID, Name: "amina"}, f.rules.Crossing.ID, f.day, 1); err != nil {
			t.Fatal(err)
		}
		changed := grid()
		changed[0].Trucks = 92
		_, err := f.save(t, f.actor, models.DayInput{BaseVersion: 1, Figures: changed, ReplaceDay: true, EditReason: "   "})
		var ve *models.ValidationError
		if !errors.As(err, &ve) || !slices.Equal(codes(ve.Fields), []string{"edit_reason reason_required"}) {
			t.Fatalf("got %v, want reason_required", err)
		}
		day, err := f.save(t, f.actor, models.DayInput{BaseVersion: 1, Figures: changed, ReplaceDay: true, EditReason: "two trucks counted late"})
		if err != nil || day.Version != 2 || day.Verified() {
			t.Fatalf("edit with a reason: %+v, %v", day, err)
		}
		stored, _, _ := models.DayFigures(ctx, db, f.rules.Crossing.ID, f.day)
		if stored.Verified() || stored.VerifiedBy != nil {
			t.Errorf("the edited day is still verified: %+v", stored)
		}
		last := f.audits(t)[2]
		if last.Detail != "two trucks counted late" || !decodeDay(t, last.Before).Verified || decodeDay(t, last.After).Verified {
			t.Errorf("audit: detail %q, %s → %s", last.Detail, last.Before, last.After)
		}
	})
}

func TestSaveDayFailingMidwayLeavesNothing(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		f := newEntryFixture(t, db)
		// The audit record is written last: failing it must undo the figures and the version.
		err := db.Callback().Create().Before("gorm:create").Register("test:fail_audit", func(tx *gorm.DB) {
			if tx.Statement.Table == "audit_log" {
				_ = tx.AddError(errors.New("disk full"))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.save(t, f.actor, models.DayInput{Figures: grid(), ReplaceDay: true})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("got %v, want the audit failure", err)
		}
		var figures, days int64
		db.Model(&models.DailyFigure{}).Count(&figures)
		db.Model(&models.CrossingDay{}).Count(&days)
		if figures != 0 || days != 0 {
			t.Errorf("a failed save left %d figures and %d day versions", figures, days)
		}
	})
}

func TestTwoFirstSavesAtOnceStoreOneAndRefuseTheOther(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		f := newEntryFixture(t, db)
		other := newAccount(t, db, "rahim", models.RoleOfficer, "torkham")
		actors := []models.Actor{f.actor, {UserID: &other.ID, Name: "rahim"}}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				figures := grid()
				figures[0].Trucks = 100 + i
				_, errs[i] = models.SaveDay(context.Background(), db, actors[i], f.rules,
					models.DayInput{CrossingID: f.rules.Crossing.ID, Day: f.day, Figures: figures, ReplaceDay: true})
			}()
		}
		wg.Wait()
		var vc *models.VersionConflict
		ok, conflicts := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.As(err, &vc):
				conflicts++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 || conflicts != 1 {
			t.Fatalf("%d saved and %d refused, want one each (%v)", ok, conflicts, errs)
		}
		if got := f.stored(t); len(got) != 4 || len(f.audits(t)) != 1 {
			t.Errorf("stored %q with %d audits", got, len(f.audits(t)))
		}
	})
}
