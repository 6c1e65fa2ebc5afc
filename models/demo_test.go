package models_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

// demoWorld is the seeded reference data that demo data is generated from,
// read from a freshly migrated database so the tests calibrate against the
// real category values.
type demoWorld struct {
	crossings  []models.Crossing
	categories []models.CargoCategory
	byID       map[int64]models.CargoCategory
	slugOf     map[int64]string
	idOf       map[string]int64
}

func newDemoWorld(t *testing.T) demoWorld {
	t.Helper()
	db := testdb.SQLite(t)
	ctx := context.Background()
	crossings, err := models.ActiveCrossings(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	categories, err := models.CargoCategories(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	w := demoWorld{crossings: crossings, categories: categories,
		byID: map[int64]models.CargoCategory{}, slugOf: map[int64]string{}, idOf: map[string]int64{}}
	for _, c := range categories {
		w.byID[c.ID] = c
	}
	for _, c := range crossings {
		w.slugOf[c.ID], w.idOf[c.Slug] = c.Slug, c.ID
	}
	return w
}

var karachi = mustLoadLocation("Asia/Karachi")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// demoEnd is a Friday at the end of the fruit season: a default window
// reaches back into May, so it covers summer and autumn.
var demoEnd = models.NewDate(2025, time.October, 31)

func demoOptions(seed int64) models.DemoOptions {
	return models.DemoOptions{End: demoEnd, Now: demoEnd.Start(karachi).Add(11*time.Hour + 17*time.Minute), Seed: seed}
}

func (w demoWorld) generate(t *testing.T, opts models.DemoOptions) models.DemoData {
	t.Helper()
	data, err := models.GenerateDemo(opts, w.crossings, w.categories)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// dayTotal is one crossing's traffic on one day.
type dayTotal struct {
	loaded, empty int
	valueUSD      float64
}

func (w demoWorld) totals(data models.DemoData, slug string) map[models.Date]dayTotal {
	totals := map[models.Date]dayTotal{}
	for _, f := range data.Figures {
		if w.slugOf[f.CrossingID] != slug {
			continue
		}
		d := totals[f.Day]
		if w.byID[f.CategoryID].Loaded {
			d.loaded += f.Trucks
		} else {
			d.empty += f.Trucks
		}
		if f.ValueUSD != nil {
			d.valueUSD += *f.ValueUSD
		}
		totals[f.Day] = d
	}
	return totals
}

// normalDays are the days in [from, to] on which the crossing was open all
// day, outside the catch-up after an episode, and not a Friday.
func (w demoWorld) normalDays(data models.DemoData, slug string, from, to models.Date) []models.Date {
	var days []models.Date
	for _, d := range w.openDays(data, slug, from, to) {
		if d.Weekday() != time.Friday {
			days = append(days, d)
		}
	}
	return days
}

// openDays are the days in [from, to] on which the crossing was open all
// day, outside the catch-up after an episode.
func (w demoWorld) openDays(data models.DemoData, slug string, from, to models.Date) []models.Date {
	var changes []models.StatusChange
	for _, sc := range data.StatusChanges {
		if w.slugOf[sc.CrossingID] == slug {
			changes = append(changes, sc)
		}
	}
	var days []models.Date
	for d := from; !d.After(to); d = d.AddDays(1) {
		if stateAt(changes, d.Start(karachi)) != models.StateOpen {
			continue
		}
		quiet := true
		for i, sc := range changes {
			changed := models.DateOf(sc.EffectiveAt, karachi)
			if i > 0 && !changed.After(d) && d.DaysSince(changed) <= 6 {
				quiet = false
			}
		}
		if quiet {
			days = append(days, d)
		}
	}
	return days
}

func stateAt(changes []models.StatusChange, at time.Time) models.State {
	state := models.State("")
	for _, sc := range changes {
		if !sc.EffectiveAt.After(at) {
			state = sc.State
		}
	}
	return state
}

func TestGenerateDemoIsDeterministic(t *testing.T) {
	w := newDemoWorld(t)
	a, b := w.generate(t, demoOptions(7)), w.generate(t, demoOptions(7))
	if len(a.Figures) == 0 || len(a.StatusChanges) == 0 {
		t.Fatalf("generated %d figures and %d status changes, want some of each", len(a.Figures), len(a.StatusChanges))
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("the same options generated different data")
	}
	if c := w.generate(t, demoOptions(8)); reflect.DeepEqual(a.Figures, c.Figures) {
		t.Error("a different seed generated the same figures")
	}
}

func TestGenerateDemoStaysInsideItsWindow(t *testing.T) {
	w := newDemoWorld(t)
	for _, days := range []int{0, 30, 3} {
		opts := demoOptions(1)
		opts.Days = days
		if days == 0 {
			days = models.DefaultDemoDays
		}
		first := demoEnd.AddDays(-(days - 1))
		data := w.generate(t, opts)
		seen := map[models.Date]bool{}
		for _, f := range data.Figures {
			if f.Day.Before(first) || f.Day.After(demoEnd) {
				t.Fatalf("days=%d: figure on %s, outside %s..%s", days, f.Day, first, demoEnd)
			}
			if w.slugOf[f.CrossingID] == "torkham" {
				seen[f.Day] = true
			}
		}
		if !seen[first] || !seen[demoEnd] {
			t.Errorf("days=%d: Torkham has figures on first day %v and last day %v, want both", days, seen[first], seen[demoEnd])
		}
		firstChange := map[int64]models.StatusChange{}
		for _, sc := range data.StatusChanges {
			if sc.EffectiveAt.Before(first.Start(karachi)) || sc.EffectiveAt.After(opts.Now) {
				t.Errorf("days=%d: status change at %s, outside the window or after now", days, sc.EffectiveAt)
			}
			if _, ok := firstChange[sc.CrossingID]; !ok {
				firstChange[sc.CrossingID] = sc
			}
		}
		for _, c := range w.crossings {
			sc, ok := firstChange[c.ID]
			if !ok || sc.State != models.StateOpen || !sc.EffectiveAt.Equal(first.Start(karachi)) {
				t.Errorf("days=%d: %s's first status change = %+v, want open at the start of %s", days, c.Slug, sc, first)
			}
		}
	}
}

func TestDemoStatusChangesSatisfyTheSchema(t *testing.T) {
	w := newDemoWorld(t)
	// The last instant lies in the middle of Torkham's restriction, long
	// before End: its reopening must not be recorded ahead of time.
	nows := []time.Time{
		demoEnd.Start(karachi).Add(1 * time.Hour),
		demoEnd.Start(karachi).Add(11 * time.Hour),
		demoEnd.Start(karachi).Add(23*time.Hour + 59*time.Minute),
		demoEnd.AddDays(-24).Start(karachi).Add(12 * time.Hour),
	}
	for _, now := range nows {
		opts := demoOptions(3)
		opts.Now = now
		data := w.generate(t, opts)
		type key struct {
			crossing int64
			at       time.Time
		}
		unique := map[key]bool{}
		last := map[int64]models.StatusChange{}
		for _, sc := range data.StatusChanges {
			if sc.EffectiveAt.After(opts.Now) {
				t.Errorf("status change at %s is after now %s", sc.EffectiveAt, opts.Now)
			}
			if (sc.State == models.StateRestricted) != (sc.Scope != nil) {
				t.Errorf("%s change at %s has scope %v: restricted needs a scope, nothing else may have one", sc.State, sc.EffectiveAt, sc.Scope)
			}
			if (sc.State == models.StateOpen) != (sc.Reason == nil) {
				t.Errorf("%s change at %s has reason %v: closures and restrictions need a reason, openings have none", sc.State, sc.EffectiveAt, sc.Reason)
			}
			if sc.Source != "demo" || sc.Note == "" || sc.EffectiveAt.Location() != time.UTC {
				t.Errorf("change %+v: want source demo, a note and a UTC instant", sc)
			}
			k := key{sc.CrossingID, sc.EffectiveAt}
			if unique[k] {
				t.Errorf("two changes of crossing %d at %s", sc.CrossingID, sc.EffectiveAt)
			}
			unique[k] = true
			if prev, ok := last[sc.CrossingID]; ok && (!sc.EffectiveAt.After(prev.EffectiveAt) || sc.State == prev.State) {
				t.Errorf("change to %s at %s follows %s at %s: want a new state, later", sc.State, sc.EffectiveAt, prev.State, prev.EffectiveAt)
			}
			last[sc.CrossingID] = sc
		}
		chaman, torkham := last[w.idOf["chaman"]], last[w.idOf["torkham"]]
		if chaman.State != models.StateClosed || chaman.Reason == nil || *chaman.Reason != models.ReasonProtest {
			t.Errorf("Chaman's current status = %+v, want closed for a protest", chaman)
		}
		if since := opts.Now.Sub(chaman.EffectiveAt); since < 29*time.Hour || since > 31*time.Hour {
			t.Errorf("Chaman closed %s before now, want about 30 hours", since)
		}
		wantTorkham := models.StateOpen
		if models.DateOf(now, karachi) != demoEnd {
			wantTorkham = models.StateRestricted
		}
		if torkham.State != wantTorkham {
			t.Errorf("at %s Torkham's status = %s, want %s", now, torkham.State, wantTorkham)
		}
	}
}

func TestDemoFiguresAreWellFormed(t *testing.T) {
	w := newDemoWorld(t)
	opts := demoOptions(5)
	data := w.generate(t, opts)
	type crossingDay struct {
		crossing int64
		day      models.Date
	}
	verified := map[crossingDay]bool{}
	for _, d := range data.Days {
		verified[crossingDay{d.CrossingID, d.Day}] = d.Verified()
	}
	if len(verified) != len(data.Days) {
		t.Errorf("%d day records for %d distinct crossing-days", len(data.Days), len(verified))
	}
	for _, f := range data.Figures {
		cat := w.byID[f.CategoryID]
		if f.Trucks <= 0 || f.Source != "demo" {
			t.Fatalf("figure %+v: want trucks > 0 and source demo", f)
		}
		wantRegime := models.RegimeBilateral
		if cat.Code == "transit" {
			wantRegime = models.RegimeTransit
		}
		if f.Regime != wantRegime {
			t.Errorf("%s figure has regime %s, want %s", cat.Code, f.Regime, wantRegime)
		}
		got, ok := verified[crossingDay{f.CrossingID, f.Day}]
		if want := demoEnd.DaysSince(f.Day) > 2; !ok || got != want {
			t.Errorf("figure on %s: day record %v, verified=%v, want verified=%v", f.Day, ok, got, want)
		}
		if !cat.Loaded {
			if f.ValueUSD != nil || f.Tonnes != nil {
				t.Errorf("empty trucks on %s carry value %v and tonnes %v, want neither", f.Day, f.ValueUSD, f.Tonnes)
			}
			continue
		}
		if f.ValueUSD == nil || *f.ValueUSD != float64(f.Trucks)*cat.ValuePerTruckUSD {
			t.Errorf("%d %s trucks valued at %v, want trucks × %v", f.Trucks, cat.Code, f.ValueUSD, cat.ValuePerTruckUSD)
		}
		if f.Tonnes == nil || *f.Tonnes < 5*float64(f.Trucks) || *f.Tonnes > 45*float64(f.Trucks) {
			t.Errorf("%d %s trucks carry %v tonnes, want 5–45 t a truck", f.Trucks, cat.Code, f.Tonnes)
		}
	}
}

// TestNormalTorkhamDayMatchesPublishedFigures calibrates against DOMAIN.md:
// customs put Torkham at about $2M–$3.5M of trade a day with 500–700
// commercial vehicles; Chaman carries 40–50% of Torkham's volume.
func TestNormalTorkhamDayMatchesPublishedFigures(t *testing.T) {
	w := newDemoWorld(t)
	october := models.NewDate(2025, time.October, 1)
	for seed := int64(1); seed <= 5; seed++ {
		data := w.generate(t, demoOptions(seed))
		torkham, chaman := w.totals(data, "torkham"), w.totals(data, "chaman")
		days := w.normalDays(data, "torkham", october, demoEnd)
		if len(days) < 10 {
			t.Fatalf("seed %d: only %d normal October days at Torkham", seed, len(days))
		}
		var value float64
		var loaded, empty, chamanLoaded int
		for _, d := range days {
			day := torkham[d]
			if day.valueUSD < 2e6 || day.valueUSD > 3.5e6 {
				t.Errorf("seed %d: Torkham on %s carried $%.0f, want $2M–$3.5M", seed, d, day.valueUSD)
			}
			if day.loaded < 500 || day.loaded > 650 {
				t.Errorf("seed %d: Torkham on %s had %d loaded trucks, want 500–650", seed, d, day.loaded)
			}
			if day.empty < 150 || day.empty > 250 {
				t.Errorf("seed %d: Torkham on %s had %d empty trucks, want 150–250", seed, d, day.empty)
			}
			value += day.valueUSD
			loaded += day.loaded
			empty += day.empty
			chamanLoaded += chaman[d].loaded
		}
		n := float64(len(days))
		ratio := float64(chamanLoaded) / float64(loaded)
		if ratio < 0.4 || ratio > 0.5 {
			t.Errorf("seed %d: Chaman carried %.2f of Torkham's loaded trucks, want 0.40–0.50", seed, ratio)
		}
		t.Logf("seed %d: normal October day at Torkham: $%.2fM, %.0f loaded and %.0f empty trucks; Chaman %.0f%% of Torkham",
			seed, value/n/1e6, float64(loaded)/n, float64(empty)/n, 100*ratio)
	}
}

func TestFridayIsQuieterThanOtherDays(t *testing.T) {
	w := newDemoWorld(t)
	data := w.generate(t, demoOptions(11))
	totals := w.totals(data, "torkham")
	var friday, other []int
	// Compare only open days outside any catch-up in July and August, so that
	// neither the season nor a closure tips the comparison.
	for _, d := range w.openDays(data, "torkham", models.NewDate(2025, time.July, 1), models.NewDate(2025, time.August, 31)) {
		if d.Weekday() == time.Friday {
			friday = append(friday, totals[d].loaded)
		} else {
			other = append(other, totals[d].loaded)
		}
	}
	ratio := mean(friday) / mean(other)
	t.Logf("July–August at Torkham: %.0f loaded trucks on a Friday, %.0f on other days", mean(friday), mean(other))
	if ratio < 0.45 || ratio > 0.65 {
		t.Errorf("a Friday carries %.2f of another day's loaded trucks, want about 0.5–0.6", ratio)
	}
}

func TestFreshProducePeaksInAutumn(t *testing.T) {
	w := newDemoWorld(t)
	data := w.generate(t, demoOptions(13))
	produce := map[time.Month]int{}
	days := map[time.Month]map[models.Date]bool{}
	for _, f := range data.Figures {
		if w.slugOf[f.CrossingID] != "torkham" || w.byID[f.CategoryID].Code != "fresh_produce" {
			continue
		}
		m := f.Day.Month()
		produce[m] += f.Trucks
		if days[m] == nil {
			days[m] = map[models.Date]bool{}
		}
		days[m][f.Day] = true
	}
	perDay := func(m time.Month) float64 { return float64(produce[m]) / float64(len(days[m])) }
	october := perDay(time.October)
	t.Logf("fresh produce at Torkham: %.0f trucks a day in July, %.0f in August, %.0f in October", perDay(time.July), perDay(time.August), october)
	for _, summer := range []time.Month{time.July, time.August} {
		if october < 1.6*perDay(summer) {
			t.Errorf("fresh produce: %.0f trucks a day in October, %.0f in %s; want the autumn peak well above", october, perDay(summer), summer)
		}
	}
	if october < 150 || october > 250 {
		t.Errorf("fresh produce in October: %.0f trucks a day at Torkham, want 150–250 (a little below Dawn's peak)", october)
	}
}

// TestClosuresStopTrafficThenSurge checks every closure: no trucks on the
// days it covers whole, and a catch-up above the usual traffic after it.
func TestClosuresStopTrafficThenSurge(t *testing.T) {
	w := newDemoWorld(t)
	data := w.generate(t, demoOptions(17))
	closures := 0
	for i, sc := range data.StatusChanges {
		if sc.State != models.StateClosed {
			continue
		}
		closures++
		slug := w.slugOf[sc.CrossingID]
		totals := w.totals(data, slug)
		closedDay := models.DateOf(sc.EffectiveAt, karachi)
		reopenDay := demoEnd.AddDays(1)
		reopened := i+1 < len(data.StatusChanges) && data.StatusChanges[i+1].CrossingID == sc.CrossingID
		if reopened {
			reopenDay = models.DateOf(data.StatusChanges[i+1].EffectiveAt, karachi)
		}
		for d := closedDay.AddDays(1); d.Before(reopenDay); d = d.AddDays(1) {
			if day, ok := totals[d]; ok {
				t.Errorf("%s closed on %s but carried %+v", slug, d, day)
			}
		}
		if !reopened {
			if reopenDay.DaysSince(closedDay) < 2 {
				t.Errorf("%s's live closure covers no whole day up to %s", slug, demoEnd)
			}
			continue
		}
		if days := reopenDay.DaysSince(closedDay) - 1; days < 5 {
			t.Errorf("%s closure from %s covers %d whole days, want at least 5", slug, closedDay, days)
		}
		var before []int
		for d := closedDay.AddDays(-14); d.Before(closedDay); d = d.AddDays(1) {
			before = append(before, totals[d].loaded)
		}
		usual := mean(before)
		if got := float64(totals[closedDay].loaded); got >= usual {
			t.Errorf("%s carried %.0f loaded trucks on the day it closed, want fewer than the usual %.0f", slug, got, usual)
		}
		best := 0
		for d := reopenDay; d.Before(reopenDay.AddDays(3)); d = d.AddDays(1) {
			best = max(best, totals[d].loaded)
		}
		if float64(best) < 1.3*usual {
			t.Errorf("%s after reopening on %s: at most %d loaded trucks a day, want a surge above 1.3 × the usual %.0f", slug, reopenDay, best, usual)
		}
		t.Logf("%s closed %s–%s: usual %.0f loaded trucks a day, best day after reopening %d", slug, closedDay, reopenDay, usual, best)
		if after := totals[reopenDay.AddDays(8)].loaded; float64(after) > 1.2*usual {
			t.Errorf("%s still carried %d loaded trucks 8 days after reopening, want back near the usual %.0f", slug, after, usual)
		}
	}
	if closures < 3 {
		t.Errorf("found %d closures, want Torkham's, Chaman's and Chaman's live one", closures)
	}
}

func TestHumanitarianOnlyDaysCarryOnlyAidMedicineAndFood(t *testing.T) {
	w := newDemoWorld(t)
	data := w.generate(t, demoOptions(19))
	allowed := map[string]bool{"aid": true, "medicine": true, "food_staples": true}
	restrictions := 0
	for i, sc := range data.StatusChanges {
		if sc.State != models.StateRestricted || sc.Scope == nil || *sc.Scope != models.ScopeHumanitarianOnly {
			continue
		}
		restrictions++
		from := models.DateOf(sc.EffectiveAt, karachi).AddDays(1)
		until := models.DateOf(data.StatusChanges[i+1].EffectiveAt, karachi)
		if until.DaysSince(from) < 2 {
			t.Errorf("restriction from %s covers %d whole days, want 2 or more", from, until.DaysSince(from))
		}
		for d := from; d.Before(until); d = d.AddDays(1) {
			crossed := 0
			for _, f := range data.Figures {
				if f.CrossingID != sc.CrossingID || f.Day != d {
					continue
				}
				crossed += f.Trucks
				if code := w.byID[f.CategoryID].Code; !allowed[code] || f.Direction != models.ToAfghanistan {
					t.Errorf("%d %s trucks went %s on humanitarian-only day %s", f.Trucks, code, f.Direction, d)
				}
			}
			if crossed == 0 {
				t.Errorf("no humanitarian trucks crossed on %s", d)
			}
		}
	}
	if restrictions == 0 {
		t.Error("found no humanitarian-only restriction")
	}
}

func mean(xs []int) float64 {
	sum := 0
	for _, x := range xs {
		sum += x
	}
	return float64(sum) / float64(len(xs))
}

func countRows(t *testing.T, db *gorm.DB, model any) int64 {
	t.Helper()
	var n int64
	if err := db.Model(model).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLoadDemoStoresRefusesAndReplaces(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		opts := demoOptions(23)
		summary, err := models.LoadDemo(ctx, db, opts)
		if err != nil {
			t.Fatal(err)
		}
		if summary.From != demoEnd.AddDays(-179) || summary.To != demoEnd || summary.Figures < 5000 {
			t.Errorf("summary = %+v, want 180 days to %s with thousands of figures", summary, demoEnd)
		}
		figures, changes := countRows(t, db, &models.DailyFigure{}), countRows(t, db, &models.StatusChange{})
		if figures != int64(summary.Figures) || changes != int64(summary.StatusChanges) {
			t.Fatalf("stored %d figures and %d status changes, summary says %d and %d", figures, changes, summary.Figures, summary.StatusChanges)
		}
		var audits int64
		if err := db.Model(&models.AuditEntry{}).Where("actor = ? AND action = ? AND entity = ?", "demo", "load", "demo").Count(&audits).Error; err != nil || audits != 1 {
			t.Errorf("found %d demo audit entries (%v), want 1", audits, err)
		}
		chaman, err := models.CrossingBySlug(ctx, db, "chaman")
		if err != nil {
			t.Fatal(err)
		}
		latest, err := models.LatestStatusChanges(ctx, db, []int64{chaman.ID}, opts.Now)
		if err != nil {
			t.Fatal(err)
		}
		if latest[chaman.ID].State != models.StateClosed {
			t.Errorf("Chaman's stored status = %+v, want the live closure", latest[chaman.ID])
		}

		_, err = models.LoadDemo(ctx, db, opts)
		if !errors.Is(err, models.ErrDemoRefused) || !strings.Contains(err.Error(), "--force") {
			t.Errorf("second load without force: err = %v, want ErrDemoRefused telling to pass --force", err)
		}
		if n := countRows(t, db, &models.DailyFigure{}); n != figures {
			t.Errorf("refused load changed the figures from %d to %d", figures, n)
		}

		opts.Force = true
		again, err := models.LoadDemo(ctx, db, opts)
		if err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, &models.DailyFigure{}); n != figures || n != int64(again.Figures) {
			t.Errorf("forced load left %d figures, want %d", n, figures)
		}
		if n := countRows(t, db, &models.StatusChange{}); n != changes {
			t.Errorf("forced load left %d status changes, want %d", n, changes)
		}
		var distinct int64
		if err := db.Raw(`SELECT COUNT(*) FROM (SELECT DISTINCT crossing_id, day, direction, category_id, regime FROM daily_figures) AS d`).Scan(&distinct).Error; err != nil || distinct != figures {
			t.Errorf("found %d distinct figure keys among %d rows (%v)", distinct, figures, err)
		}
	})
}
