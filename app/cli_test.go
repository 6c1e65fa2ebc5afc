package app

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// run runs the command line as a user would, returning the exit status,
// stdout and stderr.
func run(t *testing.T, vars map[string]string, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cli := CLI{Getenv: env(vars), Stdin: stdin, Stdout: &stdout, Stderr: &stderr}
	code := cli.Main(context.Background(), args)
	return code, stdout.String(), stderr.String()
}

// oneSentence checks the contract for errors: one line on stderr, naming what is wrong.
func oneSentence(t *testing.T, stderr string, mentions ...string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "borderflow: ") {
		t.Errorf("stderr should be one line starting with borderflow:, got %q", stderr)
	}
	for _, m := range mentions {
		if !strings.Contains(stderr, m) {
			t.Errorf("stderr %q does not mention %q", stderr, m)
		}
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"serve", "--help"}, {"migrate", "--help"}, {"demo", "--help"}, {"user", "add", "--help"}, {"token", "create", "--help"}, {"import", "--help"}, {"import", "figures", "--help"}, {"jobs", "--help"}, {"jobs", "list", "--help"}, {"jobs", "run", "--help"}} {
		code, stdout, stderr := run(t, nil, nil, args...)
		if code != 0 || !strings.Contains(stdout, "Usage: borderflow") && !strings.Contains(stdout, "Usage:\n  borderflow") || stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	_, stdout, _ := run(t, nil, nil, "serve", "--help")
	for _, v := range []string{"BORDERFLOW_DATABASE_URL", "-addr", "BORDERFLOW_TRUSTED_PROXIES", "-jobs", "-job-schedules", "BORDERFLOW_JOB_SCHEDULES"} {
		if !strings.Contains(stdout, v) {
			t.Errorf("serve --help does not mention %s", v)
		}
	}
}

func TestUsageErrorsExitWithTwo(t *testing.T) {
	cases := map[string][]string{
		"unknown command":      {"frobnicate"},
		"unknown flag":         {"demo", "--colour"},
		"migrate argument":     {"migrate", "sideways"},
		"user without add":     {"user"},
		"missing username":     {"user", "add", "--role", "admin"},
		"bad role":             {"user", "add", "--username", "ali", "--role", "chief"},
		"officer, no post":     {"user", "add", "--username", "ali", "--role", "officer"},
		"days out of range":    {"demo", "--days", "0"},
		"token without create": {"token"},
		"token without user":   {"token", "create", "--name", "scanner"},
		"token, extra word":    {"token", "create", "--user", "ali", "now"},
		"import, nothing":      {"import"},
		"import, no file":      {"import", "figures"},
		"import, unknown kind": {"import", "payroll", "x.csv"},
		"import, two files":    {"import", "status", "a.csv", "b.csv"},
		"import, unknown flag": {"import", "figures", "x.csv", "--force"},
		"jobs, nothing":        {"jobs"},
		"jobs, unknown verb":   {"jobs", "start"},
		"jobs list, extra":     {"jobs", "list", "cleanup"},
		"jobs run, no name":    {"jobs", "run"},
		"jobs run, two names":  {"jobs", "run", "cleanup", "stale-data"},
		"jobs run, no --to":    {"jobs", "run", "cleanup", "--from", "2026-01-01"},
	}
	for name, args := range cases {
		code, _, stderr := run(t, nil, nil, args...)
		if code != 2 {
			t.Errorf("%s %v: exit %d, want 2 (stderr %q)", name, args, code, stderr)
		}
		oneSentence(t, stderr, "--help")
	}
}

func TestInvalidConfigurationIsRefusedNamingTheVariable(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ variable, value string }{
		{"BORDERFLOW_DATABASE_URL", "mysql://root@localhost/db"},
		{"BORDERFLOW_DATABASE_URL", "postgres://host-only"},
		{"BORDERFLOW_TIMEZONE", "Mars/Olympus_Mons"},
		{"BORDERFLOW_ADDR", "eighty"},
		{"BORDERFLOW_JOBS", "sometimes"},
		{"BORDERFLOW_DEMO", "maybe"},
		{"BORDERFLOW_TRUSTED_PROXIES", "10.0.0.0/33"},
		{"BORDERFLOW_LOG_FORMAT", "xml"},
		{"BORDERFLOW_URDU_DIGITS", "roman"},
		{"BORDERFLOW_BASE_URL", "borderflow.example.org"},
		{"BORDERFLOW_JOB_SCHEDULES", "stale-data=@every banana"},
		{"BORDERFLOW_JOB_SCHEDULES", "nightly=@hourly"},
	}
	for _, c := range cases {
		vars := map[string]string{"BORDERFLOW_DATA_DIR": filepath.Join(dir, "data"), c.variable: c.value}
		code, _, stderr := run(t, vars, nil, "serve")
		if code != 1 {
			t.Errorf("%s=%s: exit %d, want 1", c.variable, c.value, code)
		}
		oneSentence(t, stderr, c.variable)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Errorf("a refused configuration created the data directory")
	}
	// A flag overrides its variable, and is checked the same way.
	code, _, stderr := run(t, map[string]string{"BORDERFLOW_DATA_DIR": dir}, nil, "serve", "--timezone", "Nowhere/Town")
	if code != 1 {
		t.Errorf("bad --timezone: exit %d", code)
	}
	oneSentence(t, stderr, "BORDERFLOW_TIMEZONE")
	if _, err := LoadConfig(env(map[string]string{"BORDERFLOW_DATABASE_URL": "postgres://u@db/borderflow", "BORDERFLOW_DEMO": "on"})); err == nil {
		t.Error("BORDERFLOW_DEMO=on with PostgreSQL was accepted; PostgreSQL never gets demo data at start")
	}
}

func TestUnreachablePostgreSQLIsOneSentenceWithoutThePassword(t *testing.T) {
	code, _, stderr := run(t, map[string]string{"BORDERFLOW_DATABASE_URL": "postgres://bf:s3cret-pw@127.0.0.1:1/borderflow"}, nil, "migrate")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	oneSentence(t, stderr, "annot reach the PostgreSQL at 127.0.0.1:1", "connection refused")
	if strings.Contains(stderr, "s3cret-pw") {
		t.Errorf("the error leaks the password: %q", stderr)
	}
}

func TestUnwritableDataDirectoryIsRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, map[string]string{"BORDERFLOW_DATA_DIR": filepath.Join(file, "data")}, nil, "migrate")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	oneSentence(t, stderr, "data directory", "BORDERFLOW_DATA_DIR")
}

func TestPortInUseIsRefusedBeforeTouchingData(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dataDir := filepath.Join(t.TempDir(), "data")
	code, _, stderr := run(t, map[string]string{"BORDERFLOW_DATA_DIR": dataDir, "BORDERFLOW_ADDR": ln.Addr().String()}, nil)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	oneSentence(t, stderr, "in use", "BORDERFLOW_ADDR")
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Error("serve created the data directory although it could not listen")
	}
}

func TestMigrateStatusAndNewerSchemaRefused(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, url string) {
		vars := map[string]string{"BORDERFLOW_DATABASE_URL": url}
		code, stdout, _ := run(t, vars, nil, "migrate", "status")
		if code != 0 || !strings.Contains(stdout, "Pending") {
			t.Errorf("status of an empty database: exit %d, %q", code, stdout)
		}
		if code, stdout, stderr := run(t, vars, nil, "migrate"); code != 0 || !strings.Contains(stdout, "latest") {
			t.Fatalf("migrate: exit %d, %q %q", code, stdout, stderr)
		}
		code, stdout, _ = run(t, vars, nil, "migrate", "status")
		if code != 0 || !strings.Contains(stdout, "Up to date") || strings.Contains(stdout, " no ") {
			t.Errorf("status after migrate: exit %d, %q", code, stdout)
		}

		// A newer borderflow migrated this database: refuse, and change nothing.
		target, _ := models.ResolveDatabase(url, "")
		db, err := models.Open(context.Background(), target, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer models.Close(db)
		if err := db.Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, true)").Error; err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"migrate"}, {"demo"}, {"serve", "--addr", "127.0.0.1:0"}} {
			code, _, stderr := run(t, vars, nil, args...)
			if code != 1 {
				t.Errorf("%v on a newer schema: exit %d, want 1", args, code)
			}
			oneSentence(t, stderr, "newer")
		}
		var figures int64
		db.Model(&models.DailyFigure{}).Count(&figures)
		if figures != 0 {
			t.Errorf("demo wrote %d figures into a database with a newer schema", figures)
		}
	})
}

func TestUserAdd(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, url string) {
		vars := map[string]string{"BORDERFLOW_DATABASE_URL": url}
		code, stdout, stderr := run(t, vars, strings.NewReader("correct horse battery staple\n"),
			"user", "add", "--username", "gul.khan", "--role", "officer", "--crossing", "torkham", "--crossing", "chaman")
		if code != 0 || !strings.Contains(stdout, "Created officer gul.khan") || strings.Contains(stdout, "Password") {
			t.Fatalf("user add: exit %d, %q %q", code, stdout, stderr)
		}
		target, _ := models.ResolveDatabase(url, "")
		db, err := models.Open(context.Background(), target, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer models.Close(db)
		var user models.User
		if err := db.Preload("Crossings").Where("username = ?", "gul.khan").Take(&user).Error; err != nil {
			t.Fatal(err)
		}
		if ok, _ := models.CheckPassword(user.PasswordHash, "correct horse battery staple"); !ok {
			t.Error("the piped password does not unlock the account")
		}
		if len(user.Crossings) != 2 {
			t.Errorf("assigned crossings = %d, want 2", len(user.Crossings))
		}
		var audits int64
		db.Model(&models.AuditEntry{}).Where("entity = ? AND action = ?", "user", "create").Count(&audits)
		if audits != 1 {
			t.Errorf("audit records of the creation = %d, want 1", audits)
		}

		// Without piped input a password is generated and shown once.
		code, stdout, _ = run(t, vars, nil, "user", "add", "--username", "admin1", "--role", "admin")
		if code != 0 || !strings.Contains(stdout, "Password (shown only now): ") {
			t.Errorf("generated password: exit %d, %q", code, stdout)
		}

		failures := []struct {
			name, stdin string
			args        []string
			mention     string
		}{
			{"short password", "short\n", []string{"--username", "s1", "--role", "admin"}, "at least 12"},
			{"duplicate", "another long password\n", []string{"--username", "gul.khan", "--role", "admin"}, "already exists"},
			{"unknown crossing", "another long password\n", []string{"--username", "x1", "--role", "officer", "--crossing", "wagah"}, "wagah"},
			{"bad user name", "another long password\n", []string{"--username", "Gul Khan", "--role", "admin"}, `name "Gul Khan"`},
			{"empty stdin", "", []string{"--username", "e1", "--role", "admin"}, "no password"},
		}
		for _, f := range failures {
			code, _, stderr := run(t, vars, strings.NewReader(f.stdin), append([]string{"user", "add"}, f.args...)...)
			if code != 1 {
				t.Errorf("%s: exit %d, want 1", f.name, code)
			}
			oneSentence(t, stderr, f.mention)
		}
		var users int64
		db.Model(&models.User{}).Count(&users)
		if users != 2 {
			t.Errorf("users = %d after the refused attempts, want 2", users)
		}
	})
}

func TestTokenCreatePrintsOnlyTheToken(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, url string) {
		vars := map[string]string{"BORDERFLOW_DATABASE_URL": url}
		if code, _, stderr := run(t, vars, strings.NewReader("correct horse battery staple\n"),
			"user", "add", "--username", "counter", "--role", "officer", "--crossing", "torkham"); code != 0 {
			t.Fatalf("user add: %d %s", code, stderr)
		}
		code, stdout, stderr := run(t, vars, nil, "token", "create", "--user", "counter", "--name", "Torkham terminal")
		if code != 0 || stderr != "" {
			t.Fatalf("token create: exit %d, stderr %q", code, stderr)
		}
		token := strings.TrimSuffix(stdout, "\n")
		if !tokenFormat.MatchString(token) || strings.Count(stdout, "\n") != 1 {
			t.Fatalf("stdout %q is not the token alone on one line", stdout)
		}
		target, _ := models.ResolveDatabase(url, "")
		db, err := models.Open(context.Background(), target, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer models.Close(db)
		record, user, err := models.AuthenticateAPIToken(context.Background(), db, token, time.Now())
		if err != nil || user.Username != "counter" || record.Name != "Torkham terminal" {
			t.Errorf("the printed token authenticates as %q (%q): %v", user.Username, record.Name, err)
		}
		var audits []models.AuditEntry
		db.Where("entity = ? AND action = ?", "api_token", "create").Find(&audits)
		if len(audits) != 1 || audits[0].Actor != "cli" || strings.Contains(audits[0].After, token) {
			t.Errorf("audit of the creation = %+v", audits)
		}
		// A second run makes a second, different token: each is shown once.
		_, again, _ := run(t, vars, nil, "token", "create", "--user", "counter")
		if again == stdout || !tokenFormat.MatchString(strings.TrimSpace(again)) {
			t.Errorf("second token %q", again)
		}

		code, stdout, stderr = run(t, vars, nil, "token", "create", "--user", "nobody")
		if code != 1 || stdout != "" {
			t.Errorf("unknown user: exit %d, stdout %q", code, stdout)
		}
		oneSentence(t, stderr, `no user "nobody"`, "user add")
	})
}

func TestDemoRefusesToOverwriteWithoutForce(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, url string) {
		vars := map[string]string{"BORDERFLOW_DATABASE_URL": url}
		code, stdout, stderr := run(t, vars, nil, "demo", "--days", "30")
		if code != 0 || !strings.Contains(stdout, "Loaded") {
			t.Fatalf("demo: exit %d, %q %q", code, stdout, stderr)
		}
		code, _, stderr = run(t, vars, nil, "demo", "--days", "30")
		if code != 1 {
			t.Errorf("second demo without --force: exit %d, want 1", code)
		}
		oneSentence(t, stderr, "--force")
		if code, _, stderr := run(t, vars, nil, "demo", "--days", "30", "--force"); code != 0 {
			t.Errorf("demo --force: exit %d, %q", code, stderr)
		}
	})
}

// TestServeFirstStartShowsDemoBoardAndStopsOnSignal runs serve as a user
// does on a fresh embedded database: demo data and an administrator appear,
// the board answers, and cancelling (SIGINT/SIGTERM) stops it cleanly.
func TestServeFirstStartShowsDemoBoardAndStopsOnSignal(t *testing.T) {
	addr := freeAddr(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	var stdout, stderr syncBuffer
	cli := CLI{Getenv: env(map[string]string{"BORDERFLOW_DATA_DIR": dataDir, "BORDERFLOW_ADDR": addr}), Stdout: &stdout, Stderr: &stderr}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- cli.Main(ctx, nil) }()

	body := waitForPage(t, "http://"+addr+"/", done)
	for _, want := range []string{"Torkham", "Chaman", "loaded trucks", "Last updated"} {
		if !strings.Contains(body, want) {
			t.Errorf("the board lacks %q", want)
		}
	}
	if !strings.Contains(stdout.String(), "Sign in as "+DemoAdmin+" with the password ") {
		t.Errorf("the demo administrator's password was not printed: %q", stdout.String())
	}
	if strings.Contains(stderr.String(), "password") {
		t.Errorf("the log mentions the password: %q", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dataDir, "borderflow.db")); err != nil {
		t.Errorf("embedded database file: %v", err)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after the signal: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of the signal")
	}
	// A second start finds the data and creates no second administrator.
	ctx2, cancel2 := context.WithCancel(context.Background())
	stdout.Reset()
	go func() { done <- cli.Main(ctx2, nil) }()
	waitForPage(t, "http://"+addr+"/readyz", done)
	cancel2()
	<-done
	if strings.Contains(stdout.String(), "Sign in as") {
		t.Error("a second start printed a new demo password")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// waitForPage polls url until it answers 200, failing if serve exits first.
func waitForPage(t *testing.T, url string, exited <-chan int) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-exited:
			t.Fatalf("serve exited with %d before answering", code)
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(b)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer within 30 s", url)
	return ""
}

// syncBuffer is a bytes.Buffer safe to write from the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

func TestImportCommand(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, url string) {
		vars := map[string]string{"BORDERFLOW_DATABASE_URL": url}
		dir := t.TempDir()
		file := func(name, content string) string {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}
		figures := file("figures.csv", "date,crossing,direction,category,trucks,tonnes\r\n"+
			"2026-11-20,torkham,to_afghanistan,cement,90,3600\r\n2026-11-20,chaman,to_pakistan,coal,12,\r\n")
		countFigures := func() int64 {
			target, _ := models.ResolveDatabase(url, "")
			db, err := models.Open(context.Background(), target, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer models.Close(db)
			var n int64
			db.Model(&models.DailyFigure{}).Count(&n)
			return n
		}

		// A dry run, with the flag after the file: checked, nothing written.
		code, stdout, stderr := run(t, vars, nil, "import", "figures", figures, "--dry-run")
		if code != 0 || stderr != "" || !strings.Contains(stdout, "figures.csv: rows read 2; new 2, changed 0, unchanged 0.") ||
			!strings.Contains(stdout, "dry run: nothing was written") {
			t.Fatalf("dry run: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		if n := countFigures(); n != 0 {
			t.Fatalf("a dry run wrote %d figures", n)
		}
		code, stdout, stderr = run(t, vars, nil, "import", "figures", figures)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "new 2") || !strings.Contains(stdout, "Imported") {
			t.Fatalf("import: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		code, stdout, _ = run(t, vars, nil, "import", "--dry-run=false", "figures", figures)
		if code != 0 || !strings.Contains(stdout, "new 0, changed 0, unchanged 2") {
			t.Errorf("re-import: exit %d, stdout %q", code, stdout)
		}
		if n := countFigures(); n != 2 {
			t.Errorf("%d figures after two imports, want 2", n)
		}

		// Bad rows: every one on stdout by line and column, one sentence on
		// stderr, exit 1, nothing written.
		bad := file("bad.csv", "date,crossing,direction,category,trucks\n2026-11-21,torkham,to_pakistan,coal,5\n"+
			"2026-11-21,nowhere,to_pakistan,coal,5\n2026-11-21,torkham,to_pakistan,coal,five\n")
		code, stdout, stderr = run(t, vars, nil, "import", "figures", bad)
		if code != 1 {
			t.Errorf("bad rows: exit %d", code)
		}
		for _, want := range []string{"Problems:", "Line 3, column 2 (crossing): crossing: “nowhere” is not a crossing",
			"Line 4, column 5 (trucks): trucks must be a whole number"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout %q does not say %q", stdout, want)
			}
		}
		oneSentence(t, stderr, "bad.csv has 2 problems", "nothing was imported")
		if n := countFigures(); n != 2 {
			t.Errorf("%d figures after a refused import, want 2", n)
		}

		status := file("status.csv", "crossing,state,effective_at,reason,scope,note\n"+
			"torkham,restricted,2026-11-20T08:30:00+05:00,security,pedestrians_only,\"Trucks stopped, pedestrians pass\"\n")
		if code, stdout, stderr := run(t, vars, nil, "import", "status", status); code != 0 || !strings.Contains(stdout, "new 1") {
			t.Errorf("status import: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		code, _, stderr = run(t, vars, nil, "import", "figures", filepath.Join(dir, "missing.csv"))
		if code != 1 {
			t.Errorf("missing file: exit %d", code)
		}
		oneSentence(t, stderr, "Cannot open", "missing.csv", "check the path")
		code, _, stderr = run(t, vars, nil, "import", "figures", dir)
		if code != 1 {
			t.Errorf("a directory: exit %d", code)
		}
		oneSentence(t, stderr, "is not a file")
	})
}

func TestImportProgressBarOnlyOnATerminal(t *testing.T) {
	var out bytes.Buffer
	bar := &progressBar{r: strings.NewReader(strings.Repeat("x", 1000)), out: &out, name: "f.csv", total: 1000, working: "working"}
	if _, err := io.ReadAll(bar); err != nil {
		t.Fatal(err)
	}
	bar.finish()
	if s := out.String(); !strings.Contains(s, "f.csv [") || !strings.Contains(s, "100%") || !strings.Contains(s, "working") || !strings.HasSuffix(s, "\r\033[K") {
		t.Errorf("progress output %q", s)
	}
	// Not a terminal (a buffer, as here, or a pipe): no bar at all.
	dir := t.TempDir()
	path := filepath.Join(dir, "f.csv")
	_ = os.WriteFile(path, []byte("date,crossing,direction,category,trucks\n"), 0o600)
	code, _, stderr := run(t, map[string]string{"BORDERFLOW_DATABASE_URL": "sqlite:" + filepath.Join(dir, "bf.db")}, nil, "import", "figures", path)
	if code != 0 || stderr != "" {
		t.Errorf("exit %d, stderr %q (want nothing on stderr when it is not a terminal)", code, stderr)
	}
}

func TestJobsRunRefusesUnknownJobsAndBadDates(t *testing.T) {
	cases := []struct {
		args     []string
		mentions []string
	}{
		{[]string{"jobs", "run", "nightly"}, []string{`unknown job "nightly"`, "cleanup, stale-data"}},
		{[]string{"jobs", "run"}, []string{"cleanup, stale-data"}},
		{[]string{"jobs", "run", "cleanup", "--from", "2026-13-01", "--to", "2026-12-31"}, []string{"--from", `"2026-13-01"`, "YYYY-MM-DD"}},
		{[]string{"jobs", "run", "cleanup", "--from", "2026-01-01", "--to", "yesterday"}, []string{"--to", `"yesterday"`}},
		{[]string{"jobs", "run", "cleanup", "--from", "2026-02-01", "--to", "2026-01-01"}, []string{"--to 2026-01-01 is before --from 2026-02-01"}},
		{[]string{"jobs", "run", "stale-data", "--from", "2026-01-01", "--to", "2026-01-31"}, []string{"stale-data job takes no --from/--to"}},
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	for _, c := range cases {
		code, stdout, stderr := run(t, map[string]string{"BORDERFLOW_DATA_DIR": dataDir}, nil, c.args...)
		if code != 2 || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q; want 2 and nothing", c.args, code, stdout)
		}
		oneSentence(t, stderr, c.mentions...)
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Error("a refused jobs run touched the database")
	}
	_, _, stderr := run(t, map[string]string{"BORDERFLOW_JOB_SCHEDULES": "stale-data=@every banana"}, nil, "serve")
	oneSentence(t, stderr, "BORDERFLOW_JOB_SCHEDULES", "stale-data", `"@every banana"`)
}

func TestJobsListAndRun(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, url string) {
		vars := map[string]string{"BORDERFLOW_DATABASE_URL": url, "BORDERFLOW_JOB_SCHEDULES": "stale-data=@every 10m"}
		code, stdout, stderr := run(t, vars, nil, "jobs", "list")
		if code != 0 || stderr != "" {
			t.Fatalf("jobs list: exit %d, %q", code, stderr)
		}
		for _, want := range []string{"cleanup", "30 3 * * *", "expired login sessions", "stale-data", "@every 10m", "never", "Asia/Karachi"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("jobs list does not show %q:\n%s", want, stdout)
			}
		}
		next := time.Now().In(karachi(t)).Truncate(10 * time.Minute).Add(10 * time.Minute).Format("2006-01-02 15:04")
		if !strings.Contains(stdout, next) {
			t.Errorf("jobs list does not give stale-data's next run at %s:\n%s", next, stdout)
		}

		code, stdout, stderr = run(t, vars, nil, "jobs", "run", "stale-data")
		if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "Ran stale-data: succeeded, 2 rows written") || !strings.Contains(stdout, "(run manual:") {
			t.Fatalf("jobs run: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		_, stdout, _ = run(t, vars, nil, "jobs", "list")
		line := lineWith(stdout, "stale-data")
		if !strings.Contains(line, "succeeded") || !strings.Contains(line, " 2 ") || strings.Contains(line, "never") {
			t.Errorf("after a run, jobs list shows %q", line)
		}
		// A failed run shows its error.
		target, _ := models.ResolveDatabase(url, "")
		db, err := models.Open(context.Background(), target, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer models.Close(db)
		failed := models.JobRun{Job: "cleanup", Period: "2026-11-01T03:30:00+05:00", StartedAt: time.Now().UTC(), Status: models.JobFailed, Error: "disk full"}
		if err := db.Create(&failed).Error; err != nil {
			t.Fatal(err)
		}
		_, stdout, _ = run(t, vars, nil, "jobs", "list")
		if line := lineWith(stdout, "cleanup "); !strings.Contains(line, "failed") || !strings.Contains(stdout, "cleanup failed: disk full") {
			t.Errorf("a failed run is shown as %q:\n%s", line, stdout)
		}
		if strings.HasPrefix(url, "postgres") {
			// Another process holds the job's lock: the run is refused, exit 1.
			tx := db.Begin()
			defer tx.Rollback()
			if ok, err := models.TryLockJob(tx, "cleanup"); !ok || err != nil {
				t.Fatalf("lock: %v %v", ok, err)
			}
			code, _, stderr = run(t, vars, nil, "jobs", "run", "cleanup")
			if code != 1 {
				t.Errorf("jobs run while another process runs the job: exit %d", code)
			}
			oneSentence(t, stderr, "cleanup job is running in another process")
		}
	})
}

func karachi(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Karachi")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// lineWith is the first line of s that contains sub.
func lineWith(s, sub string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			return line
		}
	}
	return ""
}

// TestServeRunsJobsOnTheirScheduleUnlessJobsOff runs serve with a
// one-second stale-data schedule: it runs the job, and with --jobs off
// (a replica that only serves) it does not.
func TestServeRunsJobsOnTheirScheduleUnlessJobsOff(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "borderflow.db")
	vars := map[string]string{"BORDERFLOW_DATABASE_URL": dbURL, "BORDERFLOW_DEMO": "off", "BORDERFLOW_JOB_SCHEDULES": "stale-data=@every 1s"}
	serveFor := func(args ...string) {
		t.Helper()
		addr := freeAddr(t)
		var stdout, stderr syncBuffer
		cli := CLI{Getenv: env(vars), Stdout: &stdout, Stderr: &stderr}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() { done <- cli.Main(ctx, append([]string{"serve", "--addr", addr}, args...)) }()
		waitForPage(t, "http://"+addr+"/readyz", done)
		time.Sleep(2500 * time.Millisecond)
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("serve %v exited %d: %s", args, code, stderr.String())
		}
	}
	staleRuns := func() int {
		t.Helper()
		target, _ := models.ResolveDatabase(dbURL, "")
		db, err := models.Open(context.Background(), target, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer models.Close(db)
		runs, err := models.RecentJobRuns(context.Background(), db, "stale-data", 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if strings.HasPrefix(r.Period, "manual:") {
				t.Errorf("a scheduled run was recorded as manual: %+v", r)
			}
		}
		return len(runs)
	}
	serveFor("--jobs", "off")
	if n := staleRuns(); n != 0 {
		t.Errorf("serve --jobs off ran stale-data %d times", n)
	}
	serveFor()
	if n := staleRuns(); n < 2 {
		t.Errorf("serve ran stale-data %d times in 2.5 s on a one-second schedule; want at least 2", n)
	}
}

// The weekly-summary job publishes a past week named with --week, once:
// a second run over unchanged data writes nothing; the download is there.
func TestJobsRunWeeklySummaryForAWeek(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "borderflow.db")
	vars := map[string]string{"BORDERFLOW_DATABASE_URL": url}
	if code, _, stderr := run(t, vars, nil, "demo", "--days", "30"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	week := models.LastCompleteWeek(time.Now(), karachi(t)).String()
	code, stdout, stderr := run(t, vars, nil, "jobs", "run", "weekly-summary", "--week", week)
	if code != 0 || !strings.HasPrefix(stdout, "Ran weekly-summary: succeeded") || strings.Contains(stdout, " 0 rows") {
		t.Fatalf("first run: exit %d, %q %q", code, stdout, stderr)
	}
	code, stdout, _ = run(t, vars, nil, "jobs", "run", "weekly-summary", "--week", week)
	if code != 0 || !strings.Contains(stdout, "succeeded, 0 rows written") {
		t.Errorf("second run over the same data: exit %d, %q", code, stdout)
	}
	out := filepath.Join(t.TempDir(), "week.json")
	if code, _, stderr := run(t, vars, nil, "export", "weekly", "--week", week, "--format", "json", "-o", out); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	for _, bad := range [][]string{{"--week", "2026-W54"}, {"--week", "soon"}} {
		if code, _, stderr := run(t, vars, nil, append([]string{"jobs", "run", "weekly-summary"}, bad...)...); code != 2 || !strings.Contains(stderr, "ISO week") {
			t.Errorf("%v: exit %d, %q", bad, code, stderr)
		}
	}
	if code, _, stderr := run(t, vars, nil, "jobs", "run", "cleanup", "--week", week); code != 2 || !strings.Contains(stderr, "takes no --week") {
		t.Errorf("--week on cleanup: exit %d, %q", code, stderr)
	}
}
