package jobs

import (
	"context"

	"gorm.io/gorm"

	"borderflow/models"
)

// impactJob keeps the estimated cost of closures current (docs/METHODOLOGY.md):
// every 15 minutes it recomputes what changed since its last successful
// run; a manual run recomputes the days given (--from/--to), or everything.
func impactJob() Job {
	return Job{
		Name:        "impact",
		Schedule:    "@every 15m",
		Description: "recompute the estimated cost of closures from what changed since the last run (all of it by hand, or --from/--to)",
		Ranged:      true,
		Run: func(ctx context.Context, tx *gorm.DB, run RunOptions) (int, error) {
			switch {
			case run.HasRange():
				return models.RecomputeImpactAsOf(ctx, tx, run.From, run.To, run.At)
			case run.Manual || run.LastSuccess.IsZero():
				return models.RecomputeImpactAsOf(ctx, tx, models.Date{}, models.Date{}, run.At)
			}
			return models.RecomputeImpactChangedAsOf(ctx, tx, run.LastSuccess, run.At)
		},
	}
}
