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
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

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
	before := testdb.SampleCPU()
	time.Sleep(time.Until(until))
	after := testdb.SampleCPU()
	wg.Wait()
	run := loadRun{elapsed: measure, foreign: testdb.ForeignCPU(before, after), cpu: testdb.OwnCPU(before, after)}
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
			boardURL := runApp(b, a)
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
	before := testdb.SampleCPU()
	out := run(*loadDuration)
	after := testdb.SampleCPU()
	if wrkErr.MatchString(out) {
		b.Errorf("wrk saw errors on %s:\n%s", target, out)
	}
	m, l := wrkRPS.FindStringSubmatch(out), wrkP99.FindStringSubmatch(out)
	if m == nil || l == nil {
		b.Fatalf("cannot read wrk's output:\n%s", out)
	}
	w := wrkRun{foreign: testdb.ForeignCPU(before, after), cpu: testdb.OwnCPU(before, after)}
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

// newLargePostgresApp builds the App on a PostgreSQL database of its own
// holding the five-year fixture, ending today.
func newLargePostgresApp(b *testing.B) *App {
	a, _ := newLargePostgres(b)
	return a
}

// newLargePostgres is newLargePostgresApp that also returns the
// database's URL, for a server process of its own.
func newLargePostgres(b *testing.B) (*App, string) {
	b.Helper()
	url := testdb.PostgresURL(b)
	a := newBenchApp(b, url, io.Discard)
	now := time.Now()
	testdb.LoadLarge(b, a.DB(), testdb.LargeDays, models.DateOf(now, a.cfg.TimeZone), now)
	return a, url
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
			before := testdb.SampleCPU()
			for b.Loop() {
				start := time.Now()
				a.pages.invalidate()
				size = serveRequest(b, h, path, "192.0.2.1:1234")
				took = append(took, time.Since(start))
			}
			testdb.ReportOthersCPU(b, before)
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(time.Millisecond), "ms/op")
			b.ReportMetric(testdb.MedianMS(took), "p50_ms")
			b.ReportMetric(float64(size), "body_bytes")
		})
	}
	// 50 clients asking for the page at the moment its cached copy expires
	// (every 30 s on a busy server): the time until all have their answer.
	b.Run("torkham_50_at_once", func(b *testing.B) {
		var failed atomic.Int64
		before := testdb.SampleCPU()
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
		testdb.ReportOthersCPU(b, before)
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
		rows, err := sqlDB.QueryContext(ctx, `SELECT f.day, f.direction, c.code, c.loaded, f.regime, f.trucks,
			CAST(f.tonnes AS double precision), CAST(f.value_usd AS double precision), d.verified_at IS NOT NULL
			FROM daily_figures f JOIN cargo_categories c ON c.id = f.category_id
			LEFT JOIN crossing_days d ON d.crossing_id = f.crossing_id AND d.day = f.day
			WHERE f.crossing_id = $1 AND f.day BETWEEN $2 AND $3
			ORDER BY f.day, f.direction, c.sort_order, f.regime`, torkham.ID, year.From, year.To)
		if err != nil {
			return 0, err
		}
		defer func() { _ = rows.Close() }()
		var (
			day                         time.Time
			direction, category, regime string
			loaded, verified            bool
			trucks                      int
			tonnes, value               *float64
			n                           int
		)
		for rows.Next() {
			if err := rows.Scan(&day, &direction, &category, &loaded, &regime, &trucks, &tonnes, &value, &verified); err != nil {
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
			before := testdb.SampleCPU()
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
			testdb.ReportOthersCPU(b, before)
			per := func(d time.Duration) float64 { return float64(d) / float64(b.N) / float64(time.Millisecond) }
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(per(api), "api_ms/op")
			b.ReportMetric(per(model), "model_ms/op")
			b.ReportMetric(per(sql), "sql_floor_ms/op")
			// Medians, and ratios of medians: a neighbour's burst of work
			// moves a mean more than a median.
			b.ReportMetric(testdb.MedianMS(apiTook), "api_p50_ms")
			b.ReportMetric(testdb.MedianMS(modelTook), "model_p50_ms")
			b.ReportMetric(testdb.MedianMS(sqlTook), "sql_floor_p50_ms")
			b.ReportMetric(testdb.MedianMS(apiTook)/testdb.MedianMS(sqlTook), "api/floor")
			b.ReportMetric(testdb.MedianMS(modelTook)/testdb.MedianMS(sqlTook), "model/floor")
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(size), "body_bytes")
		})
	}
}
