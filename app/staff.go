package app

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// staffHomePage lists the crossings the signed-in user works on, with the
// administrator's pages for admins.
type staffHomePage struct {
	Crossings []models.Crossing
	Overdue   map[int64]*overdueNote // by crossing ID, from the stale-data job's marks
	IsAdmin   bool
	Flash     string
}

// overdueNote says what is overdue at a crossing, and when that was found.
type overdueNote struct {
	Missing []string
	Checked string
}

// showStaffHome renders GET /staff.
func (a *App) showStaffHome(c echo.Context) error {
	l, u := a.locale(c), currentUser(c)
	page := staffHomePage{Crossings: u.Crossings, IsAdmin: u.Role == models.RoleAdmin, Flash: a.popFlash(c)}
	if page.IsAdmin {
		all, err := models.ActiveCrossings(c.Request().Context(), a.db)
		if err != nil {
			return err
		}
		page.Crossings = all
	}
	marks, err := models.StaleMarks(c.Request().Context(), a.db)
	if err != nil {
		return err
	}
	page.Overdue = map[int64]*overdueNote{}
	for id, m := range marks {
		if !m.Overdue() {
			continue
		}
		note := &overdueNote{Checked: l.T("staff.overdue_checked", "Time", l.DateTime(m.ComputedAt, a.cfg.TimeZone))}
		switch {
		case m.StatusOverdue && m.StatusRecordedAt == nil:
			note.Missing = append(note.Missing, l.T("staff.status_never"))
		case m.StatusOverdue:
			note.Missing = append(note.Missing, l.T("staff.status_overdue", "Time", l.DateTime(*m.StatusRecordedAt, a.cfg.TimeZone)))
		}
		if m.FiguresOverdue {
			note.Missing = append(note.Missing, l.T("staff.figures_overdue", "Date", m.FiguresDay.String()))
		}
		page.Overdue[id] = note
	}
	return a.render(c, http.StatusOK, "staff", l.T("staff.title"), page)
}
