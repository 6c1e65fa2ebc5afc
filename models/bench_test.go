package models_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

// BenchmarkQueriesLargePostgres times each query behind the public pages
// and the read API on PostgreSQL holding five years of figures for ten
// crossings (986,040 rows), and logs the EXPLAIN (ANALYZE, BUFFERS) of each
// statement once. Run it with
//
//	go test -run '^$' -bench QueriesLargePostgres -timeout 30m ./models
func BenchmarkQueriesLargePostgres(b *testing.B) {
	db := testdb.Postgres(b)
	now := time.Now()
	today := models.DateOf(now, time.UTC)
	testdb.LoadLarge(b, db, testdb.LargeDays, today, now)
	torkham, ids := crossingIDs(b, db)
	ctx := context.Background()

	// The plans, once, before the timings: run each read on a session that
	// records its statements, then EXPLAIN ANALYZE them as sent.
	reads := publicReads(now, today, torkham, ids)
	reads = append(reads, struct {
		name, table string
		run         func(ctx context.Context, db *gorm.DB) error
	}{"FiguresInRange, a year (the API's longest range)", "daily_figures", func(ctx context.Context, db *gorm.DB) error {
		_, err := models.FiguresInRange(ctx, db, torkham, models.DateRange{From: today.AddDays(-364), To: today})
		return err
	}})
	captured := captureQueries(b, db)
	for _, read := range reads {
		if err := read.run(ctx, db); err != nil {
			b.Fatal(err)
		}
		for _, q := range captured() {
			// Twice: the first run may read pages from the OS cache, the
			// second shows the steady state the benchmarks below measure.
			explain(b, db, q, "ANALYZE")
			b.Logf("%s\n%s\n%s", read.name, q.sql, explain(b, db, q, "ANALYZE, BUFFERS"))
		}
	}

	bench := func(name string, run func() error) {
		b.Run(name, func(b *testing.B) {
			var took []time.Duration
			before := testdb.SampleCPU()
			for b.Loop() {
				start := time.Now()
				if err := run(); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			testdb.ReportOthersCPU(b, before)
			b.ReportMetric(testdb.MedianMS(took), "p50_ms")
		})
	}
	year := models.DateRange{From: today.AddDays(-364), To: today}
	bench("FiguresInRange_365d", func() error { _, err := models.FiguresInRange(ctx, db, torkham, year); return err })
	days90 := models.DateRange{From: today.AddDays(-89), To: today}
	bench("FiguresInRange_90d", func() error { _, err := models.FiguresInRange(ctx, db, torkham, days90); return err })
	bench("StatusHistory_365d", func() error {
		_, err := models.StatusHistory(ctx, db, torkham, now.AddDate(0, 0, -365), now)
		return err
	})
	bench("Board", func() error { _, err := models.Board(ctx, db, now); return err })
	bench("CargoCategories", func() error { _, err := models.CargoCategories(ctx, db); return err })

	// The floor: the same year of figures as one plain database/sql query,
	// scanned into local variables, without GORM.
	sqlDB, err := db.DB()
	if err != nil {
		b.Fatal(err)
	}
	bench("SQLFloor_365d", func() error {
		rows, err := sqlDB.QueryContext(ctx, figuresFloorSQL, torkham, year.From, year.To)
		if err != nil {
			return err
		}
		defer rows.Close()
		var (
			day                 time.Time
			direction, category string
			regime              string
			loaded, verified    bool
			trucks              int
			tonnes, value       *float64
			updated             time.Time
		)
		for rows.Next() {
			if err := rows.Scan(&day, &direction, &category, &loaded, &regime, &trucks, &tonnes, &value, &verified, &updated); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// figuresFloorSQL is models.FiguresInRange's read written by hand.
const figuresFloorSQL = `SELECT f.day, f.direction, c.code, c.loaded, f.regime, f.trucks, f.tonnes, f.value_usd, d.verified_at IS NOT NULL, f.updated_at
FROM daily_figures f JOIN cargo_categories c ON c.id = f.category_id
LEFT JOIN crossing_days d ON d.crossing_id = f.crossing_id AND d.day = f.day
WHERE f.crossing_id = $1 AND f.day BETWEEN $2 AND $3
ORDER BY f.day, f.direction, c.sort_order, f.regime`
