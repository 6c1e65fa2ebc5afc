package models

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ChangesChannel is the PostgreSQL notification channel on which the
// database announces every committed change to what the public pages show
// (triggers of migration 10 send the table's name). Every replica listens,
// so a change made through one reaches the others' caches at once.
const ChangesChannel = "borderflow_changes"

// ListenForChanges calls changed with the table's name for every change
// announced on ChangesChannel, until ctx ends. It reconnects when the
// connection drops, and calls changed("") after each (re)connection, since
// notifications sent while it was away are lost. It logs a lost connection
// and its return once each, not every failed try in between.
func ListenForChanges(ctx context.Context, target DatabaseTarget, log *slog.Logger, changed func(table string)) {
	failedTries := 0
	var lostAt time.Time
	listening := func(table string) {
		if table == "" && failedTries > 0 {
			log.Info("listening for changes from other replicas again", "down_for", time.Since(lostAt).Round(time.Millisecond), "failed_tries", failedTries)
			failedTries = 0
		}
		changed(table)
	}
	for ctx.Err() == nil {
		err := listen(ctx, target, listening)
		if ctx.Err() != nil {
			return
		}
		if failedTries == 0 {
			lostAt = time.Now()
			log.Warn("listening for changes from other replicas failed; retrying until it works", "err", err, "retry_every", listenRetry)
		}
		failedTries++
		select {
		case <-ctx.Done():
			return
		case <-time.After(listenRetry):
		}
	}
}

// listenRetry is the pause between two tries to listen. A replica's pages
// may be stale from the moment PostgreSQL is back until the next try, so
// it is short; a failed try against a stopped server costs one refused
// connection.
const listenRetry = 250 * time.Millisecond

// listen listens until the connection fails or cannot be made.
func listen(ctx context.Context, target DatabaseTarget, changed func(table string)) error {
	conn, err := pgx.Connect(ctx, postgresDSN(target.DSN))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "LISTEN "+ChangesChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	changed("")
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		changed(n.Payload)
	}
}

// EmbeddedLock is held by the one process that serves an embedded
// database; Release gives it up.
type EmbeddedLock struct{ file *os.File }

// LockEmbedded makes sure only one process serves the SQLite file at path:
// SQLite itself would let a second one in, but two servers would each keep
// their own caches and run every job twice. The lock is an flock on a file
// beside the database, which the kernel releases if the process dies.
func LockEmbedded(path string) (*EmbeddedLock, error) {
	lockPath := path + ".serve-lock"
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o750); err != nil {
		return nil, fmt.Errorf("create the data directory of %s: %w", path, err)
	}
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the lock file %s: %w", lockPath, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(lockPath)
		_ = f.Close()
		who := "another process"
		if pid := strings.TrimSpace(string(holder)); pid != "" {
			who = "process " + pid
		}
		return nil, fmt.Errorf("the embedded database %s is already served by %s; stop it first, or use PostgreSQL (BORDERFLOW_DATABASE_URL=postgres://…) to run several servers", path, who)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &EmbeddedLock{file: f}, nil
}

// Release gives the lock up.
func (l *EmbeddedLock) Release() {
	if l != nil && l.file != nil {
		_ = syscall.Flock(int(l.file.Fd()), syscall.LOCK_UN)
		_ = l.file.Close()
		l.file = nil
	}
}
