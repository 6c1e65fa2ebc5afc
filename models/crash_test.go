package models_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

const crashWriterEnv = "BORDERFLOW_CRASH_WRITER_DATABASE"

// writingMark is what the writer prints once part of its write is done.
const writingMark = "HALF-WRITTEN"

// runCrashWriter loads the demo data into the database at url and, after
// the second batch of figures is inserted inside the load's transaction,
// announces it and blocks until it is killed.
func runCrashWriter(url string) {
	ctx := context.Background()
	target, err := models.ResolveDatabase(url, "")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	db, err := models.Open(ctx, target, nil)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	batches := 0
	err = db.Callback().Create().After("gorm:create").Register("crash_test:block", func(tx *gorm.DB) {
		if tx.Statement.Table == "daily_figures" {
			if batches++; batches == 2 {
				fmt.Println(writingMark)
				select {} // wait to be killed, inside the transaction
			}
		}
	})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	now := time.Now()
	_, err = models.LoadDemo(ctx, db, models.DemoOptions{Days: 180, End: models.DateOf(now, time.UTC).AddDays(-1), Now: now, Seed: 7})
	fmt.Println("load returned without blocking:", err)
	os.Exit(1)
}

// TestCrashMidWriteLeavesNothingBehind kills a process in the middle of a
// multi-row write (the demo load, one transaction) and checks that the
// database holds none of it afterwards, on both databases.
func TestCrashMidWriteLeavesNothingBehind(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		target, err := models.ResolveDatabase(url, "")
		if err != nil {
			t.Fatal(err)
		}
		db, err := models.Open(ctx, target, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer models.Close(db)
		if err := models.Migrate(ctx, db, nil); err != nil {
			t.Fatal(err)
		}

		writer := exec.Command(os.Args[0], "-test.run=^$")
		writer.Env = append(os.Environ(), crashWriterEnv+"="+url)
		out, err := writer.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := writer.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		marked := false
		for lines.Scan() {
			if strings.Contains(lines.Text(), writingMark) {
				marked = true
				break
			}
			t.Logf("writer: %s", lines.Text())
		}
		if !marked {
			_ = writer.Wait()
			t.Fatal("the writer never reached the middle of its write")
		}
		if err := writer.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = writer.Wait()

		for table, model := range map[string]any{"daily_figures": &models.DailyFigure{}, "crossing_days": &models.CrossingDay{}, "status_changes": &models.StatusChange{}, "audit_log": &models.AuditEntry{}} {
			var n int64
			if err := db.Model(model).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%s holds %d rows after the writer was killed mid-transaction, want 0", table, n)
			}
		}
		// The database is usable afterwards: the same load now succeeds.
		summary, err := models.LoadDemo(ctx, db, models.DemoOptions{Days: 30, End: models.NewDate(2026, 11, 1), Now: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Seed: 7})
		if err != nil || summary.Figures == 0 {
			t.Fatalf("load after the crash: %+v, %v", summary, err)
		}
	})
}
