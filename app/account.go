package app

import (
	"errors"
	"math"
	"net/http"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// passwordPage is the password change form; passwords are never sent back.
type passwordPage struct {
	MinLength int
	Errors    map[string]string // by field: current, new, confirm
}

// passwordRuleMessage translates a refusal by models.ValidatePassword; ok
// is false for any other error.
func passwordRuleMessage(l *Locale, err error) (message string, ok bool) {
	switch {
	case errors.Is(err, models.ErrPasswordTooShort):
		return l.T("password.too_short", "Min", models.MinPasswordLength), true
	case errors.Is(err, models.ErrPasswordTooLong):
		return l.T("password.too_long", "Max", models.MaxPasswordLength), true
	case errors.Is(err, models.ErrPasswordCommon):
		return l.T("password.common"), true
	case errors.Is(err, models.ErrPasswordHasUsername):
		return l.T("password.has_username"), true
	case errors.Is(err, models.ErrPasswordRepeated):
		return l.T("password.repeated"), true
	}
	return "", false
}

// showPasswordForm renders GET /account/password.
func (a *App) showPasswordForm(c echo.Context) error {
	l := a.locale(c)
	return a.render(c, http.StatusOK, "password", l.T("password.title"), passwordPage{MinLength: models.MinPasswordLength})
}

// changePassword handles POST /account/password. The current password is
// checked under the login throttle (a borrowed session must not become a
// way to guess it); the change ends the user's other sessions, and this
// one continues under a new token with the new generation.
func (a *App) changePassword(c echo.Context) error {
	ctx, l, u := c.Request().Context(), a.locale(c), currentUser(c)
	current, next, confirm := c.FormValue("current"), c.FormValue("new"), c.FormValue("confirm")
	page := passwordPage{MinLength: models.MinPasswordLength, Errors: map[string]string{}}
	refuse := func(status int) error {
		return a.render(c, status, "password", l.T("password.title"), page)
	}
	if next != confirm {
		page.Errors["confirm"] = l.T("password.mismatch")
		return refuse(http.StatusUnprocessableEntity)
	}
	ip, now := c.RealIP(), a.now()
	wait, err := models.LoginThrottle(ctx, a.db, u.Username, ip, now)
	if err != nil {
		return err
	}
	if wait > 0 {
		a.logAuth(c, "throttled", u.Username)
		page.Errors["current"] = l.T("login.throttled", "Wait", l.N("duration.minutes", int(math.Ceil(wait.Minutes()))))
		return refuse(http.StatusTooManyRequests)
	}
	user, err := models.ChangePassword(ctx, a.db, u.ID, current, next, a.actor(c), now)
	if errors.Is(err, models.ErrBadCredentials) {
		a.logAuth(c, "bad_current_password", u.Username)
		if err := models.RecordLoginAttempt(ctx, a.db, u.Username, ip, false, now); err != nil {
			return err
		}
		page.Errors["current"] = l.T("password.current_wrong")
		return refuse(http.StatusUnprocessableEntity)
	}
	if msg, ok := passwordRuleMessage(l, err); ok {
		page.Errors["new"] = msg
		return refuse(http.StatusUnprocessableEntity)
	}
	if errors.Is(err, models.ErrPasswordChanged) {
		page.Errors["current"] = l.T("password.changed_meanwhile")
		return refuse(http.StatusConflict)
	}
	if err != nil {
		return err
	}
	a.logAuth(c, "password_changed", u.Username)
	a.flash(c, "password.changed")
	if err := a.startSession(c, user); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, staffHome)
}
