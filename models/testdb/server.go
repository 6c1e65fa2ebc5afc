package testdb

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
)

// pgServer is the PostgreSQL server the tests use, and the migrated
// template database each test's database is copied from.
type pgServer struct {
	admin    *url.URL // the maintenance database, as superuser
	template string
	adminDB  *gorm.DB
	process  *exec.Cmd // nil when the server was given by URL
	dir      string
	// How process was started, to start it again (StopPostgres).
	bin  string
	cred *syscall.Credential
}

func startServer() (*pgServer, error) {
	var srv *pgServer
	if given := os.Getenv("BORDERFLOW_TEST_DATABASE_URL"); given != "" {
		u, err := url.Parse(given)
		if err != nil {
			return nil, fmt.Errorf("BORDERFLOW_TEST_DATABASE_URL is not a URL: %w", err)
		}
		srv = &pgServer{admin: u}
	} else {
		var err error
		if srv, err = startLocalServer(); err != nil {
			return nil, err
		}
	}
	if err := srv.prepareTemplate(); err != nil {
		srv.stop()
		return nil, err
	}
	return srv, nil
}

// findBinaries looks for initdb on PATH, then in Debian's versioned directories.
func findBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return versionOf(matches[i]) > versionOf(matches[j]) })
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), nil
	}
	return "", errors.New("no initdb on PATH or in /usr/lib/postgresql/*/bin; install PostgreSQL (apt-get install postgresql) or set BORDERFLOW_TEST_DATABASE_URL")
}

func versionOf(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// startLocalServer runs initdb into a temporary directory and starts a
// server listening only on a Unix socket there, without fsync.
func startLocalServer() (*pgServer, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "bf-pg-")
	if err != nil {
		return nil, err
	}
	srv := &pgServer{dir: dir}
	cred, err := serverCredential(dir)
	if err != nil {
		srv.stop()
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--no-sync", "-E", "UTF8", "--no-locale")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		srv.stop()
		return nil, fmt.Errorf("initdb failed: %v: %s", err, out)
	}
	srv.bin, srv.cred = bin, cred
	if err := srv.launch(); err != nil {
		srv.stop()
		return nil, err
	}
	srv.admin = &url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/postgres",
		RawQuery: url.Values{"host": {dir}, "sslmode": {"disable"}}.Encode()}
	if err := srv.waitReady(30 * time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		srv.stop()
		return nil, fmt.Errorf("%w; server log: %s", err, log)
	}
	return srv, nil
}

// launch starts the server on the data directory, listening only on a
// Unix socket there, its log appended to server.log.
func (s *pgServer) launch() error {
	logFile, err := os.OpenFile(filepath.Join(s.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child has its own copy
	s.process = exec.Command(filepath.Join(s.bin, "postgres"), "-D", filepath.Join(s.dir, "data"), "-k", s.dir,
		"-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=300", "-c", "shared_buffers=64MB")
	s.process.Stdout, s.process.Stderr = logFile, logFile
	// The server dies with the test binary, however that ends.
	s.process.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGKILL}
	if err := s.process.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	return nil
}

// serverCredential returns nil when the tests run as an ordinary user, and
// an unprivileged account when they run as root (PostgreSQL refuses root),
// giving that account the temporary directory.
func serverCredential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var account *user.User
	for _, name := range []string{"postgres", "nobody"} {
		if u, err := user.Lookup(name); err == nil {
			account = u
			break
		}
	}
	if account == nil {
		return nil, errors.New("running as root and found neither a postgres nor a nobody account to run PostgreSQL as")
	}
	uid, _ := strconv.Atoi(account.Uid)
	gid, _ := strconv.Atoi(account.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (s *pgServer) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		db, err := openAdmin(s.admin)
		if err == nil {
			s.adminDB = db
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within %s: %v", limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func openAdmin(u *url.URL) (*gorm.DB, error) {
	target, err := models.ResolveDatabase(u.String(), "")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return models.Open(ctx, target, nil)
}

// prepareTemplate migrates one database that every test database copies,
// so that each test pays for a file copy instead of the migrations.
func (s *pgServer) prepareTemplate() error {
	if s.adminDB == nil {
		db, err := openAdmin(s.admin)
		if err != nil {
			return err
		}
		s.adminDB = db
	}
	s.template = fmt.Sprintf("bf_template_%d", os.Getpid())
	if err := s.exec("CREATE DATABASE " + s.template); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	target, err := models.ResolveDatabase(s.databaseURL(s.template), "")
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := models.Open(ctx, target, nil)
	if err != nil {
		return err
	}
	defer func() { _ = models.Close(db) }()
	return models.Migrate(ctx, db, nil)
}

func (s *pgServer) exec(statement string) error {
	return s.adminDB.Exec(statement).Error
}

// stop drops what the harness created on a given server, or stops the
// server it started and removes its files.
func (s *pgServer) stop() {
	if s.adminDB != nil && s.template != "" {
		_ = s.exec("DROP DATABASE IF EXISTS " + s.template + " WITH (FORCE)")
	}
	if s.adminDB != nil {
		_ = models.Close(s.adminDB)
	}
	if s.process != nil && s.process.Process != nil {
		_ = s.process.Process.Signal(syscall.SIGINT) // fast shutdown
		_ = s.process.Wait()
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

// StopPostgres stops the test server as an outage would look to its
// clients (a fast shutdown: every connection is cut, new ones refused),
// and returns start, which starts it again on the same data and returns
// once it accepts connections. If the test ends with the server down, it
// is started again then. For fault tests: only a server the harness
// started can be stopped, and the tests of the package must not run in
// parallel with the one that stops it.
func StopPostgres(t testing.TB) (start func()) {
	t.Helper()
	srv := requireServer(t)
	if srv.process == nil {
		t.Fatal("StopPostgres needs the server the harness starts; BORDERFLOW_TEST_DATABASE_URL names one it may not stop")
	}
	_ = srv.process.Process.Signal(syscall.SIGINT) // fast shutdown
	_ = srv.process.Wait()
	down := true
	start = func() {
		t.Helper()
		if !down {
			return
		}
		down = false
		if err := srv.launch(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			db, err := openAdmin(srv.admin)
			if err == nil {
				_ = models.Close(db)
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("postgres did not accept connections within 30 s of its restart: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.Cleanup(start)
	return start
}
