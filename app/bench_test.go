package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

// The load generator's settings; `go test -args -load.duration=10s` and so on.
var (
	loadConns      = flag.Int("load.conns", 50, "concurrent keep-alive connections of BenchmarkBoardVersusBareEcho")
	loadWarmup     = flag.Duration("load.warmup", time.Second, "warm-up before each measured run of BenchmarkBoardVersusBareEcho")
	loadDuration   = flag.Duration("load.duration", 5*time.Second, "length of each measured run of BenchmarkBoardVersusBareEcho")
	loadRounds     = flag.Int("load.rounds", 5, "rounds of BenchmarkBoardVersusBareEcho, each a run of both servers (bare first in even rounds, board first in odd ones)")
	loadMaxForeign = flag.Float64("load.maxforeign", 0.10, "BenchmarkBoardVersusBareEcho counts only rounds in which other processes used at most this share of the machine's CPU")
	loadWrk        = flag.Bool("load.wrk", false, "BenchmarkBoardVersusBareEcho also drives both servers with wrk (when on PATH), as a cross-check")
)

// newBenchApp builds the real App on databaseURL, without demo data or
// jobs, with its logs going to logs (newTestApp for benchmarks too).
func newBenchApp(tb testing.TB, databaseURL string, logs io.Writer) *App {
	tb.Helper()
	cfg, err := LoadConfig(env(map[string]string{
		"BORDERFLOW_DATABASE_URL": databaseURL,
		"BORDERFLOW_DEMO":         "off",
		"BORDERFLOW_JOBS":         "off",
	}))
	if err != nil {
		tb.Fatal(err)
	}
	cfg.LogOutput, cfg.Stdout = logs, io.Discard
	a, err := New(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("app.New: %v", err)
	}
	tb.Cleanup(func() { _ = a.Close() })
	return a
}

// serveLoopback serves h on a free loopback port with the App's server
// settings (App.Run's timeouts) and returns its base URL.
func serveLoopback(tb testing.TB, h http.Handler) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// loadRun is one fixed-length run of the load generator against one server.
type loadRun struct {
	requests  int
	failures  int
	elapsed   time.Duration
	latencies []time.Duration
	firstErr  error
	foreign   float64       // the share of the machine's CPU other processes used meanwhile; -1 unknown
	cpu       time.Duration // CPU time this process and its children used meanwhile
}

// cpuPerRequest is the CPU time (servers and load generator together) one
// request cost, in microseconds.
func (r loadRun) cpuPerRequest() float64 {
	return float64(r.cpu) / float64(time.Microsecond) / float64(max(r.requests, 1))
}

func (r loadRun) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// percentile returns the latency below which a fraction p of requests
// finished (nearest rank); latencies must be sorted.
func percentile(latencies []time.Duration, p float64) time.Duration {
	if len(latencies) == 0 {
		return 0
	}
	i := int(float64(len(latencies))*p+0.5) - 1
	return latencies[max(0, min(i, len(latencies)-1))]
}

// generateLoad has conns workers send GET target back to back over
// keep-alive connections (one shared Transport, at most conns connections)
// for warmup, then for measure, and records each request that finishes in
// the measured window. A request counts as failed unless it answers 200
// with exactly wantBytes bytes.
func generateLoad(target string, header http.Header, wantBytes, conns int, warmup, measure time.Duration) loadRun {
	transport := &http.Transport{
		MaxIdleConns: 2 * conns, MaxIdleConnsPerHost: 2 * conns, MaxConnsPerHost: conns,
		IdleConnTimeout: time.Minute, DisableCompression: true, // send Accept-Encoding only when asked to
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	from := time.Now().Add(warmup)
	until := from.Add(measure)

	type result struct {
		latencies []time.Duration
		failures  int
		err       error
	}
	results := make([]result, conns)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Go(func() {
			r := &results[w]
			r.latencies = make([]time.Duration, 0, 1<<14)
			for {
				start := time.Now()
				if !start.Before(until) {
					return
				}
				err := fetchOnce(client, target, header, wantBytes)
				end := time.Now()
				if end.Before(from) || end.After(until) {
					continue
				}
				if err != nil {
					r.failures++
					if r.err == nil {
						r.err = err
					}
					continue
				}
				r.latencies = append(r.latencies, end.Sub(start))
			}
		})
	}
	time.Sleep(time.Until(from))
	before := sampleCPU()
	time.Sleep(time.Until(until))
	after := sampleCPU()
	wg.Wait()
	run := loadRun{elapsed: measure, foreign: foreignCPU(before, after), cpu: ownCPU(before, after)}
	for _, r := range results {
		run.latencies = append(run.latencies, r.latencies...)
		run.failures += r.failures
		if run.firstErr == nil {
			run.firstErr = r.err
		}
	}
	run.requests = len(run.latencies)
	slices.Sort(run.latencies)
	return run
}

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

// ownCPU is the CPU time this process and its descendants used between two
// samples.
func ownCPU(before, after cpuSample) time.Duration {
	return time.Duration(after.self-before.self) * time.Second / clockTicks
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

func fetchOnce(client *http.Client, target string, header http.Header, wantBytes int) error {
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	switch {
	case err != nil:
		return err
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("status %d", resp.StatusCode)
	case int(n) != wantBytes:
		return fmt.Errorf("%d bytes, want %d", n, wantBytes)
	}
	return nil
}

// bareEcho is the floor: a bare echo.New() without middleware answering
// GET / with the given bytes and headers (those the App sent).
func bareEcho(body []byte, header http.Header) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	contentType := header.Get(echo.HeaderContentType)
	e.GET("/", func(c echo.Context) error {
		h := c.Response().Header()
		for k, v := range header {
			h[k] = v
		}
		return c.Blob(http.StatusOK, contentType, body)
	})
	return e
}

// servedBoard GETs the board once from the App and returns its exact body
// and the headers to replay (all but Date and Content-Length).
func servedBoard(tb testing.TB, base string, header http.Header) ([]byte, http.Header) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/", nil)
	req.Header = header.Clone()
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET / from the App: status %d, %v", resp.StatusCode, err)
	}
	replay := resp.Header.Clone()
	replay.Del("Date")
	replay.Del("Content-Length")
	return body, replay
}

// boardLoadResult is what one variant of BenchmarkBoardVersusBareEcho measured.
type boardLoadResult struct {
	bare, board       []loadRun
	bodyBytes         int
	logLines          int
	wrkBare, wrkBoard []wrkRun // with -load.wrk
}

// boardLoadResults keeps each variant's last measurement, so that a second
// call of the benchmark function with a larger b.N reports it again
// instead of measuring anew (the measurement runs for a fixed time).
var boardLoadResults sync.Map

// BenchmarkBoardVersusBareEcho serves the real App (SQLite, 180 days of demo
// data) and a bare Echo handler sending the same bytes and headers, each on
// a loopback listener, and drives each with the same in-process load
// generator: -load.conns keep-alive connections (50) sending requests back
// to back for -load.duration (5 s) after -load.warmup (1 s), in
// -load.rounds (5) rounds of both servers, the order alternating (bare,
// board; board, bare; ...). It reports the median requests per second of
// each, the median of the rounds' board/bare ratios (the target: at least
// 0.70) and the latencies pooled over all rounds (target: p99 under 20 ms).
// The load generator runs on the same two cores as the servers, as wrk
// would; with -load.wrk, wrk (when installed) drives both servers too, as
// a cross-check. Each variant measures once whatever b.N is:
//
//	go test -run '^$' -bench BoardVersusBareEcho -benchtime 1x ./app
//	go test -run '^$' -bench BoardVersusBareEcho -benchtime 1x ./app -args -load.wrk
func BenchmarkBoardVersusBareEcho(b *testing.B) {
	variants := []struct {
		name     string
		encoding string // the request's Accept-Encoding, "" for none (wrk's default)
		logs     string // "discard" or "file"
	}{
		{"identity/logs=discard", "", "discard"},
		{"gzip/logs=discard", "gzip", "discard"},
		{"identity/logs=file", "", "file"},
		{"gzip/logs=file", "gzip", "file"},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			if b.N > 1 {
				if r, ok := boardLoadResults.Load(b.Name()); ok {
					reportBoardLoad(b, r.(boardLoadResult))
					return
				}
			}
			var logs io.Writer = io.Discard
			var logFile *os.File
			if v.logs == "file" {
				f, err := os.Create(filepath.Join(b.TempDir(), "borderflow.log"))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = f.Close() })
				logs, logFile = f, f
			}
			a := newBenchApp(b, "sqlite:"+filepath.Join(b.TempDir(), "borderflow.db"), logs)
			now := time.Now()
			if _, err := models.LoadDemo(context.Background(), a.DB(), models.DemoOptions{
				Days: 180, End: models.DateOf(now, a.cfg.TimeZone).AddDays(-1), Now: now, Seed: 1,
			}); err != nil {
				b.Fatal(err)
			}
			header := http.Header{"User-Agent": {"borderflow-bench"}}
			if v.encoding != "" {
				header.Set("Accept-Encoding", v.encoding)
			}
			boardURL := serveLoopback(b, a.Handler())
			body, replay := servedBoard(b, boardURL, header)
			if got := replay.Get("Content-Encoding"); got != v.encoding {
				b.Fatalf("the App answered with Content-Encoding %q, want %q", got, v.encoding)
			}
			bareURL := serveLoopback(b, bareEcho(body, replay))
			if bareBody, _ := servedBoard(b, bareURL, header); string(bareBody) != string(body) {
				b.Fatal("the bare handler does not send the board's bytes")
			}

			result := boardLoadResult{bodyBytes: len(body)}
			b.ResetTimer()
			for round := range *loadRounds {
				servers := []struct {
					url  string
					runs *[]loadRun
				}{{bareURL, &result.bare}, {boardURL, &result.board}}
				if round%2 == 1 {
					servers[0], servers[1] = servers[1], servers[0] // against drift: bare, board, board, bare, ...
				}
				for _, s := range servers {
					run := generateLoad(s.url+"/", header, len(body), *loadConns, *loadWarmup, *loadDuration)
					if run.failures > 0 {
						b.Errorf("%s: %d of %d requests failed, first: %v", s.url, run.failures, run.failures+run.requests, run.firstErr)
					}
					*s.runs = append(*s.runs, run)
				}
			}
			if *loadWrk {
				for round := range *loadRounds {
					if round%2 == 0 {
						result.wrkBare = append(result.wrkBare, runWrk(b, bareURL+"/", v.encoding))
					}
					result.wrkBoard = append(result.wrkBoard, runWrk(b, boardURL+"/", v.encoding))
					if round%2 == 1 {
						result.wrkBare = append(result.wrkBare, runWrk(b, bareURL+"/", v.encoding))
					}
				}
			}
			b.StopTimer()
			if logFile != nil {
				data, err := os.ReadFile(logFile.Name())
				if err != nil {
					b.Fatal(err)
				}
				result.logLines = strings.Count(string(data), "\n")
				if result.logLines == 0 {
					b.Error("the App wrote no log lines to its log file")
				}
			}
			boardLoadResults.Store(b.Name(), result)
			reportBoardLoad(b, result)
		})
	}
}

// reportBoardLoad reports a variant's medians, ratio and latencies over
// its quiet rounds: those in which other processes used at most
// -load.maxforeign of the machine's CPU during both runs (the machine is
// shared; a busy neighbour takes CPU from one server's run and not the
// other's). With fewer than three quiet rounds it uses all and says so.
func reportBoardLoad(b *testing.B, r boardLoadResult) {
	median := func(v []float64) float64 {
		if len(v) == 0 {
			return 0
		}
		v = slices.Clone(v)
		sort.Float64s(v)
		if n := len(v); n%2 == 0 {
			return (v[n/2-1] + v[n/2]) / 2
		}
		return v[len(v)/2]
	}
	quiet := func(foreign ...float64) bool {
		for _, f := range foreign {
			if f < 0 || f > *loadMaxForeign {
				return false
			}
		}
		return true
	}
	pct := func(f float64) string {
		if f < 0 {
			return "?"
		}
		return fmt.Sprintf("%.0f%%", 100*f)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(0, "ns/op") // the figures below are the measurement; the loop time is not
	b.ReportMetric(float64(r.bodyBytes), "body_bytes")

	// The in-process load generator.
	var use []int
	for i := range r.board {
		if quiet(r.bare[i].foreign, r.board[i].foreign) {
			use = append(use, i)
		}
	}
	if len(use) < 3 {
		b.Logf("only %d of %d rounds were quiet (other processes at most %s of the CPU): the figures use all rounds and are noisy", len(use), len(r.board), pct(*loadMaxForeign))
		use = use[:0]
		for i := range r.board {
			use = append(use, i)
		}
	}
	var bareRates, boardRates, ratios []float64
	var bareLat, boardLat []time.Duration
	for _, i := range use {
		bareRates = append(bareRates, r.bare[i].rps())
		boardRates = append(boardRates, r.board[i].rps())
		// The median of each round's ratio: a round's two runs are adjacent
		// in time, so drift cancels out best there.
		ratios = append(ratios, r.board[i].rps()/r.bare[i].rps())
		bareLat = append(bareLat, r.bare[i].latencies...)
		boardLat = append(boardLat, r.board[i].latencies...)
	}
	slices.Sort(bareLat)
	slices.Sort(boardLat)
	b.ReportMetric(float64(len(use)), "rounds_used")
	b.ReportMetric(median(boardRates), "rps_board")
	b.ReportMetric(median(bareRates), "rps_bare")
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(ms(percentile(boardLat, 0.50)), "p50_ms_board")
	b.ReportMetric(ms(percentile(boardLat, 0.99)), "p99_ms_board")
	b.ReportMetric(ms(boardLat[len(boardLat)-1]), "max_ms_board")
	b.ReportMetric(ms(percentile(bareLat, 0.50)), "p50_ms_bare")
	b.ReportMetric(ms(percentile(bareLat, 0.99)), "p99_ms_bare")
	// CPU time per request, over every round: what a request costs does not
	// depend on how much CPU a neighbour leaves, so bare/board predicts the
	// throughput ratio of a CPU-bound server even on a busy machine.
	var cpuBare, cpuBoard, cpuRatios []float64
	for i := range r.board {
		cpuBare, cpuBoard = append(cpuBare, r.bare[i].cpuPerRequest()), append(cpuBoard, r.board[i].cpuPerRequest())
		cpuRatios = append(cpuRatios, r.bare[i].cpuPerRequest()/r.board[i].cpuPerRequest())
	}
	b.ReportMetric(median(cpuBare), "cpu_us/req_bare")
	b.ReportMetric(median(cpuBoard), "cpu_us/req_board")
	b.ReportMetric(median(cpuRatios), "cpu_ratio")
	var rounds []string
	for i := range r.board {
		rounds = append(rounds, fmt.Sprintf("bare %.0f, board %.0f = %.2f (p99 %.1f / %.1f ms; CPU %.0f / %.0f µs a request = %.2f; others used %s / %s of the CPU)",
			r.bare[i].rps(), r.board[i].rps(), r.board[i].rps()/r.bare[i].rps(),
			ms(percentile(r.bare[i].latencies, 0.99)), ms(percentile(r.board[i].latencies, 0.99)),
			cpuBare[i], cpuBoard[i], cpuRatios[i], pct(r.bare[i].foreign), pct(r.board[i].foreign)))
	}
	b.Logf("%d-byte body, %d connections, %s per run, log lines written: %d; rounds:\n%s",
		r.bodyBytes, *loadConns, *loadDuration, r.logLines, strings.Join(rounds, "\n"))

	// wrk, with -load.wrk.
	if len(r.wrkBoard) == 0 {
		return
	}
	use = use[:0]
	for i := range r.wrkBoard {
		if quiet(r.wrkBare[i].foreign, r.wrkBoard[i].foreign) {
			use = append(use, i)
		}
	}
	if len(use) < 3 {
		b.Logf("wrk: only %d of %d rounds were quiet: the figures use all rounds and are noisy", len(use), len(r.wrkBoard))
		use = use[:0]
		for i := range r.wrkBoard {
			use = append(use, i)
		}
	}
	var rpsBoard, rpsBare, wrkRatios, p99Board, p99Bare []float64
	for _, i := range use {
		w, v := r.wrkBoard[i], r.wrkBare[i]
		rpsBoard, rpsBare = append(rpsBoard, w.rps), append(rpsBare, v.rps)
		wrkRatios = append(wrkRatios, w.rps/v.rps)
		p99Board, p99Bare = append(p99Board, w.p99ms), append(p99Bare, v.p99ms)
	}
	b.ReportMetric(float64(len(use)), "wrk_rounds_used")
	b.ReportMetric(median(rpsBoard), "wrk_rps_board")
	b.ReportMetric(median(rpsBare), "wrk_rps_bare")
	b.ReportMetric(median(wrkRatios), "wrk_ratio")
	b.ReportMetric(median(p99Board), "wrk_p99_ms_board")
	b.ReportMetric(median(p99Bare), "wrk_p99_ms_bare")
	cpuRatios = cpuRatios[:0]
	for i := range r.wrkBoard {
		cpuRatios = append(cpuRatios, r.wrkBare[i].cpuPerRequest()/r.wrkBoard[i].cpuPerRequest())
	}
	b.ReportMetric(median(cpuRatios), "wrk_cpu_ratio")
	rounds = rounds[:0]
	for i := range r.wrkBoard {
		w, v := r.wrkBoard[i], r.wrkBare[i]
		rounds = append(rounds, fmt.Sprintf("bare %.0f, board %.0f = %.2f (p99 %.1f / %.1f ms; CPU %.0f / %.0f µs a request = %.2f; others used %s / %s of the CPU)",
			v.rps, w.rps, w.rps/v.rps, v.p99ms, w.p99ms, v.cpuPerRequest(), w.cpuPerRequest(), cpuRatios[i], pct(v.foreign), pct(w.foreign)))
	}
	b.Logf("wrk -t2 -c%d -d%s --latency; rounds:\n%s", *loadConns, *loadDuration, strings.Join(rounds, "\n"))
}

// wrkRun is what one run of wrk reported.
type wrkRun struct {
	rps, p99ms float64
	foreign    float64 // as in loadRun (wrk is this process's child)
	requests   int
	cpu        time.Duration // as in loadRun: the server's and wrk's
}

func (w wrkRun) cpuPerRequest() float64 {
	return float64(w.cpu) / float64(time.Microsecond) / float64(max(w.requests, 1))
}

var (
	wrkRPS = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkN   = regexp.MustCompile(`(\d+) requests in `)
	wrkP99 = regexp.MustCompile(`\s99%\s+([0-9.]+)(us|ms|s)\b`)
	wrkErr = regexp.MustCompile(`Non-2xx or 3xx responses|Socket errors`)
)

// runWrk drives target with wrk: two threads (the cores), -load.conns
// connections, -load.duration, after a -load.warmup run whose figures are
// dropped.
func runWrk(b *testing.B, target, encoding string) wrkRun {
	b.Helper()
	path, err := exec.LookPath("wrk")
	if err != nil {
		b.Fatal("-load.wrk: no wrk on PATH (apt-get install wrk)")
	}
	args := []string{"-t2", "-c" + strconv.Itoa(*loadConns), "--latency"}
	if encoding != "" {
		args = append(args, "-H", "Accept-Encoding: "+encoding)
	}
	run := func(d time.Duration) string {
		out, err := exec.Command(path, append(args, "-d"+strconv.Itoa(int(d.Seconds()))+"s", target)...).CombinedOutput()
		if err != nil {
			b.Fatalf("wrk: %v: %s", err, out)
		}
		return string(out)
	}
	if *loadWarmup >= time.Second {
		run(*loadWarmup)
	}
	before := sampleCPU()
	out := run(*loadDuration)
	after := sampleCPU()
	if wrkErr.MatchString(out) {
		b.Errorf("wrk saw errors on %s:\n%s", target, out)
	}
	m, l := wrkRPS.FindStringSubmatch(out), wrkP99.FindStringSubmatch(out)
	if m == nil || l == nil {
		b.Fatalf("cannot read wrk's output:\n%s", out)
	}
	w := wrkRun{foreign: foreignCPU(before, after), cpu: ownCPU(before, after)}
	if n := wrkN.FindStringSubmatch(out); n != nil {
		w.requests, _ = strconv.Atoi(n[1])
	}
	w.rps, _ = strconv.ParseFloat(m[1], 64)
	w.p99ms, _ = strconv.ParseFloat(l[1], 64)
	switch l[2] {
	case "us":
		w.p99ms /= 1000
	case "s":
		w.p99ms *= 1000
	}
	return w
}

// ---------------------------------------------------------------------------
// PostgreSQL with five years of figures for ten crossings.

// The large fixture, the same as models/benchfixture_test.go's (a _test.go
// file cannot be imported across packages): change both together. The two
// reference crossings plus eight more, each with a figure for every
// (direction, category, regime) on every day (54 rows a crossing a day), and
// a closure or restriction about every 19 days; five years make 986,040
// daily_figures rows, written a year per INSERT … SELECT in day order.
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

// loadLargeFixture is models/benchfixture_test.go's, returning nothing.
func loadLargeFixture(tb testing.TB, db *gorm.DB, days int, end models.Date, now time.Time) {
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
	if err := db.WithContext(ctx).Exec(`INSERT INTO crossing_days (crossing_id, day, version, verified_at, updated_at)
		SELECT crossing_id, day, 1, CASE WHEN day < ? THEN max(updated_at) END, max(updated_at)
		FROM daily_figures GROUP BY crossing_id, day`, unverifiedFrom).Error; err != nil {
		tb.Fatalf("write fixture crossing days: %v", err)
	}
	utcNow := now.UTC()
	err := db.WithContext(ctx).Exec(fixtureStatusSQL, first.AddDays(10), end, first, first, utcNow, utcNow).Error
	if err != nil {
		tb.Fatalf("write fixture status changes: %v", err)
	}
	if err := db.WithContext(ctx).Exec("ANALYZE").Error; err != nil {
		tb.Fatal(err)
	}
	var figures int64
	if err := db.WithContext(ctx).Model(&models.DailyFigure{}).Count(&figures).Error; err != nil {
		tb.Fatal(err)
	}
	tb.Logf("large fixture: 10 crossings, %d days (%s to %s): %d daily_figures rows, written in %s",
		days, first, end, figures, time.Since(started).Round(time.Millisecond))
}

// fixtureDays is five years of days, both ends included.
const fixtureDays = 5*365 + 1

// newLargePostgresApp builds the App on a PostgreSQL database of its own
// holding the five-year fixture, ending today.
func newLargePostgresApp(b *testing.B) *App {
	b.Helper()
	a := newBenchApp(b, testdb.PostgresURL(b), io.Discard)
	now := time.Now()
	loadLargeFixture(b, a.DB(), fixtureDays, models.DateOf(now, a.cfg.TimeZone), now)
	return a
}

// countingWriter is a ResponseWriter that keeps the status, the headers
// and the first bytes of the body and counts the rest, so that server time
// excludes growing a buffer for a body of megabytes (which
// httptest.ResponseRecorder would add and a socket would not).
type countingWriter struct {
	header http.Header
	status int
	bytes  int
	head   []byte
}

func newCountingWriter() *countingWriter { return &countingWriter{header: http.Header{}} }

func (w *countingWriter) Header() http.Header { return w.header }

func (w *countingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if len(w.head) < 300 {
		w.head = append(w.head, p[:min(len(p), 300-len(w.head))]...)
	}
	w.bytes += len(p)
	return len(p), nil
}

// serveRequest answers one GET on the App's router, as a client at addr
// with the headers given (name, value, ...), fails unless the answer is
// 200, and returns the body's length.
func serveRequest(b *testing.B, h http.Handler, path, addr string, header ...string) int {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = addr
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := newCountingWriter()
	h.ServeHTTP(w, req)
	if w.status != http.StatusOK {
		b.Fatalf("GET %s: status %d: %s", path, w.status, w.head)
	}
	return w.bytes
}

// BenchmarkCrossingPageLargePostgres times GET /crossings/torkham on the
// router (server time, no network) with the rendered-page cache emptied
// before each request, on PostgreSQL holding 986,040 figures. Target: under
// 50 ms. PostgreSQL's own buffer cache is warm, as on a live server. Also
// the board on the same database, and 50 requests for the crossing page
// arriving together on an empty cache (torkham_50_at_once: until all 50 are
// answered).
//
//	go test -run '^$' -bench CrossingPageLargePostgres -timeout 30m ./app
func BenchmarkCrossingPageLargePostgres(b *testing.B) {
	a := newLargePostgresApp(b)
	h := a.Handler()
	for _, page := range []struct{ name, path string }{
		{"torkham", "/crossings/torkham"},
		{"torkham_to_pakistan", "/crossings/torkham?direction=to_pakistan"},
		{"board", "/"},
	} {
		path := page.path
		b.Run(page.name, func(b *testing.B) {
			serveRequest(b, h, path, "192.0.2.1:1234") // connections and statements warm
			var size int
			var took []time.Duration
			before := sampleCPU()
			for b.Loop() {
				start := time.Now()
				a.pages.invalidate()
				size = serveRequest(b, h, path, "192.0.2.1:1234")
				took = append(took, time.Since(start))
			}
			reportOthersCPU(b, before)
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(time.Millisecond), "ms/op")
			b.ReportMetric(medianMS(took), "p50_ms")
			b.ReportMetric(float64(size), "body_bytes")
		})
	}
	// 50 clients asking for the page at the moment its cached copy expires
	// (every 30 s on a busy server): the time until all have their answer.
	b.Run("torkham_50_at_once", func(b *testing.B) {
		var failed atomic.Int64
		before := sampleCPU()
		for b.Loop() {
			a.pages.invalidate()
			var wg sync.WaitGroup
			for i := range 50 {
				wg.Go(func() {
					req := httptest.NewRequest(http.MethodGet, "/crossings/torkham", nil)
					req.RemoteAddr = fmt.Sprintf("192.0.2.%d:1234", i+1)
					w := newCountingWriter()
					h.ServeHTTP(w, req)
					if w.status != http.StatusOK {
						failed.Add(1)
					}
				})
			}
			wg.Wait()
		}
		reportOthersCPU(b, before)
		if n := failed.Load(); n > 0 {
			b.Fatalf("%d requests did not answer 200", n)
		}
		b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(time.Millisecond), "ms/op")
	})
}

// BenchmarkFiguresYearLargePostgres times a year of one crossing's figures
// (19,710 rows) on PostgreSQL holding 986,040 figures, three ways in each
// iteration: through the read API on the router (GET
// /api/v1/crossings/torkham/figures?from=&to=, server time; the target is
// under 100 ms), through models.FiguresInRange, and as the floor: the same
// read as one plain database/sql query scanned into local variables. It
// reports each mean and median and the API's and the model's ratio to the
// floor (of the medians).
//
//	go test -run '^$' -bench FiguresYearLargePostgres -timeout 30m ./app
func BenchmarkFiguresYearLargePostgres(b *testing.B) {
	a := newLargePostgresApp(b)
	h := a.Handler()
	ctx := context.Background()
	torkham, err := models.CrossingBySlug(ctx, a.DB(), "torkham")
	if err != nil {
		b.Fatal(err)
	}
	today := models.DateOf(a.now(), torkham.Location())
	year := models.DateRange{From: today.AddDays(-364), To: today}
	path := fmt.Sprintf("/api/v1/crossings/torkham/figures?from=%s&to=%s", year.From, year.To)
	sqlDB, err := a.DB().DB()
	if err != nil {
		b.Fatal(err)
	}
	floor := func() (int, error) {
		rows, err := sqlDB.QueryContext(ctx, `SELECT f.day, f.direction, c.code, c.loaded, f.regime, f.trucks, f.tonnes, f.value_usd, d.verified_at IS NOT NULL, f.updated_at
			FROM daily_figures f JOIN cargo_categories c ON c.id = f.category_id
			LEFT JOIN crossing_days d ON d.crossing_id = f.crossing_id AND d.day = f.day
			WHERE f.crossing_id = $1 AND f.day BETWEEN $2 AND $3
			ORDER BY f.day, f.direction, c.sort_order, f.regime`, torkham.ID, year.From, year.To)
		if err != nil {
			return 0, err
		}
		defer func() { _ = rows.Close() }()
		var (
			day, updated                time.Time
			direction, category, regime string
			loaded, verified            bool
			trucks                      int
			tonnes, value               *float64
			n                           int
		)
		for rows.Next() {
			if err := rows.Scan(&day, &direction, &category, &loaded, &regime, &trucks, &tonnes, &value, &verified, &updated); err != nil {
				return 0, err
			}
			n++
		}
		return n, rows.Err()
	}

	for _, encoding := range []string{"identity", "gzip"} {
		acceptEncoding := ""
		if encoding == "gzip" {
			acceptEncoding = "gzip"
		}
		b.Run(encoding, func(b *testing.B) {
			var api, model, sql time.Duration
			var apiTook, modelTook, sqlTook []time.Duration
			var rows, size int
			i := 0
			before := sampleCPU()
			for b.Loop() {
				// A client address of its own for each request, so that the
				// API's rate limit (per client) never answers 429.
				i++
				addr := fmt.Sprintf("198.51.%d.%d:1234", i/250%250, i%250)
				start := time.Now()
				size = serveRequest(b, h, path, addr, "Accept-Encoding", acceptEncoding)
				apiTook = append(apiTook, time.Since(start))
				api += apiTook[len(apiTook)-1]

				start = time.Now()
				figures, err := models.FiguresInRange(ctx, a.DB(), torkham.ID, year)
				modelTook = append(modelTook, time.Since(start))
				model += modelTook[len(modelTook)-1]
				if err != nil {
					b.Fatal(err)
				}

				start = time.Now()
				n, err := floor()
				sqlTook = append(sqlTook, time.Since(start))
				sql += sqlTook[len(sqlTook)-1]
				if err != nil {
					b.Fatal(err)
				}
				if n != len(figures) {
					b.Fatalf("the floor read %d rows, FiguresInRange %d", n, len(figures))
				}
				rows = n
			}
			reportOthersCPU(b, before)
			per := func(d time.Duration) float64 { return float64(d) / float64(b.N) / float64(time.Millisecond) }
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(per(api), "api_ms/op")
			b.ReportMetric(per(model), "model_ms/op")
			b.ReportMetric(per(sql), "sql_floor_ms/op")
			// Medians, and ratios of medians: a neighbour's burst of work
			// moves a mean more than a median.
			b.ReportMetric(medianMS(apiTook), "api_p50_ms")
			b.ReportMetric(medianMS(modelTook), "model_p50_ms")
			b.ReportMetric(medianMS(sqlTook), "sql_floor_p50_ms")
			b.ReportMetric(medianMS(apiTook)/medianMS(sqlTook), "api/floor")
			b.ReportMetric(medianMS(modelTook)/medianMS(sqlTook), "model/floor")
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(size), "body_bytes")
		})
	}
}
