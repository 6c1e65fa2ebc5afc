package models_test

import (
	"context"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// impactFloorSQL is the aggregated read of a full recompute as PostgreSQL
// alone answers it: the same statement, every row scanned, nothing else.
const impactFloorSQL = `SELECT crossing_id, day, direction, category_id, SUM(trucks) FROM daily_figures
GROUP BY crossing_id, day, direction, category_id ORDER BY crossing_id, day`

// BenchmarkImpactLargePostgres times the closure cost model on PostgreSQL
// holding five years of figures for ten crossings (986,040 rows): a full
// recompute against its floor (PostgreSQL grouping the rows by crossing,
// day, direction and category, read to the last row, timed by turns with
// it), and an incremental run after one day's figures changed. Run it with
//
//	go test -run '^$' -bench ImpactLargePostgres -benchtime 5x -timeout 30m ./models
func BenchmarkImpactLargePostgres(b *testing.B) {
	db := testdb.Postgres(b)
	now := time.Now()
	today := models.DateOf(now, time.UTC)
	testdb.LoadLarge(b, db, testdb.LargeDays, today, now)
	ctx := context.Background()
	sqlDB, err := db.DB()
	if err != nil {
		b.Fatal(err)
	}
	// The floor and the full recompute run by turns in the same loop, so
	// that a busy neighbour weighs on both alike.
	floor := func() (int, error) {
		rows, err := sqlDB.QueryContext(ctx, impactFloorSQL)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		var (
			crossing, category, trucks int64
			day                        time.Time
			direction                  string
			n                          int
		)
		for rows.Next() {
			if err := rows.Scan(&crossing, &day, &direction, &category, &trucks); err != nil {
				return 0, err
			}
			n++
		}
		return n, rows.Err()
	}
	b.Run("FullRecompute", func(b *testing.B) {
		var floorTook, took []time.Duration
		groups, written := 0, 0
		before := testdb.SampleCPU()
		for b.Loop() {
			b.StopTimer()
			start := time.Now()
			var err error
			if groups, err = floor(); err != nil {
				b.Fatal(err)
			}
			floorTook = append(floorTook, time.Since(start))
			b.StartTimer()
			start = time.Now()
			if written, err = models.RecomputeImpactAsOf(ctx, db, models.Date{}, models.Date{}, now); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		testdb.ReportOthersCPU(b, before)
		floorMS, ms := testdb.MedianMS(floorTook), testdb.MedianMS(took)
		b.ReportMetric(ms, "p50_ms")
		b.ReportMetric(floorMS, "floor_p50_ms")
		b.ReportMetric(ms/floorMS, "x_floor")
		b.ReportMetric(float64(groups), "groups")
		b.ReportMetric(float64(written), "rows_written")
	})
	b.Run("IncrementalOneDay", func(b *testing.B) {
		torkham, _ := crossingIDs(b, db)
		day := today.AddDays(-400)
		written := 0
		var took []time.Duration
		before := testdb.SampleCPU()
		for i := 0; b.Loop(); i++ {
			since := time.Now()
			// One day's figures changed, as a correction would.
			b.StopTimer()
			if err := db.Exec("UPDATE daily_figures SET trucks = trucks + ?, updated_at = ? WHERE crossing_id = ? AND day = ? AND category_id = (SELECT MIN(id) FROM cargo_categories)",
				1+i%2, since.Add(time.Millisecond), torkham, day).Error; err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			var err error
			if written, err = models.RecomputeImpactChangedAsOf(ctx, db, since, now); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		testdb.ReportOthersCPU(b, before)
		b.ReportMetric(testdb.MedianMS(took), "p50_ms")
		b.ReportMetric(float64(written), "rows_written")
	})
}
