package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gorm.io/gorm"
)

// ErrBackupExists means the backup file is already there and was left alone.
var ErrBackupExists = errors.New("the backup file already exists")

// BackupResult describes a finished backup.
type BackupResult struct {
	Path  string
	Bytes int64
}

// BackupEmbedded writes a consistent copy of the embedded database db to
// path while it may be serving: VACUUM INTO reads one snapshot, taking no
// lock that writers wait for. The copy is written under a temporary name
// beside path, checked with PRAGMA integrity_check, and only then put in
// place, so path is either the whole backup or absent. An existing path is
// replaced only when overwrite is set.
func BackupEmbedded(ctx context.Context, db *gorm.DB, path string, overwrite bool) (BackupResult, error) {
	if Dialect(db) != DialectSQLite {
		return BackupResult{}, errors.New("only the embedded database is backed up by borderflow")
	}
	if !overwrite {
		if _, err := os.Lstat(path); err == nil {
			return BackupResult{}, fmt.Errorf("%w: %s", ErrBackupExists, path)
		}
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".borderflow-backup-")
	if err != nil {
		return BackupResult{}, fmt.Errorf("cannot write beside %s: %s", path, firstLine(err))
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "borderflow.db")
	if err := db.WithContext(ctx).Exec("VACUUM INTO ?", tmp).Error; err != nil {
		return BackupResult{}, fmt.Errorf("copy the database: %w", err)
	}
	if err := checkIntegrity(ctx, tmp); err != nil {
		return BackupResult{}, err
	}
	// The copy holds password hashes and session tokens.
	if err := os.Chmod(tmp, 0o600); err != nil {
		return BackupResult{}, err
	}
	if err := syncFile(tmp); err != nil {
		return BackupResult{}, err
	}
	if overwrite {
		err = os.Rename(tmp, path)
	} else {
		// A hard link never replaces an existing file, even one created meanwhile.
		err = os.Link(tmp, path)
	}
	if errors.Is(err, os.ErrExist) {
		return BackupResult{}, fmt.Errorf("%w: %s", ErrBackupExists, path)
	}
	if err != nil {
		return BackupResult{}, fmt.Errorf("cannot put the backup at %s: %s", path, firstLine(err))
	}
	info, err := os.Stat(path)
	if err != nil {
		return BackupResult{}, err
	}
	return BackupResult{Path: path, Bytes: info.Size()}, syncFile(filepath.Dir(path))
}

// checkIntegrity opens the SQLite file at path read-only and runs PRAGMA
// integrity_check on it.
func checkIntegrity(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result); err != nil {
		return fmt.Errorf("check the copy: %w", err)
	}
	if result != "ok" {
		return fmt.Errorf("the copy fails its integrity check (%s); the database itself may be damaged", result)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
