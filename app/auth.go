package app

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// noStore keeps staff pages out of every cache: they show one person's
// data and carry a CSRF token.
func (a *App) noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}

// requireStaff lets through a signed-in user of an active account; anybody
// else is sent to sign in, and back here afterwards (a form posted after
// the session ended comes back as its page, where the browser still holds
// what was typed).
func (a *App) requireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) != nil {
			return next(c)
		}
		// The query stays: a form's action carries its page's (the entry
		// form's ?date=), and a GET of that address shows the same page.
		q := url.Values{"next": {c.Request().URL.RequestURI()}}
		if ended, _ := c.Get(ctxSessionEnded).(bool); ended {
			q.Set("ended", "1")
		}
		return c.Redirect(http.StatusSeeOther, "/login?"+q.Encode())
	}
}

// requireRole lets through the signed-in users whose role is one of roles;
// an admin may do everything, so always passes. It goes after requireStaff.
func (a *App) requireRole(roles ...models.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u := currentUser(c)
			if u == nil || (u.Role != models.RoleAdmin && !slices.Contains(roles, u.Role)) {
				return a.denyAccess(c, "role")
			}
			return next(c)
		}
	}
}

// mayEditCrossing reports whether u may enter or change data of the
// crossing (ASVS V4.2.1, checked per object): an admin may for every
// crossing, an officer or supervisor only for those assigned to them.
func (a *App) mayEditCrossing(u *models.User, crossingID int64) bool {
	switch {
	case u == nil || u.Disabled:
		return false
	case u.Role == models.RoleAdmin:
		return true
	}
	return slices.ContainsFunc(u.Crossings, func(c models.Crossing) bool { return c.ID == crossingID })
}

// denyAccess logs an access-control failure (ASVS V7.2) and answers 403
// with a translated page; reason says which check failed.
func (a *App) denyAccess(c echo.Context, reason string) error {
	var user, role string
	if u := currentUser(c); u != nil {
		user, role = u.Username, string(u.Role)
	}
	a.log.Warn("access denied", "reason", reason, "user", user, "role", role, "method", c.Request().Method,
		"path", c.Request().URL.Path, "ip", c.RealIP(), "request_id", requestID(c))
	return &userError{status: http.StatusForbidden, key: "error.forbidden"}
}

// actor is the signed-in user as the audit log records a change of theirs.
func (a *App) actor(c echo.Context) models.Actor {
	actor := models.Actor{IP: c.RealIP(), RequestID: requestID(c)}
	if u := currentUser(c); u != nil {
		id := u.ID
		actor.UserID, actor.Name = &id, u.Username
	}
	return actor
}

// logAuth records an authentication decision (ASVS V7.2): who, from where,
// and the outcome, never a password or token. A typed user name that breaks
// the name rule is not logged as typed: it may be a password entered into
// the wrong field.
func (a *App) logAuth(c echo.Context, outcome, username string, attrs ...any) {
	if username != "" && !models.ValidUsername(username) {
		username = "(not a valid user name)"
	}
	level := a.log.Warn
	if outcome == "success" || outcome == "signed_out" || outcome == "token_accepted" || outcome == "password_changed" {
		level = a.log.Info
	}
	level("authentication", append([]any{"outcome", outcome, "user", username, "ip", c.RealIP(),
		"request_id", requestID(c)}, attrs...)...)
}

// ctxAPIToken is the API token a request was authenticated with.
const ctxAPIToken = "borderflow.api_token"

// requireToken authenticates an API write by its Bearer token and makes
// the token's user the request's user; the handler then checks that user's
// role and crossings as for a signed-in person. A missing or invalid token
// is a 401 in the API's error shape with a WWW-Authenticate challenge.
func (a *App) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		l := a.locale(c)
		scheme, token, _ := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			a.logAuth(c, "token_missing", "")
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="borderflow"`)
			return &requestError{status: http.StatusUnauthorized, message: l.T("api.token_missing")}
		}
		record, user, err := models.AuthenticateAPIToken(c.Request().Context(), a.db, token, a.now())
		if errors.Is(err, models.ErrTokenInvalid) {
			a.logAuth(c, "token_invalid", "")
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="borderflow", error="invalid_token"`)
			return &requestError{status: http.StatusUnauthorized, message: l.T("api.token_invalid")}
		}
		if err != nil {
			return err
		}
		a.logAuth(c, "token_accepted", user.Username, "token_id", record.ID)
		c.Set(ctxUser, &user)
		c.Set(ctxAPIToken, &record)
		return next(c)
	}
}
