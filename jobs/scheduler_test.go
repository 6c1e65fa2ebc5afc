package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

func TestMain(m *testing.M) {
	if url := childDatabase(); url != "" {
		runChild(url)
		return
	}
	testdb.Main(m)
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testScheduler runs the given jobs (the registry's when none) in UTC.
func testScheduler(t *testing.T, db *gorm.DB, jobs ...Job) *Scheduler {
	t.Helper()
	if len(jobs) == 0 {
		jobs = Registry(Options{StaleAfter: 36 * time.Hour})
	}
	s, err := newScheduler(db, quietLog(), Options{Location: time.UTC}, jobs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// runsOf returns the job's recorded runs, oldest first.
func runsOf(t *testing.T, db *gorm.DB, job string) []models.JobRun {
	t.Helper()
	var runs []models.JobRun
	if err := db.Where("job = ?", job).Order("started_at, id").Find(&runs).Error; err != nil {
		t.Fatal(err)
	}
	return runs
}

// waitFor polls cond every 50 ms for up to limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s did not happen within %s", what, limit)
		}
	}
}

func TestScheduledRunHappensOncePerPeriodAndIsRecorded(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		var calls atomic.Int32
		job := Job{Name: "count", Schedule: "@every 1h",
			Run: func(ctx context.Context, tx *gorm.DB, run RunOptions) (int, error) { calls.Add(1); return 3, nil }}
		s := testScheduler(t, db, job)
		tick := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
		run, err := s.RunScheduled(job, tick)
		if err != nil || run.Status != models.JobSucceeded || run.RowsWritten != 3 || run.FinishedAt == nil {
			t.Fatalf("first run = %+v, %v", run, err)
		}
		// Another replica firing for the same tick does nothing.
		if _, err := s.RunScheduled(job, tick); !errors.Is(err, ErrAlreadyRun) {
			t.Errorf("second run of the same tick: %v, want ErrAlreadyRun", err)
		}
		if calls.Load() != 1 {
			t.Errorf("body ran %d times, want once", calls.Load())
		}
		runs := runsOf(t, db, "count")
		if len(runs) != 1 || runs[0].Period != "2026-11-27T10:00:00Z" || runs[0].Status != models.JobSucceeded || runs[0].RowsWritten != 3 {
			t.Errorf("stored runs = %+v, want one succeeded run for the tick", runs)
		}
	})
}

// TestPanicBecomesAFailedRunAndTheNextPeriodStillRuns runs the real cron
// on a one-second schedule: the first tick panics, the next one runs.
func TestPanicBecomesAFailedRunAndTheNextPeriodStillRuns(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		job := Job{Name: "flaky", Schedule: "@every 1s",
			Run: panicOnce(func(context.Context, *gorm.DB, RunOptions) (int, error) { return 1, nil })}
		s := testScheduler(t, db, job)
		s.Start()
		waitFor(t, 5*time.Second, "a successful run after the panic", func() bool {
			runs := runsOf(t, db, "flaky")
			return len(runs) >= 2 && runs[len(runs)-1].Status == models.JobSucceeded
		})
		s.Stop()
		runs := runsOf(t, db, "flaky")
		if runs[0].Status != models.JobFailed || !strings.Contains(runs[0].Error, "panicked: index out of range") || runs[0].FinishedAt == nil {
			t.Errorf("first run = %+v, want failed with the panic", runs[0])
		}
		if runs[0].Period == runs[1].Period {
			t.Errorf("both runs have the period %s", runs[0].Period)
		}
	})
}

// panicOnce makes body panic on its first call.
func panicOnce(body Body) Body {
	var called atomic.Bool
	return func(ctx context.Context, tx *gorm.DB, run RunOptions) (int, error) {
		if !called.Swap(true) {
			panic("index out of range")
		}
		return body(ctx, tx, run)
	}
}

// resultsJob replaces the sessions table's rows by one named after the run,
// the way a job replaces its results; its second run waits for shutdown
// after deleting the previous results.
func resultsJob(started chan<- struct{}) Job {
	var calls atomic.Int32
	return Job{Name: "results", Schedule: "@daily", Run: func(ctx context.Context, tx *gorm.DB, run RunOptions) (int, error) {
		n := calls.Add(1)
		if err := tx.Exec("DELETE FROM sessions").Error; err != nil {
			return 0, err
		}
		if err := tx.Create(&models.Session{Token: fmt.Sprintf("run-%d", n), Data: []byte("x"), Expiry: time.Now().Add(time.Hour)}).Error; err != nil {
			return 0, err
		}
		if n == 2 {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		}
		return 1, nil
	}}
}

func TestShutdownCancelsARunAndKeepsThePreviousResults(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		started := make(chan struct{})
		s := testScheduler(t, db, resultsJob(started))
		if run, err := s.RunNow(context.Background(), "results", Manual{Actor: models.Actor{Name: "test"}}); err != nil || run.Status != models.JobSucceeded {
			t.Fatalf("first run = %+v, %v", run, err)
		}
		if err := s.StartNow("results", Manual{Actor: models.Actor{Name: "test"}}); err != nil {
			t.Fatal(err)
		}
		<-started
		if err := s.StartNow("results", Manual{}); !errors.Is(err, ErrBusy) {
			t.Errorf("a second run while one is in progress: %v, want ErrBusy", err)
		}
		s.Stop() // as at SIGTERM: cancels the run and waits for it
		var tokens []string
		db.Model(&models.Session{}).Pluck("token", &tokens)
		if len(tokens) != 1 || tokens[0] != "run-1" {
			t.Errorf("results after the cancelled run = %v, want the first run's [run-1]", tokens)
		}
		runs := runsOf(t, db, "results")
		if len(runs) != 2 || runs[1].Status != models.JobFailed || !strings.Contains(runs[1].Error, "shutdown") || runs[1].RowsWritten != 0 {
			t.Errorf("runs = %+v, want the second one failed by shutdown", runs)
		}
		if err := s.StartNow("results", Manual{}); !errors.Is(err, ErrStopped) {
			t.Errorf("a run after shutdown: %v, want ErrStopped", err)
		}
	})
}

func TestManualRunIsAuditedAndRefusesDaysTheJobCannotUse(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		var got RunOptions
		ranged := Job{Name: "ranged", Schedule: "@daily", Ranged: true,
			Run: func(ctx context.Context, tx *gorm.DB, run RunOptions) (int, error) { got = run; return 2, nil }}
		s := testScheduler(t, db, ranged, cleanupJob())
		from, to := models.NewDate(2026, 1, 1), models.NewDate(2026, 1, 31)
		run, err := s.RunNow(context.Background(), "ranged", Manual{Actor: models.Actor{Name: "root", IP: "192.0.2.10"}, From: from, To: to})
		if err != nil || !strings.HasPrefix(run.Period, "manual:") || !got.Manual || got.From != from || got.To != to {
			t.Fatalf("manual run = %+v, %v; body saw %+v", run, err, got)
		}
		var audit []models.AuditEntry
		db.Where("entity = ? AND entity_id = ?", "job", "ranged").Find(&audit)
		if len(audit) != 1 || audit[0].Actor != "root" || audit[0].Action != "run" ||
			!strings.Contains(audit[0].After, `"from":"2026-01-01"`) || !strings.Contains(audit[0].After, `"status":"succeeded"`) {
			t.Errorf("audit = %+v, want one run by root over January", audit)
		}
		// The next run learns when the last successful one started.
		if _, err := s.RunNow(context.Background(), "ranged", Manual{}); err != nil || !got.LastSuccess.Equal(run.StartedAt) {
			t.Errorf("second run saw last success %v, want %v (%v)", got.LastSuccess, run.StartedAt, err)
		}
		if _, err := s.RunNow(context.Background(), "cleanup", Manual{From: from, To: to}); err == nil || !strings.Contains(err.Error(), "takes no --from/--to") {
			t.Errorf("cleanup with days: %v", err)
		}
		if _, err := s.RunNow(context.Background(), "nightly", Manual{}); !errors.Is(err, ErrUnknownJob) || !strings.Contains(err.Error(), "ranged, cleanup") {
			t.Errorf("unknown job: %v, want the list of jobs", err)
		}
	})
}

func TestCleanupDeletesExpiredSessionsKeysAndOldLoginAttempts(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		now := time.Now().UTC().Truncate(time.Second)
		sessions := []models.Session{
			{Token: "old", Data: []byte("x"), Expiry: now.Add(-time.Hour)},
			{Token: "live", Data: []byte("x"), Expiry: now.Add(time.Hour)},
		}
		if err := db.Create(&sessions).Error; err != nil {
			t.Fatal(err)
		}
		attempts := []models.LoginAttempt{
			{Username: "gone", IP: "192.0.2.1", At: now.Add(-31 * 24 * time.Hour)},
			{Username: "kept", IP: "192.0.2.1", At: now.Add(-29 * 24 * time.Hour), Succeeded: true},
			{Username: "recent", IP: "192.0.2.1", At: now.Add(-time.Minute)},
		}
		if err := db.Create(&attempts).Error; err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, err := models.CreateUser(ctx, db, models.NewUser{Username: "root", Password: "amber river lantern 42", Role: models.RoleAdmin}, models.Actor{Name: "test"}); err != nil {
			t.Fatal(err)
		}
		_, token, err := models.CreateAPIToken(ctx, db, "root", "counter", models.Actor{Name: "test"})
		if err != nil {
			t.Fatal(err)
		}
		keys := []models.IdempotencyKey{
			{TokenID: token.ID, Key: "expired", RequestHash: "h", Status: 201, CreatedAt: now.Add(-models.IdempotencyRetention - time.Minute)},
			{TokenID: token.ID, Key: "fresh", RequestHash: "h", Status: 201, CreatedAt: now.Add(-time.Minute)},
		}
		if err := db.Create(&keys).Error; err != nil {
			t.Fatal(err)
		}
		s := testScheduler(t, db)
		run, err := s.RunScheduled(cleanupJob(), now)
		if err != nil || run.RowsWritten != 3 {
			t.Fatalf("cleanup = %+v, %v; want 3 rows deleted", run, err)
		}
		var left []string
		db.Model(&models.Session{}).Pluck("token", &left)
		if len(left) != 1 || left[0] != "live" {
			t.Errorf("sessions left = %v, want only the live one", left)
		}
		var kept []string
		db.Model(&models.LoginAttempt{}).Order("username").Pluck("username", &kept)
		if len(kept) != 2 || kept[0] != "kept" || kept[1] != "recent" {
			t.Errorf("login attempts left = %v, want those of the last 30 days", kept)
		}
		var keysLeft []string
		db.Model(&models.IdempotencyKey{}).Pluck("key", &keysLeft)
		if len(keysLeft) != 1 || keysLeft[0] != "fresh" {
			t.Errorf("idempotency keys left = %v, want the fresh one", keysLeft)
		}
		// Run again by hand: nothing more to delete.
		if run, err := s.RunNow(ctx, "cleanup", Manual{Actor: models.Actor{Name: "test"}}); err != nil || run.RowsWritten != 0 {
			t.Errorf("second cleanup = %+v, %v; want nothing deleted", run, err)
		}
	})
}

// A change saved while a run is under way (which may have read the data
// before it) gets a run of its own once that one ends; several changes
// during one run share the next.
func TestARunAskedForDuringARunFollowsIt(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		release := make(chan struct{})
		var calls atomic.Int32
		job := Job{Name: "estimates", Schedule: "@daily", Run: func(ctx context.Context, tx *gorm.DB, run RunOptions) (int, error) {
			if calls.Add(1) == 1 {
				<-release
			}
			return 1, nil
		}}
		s := testScheduler(t, db, job)
		if err := s.StartAfterChange("estimates", Manual{Actor: models.Actor{Name: "first"}}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "the first run to start", func() bool { return calls.Load() == 1 })
		for _, who := range []string{"second", "third"} {
			if err := s.StartAfterChange("estimates", Manual{Actor: models.Actor{Name: who}}); err != nil {
				t.Fatalf("%s change during the run: %v", who, err)
			}
		}
		time.Sleep(100 * time.Millisecond)
		if n := calls.Load(); n != 1 {
			t.Fatalf("%d runs while the first is under way, want 1", n)
		}
		close(release)
		waitFor(t, 5*time.Second, "a run after the first", func() bool {
			runs := runsOf(t, db, "estimates")
			return len(runs) == 2 && runs[1].Status == models.JobSucceeded
		})
		time.Sleep(2 * changeRetry)
		if runs := runsOf(t, db, "estimates"); len(runs) != 2 || !runs[1].StartedAt.After(*runs[0].FinishedAt) {
			t.Errorf("runs = %+v, want the first and one started after it ended", runs)
		}
	})
}
