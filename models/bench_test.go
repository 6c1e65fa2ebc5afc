package models_test

import (
	"context"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

// fixtureDays is five years of days, both ends included.
const fixtureDays = 5*365 + 1

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
	loadLargeFixture(b, db, fixtureDays, today, now)
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
			before := sampleCPU()
			for b.Loop() {
				start := time.Now()
				if err := run(); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			reportOthersCPU(b, before)
			b.ReportMetric(medianMS(took), "p50_ms")
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

// The CPU sampling below is app/bench_test.go's (a _test.go file cannot be
// imported across packages).

// cpuSample is the machine's busy CPU time (steal included) and that of
// this process and its descendants (the PostgreSQL server the harness
// started, wrk), reaped children included, in clock ticks.
type cpuSample struct {
	at         time.Time
	busy, self int64
	ok         bool
}

// clockTicks is Linux's USER_HZ, the unit of /proc/stat.
const clockTicks = 100

func sampleCPU() cpuSample {
	s := cpuSample{at: time.Now()}
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(stat), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || f[0] != "cpu" {
		return s
	}
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		s.busy += n
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return s
	}
	parent := map[int]int{}
	ticks := map[int]int64{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone
		}
		_, rest, _ := strings.Cut(string(data), ") ")
		g := strings.Fields(rest) // state ppid ... utime (11) stime cutime cstime (14)
		if len(g) < 15 {
			continue
		}
		parent[pid], _ = strconv.Atoi(g[1])
		for _, i := range []int{11, 12, 13, 14} {
			n, _ := strconv.ParseInt(g[i], 10, 64)
			ticks[pid] += n
		}
	}
	mine := map[int]bool{os.Getpid(): true}
	for changed := true; changed; {
		changed = false
		for pid, ppid := range parent {
			if !mine[pid] && mine[ppid] {
				mine[pid], changed = true, true
			}
		}
	}
	for pid := range mine {
		s.self += ticks[pid]
	}
	s.ok = true
	return s
}

// reportOthersCPU reports how much of the machine's CPU other processes
// used since before, so that a figure taken beside a busy neighbour shows
// it (over a second at least: /proc counts in hundredths of a second).
func reportOthersCPU(b *testing.B, before cpuSample) {
	after := sampleCPU()
	if f := foreignCPU(before, after); f >= 0 && after.at.Sub(before.at) >= time.Second {
		b.ReportMetric(100*f, "others_cpu_%")
	}
}

// medianMS is the median of durations, in milliseconds.
func medianMS(d []time.Duration) float64 {
	if len(d) == 0 {
		return 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	m := d[len(d)/2]
	if len(d)%2 == 0 {
		m = (d[len(d)/2-1] + d[len(d)/2]) / 2
	}
	return float64(m) / float64(time.Millisecond)
}

// foreignCPU is the share of all CPUs that other processes (not this one,
// not its descendants) kept busy between two samples, or -1 when unknown.
func foreignCPU(before, after cpuSample) float64 {
	if !before.ok || !after.ok {
		return -1
	}
	capacity := after.at.Sub(before.at).Seconds() * clockTicks * float64(runtime.NumCPU())
	return max(0, float64((after.busy-before.busy)-(after.self-before.self))/capacity)
}

// figuresFloorSQL is models.FiguresInRange's read written by hand.
const figuresFloorSQL = `SELECT f.day, f.direction, c.code, c.loaded, f.regime, f.trucks, f.tonnes, f.value_usd, d.verified_at IS NOT NULL, f.updated_at
FROM daily_figures f JOIN cargo_categories c ON c.id = f.category_id
LEFT JOIN crossing_days d ON d.crossing_id = f.crossing_id AND d.day = f.day
WHERE f.crossing_id = $1 AND f.day BETWEEN $2 AND $3
ORDER BY f.day, f.direction, c.sort_order, f.regime`
