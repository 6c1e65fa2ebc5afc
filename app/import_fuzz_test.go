package app

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"borderflow/models"
)

// FuzzImportCSV feeds arbitrary bytes to the import as a figures file and
// as a status file, dry, on SQLite: nothing may panic or be written, and
// every problem has a line (and a column within the header, when it names
// one) and a message in the catalog.
func FuzzImportCSV(f *testing.F) {
	for _, seed := range []string{
		"date,crossing,direction,category,trucks\n2026-11-25,torkham,to_pakistan,coal,4\n",
		"\ufeffdate,crossing,direction,category,trucks,tonnes,value_usd,regime\r\n2026-11-25,torkham,to_afghanistan,cement,90,3600.5,225000,transit\r\n",
		"crossing,state,effective_at,reason,scope,note\ntorkham,restricted,2026-11-20T08:30:00+05:00,security,cargo_closed,\"a, \"\"b\"\"\nc\"\n",
		"date,crossing,direction,category,trucks\n2026-11-25,torkham,to_pakistan,co\"al,4\n\"unterminated\n",
		"date,crossing,direction,category,trucks,extra\n",
		"crossing,state\n",
		"\xff\xfed\x00a\x00t\x00e\x00",
		"date,crossing,direction,category,trucks\n2026-11-25,torkham,to_pakistan,coal,4\n2026-11-25,torkham,to_pakistan,coal,5\n",
		"date,crossing,direction,category,trucks,note\xe9\n2026-02-30,TORKHAM, to_pakistan ,empty,-0\n",
		"date,crossing,direction,category,trucks,tonnes\n2026-11-25,chaman,to_afghanistan,cement,99999999999999999999,1e400\n",
		"\x00\x01\x02,\x03\n\x04",
		"",
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	a := newTestApp(f, "sqlite:"+filepath.Join(dir, "bf.db"))
	l := a.translator.Locale()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, pkt)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range importKinds {
			report, err := models.Import(context.Background(), a.db, models.Actor{Name: "fuzz"}, bytes.NewReader(data),
				models.ImportOptions{Kind: kind, FileName: "fuzz.csv", DryRun: true, PreviewRows: 3, Now: now})
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			if report.Committed || len(report.Preview) > 3 || report.Rows < 0 || report.ErrorCount < len(report.Errors) ||
				len(report.Errors) > models.MaxImportErrors {
				t.Fatalf("%s: report %+v", kind, report)
			}
			if report.OK() && report.Inserted+report.Updated+report.Unchanged != report.Rows {
				t.Errorf("%s: %d rows but %d+%d+%d counted", kind, report.Rows, report.Inserted, report.Updated, report.Unchanged)
			}
			for _, e := range append(report.Errors, report.Warnings...) {
				if e.Line < 1 || e.Column < 0 || e.Column > len(report.Columns) || e.Code == "" {
					t.Errorf("%s: problem %+v", kind, e)
				}
			}
			view := newImportView(l, report)
			for _, p := range append(view.Problems, view.Warnings...) {
				if IsMissing(p.Message) || IsMissing(p.Where) || p.Message == "" {
					t.Errorf("%s: untranslated problem %q: %q", kind, p.Where, p.Message)
				}
			}
			if IsMissing(view.Summary) || strings.ContainsAny(strings.Join(view.Notes, ""), "⟦") {
				t.Errorf("%s: untranslated summary %q %q", kind, view.Summary, view.Notes)
			}
		}
		var n int64
		a.db.Model(&models.DailyFigure{}).Count(&n)
		if n != 0 {
			t.Fatalf("a dry run wrote %d figures", n)
		}
	})
}

// FuzzImportReader reads arbitrary bytes as an import file without a
// database: the reader never panics, gives rows only with the header's
// number of fields, and reads at most one row beyond MaxImportRowBytes.
func FuzzImportReader(f *testing.F) {
	f.Add([]byte("date,crossing,direction,category,trucks\n1,2,3,4,5\n"), true)
	f.Add([]byte("crossing,state,effective_at,reason\n\"a\nb\",c,d,e\r\n"), false)
	f.Add([]byte("\xef\xbb\xbfdate,crossing,direction,category,trucks\n\"x"), true)
	f.Fuzz(func(t *testing.T, data []byte, figures bool) {
		kind := models.ImportStatus
		if figures {
			kind = models.ImportFigures
		}
		r := models.NewImportReader(io.MultiReader(bytes.NewReader(data)), kind)
		last := 0
		for {
			row, ok := r.Next()
			if !ok {
				break
			}
			if len(row.Fields) != len(r.Columns()) || row.Line <= last {
				t.Fatalf("row on line %d (after %d) has %d fields for %d columns", row.Line, last, len(row.Fields), len(r.Columns()))
			}
			last = row.Line
		}
		errs, n := r.Errors()
		if n < len(errs) || r.Err() != nil {
			t.Fatalf("%d problems listed of %d; err %v", len(errs), n, r.Err())
		}
	})
}
