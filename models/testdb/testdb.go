// Package testdb gives each test a fresh, migrated database: a SQLite file
// and, in the same run, a database on a real PostgreSQL server. The server
// is the one named by BORDERFLOW_TEST_DATABASE_URL, or a throwaway one that
// the harness starts from the machine's PostgreSQL binaries, once per test
// binary. Without PostgreSQL the PostgreSQL half is skipped with a loud
// message, except under CI=true, where it fails.
package testdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"borderflow/models"
)

// The server is shared by every test of one test binary.
var (
	serverOnce sync.Once
	server     *pgServer
	serverErr  error
	createMu   sync.Mutex
	dbCounter  atomic.Int64
)

// Main runs a package's tests, then stops the PostgreSQL server if the
// harness started one. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if server != nil {
		server.stop()
	}
	os.Exit(code)
}

// ForEach runs body once on a fresh SQLite database and once on a fresh
// PostgreSQL database, as the subtests "sqlite" and "postgres".
func ForEach(t *testing.T, body func(t *testing.T, db *gorm.DB)) {
	t.Helper()
	t.Run(models.DialectSQLite, func(t *testing.T) { body(t, SQLite(t)) })
	t.Run(models.DialectPostgres, func(t *testing.T) { body(t, Postgres(t)) })
}

// ForEachURL runs body with the BORDERFLOW_DATABASE_URL of a fresh, empty
// (unmigrated) database of each dialect, for tests that open and migrate the
// database themselves, as the command line and the App do.
func ForEachURL(t *testing.T, body func(t *testing.T, databaseURL string)) {
	t.Helper()
	t.Run(models.DialectSQLite, func(t *testing.T) {
		body(t, "sqlite:"+filepath.Join(t.TempDir(), "borderflow.db"))
	})
	t.Run(models.DialectPostgres, func(t *testing.T) { body(t, createDatabase(t, false)) })
}

// SQLite returns a migrated database in a new file under t.TempDir().
func SQLite(t testing.TB) *gorm.DB {
	t.Helper()
	target := models.DatabaseTarget{Dialect: models.DialectSQLite, Path: filepath.Join(t.TempDir(), "test.db")}
	return openMigrated(t, target)
}

// Postgres returns a migrated database of its own on the test server.
func Postgres(t testing.TB) *gorm.DB {
	t.Helper()
	target, err := models.ResolveDatabase(PostgresURL(t), "")
	if err != nil {
		t.Fatal(err)
	}
	db, err := models.Open(context.Background(), target, nil)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	return db
}

// PostgresURL creates a migrated database of the test's own on the test
// server, dropped when the test ends, and returns its URL.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return createDatabase(t, true)
}

func createDatabase(t testing.TB, migrated bool) string {
	t.Helper()
	srv := requireServer(t)
	name := fmt.Sprintf("bf_test_%d_%d", os.Getpid(), dbCounter.Add(1))
	template := "template0"
	if migrated {
		template = srv.template
	}
	createMu.Lock()
	err := srv.exec(fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, template))
	createMu.Unlock()
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return srv.databaseURL(name)
}

func openMigrated(t testing.TB, target models.DatabaseTarget) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, target, nil)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	if err := models.Migrate(ctx, db, nil); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return db
}

func requireServer(t testing.TB) *pgServer {
	t.Helper()
	serverOnce.Do(func() { server, serverErr = startServer() })
	if serverErr == nil {
		return server
	}
	msg := fmt.Sprintf("PostgreSQL half NOT RUN: %v", serverErr)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true requires it)")
	}
	fmt.Fprintf(os.Stderr, "\n!!! testdb: %s !!!\n\n", msg)
	t.Skip(msg)
	return nil
}

// databaseURL returns the URL of database name on the server.
func (s *pgServer) databaseURL(name string) string {
	u := *s.admin
	u.Path = "/" + name
	return u.String()
}
