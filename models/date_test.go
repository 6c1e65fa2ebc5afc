package models_test

import (
	"testing"
	"time"

	"borderflow/models"
)

func TestDateOfUsesTheCrossingsZone(t *testing.T) {
	karachi, _ := time.LoadLocation("Asia/Karachi")
	// 20:30 UTC on the 26th is already the 27th in Pakistan (UTC+5).
	instant := time.Date(2026, 11, 26, 20, 30, 0, 0, time.UTC)
	if got := models.DateOf(instant, karachi).String(); got != "2026-11-27" {
		t.Errorf("DateOf = %s, want 2026-11-27", got)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, seed := range []string{"2026-11-26", "2026-02-30", "26-11-2026", "", "2026-11-26T00:00:00Z", "９９９９-01-01"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := models.ParseDate(s)
		if err != nil {
			return
		}
		// Whatever is accepted is a real day that reads back the same.
		if d.String() != s {
			t.Errorf("ParseDate(%q) reads back as %q", s, d.String())
		}
		var scanned models.Date
		if err := scanned.Scan(s); err != nil || scanned != d {
			t.Errorf("Scan(%q) = %v, %v", s, scanned, err)
		}
	})
}

func FuzzResolveDatabase(f *testing.F) {
	for _, seed := range []string{"", "sqlite:/tmp/x.db", "sqlite:", "postgres://u:p@h:5432/db", "postgres://h", "postgresql:///db?host=/tmp", "mysql://x", "sqlite:a?b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, url string) {
		target, err := models.ResolveDatabase(url, "./data")
		if err != nil {
			return
		}
		if target.Dialect != models.DialectSQLite && target.Dialect != models.DialectPostgres {
			t.Errorf("ResolveDatabase(%q) accepted dialect %q", url, target.Dialect)
		}
		if target.Dialect == models.DialectSQLite && target.Path == "" {
			t.Errorf("ResolveDatabase(%q) accepted SQLite without a path", url)
		}
	})
}
