package app

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// healthz answers while the process is up.
func (a *App) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readyz answers 200 when the database is reachable and its schema is the
// one this binary expects, and 503 with the reason otherwise.
func (a *App) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	sqlDB, err := a.db.DB()
	if err == nil {
		err = sqlDB.PingContext(ctx)
	}
	if err != nil {
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	state, err := models.SchemaVersions(ctx, a.db)
	if err != nil {
		return c.String(http.StatusServiceUnavailable, "schema version unreadable\n")
	}
	if !state.UpToDate() {
		return c.String(http.StatusServiceUnavailable, "schema not current\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
