// Package jobs runs borderflow's scheduled jobs: one registry of jobs, one
// wrapper that skips a run still in progress, recovers a panic into a failed
// run, records every run in job_runs and makes a scheduled run happen once
// across replicas.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"gorm.io/gorm"

	"borderflow/models"
)

// Job is one scheduled job: a name, a cron schedule, what it does, how its
// runs are named (the period, unique per job), and its body.
type Job struct {
	Name        string
	Schedule    string // cron expression in the scheduler's time zone
	Description string
	// Period names the run due at t; two replicas firing at the same
	// moment compute the same period, and only one of them runs it.
	Period func(t time.Time) string
	Run    func(ctx context.Context, db *gorm.DB, at time.Time) (rowsWritten int, err error)
}

// Registry lists every job borderflow runs.
func Registry() []Job {
	return []Job{cleanupJob()}
}

// Scheduler runs the registered jobs on their schedules.
type Scheduler struct {
	db   *gorm.DB
	log  *slog.Logger
	loc  *time.Location
	cron *cron.Cron
	jobs []Job

	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc
}

// NewScheduler prepares the registry's jobs in the time zone loc.
func NewScheduler(db *gorm.DB, log *slog.Logger, loc *time.Location) *Scheduler {
	return &Scheduler{db: db, log: log, loc: loc, jobs: Registry()}
}

// Start schedules the jobs; they run until Stop or until ctx ends.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	ctx, s.cancel = context.WithCancel(ctx)
	cronLog := cronLogger{s.log}
	// SkipIfStillRunning outside Recover: in the other order a panic would
	// leave the job marked running, and skipped, for ever.
	s.cron = cron.New(cron.WithLocation(s.loc), cron.WithChain(cron.SkipIfStillRunning(cronLog), cron.Recover(cronLog)))
	for _, job := range s.jobs {
		job := job
		if _, err := s.cron.AddFunc(job.Schedule, func() {
			if _, err := s.RunScheduled(ctx, job, time.Now().In(s.loc)); err != nil && !errors.Is(err, ErrAlreadyRun) {
				s.log.Error("job failed", "job", job.Name, "err", err)
			}
		}); err != nil {
			s.log.Error("job not scheduled: bad schedule", "job", job.Name, "schedule", job.Schedule, "err", err)
		}
	}
	s.cron.Start()
	s.started = true
}

// Stop stops scheduling, cancels running jobs so they stop at a safe point
// (their transaction rolls back), and waits for them.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return
	}
	s.cancel()
	<-s.cron.Stop().Done()
	s.started = false
}

// ErrAlreadyRun means another process (or an earlier run) already ran the job for that period.
var ErrAlreadyRun = errors.New("already run for this period")

// RunScheduled runs job for the period due at t, once: a (job, period)
// record that already exists means another replica has it.
func (s *Scheduler) RunScheduled(ctx context.Context, job Job, t time.Time) (models.JobRun, error) {
	run := models.JobRun{Job: job.Name, Period: job.Period(t), StartedAt: time.Now().UTC(), Status: "running"}
	if err := s.db.WithContext(ctx).Create(&run).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return run, fmt.Errorf("job %s %s: %w", job.Name, run.Period, ErrAlreadyRun)
		}
		return run, fmt.Errorf("record start of job %s: %w", job.Name, err)
	}
	rows, err := s.runBody(ctx, job, t)
	finished := time.Now().UTC()
	run.FinishedAt, run.RowsWritten, run.Status = &finished, rows, "succeeded"
	if err != nil {
		run.Status, run.Error = "failed", err.Error()
	}
	// The record is written even when ctx was cancelled by shutdown.
	if uerr := s.db.WithContext(context.WithoutCancel(ctx)).Save(&run).Error; uerr != nil {
		return run, errors.Join(err, fmt.Errorf("record end of job %s: %w", job.Name, uerr))
	}
	s.log.Info("job finished", "job", job.Name, "period", run.Period, "status", run.Status, "rows", rows, "elapsed", finished.Sub(run.StartedAt))
	return run, err
}

// runBody runs the job's body, turning a panic into an error.
func (s *Scheduler) runBody(ctx context.Context, job Job, t time.Time) (rows int, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job %s panicked: %v", job.Name, p)
			s.log.Error("job panicked", "job", job.Name, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	return job.Run(ctx, s.db, t)
}

type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
