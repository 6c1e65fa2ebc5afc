package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

// TestConcurrentReadThenWriteTransactionsDoNotDeadlock runs transactions
// that read and then write from several goroutines at once. On SQLite a
// deferred transaction would fail with "database is locked" when two try to
// upgrade to writing; borderflow's transactions take the write lock at BEGIN.
func TestConcurrentReadThenWriteTransactionsDoNotDeadlock(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		var wg sync.WaitGroup
		errs := make(chan error, 4*25)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					errs <- db.WithContext(context.Background()).Transaction(func(tx *gorm.DB) error {
						var n int64
						if err := tx.Model(&models.Crossing{}).Count(&n).Error; err != nil {
							return err
						}
						time.Sleep(time.Millisecond) // let the others read too

						return tx.Exec("UPDATE crossings SET sort_order = sort_order + 1 WHERE slug = ?", "torkham").Error
					})
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("a concurrent transaction failed: %v", err)
			}
		}
		c, err := models.CrossingBySlug(context.Background(), db, "torkham")
		if err != nil || c.SortOrder != 1+100 {
			t.Errorf("torkham sort order = %d, %v; want 101 after 100 increments", c.SortOrder, err)
		}
	})
}
