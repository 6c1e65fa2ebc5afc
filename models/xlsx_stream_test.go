package models_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"borderflow/models"
)

var streamColumns = []models.XLSXColumn{{Name: "day", Width: 12}, {Name: "text", Width: 30}, {Name: "count", Width: 8},
	{Name: "value", Width: 11.5}, {Name: "ok", Width: 6}}

// openStream writes rows through an XLSXStream and opens the result as
// Excel would be given it.
func openStream(t *testing.T, rows ...[]any) *excelize.File {
	t.Helper()
	var out bytes.Buffer
	w, err := models.NewXLSXStream(&out, "Data", streamColumns, models.XLSXMeta{Title: "A <title> & more",
		Subject: "cite as x", Description: "cite as x. Licence: CC BY 4.0", Keywords: "CC BY 4.0", Creator: "borderflow",
		Language: "en", Created: time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Row(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&out)
	if err != nil {
		t.Fatalf("the streamed workbook does not open: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// TestXLSXStreamCellsRoundTrip writes every kind of cell and reads each
// back with its type: text literally (markup characters, a leading = and
// spaces included), numbers as numbers, dates as dates in yyyy-mm-dd,
// booleans, and empty cells.
func TestXLSXStreamCellsRoundTrip(t *testing.T) {
	tonnes := 12.75
	tricky := `=SUM(A1) <b>&amp;</b> "quoted" 'single'`
	f := openStream(t,
		[]any{models.NewDate(2026, 11, 1), tricky, 12, tonnes, true},
		[]any{models.NewDate(1900, 3, 1), "  padded  ", int64(-3), (*float64)(nil), false},
		[]any{nil, "tab\tand\nnewline", 0, &tonnes})

	rows, err := f.GetRows("Data")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"day", "text", "count", "value", "ok"},
		{"2026-11-01", tricky, "12", "12.75", "TRUE"},
		{"1900-03-01", "  padded  ", "-3", "", "FALSE"},
		{"", "tab\tand\nnewline", "0", "12.75"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %q", len(rows), len(want), rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i+1, rows[i], want[i])
		}
	}

	types := map[string]excelize.CellType{"A2": excelize.CellTypeUnset, "B2": excelize.CellTypeInlineString,
		"C2": excelize.CellTypeUnset, "D2": excelize.CellTypeUnset, "E2": excelize.CellTypeBool}
	for cell, want := range types {
		if got, _ := f.GetCellType("Data", cell); got != want {
			t.Errorf("%s has type %v, want %v", cell, got, want)
		}
	}
	if raw, _ := f.GetCellValue("Data", "A2", excelize.Options{RawCellValue: true}); raw != "46327" {
		t.Errorf("2026-11-01 is stored as %q, want the serial number 46327", raw)
	}
	style, _ := f.GetCellStyle("Data", "A2")
	if s, err := f.GetStyle(style); err != nil || s.CustomNumFmt == nil || *s.CustomNumFmt != "yyyy-mm-dd" {
		t.Errorf("the day column's style is %+v (%v), want the number format yyyy-mm-dd", s, err)
	}
	head, _ := f.GetCellStyle("Data", "B1")
	if s, err := f.GetStyle(head); err != nil || s.Font == nil || !s.Font.Bold {
		t.Errorf("the header is not bold: %+v (%v)", s, err)
	}

	panes, err := f.GetPanes("Data")
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("panes = %+v (%v), want the header row frozen", panes, err)
	}
	for i, c := range streamColumns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if w, _ := f.GetColWidth("Data", col); w != c.Width {
			t.Errorf("column %s is %v wide, want %v", col, w, c.Width)
		}
	}
	props, err := f.GetDocProps()
	if err != nil || props.Title != "A <title> & more" || props.Description != "cite as x. Licence: CC BY 4.0" ||
		props.Keywords != "CC BY 4.0" || props.Creator != "borderflow" || props.Created != "2026-11-25T04:00:00Z" {
		t.Errorf("document properties = %+v (%v)", props, err)
	}
}

// TestXLSXStreamEmptyIsHeaderOnly: no rows still make a valid workbook
// with the header.
func TestXLSXStreamEmptyIsHeaderOnly(t *testing.T) {
	rows, err := openStream(t).GetRows("Data")
	if err != nil || len(rows) != 1 || strings.Join(rows[0], ",") != "day,text,count,value,ok" {
		t.Errorf("rows = %q (%v), want only the header", rows, err)
	}
}

// TestXLSXStreamStopsAtAWriteError: once the client has gone, Row and
// Close report the write error instead of carrying on.
func TestXLSXStreamStopsAtAWriteError(t *testing.T) {
	gone := errors.New("connection reset")
	w, err := models.NewXLSXStream(&failingWriter{after: 2000, err: gone}, "Data", streamColumns, models.XLSXMeta{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100000 && err == nil; i++ {
		err = w.Row(models.NewDate(2026, 1, 1), "some text to fill the stream", i, float64(i)/3, i%2 == 0)
	}
	if !errors.Is(err, gone) {
		t.Fatalf("Row after the client left = %v, want %v", err, gone)
	}
	if err := w.Close(); !errors.Is(err, gone) {
		t.Errorf("Close = %v, want %v", err, gone)
	}
}

type failingWriter struct {
	after int
	err   error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, w.err
	}
	return len(p), nil
}
