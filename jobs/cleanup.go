package jobs

import (
	"context"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
)

// cleanupJob removes expired login sessions, expired idempotency keys, and
// login attempts older than models.LoginAttemptsRetention (the throttle
// needs only the last fifteen minutes; the rest is kept a while for
// investigating attacks), once a day.
func cleanupJob() Job {
	return Job{
		Name:        "cleanup",
		Schedule:    "30 3 * * *",
		Description: "delete expired login sessions and idempotency keys, and login attempts older than 30 days",
		Period:      func(t time.Time) string { return t.Format(models.DateLayout) },
		Run: func(ctx context.Context, db *gorm.DB, at time.Time) (int, error) {
			sessions, err := models.DeleteExpiredSessions(ctx, db, at)
			if err != nil {
				return int(sessions), err
			}
			keys, err := models.DeleteExpiredIdempotencyKeys(ctx, db, at)
			if err != nil {
				return int(sessions + keys), err
			}
			attempts, err := models.DeleteOldLoginAttempts(ctx, db, at.Add(-models.LoginAttemptsRetention))
			return int(sessions + keys + attempts), err
		},
	}
}
