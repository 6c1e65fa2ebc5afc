package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
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
// crossing streamed to a client (peak Go heap and process RSS, target
// under 100 MB). Run it with
//
//	go test -run '^$' -bench ReportsLargePostgres -benchtime 5x -timeout 30m -v ./app
func BenchmarkReportsLargePostgres(b *testing.B) {
	a := newLargePostgresApp(b)
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

	srv := httptest.NewServer(h)
	defer srv.Close()
	today := models.DateOf(now, a.cfg.TimeZone)
	for _, format := range []string{"csv", "xlsx"} {
		b.Run("export_year_all_crossings_"+format, func(b *testing.B) {
			url := fmt.Sprintf("%s/reports/export?from=%s&to=%s&format=%s", srv.URL, today.AddDays(-364), today, format)
			var peak atomic.Uint64
			stop := make(chan struct{})
			go sampleHeap(&peak, stop)
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
			close(stop)
			b.ReportMetric(testdb.MedianMS(took), "median_ms")
			b.ReportMetric(float64(size)/1e6, "MB_sent")
			b.ReportMetric(float64(peak.Load())/1e6, "peak_heap_MB")
			b.ReportMetric(peakRSSMB(), "peak_rss_MB")
		})
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

// peakRSSMB is the process's peak resident set (VmHWM), in MB.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			_, _ = fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			return kb / 1000
		}
	}
	return 0
}
