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
	testdb.LoadLarge(t, db, 365, today, now)
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
