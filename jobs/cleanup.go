package jobs

import (
	"context"

	"gorm.io/gorm"

	"borderflow/models"
)

// cleanupJob removes expired login sessions, expired idempotency keys, and
// login attempts (the sign-in throttle's records) older than
// models.LoginAttemptsRetention (the throttle needs only the last fifteen
// minutes; the rest is kept a while for investigating attacks), once a day.
func cleanupJob() Job {
	return Job{
		Name:        "cleanup",
		Schedule:    "30 3 * * *",
		Description: "delete expired login sessions and idempotency keys, and login attempts older than 30 days",
		Run: func(ctx context.Context, tx *gorm.DB, run RunOptions) (int, error) {
			at := run.At
			sessions, err := models.DeleteExpiredSessions(ctx, tx, at)
			if err != nil {
				return 0, err
			}
			keys, err := models.DeleteExpiredIdempotencyKeys(ctx, tx, at)
			if err != nil {
				return 0, err
			}
			attempts, err := models.DeleteOldLoginAttempts(ctx, tx, at.Add(-models.LoginAttemptsRetention))
			return int(sessions + keys + attempts), err
		},
	}
}
