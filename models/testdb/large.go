package testdb

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
)

// LargeCrossing is one of the crossings the large fixture adds.
type LargeCrossing struct {
	Slug, Name, AfghanSide, Province string
	Latitude, Longitude              float64
}

// LargeDays is five years of days, both ends included.
const LargeDays = 5*365 + 1

// The large fixture: the two reference crossings plus eight more, each with
// a figure for every (direction, category, regime) on every day of the
// period (54 rows a crossing a day: 13 loaded categories × 2 directions × 2
// regimes, and empty trucks under the bilateral regime only) and a closure
// or restriction about every 19 days, and the crossing_days row of each
// crossing and day. Five years make 10 × 1,826 × 54 = 986,040 daily_figures
// rows.
//
// It is written by a few INSERT … SELECT statements over generate_series,
// one a year, in day order across all crossings, as daily entry would lay
// the rows out on disk, then ANALYZE. It serves the benchmarks of every package.

// LargeCrossings are the crossings the fixture adds beside Torkham and Chaman.
var LargeCrossings = []LargeCrossing{
	{"ghulam-khan", "Ghulam Khan", "Gurbuz (Khost)", "Khyber Pakhtunkhwa", 33.21, 69.96},
	{"angoor-adda", "Angoor Adda", "Barmal (Paktika)", "Khyber Pakhtunkhwa", 32.32, 69.38},
	{"kharlachi", "Kharlachi", "Dand-e-Patan (Paktia)", "Khyber Pakhtunkhwa", 33.87, 69.94},
	{"gursal", "Gursal", "Dangam (Kunar)", "Khyber Pakhtunkhwa", 34.79, 71.52},
	{"badini", "Badini", "Shamulzayi (Zabul)", "Balochistan", 31.07, 68.47},
	{"arandu", "Arandu", "Barikot (Kunar)", "Khyber Pakhtunkhwa", 35.37, 71.56},
	{"nawa-pass", "Nawa Pass", "Nari (Kunar)", "Khyber Pakhtunkhwa", 34.66, 71.28},
	{"barabcha", "Barabcha", "Bahramcha (Helmand)", "Balochistan", 29.87, 64.07},
}

// fixtureFiguresSQL writes every crossing's figures for the days from ? to ?.
// Trucks are a hash of the row's key, so the same period gives the same data.
const fixtureFiguresSQL = `
INSERT INTO daily_figures (crossing_id, day, direction, category_id, regime, trucks, tonnes, value_usd,
                           source, created_at, updated_at)
SELECT x.id, g.day, dir.direction, c.id, r.regime, t.trucks,
       CASE WHEN c.loaded THEN t.trucks * 20 END,
       CASE WHEN c.loaded THEN t.trucks * c.value_per_truck_usd END,
       'import',
       (g.day + time '21:00') AT TIME ZONE x.time_zone,
       (g.day + time '21:00') AT TIME ZONE x.time_zone
FROM (SELECT d::date AS day FROM generate_series(?::date, ?::date, interval '1 day') AS d) AS g
CROSS JOIN crossings x
CROSS JOIN (VALUES ('to_afghanistan'), ('to_pakistan')) AS dir(direction)
CROSS JOIN cargo_categories c
CROSS JOIN (VALUES ('bilateral'), ('transit')) AS r(regime)
CROSS JOIN LATERAL (SELECT abs(hashtext(x.slug || g.day::text || dir.direction || c.code || r.regime)) % 40 AS trucks) AS t
WHERE x.active AND (c.loaded OR r.regime = 'bilateral')
ORDER BY g.day, x.sort_order, dir.direction, c.sort_order, r.regime`

// fixtureStatusSQL opens every crossing on the first day (?), then closes
// or restricts it every 19 days from the second ? to the third ?, for 6 to
// 95 hours; nothing takes effect after now (the last two ?).
const fixtureStatusSQL = `
INSERT INTO status_changes (crossing_id, state, scope, reason, note, effective_at, recorded_at, source)
WITH spells AS (
    SELECT x.id AS crossing_id,
           (g.ts + make_interval(hours => abs(hashtext(x.slug || g.ts::text)) % 24)) AT TIME ZONE x.time_zone AS closed_at,
           make_interval(hours => 6 + abs(hashtext(g.ts::text || x.slug)) % 90) AS lasted,
           abs(hashtext(x.slug || 'reason' || g.ts::text)) AS h
    FROM crossings x
    CROSS JOIN generate_series(?::timestamp, ?::timestamp, interval '19 days') AS g(ts)
    WHERE x.active
)
SELECT id, 'open', NULL, NULL, 'Open for trade', ?::date::timestamp AT TIME ZONE time_zone,
       ?::date::timestamp AT TIME ZONE time_zone, 'import'
FROM crossings WHERE active
UNION ALL
SELECT crossing_id, CASE WHEN h % 4 = 0 THEN 'restricted' ELSE 'closed' END,
       CASE WHEN h % 4 = 0 THEN 'cargo_closed' END,
       (ARRAY['security', 'political', 'protest', 'documentation', 'maintenance', 'weather', 'holiday', 'other'])[1 + h % 8],
       'Closed (fixture)', closed_at, closed_at + interval '10 minutes', 'import'
FROM spells WHERE closed_at <= ?
UNION ALL
SELECT crossing_id, 'open', NULL, NULL, 'Reopened (fixture)', closed_at + lasted, closed_at + lasted + interval '10 minutes', 'import'
FROM spells WHERE closed_at + lasted <= ?`

// LoadLarge adds the fixture's crossings to a migrated PostgreSQL
// database holding no figures, and writes the figures and status changes
// of the days days up to end (the last day, normally today) as of now. It
// returns the number of daily_figures rows.
func LoadLarge(tb testing.TB, db *gorm.DB, days int, end models.Date, now time.Time) int64 {
	tb.Helper()
	ctx := context.Background()
	started := time.Now()
	first := end.AddDays(1 - days)
	for i, c := range LargeCrossings {
		err := db.WithContext(ctx).Exec(`INSERT INTO crossings (slug, name, afghan_side, province, latitude, longitude, hours, records_from, sort_order)
			VALUES (?, ?, ?, ?, ?, ?, 'Trade 08:00–17:00', ?, ?)`,
			c.Slug, c.Name, c.AfghanSide, c.Province, c.Latitude, c.Longitude, first, 3+i).Error
		if err != nil {
			tb.Fatalf("add crossing %s: %v", c.Slug, err)
		}
	}
	if err := db.WithContext(ctx).Exec("UPDATE crossings SET records_from = ?", first).Error; err != nil {
		tb.Fatal(err)
	}
	unverifiedFrom := end.AddDays(-2)
	for from := first; !from.After(end); from = from.AddDays(365) {
		to := from.AddDays(364)
		if to.After(end) {
			to = end
		}
		if err := db.WithContext(ctx).Exec(fixtureFiguresSQL, from, to).Error; err != nil {
			tb.Fatalf("write fixture figures %s to %s: %v", from, to, err)
		}
	}
	// Days before the last two are verified, as a supervisor would leave them.
	err := db.WithContext(ctx).Exec(`INSERT INTO crossing_days (crossing_id, day, version, verified_at, updated_at)
		SELECT crossing_id, day, 1, CASE WHEN day < ? THEN max(updated_at) END, max(updated_at)
		FROM daily_figures GROUP BY crossing_id, day`, unverifiedFrom).Error
	if err != nil {
		tb.Fatalf("write fixture crossing days: %v", err)
	}
	utcNow := now.UTC()
	err = db.WithContext(ctx).Exec(fixtureStatusSQL, first.AddDays(10), end, first, first, utcNow, utcNow).Error
	if err != nil {
		tb.Fatalf("write fixture status changes: %v", err)
	}
	if err := db.WithContext(ctx).Exec("ANALYZE").Error; err != nil {
		tb.Fatal(err)
	}
	var figures, changes int64
	if err := db.WithContext(ctx).Model(&models.DailyFigure{}).Count(&figures).Error; err != nil {
		tb.Fatal(err)
	}
	if err := db.WithContext(ctx).Model(&models.StatusChange{}).Count(&changes).Error; err != nil {
		tb.Fatal(err)
	}
	tb.Logf("large fixture: 10 crossings, %d days (%s to %s): %d daily_figures rows, %d status_changes rows, written in %s",
		days, first, end, figures, changes, time.Since(started).Round(time.Millisecond))
	return figures
}
