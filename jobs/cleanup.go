package jobs

import (
	"context"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
)

// cleanupJob removes expired login sessions once a day.
func cleanupJob() Job {
	return Job{
		Name:        "cleanup",
		Schedule:    "30 3 * * *",
		Description: "delete expired login sessions",
		Period:      func(t time.Time) string { return t.Format(models.DateLayout) },
		Run: func(ctx context.Context, db *gorm.DB, at time.Time) (int, error) {
			n, err := models.DeleteExpiredSessions(ctx, db, at)
			return int(n), err
		},
	}
}
