// Package models holds borderflow's data: the GORM models, the queries that
// read and write them, their validation rules, the migrations, and the pure
// domain computations built on them.
package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialects borderflow runs on.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// DatabaseTarget says which database to open, resolved from the
// configuration: a PostgreSQL URL or a SQLite file path.
type DatabaseTarget struct {
	Dialect string
	// DSN is what the driver is given; for PostgreSQL it may hold a password
	// and must never be logged (use String instead).
	DSN string
	// Path is the SQLite file, empty for PostgreSQL.
	Path string
}

// String describes the target without credentials, for logs and messages.
func (t DatabaseTarget) String() string {
	if t.Dialect == DialectSQLite {
		return "SQLite file " + t.Path
	}
	u, err := url.Parse(t.DSN)
	if err != nil {
		return "PostgreSQL"
	}
	host := u.Host
	if host == "" {
		host = u.Query().Get("host")
	}
	return "PostgreSQL at " + host + u.Path
}

// ResolveDatabase turns BORDERFLOW_DATABASE_URL and BORDERFLOW_DATA_DIR into
// a target: unset means the embedded file dataDir/borderflow.db, "sqlite:PATH"
// a SQLite file of one's choosing, and a postgres:// URL a PostgreSQL server.
func ResolveDatabase(databaseURL, dataDir string) (DatabaseTarget, error) {
	switch {
	case databaseURL == "":
		if dataDir == "" {
			return DatabaseTarget{}, errors.New("BORDERFLOW_DATA_DIR must not be empty")
		}
		return DatabaseTarget{Dialect: DialectSQLite, Path: filepath.Join(dataDir, "borderflow.db")}, nil
	case strings.HasPrefix(databaseURL, "sqlite:"):
		path := strings.TrimPrefix(databaseURL, "sqlite:")
		if path == "" || strings.ContainsAny(path, "?#") {
			return DatabaseTarget{}, fmt.Errorf("BORDERFLOW_DATABASE_URL %q must name a file after sqlite:, without options", databaseURL)
		}
		return DatabaseTarget{Dialect: DialectSQLite, Path: path}, nil
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		u, err := url.Parse(databaseURL)
		if err != nil {
			return DatabaseTarget{}, errors.New("BORDERFLOW_DATABASE_URL is not a valid URL; expected postgres://user:password@host:5432/dbname")
		}
		if u.Host == "" && u.Query().Get("host") == "" {
			return DatabaseTarget{}, errors.New("BORDERFLOW_DATABASE_URL names no host; expected postgres://user:password@host:5432/dbname")
		}
		if strings.Trim(u.Path, "/") == "" {
			return DatabaseTarget{}, errors.New("BORDERFLOW_DATABASE_URL names no database; expected postgres://user:password@host:5432/dbname")
		}
		return DatabaseTarget{Dialect: DialectPostgres, DSN: databaseURL}, nil
	default:
		return DatabaseTarget{}, errors.New("BORDERFLOW_DATABASE_URL must be a postgres:// URL or sqlite:PATH")
	}
}

// sqliteDSN sets the pragmas in the DSN so that every pooled connection gets
// them: WAL for readers beside one writer, a busy timeout instead of
// immediate "database is locked" errors, foreign keys enforced, and
// transactions that take the write lock when they begin, so that two which
// read and then write wait for each other instead of deadlocking. No
// _time_format: the driver (glebarez/go-sqlite v1.21.2) stops reading
// options after it and would ignore _txlock; its default format is the
// same "sqlite" one.
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// connectTimeout bounds each new connection to PostgreSQL, in seconds (the
// unit of the DSN's connect_timeout): when the server is down or
// unreachable, a request gets its 503 promptly instead of waiting on the
// operating system's TCP timeout, which can be minutes.
const connectTimeout = "2"

// postgresDSN is the DSN with connectTimeout, unless it sets its own.
func postgresDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Query().Has("connect_timeout") {
		return dsn
	}
	q := u.Query()
	q.Set("connect_timeout", connectTimeout)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open connects to the target, checks that it answers, and sets a pool that
// fits the dialect. It creates the SQLite file's directory when needed.
func Open(ctx context.Context, target DatabaseTarget, log *slog.Logger) (*gorm.DB, error) {
	cfg := &gorm.Config{
		NowFunc:                func() time.Time { return time.Now().UTC() },
		Logger:                 newGormLogger(log),
		TranslateError:         true,
		SkipDefaultTransaction: true,
		// Open pings below, with a message fit for a person.
		DisableAutomaticPing: true,
	}
	var dialector gorm.Dialector
	switch target.Dialect {
	case DialectSQLite:
		if err := ensureWritableDir(filepath.Dir(target.Path)); err != nil {
			return nil, err
		}
		dialector = sqlite.Open(sqliteDSN(target.Path))
	case DialectPostgres:
		dialector = postgres.Open(postgresDSN(target.DSN))
	default:
		return nil, fmt.Errorf("unknown database dialect %q", target.Dialect)
	}
	db, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot open the %s: %w", target, err)
	}
	if err := registerUTCTimes(db); err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if target.Dialect == DialectSQLite {
		// One file, one process: a few connections let readers proceed while
		// the single writer holds the lock.
		sqlDB.SetMaxOpenConns(4)
		sqlDB.SetMaxIdleConns(4)
		sqlDB.SetConnMaxIdleTime(0)
	} else {
		// As many kept idle as may be open: under load a smaller idle pool
		// closes connections as requests finish and opens new ones for the
		// next, and a new PostgreSQL connection (a server process, its
		// authentication) costs more than most requests. Idle ones close
		// after five minutes.
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		sqlDB.SetConnMaxLifetime(time.Hour)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("cannot reach the %s: %s", target, cause(err))
	}
	return db, nil
}

// Close closes the pool behind db.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Dialect names the database behind db.
func Dialect(db *gorm.DB) string {
	if db.Dialector.Name() == DialectPostgres {
		return DialectPostgres
	}
	return DialectSQLite
}

func ensureWritableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("the data directory %s cannot be created: %s; set BORDERFLOW_DATA_DIR to a writable directory", dir, firstLine(err))
	}
	probe, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("the data directory %s cannot be written; set BORDERFLOW_DATA_DIR to a writable directory", dir)
	}
	name := probe.Name()
	_ = probe.Close()
	return os.Remove(name)
}

// Unreachable reports whether err means the database could not be
// reached or dropped the connection (it is down, restarting, or
// refusing connections), as opposed to a fault of the request: a failed
// connect, a connection cut by the server or the network, or the server's
// own "shutting down", "starting up" and "too many connections".
func Unreachable(err error) bool {
	var connect *pgconn.ConnectError
	var pgErr *pgconn.PgError
	var netErr *net.OpError
	switch {
	case err == nil:
		return false
	case errors.As(err, &connect), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 57P01–57P03: shutdown, crash,
		// cannot connect now; 53300: too many connections.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") || pgErr.Code == "53300"
	}
	return false
}

// cause is the most specific part of a driver's error, which puts the
// underlying reason (connection refused, authentication failed) last.
func cause(err error) string {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// gormLogger sends GORM's slow-query and error reports to slog, without the
// SQL parameters (they may hold password hashes or session tokens).
type gormLogger struct {
	log *slog.Logger
}

func newGormLogger(log *slog.Logger) logger.Interface {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return gormLogger{log: log}
}

func (l gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }
func (l gormLogger) Info(ctx context.Context, msg string, args ...any) {
	l.log.InfoContext(ctx, fmt.Sprintf(msg, args...))
}
func (l gormLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(msg, args...))
}
func (l gormLogger) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, fmt.Sprintf(msg, args...))
}

// Trace reports slow statements; errors are returned to the caller, which
// logs them with the request that caused them.
func (l gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if elapsed := time.Since(begin); elapsed > 500*time.Millisecond {
		sql, rows := fc()
		l.log.WarnContext(ctx, "slow query", "elapsed", elapsed, "rows", rows, "sql", statementShape(sql))
	}
}

// statementShape keeps a statement's text up to its first values, so that a
// log line says which query was slow without the data it carried.
func statementShape(sql string) string {
	for _, cut := range []string{" WHERE ", " VALUES ", " SET "} {
		if i := strings.Index(sql, cut); i > 0 {
			sql = sql[:i] + cut + "…"
		}
	}
	return sql
}
