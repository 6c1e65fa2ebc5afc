package app

import (
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// routes builds the router: every route, its middleware and who may use
// it, readable in one place.
func (a *App) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = ipExtractor(a.cfg.TrustedProxies)
	e.HTTPErrorHandler = a.handleError
	a.useMiddleware(e)

	// Public pages.
	e.GET("/", a.showBoard)
	e.GET("/crossings/:slug", a.showCrossing)
	e.GET("/static/:hash/*", a.assets.serve)

	// Read API, its OpenAPI document and the Atom feeds (api.go, feed.go):
	// public, readable from any origin, rate-limited per client.
	limit := a.rateLimit(newClientLimiter(func() time.Time { return a.now() }))
	api := e.Group("/api", apiCORS(), limit)
	api.Match(readMethods, "/openapi.yaml", a.serveOpenAPI)
	v1 := api.Group("/v1")
	v1.Match(readMethods, "/crossings", a.apiListCrossings)
	v1.Match(readMethods, "/crossings/:slug", a.apiShowCrossing)
	v1.Match(readMethods, "/crossings/:slug/figures", a.apiCrossingFigures)
	v1.Match(readMethods, "/crossings/:slug/status-history", a.apiStatusHistory)
	e.Match(readMethods, "/feed.atom", a.showFeed, limit)
	e.Match(readMethods, "/crossings/:slug/feed.atom", a.showCrossingFeed, limit)

	// Staff side: accounts and sign-in (auth.go, sessions.go, csrf.go,
	// login.go, account.go, staff.go, admin_users.go, tokens.go). Only these
	// routes read or write a session, so the public pages above stay
	// cookie-free and cacheable. Every staff route is never cached, loads
	// the session, checks the CSRF token of every state-changing request,
	// and loads the signed-in user; then:
	//   session — anybody (the sign-in form),
	//   staff   — any signed-in user of an active account,
	//   admins  — administrators only.
	// Per-crossing rights are checked in the handlers (a.mayEditCrossing).
	session := []echo.MiddlewareFunc{a.noStore, a.loadSession, a.csrfProtection(), a.loadUser}
	staff := slices.Concat(session, []echo.MiddlewareFunc{a.requireStaff})
	admins := slices.Concat(staff, []echo.MiddlewareFunc{a.requireRole(models.RoleAdmin)})
	e.GET("/login", a.showLogin, session...)
	e.POST("/login", a.login, session...)
	e.POST("/logout", a.logout, session...)
	e.GET("/staff", a.showStaffHome, staff...)
	e.GET("/account/password", a.showPasswordForm, staff...)
	e.POST("/account/password", a.changePassword, staff...)
	e.GET("/admin/users", a.showUsers, admins...)
	e.POST("/admin/users", a.createUser, admins...)
	e.GET("/admin/users/:id", a.showUser, admins...)
	e.POST("/admin/users/:id", a.updateUser, admins...)
	e.POST("/admin/users/:id/disable", a.setUserDisabled(true), admins...)
	e.POST("/admin/users/:id/enable", a.setUserDisabled(false), admins...)
	e.POST("/admin/users/:id/password", a.resetPassword, admins...)
	e.GET("/admin/tokens", a.showTokens, admins...)
	e.POST("/admin/tokens", a.createToken, admins...)
	e.POST("/admin/tokens/:id/revoke", a.revokeToken, admins...)

	// Probes for load balancers and orchestrators.
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)
	return e
}
