package app

import (
	"time"

	"github.com/labstack/echo/v4"
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

	// Probes for load balancers and orchestrators.
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)
	return e
}
