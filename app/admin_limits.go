package app

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// adminLimitsPage shows every crossing's plausibility limit per direction
// in one form.
type adminLimitsPage struct {
	Rows       []limitRow
	Directions []models.Direction
	Errors     map[string]string
	Flash      string
}

// limitRow is one crossing with its limit inputs, one per direction.
type limitRow struct {
	Crossing models.Crossing
	Inputs   []limitInput
}

// limitInput is one limit as the form shows it.
type limitInput struct {
	Name, Label, Value, Error string
	Set                       bool // a limit is stored
}

// limitField names the input of a crossing's limit in one direction.
func limitField(slug string, d models.Direction) string { return "max." + slug + "." + string(d) }

// renderLimits renders the limits form; typed holds what was typed, by
// input name, when the form comes back with errors.
func (a *App) renderLimits(c echo.Context, status int, typed map[string]string, errs map[string]string) error {
	l := a.locale(c)
	limits, err := models.PlausibilityLimits(c.Request().Context(), a.db)
	if err != nil {
		return err
	}
	p := adminLimitsPage{Directions: models.Directions, Errors: errs, Flash: a.popFlash(c)}
	for _, cl := range limits {
		row := limitRow{Crossing: cl.Crossing}
		for _, d := range models.Directions {
			in := limitInput{Name: limitField(cl.Crossing.Slug, d), Label: limitLabel(l, cl.Crossing, d)}
			if n, ok := cl.Max[d]; ok {
				in.Value, in.Set = strconv.Itoa(n), true
			}
			if v, ok := typed[in.Name]; ok {
				in.Value = v
			}
			in.Error = errs[in.Name]
			row.Inputs = append(row.Inputs, in)
		}
		p.Rows = append(p.Rows, row)
	}
	return a.render(c, status, "admin_limits", l.T("admin_limits.title"), p)
}

// limitLabel names a crossing's limit in one direction for a reader.
func limitLabel(l *Locale, c models.Crossing, d models.Direction) string {
	return l.T("admin_limits.field", "Crossing", c.Name, "Direction", l.T("direction."+string(d)))
}

// showLimits renders GET /admin/limits.
func (a *App) showLimits(c echo.Context) error {
	return a.renderLimits(c, http.StatusOK, nil, nil)
}

// saveLimits handles POST /admin/limits: every limit typed is stored in
// one transaction, each change audited; the next save of figures at the
// crossing is checked against it. An empty input leaves a crossing without
// a limit as it is; a limit once set can be changed but not removed, so
// that clearing a box by mistake never switches the check off.
func (a *App) saveLimits(c echo.Context) error {
	ctx, l := c.Request().Context(), a.locale(c)
	params, err := c.FormParams()
	if err != nil {
		return invalidInput("error.bad_request")
	}
	limits, err := models.PlausibilityLimits(ctx, a.db)
	if err != nil {
		return err
	}
	typed := map[string]string{}
	labels := map[string]string{}
	var inputs []models.LimitInput
	var errs []models.FieldError
	for _, cl := range limits {
		for _, d := range models.Directions {
			name := limitField(cl.Crossing.Slug, d)
			labels[name] = limitLabel(l, cl.Crossing, d)
			if !params.Has(name) {
				continue // a crossing added after the form was loaded
			}
			s := strings.TrimSpace(params.Get(name))
			typed[name] = params.Get(name)
			_, set := cl.Max[d]
			switch {
			case s == "" && set:
				errs = append(errs, models.FieldError{Field: name, Code: "limit_required"})
			case s == "":
			default:
				n := formWhole(&errs, name, s)
				inputs = append(inputs, models.LimitInput{Field: name, CrossingID: cl.Crossing.ID, Direction: d, MaxTrucks: n})
			}
		}
	}
	if len(errs) == 0 {
		_, err = models.SavePlausibilityLimits(ctx, a.db, inputs, a.actor(c), a.now())
		errs = refusals(err)
		if errs == nil && err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return a.renderLimits(c, http.StatusUnprocessableEntity, typed, formErrors(l, errs, func(f string) string { return labels[f] }))
	}
	a.flash(c, "admin_limits.saved")
	return c.Redirect(http.StatusSeeOther, "/admin/limits")
}
