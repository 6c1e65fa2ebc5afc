package app

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/pressly/goose/v3/lock"

	"borderflow/models"
	"borderflow/models/testdb"
)

func newSQLiteApp(t *testing.T) *App {
	return newTestApp(t, "sqlite:"+filepath.Join(t.TempDir(), "borderflow.db"))
}

func TestUnknownPageGetsHTMLErrorPage(t *testing.T) {
	a := newSQLiteApp(t)
	rec := get(t, a, "/no/such/page")
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type = %q, want HTML", ct)
	}
	doc := page(t, rec)
	if got := doc.Find(".error-message").Text(); got != "There is no page at this address." {
		t.Errorf("error message = %q", got)
	}
	if href, _ := doc.Find("main a").Attr("href"); href != "/" {
		t.Errorf("error page links back to %q, want /", href)
	}
}

func TestUnknownAPIPathGetsJSONError(t *testing.T) {
	a := newSQLiteApp(t)
	rec := get(t, a, "/api/v1/nothing-here")
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", rec.Code)
	}
	var body apiError
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body is not the JSON error shape: %v: %s", err, rec.Body)
	}
	if body.Error.Code != "not_found" || body.Error.Message == "" {
		t.Errorf("error = %+v", body.Error)
	}
}

func TestPanicInHandlerBecomesErrorPageWithRequestID(t *testing.T) {
	a := newSQLiteApp(t)
	a.echo.GET("/boom", func(c echo.Context) error { panic("boom") })
	rec := get(t, a, "/boom")
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	id := rec.Header().Get("X-Request-Id")
	if id == "" || !strings.Contains(rec.Body.String(), id) {
		t.Errorf("the error page should quote the request ID %q", id)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	a := newSQLiteApp(t)
	if rec := get(t, a, "/healthz"); rec.Code != http.StatusOK {
		t.Errorf("/healthz = %d", rec.Code)
	}
	if rec := get(t, a, "/readyz"); rec.Code != http.StatusOK || rec.Body.String() != "ready\n" {
		t.Errorf("/readyz = %d %q", rec.Code, rec.Body)
	}
	// A database that no longer answers makes the instance unready.
	if err := models.Close(a.db); err != nil {
		t.Fatal(err)
	}
	if rec := get(t, a, "/readyz"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database closed = %d, want 503", rec.Code)
	}
	if rec := get(t, a, "/healthz"); rec.Code != http.StatusOK {
		t.Errorf("/healthz with the database closed = %d, want 200 (the process is up)", rec.Code)
	}
}

func TestReadinessFailsOnPendingMigrations(t *testing.T) {
	a := newSQLiteApp(t)
	if err := a.db.Exec("DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)").Error; err != nil {
		t.Fatal(err)
	}
	if rec := get(t, a, "/readyz"); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "schema") {
		t.Errorf("/readyz on an old schema = %d %q, want 503 naming the schema", rec.Code, rec.Body)
	}
}

// A replica migrating, or another replica's probe, holds the migration
// lock; readiness must not wait for it (the lock is retried every 5 s, and
// the probe gives up after 2 s, so every replica but one would be unready).
func TestReadinessDoesNotWaitForTheMigrationLock(t *testing.T) {
	a := newTestApp(t, testdb.PostgresURL(t))
	sqlDB, err := a.db.DB()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	holder, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Close() }()
	var locked bool
	if err := holder.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", lock.DefaultLockID).Scan(&locked); err != nil || !locked {
		t.Fatalf("take the migration lock: %v, %v", locked, err)
	}
	defer func() { _, _ = holder.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", lock.DefaultLockID) }()
	if rec := get(t, a, "/readyz"); rec.Code != http.StatusOK || rec.Body.String() != "ready\n" {
		t.Errorf("/readyz while another process holds the migration lock = %d %q, want 200 ready", rec.Code, rec.Body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	a := newSQLiteApp(t)
	rec := get(t, a, "/")
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "strict-origin-when-cross-origin",
		"X-Frame-Options":        "DENY",
	}
	for h, v := range want {
		if got := rec.Header().Get(h); got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}
	csp := rec.Header().Get("Content-Security-Policy")
	for _, part := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'self'"} {
		if !strings.Contains(csp, part) {
			t.Errorf("CSP %q lacks %q", csp, part)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if rec.Header().Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain HTTP")
	}
	if rec.Header().Get("X-Request-Id") == "" {
		t.Error("no request ID")
	}
}

func TestStaticAssetsAreHashedAndCachedForAYear(t *testing.T) {
	a := newSQLiteApp(t)
	doc := page(t, get(t, a, "/"))
	href, ok := doc.Find(`link[rel="stylesheet"]`).Attr("href")
	if !ok || !strings.HasPrefix(href, "/static/") || !strings.HasSuffix(href, "/app.css") {
		t.Fatalf("stylesheet href = %q", href)
	}
	rec := get(t, a, href)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") {
		t.Fatalf("GET %s = %d %s", href, rec.Code, rec.Header().Get("Content-Type"))
	}
	if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control = %q, want immutable", cc)
	}
	if rec := get(t, a, href, "If-None-Match", rec.Header().Get("ETag")); rec.Code != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", rec.Code)
	}
	if rec := get(t, a, "/static/0123456789ab/app.css"); rec.Code != http.StatusOK || strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("an old hash should still get the file, briefly cached: %d %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
	if rec := get(t, a, "/static/x/../../go.mod"); rec.Code != http.StatusNotFound {
		t.Errorf("path traversal = %d, want 404", rec.Code)
	}
}

func TestPagesAreCompressedForSlowConnections(t *testing.T) {
	a := newSQLiteApp(t)
	rec := get(t, a, "/", "Accept-Encoding", "gzip")
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("board not gzip-compressed: %v", rec.Header())
	}
}
