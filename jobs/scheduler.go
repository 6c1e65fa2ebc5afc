// Package jobs runs borderflow's scheduled jobs: one registry of jobs, and
// one wrapper, used by scheduled and manual runs alike, that skips a job
// still running, recovers a panic into a failed run, gives the job a
// context that shutdown cancels, records every run in job_runs and makes a
// scheduled run happen once across replicas.
//
// A run is one transaction. It takes the job's lock (on PostgreSQL
// pg_try_advisory_xact_lock, so a replica that finds the job running
// elsewhere skips it; on SQLite the write lock on the file), claims its
// unique (job, period) row, runs the body with the transaction, and records
// success in it: the body's results and the record of the run commit
// together. A body that fails, panics or is cancelled by shutdown rolls
// back, leaving the previous results as they were, and the failed run is
// then recorded on its own.
//
// A failed scheduled period is not run again: the next tick is a new
// period, and every job works from the current state of the data (stale-data
// marks every crossing anew, cleanup deletes whatever has expired, impact
// recomputes what changed since its last successful run), so the next tick
// makes up for a failed one. To make it up at once, run the job by hand
// (borderflow jobs run NAME, or "Run now" on /admin/jobs).
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

// RunOptions is what one run of a job is asked to do.
type RunOptions struct {
	// At is the instant the run is for: the scheduled tick, or the moment
	// a manual run started, in the scheduler's time zone.
	At time.Time
	// Manual is set for a run started by hand.
	Manual bool
	// From and To are the days a manual run of a Ranged job was given
	// (--from/--to), both included; zero otherwise.
	From, To models.Date
	// LastSuccess is when the job's latest successful run started, zero if
	// none did: an incremental job recomputes what changed since.
	LastSuccess time.Time
	// Week is the ISO week a manual run of a Weekly job was given
	// (--week); zero for the week the job would choose itself.
	Week models.ISOWeek
}

// HasRange reports whether the run was given days to work on.
func (o RunOptions) HasRange() bool { return !o.From.IsZero() }

// Body is a job's work. It reads and writes through tx, the run's
// transaction, whose context shutdown cancels: its writes commit together
// with the record of a successful run, or not at all. It returns the number
// of rows it wrote.
type Body func(ctx context.Context, tx *gorm.DB, run RunOptions) (rowsWritten int, err error)

// Job is one scheduled job: a name, a default schedule, what it does, and
// its body.
type Job struct {
	Name        string
	Schedule    string // cron expression or descriptor (@hourly, @every 15m) in the scheduler's time zone
	Description string
	// Ranged jobs accept --from/--to on a manual run; the others refuse them.
	Ranged bool
	// Weekly jobs accept --week on a manual run; the others refuse it.
	Weekly bool
	Run    Body
}

// Options configures the registry and the scheduler.
type Options struct {
	Location *time.Location // time zone of the schedules; UTC when nil
	// StaleAfter is how long a crossing's status may go unconfirmed
	// before the stale-data job marks it overdue.
	StaleAfter time.Duration
	// Schedules replaces jobs' default schedules, by job name (see
	// ParseSchedules).
	Schedules map[string]string
	// Reports configures the weekly summaries the weekly-summary job publishes.
	Reports models.ReportOptions
	// Wrote, when set, is called after a run that wrote rows has committed
	// them: the server drops its rendered pages, which may show them (the
	// cost of a closure on the board). Other replicas hear of it from
	// PostgreSQL.
	Wrote func(job string)
}

// Registry lists every job borderflow runs, with its default schedule.
// Adding a job is a line here and a function returning its Job.
func Registry(o Options) []Job {
	return []Job{
		cleanupJob(),
		staleDataJob(o.StaleAfter),
		weeklySummaryJob(o.Reports),
		impactJob(),
	}
}

// Errors of a run that did not happen.
var (
	// ErrAlreadyRun means the period has a run already, by this process or another.
	ErrAlreadyRun = errors.New("already run for this period")
	// ErrBusy means a run of the job is in progress, here or in another process.
	ErrBusy = errors.New("already running")
	// ErrStopped means the scheduler is shutting down.
	ErrStopped = errors.New("borderflow is shutting down")
	// ErrUnknownJob means no job has the name asked for.
	ErrUnknownJob = errors.New("unknown job")
)

// Scheduler runs the registered jobs on their schedules and by hand.
type Scheduler struct {
	db     *gorm.DB
	log    *slog.Logger
	loc    *time.Location
	jobs   []Job
	scheds map[string]cron.Schedule

	// ctx is cancelled by Stop: every run the scheduler starts stops at a
	// safe point, and its transaction rolls back.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // runs started in the background

	mu      sync.Mutex
	cron    *cron.Cron
	stopped bool
	running map[string]bool // jobs running in this process
	waiting map[string]bool // jobs with a run after a change still to start

	wrote func(job string) // Options.Wrote
}

// NewScheduler prepares the registry's jobs with the operator's schedules.
func NewScheduler(db *gorm.DB, log *slog.Logger, o Options) (*Scheduler, error) {
	return newScheduler(db, log, o, Registry(o))
}

func newScheduler(db *gorm.DB, log *slog.Logger, o Options, jobs []Job) (*Scheduler, error) {
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	s := &Scheduler{db: db, log: log, loc: loc, scheds: map[string]cron.Schedule{}, running: map[string]bool{}, waiting: map[string]bool{}, wrote: o.Wrote}
	for name := range o.Schedules {
		if !hasJob(jobs, name) {
			return nil, unknownJob(jobs, name)
		}
	}
	for _, job := range jobs {
		if expr, ok := o.Schedules[job.Name]; ok {
			job.Schedule = expr
		}
		sched, err := parseSchedule(job.Schedule)
		if err != nil {
			return nil, fmt.Errorf("job %s has the bad schedule %q: %w", job.Name, job.Schedule, err)
		}
		s.jobs = append(s.jobs, job)
		s.scheds[job.Name] = sched
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Location is the time zone of the schedules.
func (s *Scheduler) Location() *time.Location { return s.loc }

// Jobs lists the jobs with the schedules in force.
func (s *Scheduler) Jobs() []Job { return s.jobs }

// Job finds a job by name, or returns an error naming every job.
func (s *Scheduler) Job(name string) (Job, error) {
	for _, j := range s.jobs {
		if j.Name == name {
			return j, nil
		}
	}
	return Job{}, unknownJob(s.jobs, name)
}

// Next is the first scheduled run of the job after t.
func (s *Scheduler) Next(job Job, t time.Time) time.Time {
	return s.scheds[job.Name].Next(t.In(s.loc))
}

// Running reports whether the job is running in this process.
func (s *Scheduler) Running(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running[name]
}

// Start runs the jobs on their schedules until Stop.
func (s *Scheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cron != nil || s.stopped {
		return
	}
	cronLog := cronLogger{s.log}
	// SkipIfStillRunning outside Recover: in the other order a panic would
	// leave the job marked running, and skipped, for ever.
	c := cron.New(cron.WithLocation(s.loc), cron.WithChain(cron.SkipIfStillRunning(cronLog), cron.Recover(cronLog)))
	for _, job := range s.jobs {
		var id cron.EntryID
		id = c.Schedule(s.scheds[job.Name], cron.FuncJob(func() {
			// The entry's Prev is the tick being run: the same instant on
			// every replica, whenever its timer actually fired.
			tick := c.Entry(id).Prev
			_, err := s.RunScheduled(job, tick)
			switch {
			case errors.Is(err, ErrAlreadyRun), errors.Is(err, ErrBusy), errors.Is(err, ErrStopped):
				s.log.Info("job skipped", "job", job.Name, "tick", tick, "reason", err)
			case err != nil:
				s.log.Error("job failed", "job", job.Name, "tick", tick, "err", err)
			}
		}))
	}
	c.Start()
	s.cron = c
}

// Stop stops scheduling, cancels the runs in progress so that they stop at
// a safe point (their transaction rolls back and a failed run is
// recorded), and waits for them. Calling it again does nothing.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	s.cancel()
	c := s.cron
	s.mu.Unlock()
	if c != nil {
		<-c.Stop().Done()
	}
	s.wg.Wait()
}

// periodOf names a scheduled run by its tick, e.g. 2026-11-27T15:00:00+05:00.
func (s *Scheduler) periodOf(tick time.Time) string {
	return tick.In(s.loc).Format(time.RFC3339)
}

// RunScheduled runs job for its tick, once: a (job, period) record that
// already exists means another replica, or an earlier call, has run it.
func (s *Scheduler) RunScheduled(job Job, tick time.Time) (models.JobRun, error) {
	return s.execute(s.ctx, job, s.periodOf(tick), RunOptions{At: tick.In(s.loc)}, nil)
}

// Manual is a run asked for by hand: by whom, and over which days for a
// Ranged job (both zero for the job's usual work).
type Manual struct {
	Actor    models.Actor
	From, To models.Date
	Week     models.ISOWeek // for a Weekly job; zero for the job's own choice
}

// RunNow runs the named job now, through the same wrapper as a scheduled
// run, under a period of its own ("manual:" and the instant) that no
// scheduled run can have, and records it in the audit log.
func (s *Scheduler) RunNow(ctx context.Context, name string, m Manual) (models.JobRun, error) {
	job, err := s.Job(name)
	if err != nil {
		return models.JobRun{}, err
	}
	if !m.From.IsZero() && !job.Ranged {
		return models.JobRun{}, fmt.Errorf("the %s job takes no --from/--to", job.Name)
	}
	if !m.Week.IsZero() && !job.Weekly {
		return models.JobRun{}, fmt.Errorf("the %s job takes no --week", job.Name)
	}
	now := time.Now().In(s.loc)
	opts := RunOptions{At: now, Manual: true, From: m.From, To: m.To, Week: m.Week}
	return s.execute(ctx, job, "manual:"+now.UTC().Format(time.RFC3339Nano), opts, &m.Actor)
}

// StartNow starts RunNow in the background under the scheduler's context,
// so that it outlives the request that asked for it and stops at shutdown.
// It fails at once when the job is already running in this process.
func (s *Scheduler) StartNow(name string, m Manual) error {
	return s.inBackground(name, func() error {
		if s.running[name] {
			return fmt.Errorf("job %s: %w", name, ErrBusy)
		}
		return nil
	}, func() {
		if _, err := s.RunNow(s.ctx, name, m); err != nil {
			s.log.Error("job run by hand failed", "job", name, "by", m.Actor.Name, "err", err)
		}
	})
}

// inBackground runs the job's run on its own goroutine, which Stop waits
// for, once admit (called under the scheduler's lock) has let it: it may
// refuse with an error, or with errSkip to start nothing and report no
// error.
func (s *Scheduler) inBackground(name string, admit func() error, run func()) error {
	if _, err := s.Job(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return ErrStopped
	}
	if err := admit(); errors.Is(err, errSkip) {
		return nil
	} else if err != nil {
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		run()
	}()
	return nil
}

// errSkip tells inBackground that there is nothing to start.
var errSkip = errors.New("nothing to start")

// changeRetry is how often a run asked for by a change tries again while
// another run of the job is under way.
const changeRetry = time.Second

// StartAfterChange runs the job in the background because what it reads
// has just changed: at once, or, when a run is already under way here or
// in another process (it may have read the data before the change), as
// soon as that run has ended. Changes made while such a run waits to start
// share it.
func (s *Scheduler) StartAfterChange(name string, m Manual) error {
	return s.inBackground(name, func() error {
		if s.waiting[name] {
			return errSkip
		}
		s.waiting[name] = true
		return nil
	}, func() {
		for {
			s.setWaiting(name, false)
			_, err := s.RunNow(s.ctx, name, m)
			if !errors.Is(err, ErrBusy) {
				if err != nil && !errors.Is(err, ErrStopped) {
					s.log.Error("job run after a change failed", "job", name, "by", m.Actor.Name, "err", err)
				}
				return
			}
			if !s.setWaiting(name, true) {
				return // a later change's run is waiting already
			}
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(changeRetry):
			}
		}
	})
}

// setWaiting marks whether a run after a change waits to start, telling
// whether it changed the mark.
func (s *Scheduler) setWaiting(name string, waiting bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting[name] == waiting {
		return false
	}
	s.waiting[name] = waiting
	return true
}

// execute is the wrapper every run goes through.
func (s *Scheduler) execute(ctx context.Context, job Job, period string, opts RunOptions, by *models.Actor) (models.JobRun, error) {
	run := models.JobRun{Job: job.Name, Period: period, Status: models.JobRunning}
	if err := ctx.Err(); err != nil {
		return run, ErrStopped
	}
	if !s.enter(job.Name) {
		return run, fmt.Errorf("job %s: %w in this process", job.Name, ErrBusy)
	}
	defer s.leave(job.Name)

	run.StartedAt = now()
	tx := s.db.WithContext(ctx).Begin()
	if tx.Error != nil {
		return run, fmt.Errorf("begin job %s: %w", job.Name, tx.Error)
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()
	locked, err := models.TryLockJob(tx, job.Name)
	if err != nil {
		return run, err
	}
	if !locked {
		return run, fmt.Errorf("job %s: %w in another process", job.Name, ErrBusy)
	}
	claimed, err := models.ClaimJobRun(tx, &run)
	if err != nil {
		return run, err
	}
	if !claimed {
		return run, fmt.Errorf("job %s %s: %w", job.Name, period, ErrAlreadyRun)
	}
	if opts.LastSuccess, err = models.LastJobSuccess(tx, job.Name); err != nil {
		return run, err
	}

	rows, err := s.runBody(ctx, job, tx, opts)
	if err == nil {
		run = finished(run, models.JobSucceeded, rows, nil)
		err = models.FinishJobRun(tx, run)
		if err == nil && by != nil {
			err = models.AuditManualJobRun(tx, *by, run, opts.From, opts.To)
		}
		if err == nil {
			err = tx.Commit().Error
		}
		if err == nil {
			committed = true
			s.log.Info("job finished", "job", job.Name, "period", period, "rows", rows, "elapsed", run.FinishedAt.Sub(run.StartedAt))
			if rows > 0 && s.wrote != nil {
				s.wrote(job.Name)
			}
			return run, nil
		}
	}
	// Roll back whatever the body wrote, then record the failure on its own,
	// even when shutdown cancelled ctx.
	tx.Rollback()
	committed = true
	if ctx.Err() != nil {
		err = fmt.Errorf("stopped by shutdown: %w", err)
	}
	run = finished(run, models.JobFailed, 0, err)
	if rerr := s.recordFailure(context.WithoutCancel(ctx), run, by, opts); rerr != nil {
		return run, errors.Join(err, rerr)
	}
	return run, fmt.Errorf("job %s %s: %w", job.Name, period, err)
}

// now is the time as both databases store it, to the microsecond.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func finished(run models.JobRun, status string, rows int, err error) models.JobRun {
	now := now()
	run.FinishedAt, run.Status, run.RowsWritten = &now, status, rows
	if err != nil {
		run.Error = err.Error()
	}
	return run
}

// recordFailure writes a failed run's record (and the audit entry of a
// manual one) after its transaction rolled back.
func (s *Scheduler) recordFailure(ctx context.Context, run models.JobRun, by *models.Actor, opts RunOptions) error {
	run.ID = 0
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		claimed, err := models.ClaimJobRun(tx, &run)
		if err != nil {
			return err
		}
		if !claimed {
			// Another replica took the period in the moment since the
			// rollback: its record stands, the failure is in the log.
			s.log.Warn("job failed; the period was run again elsewhere", "job", run.Job, "period", run.Period, "err", run.Error)
			return nil
		}
		if by != nil {
			return models.AuditManualJobRun(tx, *by, run, opts.From, opts.To)
		}
		return nil
	})
}

// runBody runs the job's body, turning a panic into an error.
func (s *Scheduler) runBody(ctx context.Context, job Job, tx *gorm.DB, opts RunOptions) (rows int, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job %s panicked: %v", job.Name, p)
			s.log.Error("job panicked", "job", job.Name, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	return job.Run(ctx, tx, opts)
}

// enter marks the job running in this process, unless it already is.
func (s *Scheduler) enter(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[name] {
		return false
	}
	s.running[name] = true
	return true
}

func (s *Scheduler) leave(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, name)
}

type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

// Status is what the jobs list and the admin page show of one job.
type Status struct {
	Job     Job
	Next    time.Time       // the next scheduled run, in the scheduler's zone
	Last    *models.JobRun  // the latest recorded run; nil if none
	Recent  []models.JobRun // the latest recorded runs, newest first
	Running bool            // running in this process now
}

// Statuses describes every job as of now, with up to recent runs each.
func (s *Scheduler) Statuses(ctx context.Context, now time.Time, recent int) ([]Status, error) {
	list := make([]Status, 0, len(s.jobs))
	for _, job := range s.jobs {
		runs, err := models.RecentJobRuns(ctx, s.db, job.Name, recent)
		if err != nil {
			return nil, err
		}
		st := Status{Job: job, Next: s.Next(job, now), Recent: runs, Running: s.Running(job.Name)}
		if len(runs) > 0 {
			st.Last = &runs[0]
		}
		list = append(list, st)
	}
	return list, nil
}
