package models_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

// loadDemoAt loads 180 days of demo data ending on the day of now.
func loadDemoAt(t *testing.T, db *gorm.DB, now time.Time, seed int64) {
	t.Helper()
	opts := models.DemoOptions{End: models.DateOf(now, mustLoadLocation("Asia/Karachi")), Now: now, Seed: seed}
	if _, err := models.LoadDemo(context.Background(), db, opts); err != nil {
		t.Fatal(err)
	}
}

func recomputeAll(t *testing.T, db *gorm.DB, now time.Time) int {
	t.Helper()
	n, err := models.RecomputeImpactAsOf(context.Background(), db, models.Date{}, models.Date{}, now)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFullDayTorkhamClosureMatchesCustoms is DOMAIN.md's sanity check: on
// the demo data, a full day of Torkham closed must come to about what
// customs publishes for a day of its trade, $2M–$3.5M (central).
func TestFullDayTorkhamClosureMatchesCustoms(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newImpactWorld(t, db)
		now := time.Date(2026, 11, 27, 12, 0, 0, 0, pkt)
		loadDemoAt(t, db, now, 3)
		// Sixty days back lies clear of the demo's closures, with their
		// 28 baseline days and 14 catch-up days.
		for _, back := range []int{60, 75, 150} {
			day := models.DateOf(now, pkt).AddDays(-back)
			if err := db.Exec("DELETE FROM daily_figures WHERE crossing_id = ? AND day = ?", w.torkham.ID, day).Error; err != nil {
				t.Fatal(err)
			}
			w.status(models.StateClosed, "", day.Start(pkt))
			w.status(models.StateOpen, "", day.AddDays(1).Start(pkt))
		}
		recomputeAll(t, db, now)
		episodes, err := models.ClosureEpisodes(ctx, db, w.torkham.ID)
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, e := range episodes {
			if e.Days != 1 || e.Reason == nil || *e.Reason != "security" {
				continue
			}
			checked++
			if e.Status != models.ImpactOK || e.Terms == nil {
				t.Fatalf("the closure of %s has status %s", e.Start, e.Status)
			}
			v := e.Terms.Value
			t.Logf("Torkham closed all of %s: $%.2fM ($%.2fM–$%.2fM) of trade foregone, %.0f trucks; holding $%.0f, customs $%.0f",
				e.Start, v.Central/1e6, v.Low/1e6, v.High/1e6, e.Terms.Foregone.Central, e.Terms.Holding, e.CustomsRevenueUSD)
			if v.Central < 2e6 || v.Central > 3.5e6 {
				t.Errorf("a full day of Torkham closed on %s comes to $%.0f of trade (central), outside customs' $2M–$3.5M", e.Start, v.Central)
			}
			if !(v.Low <= v.Central && v.Central <= v.High) {
				t.Errorf("range out of order: %+v", v)
			}
		}
		if checked != 3 {
			t.Fatalf("found %d one-day closures, want 3: %+v", checked, episodes)
		}
	})
}

// TestImpactIsZeroForACrossingAlwaysOpen: figures every day and no status
// that stops cargo (reduced hours do not) give no episode and no cost.
func TestImpactIsZeroForACrossingAlwaysOpen(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		w := newImpactWorld(t, db)
		w.baseline(60)
		w.status(models.StateOpen, "", at(-70, 0, 0))
		w.status(models.StateRestricted, models.ScopeReducedHours, at(-20, 8, 0))
		w.status(models.StateOpen, "", at(-19, 8, 0))
		if episodes := w.recompute(at(0, 12, 0)); len(episodes) != 0 {
			t.Fatalf("episodes at a crossing always open: %+v", episodes)
		}
		days, err := models.ImpactDays(context.Background(), db, w.torkham.ID, models.DateRange{From: dayZero.AddDays(-60), To: dayZero})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range days {
			if d.ClosureShare != 0 || d.Terms != nil || d.CustomsRevenueUSD != 0 || len(d.Categories) != 0 {
				t.Errorf("%s at a crossing always open: %+v", d.Day, d)
			}
		}
	})
}

// TestStoredLongerClosuresNeverCostLess: the same crossing closed for 1
// to 4 days; each term of the longer closure is at least the shorter's.
func TestStoredLongerClosuresNeverCostLess(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		var prev *models.ClosureEpisode
		for n := 1; n <= 4; n++ {
			if n > 1 {
				db = freshLike(t, db)
			}
			w := newImpactWorld(t, db)
			w.baseline(28)
			for d := -28; d < 0; d++ {
				w.figure(d, "fresh_produce", models.ToAfghanistan, 10+d%3)
			}
			w.status(models.StateOpen, "", at(-40, 0, 0))
			w.status(models.StateClosed, "", at(0, 9, 0))
			w.status(models.StateOpen, "", at(n-1, 15, 0))
			for d := range n {
				w.figure(d, "coal", models.ToPakistan, 20)
			}
			episodes := w.recompute(at(30, 0, 0))
			if len(episodes) != 1 || episodes[0].Terms == nil {
				t.Fatalf("%d days: %+v", n, episodes)
			}
			e := episodes[0]
			if prev != nil {
				p, c := prev.Terms, e.Terms
				if c.Value.Low < p.Value.Low || c.Value.Central < p.Value.Central || c.Value.High < p.Value.High ||
					c.Holding < p.Holding || c.Spoilage < p.Spoilage || e.CustomsRevenueUSD < prev.CustomsRevenueUSD || *e.NetValue < *prev.NetValue {
					t.Errorf("%d days closed cost less than %d: %+v then %+v", n, n-1, *p, *c)
				}
			}
			prev = &e
		}
	})
}

// TestImpactNeverNegativeAndRepeatable: on the demo data, no stored term
// is negative; a second full run, and an incremental run with nothing
// changed, leave exactly the same rows.
func TestImpactNeverNegativeAndRepeatable(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		now := time.Now()
		loadDemoAt(t, db, now, 5)
		if n := recomputeAll(t, db, now); n == 0 {
			t.Fatal("the demo data gave no rows")
		}
		first := dumpImpact(t, db)
		var negative int64
		err := db.Raw(`SELECT
			(SELECT COUNT(*) FROM impact_days WHERE trucks_actual < 0 OR trucks_baseline_low < 0 OR trucks_foregone_low < 0 OR
				trade_value_foregone_low_usd < 0 OR trucks_waiting < 0 OR holding_cost_usd < 0 OR spoilage_usd < 0 OR humanitarian_trucks_foregone < 0) +
			(SELECT COUNT(*) FROM closure_episodes WHERE trucks_foregone_low < 0 OR trade_value_foregone_low_usd < 0 OR holding_cost_usd < 0 OR
				spoilage_usd < 0 OR customs_revenue_foregone_usd < 0 OR net_trucks_foregone < 0 OR net_trade_value_foregone_usd < 0 OR trucks_recovered < 0) +
			(SELECT COUNT(*) FROM impact_days WHERE trucks_foregone_low > trucks_foregone_central OR trucks_foregone_central > trucks_foregone_high)`).
			Scan(&negative).Error
		if err != nil {
			t.Fatal(err)
		}
		if negative != 0 {
			t.Errorf("%d stored rows have a negative term or a range out of order", negative)
		}
		recomputeAll(t, db, now)
		if second := dumpImpact(t, db); !slices.Equal(first, second) {
			t.Errorf("a second full run changed the rows: %d then %d", len(first), len(second))
		}
		if _, err := models.RecomputeImpactChangedAsOf(context.Background(), db, now, now); err != nil {
			t.Fatal(err)
		}
		if third := dumpImpact(t, db); !slices.Equal(first, third) {
			t.Errorf("an incremental run with nothing changed changed the rows: %d then %d", len(first), len(third))
		}
	})
}

// TestIncrementalRunMatchesFullRecompute edits the demo data as staff
// would — figures of a baseline day, of a closure day and of a catch-up
// day, a day's figures deleted, a new closure recorded late — and checks
// that the incremental run leaves exactly the rows a full run would.
func TestIncrementalRunMatchesFullRecompute(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newImpactWorld(t, db)
		now := time.Now()
		today := models.DateOf(now, pkt)
		loadDemoAt(t, db, now, 11)
		recomputeAll(t, db, now)
		before := dumpImpact(t, db)
		edits := []struct {
			name string
			edit func(at time.Time)
		}{
			{"a baseline day of Torkham's restriction", func(at time.Time) { w.bump(today.AddDays(-30), at) }},
			{"the last day of Torkham's closure", func(at time.Time) { w.bump(today.AddDays(-109), at) }},
			{"a catch-up day", func(at time.Time) { w.bump(today.AddDays(-105), at) }},
			{"a day's figures deleted", func(at time.Time) {
				day := today.AddDays(-40)
				if err := db.Exec("DELETE FROM daily_figures WHERE crossing_id = ? AND day = ?", w.torkham.ID, day).Error; err != nil {
					t.Fatal(err)
				}
				if err := db.Exec("UPDATE crossing_days SET version = version + 1, updated_at = ? WHERE crossing_id = ? AND day = ?",
					at.UTC(), w.torkham.ID, day).Error; err != nil {
					t.Fatal(err)
				}
			}},
			{"a closure recorded late", func(at time.Time) {
				for _, c := range []struct {
					state models.State
					when  time.Time
				}{{models.StateClosed, today.AddDays(-70).Start(pkt).Add(10 * time.Hour)}, {models.StateOpen, today.AddDays(-68).Start(pkt)}} {
					sc := models.StatusChange{CrossingID: w.torkham.ID, State: c.state, EffectiveAt: c.when.UTC(), RecordedAt: at.UTC(), Source: "form"}
					if c.state == models.StateClosed {
						r := models.ReasonWeather
						sc.Reason = &r
					}
					if err := db.Create(&sc).Error; err != nil {
						t.Fatal(err)
					}
				}
			}},
		}
		for _, e := range edits {
			since := time.Now()
			e.edit(since.Add(time.Millisecond))
			if _, err := models.RecomputeImpactChangedAsOf(ctx, db, since, now); err != nil {
				t.Fatal(err)
			}
			incremental := dumpImpact(t, db)
			recomputeAll(t, db, now)
			full := dumpImpact(t, db)
			if !slices.Equal(incremental, full) {
				t.Errorf("after %s the incremental run left %d rows, a full run %d; first difference: %s", e.name, len(incremental), len(full), firstDifference(incremental, full))
			}
			if slices.Equal(full, before) {
				t.Errorf("%s changed no result: the edit was not a test", e.name)
			}
			before = full
		}
	})
}

// bump adds trucks to every figure of Torkham on day, changed at the instant given.
func (w *impactWorld) bump(day models.Date, changed time.Time) {
	w.t.Helper()
	if err := w.db.Exec("UPDATE daily_figures SET trucks = trucks * 2 + 7, updated_at = ? WHERE crossing_id = ? AND day = ?",
		changed.UTC(), w.torkham.ID, day).Error; err != nil {
		w.t.Fatal(err)
	}
}

func firstDifference(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] + "\n  vs " + b[i]
		}
	}
	return "one is a prefix of the other"
}

// TestImpactRunStoppedMidwayLeavesResults stops runs while they write
// their results — after the old rows are deleted and the new episodes
// written — and checks that the previous results stay as they were, whole:
// on both databases a run whose write of impact_days fails, and on
// PostgreSQL a run whose context is cancelled while that write is held up.
func TestImpactRunStoppedMidwayLeavesResults(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		w := newImpactWorld(t, db)
		now := time.Now()
		loadDemoAt(t, db, now, 13)
		recomputeAll(t, db, now)
		before := dumpImpact(t, db)
		// A closure the next run would add.
		w.status(models.StateClosed, "", models.DateOf(now, pkt).AddDays(-60).Start(pkt))
		w.status(models.StateOpen, "", models.DateOf(now, pkt).AddDays(-59).Start(pkt))
		postgres := models.Dialect(db) == models.DialectPostgres
		exec := func(statements ...string) {
			t.Helper()
			for _, s := range statements {
				if err := db.Exec(s).Error; err != nil {
					t.Fatal(err)
				}
			}
		}
		unchanged := func(what string) {
			t.Helper()
			if after := dumpImpact(t, db); !slices.Equal(before, after) {
				t.Errorf("%s changed the results: %d rows before, %d after", what, len(before), len(after))
			}
		}

		if postgres {
			exec(`CREATE FUNCTION impact_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql`,
				`CREATE TRIGGER impact_fail BEFORE INSERT ON impact_days FOR EACH STATEMENT EXECUTE FUNCTION impact_fail()`)
		} else {
			exec(`CREATE TRIGGER impact_fail BEFORE INSERT ON impact_days BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
		}
		_, err := models.RecomputeImpactAsOf(context.Background(), db, models.Date{}, models.Date{}, now)
		if err == nil || !strings.Contains(err.Error(), "store impact_days") || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("a run whose write of impact_days fails returned %v", err)
		}
		unchanged("a run that failed half-way")
		if postgres {
			exec("DROP TRIGGER impact_fail ON impact_days",
				`CREATE FUNCTION impact_slow() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(60); RETURN NULL; END $$ LANGUAGE plpgsql`,
				`CREATE TRIGGER impact_slow BEFORE INSERT ON impact_days FOR EACH STATEMENT EXECUTE FUNCTION impact_slow()`)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				// Cancel once the run is inside its write of impact_days.
				for ctx.Err() == nil {
					var writing int64
					db.Raw(`SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'
						AND query LIKE 'INSERT INTO impact_days%'`).Scan(&writing)
					if writing > 0 {
						cancel()
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			}()
			started := time.Now()
			_, err := models.RecomputeImpactAsOf(ctx, db, models.Date{}, models.Date{}, now)
			if err == nil || !strings.Contains(err.Error(), "store impact_days") || !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "cancel") {
				t.Fatalf("a run cancelled while writing impact_days returned %v", err)
			}
			if took := time.Since(started); took > 30*time.Second {
				t.Errorf("the cancelled run took %s to stop", took)
			}
			unchanged("a run cancelled half-way")
			exec("DROP TRIGGER impact_slow ON impact_days")
		} else {
			exec("DROP TRIGGER impact_fail")
		}
		recomputeAll(t, db, now)
		if slices.Equal(before, dumpImpact(t, db)) {
			t.Error("the completed run changed nothing: the stopped ones proved nothing")
		}
	})
}

// TestConcurrentImpactRunsOnPostgres starts four full runs at once, as
// the scheduler of several replicas and the command line might, five
// times: every run succeeds, one after another, and they leave the rows
// one run leaves.
func TestConcurrentImpactRunsOnPostgres(t *testing.T) {
	db := testdb.Postgres(t)
	now := time.Now()
	loadDemoAt(t, db, now, 17)
	recomputeAll(t, db, now)
	want := dumpImpact(t, db)
	for range 5 {
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				_, err := models.RecomputeImpactAsOf(context.Background(), db, models.Date{}, models.Date{}, now)
				errs <- err
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatalf("a run beside others failed: %v", err)
			}
		}
		if got := dumpImpact(t, db); !slices.Equal(got, want) {
			t.Fatalf("runs at once left %d rows, one run %d", len(got), len(want))
		}
	}
}
