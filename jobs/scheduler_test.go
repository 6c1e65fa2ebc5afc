package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func quietScheduler(db *gorm.DB, jobs ...Job) *Scheduler {
	s := NewScheduler(db, slog.New(slog.NewTextHandler(io.Discard, nil)), time.UTC)
	if len(jobs) > 0 {
		s.jobs = jobs
	}
	return s
}

func TestScheduledRunHappensOncePerPeriodAndIsRecorded(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		var calls atomic.Int32
		job := Job{Name: "count", Schedule: "@every 1h", Period: func(t time.Time) string { return t.Format("2006-01-02T15") },
			Run: func(ctx context.Context, db *gorm.DB, at time.Time) (int, error) { calls.Add(1); return 3, nil }}
		s := quietScheduler(db, job)
		at := time.Date(2026, 11, 27, 10, 15, 0, 0, time.UTC)
		run, err := s.RunScheduled(context.Background(), job, at)
		if err != nil || run.Status != "succeeded" || run.RowsWritten != 3 || run.FinishedAt == nil {
			t.Fatalf("first run = %+v, %v", run, err)
		}
		// Another replica firing for the same hour does nothing.
		if _, err := s.RunScheduled(context.Background(), job, at.Add(30*time.Minute)); !errors.Is(err, ErrAlreadyRun) {
			t.Errorf("second run in the same period: %v, want ErrAlreadyRun", err)
		}
		if calls.Load() != 1 {
			t.Errorf("body ran %d times, want once", calls.Load())
		}
		var stored models.JobRun
		if err := db.Where("job = ? AND period = ?", "count", "2026-11-27T10").Take(&stored).Error; err != nil || stored.Status != "succeeded" {
			t.Errorf("stored run = %+v, %v", stored, err)
		}
	})
}

func TestPanickingJobIsRecordedAsFailed(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		job := Job{Name: "explode", Schedule: "@every 1h", Period: func(t time.Time) string { return t.Format(time.RFC3339) },
			Run: func(context.Context, *gorm.DB, time.Time) (int, error) { panic("index out of range") }}
		run, err := quietScheduler(db, job).RunScheduled(context.Background(), job, time.Now())
		if err == nil || run.Status != "failed" || run.Error == "" {
			t.Errorf("panicking run = %+v, %v; want a failed run with its error", run, err)
		}
	})
}

// TestSchedulerRunsJobsOnTheirScheduleAndStops runs the real cron with a
// one-second schedule: the job runs and is recorded, and Stop waits for it.
func TestSchedulerRunsJobsOnTheirScheduleAndStops(t *testing.T) {
	db := testdb.SQLite(t)
	ran := make(chan struct{}, 10)
	job := Job{Name: "tick", Schedule: "@every 1s", Period: func(t time.Time) string { return t.Format(time.RFC3339) },
		Run: func(ctx context.Context, db *gorm.DB, at time.Time) (int, error) { ran <- struct{}{}; return 0, nil }}
	s := quietScheduler(db, job)
	s.Start(context.Background())
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("the job did not run within 5 s on a one-second schedule")
	}
	s.Stop()
	var runs int64
	db.Model(&models.JobRun{}).Where("job = ? AND status = ?", "tick", "succeeded").Count(&runs)
	if runs < 1 {
		t.Errorf("recorded successful runs = %d", runs)
	}
}

func TestCleanupDeletesOnlyExpiredSessionsAndOldLoginAttempts(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		now := time.Date(2026, 11, 27, 3, 30, 0, 0, time.UTC)
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
		job := cleanupJob()
		run, err := quietScheduler(db).RunScheduled(context.Background(), job, now)
		if err != nil || run.RowsWritten != 2 {
			t.Fatalf("cleanup = %+v, %v; want 2 rows deleted", run, err)
		}
		var left []models.Session
		db.Find(&left)
		if len(left) != 1 || left[0].Token != "live" {
			t.Errorf("sessions left = %+v, want only the live one", left)
		}
		var kept []string
		db.Model(&models.LoginAttempt{}).Order("username").Pluck("username", &kept)
		if len(kept) != 2 || kept[0] != "kept" || kept[1] != "recent" {
			t.Errorf("login attempts left = %v, want those of the last 30 days", kept)
		}
	})
}
