package models

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// JobRun records one run of a scheduled job: which period it covered, how it
// ended, and how many rows it wrote. (job, period) is unique, so a scheduled
// run happens once however many replicas try.
type JobRun struct {
	ID          int64
	Job         string
	Period      string
	StartedAt   time.Time
	FinishedAt  *time.Time
	Status      string
	Error       string
	RowsWritten int
}

// The statuses of a job run.
const (
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
)

// TryLockJob takes, inside tx, the lock that lets one process at a time run
// the job: PostgreSQL's transaction-level advisory lock, released when tx
// commits or rolls back. It reports false when another session holds it. On
// SQLite the transaction's write lock on the file already keeps runs apart.
func TryLockJob(tx *gorm.DB, job string) (bool, error) {
	if Dialect(tx) != DialectPostgres {
		return true, nil
	}
	h := fnv.New64a()
	h.Write([]byte("borderflow job " + job))
	var locked bool
	if err := tx.Raw("SELECT pg_try_advisory_xact_lock(?)", int64(h.Sum64())).Scan(&locked).Error; err != nil {
		return false, fmt.Errorf("lock job %s: %w", job, err)
	}
	return locked, nil
}

// ClaimJobRun inserts run unless its (job, period) is already recorded, and
// reports whether it did.
func ClaimJobRun(tx *gorm.DB, run *JobRun) (bool, error) {
	res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "job"}, {Name: "period"}}, DoNothing: true}).Create(run)
	if res.Error != nil {
		return false, fmt.Errorf("record the start of job %s: %w", run.Job, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// FinishJobRun writes how a claimed run ended.
func FinishJobRun(tx *gorm.DB, run JobRun) error {
	if err := tx.Save(&run).Error; err != nil {
		return fmt.Errorf("record the end of job %s: %w", run.Job, err)
	}
	return nil
}

// LastJobSuccess returns when the job's latest successful run started, or
// the zero time if it never succeeded.
func LastJobSuccess(tx *gorm.DB, job string) (time.Time, error) {
	run, err := LastSuccessfulJobRun(tx, job)
	if err != nil || run == nil {
		return time.Time{}, err
	}
	return run.StartedAt, nil
}

// LastSuccessfulJobRun returns the job's latest run that succeeded, or nil;
// db carries the context (or is the run's transaction).
func LastSuccessfulJobRun(db *gorm.DB, job string) (*JobRun, error) {
	var runs []JobRun
	err := db.Where("job = ? AND status = ?", job, JobSucceeded).Order("started_at DESC").Limit(1).Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("read the last successful run of job %s: %w", job, err)
	}
	if len(runs) == 0 {
		return nil, nil
	}
	return &runs[0], nil
}

// RecentJobRuns returns the job's latest n runs, newest first.
func RecentJobRuns(ctx context.Context, db *gorm.DB, job string, n int) ([]JobRun, error) {
	var runs []JobRun
	err := db.WithContext(ctx).Where("job = ?", job).Order("started_at DESC, id DESC").Limit(n).Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("read the runs of job %s: %w", job, err)
	}
	return runs, nil
}

// jobRunValues is what the audit log records of a run started by hand.
type jobRunValues struct {
	Period string `json:"period"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Status string `json:"status"`
	Rows   int    `json:"rows_written"`
	Error  string `json:"error,omitempty"`
}

// AuditManualJobRun records in tx that the actor ran a job by hand, over
// from–to when given, and how the run ended.
func AuditManualJobRun(tx *gorm.DB, actor Actor, run JobRun, from, to Date) error {
	if run.Job == "" {
		return errors.New("audit a job run: no job")
	}
	return actor.audit(tx, "run", "job", run.Job, nil, jobRunValues{Period: run.Period, From: from.String(), To: to.String(),
		Status: run.Status, Rows: run.RowsWritten, Error: run.Error})
}
