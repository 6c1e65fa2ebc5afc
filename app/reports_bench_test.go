package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// BenchmarkReportsLargePostgres measures the weekly summaries on
// PostgreSQL holding five years of figures for ten crossings (986,040
// rows): publishing a week (building the summary of ten crossings and
// rendering its 110 files: for all crossings and each one the CSV and JSON,
// the PDF and XLSX in each of four languages; target under 2 s), serving a stored download
// (server time, target under 20 ms), and a year's range export of every
// crossing as CSV and XLSX streamed to a client (target under 100 MB): peak
// Go heap and RSS in this process, and peak RSS of a `borderflow serve`
// process answering only the exports. Run it with
//
//	go test -run '^$' -bench ReportsLargePostgres -benchtime 5x -timeout 30m -v ./app
func BenchmarkReportsLargePostgres(b *testing.B) {
	a, url := newLargePostgres(b)
	ctx := context.Background()
	now := a.now()
	last := models.LastCompleteWeek(now, a.cfg.TimeZone)

	b.Run("publish_week_10_crossings", func(b *testing.B) {
		week := last
		var took []time.Duration
		for b.Loop() {
			start := time.Now()
			n, err := models.PublishWeeklySummaries(ctx, a.DB(), week, now, a.ReportOptions())
			if err != nil || n != 1+(2+2*4)*11 {
				b.Fatalf("publish %s: %d rows, %v", week, n, err)
			}
			took = append(took, time.Since(start))
			week = week.Previous()
		}
		b.ReportMetric(testdb.MedianMS(took), "median_ms")
	})

	h := a.Handler()
	path := fmt.Sprintf("/reports/%s.pdf?crossing=torkham", last)
	b.Run("serve_stored_pdf", func(b *testing.B) {
		var took []time.Duration
		size := 0
		for b.Loop() {
			start := time.Now()
			size = serveRequest(b, h, path, "192.0.2.1:1234")
			took = append(took, time.Since(start))
		}
		b.ReportMetric(testdb.MedianMS(took), "median_ms")
		b.ReportMetric(float64(size), "bytes")
	})

	// The range export, a year of every crossing (197,100 rows), first
	// through this process's router: peak Go heap in use, and the peak RSS
	// (VmHWM) since just before the requests, after a collection has given
	// the publishing step's memory back.
	srv := httptest.NewServer(h)
	defer srv.Close()
	today := models.DateOf(now, a.cfg.TimeZone)
	exportPath := func(format string) string {
		return fmt.Sprintf("/reports/export?from=%s&to=%s&format=%s", today.AddDays(-364), today, format)
	}
	formats := []string{"csv", "xlsx"}
	for _, format := range formats {
		b.Run("export_year_all_crossings_"+format, func(b *testing.B) {
			runtime.GC()
			debug.FreeOSMemory()
			resetPeakRSS(b, os.Getpid())
			var peak atomic.Uint64
			stop := make(chan struct{})
			go sampleHeap(&peak, stop)
			fetchExports(b, srv.URL+exportPath(format))
			close(stop)
			b.ReportMetric(float64(peak.Load())/1e6, "peak_heap_MB")
			b.ReportMetric(procStatusMB(b, os.Getpid(), "VmHWM"), "peak_rss_MB")
		})
	}

	// Then from a fresh `borderflow serve` process for each format, as in
	// production: its resident set once started and its peak (VmHWM, reset
	// just before) while it answers the exports and nothing else.
	bin := build(b, "borderflow")
	for _, format := range formats {
		b.Run("export_year_all_crossings_"+format+"_own_process", func(b *testing.B) {
			server := startServe(b, bin, "export-"+format, url)
			defer server.stop()
			pid := server.cmd.Process.Pid
			resetPeakRSS(b, pid)
			before := procStatusMB(b, pid, "VmRSS")
			fetchExports(b, server.base+exportPath(format))
			b.ReportMetric(before, "rss_before_MB")
			b.ReportMetric(procStatusMB(b, pid, "VmHWM"), "peak_rss_MB")
		})
	}
}

// fetchExports downloads url b.N times and reports the median time and
// the size of the file.
func fetchExports(b *testing.B, url string) {
	var took []time.Duration
	var size int64
	for b.Loop() {
		start := time.Now()
		res, err := http.Get(url)
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %v %v", url, err, res)
		}
		size, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		took = append(took, time.Since(start))
	}
	b.ReportMetric(testdb.MedianMS(took), "median_ms")
	b.ReportMetric(float64(size)/1e6, "MB_sent")
}

// resetPeakRSS sets the process's VmHWM back to its current resident set.
func resetPeakRSS(b *testing.B, pid int) {
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		b.Fatalf("reset the peak RSS of process %d: %v", pid, err)
	}
}

// sampleHeap keeps the largest heap in use seen every 2 ms until stop.
func sampleHeap(peak *atomic.Uint64, stop chan struct{}) {
	var m runtime.MemStats
	for {
		runtime.ReadMemStats(&m)
		if m.HeapInuse > peak.Load() {
			peak.Store(m.HeapInuse)
		}
		select {
		case <-stop:
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
}
