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
	IsAdmin   bool
	Flash     string
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
	return a.render(c, http.StatusOK, "staff", l.T("staff.title"), page)
}
