package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// quickAnswer is how long a request may take while PostgreSQL is down:
// an answer, not a hang.
const quickAnswer = 2 * time.Second

// writers makes an officer with an API token for each crossing and
// returns loadgen's SLUG=TOKEN lines.
func writers(t *testing.T, a *App) []string {
	t.Helper()
	var lines []string
	for _, slug := range []string{"torkham", "chaman"} {
		_, token := apiToken(t, a, "officer."+slug, models.RoleOfficer, slug)
		lines = append(lines, slug+"="+token)
	}
	return lines
}

// PostgreSQL stopped for 10 s under load, behind two replicas: every
// request is answered within quickAnswer (503 for what needs the
// database, naming the cause), /readyz fails, and within 5 s of its return
// everything works again by itself — reads, writes, and changes reaching
// the other replica's board — with every acknowledged write stored.
//
// The replicas are the built borderflow, as deployed, not the test binary:
// this test measures time, and the race detector makes a process several
// times slower, which on two cores under load would measure the detector
// rather than the recovery. The other process tests run the instrumented
// test binary.
func TestPostgresOutageUnderLoad(t *testing.T) {
	dbURL := testdb.PostgresURL(t)
	setup := newTestApp(t, dbURL)
	tokens := writers(t, setup)
	_, probeToken := apiToken(t, setup, "probe", models.RoleOfficer, "torkham")
	server := build(t, "borderflow")
	a, b := startServe(t, server, "a", dbURL), startServe(t, server, "b", dbURL)
	load := startLoad(t, buildLoadgen(t), tokens, []string{"-clients", "20", "-think", "20ms", "-duration", "22s",
		"-writers", "4", "-write-think", "200ms", "-timeout", "5s"}, a, b)
	time.Sleep(3 * time.Second)

	start := testdb.StopPostgres(t)
	down := time.Now()
	var slowest time.Duration
	seen := map[string]int{}
	for i := 0; time.Since(down) < 10*time.Second; i++ {
		for _, r := range []*replica{a, b} {
			// A range of its own each time, so that no cache answers.
			figures := fmt.Sprintf("/api/v1/crossings/torkham/figures?from=2025-01-01&to=2025-02-%02d", 1+i%28)
			checks := []struct {
				what   string
				status int
				body   string
				took   time.Duration
			}{}
			add := func(what string, status int, body string, took time.Duration) {
				checks = append(checks, struct {
					what   string
					status int
					body   string
					took   time.Duration
				}{what, status, body, took})
			}
			s, body, took := r.get("/readyz")
			add("/readyz", s, body, took)
			s, body, took = r.get(figures)
			add("figures API", s, body, took)
			s, body, took = r.get("/crossings/chaman", "Accept-Encoding", "gzip")
			add("crossing page", s, body, took)
			s, body, took = r.postJSON("/api/v1/crossings/torkham/status", probeToken, `{"state":"open","note":"probe during the outage"}`)
			add("API write", s, body, took)
			for _, c := range checks {
				slowest = max(slowest, c.took)
				if c.took > quickAnswer {
					t.Errorf("%s on %s took %v while PostgreSQL was down", c.what, r.name, c.took)
				}
				if time.Since(down) < 500*time.Millisecond {
					continue // connections are being cut
				}
				switch {
				case c.what == "crossing page" && c.status == http.StatusOK:
					// Still cached: the reader gets the page.
				case c.status != http.StatusServiceUnavailable:
					t.Errorf("%s on %s while PostgreSQL was down: %d, want 503: %.200s", c.what, r.name, c.status, c.body)
				case c.what == "API write" && !strings.Contains(c.body, `"code":"service_unavailable"`):
					t.Errorf("the API's 503 is not the error shape: %.200s", c.body)
				}
				seen[fmt.Sprintf("%s %d", c.what, c.status)]++
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("while down (10 s): %v; the slowest answer took %v", seen, slowest.Round(time.Millisecond))

	start()
	back := time.Now()
	for n := 0; ; n++ {
		note := fmt.Sprintf("back %d", n)
		// The four at once, as four users would: a round takes as long as
		// its slowest answer, not the sum of all four.
		var okA, okB, wrote, read int
		var round sync.WaitGroup
		round.Go(func() { okA, _, _ = a.get("/readyz") })
		round.Go(func() { okB, _, _ = b.get("/readyz") })
		round.Go(func() {
			wrote, _, _ = a.postJSON("/api/v1/crossings/torkham/status", probeToken, `{"state":"open","note":"`+note+`"}`)
		})
		round.Go(func() {
			read, _, _ = b.get(fmt.Sprintf("/api/v1/crossings/chaman/figures?from=2025-03-01&to=2025-03-%02d", 1+n%28))
		})
		round.Wait()
		shown := false
		for wait := time.Now(); wrote == http.StatusCreated && time.Since(wait) < time.Second && !shown; time.Sleep(20 * time.Millisecond) {
			_, board, _ := b.get("/")
			shown = strings.Contains(board, note)
		}
		// Counted to the end of the round that saw everything work.
		recovered := time.Since(back)
		if recovered > 5*time.Second {
			t.Fatalf("%v after PostgreSQL's return: readyz %d and %d, write %d, read %d, the change on the other board %v; want all working within 5 s",
				recovered.Round(time.Millisecond), okA, okB, wrote, read, shown)
		}
		if okA == http.StatusOK && okB == http.StatusOK && wrote == http.StatusCreated && read == http.StatusOK && shown {
			t.Logf("everything worked again %v after PostgreSQL's return", recovered.Round(time.Millisecond))
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	rep := load.wait()
	for cause, n := range rep.Errors {
		if cause != "status 503" {
			t.Errorf("%d requests failed with %s; only 503s are expected while PostgreSQL is down", n, cause)
		}
	}
	if rep.Errors["status 503"] == 0 {
		t.Error("the load saw no 503 while PostgreSQL was down")
	}
	stored := checkWritesStored(t, setup.db, load.writes)
	t.Logf("%d requests, failed: %v; %d acknowledged writes, all stored", rep.Requests, rep.Errors, stored)
	if stored == 0 {
		t.Error("no write was acknowledged")
	}
}

// SIGTERM to one of two replicas under load: the request in flight at the
// signal (a write whose body is still arriving) finishes and is stored, the
// replica exits cleanly within its grace period, and no client sees a
// reset or a connection closed under its request. Once the replica has
// closed its port, requests sent to it are refused (a reverse proxy sends
// them to the other); the load generator's writers send those again to the
// other replica with the same Idempotency-Key.
func TestSIGTERMUnderLoadFinishesInFlightRequests(t *testing.T) {
	dbURL := testdb.PostgresURL(t)
	setup := newTestApp(t, dbURL)
	tokens := writers(t, setup)
	_, slowToken := apiToken(t, setup, "slow", models.RoleOfficer, "torkham")
	a, b := startReplica(t, "a", dbURL), startReplica(t, "b", dbURL)
	load := startLoad(t, buildLoadgen(t), tokens, []string{"-clients", "30", "-think", "10ms", "-duration", "8s", "-ramp", "1s",
		"-writers", "4", "-write-think", "200ms", "-timeout", "10s"}, a, b)
	time.Sleep(2500 * time.Millisecond)

	// A write whose headers and half its body are sent before the signal,
	// the rest a second after it.
	body := `{"state":"restricted","scope":"cargo_closed","reason":"weather","note":"Sent across a shutdown"}`
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, a.base+"/api/v1/crossings/torkham/status", pr)
	req.ContentLength = int64(len(body))
	req.Header.Set("Authorization", "Bearer "+slowToken)
	req.Header.Set("Content-Type", "application/json")
	answered := make(chan int, 1)
	go func() {
		status, text, _ := do(req)
		if status != http.StatusCreated {
			t.Errorf("the write in flight at SIGTERM: %d %s", status, text)
		}
		answered <- status
	}()
	_, _ = pw.Write([]byte(body[:len(body)/2]))
	time.Sleep(300 * time.Millisecond)
	signalled := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	_, _ = pw.Write([]byte(body[len(body)/2:]))
	_ = pw.Close()
	<-answered
	select {
	case <-a.done:
	case <-time.After(shutdownGrace + 2*time.Second):
		t.Fatalf("the replica had not exited %v after SIGTERM", shutdownGrace+2*time.Second)
	}
	if a.exit != nil {
		t.Errorf("the replica exited with %v after SIGTERM, want status 0", a.exit)
	}
	t.Logf("the replica exited %v after SIGTERM", a.exited.Sub(signalled).Round(time.Millisecond))
	var stored int64
	setup.db.Model(&models.StatusChange{}).Where("note = ?", "Sent across a shutdown").Count(&stored)
	if stored != 1 {
		t.Errorf("the write in flight at SIGTERM is stored %d times, want once", stored)
	}

	rep := load.wait()
	for cause, n := range rep.Errors {
		if cause != "refused" {
			t.Errorf("%d requests failed with %s", n, cause)
		}
	}
	if status, _, _ := b.get("/readyz"); status != http.StatusOK {
		t.Errorf("the other replica's /readyz: %d", status)
	}
	writes := checkWritesStored(t, setup.db, load.writes)
	t.Logf("%d requests; %d refused by the stopped replica's closed port; %d acknowledged writes, all stored",
		rep.Requests, rep.Errors["refused"], writes)
}

// A job killed with SIGKILL in the middle of its run (the stale-data job,
// held up halfway through replacing the marks) leaves nothing half done:
// no run stuck as running, and the next run, by another process,
// completes with the results of a clean run.
func TestAJobKilledMidRunIsRunCleanlyNextTime(t *testing.T) {
	dbURL := testdb.PostgresURL(t)
	setup := newTestApp(t, dbURL)
	ctx := context.Background()
	torkham, err := models.CrossingBySlug(ctx, setup.db, "torkham")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.RecordStatusChange(ctx, setup.db, models.Actor{Name: "test"},
		models.StatusInput{CrossingID: torkham.ID, State: models.StateOpen}, time.Now()); err != nil {
		t.Fatal(err)
	}
	marks := func() []models.StaleMark {
		var m []models.StaleMark
		if err := setup.db.Order("crossing_id").Find(&m).Error; err != nil {
			t.Fatal(err)
		}
		for i := range m {
			m[i].ComputedAt = time.Time{} // when, not what
		}
		return m
	}
	cli := CLI{Getenv: env(map[string]string{"BORDERFLOW_DATABASE_URL": dbURL}), Stdout: io.Discard, Stderr: io.Discard}
	if code := cli.Main(ctx, []string{"jobs", "run", "stale-data"}); code != 0 {
		t.Fatalf("the clean run exited %d", code)
	}
	clean := marks()
	if len(clean) < 2 || clean[0].StatusOverdue == clean[1].StatusOverdue {
		t.Fatalf("the clean run's marks %+v do not tell the crossings apart", clean)
	}

	// Hold one mark, so that the next run stops inside its transaction,
	// halfway through deleting the marks.
	hold := setup.db.Begin()
	defer hold.Rollback()
	if err := hold.Exec("SELECT 1 FROM stale_marks WHERE crossing_id = ? FOR UPDATE", torkham.ID).Error; err != nil {
		t.Fatal(err)
	}
	jobsOn := []string{"BORDERFLOW_JOBS=on", "BORDERFLOW_JOB_SCHEDULES=stale-data=@every 1s"}
	killed := startReplica(t, "killed", dbURL, jobsOn...)
	waiting := func() int64 {
		var n int64
		setup.db.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM stale_marks%'`).Scan(&n)
		return n
	}
	for deadline := time.Now().Add(10 * time.Second); waiting() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the scheduled run did not reach the held mark within 10 s")
		}
	}
	if err := killed.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-killed.done
	hold.Rollback()
	if got := marks(); !reflect.DeepEqual(got, clean) {
		t.Errorf("the killed run left marks %+v, want the clean run's %+v", got, clean)
	}

	restarted := time.Now()
	next := startReplica(t, "next", dbURL, jobsOn...)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		last, err := models.LastSuccessfulJobRun(setup.db, "stale-data")
		if err != nil {
			t.Fatal(err)
		}
		if last != nil && last.StartedAt.After(restarted) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no successful run within 10 s of the restart")
		}
	}
	next.stop()
	if got := marks(); !reflect.DeepEqual(got, clean) {
		t.Errorf("the next run's marks %+v, want the clean run's %+v", got, clean)
	}
	runs, err := models.RecentJobRuns(ctx, setup.db, "stale-data", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Status == models.JobRunning {
			t.Errorf("run %+v is still marked running", r)
		}
	}
	t.Logf("%d runs recorded after the kill; the marks equal the clean run's", len(runs))
}
