package app

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

var (
	importRows   = flag.Int("import.rows", 1_000_000, "figure rows of BenchmarkImportLargePostgres")
	importRounds = flag.Int("import.rounds", 2, "rounds of BenchmarkImportLargePostgres, each on fresh databases (COPY first in even rounds, the import first in odd ones)")
)

// floorColumns are daily_figures' columns as the COPY floor fills them.
const floorColumns = "crossing_id, day, direction, category_id, regime, trucks, tonnes, value_usd, source"

// BenchmarkImportLargePostgres times `borderflow import figures FILE.csv`
// of a million rows (ten crossings, every direction, category and regime,
// day after day) into an empty PostgreSQL database, against the floor:
// PostgreSQL's own COPY of the same rows into daily_figures, from a CSV
// file that already holds the IDs, timed in the same run on a database of
// its own. It also records the import's peak memory (the Go heap, sampled,
// and the process's peak RSS, VmHWM, reset just before the import) and the
// time of importing the same file again, which writes nothing. Run it with
//
//	go test -run '^$' -bench ImportLargePostgres -benchtime 1x -timeout 60m ./app
func BenchmarkImportLargePostgres(b *testing.B) {
	dir := b.TempDir()
	rowsPerDay := (2 + len(testdb.LargeCrossings)) * 2 * 14 * 2
	days := (*importRows + rowsPerDay - 1) / rowsPerDay
	end := models.DateOf(time.Now(), time.FixedZone("PKT", 5*3600)).AddDays(-1)
	first := end.AddDays(1 - days)

	var files struct {
		once          sync.Once
		csv, floor    string
		bytes, floorB int64
	}
	type round struct {
		copy, imp, again time.Duration
		heapMB, rssMB    float64
	}
	var rounds []round
	before := testdb.SampleCPU()
	for r := range *importRounds {
		importURL, floorURL := testdb.PostgresURL(b), testdb.PostgresURL(b)
		importDB, floorDB := openBenchDB(b, importURL), openBenchDB(b, floorURL)
		prepareImportBench(b, importDB, first)
		prepareImportBench(b, floorDB, first)
		files.once.Do(func() {
			files.csv, files.floor = filepath.Join(dir, "figures.csv"), filepath.Join(dir, "floor.csv")
			files.bytes, files.floorB = writeImportBenchFiles(b, floorDB, first, *importRows, files.csv, files.floor)
			b.Logf("%d rows, %d days from %s: figures.csv %.1f MB, floor.csv %.1f MB", *importRows, days, first,
				float64(files.bytes)/1e6, float64(files.floorB)/1e6)
		})
		var res round
		copyFloor := func() { res.copy = copyInto(b, floorDB, files.floor) }
		runImport := func() { res.imp, res.heapMB, res.rssMB = importViaCLI(b, importURL, files.csv) }
		if r%2 == 0 {
			copyFloor()
			runImport()
		} else {
			runImport()
			copyFloor()
		}
		for name, db := range map[string]*gorm.DB{"import": importDB, "COPY": floorDB} {
			var n int64
			db.Model(&models.DailyFigure{}).Count(&n)
			if n != int64(*importRows) {
				b.Fatalf("%s stored %d rows, want %d", name, n, *importRows)
			}
		}
		// Again: every row unchanged, nothing written.
		res.again, _, _ = importViaCLI(b, importURL, files.csv)
		b.Logf("round %d: COPY %.1f s, import %.1f s (%.2f× COPY), peak heap %.0f MB, peak RSS %.0f MB; again (no change) %.1f s",
			r+1, res.copy.Seconds(), res.imp.Seconds(), res.imp.Seconds()/res.copy.Seconds(), res.heapMB, res.rssMB, res.again.Seconds())
		rounds = append(rounds, res)
		_ = models.Close(importDB)
		_ = models.Close(floorDB)
	}
	median := func(pick func(round) float64) float64 {
		v := make([]float64, len(rounds))
		for i, r := range rounds {
			v[i] = pick(r)
		}
		slices.Sort(v)
		if len(v)%2 == 0 {
			return (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		return v[len(v)/2]
	}
	b.ReportMetric(float64(*importRows), "rows")
	b.ReportMetric(median(func(r round) float64 { return r.imp.Seconds() }), "import_s")
	b.ReportMetric(median(func(r round) float64 { return r.copy.Seconds() }), "copy_s")
	b.ReportMetric(median(func(r round) float64 { return r.imp.Seconds() / r.copy.Seconds() }), "import/copy")
	b.ReportMetric(median(func(r round) float64 { return r.again.Seconds() }), "reimport_s")
	b.ReportMetric(slices.Max(func() []float64 {
		v := []float64{}
		for _, r := range rounds {
			v = append(v, r.heapMB)
		}
		return v
	}()), "peak_heap_MB")
	b.ReportMetric(slices.Max(func() []float64 {
		v := []float64{}
		for _, r := range rounds {
			v = append(v, r.rssMB)
		}
		return v
	}()), "peak_rss_MB")
	testdb.ReportOthersCPU(b, before)
}

func openBenchDB(b *testing.B, url string) *gorm.DB {
	b.Helper()
	target, err := models.ResolveDatabase(url, "")
	if err != nil {
		b.Fatal(err)
	}
	db, err := models.Open(context.Background(), target, nil)
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// prepareImportBench adds the fixture's eight crossings beside Torkham and
// Chaman, all with records from first.
func prepareImportBench(b *testing.B, db *gorm.DB, first models.Date) {
	b.Helper()
	for i, c := range testdb.LargeCrossings {
		err := db.Exec(`INSERT INTO crossings (slug, name, afghan_side, province, latitude, longitude, records_from, sort_order)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.Slug, c.Name, c.AfghanSide, c.Province, c.Latitude, c.Longitude, first, 3+i).Error
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Exec("UPDATE crossings SET records_from = ?", first).Error; err != nil {
		b.Fatal(err)
	}
}

// writeImportBenchFiles writes the same rows twice: as an import file (codes)
// and as the COPY floor's file (IDs, in daily_figures' columns). Counts stay
// under every plausibility limit; empty trucks carry no tonnes or value.
func writeImportBenchFiles(b *testing.B, db *gorm.DB, first models.Date, rows int, csvPath, floorPath string) (int64, int64) {
	b.Helper()
	ctx := context.Background()
	var crossings []models.Crossing
	if err := db.Order("id").Find(&crossings).Error; err != nil {
		b.Fatal(err)
	}
	categories, err := models.CargoCategories(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	out, err := os.Create(csvPath)
	if err != nil {
		b.Fatal(err)
	}
	floor, err := os.Create(floorPath)
	if err != nil {
		b.Fatal(err)
	}
	w, fw := bufio.NewWriterSize(out, 1<<20), bufio.NewWriterSize(floor, 1<<20)
	w.WriteString("date,crossing,direction,category,trucks,tonnes,value_usd,regime\n")
	rng := rand.New(rand.NewSource(1))
	n := 0
	for day := first; n < rows; day = day.AddDays(1) {
		for _, c := range crossings {
			for _, dir := range models.Directions {
				for _, cat := range categories {
					for _, regime := range []string{"bilateral", "transit"} {
						if n == rows {
							break
						}
						trucks := rng.Intn(14)
						tonnes, value := "", ""
						if cat.Loaded && trucks > 0 {
							tonnes = strconv.FormatFloat(float64(trucks*200+rng.Intn(100))/10, 'f', -1, 64)
							value = strconv.FormatFloat(float64(trucks)*cat.ValuePerTruckUSD*(0.6+0.8*rng.Float64()), 'f', 2, 64)
						}
						fmt.Fprintf(w, "%s,%s,%s,%s,%d,%s,%s,%s\n", day, c.Slug, dir, cat.Code, trucks, tonnes, value, regime)
						fmt.Fprintf(fw, "%d,%s,%s,%d,%s,%d,%s,%s,import\n", c.ID, day, dir, cat.ID, regime, trucks, tonnes, value)
						n++
					}
				}
			}
		}
	}
	for _, f := range []struct {
		w *bufio.Writer
		f *os.File
	}{{w, out}, {fw, floor}} {
		if err := f.w.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := f.f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	a, _ := os.Stat(csvPath)
	c, _ := os.Stat(floorPath)
	return a.Size(), c.Size()
}

// copyInto times PostgreSQL's COPY of the floor file into daily_figures.
func copyInto(b *testing.B, db *gorm.DB, path string) time.Duration {
	b.Helper()
	ctx := context.Background()
	sqlDB, err := db.DB()
	if err != nil {
		b.Fatal(err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	err = conn.Raw(func(driverConn any) error {
		_, err := driverConn.(*stdlib.Conn).Conn().PgConn().CopyFrom(ctx, bufio.NewReaderSize(f, 1<<20),
			"COPY daily_figures ("+floorColumns+") FROM STDIN WITH (FORMAT csv)")
		return err
	})
	if err != nil {
		b.Fatalf("COPY: %v", err)
	}
	return time.Since(start)
}

// importViaCLI runs `borderflow import figures path` on the database at
// url, as a person would, and returns its time and its peak memory: the
// Go heap in use (sampled every 20 ms) and the process's peak RSS since
// just before the import.
func importViaCLI(b *testing.B, url, path string) (time.Duration, float64, float64) {
	b.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // resets VmHWM
	ctx, stop := context.WithCancel(context.Background())
	var peakHeap uint64
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peakHeap = max(peakHeap, m.HeapInuse)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	var stdout, stderr bytes.Buffer
	cli := CLI{Getenv: env(map[string]string{"BORDERFLOW_DATABASE_URL": url, "BORDERFLOW_LOG_FORMAT": "text"}),
		Stdout: &stdout, Stderr: &stderr}
	start := time.Now()
	code := cli.Main(context.Background(), []string{"import", "figures", path})
	elapsed := time.Since(start)
	stop()
	<-sampled
	if code != 0 {
		b.Fatalf("import: exit %d: %s %s", code, stdout.String(), stderr.String())
	}
	b.Logf("%s", strings.TrimSpace(stdout.String()))
	return elapsed, float64(peakHeap) / (1 << 20), float64(vmHWM()) / (1 << 20)
}

// vmHWM is the process's peak resident set in bytes (0 when unknown).
func vmHWM() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
