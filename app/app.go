// Package app is borderflow's application: configuration, the HTTP server,
// routes, middleware, handlers, rendering and the command line.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"borderflow"
	"borderflow/jobs"
	"borderflow/models"
)

// shutdownGrace is how long in-flight requests get to finish at shutdown;
// the process exits within ten seconds of the signal.
const shutdownGrace = 8 * time.Second

// App owns borderflow's dependencies; handlers are its methods.
type App struct {
	cfg        Config
	log        *slog.Logger
	db         *gorm.DB
	translator *Translator
	assets     *Assets
	renderer   *Renderer
	scheduler  *jobs.Scheduler
	pages      *pageCache
	sessions   *scs.SessionManager // staff login sessions, kept in the database
	echo       *echo.Echo
	now        func() time.Time
	uploads    string // where checked import files wait for their commit
	metrics    *metrics
	// embeddedLock keeps a second process from serving the same SQLite file.
	embeddedLock *models.EmbeddedLock
	// requestLog takes the one line a request while serving (see Run);
	// nil outside Run, when requests are logged through log.
	requestLog *slog.Logger
}

// New opens and migrates the database (under a lock), loads demo data into
// an empty embedded database when configured to, parses the templates and
// builds the router.
func New(ctx context.Context, cfg Config) (*App, error) {
	log := NewLogger(cfg)
	a := &App{cfg: cfg, log: log, now: time.Now, pages: newPageCache(), uploads: defaultUploadDir()}
	var err error
	if a.translator, err = NewTranslator(); err != nil {
		return nil, err
	}
	if err := cfg.applyDigits(a.translator); err != nil {
		return nil, err
	}
	if a.assets, err = NewAssets(borderflow.Files); err != nil {
		return nil, fmt.Errorf("read static files: %w", err)
	}
	if a.renderer, err = NewRenderer(borderflow.Files, a.assets); err != nil {
		return nil, err
	}
	if cfg.Database.Dialect == models.DialectSQLite {
		if a.embeddedLock, err = models.LockEmbedded(cfg.Database.Path); err != nil {
			return nil, err
		}
	}
	if a.db, err = models.Open(ctx, cfg.Database, log); err != nil {
		a.embeddedLock.Release()
		return nil, err
	}
	if err := models.Migrate(ctx, a.db, log); err != nil {
		a.closeDatabase()
		return nil, err
	}
	if cfg.Demo {
		if err := a.loadFirstStartDemo(ctx); err != nil {
			a.closeDatabase()
			return nil, err
		}
	}
	jobOptions := cfg.jobOptions(a.translator)
	jobOptions.Wrote = func(string) { a.pages.invalidate() }
	if a.scheduler, err = jobs.NewScheduler(a.db, log, jobOptions); err != nil {
		a.closeDatabase()
		return nil, err
	}
	if a.metrics, err = newMetrics(a.db, a.scheduler); err != nil {
		a.closeDatabase()
		return nil, err
	}
	a.sessions = newSessionManager(models.NewSessionStore(a.db), a.servedOverTLS())
	a.echo = a.routes()
	return a, nil
}

// Handler is the App's HTTP handler, for tests and embedding.
func (a *App) Handler() http.Handler { return a.echo }

// DB is the App's database, for tests.
func (a *App) DB() *gorm.DB { return a.db }

// Run serves on ln and runs the scheduler until ctx ends, then shuts down:
// requests in flight finish, jobs stop at a safe point, the database closes.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	out := a.cfg.LogOutput
	if out == nil {
		out = os.Stderr
	}
	requestLogs := newBatchedWriter(out)
	defer func() { _ = requestLogs.Close() }()
	a.requestLog = newLoggerTo(a.cfg, requestLogs)
	if a.cfg.Database.Dialect == models.DialectPostgres {
		// Writes made through other replicas, imports and jobs arrive here.
		listenCtx, stopListening := context.WithCancel(ctx)
		defer stopListening()
		go models.ListenForChanges(listenCtx, a.cfg.Database, a.log, func(string) { a.pages.invalidate() })
	}
	if a.cfg.Jobs {
		a.scheduler.Start()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.log.Info("serving", "addr", ln.Addr().String(), "database", a.cfg.Database.String(), "jobs", a.cfg.Jobs)

	var serveErr error
	select {
	case serveErr = <-served:
	case <-ctx.Done():
		a.log.Info("shutting down")
		// Jobs stop first, at a safe point: their transactions roll back
		// and their runs are recorded as failed.
		a.scheduler.Stop()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			a.log.Warn("requests still running at shutdown were cut off", "err", err)
		}
	}
	a.scheduler.Stop()
	if err := a.closeDatabase(); err != nil {
		a.log.Warn("close database", "err", err)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}

// Close releases the App's resources without serving (for tests and commands).
func (a *App) Close() error {
	a.scheduler.Stop()
	return a.closeDatabase()
}

// closeDatabase closes the database and lets another process serve it.
func (a *App) closeDatabase() error {
	defer a.embeddedLock.Release()
	return models.Close(a.db)
}
