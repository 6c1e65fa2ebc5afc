package app

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// datetimeLocal is how a datetime-local input sends a time, with or
// without seconds.
const (
	datetimeLocal        = "2006-01-02T15:04"
	datetimeLocalSeconds = "2006-01-02T15:04:05"
)

// statusForm is the status form as typed.
type statusForm struct {
	State, Scope, Reason, Note, EffectiveAt string
}

// parseStatusForm reads the status form; the effective time is local to
// the crossing, and empty means now.
func parseStatusForm(params url.Values, loc *time.Location) (statusForm, models.StatusInput, []models.FieldError) {
	form := statusForm{State: params.Get("state"), Scope: params.Get("scope"), Reason: params.Get("reason"),
		Note: params.Get("note"), EffectiveAt: strings.TrimSpace(params.Get("effective_at"))}
	in := models.StatusInput{State: models.State(form.State), Note: form.Note}
	if form.Scope != "" {
		s := models.Scope(form.Scope)
		in.Scope = &s
	}
	if form.Reason != "" {
		r := models.Reason(form.Reason)
		in.Reason = &r
	}
	var errs []models.FieldError
	if form.EffectiveAt != "" {
		at, err := time.ParseInLocation(datetimeLocal, form.EffectiveAt, loc)
		if err != nil {
			at, err = time.ParseInLocation(datetimeLocalSeconds, form.EffectiveAt, loc)
		}
		if err != nil {
			errs = append(errs, models.FieldError{Field: "effective_at", Code: "not_datetime"})
		}
		in.EffectiveAt = at
	}
	return form, in, errs
}

// statusPage is the form that records a change of a crossing's status,
// beside the status now and the recent changes.
type statusPage struct {
	Crossing    models.Crossing
	Card        boardCard // the current status, as the board shows it
	Recent      []models.StatusChange
	Location    *time.Location
	ZoneName    string
	States      []models.State
	Scopes      []models.Scope
	Reasons     []models.Reason
	Form        statusForm
	Errors      map[string]string
	Problems    []string
	MayBackdate bool // further than a week: supervisors and administrators
	Min, Max    string
	Flash       string
}

// recentStatusDays is how far back the status form lists changes.
const recentStatusDays = 30

// renderStatusForm renders the status page with the form as given.
func (a *App) renderStatusForm(c echo.Context, status int, crossing models.Crossing, p statusPage) error {
	ctx, l, now := c.Request().Context(), a.locale(c), a.now()
	entries, err := models.Board(ctx, a.db, now)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Crossing.ID == crossing.ID {
			p.Card = a.newBoardCards([]models.BoardEntry{e}, now)[0]
		}
	}
	if p.Card.Crossing.ID == 0 { // an inactive crossing is not on the board
		p.Card = a.newBoardCards([]models.BoardEntry{{Crossing: crossing}}, now)[0]
	}
	history, err := models.StatusHistory(ctx, a.db, crossing.ID, now.AddDate(0, 0, -recentStatusDays), now.Add(models.MaxStatusAhead))
	if err != nil {
		return err
	}
	slices.Reverse(history)
	p.Recent = history
	loc := crossing.Location()
	p.Crossing, p.Location, p.ZoneName = crossing, loc, now.In(loc).Format("MST")
	p.States, p.Scopes, p.Reasons = models.States, models.Scopes, models.Reasons
	p.MayBackdate = supervises(currentUser(c))
	earliest := now.Add(-models.MaxStatusBackdate)
	if p.MayBackdate {
		earliest = crossing.RecordsFrom.Start(loc)
	}
	p.Min, p.Max = earliest.In(loc).Format(datetimeLocal), now.Add(models.MaxStatusAhead).In(loc).Format(datetimeLocal)
	if p.Errors == nil {
		p.Errors = map[string]string{}
	}
	return a.render(c, status, "status_form", l.T("status_form.title", "Crossing", crossing.Name), p)
}

// showStatusForm renders GET /staff/crossings/:slug/status.
func (a *App) showStatusForm(c echo.Context) error {
	crossing, err := a.staffCrossing(c)
	if err != nil {
		return err
	}
	return a.renderStatusForm(c, http.StatusOK, crossing, statusPage{Flash: a.popFlash(c)})
}

// recordStatus handles POST /staff/crossings/:slug/status: the change is
// stored and at once on the board and in the feeds, or the form comes
// back with what was typed and a message per field.
func (a *App) recordStatus(c echo.Context) error {
	ctx, l, u := c.Request().Context(), a.locale(c), currentUser(c)
	crossing, err := a.staffCrossing(c)
	if err != nil {
		return err
	}
	params, err := c.FormParams()
	if err != nil {
		return invalidInput("error.bad_request")
	}
	form, in, findings := parseStatusForm(params, crossing.Location())
	in.CrossingID, in.AllowOldBackdate, in.Source = crossing.ID, supervises(u), "form"
	if len(findings) > 0 {
		// Check the rest too, so that every mistake shows at once.
		in.EffectiveAt = time.Time{}
		findings = append(findings, models.CheckStatus(in, crossing, a.now())...)
	} else {
		change, err := models.RecordStatusChange(ctx, a.db, a.actor(c), in, a.now())
		var ve *models.ValidationError
		switch {
		case errors.As(err, &ve):
			findings = ve.Fields
		case err != nil:
			return err
		default:
			a.pages.invalidate()
			a.log.Info("status recorded", "crossing", crossing.Slug, "state", change.State, "effective_at", change.EffectiveAt,
				"user", u.Username, "request_id", requestID(c))
			a.flash(c, "status_form.saved")
			return c.Redirect(http.StatusSeeOther, "/staff/crossings/"+crossing.Slug+"/status")
		}
	}
	p := statusPage{Form: form, Errors: map[string]string{}}
	for _, fe := range findings {
		msg := validationMessage(l, fe, fieldLabel(l, models.FigureRules{}, fe.Field))
		p.Problems = append(p.Problems, msg)
		p.Errors[fe.Field] = strings.TrimSpace(p.Errors[fe.Field] + " " + msg)
	}
	return a.renderStatusForm(c, http.StatusUnprocessableEntity, crossing, p)
}
