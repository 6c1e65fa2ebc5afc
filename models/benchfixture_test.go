package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

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
// the rows out on disk, then ANALYZE. The same fixture is in
// app/bench_test.go (a _test.go file cannot be imported across packages):
// change both together.

// fixtureCrossings are the crossings the fixture adds beside Torkham and Chaman.
var fixtureCrossings = []struct {
	slug, name, afghanSide, province string
	latitude, longitude              float64
}{
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

// loadLargeFixture adds the fixture's crossings to a migrated PostgreSQL
// database holding no figures, and writes the figures and status changes
// of the days days up to end (the last day, normally today) as of now. It
// returns the number of daily_figures rows.
func loadLargeFixture(tb testing.TB, db *gorm.DB, days int, end models.Date, now time.Time) int64 {
	tb.Helper()
	ctx := context.Background()
	started := time.Now()
	first := end.AddDays(1 - days)
	for i, c := range fixtureCrossings {
		err := db.WithContext(ctx).Exec(`INSERT INTO crossings (slug, name, afghan_side, province, latitude, longitude, hours, records_from, sort_order)
			VALUES (?, ?, ?, ?, ?, ?, 'Trade 08:00–17:00', ?, ?)`,
			c.slug, c.name, c.afghanSide, c.province, c.latitude, c.longitude, first, 3+i).Error
		if err != nil {
			tb.Fatalf("add crossing %s: %v", c.slug, err)
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

// capturedQuery is one statement GORM sent, with its arguments.
type capturedQuery struct {
	sql  string
	vars []any
}

// captureQueries makes db record the SELECT statements it runs (through
// Find, Take, Scan and Raw alike); the function returned hands over what
// was recorded since its last call. It changes db's callbacks: use it on a
// database of the test's own.
func captureQueries(tb testing.TB, db *gorm.DB) func() []capturedQuery {
	tb.Helper()
	var mu sync.Mutex
	var got []capturedQuery
	record := func(tx *gorm.DB) {
		if tx.Error != nil || tx.Statement.SQL.Len() == 0 {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, capturedQuery{sql: tx.Statement.SQL.String(), vars: append([]any(nil), tx.Statement.Vars...)})
	}
	if err := db.Callback().Query().After("gorm:query").Register("bench:capture_query", record); err != nil {
		tb.Fatal(err)
	}
	if err := db.Callback().Row().After("gorm:row").Register("bench:capture_row", record); err != nil {
		tb.Fatal(err)
	}
	return func() []capturedQuery {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
}

// explain runs EXPLAIN with options on q, exactly as GORM sent it (the same
// text and arguments), and returns the plan's lines.
func explain(tb testing.TB, db *gorm.DB, q capturedQuery, options string) string {
	tb.Helper()
	sqlDB, err := db.DB()
	if err != nil {
		tb.Fatal(err)
	}
	rows, err := sqlDB.QueryContext(context.Background(), "EXPLAIN ("+options+") "+q.sql, q.vars...)
	if err != nil {
		tb.Fatalf("EXPLAIN %s: %v", q.sql, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			tb.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// planNode is a node of EXPLAIN (FORMAT JSON) output.
type planNode struct {
	NodeType string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Index    string     `json:"Index Name"`
	Plans    []planNode `json:"Plans"`
}

// planNodes flattens the plan of q, subplans included.
func planNodes(tb testing.TB, db *gorm.DB, q capturedQuery) []planNode {
	tb.Helper()
	var plans []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(explain(tb, db, q, "FORMAT JSON")), &plans); err != nil || len(plans) != 1 {
		tb.Fatalf("read the JSON plan of %s: %v", q.sql, err)
	}
	var nodes []planNode
	var walk func(n planNode)
	walk = func(n planNode) {
		nodes = append(nodes, n)
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(plans[0].Plan)
	return nodes
}

// indexTables maps each index of the public schema to its table.
func indexTables(tb testing.TB, db *gorm.DB) map[string]string {
	tb.Helper()
	var rows []struct{ Indexname, Tablename string }
	if err := db.Raw("SELECT indexname, tablename FROM pg_indexes WHERE schemaname = 'public'").Scan(&rows).Error; err != nil {
		tb.Fatal(err)
	}
	tables := map[string]string{}
	for _, r := range rows {
		tables[r.Indexname] = r.Tablename
	}
	return tables
}

// publicReads are the queries behind the public pages and the read API,
// each run through its real models function on db as of now, with the
// table whose index it must use. torkham is Torkham's ID, ids every active
// crossing's.
func publicReads(now time.Time, today models.Date, torkham int64, ids []int64) []struct {
	name, table string
	run         func(ctx context.Context, db *gorm.DB) error
} {
	type read = struct {
		name, table string
		run         func(ctx context.Context, db *gorm.DB) error
	}
	return []read{
		{"FiguresInRange, the crossing page's 90 days", "daily_figures", func(ctx context.Context, db *gorm.DB) error {
			_, err := models.FiguresInRange(ctx, db, torkham, models.DateRange{From: today.AddDays(-89), To: today})
			return err
		}},
		{"FiguresInRange, the API's default 30 days", "daily_figures", func(ctx context.Context, db *gorm.DB) error {
			_, err := models.FiguresInRange(ctx, db, torkham, models.DateRange{From: today.AddDays(-29), To: today})
			return err
		}},
		{"DailyLoadedTotals, the board's window", "daily_figures", func(ctx context.Context, db *gorm.DB) error {
			_, err := models.DailyLoadedTotals(ctx, db, ids, models.DateRange{From: today.AddDays(-models.RecentDays - 1), To: today.AddDays(1)})
			return err
		}},
		{"StatusHistory, the crossing page's 365 days", "status_changes", func(ctx context.Context, db *gorm.DB) error {
			_, err := models.StatusHistory(ctx, db, torkham, now.AddDate(0, 0, -365), now)
			return err
		}},
		{"LatestStatusChanges, the board", "status_changes", func(ctx context.Context, db *gorm.DB) error {
			_, err := models.LatestStatusChanges(ctx, db, ids, now)
			return err
		}},
	}
}

// crossingIDs returns Torkham's ID and every active crossing's.
func crossingIDs(tb testing.TB, db *gorm.DB) (int64, []int64) {
	tb.Helper()
	crossings, err := models.ActiveCrossings(context.Background(), db)
	if err != nil {
		tb.Fatal(err)
	}
	var torkham int64
	ids := make([]int64, len(crossings))
	for i, c := range crossings {
		ids[i] = c.ID
		if c.Slug == "torkham" {
			torkham = c.ID
		}
	}
	return torkham, ids
}

// growsDaily are the tables that gain rows every day at every crossing:
// never to be read whole.
var growsDaily = map[string]bool{"daily_figures": true, "crossing_days": true}

// TestPublicQueriesUseIndexes fills PostgreSQL with a year of figures for
// ten crossings (197,100 rows), ANALYZEs it, and checks that the planner
// answers each query behind the public pages from an index of the table it
// reads, never by scanning daily_figures or crossing_days whole. (The
// five-year fixture's plans, with timings, come from
// BenchmarkQueriesLargePostgres.)
func TestPublicQueriesUseIndexes(t *testing.T) {
	db := testdb.Postgres(t)
	now := time.Now()
	today := models.DateOf(now, time.UTC)
	loadLargeFixture(t, db, 365, today, now)
	torkham, ids := crossingIDs(t, db)
	if len(ids) != 10 || torkham == 0 {
		t.Fatalf("the fixture has %d active crossings (Torkham %d), want 10", len(ids), torkham)
	}
	owner := indexTables(t, db)
	captured := captureQueries(t, db)
	for _, read := range publicReads(now, today, torkham, ids) {
		if err := read.run(context.Background(), db); err != nil {
			t.Fatalf("%s: %v", read.name, err)
		}
		queries := captured()
		if len(queries) == 0 {
			t.Fatalf("%s ran no query that was captured", read.name)
		}
		for _, q := range queries {
			nodes := planNodes(t, db, q)
			var used []string
			for _, n := range nodes {
				if growsDaily[n.Relation] && n.NodeType == "Seq Scan" {
					t.Errorf("%s scans %s whole:\n%s\n%s", read.name, n.Relation, q.sql, explain(t, db, q, "FORMAT TEXT"))
				}
				if strings.Contains(n.NodeType, "Index") && owner[n.Index] == read.table {
					used = append(used, fmt.Sprintf("%s on %s", n.NodeType, n.Index))
				}
			}
			if len(used) == 0 {
				t.Errorf("%s uses no index of %s:\n%s\n%s", read.name, read.table, q.sql, explain(t, db, q, "FORMAT TEXT"))
				continue
			}
			t.Logf("%s: %s", read.name, strings.Join(used, ", "))
		}
	}
}
