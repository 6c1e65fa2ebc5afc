package jobs

import (
	"context"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
)

// staleDataJob marks, every hour, the crossings whose status has gone
// unconfirmed for longer than staleAfter or whose previous local day has no
// figures; the staff home shows the marks.
func staleDataJob(staleAfter time.Duration) Job {
	return Job{
		Name:        "stale-data",
		Schedule:    "@hourly",
		Description: "mark crossings whose status or yesterday's figures are overdue",
		Run: func(ctx context.Context, tx *gorm.DB, run RunOptions) (int, error) {
			return models.MarkStaleCrossings(ctx, tx, run.At, staleAfter)
		},
	}
}
