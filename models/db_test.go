package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

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

// An outage (no server to connect to, a connection cut by the server) is
// told apart from a fault of the request, so that the first gets a prompt
// 503 and the second a 500 or 404.
func TestUnreachableTellsAnOutageFromAFault(t *testing.T) {
	db := testdb.Postgres(t)
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1)
	var pid int
	if err := db.Raw("SELECT pg_backend_pid()").Scan(&pid).Error; err != nil {
		t.Fatal(err)
	}
	bad := db.Exec("SELECT no_such_column FROM crossings").Error
	if bad == nil || models.Unreachable(bad) {
		t.Errorf("a faulty query: %v counted as an outage", bad)
	}
	if models.Unreachable(models.ErrNotFound) || models.Unreachable(nil) {
		t.Error("not found, or no error, counted as an outage")
	}
	// The server ends the connection, as at its shutdown.
	if err := testdb.Postgres(t).Exec("SELECT pg_terminate_backend(?)", pid).Error; err != nil {
		t.Fatal(err)
	}
	cut := db.Exec("SELECT 1").Error
	if cut == nil || !models.Unreachable(cut) {
		t.Errorf("a query on a connection the server ended: %v, not counted as an outage", cut)
	}
	_, refused := gorm.Open(postgres.Open("postgres://postgres@/borderflow?host="+t.TempDir()+"&sslmode=disable"), &gorm.Config{Logger: logger.Discard})
	if refused == nil || !models.Unreachable(refused) {
		t.Errorf("connecting where no server listens: %v, not counted as an outage", refused)
	}
}
