package app

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// ctxCSRF is where the CSRF middleware leaves the request's token, for the
// forms' hidden _csrf field.
const ctxCSRF = "borderflow.csrf"

// csrfProtection guards every state-changing staff request (ASVS V4.2.2):
// the token of the CSRF cookie must come back in the form field _csrf (a
// plain or multipart form) or the X-CSRF-Token header (a script). A browser
// that says Sec-Fetch-Site: same-origin is believed, since no other site
// can make it say so; a cross-site request is refused outright. Either
// failure is a 403 with a translated page, logged, and nothing is written.
func (a *App) csrfProtection() echo.MiddlewareFunc {
	tls := a.servedOverTLS()
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf,header:" + echo.HeaderXCSRFToken,
		ContextKey:     ctxCSRF,
		CookieName:     cookieName("bf_csrf", tls),
		CookiePath:     "/",
		CookieMaxAge:   int(sessionLifetime / time.Second),
		CookieSecure:   tls,
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return a.csrfRefused(c, err.Error())
		},
		AllowSecFetchSiteFunc: func(c echo.Context) (bool, error) {
			if c.Request().Header.Get(echo.HeaderSecFetchSite) == "same-site" {
				return false, nil // a sibling subdomain: the token decides
			}
			return false, a.csrfRefused(c, "cross-site request")
		},
	})
}

// csrfRefused logs a refused request as an access-control failure (ASVS
// V7.2) and answers 403.
func (a *App) csrfRefused(c echo.Context, why string) error {
	a.log.Warn("access denied", "reason", "csrf", "detail", why, "method", c.Request().Method,
		"path", c.Request().URL.Path, "ip", c.RealIP(), "request_id", requestID(c))
	return &userError{status: http.StatusForbidden, key: "error.csrf"}
}

// csrfToken is the request's CSRF token for a form's hidden _csrf field,
// "" outside the staff routes.
func csrfToken(c echo.Context) string {
	token, _ := c.Get(ctxCSRF).(string)
	return token
}
