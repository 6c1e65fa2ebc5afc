package models

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/gorm"
)

//go:embed migrations
var migrationFiles embed.FS

// ErrSchemaTooNew means the database was migrated by a newer borderflow than
// this one: running on it could corrupt data, so nothing is done.
var ErrSchemaTooNew = errors.New("the database schema is newer than this borderflow knows")

// MigrationState is the schema version of a database against the latest
// version this binary carries.
type MigrationState struct {
	Current int64
	Latest  int64
	Applied []AppliedMigration
}

// AppliedMigration is one migration and whether it has been applied.
type AppliedMigration struct {
	Version int64
	Name    string
	Applied bool
}

// UpToDate reports whether the schema is exactly the one this binary expects.
func (s MigrationState) UpToDate() bool { return s.Current == s.Latest }

func newMigrator(db *gorm.DB, log *slog.Logger) (*goose.Provider, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	dialect := Dialect(db)
	files, err := fs.Sub(migrationFiles, "migrations/"+dialect)
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{
		goose.WithGoMigrations(referenceDataMigration(dialect)),
		goose.WithDisableGlobalRegistry(true),
	}
	if log != nil {
		opts = append(opts, goose.WithSlog(log))
	}
	goDialect := goose.DialectSQLite3
	if dialect == DialectPostgres {
		goDialect = goose.DialectPostgres
		// Several replicas may start at once: one migrates, the others wait.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(goDialect, sqlDB, files, opts...)
}

// Migrate applies every pending migration and refuses a database whose
// schema is newer than this binary knows.
func Migrate(ctx context.Context, db *gorm.DB, log *slog.Logger) error {
	p, err := newMigrator(db, log)
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	if err := refuseNewerSchema(ctx, p); err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate the database: %w", err)
	}
	return nil
}

// SchemaVersions reads the database's schema version and the latest this
// binary carries, without the migration lock: /readyz asks on every probe,
// and must not wait behind another replica's probe or migration (the lock
// is retried every 5 s).
func SchemaVersions(ctx context.Context, db *gorm.DB) (MigrationState, error) {
	p, err := newMigrator(db, nil)
	if err != nil {
		return MigrationState{}, err
	}
	return schemaVersions(ctx, p)
}

func schemaVersions(ctx context.Context, p *goose.Provider) (MigrationState, error) {
	current, latest, err := p.GetVersions(ctx)
	if err != nil {
		return MigrationState{}, fmt.Errorf("read the schema version: %w", err)
	}
	return MigrationState{Current: current, Latest: latest}, nil
}

// SchemaState reads the database's schema version and each migration's
// state without changing them. It takes the migration lock, so it waits
// while another process migrates.
func SchemaState(ctx context.Context, db *gorm.DB) (MigrationState, error) {
	p, err := newMigrator(db, nil)
	if err != nil {
		return MigrationState{}, err
	}
	state, err := schemaVersions(ctx, p)
	if err != nil {
		return MigrationState{}, err
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return MigrationState{}, fmt.Errorf("read the schema version: %w", err)
	}
	for _, s := range statuses {
		state.Applied = append(state.Applied, AppliedMigration{
			Version: s.Source.Version,
			Name:    migrationName(s.Source),
			Applied: s.State == goose.StateApplied,
		})
	}
	return state, nil
}

func migrationName(s *goose.Source) string {
	if s.Path == "" {
		return fmt.Sprintf("%05d_reference_data (Go)", s.Version)
	}
	return s.Path
}

func refuseNewerSchema(ctx context.Context, p *goose.Provider) error {
	current, latest, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	if current > latest {
		return fmt.Errorf("%w (database at version %d, this binary at %d); run a newer borderflow", ErrSchemaTooNew, current, latest)
	}
	return nil
}
