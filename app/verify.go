package app

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// verifyDay handles POST /staff/crossings/:slug/days/:date/verify (for
// supervisors and administrators): the day's figures, as the supervisor
// saw them (the form's version), are marked verified. If they changed
// since, nothing is marked and the page shows the current figures to look
// at again.
func (a *App) verifyDay(c echo.Context) error {
	crossing, err := a.staffCrossing(c)
	if err != nil {
		return err
	}
	day, err := models.ParseDate(c.Param("date"))
	if err != nil {
		return invalidInput("entry.bad_date", "Value", c.Param("date"))
	}
	version, err := strconv.Atoi(c.FormValue("version"))
	if err != nil || version < 1 {
		return invalidInput("error.bad_request")
	}
	u := currentUser(c)
	_, err = models.VerifyDay(c.Request().Context(), a.db, a.actor(c), crossing.ID, day, version)
	var conflict *models.VersionConflict
	switch {
	case errors.As(err, &conflict):
		a.log.Info("verification refused: changed meanwhile", "crossing", crossing.Slug, "day", day, "version", version,
			"current", conflict.Current.Version, "user", u.Username, "request_id", requestID(c))
		a.flash(c, "entry.verify_stale")
	case errors.Is(err, models.ErrNotFound):
		a.flash(c, "entry.verify_nothing")
	case err != nil:
		return err
	default:
		a.pages.invalidate()
		a.log.Info("day verified", "crossing", crossing.Slug, "day", day, "version", version, "user", u.Username,
			"request_id", requestID(c))
		a.flash(c, "entry.verified")
	}
	return c.Redirect(http.StatusSeeOther, entryPath(crossing.Slug, day))
}
