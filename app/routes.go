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
	e.GET("/method", a.showMethod)
	e.GET("/static/:hash/*", a.assets.serve)
	// Weekly summaries, their stored downloads and the range export
	// (reports.go, reports_export.go).
	e.GET("/reports", a.showReports)
	e.GET("/reports/export", a.exportFigures)
	e.GET("/reports/:file", a.reportPath)

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
	// The closure cost model's stored estimates (api_impact.go).
	v1.Match(readMethods, "/crossings/:slug/impact", a.apiCrossingImpact)
	v1.Match(readMethods, "/closures", a.apiClosures)
	v1.Match(readMethods, "/assumptions", a.apiAssumptions)
	// API writes (api_write.go): the Bearer token acts as its user, whose
	// role and crossings each handler checks (a.mayEditCrossing).
	v1.POST("/crossings/:slug/figures", a.apiWriteFigures, a.noStore, a.requireToken)
	v1.POST("/crossings/:slug/status", a.apiWriteStatus, a.noStore, a.requireToken)
	e.Match(readMethods, "/feed.atom", a.showFeed, limit)
	e.Match(readMethods, "/crossings/:slug/feed.atom", a.showCrossingFeed, limit)

	// Staff side: accounts and sign-in (auth.go, sessions.go, csrf.go,
	// login.go, account.go, staff.go, admin_users.go, tokens.go, admin_*.go). Only these
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
	// The language menu on every page: no CSRF token (the public pages carry
	// none), an origin check instead (language.go); the session, if any,
	// saves the choice in the staff user's profile.
	e.POST("/lang", a.chooseLanguage, a.noStore, a.loadSession, a.loadUser)
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
	// Scheduled jobs (admin_jobs.go): the list and "Run now".
	e.GET("/admin/jobs", a.showJobs, admins...)
	e.POST("/admin/jobs/:name/run", a.runJob, admins...)

	// Reference data and the audit log, for administrators
	// (admin_crossings.go, admin_categories.go, admin_limits.go,
	// admin_audit.go): each change is stored with its audit record in one
	// transaction.
	e.GET("/admin/crossings", a.showCrossings, admins...)
	e.GET("/admin/crossings/new", a.showNewCrossing, admins...)
	e.POST("/admin/crossings", a.createCrossing, admins...)
	e.GET("/admin/crossings/:id", a.showCrossingForm, admins...)
	e.POST("/admin/crossings/:id", a.updateCrossing, admins...)
	e.GET("/admin/categories", a.showCategories, admins...)
	e.GET("/admin/categories/new", a.showNewCategory, admins...)
	e.POST("/admin/categories", a.createCategory, admins...)
	e.GET("/admin/categories/:id", a.showCategoryForm, admins...)
	e.POST("/admin/categories/:id", a.updateCategory, admins...)
	e.GET("/admin/assumptions", a.showAssumptions, admins...)
	e.POST("/admin/assumptions", a.saveAssumptions, admins...)
	e.GET("/admin/limits", a.showLimits, admins...)
	e.POST("/admin/limits", a.saveLimits, admins...)
	e.GET("/admin/audit", a.showAudit, admins...)

	// Daily entry, status changes, verification and a day's history
	// (entry.go, status_form.go, verify.go, day_history.go): each handler
	// checks that the user works on the crossing (a.staffCrossing);
	// verifying is for supervisors and administrators.
	supervisors := slices.Concat(staff, []echo.MiddlewareFunc{a.requireRole(models.RoleSupervisor)})
	e.GET("/staff/crossings/:slug/entry", a.showEntry, staff...)
	e.POST("/staff/crossings/:slug/entry", a.saveEntry, staff...)
	e.GET("/staff/crossings/:slug/status", a.showStatusForm, staff...)
	e.POST("/staff/crossings/:slug/status", a.recordStatus, staff...)
	e.GET("/staff/crossings/:slug/days/:date/history", a.showDayHistory, staff...)
	e.POST("/staff/crossings/:slug/days/:date/verify", a.verifyDay, supervisors...)

	// Imports of CSV files (import.go), for administrators. The upload
	// reads its own multipart body (up to 50 MB, the file streamed to a
	// temporary file) after the role check and before the CSRF check, which
	// then finds its token among the form's fields without the file in memory.
	upload := []echo.MiddlewareFunc{a.noStore, a.loadSession, a.loadUser, a.requireStaff,
		a.requireRole(models.RoleAdmin), a.receiveUpload, a.csrfProtection()}
	e.GET(importPath, a.showImport, admins...)
	e.POST(importPath, a.checkImport, upload...)
	e.POST(importPath+"/commit", a.commitImport, admins...)

	// Probes for load balancers and orchestrators.
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)
	e.GET("/metrics", a.serveMetrics)
	return e
}
