package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
)

// The tests of replicas, faults and load run borderflow as separate
// processes: the test binary re-executed with serveChildEnv set is
// `borderflow serve` (TestMain), configured by its environment as the
// real binary is.
const serveChildEnv = "BORDERFLOW_APP_TEST_SERVE"

// serveAsChild is cmd/borderflow's main, for a re-executed test binary.
func serveAsChild() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cli := CLI{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	return cli.Main(ctx, []string{"serve"})
}

// replica is one `borderflow serve` process on loopback.
type replica struct {
	t      testing.TB
	name   string
	base   string
	cmd    *exec.Cmd
	logs   *syncBuffer
	done   chan struct{} // closed when the process has exited
	exit   error
	exited time.Time
}

// startReplica serves databaseURL in a new process, its jobs off unless
// env says otherwise (NAME=VALUE pairs), trusting 127.0.0.1 as a proxy
// (the load generator's X-Forwarded-For), and waits until it is ready. It
// is stopped with SIGTERM when the test ends, if still running.
func startReplica(t testing.TB, name, databaseURL string, env ...string) *replica {
	t.Helper()
	return startServe(t, os.Args[0], name, databaseURL, env...)
}

// startServe is startReplica running bin: a built borderflow, or the test
// binary itself.
func startServe(t testing.TB, bin, name, databaseURL string, env ...string) *replica {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	r := &replica{t: t, name: name, base: "http://" + addr, logs: &syncBuffer{}, done: make(chan struct{})}
	r.cmd = exec.Command(bin, "serve")
	if bin == os.Args[0] {
		r.cmd.Args = []string{bin, "-test.run=^$"}
	}
	r.cmd.Env = append(os.Environ(), serveChildEnv+"=1", "BORDERFLOW_DATABASE_URL="+databaseURL, "BORDERFLOW_ADDR="+addr,
		"BORDERFLOW_JOBS=off", "BORDERFLOW_DEMO=off", "BORDERFLOW_TRUSTED_PROXIES=127.0.0.1/32")
	r.cmd.Env = append(r.cmd.Env, env...)
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	// A replica dies with the test binary, however that ends.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.exit = r.cmd.Wait()
		r.exited = time.Now()
		close(r.done)
	}()
	t.Cleanup(func() {
		r.stop()
		if t.Failed() {
			t.Logf("replica %s logged these warnings and errors:\n%s\nand last:\n%s", r.name,
				problems(r.logs.String()), lastLines(r.logs.String(), 20))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if status, _, _ := r.get("/readyz"); status == http.StatusOK {
			return r
		}
		select {
		case <-r.done:
			t.Fatalf("replica %s exited at start: %v\n%s", name, r.exit, r.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s not ready within 30 s:\n%s", name, r.logs.String())
		}
	}
}

// stop ends the process with SIGTERM, and SIGKILL after 15 s.
func (r *replica) stop() {
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(15 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
		r.t.Errorf("replica %s did not stop within 15 s of SIGTERM", r.name)
	}
}

// get fetches path with a fresh connection: its status, body and how long
// the answer took (status 0 when there was none).
func (r *replica) get(path string, header ...string) (int, string, time.Duration) {
	req, err := http.NewRequest(http.MethodGet, r.base+path, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(req)
}

var noRedirects = &http.Client{
	Timeout:       10 * time.Second,
	Transport:     &http.Transport{DisableKeepAlives: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func do(req *http.Request) (int, string, time.Duration) {
	start := time.Now()
	resp, err := noRedirects.Do(req)
	if err != nil {
		return 0, err.Error(), time.Since(start)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), time.Since(start)
}

// postJSON sends a JSON body with the API token.
func (r *replica) postJSON(path, token, body string, header ...string) (int, string, time.Duration) {
	req, err := http.NewRequest(http.MethodPost, r.base+path, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(req)
}

// problems lists the distinct warnings and errors of a log, each once with
// how often it came, without times and request IDs.
func problems(log string) string {
	counts := map[string]int{}
	var order []string
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, "level=WARN") && !strings.Contains(line, "level=ERROR") {
			continue
		}
		line = stamps.ReplaceAllString(line, "")
		if counts[line] == 0 {
			order = append(order, line)
		}
		counts[line]++
	}
	// A few distinct lines say what went wrong; thousands would bury the
	// test's own failure message in the log.
	const shown = 30
	var b strings.Builder
	for _, line := range order[:min(len(order), shown)] {
		fmt.Fprintf(&b, "%5d× %.400s\n", counts[line], line)
	}
	if len(order) > shown {
		fmt.Fprintf(&b, "… and %d other distinct lines\n", len(order)-shown)
	}
	return b.String()
}

var stamps = regexp.MustCompile(`(time|request_id|latency|elapsed)=\S+ ?`)

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// csrfField finds the CSRF token of a form.
var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signInAt signs in on the replica as a browser would (the sign-in page,
// its CSRF cookie and token, the form posted) and returns the cookies the
// browser then holds.
func signInAt(t *testing.T, r *replica, username, password string) []*http.Cookie {
	t.Helper()
	resp, err := noRedirects.Get(r.base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("the sign-in page: %d, CSRF field found: %v", resp.StatusCode, m != nil)
	}
	cookies := resp.Cookies()
	form := fmt.Sprintf("username=%s&password=%s&_csrf=%s", username, strings.ReplaceAll(password, " ", "+"), m[1])
	req, _ := http.NewRequest(http.MethodPost, r.base+"/login", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err = noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in on %s answered %d, want 303", r.name, resp.StatusCode)
	}
	return mergeCookies(cookies, resp.Cookies())
}

// mergeCookies is what a browser holds after later replaces earlier.
func mergeCookies(earlier, later []*http.Cookie) []*http.Cookie {
	byName := map[string]*http.Cookie{}
	var order []string
	for _, c := range append(earlier, later...) {
		if _, ok := byName[c.Name]; !ok {
			order = append(order, c.Name)
		}
		byName[c.Name] = c
	}
	out := make([]*http.Cookie, 0, len(order))
	for _, name := range order {
		out = append(out, byName[name])
	}
	return out
}

// buildLoadgen builds cmd/loadgen into the test's temporary directory.
func buildLoadgen(t testing.TB) string { return build(t, "loadgen") }

// build builds the command borderflow/cmd/name into the test's temporary
// directory and returns its path.
func build(t testing.TB, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	out, err := exec.Command("go", "build", "-o", bin, "borderflow/cmd/"+name).CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, out)
	}
	return bin
}

// loadReport is the part of loadgen's -report JSON the tests read.
type loadReport struct {
	Requests int                       `json:"requests"`
	Elapsed  time.Duration             `json:"elapsed_ns"`
	Errors   map[string]int            `json:"errors"`
	Writes   int                       `json:"acknowledged_writes"`
	First    []string                  `json:"first_errors"`
	Kinds    []loadKind                `json:"kinds"`
	ByKind   map[string]map[string]int `json:"errors_by_kind"`
}

type loadKind struct {
	Kind   string  `json:"kind"`
	Count  int     `json:"count"`
	Errors int     `json:"errors"`
	P50    float64 `json:"p50_ms"`
	P90    float64 `json:"p90_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

// loadProcess is a loadgen process running against some replicas.
type loadProcess struct {
	t      testing.TB
	cmd    *exec.Cmd
	out    *syncBuffer
	report string
	writes string
}

// startLoad starts loadgen with args before the targets, logging its
// acknowledged writes; tokens are the writers' SLUG=TOKEN lines.
func startLoad(t testing.TB, bin string, tokens []string, args []string, targets ...*replica) *loadProcess {
	t.Helper()
	dir := t.TempDir()
	l := &loadProcess{t: t, out: &syncBuffer{}, report: filepath.Join(dir, "report.json"), writes: filepath.Join(dir, "writes.jsonl")}
	tokensFile := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokensFile, []byte(strings.Join(tokens, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	all := append([]string{"-report", l.report, "-writes", l.writes, "-tokens", tokensFile}, args...)
	for _, r := range targets {
		all = append(all, r.base)
	}
	l.cmd = exec.Command(bin, all...)
	l.cmd.Stdout, l.cmd.Stderr = l.out, l.out
	l.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return l
}

// wait waits for the run to end and returns its report (loadgen exits 1
// when a request failed, which the caller judges from the report).
func (l *loadProcess) wait() loadReport {
	l.t.Helper()
	err := l.cmd.Wait()
	data, rerr := os.ReadFile(l.report)
	if rerr != nil {
		l.t.Fatalf("loadgen: %v, no report (%v):\n%s", err, rerr, l.out.String())
	}
	var rep loadReport
	if err := json.Unmarshal(data, &rep); err != nil {
		l.t.Fatal(err)
	}
	l.t.Logf("loadgen:\n%s", l.out.String())
	return rep
}

func (rep loadReport) kind(kind string) loadKind {
	for _, k := range rep.Kinds {
		if k.Kind == kind {
			return k
		}
	}
	return loadKind{Kind: kind}
}

// loggedWrite is a line of loadgen's -writes log.
type loggedWrite struct {
	ID, Kind, Crossing, Date, Direction, Category string
	Trucks                                        int
}

// checkWritesStored fails the test unless every write loadgen logged as
// acknowledged is in the database: each status change (by its note), each
// save of figures (its audit record, by the edit reason), and, for each
// day and category, the figure of the last save. It returns how many.
func checkWritesStored(t testing.TB, db *gorm.DB, writesLog string) int {
	t.Helper()
	f, err := os.Open(writesLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	last := map[string]loggedWrite{} // crossing/day/category → its last save
	n, missing := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var w loggedWrite
		if err := json.Unmarshal(sc.Bytes(), &w); err != nil {
			t.Fatal(err)
		}
		n++
		table, column := "audit_log", "detail"
		if w.Kind == "status" {
			table, column = "status_changes", "note"
		} else {
			last[w.Crossing+"/"+w.Date+"/"+w.Category] = w // the log is in order of acknowledgement
		}
		var found int64
		if err := db.Table(table).Where(column+" = ?", w.ID).Count(&found).Error; err != nil {
			t.Fatal(err)
		}
		if found != 1 {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged write %s (%s) has %d records in %s", w.ID, w.Kind, found, table)
			}
		}
	}
	for _, w := range last {
		crossing, err := models.CrossingBySlug(ctx, db, w.Crossing)
		if err != nil {
			t.Fatal(err)
		}
		day, _ := models.ParseDate(w.Date)
		_, rows, err := models.DayFigures(ctx, db, crossing.ID, day)
		if err != nil {
			t.Fatal(err)
		}
		stored := -1
		for _, r := range rows {
			if r.CategoryCode == w.Category && string(r.Direction) == w.Direction && r.Regime == models.RegimeBilateral {
				stored = r.Trucks
			}
		}
		if stored != w.Trucks {
			t.Errorf("%s %s %s: %d trucks stored, the last acknowledged save (%s) wrote %d", w.Crossing, w.Date, w.Category, stored, w.ID, w.Trucks)
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged writes missing", missing, n)
	}
	return n
}
