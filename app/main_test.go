package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"borderflow/models/testdb"
)

func TestMain(m *testing.M) {
	if os.Getenv(serveChildEnv) != "" {
		os.Exit(serveAsChild()) // a replica of a process test (process_test.go)
	}
	testdb.Main(m)
}

// env is a fake environment for LoadConfig and the CLI.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// newTestApp builds the real App on databaseURL, without demo data or jobs.
func newTestApp(t testing.TB, databaseURL string) *App {
	t.Helper()
	cfg, err := LoadConfig(env(map[string]string{
		"BORDERFLOW_DATABASE_URL": databaseURL,
		"BORDERFLOW_DEMO":         "off",
		"BORDERFLOW_JOBS":         "off",
	}))
	if err != nil {
		t.Fatal(err)
	}
	cfg.LogOutput, cfg.Stdout = io.Discard, io.Discard
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	a.uploads = t.TempDir() // tests in other processes must not see these files
	// These tests read a page right after a write and expect the change, as
	// a reader on a quiet server gets it; under -race a render outlasts the
	// patience. The patience is tested in pagecache_test.go and, on the
	// real binary, by the load proof and the replica tests.
	a.pages.patience = -1
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// get performs a request on the App's router and returns the response.
func get(t *testing.T, a *App, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	return getFrom(t, a, "192.0.2.1:1234", path, header...)
}

// getFrom is get from the client address remote.
func getFrom(t *testing.T, a *App, remote, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = remote
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	return rec
}

// page parses an HTML response and fails on any untranslated message.
func page(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	body := rec.Body.String()
	if IsMissing(body) {
		t.Errorf("page has an untranslated message: %s", excerpt(body, "⟦"))
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func excerpt(s, around string) string {
	i := strings.Index(s, around)
	if i < 0 {
		return ""
	}
	return s[max(0, i-60):min(len(s), i+80)]
}
