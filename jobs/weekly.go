package jobs

import (
	"context"

	"gorm.io/gorm"

	"borderflow/models"
)

// weeklySummaryJob publishes the summary of the ISO week that ended, every
// Monday at 01:00: a new week gets revision 1, a week whose figures or
// statuses changed since it was published gets the next revision, and an
// unchanged one writes nothing. A manual run may name any past week (--week).
func weeklySummaryJob(reports models.ReportOptions) Job {
	return Job{
		Name:        "weekly-summary",
		Schedule:    "0 1 * * 1",
		Description: "publish last week's summary for each crossing and all together (a new revision if it changed)",
		Weekly:      true,
		Run: func(ctx context.Context, tx *gorm.DB, run RunOptions) (int, error) {
			week := run.Week
			if week.IsZero() {
				week = models.LastCompleteWeek(run.At, reports.Location)
			}
			return models.PublishWeeklySummaries(ctx, tx, week, run.At, reports)
		},
	}
}
