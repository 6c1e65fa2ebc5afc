package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// Two `borderflow serve` processes on one PostgreSQL, each running the
// scheduled jobs (the stale-data job every second): a sign-in on one is a
// sign-in on the other; a status change made through one, with that
// session, is on the other's board within a second; and each period of the
// job runs once between them.
func TestTwoServeProcessesShareSessionsChangesAndJobs(t *testing.T) {
	dbURL := testdb.PostgresURL(t)
	setup := newTestApp(t, dbURL)
	createAccount(t, setup, "gul.khan", models.RoleOfficer, "torkham")
	jobsOn := []string{"BORDERFLOW_JOBS=on", "BORDERFLOW_JOB_SCHEDULES=stale-data=@every 1s"}
	a := startReplica(t, "a", dbURL, jobsOn...)
	b := startReplica(t, "b", dbURL, jobsOn...)
	started := time.Now()

	cookies := signInAt(t, a, "gul.khan", testPassword)
	t.Run("a sign-in on one replica is valid on the other", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, b.base+"/staff", nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		status, body, _ := do(req)
		if status != http.StatusOK || !strings.Contains(body, "gul.khan") {
			t.Fatalf("/staff on the other replica with the session: %d, names the user: %v", status, strings.Contains(body, "gul.khan"))
		}
	})

	t.Run("a status change through one replica is on the other's board within 1 s", func(t *testing.T) {
		if _, board, _ := a.get("/"); strings.Contains(board, "Convoy inspection") {
			t.Fatal("the note is on the board before it was written")
		}
		// The status form on b, with the session made on a.
		req, _ := http.NewRequest(http.MethodGet, b.base+"/staff/crossings/torkham/status", nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		status, form, _ := do(req)
		m := csrfField.FindStringSubmatch(form)
		if status != http.StatusOK || m == nil {
			t.Fatalf("the status form on b: %d", status)
		}
		values := url.Values{"_csrf": {m[1]}, "state": {"restricted"}, "scope": {"cargo_closed"}, "reason": {"security"},
			"note": {"Convoy inspection"}}
		req, _ = http.NewRequest(http.MethodPost, b.base+"/staff/crossings/torkham/status", strings.NewReader(values.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		if status, body, _ := do(req); status != http.StatusSeeOther {
			t.Fatalf("posting the status form on b: %d\n%s", status, excerpt(body, "error"))
		}
		recorded := time.Now()
		for {
			if _, board, _ := a.get("/"); strings.Contains(board, "Convoy inspection") {
				break
			}
			if time.Since(recorded) > time.Second {
				t.Fatal("a's board did not show the change made through b within 1 s")
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("on a's board %v after b answered", time.Since(recorded).Round(time.Millisecond))
	})

	t.Run("each period of a job scheduled on both runs once", func(t *testing.T) {
		time.Sleep(time.Until(started.Add(3500 * time.Millisecond)))
		a.stop()
		b.stop()
		runs, err := models.RecentJobRuns(context.Background(), setup.db, "stale-data", 100)
		if err != nil {
			t.Fatal(err)
		}
		succeeded := 0
		for _, r := range runs {
			if r.Status == models.JobSucceeded {
				succeeded++
			} else if !strings.Contains(r.Error, "shutdown") {
				t.Errorf("run %+v failed", r)
			}
		}
		ran := strings.Count(a.logs.String(), "job finished") + strings.Count(b.logs.String(), "job finished")
		skippedA, skippedB := strings.Count(a.logs.String(), "job skipped"), strings.Count(b.logs.String(), "job skipped")
		t.Logf("%d periods run, %d records; a skipped %d ticks, b %d", ran, len(runs), skippedA, skippedB)
		if succeeded < 2 {
			t.Fatalf("%d successful runs in 3.5 s on a one-second schedule; want at least 2", succeeded)
		}
		if ran != succeeded {
			t.Errorf("the replicas logged %d runs, the database recorded %d: some period ran twice or went unrecorded", ran, succeeded)
		}
		if skippedA+skippedB == 0 {
			t.Error("neither replica skipped a tick: they did not both fire on the same periods")
		}
		var marks int64
		setup.db.Model(&models.StaleMark{}).Count(&marks)
		if crossings, _ := models.ActiveCrossings(context.Background(), setup.db); int(marks) != len(crossings) {
			t.Errorf("%d stale marks for %d crossings: the runs' results overlap", marks, len(crossings))
		}
	})
}
