package app

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// staffHome is where signing in leads when no other page was asked for.
const staffHome = "/staff"

// loginPage is the sign-in form: what was typed (never the password), where
// to go afterwards, and a message.
type loginPage struct {
	Username string
	Next     string
	Error    string
	Notice   string
}

// safeNext returns next when it is a path on this site, else the staff
// home: a sign-in link must not send anybody elsewhere (an open redirect).
// "//host", "/\host" and anything with a scheme or host are refused, as
// browsers read them as other sites.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return staffHome
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return staffHome
	}
	return next
}

// showLogin renders GET /login; a signed-in user goes straight on.
func (a *App) showLogin(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	l := a.locale(c)
	form := loginPage{Next: next}
	switch {
	case c.QueryParam("ended") != "":
		form.Notice = l.T("login.session_ended")
	case c.QueryParam("out") != "":
		form.Notice = l.T("login.signed_out")
	}
	return a.render(c, http.StatusOK, "login", l.T("login.title"), form)
}

// login handles POST /login. While the account or the address is
// throttled the password is not even checked; every attempt, refused or
// checked, is recorded for the throttle, and every decision logged. A wrong password
// and an unknown user get the same message after the same work.
func (a *App) login(c echo.Context) error {
	ctx, l := c.Request().Context(), a.locale(c)
	username := strings.ToLower(strings.TrimSpace(c.FormValue("username")))
	password := c.FormValue("password")
	form := loginPage{Username: username, Next: safeNext(c.FormValue("next"))}
	ip, now := c.RealIP(), a.now()

	wait, err := models.LoginThrottle(ctx, a.db, username, ip, now)
	if err != nil {
		return err
	}
	if wait > 0 {
		// Recorded as a failure, so the throttle holds while guessing goes
		// on; the wait named is the one that this attempt leaves.
		if err := models.RecordThrottledLogin(ctx, a.db, username, ip, now); err != nil {
			return err
		}
		if wait, err = models.LoginThrottle(ctx, a.db, username, ip, now); err != nil {
			return err
		}
		a.logAuth(c, "throttled", username)
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		form.Error = l.T("login.throttled", "Wait", l.N("duration.minutes", int(math.Ceil(wait.Minutes()))))
		return a.render(c, http.StatusTooManyRequests, "login", l.T("login.title"), form)
	}

	user, authErr := models.AuthenticatePassword(ctx, a.db, username, password)
	if err := models.RecordLoginAttempt(ctx, a.db, username, ip, authErr == nil, now); err != nil {
		return err
	}
	switch {
	case errors.Is(authErr, models.ErrBadCredentials):
		a.logAuth(c, "bad_credentials", username)
		form.Error = l.T("login.failed")
		return a.render(c, http.StatusOK, "login", l.T("login.title"), form)
	case errors.Is(authErr, models.ErrAccountDisabled):
		a.logAuth(c, "account_disabled", username)
		form.Error = l.T("login.disabled")
		return a.render(c, http.StatusForbidden, "login", l.T("login.title"), form)
	case authErr != nil:
		return authErr
	}
	if err := a.startSession(c, user); err != nil {
		return err
	}
	a.logAuth(c, "success", username)
	if a.translator.Speaks(user.Locale) {
		a.setLanguageCookie(c, user.Locale) // the language chosen on another device
	}
	return c.Redirect(http.StatusSeeOther, form.Next)
}

// logout handles POST /logout: the session is deleted on the server, so
// its cookie is worthless even if a copy survives.
func (a *App) logout(c echo.Context) error {
	if u := currentUser(c); u != nil {
		a.logAuth(c, "signed_out", u.Username)
	}
	if err := a.endSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login?out=1")
}
