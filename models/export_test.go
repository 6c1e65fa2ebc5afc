package models

import (
	"context"

	"gorm.io/gorm"
)

// MigrateDownTo rolls the schema back to version, for the tests of a
// migration's data.
func MigrateDownTo(ctx context.Context, db *gorm.DB, version int64) error {
	p, err := newMigrator(db, nil)
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}
