package models

import "time"

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
