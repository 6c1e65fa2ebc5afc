package app

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"borderflow/jobs"
	"borderflow/models"
	"borderflow/models/testdb"
)

func TestVersionShowsTheStampedVersionGoAndSchema(t *testing.T) {
	schema := fmt.Sprintf("schema version %d\n", models.SchemaVersion())
	var stdout strings.Builder
	cli := CLI{Getenv: env(nil), Stdout: &stdout, Stderr: &stdout, Version: "1.4.0"}
	if code := cli.Main(context.Background(), []string{"version"}); code != 0 {
		t.Fatalf("exit %d: %s", code, stdout.String())
	}
	for _, want := range []string{"borderflow version 1.4.0\n", runtime.Version(), schema} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("version printed %q, lacking %q", stdout.String(), want)
		}
	}
	if _, out, _ := run(t, nil, nil, "version"); !strings.HasPrefix(out, "borderflow version dev\n") {
		t.Errorf("an unstamped build printed %q, want version dev", out)
	}

	// The version the Makefile and the Dockerfile stamp reaches the command.
	bin := filepath.Join(t.TempDir(), "borderflow")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=9.8.7-test", "-o", bin, "borderflow/cmd/borderflow")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "borderflow version 9.8.7-test\n") || !strings.Contains(string(out), schema) {
		t.Errorf("the stamped binary printed %q (%v)", out, err)
	}
}

func TestHealthcheck(t *testing.T) {
	a := newSQLiteApp(t)
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	if code, out, errOut := run(t, nil, nil, "healthcheck", "--url", srv.URL+"/readyz"); code != 0 || !strings.Contains(out, "200 OK") {
		t.Errorf("a ready server: exit %d, %q %q", code, out, errOut)
	}
	// Without --url: /readyz on the loopback address at BORDERFLOW_ADDR's port.
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	if code, _, errOut := run(t, map[string]string{"BORDERFLOW_ADDR": fmt.Sprintf(":%d", port)}, nil, "healthcheck"); code != 0 {
		t.Errorf("healthcheck at BORDERFLOW_ADDR :%d: exit %d, %q", port, code, errOut)
	}

	unready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, "database unreachable\n")
	}))
	defer unready.Close()
	code, _, errOut := run(t, nil, nil, "healthcheck", "--url", unready.URL+"/readyz")
	if code != 1 {
		t.Errorf("a server answering 503: exit %d", code)
	}
	oneSentence(t, errOut, "503", "database unreachable")

	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(release)
	start := time.Now()
	code, _, errOut = run(t, nil, nil, "healthcheck", "--url", hanging.URL+"/readyz")
	if took := time.Since(start); code != 1 || took < 3*time.Second || took > 5*time.Second {
		t.Errorf("a server that does not answer: exit %d after %s, want 1 after 3 s", code, took)
	}
	oneSentence(t, errOut, "did not answer within 3s")

	code, _, errOut = run(t, nil, nil, "healthcheck", "--url", "http://"+freeAddr(t)+"/readyz")
	if code != 1 {
		t.Errorf("nothing listening: exit %d", code)
	}
	oneSentence(t, errOut, "cannot be reached", "connection refused")
}

func TestReadyzURLFollowsTheListenAddress(t *testing.T) {
	for addr, want := range map[string]string{
		"":               "http://127.0.0.1:8080/readyz",
		":9000":          "http://127.0.0.1:9000/readyz",
		"0.0.0.0:8081":   "http://127.0.0.1:8081/readyz",
		"[::]:8082":      "http://127.0.0.1:8082/readyz",
		"10.0.0.5:8083":  "http://10.0.0.5:8083/readyz",
		"localhost:8084": "http://localhost:8084/readyz",
	} {
		if got := readyzURL(addr); got != want {
			t.Errorf("readyzURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

// The backup is taken while the App serves and officers' status changes
// keep arriving through the API: it holds every change acknowledged before
// it began, none made after it ended, and passes SQLite's integrity check.
func TestBackupWhileServingAndWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "data", "borderflow.db")
	vars := map[string]string{"BORDERFLOW_DATA_DIR": filepath.Join(dir, "data")}
	a := newTestApp(t, "sqlite:"+dbPath)
	now := time.Now()
	if _, err := models.LoadDemo(ctx, a.db, models.DemoOptions{Days: 60, End: models.DateOf(now, karachi(t)).AddDays(-1), Now: now, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	_, token := apiToken(t, a, "gul.khan", models.RoleOfficer, "torkham")

	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		base := now.Add(-time.Hour)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			state := []string{`"closed", "reason": "security"`, `"open"`}[i%2]
			body := fmt.Sprintf(`{"state": %s, "effective_at": %q}`, state, base.Add(time.Duration(i)*time.Second).Format(time.RFC3339))
			if rec := postJSON(t, a, "/api/v1/crossings/torkham/status", token, body); rec.Code != http.StatusCreated {
				t.Errorf("status change %d: %d %s", i, rec.Code, rec.Body)
				return
			}
			acked.Add(1)
			time.Sleep(110 * time.Millisecond) // under the API's 10 requests a second
		}
	}()
	waitFor(t, func() bool { return acked.Load() >= 5 })

	backup := filepath.Join(dir, "backups", "borderflow-backup.db")
	if err := os.MkdirAll(filepath.Dir(backup), 0o750); err != nil {
		t.Fatal(err)
	}
	before := acked.Load()
	code, out, errOut := run(t, vars, nil, "backup", backup)
	after := acked.Load()
	waitFor(t, func() bool { return acked.Load() >= after+5 })
	close(stop)
	wg.Wait()
	if code != 0 || !strings.Contains(out, "integrity checked") {
		t.Fatalf("backup: exit %d, %q %q", code, out, errOut)
	}
	if info, err := os.Stat(backup); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the backup file: %v, mode %v; want it readable by its owner only", err, info.Mode().Perm())
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(backup), ".borderflow-backup-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left beside the backup: %v", leftovers)
	}

	copyDB, err := sql.Open("sqlite", "file:"+backup+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	var integrity string
	if err := copyDB.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check of the backup: %q %v", integrity, err)
	}
	var apiChanges, figures, liveFigures int64
	if err := copyDB.QueryRow("SELECT count(*) FROM status_changes WHERE source = 'api'").Scan(&apiChanges); err != nil {
		t.Fatal(err)
	}
	if apiChanges < before || apiChanges > after {
		t.Errorf("the backup holds %d status changes from the API; %d were acknowledged before it began, %d when it ended", apiChanges, before, after)
	}
	copyDB.QueryRow("SELECT count(*) FROM daily_figures").Scan(&figures)
	a.db.Raw("SELECT count(*) FROM daily_figures").Scan(&liveFigures)
	if figures == 0 || figures != liveFigures {
		t.Errorf("the backup holds %d daily figures, the database %d", figures, liveFigures)
	}

	// An existing file is kept unless --force.
	stamp := []byte("keep me")
	other := filepath.Join(dir, "backups", "existing.db")
	if err := os.WriteFile(other, stamp, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, vars, nil, "backup", other)
	if got, _ := os.ReadFile(other); code != 1 || string(got) != string(stamp) {
		t.Errorf("backup over an existing file: exit %d, file now %d bytes", code, len(got))
	}
	oneSentence(t, errOut, other, "--force")
	if code, _, errOut = run(t, vars, nil, "backup", "--force", other); code != 0 {
		t.Errorf("backup --force: exit %d, %s", code, errOut)
	}
	if got, _ := os.ReadFile(other); !strings.HasPrefix(string(got), "SQLite format 3") {
		t.Errorf("backup --force did not replace the file with a database")
	}
}

func TestBackupRefusals(t *testing.T) {
	code, _, errOut := run(t, map[string]string{"BORDERFLOW_DATABASE_URL": "postgres://bf:secret@db.invalid:5432/borderflow"}, nil, "backup", filepath.Join(t.TempDir(), "b.db"))
	if code != 1 || strings.Contains(errOut, "secret") {
		t.Errorf("backup on PostgreSQL: exit %d, %q", code, errOut)
	}
	oneSentence(t, errOut, "pg_dump")

	empty := t.TempDir()
	code, _, errOut = run(t, map[string]string{"BORDERFLOW_DATA_DIR": empty}, nil, "backup", filepath.Join(empty, "b.db"))
	if code != 1 {
		t.Errorf("backup without a database: exit %d", code)
	}
	oneSentence(t, errOut, "no embedded database")
	if _, err := os.Stat(filepath.Join(empty, "borderflow.db")); err == nil {
		t.Error("backup created an empty database")
	}
	if code, _, _ := run(t, nil, nil, "backup"); code != 2 {
		t.Errorf("backup without FILE: exit %d, want 2", code)
	}
}

// Everything a running site writes, moved to PostgreSQL: every table has
// rows here, so that the comparison of counts and checksums covers each.
func TestMigrateDataMovesEverythingToPostgres(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	dbPath := filepath.Join(dataDir, "borderflow.db")
	vars := map[string]string{"BORDERFLOW_DATA_DIR": dataDir}
	mustRun := func(stdin string, args ...string) string {
		t.Helper()
		code, out, errOut := run(t, vars, strings.NewReader(stdin), args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, %s", args, code, errOut)
		}
		return out
	}
	mustRun("", "demo", "--days", "40")
	mustRun(testPassword+"\n", "user", "add", "--username", "nasreen", "--role", "officer", "--crossing", "torkham")
	token := strings.TrimSpace(mustRun("", "token", "create", "--user", "nasreen", "--name", "terminal counter"))
	for _, job := range jobs.Registry(jobs.Options{}) {
		mustRun("", "jobs", "run", job.Name)
	}
	a := newTestApp(t, "sqlite:"+dbPath)
	signIn(t, a, "nasreen", testPassword)
	day := models.DateOf(time.Now(), karachi(t)).AddDays(-1)
	if rec := postJSON(t, a, "/api/v1/crossings/torkham/figures", token,
		fmt.Sprintf(`{"date": %q, "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": 31}]}`, day), "Idempotency-Key", "coal-1"); rec.Code != http.StatusOK {
		t.Fatalf("figures through the API: %d %s", rec.Code, rec.Body)
	}
	wantBoard := get(t, a, "/api/v1/crossings").Body.String()
	want, err := models.TableCounts(ctx, a.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range want {
		if c.Rows == 0 {
			t.Errorf("the table %s is empty here; give it rows in this test, so that its copy is checked", c.Table)
		}
	}
	a.Close()

	pgURL := testdb.PostgresURL(t)
	out := mustRun("", "migrate-data", "--to", pgURL)
	if !strings.Contains(out, "every table's row count and checksum match") || !strings.Contains(out, fmt.Sprintf("in %d tables", len(want))) {
		t.Errorf("migrate-data printed %q", out)
	}
	pg := newTestApp(t, pgURL)
	got, err := models.TableCounts(ctx, pg.db)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d tables in PostgreSQL, %d in the embedded database", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: %d rows (%s…) in PostgreSQL, %d rows (%s…) in the embedded database",
				want[i].Table, got[i].Rows, got[i].Sum[:8], want[i].Rows, want[i].Sum[:8])
		}
	}
	// The site works from the copy: the same board, the same accounts and tokens.
	if board := get(t, pg, "/api/v1/crossings").Body.String(); board != wantBoard {
		t.Errorf("the crossings API differs on PostgreSQL:\n%s\nwant\n%s", board, wantBoard)
	}
	doc := page(t, get(t, pg, "/"))
	if doc.Find("#crossing-torkham").Length() != 1 || doc.Find("#crossing-chaman").Length() != 1 {
		t.Error("the board served from PostgreSQL lacks Torkham or Chaman")
	}
	signIn(t, pg, "nasreen", testPassword)
	if rec := postJSON(t, pg, "/api/v1/crossings/torkham/figures", token,
		fmt.Sprintf(`{"date": %q, "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": 31}]}`, day), "Idempotency-Key", "coal-1"); rec.Code != http.StatusOK || rec.Header().Get(headerReplayed) != "true" {
		t.Errorf("the API token and its idempotency key on PostgreSQL: %d, replayed %q", rec.Code, rec.Header().Get(headerReplayed))
	}
	if _, err := models.CreateUser(ctx, pg.db, models.NewUser{Username: "karim", Password: testPassword, Role: models.RoleAdmin}, models.Actor{Name: "test"}); err != nil {
		t.Errorf("a new account on PostgreSQL after the move: %v", err)
	}

	// A second move into the same database is refused and changes nothing.
	code, _, errOut := run(t, vars, nil, "migrate-data", "--to", pgURL)
	if code != 1 {
		t.Errorf("a second migrate-data: exit %d", code)
	}
	oneSentence(t, errOut, "already holds records")
}

func TestMigrateDataRefusals(t *testing.T) {
	dataDir := t.TempDir()
	vars := map[string]string{"BORDERFLOW_DATA_DIR": dataDir}
	for name, args := range map[string][]string{
		"no --to":       {"migrate-data"},
		"not postgres":  {"migrate-data", "--to", "sqlite:/tmp/x.db"},
		"extra word":    {"migrate-data", "--to", "postgres://u:p@h:5432/d", "now"},
		"not even URLs": {"migrate-data", "--to", "db.example.org"},
	} {
		if code, _, errOut := run(t, vars, nil, args...); code != 2 {
			t.Errorf("%s: exit %d, %q; want 2", name, code, errOut)
		}
	}
	code, _, errOut := run(t, map[string]string{"BORDERFLOW_DATABASE_URL": "postgres://bf:secret@db.invalid:5432/borderflow"}, nil,
		"migrate-data", "--to", "postgres://bf:secret@db2.invalid:5432/borderflow")
	if code != 1 {
		t.Errorf("from PostgreSQL: exit %d", code)
	}
	oneSentence(t, errOut, "BORDERFLOW_DATABASE_URL names PostgreSQL")

	code, _, errOut = run(t, vars, nil, "migrate-data", "--to", "postgres://bf:secret@db.invalid:5432/borderflow")
	if code != 1 {
		t.Errorf("without an embedded database: exit %d", code)
	}
	oneSentence(t, errOut, "no embedded database")

	// A server holds the database: nothing may be written during the move.
	a := newTestApp(t, "sqlite:"+filepath.Join(dataDir, "borderflow.db"))
	code, _, errOut = run(t, vars, nil, "migrate-data", "--to", testdb.PostgresURL(t))
	if code != 1 {
		t.Errorf("while served: exit %d", code)
	}
	oneSentence(t, errOut, "already served", "stop it first")
	a.Close()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHelpForOperationsCommands(t *testing.T) {
	for _, args := range [][]string{{"backup", "--help"}, {"migrate-data", "--help"}, {"healthcheck", "--help"}, {"version", "--help"}} {
		code, stdout, stderr := run(t, nil, nil, args...)
		if code != 0 || !strings.HasPrefix(stdout, "Usage: borderflow "+args[0]) || stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	_, usage, _ := run(t, nil, nil, "--help")
	for _, command := range []string{"borderflow backup FILE", "borderflow migrate-data --to", "borderflow healthcheck", "borderflow version"} {
		if !strings.Contains(usage, command) {
			t.Errorf("borderflow --help does not list %q", command)
		}
	}
}

// The PostgreSQL backup docs/OPERATIONS.md gives: a pg_dump of a database in
// use, restored with pg_restore into a new database, serves the same data.
func TestPgDumpAndRestoreAsDocumented(t *testing.T) {
	ctx := context.Background()
	srcURL := testdb.PostgresURL(t)
	if code, _, errOut := run(t, map[string]string{"BORDERFLOW_DATABASE_URL": srcURL}, nil, "demo", "--days", "20"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	src := newTestApp(t, srcURL)
	createAccount(t, src, "nasreen", models.RoleOfficer, "torkham")
	want, err := models.TableCounts(ctx, src.db)
	if err != nil {
		t.Fatal(err)
	}
	dump := filepath.Join(t.TempDir(), "borderflow.dump")
	if out, err := exec.Command(postgresTool(t, "pg_dump"), "--format=custom", "--file="+dump, srcURL).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	// A new, empty database beside the original, as after dropdb and createdb.
	name := fmt.Sprintf("bf_restore_%d", os.Getpid())
	if err := src.db.Exec("CREATE DATABASE " + name + " TEMPLATE template0").Error; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	u, err := url.Parse(srcURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	restoreURL := u.String()
	if out, err := exec.Command(postgresTool(t, "pg_restore"), "--no-owner", "--single-transaction", "--exit-on-error", "-d", restoreURL, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	restored := newTestApp(t, restoreURL)
	got, err := models.TableCounts(ctx, restored.db)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("restored tables %v\nwant %v", got, want)
	}
	if rec := get(t, restored, "/readyz"); rec.Code != http.StatusOK {
		t.Errorf("/readyz on the restored database: %d %s", rec.Code, rec.Body)
	}
	signIn(t, restored, "nasreen", testPassword)
	// The restored audit log is still append-only.
	if err := restored.db.Exec("DELETE FROM audit_log").Error; err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("deleting the restored audit log: %v, want a refusal", err)
	}
}

// postgresTool finds a PostgreSQL client program beside the server the
// tests run.
func postgresTool(t *testing.T, name string) string {
	t.Helper()
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) == 0 {
		t.Fatalf("%s is not installed beside PostgreSQL", name)
	}
	return matches[len(matches)-1]
}
