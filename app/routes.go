package app

import (
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
	e.GET("/static/:hash/*", a.assets.serve)

	// Probes for load balancers and orchestrators.
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)
	return e
}
