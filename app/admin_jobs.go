package app

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"borderflow/jobs"
	"borderflow/models"
)

// recentJobRuns is how many runs of each job the admin page lists.
const recentJobRuns = 10

// jobRunRow is one recorded run, formatted for the page.
type jobRunRow struct {
	Started   string
	Manual    bool
	Status    string
	Rows      int
	Took      string // "" while unfinished
	Error     string
	Succeeded bool
}

// jobRow is one job on the admin page: as `jobs list` shows it, with its
// recent runs.
type jobRow struct {
	Name, Schedule, Description string
	Next                        string
	Running                     bool // in this process, now
	Last                        *jobRunRow
	Recent                      []jobRunRow
}

// adminJobsPage lists the jobs with a "Run now" button each.
type adminJobsPage struct {
	Jobs       []jobRow
	TimeZone   string
	Scheduling bool // this process runs the schedules (BORDERFLOW_JOBS=on)
	Flash      string
}

// showJobs renders GET /admin/jobs.
func (a *App) showJobs(c echo.Context) error {
	l := a.locale(c)
	list, err := a.scheduler.Statuses(c.Request().Context(), a.now(), recentJobRuns)
	if err != nil {
		return err
	}
	page := adminJobsPage{TimeZone: a.cfg.TimeZone.String(), Scheduling: a.cfg.Jobs, Flash: a.popFlash(c)}
	for _, st := range list {
		// The catalog describes each job for the page; a job it does not
		// know yet keeps the registry's English description.
		about := l.T("jobs.about_" + strings.ReplaceAll(st.Job.Name, "-", "_"))
		if IsMissing(about) {
			about = st.Job.Description
		}
		row := jobRow{Name: st.Job.Name, Schedule: st.Job.Schedule, Description: about,
			Next: l.DateTime(st.Next, a.cfg.TimeZone), Running: st.Running}
		for _, r := range st.Recent {
			run := jobRunRow{Started: l.DateTime(r.StartedAt, a.cfg.TimeZone), Manual: strings.HasPrefix(r.Period, "manual:"),
				Status: r.Status, Rows: r.RowsWritten, Error: r.Error, Succeeded: r.Status == models.JobSucceeded}
			if r.FinishedAt != nil {
				run.Took = l.T("jobs.seconds", "Seconds", fmt.Sprintf("%.3f", r.FinishedAt.Sub(r.StartedAt).Seconds()))
			}
			row.Recent = append(row.Recent, run)
		}
		if len(row.Recent) > 0 {
			row.Last = &row.Recent[0]
		}
		page.Jobs = append(page.Jobs, row)
	}
	return a.render(c, http.StatusOK, "admin_jobs", l.T("jobs.title"), page)
}

// runJob handles POST /admin/jobs/:name/run: the job runs in the
// background under the scheduler's context, which outlives this request
// and ends at shutdown; the page shows the result once reloaded.
func (a *App) runJob(c echo.Context) error {
	name := c.Param("name")
	err := a.scheduler.StartNow(name, jobs.Manual{Actor: a.actor(c)})
	switch {
	case errors.Is(err, jobs.ErrUnknownJob):
		return fmt.Errorf("job %q: %w", name, models.ErrNotFound)
	case errors.Is(err, jobs.ErrBusy):
		a.flash(c, "jobs.busy")
	case errors.Is(err, jobs.ErrStopped):
		a.flash(c, "jobs.stopping")
	case err != nil:
		return err
	default:
		a.log.Info("job started by hand", "job", name, "by", currentUser(c).Username, "request_id", requestID(c))
		a.flash(c, "jobs.run_started")
	}
	return c.Redirect(http.StatusSeeOther, "/admin/jobs")
}
