package app

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// Session timeouts (ASVS V3.3.2): a session unused for twelve hours ends,
// and none lives longer than a week from its sign-in.
const (
	sessionIdleTimeout = 12 * time.Hour
	sessionLifetime    = 7 * 24 * time.Hour
)

// The values a login session holds. The login time is Unix seconds, as the
// session codec (gob) needs no registration for plain integers.
const (
	sessionUserID     = "user_id"
	sessionGeneration = "generation" // the user's SessionGeneration at sign-in
	sessionLoginAt    = "login_at"
	sessionFlash      = "flash" // a message key shown once on the next page
)

// Per-request values kept in the echo context.
const (
	ctxUser             = "borderflow.user"
	ctxSessionEnded     = "borderflow.session_ended"
	ctxSessionCommitted = "borderflow.session_committed"
)

// servedOverTLS reports whether the site's public URL is https: only then
// may cookies be Secure, as a browser talking plain HTTP would drop them.
func (a *App) servedOverTLS() bool {
	return strings.HasPrefix(a.cfg.BaseURL, "https://")
}

// cookieName gives a cookie the __Host- prefix when served over TLS: the
// browser then accepts it only as Secure, for this host alone, on path /,
// so no sibling subdomain can plant or overwrite it (ASVS V3.4.4). Over
// plain HTTP (the quick start on localhost) a prefixed cookie would be
// refused, so the plain name is used there.
func cookieName(name string, tls bool) string {
	if tls {
		return "__Host-" + name
	}
	return name
}

// newSessionManager keeps sessions in the database. The store holds a hash
// of each session token, so that a copy of the database lets nobody take
// over a session.
func newSessionManager(db *models.SessionStore, tls bool) *scs.SessionManager {
	sm := scs.New()
	sm.Store = db
	sm.HashTokenInStore = true
	sm.IdleTimeout = sessionIdleTimeout
	sm.Lifetime = sessionLifetime
	sm.Cookie = scs.SessionCookie{
		Name:     cookieName("bf_session", tls),
		Path:     "/",
		HttpOnly: true,
		Secure:   tls,
		SameSite: http.SameSiteLaxMode,
		Persist:  true,
	}
	return sm
}

// loadSession reads the request's session (a new, empty one when there is
// no valid cookie) and saves it just before the response is written, with
// the cookie. It is on staff routes only: public pages never read or write
// a session, so their shared cache stays correct.
func (a *App) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var token string
		if cookie, err := c.Cookie(a.sessions.Cookie.Name); err == nil {
			token = cookie.Value
		}
		ctx, err := a.sessions.Load(c.Request().Context(), token)
		if err != nil {
			return err
		}
		c.SetRequest(c.Request().WithContext(ctx))
		c.Response().Before(func() {
			if c.Get(ctxSessionCommitted) != nil {
				return
			}
			if err := a.writeSession(c); err != nil {
				a.log.Error("save session", "request_id", requestID(c), "err", err)
			}
		})
		return next(c)
	}
}

// saveSession stores the session now, so that a failure becomes the
// request's error instead of a lost sign-in.
func (a *App) saveSession(c echo.Context) error {
	if err := a.writeSession(c); err != nil {
		return err
	}
	c.Set(ctxSessionCommitted, true)
	return nil
}

// writeSession commits a changed session and sets its cookie, or clears the
// cookie of a destroyed one.
func (a *App) writeSession(c echo.Context) error {
	ctx := c.Request().Context()
	switch a.sessions.Status(ctx) {
	case scs.Modified:
		token, expiry, err := a.sessions.Commit(ctx)
		if err != nil {
			return err
		}
		a.sessions.WriteSessionCookie(ctx, c.Response(), token, expiry)
	case scs.Destroyed:
		a.sessions.WriteSessionCookie(ctx, c.Response(), "", time.Time{})
	}
	return nil
}

// startSession signs user in: a new session token (ASVS V3.2.1, so that a
// token planted before sign-in is worthless), holding the user, the user's
// session generation and the time of sign-in.
func (a *App) startSession(c echo.Context, user models.User) error {
	ctx := c.Request().Context()
	if err := a.sessions.RenewToken(ctx); err != nil {
		return err
	}
	a.sessions.Put(ctx, sessionUserID, user.ID)
	a.sessions.Put(ctx, sessionGeneration, user.SessionGeneration)
	a.sessions.Put(ctx, sessionLoginAt, a.now().Unix())
	return a.saveSession(c)
}

// endSession deletes the session on the server (ASVS V3.3.1) and clears the cookie.
func (a *App) endSession(c echo.Context) error {
	return a.sessions.Destroy(c.Request().Context())
}

// flash keeps a message key to show once on the next staff page.
func (a *App) flash(c echo.Context, key string) {
	a.sessions.Put(c.Request().Context(), sessionFlash, key)
}

// popFlash takes the message kept by flash, translated, or "".
func (a *App) popFlash(c echo.Context) string {
	key := a.sessions.PopString(c.Request().Context(), sessionFlash)
	if key == "" {
		return ""
	}
	return a.locale(c).T(key)
}

// loadUser puts the signed-in user in the context. A session whose account
// has been disabled, or whose generation is no longer the account's (the
// password was changed or reset), is ended here, on every replica at once.
func (a *App) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		id := a.sessions.GetInt64(ctx, sessionUserID)
		if id == 0 {
			return next(c)
		}
		user, err := models.UserByID(ctx, a.db, id)
		reason := ""
		switch {
		case errors.Is(err, models.ErrNotFound):
			reason = "account_gone"
		case err != nil:
			return err
		case user.Disabled:
			reason = "account_disabled"
		case user.SessionGeneration != a.sessions.GetInt(ctx, sessionGeneration):
			reason = "password_changed"
		}
		if reason != "" {
			a.log.Warn("authentication", "outcome", "session_ended", "reason", reason, "user", user.Username,
				"ip", c.RealIP(), "request_id", requestID(c))
			if err := a.endSession(c); err != nil {
				return err
			}
			c.Set(ctxSessionEnded, true)
			return next(c)
		}
		c.Set(ctxUser, &user)
		return next(c)
	}
}

// currentUser is the signed-in user (or the API token's user) of the
// request, nil when there is none.
func currentUser(c echo.Context) *models.User {
	u, _ := c.Get(ctxUser).(*models.User)
	return u
}

// carriesSessionCookie tells whether the request comes from a browser with
// a staff session cookie, valid or not: public pages do not load sessions,
// and only use this to wait for a page that may show the reader's own
// change. A made-up cookie gains nothing but that wait.
func (a *App) carriesSessionCookie(c echo.Context) bool {
	_, err := c.Cookie(a.sessions.Cookie.Name)
	return err == nil
}
